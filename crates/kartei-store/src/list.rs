//! Lists with filter, sort and keyset pagination: no OFFSET anywhere, so page 1000 costs
//! what page 1 costs.
//!
//! A sort runs in two phases: records with a value, ordered by `(value, id)`, then
//! records without one, ordered by id. That puts empty values last in both directions
//! on both databases (which order NULLs differently) while every phase stays an index
//! range scan.

use crate::error::StoreError;
use crate::filter::{restrict, IndexUse, RECORD};
use crate::records::{decode_all, select_records, Record, RecordRow};
use crate::sql::{name, qcol};
use crate::Dialect;
use crate::Store;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use kartei_core::custom_field::{index_key, CustomFieldDef};
use kartei_core::fields::FieldKind;
use kartei_core::filter::{Sort, Target, TypedFilter};
use kartei_core::record::{IndexValue, RecordData};
use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement, SimpleExpr, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filter: Option<TypedFilter>,
    pub sort: Sort,
    pub cursor: Option<String>,
    pub limit: u64,
    pub with_total: bool,
}

#[derive(Debug, Clone)]
pub struct Page<R> {
    pub items: Vec<Record<R>>,
    pub next_cursor: Option<String>,
    pub total: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ListCursor {
    /// The sort the cursor belongs to; a cursor is rejected under another sort.
    s: String,
    /// 0: records with a value, 1: records without.
    p: u8,
    v: Option<serde_json::Value>,
    id: Uuid,
}

pub(crate) fn encode_cursor<T: Serialize>(c: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

pub(crate) fn decode_cursor<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| StoreError::InvalidCursor)?;
    serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)
}

/// Columns that always hold a value need no second phase.
fn nullable(target: &Target) -> bool {
    !matches!(
        target,
        Target::Column {
            column: "sort_name" | "created_at" | "updated_at",
            ..
        }
    )
}

/// The sort value of a record, as the cursor stores it.
fn sort_value<R: RecordData>(
    r: &Record<R>,
    target: &Target,
    defs: &[CustomFieldDef],
) -> Option<serde_json::Value> {
    let stamp = |t: &DateTime<Utc>| json!(t.to_rfc3339_opts(SecondsFormat::Micros, true));
    match target {
        Target::Column {
            column: "sort_name",
            ..
        } => Some(json!(r.data.sort_key())),
        Target::Column {
            column: "created_at",
            ..
        } => Some(stamp(&r.created_at)),
        Target::Column {
            column: "updated_at",
            ..
        } => Some(stamp(&r.updated_at)),
        Target::Column { column, .. } => r
            .data
            .index_values()
            .into_iter()
            .find(|(c, _)| c == column)
            .and_then(|(_, v)| match v {
                IndexValue::Text(t) => t.map(|t| json!(t)),
                IndexValue::Int(i) => i.map(|i| json!(i)),
                IndexValue::Date(d) => d.map(|d| json!(d.to_string())),
                IndexValue::Timestamp(t) => t.map(|t| stamp(&t)),
                IndexValue::Uuid(u) => u.map(|u| json!(u)),
            }),
        Target::Custom { field_id, kind } => {
            let def = defs.iter().find(|d| d.id == *field_id)?;
            r.data
                .custom()
                .get(&def.key)
                .and_then(|v| index_key(*kind, v))
                .map(|k| json!(k))
        }
    }
}

/// Turns a cursor's sort value back into a typed SQL value.
fn cursor_value(target: &Target, v: &serde_json::Value) -> Result<Value, StoreError> {
    let text = || {
        v.as_str()
            .map(str::to_string)
            .ok_or(StoreError::InvalidCursor)
    };
    Ok(match target {
        Target::Column {
            kind: FieldKind::Integer | FieldKind::Boolean,
            ..
        } => v.as_i64().ok_or(StoreError::InvalidCursor)?.into(),
        Target::Column {
            kind: FieldKind::Date,
            ..
        } => NaiveDate::parse_from_str(&text()?, "%Y-%m-%d")
            .map_err(|_| StoreError::InvalidCursor)?
            .into(),
        Target::Column {
            kind: FieldKind::Timestamp,
            ..
        } => DateTime::parse_from_rfc3339(&text()?)
            .map_err(|_| StoreError::InvalidCursor)?
            .with_timezone(&Utc)
            .into(),
        Target::Column {
            kind: FieldKind::Reference,
            ..
        } => Uuid::parse_str(&text()?)
            .map_err(|_| StoreError::InvalidCursor)?
            .into(),
        _ => text()?.into(),
    })
}

