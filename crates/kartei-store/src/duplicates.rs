//! Likely duplicates of a contact: candidates that share a blocking key
//! (`match_keys`), scored and explained by kartei-core.

use crate::error::StoreError;
use crate::records::{decode_all, select_records, Record, RecordRow};
use crate::sql::{name, qcol};
use crate::Store;
use kartei_core::contact::ContactData;
use kartei_core::matching::{name_key, score_with_namesakes, MatchScore};
use kartei_core::record::{Entity, RecordData};
use sea_query::{Expr, Query};
use uuid::Uuid;

pub use kartei_core::matching::{LIKELY_FROM, POSSIBLE_FROM};
/// A very common name yields many candidates; this many are looked at.
const MAX_CANDIDATES: u64 = 200;

impl Store {
    /// Live contacts that may be the same person as `draft` (score ≥ [`POSSIBLE_FROM`]),
    /// best first: the hint while a new contact is typed.
    pub async fn likely_duplicates(
        &self,
        draft: &ContactData,
        exclude: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<(Record<ContactData>, MatchScore)>, StoreError> {
        let keys = draft.match_keys();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut candidates = Query::select();
        candidates
            .distinct()
            .column(name("record_id"))
            .from(name("match_keys"))
            .and_where(Expr::col(name("key")).is_in(keys));
        if let Some(id) = exclude {
            candidates.and_where(Expr::col(name("record_id")).ne(id));
        }
        candidates.limit(MAX_CANDIDATES);
        let mut q = select_records(Entity::Contact);
        q.and_where(qcol("c", "id").in_subquery(candidates))
            .and_where(qcol("c", "deleted_at").is_null());
        let mut tx = self.db.read().await?;
        let rows: Vec<RecordRow> = tx.all(&q).await?;
        let records: Vec<Record<ContactData>> = decode_all(&mut tx, rows).await?;
        let namesakes = match name_key(draft) {
            Some(key) => name_counts(&mut tx, Expr::col(name("key")).eq(key.clone()))
                .await?
                .get(&key)
                .copied()
                .unwrap_or(0),
            None => 0,
        };
        let mut scored: Vec<(Record<ContactData>, MatchScore)> = records
            .into_iter()
            .map(|r| {
                let s = score_with_namesakes(draft, &r.data, namesakes);
                (r, s)
            })
            .filter(|(_, s)| s.score >= POSSIBLE_FROM)
            .collect();
        scored.sort_by(|a, b| {
            b.1.score
                .cmp(&a.1.score)
                .then_with(|| a.0.data.sort_name().cmp(&b.0.data.sort_name()))
        });
        scored.truncate(limit);
        Ok(scored)
    }
}

/// How many contacts carry each name key that `condition` selects.
async fn name_counts(
    tx: &mut crate::db::Tx,
    condition: sea_query::SimpleExpr,
) -> Result<std::collections::HashMap<String, u32>, StoreError> {
    let rows: Vec<(String, i64)> = tx
        .all(
            Query::select()
                .column(name("key"))
                .expr(Expr::cust("COUNT(*)"))
                .from(name("match_keys"))
                .and_where(condition)
                .group_by_col(name("key")),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(k, n)| (k, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// Blocks larger than this are too common to compare pair by pair; their members meet
/// their nearest neighbours by name within the block, and each other through narrower
/// keys (mailbox, phone, address, birth date).
pub const MAX_BLOCK: usize = 50;

/// Two contacts that are likely one person.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicatePair {
    pub a: Uuid,
    pub b: Uuid,
    pub a_name: String,
    pub b_name: String,
    /// The contacts' ids in the systems they were imported from.
    pub a_external_id: Option<String>,
    pub b_external_id: Option<String>,
    pub score: MatchScore,
    /// Pairs linked through shared members form one cluster.
    pub cluster: usize,
}

/// The fields scoring looks at, so a million contacts fit in memory.
fn matchable(c: ContactData) -> ContactData {
    ContactData {
        first_name: c.first_name,
        last_name: c.last_name,
        emails: c.emails,
        phones: c.phones,
        addresses: c.addresses,
        organization_id: c.organization_id,
        external_id: c.external_id,
        birthday: c.birthday,
        ..ContactData::default()
    }
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut root = i;
    while parent[root] != root {
        root = parent[root];
    }
    let mut j = i;
    while parent[j] != root {
        let next = parent[j];
        parent[j] = root;
        j = next;
    }
    root
}

impl Store {
    /// Scans all live contacts for likely duplicates, best first. `progress` hears how
    /// many contacts were loaded and how many blocking keys were walked.
    pub async fn scan_duplicates(
        &self,
        min_score: u32,
        progress: impl Fn(&str, usize),
    ) -> Result<Vec<DuplicatePair>, StoreError> {
        use std::collections::{HashMap, HashSet};
        let mut contacts: HashMap<Uuid, (ContactData, u32)> = HashMap::new();
        let mut tx = self.db.read().await?;
        // Name keys all start with "n:" and sort before "n;".
        let counts = name_counts(
            &mut tx,
            Expr::col(name("key"))
                .gte("n:")
                .and(Expr::col(name("key")).lt("n;")),
        )
        .await?;
        drop(tx);
        let mut after: Option<Uuid> = None;
        loop {
            let rows = self.contact_documents(after).await?;
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            for (id, data) in rows {
                let contact = matchable(serde_json::from_str(&data)?);
                let namesakes = name_key(&contact)
                    .and_then(|k| counts.get(&k).copied())
                    .unwrap_or(1);
                contacts.insert(id, (contact, namesakes));
            }
            after = Some(last);
            progress("contacts", contacts.len());
        }
        let mut seen: HashSet<(Uuid, Uuid)> = HashSet::new();
        let mut pairs: Vec<(Uuid, Uuid, MatchScore)> = Vec::new();
        let mut cursor: Option<(String, Uuid)> = None;
        let mut block: Vec<Uuid> = Vec::new();
        let mut block_key = String::new();
        let mut walked = 0;
        let mut compare = |block: &[Uuid], pairs: &mut Vec<(Uuid, Uuid, MatchScore)>| {
            if block.len() < 2 {
                return;
            }
            // A large block (a common name in a big city, a switchboard number) is not
            // compared pair by pair: its members sorted by name, each meets the
            // MAX_BLOCK - 1 that follow it (a sorted neighbourhood), so a pair with
            // near names is still found and the work stays linear in the block.
            let mut members = block.to_vec();
            if members.len() > MAX_BLOCK {
                members.sort_by_cached_key(|id| {
                    contacts
                        .get(id)
                        .map(|(c, _)| c.sort_name())
                        .unwrap_or_default()
                });
            }
            for (i, a) in members.iter().enumerate() {
                for b in members.iter().skip(i + 1).take(MAX_BLOCK - 1) {
                    let key = if a < b { (*a, *b) } else { (*b, *a) };
                    if !seen.insert(key) {
                        continue;
                    }
                    if let (Some((x, nx)), Some((y, ny))) =
                        (contacts.get(&key.0), contacts.get(&key.1))
                    {
                        let s = score_with_namesakes(x, y, *nx.max(ny));
                        if s.score >= min_score {
                            pairs.push((key.0, key.1, s));
                        }
                    }
                }
            }
        };
        loop {
            let mut q = Query::select();
            q.columns([name("key"), name("record_id")])
                .from(name("match_keys"))
                .order_by(name("key"), sea_query::Order::Asc)
                .order_by(name("record_id"), sea_query::Order::Asc)
                .limit(20_000);
            if let Some((k, id)) = &cursor {
                q.and_where(
                    Expr::tuple([
                        Expr::col(name("key")).into(),
                        Expr::col(name("record_id")).into(),
                    ])
                    .gt(Expr::tuple([
                        Expr::val(k.clone()).into(),
                        Expr::val(*id).into(),
                    ])),
                );
            }
            let mut tx = self.db.read().await?;
            let rows: Vec<(String, Uuid)> = tx.all(&q).await?;
            drop(tx);
            let Some(last) = rows.last().cloned() else {
                break;
            };
            walked += rows.len();
            for (key, id) in rows {
                if key != block_key {
                    compare(&block, &mut pairs);
                    block.clear();
                    block_key = key;
                }
                if contacts.contains_key(&id) {
                    block.push(id);
                }
            }
            cursor = Some(last);
            progress("keys", walked);
        }
        compare(&block, &mut pairs);
        // Clusters: contacts linked by likely-duplicate pairs.
        let mut index: HashMap<Uuid, usize> = HashMap::new();
        for (a, b, _) in &pairs {
            for id in [a, b] {
                let n = index.len();
                index.entry(*id).or_insert(n);
            }
        }
        let mut parent: Vec<usize> = (0..index.len()).collect();
        for (a, b, _) in &pairs {
            let (ra, rb) = (find(&mut parent, index[a]), find(&mut parent, index[b]));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        let mut numbers: HashMap<usize, usize> = HashMap::new();
        pairs.sort_by(|x, y| {
            y.2.score
                .cmp(&x.2.score)
                .then(x.0.cmp(&y.0))
                .then(x.1.cmp(&y.1))
        });
        Ok(pairs
            .into_iter()
            .map(|(a, b, s)| {
                let root = find(&mut parent, index[&a]);
                let next = numbers.len() + 1;
                let cluster = *numbers.entry(root).or_insert(next);
                let name_of = |id: &Uuid| {
                    contacts
                        .get(id)
                        .map(|(c, _)| c.display_name())
                        .unwrap_or_default()
                };
                let external =
                    |id: &Uuid| contacts.get(id).and_then(|(c, _)| c.external_id.clone());
                DuplicatePair {
                    a,
                    b,
                    a_name: name_of(&a),
                    b_name: name_of(&b),
                    a_external_id: external(&a),
                    b_external_id: external(&b),
                    score: s,
                    cluster,
                }
            })
            .collect())
    }
}

/// A pair found by the last saved scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub a: Uuid,
    pub b: Uuid,
    pub score: u32,
    pub reasons: Vec<kartei_core::matching::Reason>,
    pub cluster: i64,
}

/// When the last saved scan ran and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanState {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub contacts: i64,
    pub pairs: i64,
}

type ScanRow = (
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
    i64,
    i64,
);

/// Reads a page cursor of the duplicate pairs: `score.a.b` of the last pair shown.
fn decode_pair_cursor(cursor: &str) -> Result<(i64, Uuid, Uuid), StoreError> {
    let bad = || StoreError::InvalidCursor;
    let mut parts = cursor.split('.');
    let score = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let a = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let b = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok((score, a, b))
}

/// The id of the one row of `duplicate_scans`.
const SCAN_ROW: i64 = 1;

impl Store {
    /// Scans all contacts and keeps the likely pairs (score ≥ [`LIKELY_FROM`]) for the
    /// review page, leaving out pairs marked as different people. Replaces the last
    /// scan's result in one transaction at the end; while it runs, the last result stays.
    pub async fn save_duplicate_scan(
        &self,
        progress: impl Fn(&str, usize),
    ) -> Result<ScanState, StoreError> {
        let started_at = crate::now();
        {
            let mut tx = self.db.write().await?;
            tx.execute(
                Query::delete()
                    .from_table(name("duplicate_scans"))
                    .and_where(Expr::col(name("id")).eq(SCAN_ROW)),
            )
            .await?;
            tx.execute(
                Query::insert()
                    .into_table(name("duplicate_scans"))
                    .columns(["id", "started_at", "contacts", "pairs"].map(name))
                    .values_panic([SCAN_ROW.into(), started_at.into(), 0i64.into(), 0i64.into()]),
            )
            .await?;
            tx.commit().await?;
        }
        let contacts = std::sync::atomic::AtomicUsize::new(0);
        let pairs = self
            .scan_duplicates(LIKELY_FROM, |what, n| {
                if what == "contacts" {
                    contacts.store(n, std::sync::atomic::Ordering::Relaxed);
                }
                progress(what, n);
            })
            .await?;
        let mut tx = self.db.write().await?;
        let distinct: Vec<(Uuid, Uuid)> = tx
            .all(
                Query::select()
                    .columns([name("a"), name("b")])
                    .from(name("distinct_pairs")),
            )
            .await?;
        let distinct: std::collections::HashSet<(Uuid, Uuid)> = distinct.into_iter().collect();
        tx.execute(
            &Query::delete()
                .from_table(name("duplicate_candidates"))
                .to_owned(),
        )
        .await?;
        let kept: Vec<&DuplicatePair> = pairs
            .iter()
            .filter(|p| !distinct.contains(&(p.a, p.b)))
            .collect();
        for chunk in kept.chunks(500) {
            let mut insert = Query::insert();
            insert
                .into_table(name("duplicate_candidates"))
                .columns(["a", "b", "score", "reasons", "cluster"].map(name));
            for p in chunk {
                insert.values_panic([
                    p.a.into(),
                    p.b.into(),
                    i64::from(p.score.score).into(),
                    serde_json::to_string(&p.score.reasons)?.into(),
                    (p.cluster as i64).into(),
                ]);
            }
            tx.execute(&insert).await?;
        }
        let state = ScanState {
            started_at,
            finished_at: Some(crate::now()),
            contacts: contacts.load(std::sync::atomic::Ordering::Relaxed) as i64,
            pairs: kept.len() as i64,
        };
        tx.execute(
            Query::update()
                .table(name("duplicate_scans"))
                .values([
                    (name("finished_at"), state.finished_at.into()),
                    (name("contacts"), state.contacts.into()),
                    (name("pairs"), state.pairs.into()),
                ])
                .and_where(Expr::col(name("id")).eq(SCAN_ROW)),
        )
        .await?;
        tx.commit().await?;
        Ok(state)
    }

    /// The last scan, if one ran.
    pub async fn duplicate_scan(&self) -> Result<Option<ScanState>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<ScanRow> = tx
            .optional(
                Query::select()
                    .columns(["started_at", "finished_at", "contacts", "pairs"].map(name))
                    .from(name("duplicate_scans"))
                    .and_where(Expr::col(name("id")).eq(SCAN_ROW)),
            )
            .await?;
        Ok(
            row.map(|(started_at, finished_at, contacts, pairs)| ScanState {
                started_at,
                finished_at,
                contacts,
                pairs,
            }),
        )
    }

    /// Pairs of the last scan whose contacts are both still live, most likely first,
    /// after `cursor` (from the previous page), and the cursor of the next page. The
    /// page walks the index `(score, a, b)` from the top and checks each pair's
    /// contacts by primary key, so it costs the same on the first page and the
    /// thousandth, at any number of contacts.
    pub async fn duplicate_candidates(
        &self,
        cursor: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Candidate>, Option<String>), StoreError> {
        let after = cursor.map(decode_pair_cursor).transpose()?;
        let live = |col: &str| {
            let mut q = Query::select();
            q.expr(Expr::val(1))
                .from_as(name("contacts"), name("c"))
                .and_where(Expr::col((name("c"), name("id"))).equals((name("d"), name(col))))
                .and_where(Expr::col((name("c"), name("deleted_at"))).is_null());
            Expr::exists(q)
        };
        let mut q = Query::select();
        q.columns(["a", "b", "score", "reasons", "cluster"].map(|c| (name("d"), name(c))))
            .from_as(name("duplicate_candidates"), name("d"))
            .and_where(live("a"))
            .and_where(live("b"))
            .order_by((name("d"), name("score")), sea_query::Order::Desc)
            .order_by((name("d"), name("a")), sea_query::Order::Desc)
            .order_by((name("d"), name("b")), sea_query::Order::Desc)
            .limit(limit)
            .offset(offset);
        if let Some((score, a, b)) = after {
            q.and_where(
                Expr::tuple([
                    Expr::col((name("d"), name("score"))).into(),
                    Expr::col((name("d"), name("a"))).into(),
                    Expr::col((name("d"), name("b"))).into(),
                ])
                .lt(Expr::tuple([
                    Expr::val(score).into(),
                    Expr::val(a).into(),
                    Expr::val(b).into(),
                ])),
            );
        }
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid, Uuid, i64, String, i64)> = tx.all(&q).await?;
        let next = (rows.len() as u64 == limit)
            .then(|| rows.last().map(|r| format!("{}.{}.{}", r.2, r.0, r.1)))
            .flatten();
        let items = rows
            .into_iter()
            .map(|(a, b, score, reasons, cluster)| {
                Ok(Candidate {
                    a,
                    b,
                    score: u32::try_from(score).unwrap_or(0),
                    reasons: serde_json::from_str(&reasons)?,
                    cluster,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((items, next))
    }

    /// Marks two contacts as different people: later scans leave the pair out.
    pub async fn mark_distinct(&self, a: Uuid, b: Uuid) -> Result<(), StoreError> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::delete()
                .from_table(name("distinct_pairs"))
                .and_where(Expr::col(name("a")).eq(a))
                .and_where(Expr::col(name("b")).eq(b)),
        )
        .await?;
        tx.execute(
            Query::insert()
                .into_table(name("distinct_pairs"))
                .columns([name("a"), name("b")])
                .values_panic([a.into(), b.into()]),
        )
        .await?;
        tx.execute(
            Query::delete()
                .from_table(name("duplicate_candidates"))
                .and_where(Expr::col(name("a")).eq(a))
                .and_where(Expr::col(name("b")).eq(b)),
        )
        .await?;
        tx.commit().await
    }
}
