//! The trash: deleted records stay restorable for 30 days, then are purged.

use crate::audit;
use crate::error::StoreError;
use crate::list::{decode_cursor, encode_cursor};
use crate::records::TRASH_DAYS;
use crate::sql::{name, qcol};
use crate::{now, Actor, Store};
use chrono::{DateTime, Duration, Utc};
use kartei_core::contact::ContactData;
use kartei_core::record::Entity;
use sea_query::{Alias, Expr, Order, Query};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrashItem {
    pub entity: Entity,
    pub id: Uuid,
    pub name: String,
    pub deleted_at: DateTime<Utc>,
    /// When the record will be purged.
    pub purge_after: DateTime<Utc>,
}

fn display_name(entity: Entity, data: &str) -> Result<String, StoreError> {
    Ok(crate::records::decode_any(entity, data)?.display_name())
}

impl Store {
    /// Deleted records of one kind, most recently deleted first.
    pub async fn trash(
        &self,
        entity: Entity,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<(Vec<TrashItem>, Option<String>), StoreError> {
        let limit = limit.clamp(1, crate::list::MAX_LIMIT);
        let mut q = Query::select();
        q.columns(["id", "deleted_at", "data"].map(name))
            .from(name(entity.table()))
            .and_where(Expr::col(name("deleted_at")).is_not_null())
            .order_by(name("deleted_at"), Order::Desc)
            .order_by(name("id"), Order::Desc)
            .limit(limit + 1);
        if let Some(c) = cursor {
            let (at, id): (DateTime<Utc>, Uuid) = decode_cursor(c)?;
            q.and_where(
                Expr::tuple([
                    Expr::col(name("deleted_at")).into(),
                    Expr::col(name("id")).into(),
                ])
                .lt(Expr::tuple([Expr::val(at).into(), Expr::val(id).into()])),
            );
        }
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid, DateTime<Utc>, String)> = tx.all(&q).await?;
        let more = rows.len() as u64 > limit;
        let items = rows
            .into_iter()
            .take(limit as usize)
            .map(|(id, deleted_at, data)| {
                Ok(TrashItem {
                    entity,
                    id,
                    name: display_name(entity, &data)?,
                    deleted_at,
                    purge_after: deleted_at + Duration::days(TRASH_DAYS),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = if more {
            items.last().map(|i| encode_cursor(&(i.deleted_at, i.id)))
        } else {
            None
        };
        Ok((items, next))
    }

    /// Takes a record out of the trash.
    pub async fn restore(&self, actor: &Actor, entity: Entity, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        restore_in(&mut tx, actor, entity, id).await?;
        tx.commit().await
    }

    /// Removes a record from the trash for good, with its tags and index rows. People of
    /// a purged organisation lose the link; their records are otherwise kept.
    pub async fn purge(&self, actor: &Actor, entity: Entity, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let found: Option<(Uuid,)> = tx
            .optional(
                Query::select()
                    .column(name("id"))
                    .from(name(entity.table()))
                    .and_where(Expr::col(name("id")).eq(id))
                    .and_where(Expr::col(name("deleted_at")).is_not_null()),
            )
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        if entity == Entity::Organization {
            let defs = self.custom_fields(None).await?;
            let members = crate::records::rewrite::<ContactData>(
                &mut tx,
                qcol("c", "organization_id").eq(id),
                &defs,
                |_, c| {
                    c.organization_id = None;
                },
            )
            .await?;
            for member in members {
                audit::append::<()>(
                    &mut tx,
                    actor,
                    "contact",
                    Some(member),
                    "unlink_organization",
                    None,
                    None,
                )
                .await?;
            }
        }
        for table in crate::index::DERIVED_TABLES
            .into_iter()
            .chain(["record_tags"])
        {
            tx.delete_where(table, "record_id", id).await?;
        }
        if entity == Entity::Contact {
            // A purged person's consents (with their proof: IP addresses, wordings they
            // agreed to) go with them.
            tx.delete_where("consent_events", "contact_id", id).await?;
            tx.delete_where("consent_state", "contact_id", id).await?;
        }
        tx.delete_where(entity.table(), "id", id).await?;
        // The entry names what was purged, never who: the record's data is gone.
        audit::append::<()>(
            &mut tx,
            actor,
            entity.as_str(),
            Some(id),
            "purge",
            None,
            None,
        )
        .await?;
        tx.commit().await
    }

    /// Purges everything deleted more than [`TRASH_DAYS`] days ago, of every kind.
    /// Returns how many.
    pub async fn purge_expired(&self, actor: &Actor) -> Result<u64, StoreError> {
        let cutoff = now() - Duration::days(TRASH_DAYS);
        let mut purged = 0;
        for entity in Entity::ALL {
            let mut tx = self.db.read().await?;
            let ids: Vec<(Uuid,)> = tx
                .all(
                    Query::select()
                        .column(name("id"))
                        .from_as(name(entity.table()), Alias::new("c"))
                        .and_where(Expr::col(name("deleted_at")).lt(cutoff)),
                )
                .await?;
            drop(tx);
            for (id,) in ids {
                self.purge(actor, entity, id).await?;
                purged += 1;
            }
        }
        Ok(purged)
    }
}

pub(crate) async fn restore_in(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    entity: Entity,
    id: Uuid,
) -> Result<(), StoreError> {
    let at = now();
    let n = tx
        .execute(
            Query::update()
                .table(name(entity.table()))
                .values([
                    (name("deleted_at"), Option::<DateTime<Utc>>::None.into()),
                    (name("updated_at"), at.into()),
                    (name("updated_by"), actor.user_id.into()),
                    (name("version"), Expr::col(name("version")).add(1)),
                ])
                .and_where(Expr::col(name("id")).eq(id))
                .and_where(Expr::col(name("deleted_at")).is_not_null()),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    audit::append::<()>(tx, actor, entity.as_str(), Some(id), "restore", None, None).await?;
    Ok(())
}
