//! A customer's history across kinds: the timeline of a contact or organisation, the
//! purchase summary, the kanban board of a pipeline and the stage history of a deal.

use crate::error::StoreError;
use crate::list::{decode_cursor, encode_cursor};
use crate::records::{decode_all, select_records, Record};
use crate::sql::{name, qcol};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_core::activity::ActivityData;
use kartei_core::commerce::REVENUE_STATUSES;
use kartei_core::deal::DealData;
use kartei_core::record::Entity;
use sea_query::{Alias, Expr, Func, Order, Query, SimpleExpr};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The kinds a timeline is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Activity,
    Deal,
    Order,
    Ticket,
    Feedback,
    Loyalty,
    Consent,
    Change,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 8] = [
        TimelineKind::Activity,
        TimelineKind::Deal,
        TimelineKind::Order,
        TimelineKind::Ticket,
        TimelineKind::Feedback,
        TimelineKind::Loyalty,
        TimelineKind::Consent,
        TimelineKind::Change,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Activity => "activity",
            TimelineKind::Deal => "deal",
            TimelineKind::Order => "order",
            TimelineKind::Ticket => "ticket",
            TimelineKind::Feedback => "feedback",
            TimelineKind::Loyalty => "loyalty",
            TimelineKind::Consent => "consent",
            TimelineKind::Change => "change",
        }
    }

    pub fn parse(s: &str) -> Option<TimelineKind> {
        TimelineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// (table, time column, contact column, organisation column, has a trash)
    fn source(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        bool,
    ) {
        match self {
            TimelineKind::Activity => (
                "activities",
                "happened_at",
                "contact_id",
                Some("organization_id"),
                true,
            ),
            TimelineKind::Deal => (
                "deals",
                "created_at",
                "contact_id",
                Some("organization_id"),
                true,
            ),
            TimelineKind::Order => (
                "orders",
                "happened_at",
                "contact_id",
                Some("organization_id"),
                true,
            ),
            TimelineKind::Ticket => (
                "tickets",
                "created_at",
                "contact_id",
                Some("organization_id"),
                true,
            ),
            TimelineKind::Feedback => ("feedback", "happened_at", "contact_id", None, true),
            TimelineKind::Loyalty => ("loyalty_ledger", "at", "contact_id", None, false),
            TimelineKind::Consent => ("consent_events", "occurred_at", "contact_id", None, false),
            TimelineKind::Change => ("audit_log", "at", "record_id", Some("record_id"), false),
        }
    }
}

/// One entry of a timeline: the record (or ledger entry, or audit entry) as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineItem {
    pub kind: TimelineKind,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinePage {
    pub items: Vec<TimelineItem>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct TimelineCursor {
    at: DateTime<Utc>,
    id: Uuid,
}

/// Orders of a contact that count as revenue, by currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Purchases {
    pub orders: i64,
    /// (currency, gross in minor units)
    pub revenue: Vec<(String, i64)>,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
}

/// A column of the kanban board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardColumn {
    pub stage_id: Uuid,
    pub count: i64,
    /// (currency, sum of values in minor units)
    pub sums: Vec<(String, i64)>,
    /// The most recently changed deals of the stage.
    pub deals: Vec<Record<DealData>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageVisit {
    pub stage_id: Uuid,
    pub entered_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
}

/// id, time, action, actor, before, after, import
type ChangeRow = (
    Uuid,
    DateTime<Utc>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Uuid>,
);
/// What a consent event shows on the timeline.
const CONSENT_COLUMNS: [&str; 6] = [
    "channel",
    "purpose",
    "status",
    "basis",
    "source",
    "recorded_by_name",
];
type ConsentRow = (
    Uuid,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    String,
);
/// currency, orders, gross, first, last
type PurchaseRow = (String, i64, i64, Option<NaiveDate>, Option<NaiveDate>);