/// The expression a phase-0 query orders by. "name" filters by the matching key
/// (`sort_name`) but sorts by the dictionary key (`sort_key`, DIN 5007).
fn sort_expr(target: &Target) -> Expr {
    match target {
        Target::Column {
            column: "sort_name",
            ..
        } => qcol(RECORD, "sort_key"),
        Target::Column { column, .. } => qcol(RECORD, column),
        Target::Custom { .. } => qcol("sv", "value"),
    }
}

fn phase_query(
    entity: kartei_core::record::Entity,
    req: &ListRequest,
    phase: u8,
    after: Option<(Value, Uuid)>,
    limit: u64,
    index_use: IndexUse,
) -> SelectStatement {
    let mut q = select_records(entity);
    restrict(&mut q, req.filter.as_ref(), index_use);
    let id = || qcol(RECORD, "id");
    if phase == 0 {
        let dir = if req.sort.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        if let Target::Custom { field_id, .. } = req.sort.target {
            q.join_as(
                JoinType::InnerJoin,
                name("custom_values"),
                Alias::new("sv"),
                qcol("sv", "record_id")
                    .equals((Alias::new(RECORD), Alias::new("id")))
                    .and(qcol("sv", "field_id").eq(field_id)),
            );
        } else {
            q.and_where(sort_expr(&req.sort.target).is_not_null());
        }
        if let Some((v, after_id)) = after {
            let left = Expr::tuple([SimpleExpr::from(sort_expr(&req.sort.target)), id().into()]);
            let right = Expr::tuple([SimpleExpr::Value(v), after_id.into()]);
            q.and_where(if req.sort.descending {
                left.lt(right)
            } else {
                left.gt(right)
            });
        }
        q.order_by_expr(sort_expr(&req.sort.target).into(), dir.clone())
            .order_by_expr(id().into(), dir);
    } else {
        match req.sort.target {
            Target::Column { column, .. } => {
                q.and_where(qcol(RECORD, column).is_null());
            }
            Target::Custom { field_id, .. } => {
                let mut has = Query::select();
                has.expr(Expr::val(1))
                    .from_as(name("custom_values"), Alias::new("sv"))
                    .and_where(
                        qcol("sv", "record_id").equals((Alias::new(RECORD), Alias::new("id"))),
                    )
                    .and_where(qcol("sv", "field_id").eq(field_id));
                q.and_where(Expr::exists(has).not());
            }
        }
        if let Some((_, after_id)) = after {
            q.and_where(id().gt(after_id));
        }
        q.order_by_expr(id().into(), Order::Asc);
    }
    q.limit(limit);
    q
}

/// Above this many matches, a page is found faster by walking the sort index and
/// testing the filter than by collecting all matches and sorting them.
const SORT_FIRST_FROM: u64 = 1000;

/// Chooses how SQLite should run a filtered page. Its planner only knows average
/// selectivities (`sqlite_stat1`) and drives "customers in Berlin" (15% of a million
/// contacts) by the city index, sorting 150,000 rows per page. One capped count through
/// the filter's own index tells which plan is right. PostgreSQL decides this itself
/// from its column statistics.
pub(crate) async fn sort_or_filter_first(
    tx: &mut crate::db::Tx,
    entity: kartei_core::record::Entity,
    filter: Option<&TypedFilter>,
) -> Result<IndexUse, StoreError> {
    if tx.dialect() != Dialect::Sqlite || filter.is_none() {
        return Ok(IndexUse::Free);
    }
    let n = count_capped(tx, entity, filter, SORT_FIRST_FROM).await?;
    Ok(if n >= SORT_FIRST_FROM {
        IndexUse::SortFirst
    } else {
        IndexUse::Free
    })
}

/// How many live records of `entity` match `filter`, reading at most `limit`.
async fn count_capped(
    tx: &mut crate::db::Tx,
    entity: kartei_core::record::Entity,
    filter: Option<&TypedFilter>,
    limit: u64,
) -> Result<u64, StoreError> {
    let mut matches = Query::select();
    matches
        .expr(Expr::val(1))
        .from_as(name(entity.table()), Alias::new(RECORD))
        .limit(limit);
    restrict(&mut matches, filter, IndexUse::Free);
    let (n,): (i64,) = tx
        .one(
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from_subquery(matches, Alias::new("m")),
        )
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many records a list or search has: exact up to a cap, else "more than".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub n: u64,
    /// There are more than `n`.
    pub more: bool,
}

