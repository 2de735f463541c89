//! Quick search over names, organisation, e-mails, phones and city.
//!
//! Every record has one row per distinct folded token in `search_tokens`, carrying its
//! sort key. A query word matches tokens by prefix ("Müll" finds "Müller"), and name
//! words within one typo through `term_variants` ("Schmitd" finds "Schmidt"). Results
//! come in relevance order (see [`ranked`]): people whose own name matches before those
//! whose organisation or e-mail does, an exact word before a longer one it begins, typo
//! matches last; within each by matched token and name, which is exactly index order
//! `(tier, token, sort_key, record_id)`, so the first page of a common prefix reads a
//! few dozen index entries however many records match.
//!
//! A record can match through several tokens; it is shown once, at its first match
//! (the `NOT EXISTS` below), which also keeps cursor paging exact.

use crate::error::StoreError;
use crate::filter::{restrict, IndexUse, RECORD};
use crate::list::{decode_cursor, encode_cursor, Count, Page, MAX_LIMIT};
use crate::records::{decode_all, Record, RecordRow, RECORD_COLUMNS};
use crate::sql::{name, qcol};
use crate::Store;
use kartei_core::filter::TypedFilter;
use kartei_core::fuzzy::{deletion_variants, is_fuzzy_term, within_one_edit};
use kartei_core::record::RecordData;
use kartei_core::text::{fold, prefix_upper_bound, word_tokens};
use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement, SimpleExpr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenMatch {
    Prefix(String),
    Exact(String),
}

/// The ways one query word can match, best first.
#[derive(Debug, Clone)]
struct Word(Vec<TokenMatch>);

#[derive(Debug, Serialize, Deserialize)]
struct SearchCursor {
    q: String,
    /// Index of the match of the leading word the page stopped in.
    m: usize,
    t: String,
    k: String,
    id: Uuid,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub filter: Option<TypedFilter>,
    pub cursor: Option<String>,
    pub limit: u64,
}

fn looks_like_phone(q: &str) -> bool {
    let digits = q.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-/().".contains(c))
}

fn token_condition(column: impl Fn() -> Expr, m: &TokenMatch) -> SimpleExpr {
    match m {
        TokenMatch::Exact(t) => column().eq(t.as_str()),
        TokenMatch::Prefix(p) => match prefix_upper_bound(p) {
            Some(upper) => column().gte(p.as_str()).and(column().lt(upper)),
            None => column().gte(p.as_str()),
        },
    }
}

fn any_of(column: impl Fn() -> Expr + Copy, matches: &[TokenMatch]) -> SimpleExpr {
    matches
        .iter()
        .map(|m| token_condition(column, m))
        .reduce(SimpleExpr::or)
        .unwrap_or_else(|| Expr::val(1).eq(0))
}

/// The token column in the per-record subqueries, written `(a.token || '')` so that
/// neither database can answer them from the token index. They look at one record's
/// dozen tokens through `(record_id, token)`; PostgreSQL, misjudging a range of e-mail
/// tails as one row, otherwise rescanned the whole range for every result (36 ms
/// instead of under 1 ms for "schmidt@gmx" at a million contacts).
fn token_of_record(alias: &str) -> Expr {
    Expr::expr(Expr::cust(format!("(\"{alias}\".\"token\" || '')")))
}

/// `EXISTS (SELECT 1 FROM search_tokens a WHERE a.record_id = s.record_id AND <cond>)`
fn record_has_token(alias: &str, cond: SimpleExpr) -> SimpleExpr {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(name("search_tokens"), Alias::new(alias))
        .and_where(qcol(alias, "record_id").equals((Alias::new("s"), Alias::new("record_id"))))
        .and_where(cond);
    Expr::exists(q)
}

