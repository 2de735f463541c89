//! Taking an import back: what it created goes to the trash, what it changed gets its
//! values from before, except what changed since.

use super::*;
use crate::db::Tx;
use crate::error::StoreError;
use crate::records::delete_in;
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use chrono::{DateTime, Duration, Utc};
use kartei_core::contact::ContactData;
use kartei_core::record::Entity;
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

impl Store {
    /// Takes an import back: what it created goes to the trash, what it changed gets its
    /// values from before the import. All or nothing; within [`UNDO_DAYS`] days.
    pub async fn undo_import(&self, actor: &Actor, job: Uuid) -> Result<Undone, StoreError> {
        let found = self
            .imports()
            .await?
            .into_iter()
            .find(|j| j.id == job)
            .ok_or(StoreError::NotFound)?;
        if found.undone_at.is_some() || found.started_at < now() - Duration::days(UNDO_DAYS) {
            return Err(StoreError::field("import", ErrorCode::OutOfRange));
        }
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let items: Vec<(Uuid, String, Option<String>)> = tx
            .all(
                Query::select()
                    .columns(["record_id", "action", "before_data"].map(name))
                    .from(name("import_items"))
                    .and_where(Expr::col(name("import_id")).eq(job)),
            )
            .await?;
        let mut kept = Vec::new();
        let mut trashed = 0;
        // Records this undo put back already (updated twice by the import).
        let mut restored = HashSet::new();
        // Later changes first, so that a record updated twice ends at its first state.
        for (id, action, before) in items.into_iter().rev() {
            let entity = match action.as_str() {
                "create_organization" => Entity::Organization,
                _ => Entity::Contact,
            };
            // What the import made goes to the trash however it was changed since (it
            // can be restored from there); what it changed is put back only while
            // nobody changed it after the import, whose changes would be lost.
            let changed_after = match action.as_str() {
                "update" if !restored.contains(&id) => found.finished_at,
                _ => None,
            };
            if let Some(k) = kept_as_is(&mut tx, entity, id, changed_after).await? {
                kept.push(k);
                continue;
            }
            match (action.as_str(), before) {
                ("create" | "create_organization", _) => {
                    delete_in(&mut tx, actor, entity, id, None).await?;
                    trashed += 1;
                }
                ("update", Some(before)) => {
                    // The exact way back, custom fields included (a merge patch of the
                    // old document alone would keep custom values the import added).
                    let before: ContactData = serde_json::from_str(&before)?;
                    let current: ContactData =
                        serde_json::from_str(&current_data(&mut tx, id).await?)?;
                    let back = kartei_core::import_match::patch(&current, &before);
                    self.update_in::<ContactData>(&mut tx, &defs, actor, id, None, back)
                        .await?;
                    restored.insert(id);
                }
                _ => {}
            }
        }
        crate::consents::undo_import(&mut tx, job).await?;
        tx.execute(
            Query::update()
                .table(name("imports"))
                .values([(name("undone_at"), now().into())])
                .and_where(Expr::col(name("id")).eq(job)),
        )
        .await?;
        audit::append::<Value>(&mut tx, actor, "import", Some(job), "undo", None, None).await?;
        tx.commit().await?;
        let job = self
            .imports()
            .await?
            .into_iter()
            .find(|j| j.id == job)
            .unwrap_or(found);
        Ok(Undone {
            job,
            trashed,
            restored: restored.len(),
            kept,
        })
    }
}

/// What an undo did: the job, and the records it left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    pub job: ImportJob,
    /// Records moved to the trash (contacts and organisations the import created).
    pub trashed: usize,
    /// Contacts put back as they were before the import.
    pub restored: usize,
    pub kept: Vec<Kept>,
}

/// A record an undo left as it is, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kept {
    pub id: Uuid,
    pub entity: Entity,
    /// Its display name as it is now (empty when it was purged).
    pub name: String,
    pub reason: KeptReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeptReason {
    /// Merged into this contact since; the survivor keeps what it took over.
    MergedInto { survivor: Uuid },
    /// Changed after the import: its earlier values would overwrite those changes.
    ChangedSince,
    /// Deleted since (in the trash, or purged).
    Deleted,
}

/// Why the record `id` stays as it is, if it does: it is gone (merged into another or
/// deleted), or it was changed after `changed_after`.
pub(super) async fn kept_as_is(
    tx: &mut Tx,
    entity: Entity,
    id: Uuid,
    changed_after: Option<DateTime<Utc>>,
) -> Result<Option<Kept>, StoreError> {
    let row: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = tx
        .optional(
            Query::select()
                .columns(["data", "updated_at", "deleted_at"].map(name))
                .from(name(entity.table()))
                .and_where(Expr::col(name("id")).eq(id)),
        )
        .await?;
    let kept = |data: &str, reason| -> Result<Kept, StoreError> {
        Ok(Kept {
            id,
            entity,
            name: match data {
                "" => String::new(),
                data => crate::records::decode_any(entity, data)?.display_name(),
            },
            reason,
        })
    };
    Ok(match row {
        None => Some(kept("", KeptReason::Deleted)?),
        Some((data, _, Some(_))) => {
            let survivor: Option<(Uuid,)> = tx
                .optional(
                    Query::select()
                        .column(self::name("survivor_id"))
                        .from(self::name("merges"))
                        .and_where(Expr::col(self::name("merged_id")).eq(id))
                        .and_where(Expr::col(self::name("undone_at")).is_null())
                        .order_by(self::name("at"), Order::Desc)
                        .limit(1),
                )
                .await?;
            Some(kept(
                &data,
                match survivor {
                    Some((survivor,)) => KeptReason::MergedInto { survivor },
                    None => KeptReason::Deleted,
                },
            )?)
        }
        Some((data, updated_at, None)) if changed_after.is_some_and(|t| updated_at > t) => {
            Some(kept(&data, KeptReason::ChangedSince)?)
        }
        Some(_) => None,
    })
}
