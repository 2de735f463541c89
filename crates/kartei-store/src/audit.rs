//! The append-only audit log: who changed what, when, with the record before and after.
//! Entries are written in the transaction of the change they describe.

use crate::db::Tx;
use crate::error::StoreError;
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::{DateTime, Utc};
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub entity: String,
    pub record_id: Option<Uuid>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The import that made the change, when one did.
    pub import: Option<ImportSource>,
}

/// The import a change came from, as the history names it: its file and when it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSource {
    pub id: Uuid,
    pub file_name: String,
    pub started_at: DateTime<Utc>,
}

const COLUMNS: [&str; 10] = [
    "id",
    "at",
    "actor_id",
    "actor_name",
    "entity",
    "record_id",
    "action",
    "before_data",
    "after_data",
    "import_id",
];

type AuditRow = (
    Uuid,
    DateTime<Utc>,
    Option<Uuid>,
    String,
    String,
    Option<Uuid>,
    String,
    Option<String>,
    Option<String>,
    Option<Uuid>,
);

pub(crate) async fn append<T: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    entity: &str,
    record_id: Option<Uuid>,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), StoreError> {
    let before = before.map(serde_json::to_string).transpose()?;
    let after = after.map(serde_json::to_string).transpose()?;
    let (seq, prev) = crate::audit_chain::next(tx).await?;
    let content_hash = crate::audit_chain::content_hash(before.as_deref(), after.as_deref());
    let link = crate::audit_chain::Link {
        seq,
        id: Uuid::now_v7(),
        at: now(),
        actor_id: actor.user_id,
        actor_name: &actor.name,
        entity,
        subject_id: record_id,
        action,
        import_id: actor.import,
        content_hash: &content_hash,
    };
    let hash = link.hash(&prev);
    tx.execute(
        Query::insert()
            .into_table(name("audit_log"))
            .columns(
                COLUMNS
                    .into_iter()
                    .chain(["seq", "subject_id", "content_hash", "prev_hash", "hash"])
                    .map(name),
            )
            .values_panic([
                link.id.into(),
                link.at.into(),
                actor.user_id.into(),
                actor.name.clone().into(),
                entity.into(),
                record_id.into(),
                action.into(),
                before.into(),
                after.into(),
                actor.import.into(),
                seq.into(),
                record_id.into(),
                content_hash.clone().into(),
                prev.into(),
                hash.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Inserts one row of an administrative kind (user, API token, tag, custom field, saved
/// view) with its audit entry "create", in `tx`. A unique constraint the row violates
/// is a field error ([`StoreError::taken`]).
pub(crate) async fn insert_audited<T: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    table: &str,
    row: Vec<(&str, sea_query::Value)>,
    entity: &str,
    id: Uuid,
    after: &T,
) -> Result<(), StoreError> {
    let (columns, values): (Vec<&str>, Vec<sea_query::Value>) = row.into_iter().unzip();
    tx.execute(
        Query::insert()
            .into_table(name(table))
            .columns(columns.into_iter().map(name))
            .values_panic(values.into_iter().map(sea_query::SimpleExpr::from)),
    )
    .await
    .map_err(StoreError::taken)?;
    append(tx, actor, entity, Some(id), "create", None, Some(after)).await
}

impl Store {
    /// A record's history, newest first; `before` continues after the entry with that id.
    pub async fn history(
        &self,
        record_id: Uuid,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut q = Query::select();
        q.columns(COLUMNS.map(name))
            .from(name("audit_log"))
            .and_where(Expr::col(name("record_id")).eq(record_id))
            .order_by(name("id"), Order::Desc)
            .limit(limit);
        if let Some(b) = before {
            q.and_where(Expr::col(name("id")).lt(b));
        }
        let rows: Vec<AuditRow> = tx.all(&q).await?;
        let sources = import_sources(&mut tx, rows.iter().filter_map(|r| r.9)).await?;
        rows.into_iter()
            .map(
                |(
                    id,
                    at,
                    actor_id,
                    actor_name,
                    entity,
                    record_id,
                    action,
                    before,
                    after,
                    import,
                )| {
                    Ok(AuditEntry {
                        id,
                        at,
                        actor_id,
                        actor_name,
                        entity,
                        record_id,
                        action,
                        before: before.map(|b| serde_json::from_str(&b)).transpose()?,
                        after: after.map(|a| serde_json::from_str(&a)).transpose()?,
                        import: import.and_then(|i| sources.get(&i).cloned()),
                    })
                },
            )
            .collect()
    }
}

/// The imports named by audit entries, by id (one query for a page of entries).
pub(crate) async fn import_sources(
    tx: &mut Tx,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, ImportSource>, StoreError> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = tx
        .all(
            Query::select()
                .columns(["id", "file_name", "started_at"].map(name))
                .from(name("imports"))
                .and_where(Expr::col(name("id")).is_in(ids)),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, file_name, started_at)| {
            (
                id,
                ImportSource {
                    id,
                    file_name,
                    started_at,
                },
            )
        })
        .collect())
}