impl Store {
    /// Turns the query into words and their matches, looking up typo candidates.
    async fn plan_search(&self, q: &str) -> Result<Vec<Word>, StoreError> {
        let q = q.trim();
        if looks_like_phone(q) {
            let digits =
                kartei_core::phone::search_digits(q, &self.default_region).unwrap_or_default();
            return Ok(vec![Word(vec![TokenMatch::Prefix(digits)])]);
        }
        let mut words = Vec::new();
        for raw in q.split_whitespace().take(8) {
            if raw.contains('@') {
                let token = fold(raw)
                    .trim_start_matches(['@', '.', '-', '_', '+'])
                    .to_string();
                if !token.is_empty() {
                    words.push(Word(vec![TokenMatch::Prefix(token)]));
                }
                continue;
            }
            for token in word_tokens(raw) {
                let mut matches = vec![TokenMatch::Prefix(token.clone())];
                if is_fuzzy_term(&token) {
                    let mut tx = self.db.read().await?;
                    let terms: Vec<(String,)> = tx
                        .all(
                            Query::select()
                                .distinct()
                                .column(name("term"))
                                .from(name("term_variants"))
                                .and_where(
                                    Expr::col(name("variant")).is_in(deletion_variants(&token)),
                                ),
                        )
                        .await?;
                    let mut fuzzy: Vec<String> = terms
                        .into_iter()
                        .map(|(t,)| t)
                        .filter(|t| !t.starts_with(&token) && within_one_edit(&token, t))
                        .collect();
                    fuzzy.sort();
                    matches.extend(fuzzy.into_iter().map(TokenMatch::Exact));
                }
                words.push(Word(matches));
            }
        }
        Ok(words)
    }

    /// How many records a search finds, counted up to `cap` (the search's own plan,
    /// reading at most `cap + 1` matches).
    pub async fn search_count<R: RecordData>(
        &self,
        q: &str,
        filter: Option<&TypedFilter>,
        cap: u64,
    ) -> Result<Count, StoreError> {
        let mut words = self.plan_search(q).await?;
        if words.is_empty() {
            return Ok(Count::of(0, cap));
        }
        let lead = ranked(&words.remove(lead_word(&words)));
        let mut tx = self.db.read().await?;
        let plan = Plan {
            entity: R::ENTITY,
            filter,
            lead: &lead,
            others: &words,
            index_use: search_index_use(&tx),
        };
        let rows = collect_matches(&mut tx, &plan, &mut 0, None, cap + 1).await?;
        Ok(Count::of(rows.len() as u64, cap))
    }

    pub async fn search<R: RecordData>(&self, req: &SearchRequest) -> Result<Page<R>, StoreError> {
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let mut words = self.plan_search(&req.q).await?;
        if words.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
                total: None,
            });
        }
        let lead = ranked(&words.remove(lead_word(&words)));
        let (mut m, after) = match &req.cursor {
            None => (0, None),
            Some(c) => {
                let c: SearchCursor = decode_cursor(c)?;
                if c.q != req.q || c.m >= lead.len() {
                    return Err(StoreError::InvalidCursor);
                }
                (c.m, Some((c.t, c.k, c.id)))
            }
        };
        let mut tx = self.db.read().await?;
        let plan = Plan {
            entity: R::ENTITY,
            filter: req.filter.as_ref(),
            lead: &lead,
            others: &words,
            index_use: search_index_use(&tx),
        };
        let mut rows = collect_matches(&mut tx, &plan, &mut m, after, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some((m, t, k, row))) => Some(encode_cursor(&SearchCursor {
                q: req.q.clone(),
                m: *m,
                t: t.clone(),
                k: k.clone(),
                id: row.0,
            })),
            _ => None,
        };
        let items: Vec<Record<R>> =
            decode_all(&mut tx, rows.into_iter().map(|(_, _, _, r)| r).collect()).await?;
        Ok(Page {
            items,
            next_cursor,
            total: None,
        })
    }
}

/// The longest word leads: it is usually the most selective.
fn lead_word(words: &[Word]) -> usize {
    (0..words.len())
        .max_by_key(|&i| match &words[i].0[0] {
            TokenMatch::Prefix(p) | TokenMatch::Exact(p) => p.chars().count(),
        })
        .unwrap_or(0)
}

fn search_index_use(tx: &crate::db::Tx) -> IndexUse {
    if tx.dialect() == crate::Dialect::Sqlite {
        IndexUse::SortFirst
    } else {
        IndexUse::Free
    }
}

/// A matched record with where it stands: (lead match, tier, sort key, row).
type Match = (usize, String, String, RecordRow);

/// Up to `wanted` matches from lead match `*m` on (after `after`), in result order;
/// `*m` ends at the lead match the last one came from.
async fn collect_matches(
    tx: &mut crate::db::Tx,
    plan: &Plan<'_>,
    m: &mut usize,
    mut after: Option<(String, String, Uuid)>,
    wanted_total: u64,
) -> Result<Vec<Match>, StoreError> {
    let mut rows: Vec<Match> = Vec::new();
    while *m < plan.lead.len() {
        let wanted = wanted_total - rows.len() as u64;
        let q = match_query(plan, *m, after.take(), wanted);
        type Row = (
            String,
            String,
            Uuid,
            i64,
            chrono::DateTime<chrono::Utc>,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
            String,
        );
        let got: Vec<Row> = tx.all(&q).await?;
        let exhausted = (got.len() as u64) < wanted;
        let lead = *m;
        rows.extend(
            got.into_iter()
                .map(|(t, k, id, v, c, u, d, data)| (lead, t, k, (id, v, c, u, d, data))),
        );
        if !exhausted {
            break;
        }
        *m += 1;
    }
    Ok(rows)
}