impl Store {
    /// The timeline of a contact, organisation or deal: the newest `limit` entries of the
    /// chosen kinds (all when empty), before `cursor`. Each kind is read with its own
    /// index `(owner, time, id)`, so a page costs the same at 10 or 10,000 entries.
    pub async fn timeline(
        &self,
        owner: Entity,
        id: Uuid,
        kinds: &[TimelineKind],
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<TimelinePage, StoreError> {
        let limit = limit.clamp(1, 200);
        let before: Option<TimelineCursor> = cursor.map(decode_cursor).transpose()?;
        let kinds = if kinds.is_empty() {
            &TimelineKind::ALL[..]
        } else {
            kinds
        };
        let mut tx = self.db.read().await?;
        let mut items = Vec::new();
        for kind in kinds {
            let (table, time, contact_col, org_col, trash) = kind.source();
            let link = match owner {
                Entity::Contact => contact_col,
                Entity::Organization => match org_col {
                    Some(c) => c,
                    None => continue,
                },
                // A deal's page shows what was done about it and how it changed.
                Entity::Deal => match kind {
                    TimelineKind::Activity => "deal_id",
                    TimelineKind::Change => "record_id",
                    _ => continue,
                },
                _ => return Err(StoreError::NotFound),
            };
            let data_col = if *kind == TimelineKind::Change {
                "after_data"
            } else {
                "data"
            };
            let mut q = Query::select();
            q.column(name("id"))
                .expr_as(Expr::col(name(time)), Alias::new("t"))
                .from(name(table))
                .and_where(Expr::col(name(link)).eq(id))
                .and_where(Expr::col(name(time)).is_not_null())
                .order_by(name(time), Order::Desc)
                .order_by(name("id"), Order::Desc)
                .limit(limit);
            match kind {
                TimelineKind::Loyalty => {
                    q.columns(["kind", "points", "reason", "actor_name"].map(name));
                }
                TimelineKind::Consent => {
                    q.columns(CONSENT_COLUMNS.map(name));
                }
                TimelineKind::Change => {
                    q.columns(
                        [
                            "action",
                            "actor_name",
                            "before_data",
                            "after_data",
                            "import_id",
                        ]
                        .map(name),
                    );
                }
                _ => {
                    q.column(name(data_col));
                }
            }
            if trash {
                q.and_where(Expr::col(name("deleted_at")).is_null());
            }
            if *kind == TimelineKind::Change {
                // Who looked at bank details is for the history, not the timeline.
                q.and_where(Expr::col(name("action")).ne(crate::subject::SENSITIVE_READ));
            }
            if let Some(c) = &before {
                q.and_where(
                    Expr::tuple([Expr::col(name(time)).into(), Expr::col(name("id")).into()]).lt(
                        Expr::tuple([Expr::val(c.at).into(), Expr::val(c.id).into()]),
                    ),
                );
            }
            match kind {
                TimelineKind::Loyalty => {
                    let rows: Vec<(Uuid, DateTime<Utc>, String, i64, String, String)> =
                        tx.all(&q).await?;
                    items.extend(rows.into_iter().map(|(id, at, k, points, reason, actor)| TimelineItem {
                        kind: *kind,
                        id,
                        at,
                        data: serde_json::json!({"kind": k, "points": points, "reason": reason, "actor_name": actor}),
                    }));
                }
                TimelineKind::Consent => {
                    let rows: Vec<ConsentRow> = tx.all(&q).await?;
                    for (id, at, channel, purpose, status, basis, source, by) in rows {
                        let values = [channel, purpose, status, basis, source, by];
                        let data: serde_json::Map<String, Value> = CONSENT_COLUMNS
                            .iter()
                            .map(|c| (*c).to_string())
                            .zip(values.into_iter().map(Value::String))
                            .collect();
                        items.push(TimelineItem {
                            kind: *kind,
                            id,
                            at,
                            data: Value::Object(data),
                        });
                    }
                }
                TimelineKind::Change => {
                    let rows: Vec<ChangeRow> = tx.all(&q).await?;
                    let sources =
                        crate::audit::import_sources(&mut tx, rows.iter().filter_map(|r| r.6))
                            .await?;
                    for (id, at, action, actor, before, after, import) in rows {
                        let import = import.and_then(|i| sources.get(&i));
                        let parse = |s: Option<String>| -> Result<Value, StoreError> {
                            Ok(s.map(|s| serde_json::from_str(&s))
                                .transpose()?
                                .unwrap_or(Value::Null))
                        };
                        items.push(TimelineItem {
                            kind: *kind,
                            id,
                            at,
                            data: serde_json::json!({"action": action, "actor_name": actor, "before": parse(before)?, "after": parse(after)?, "import": import}),
                        });
                    }
                }
                _ => {
                    let rows: Vec<(Uuid, DateTime<Utc>, String)> = tx.all(&q).await?;
                    for (id, at, data) in rows {
                        items.push(TimelineItem {
                            kind: *kind,
                            id,
                            at,
                            data: serde_json::from_str(&data)?,
                        });
                    }
                }
            }
        }
        items.sort_by_key(|i| std::cmp::Reverse((i.at, i.id)));
        items.truncate(limit as usize);
        let next_cursor = (items.len() as u64 == limit)
            .then(|| {
                items
                    .last()
                    .map(|i| encode_cursor(&TimelineCursor { at: i.at, id: i.id }))
            })
            .flatten();
        Ok(TimelinePage { items, next_cursor })
    }

    /// What a contact bought: orders that count as revenue, totals per currency.
    pub async fn purchases(&self, contact_id: Uuid) -> Result<Purchases, StoreError> {
        let mut tx = self.db.read().await?;
        let statuses: Vec<SimpleExpr> = REVENUE_STATUSES.iter().map(|s| (*s).into()).collect();
        let rows: Vec<PurchaseRow> = tx
            .all(
                Query::select()
                    .column(name("currency"))
                    .expr(Func::count(Expr::col(name("id"))))
                    .expr(crate::sql::sum_i64("gross_minor"))
                    .expr(Func::min(Expr::col(name("ordered_on"))))
                    .expr(Func::max(Expr::col(name("ordered_on"))))
                    .from(name("orders"))
                    .and_where(Expr::col(name("contact_id")).eq(contact_id))
                    .and_where(Expr::col(name("deleted_at")).is_null())
                    .and_where(Expr::col(name("status")).is_in(statuses))
                    .group_by_col(name("currency"))
                    .order_by(name("currency"), Order::Asc),
            )
            .await?;
        Ok(Purchases {
            orders: rows.iter().map(|r| r.1).sum(),
            revenue: rows.iter().map(|r| (r.0.clone(), r.2)).collect(),
            first: rows.iter().filter_map(|r| r.3).min(),
            last: rows.iter().filter_map(|r| r.4).max(),
        })
    }

    /// The kanban board of a pipeline: per stage the count and value of its deals and
    /// the `per_stage` most recently changed ones.
    pub async fn deal_board(
        &self,
        pipeline_id: Uuid,
        stages: &[Uuid],
        per_stage: u64,
    ) -> Result<Vec<BoardColumn>, StoreError> {
        let mut tx = self.db.read().await?;
        let totals: Vec<(Uuid, String, i64, i64)> = tx
            .all(
                Query::select()
                    .column(name("stage_id"))
                    .column(name("currency"))
                    .expr(Func::count(Expr::col(name("id"))))
                    .expr(crate::sql::sum_i64("value_minor"))
                    .from(name("deals"))
                    .and_where(Expr::col(name("pipeline_id")).eq(pipeline_id))
                    .and_where(Expr::col(name("deleted_at")).is_null())
                    .group_by_col(name("stage_id"))
                    .group_by_col(name("currency")),
            )
            .await?;
        let mut columns = Vec::with_capacity(stages.len());
        for stage in stages {
            let mut q = select_records(Entity::Deal);
            q.and_where(qcol("c", "stage_id").eq(*stage))
                .and_where(qcol("c", "pipeline_id").eq(pipeline_id))
                .and_where(qcol("c", "deleted_at").is_null())
                .order_by((Alias::new("c"), Alias::new("updated_at")), Order::Desc)
                .order_by((Alias::new("c"), Alias::new("id")), Order::Desc)
                .limit(per_stage);
            let rows = tx.all(&q).await?;
            let deals = decode_all::<DealData>(&mut tx, rows).await?;
            let mine: Vec<&(Uuid, String, i64, i64)> =
                totals.iter().filter(|t| t.0 == *stage).collect();
            columns.push(BoardColumn {
                stage_id: *stage,
                count: mine.iter().map(|t| t.2).sum(),
                sums: mine.iter().map(|t| (t.1.clone(), t.3)).collect(),
                deals,
            });
        }
        Ok(columns)
    }

    /// The next thing to do about each deal: its earliest open task (overdue ones
    /// included) or coming meeting, for the cards of the board.
    pub async fn next_activities(
        &self,
        deal_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Record<ActivityData>>, StoreError> {
        let mut next = HashMap::new();
        let mut tx = self.db.read().await?;
        for chunk in deal_ids.chunks(crate::sql::chunk_size(1)) {
            let open_task = Expr::col(name("kind"))
                .eq("task")
                .and(Expr::col(name("done")).eq(0));
            let coming_meeting = Expr::col(name("kind"))
                .eq("meeting")
                .and(Expr::col(name("starts_at")).gte(crate::now()));
            let mut q = select_records(Entity::Activity);
            q.and_where(Expr::col(name("deal_id")).is_in(chunk.iter().copied()))
                .and_where(Expr::col(name("deleted_at")).is_null())
                .and_where(open_task.or(coming_meeting))
                .order_by(name("happened_at"), Order::Asc)
                .order_by(name("id"), Order::Asc);
            let rows = tx.all(&q).await?;
            for activity in decode_all::<ActivityData>(&mut tx, rows).await? {
                if let Some(deal) = activity.data.deal_id {
                    next.entry(deal).or_insert(activity);
                }
            }
        }
        Ok(next)
    }

    /// Every stage a deal entered, oldest first.
    pub async fn stage_history(&self, deal_id: Uuid) -> Result<Vec<StageVisit>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid, DateTime<Utc>, Option<Uuid>)> = tx
            .all(
                Query::select()
                    .columns(["stage_id", "entered_at", "actor_id"].map(name))
                    .from(name("deal_stage_history"))
                    .and_where(Expr::col(name("deal_id")).eq(deal_id))
                    .order_by(name("entered_at"), Order::Asc)
                    .order_by(name("id"), Order::Asc),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(stage_id, entered_at, actor_id)| StageVisit {
                stage_id,
                entered_at,
                actor_id,
            })
            .collect())
    }
}