impl Count {
    pub(crate) fn of(found: u64, cap: u64) -> Count {
        Count {
            n: found.min(cap),
            more: found > cap,
        }
    }
}

impl Store {
    /// How many live records match `filter`, counted up to `cap` (reading at most
    /// `cap + 1` index entries, so a count stays cheap at a million records).
    pub async fn count_up_to<R: RecordData>(
        &self,
        filter: Option<&TypedFilter>,
        cap: u64,
    ) -> Result<Count, StoreError> {
        let mut tx = self.db.read().await?;
        crate::consents::check_purposes(&mut tx, filter).await?;
        let n = count_capped(&mut tx, R::ENTITY, filter, cap + 1).await?;
        Ok(Count::of(n, cap))
    }

    pub async fn list<R: RecordData>(&self, req: &ListRequest) -> Result<Page<R>, StoreError> {
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let defs = match req.sort.target {
            Target::Custom { .. } => self.custom_fields(Some(R::ENTITY)).await?,
            Target::Column { .. } => Vec::new(),
        };
        let (mut phase, mut after) = match &req.cursor {
            None => (0u8, None),
            Some(c) => {
                let c: ListCursor = decode_cursor(c)?;
                if c.s != req.sort.field || c.p > 1 {
                    return Err(StoreError::InvalidCursor);
                }
                let v = match (&c.v, c.p) {
                    (Some(v), 0) => cursor_value(&req.sort.target, v)?,
                    (None, 1) => Value::Bool(None),
                    _ => return Err(StoreError::InvalidCursor),
                };
                (c.p, Some((v, c.id)))
            }
        };
        let mut tx = self.db.read().await?;
        crate::consents::check_purposes(&mut tx, req.filter.as_ref()).await?;
        let index_use = sort_or_filter_first(&mut tx, R::ENTITY, req.filter.as_ref()).await?;
        let mut rows: Vec<(u8, RecordRow)> = Vec::new();
        loop {
            let wanted = limit + 1 - rows.len() as u64;
            let got: Vec<RecordRow> = tx
                .all(&phase_query(
                    R::ENTITY,
                    req,
                    phase,
                    after.take(),
                    wanted,
                    index_use,
                ))
                .await?;
            let exhausted = (got.len() as u64) < wanted;
            rows.extend(got.into_iter().map(|r| (phase, r)));
            if !exhausted || phase == 1 || !nullable(&req.sort.target) {
                break;
            }
            phase = 1;
        }
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let last_phase = rows.last().map(|(p, _)| *p);
        let items: Vec<Record<R>> =
            decode_all(&mut tx, rows.into_iter().map(|(_, r)| r).collect()).await?;
        let next_cursor = match (more, items.last(), last_phase) {
            (true, Some(last), Some(p)) => Some(encode_cursor(&ListCursor {
                s: req.sort.field.clone(),
                p,
                v: if p == 0 {
                    sort_value(last, &req.sort.target, &defs)
                } else {
                    None
                },
                id: last.id,
            })),
            _ => None,
        };
        let total = if req.with_total {
            let mut q = Query::select();
            q.expr(Expr::col((Alias::new(RECORD), Alias::new("id"))).count())
                .from_as(name(R::ENTITY.table()), Alias::new(RECORD));
            restrict(&mut q, req.filter.as_ref(), IndexUse::Free);
            let (n,): (i64,) = tx.one(&q).await?;
            Some(n)
        } else {
            None
        };
        Ok(Page {
            items,
            next_cursor,
            total,
        })
    }
}

impl Store {
    /// Up to `n` random live record ids (a full scan: for benchmarks and samples).
    pub async fn sample_ids(
        &self,
        entity: kartei_core::record::Entity,
        n: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid,)> = tx
            .all(
                Query::select()
                    .column(name("id"))
                    .from(name(entity.table()))
                    .and_where(Expr::col(name("deleted_at")).is_null())
                    .order_by_expr(Expr::cust("random()"), Order::Asc)
                    .limit(n),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