/// The matches of the leading word in the order results come in: the record's own name
/// before its other tokens (organisation, e-mail, city), and within each an exact word
/// before a longer one it begins, and typo matches last.
fn ranked(lead: &Word) -> Vec<(i16, TokenMatch)> {
    let mut close = Vec::new();
    let mut typos = Vec::new();
    for m in &lead.0 {
        match m {
            TokenMatch::Prefix(p) => {
                close.push(TokenMatch::Exact(p.clone()));
                close.push(m.clone());
            }
            TokenMatch::Exact(_) => typos.push(m.clone()),
        }
    }
    let tiers = |matches: &[TokenMatch]| -> Vec<(i16, TokenMatch)> {
        [0, 1]
            .into_iter()
            .flat_map(|tier| matches.iter().map(move |m| (tier, m.clone())))
            .collect()
    };
    let mut all = tiers(&close);
    all.extend(tiers(&typos));
    all
}

/// A token of tier `tier` that matches `m`.
fn tier_token(alias: &str, tier: i16, m: &TokenMatch) -> SimpleExpr {
    qcol(alias, "tier")
        .eq(tier)
        .and(token_condition(|| token_of_record(alias), m))
}

/// One search, ready to be run match by match of its leading word.
struct Plan<'a> {
    entity: kartei_core::record::Entity,
    filter: Option<&'a TypedFilter>,
    lead: &'a [(i16, TokenMatch)],
    others: &'a [Word],
    index_use: IndexUse,
}

fn match_query(
    plan: &Plan<'_>,
    m: usize,
    after: Option<(String, String, Uuid)>,
    limit: u64,
) -> SelectStatement {
    let s = |c: &'static str| move || qcol("s", c);
    let mut q = Query::select();
    q.expr(qcol("s", "token")).expr(qcol("s", "sort_key"));
    for c in RECORD_COLUMNS {
        q.expr(qcol(RECORD, c));
    }
    let Plan {
        entity,
        filter,
        lead,
        others,
        index_use,
    } = *plan;
    q.from_as(name("search_tokens"), Alias::new("s")).join_as(
        JoinType::InnerJoin,
        name(entity.table()),
        Alias::new(RECORD),
        qcol(RECORD, "id").equals((Alias::new("s"), Alias::new("record_id"))),
    );
    let (tier, lead_match) = &lead[m];
    q.and_where(qcol("s", "tier").eq(*tier));
    q.and_where(token_condition(s("token"), lead_match));
    // Search is always driven by the token index; a filter only narrows it. SQLite must
    // not be tempted to start from a filter column's index instead.
    restrict(&mut q, filter, index_use);
    // Shown once: only at the record's first matching token.
    let earlier = lead[..m]
        .iter()
        .map(|(t, e)| tier_token("d", *t, e))
        .chain(std::iter::once(tier_token("d", *tier, lead_match).and(
            token_of_record("d").lt(Expr::col((Alias::new("s"), Alias::new("token")))),
        )))
        .reduce(SimpleExpr::or);
    if let Some(earlier) = earlier {
        q.and_where(record_has_token("d", earlier).not());
    }
    for (i, w) in others.iter().enumerate() {
        let alias = format!("w{i}");
        let cond = any_of(|| token_of_record(&alias), &w.0);
        q.and_where(record_has_token(&alias, cond));
    }
    if let Some((t, k, id)) = after {
        q.and_where(
            Expr::tuple([
                qcol("s", "token").into(),
                qcol("s", "sort_key").into(),
                qcol("s", "record_id").into(),
            ])
            .gt(Expr::tuple([
                Expr::val(t).into(),
                Expr::val(k).into(),
                Expr::val(id).into(),
            ])),
        );
    }
    q.order_by((Alias::new("s"), Alias::new("tier")), Order::Asc)
        .order_by((Alias::new("s"), Alias::new("token")), Order::Asc)
        .order_by((Alias::new("s"), Alias::new("sort_key")), Order::Asc)
        .order_by((Alias::new("s"), Alias::new("record_id")), Order::Asc)
        .limit(limit);
    q
}
