//! Saved views (segments): a named list query of one entity, private or shared.
//!
//! The query is a [`Segment`] (search, filter, sort, columns), checked against the
//! entity's fields when it is saved and read whole when it is used: a stored one that
//! cannot be read is an error (never an unfiltered list). The filter is typed again each
//! time a list runs, so a view that names a since-deleted custom field fails with a
//! message, not silently.

use crate::audit;
use crate::error::StoreError;
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::record::Entity;
use kartei_core::segment::Segment;
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use uuid::Uuid;

pub const MAX_VIEW_NAME: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub entity: Entity,
    pub name: String,
    pub shared: bool,
    pub query: String,
    pub created_at: DateTime<Utc>,
}

impl SavedView {
    /// The view's search, filter, sort and columns; a stored query that cannot be read
    /// is [`StoreError::Corrupt`], so nothing runs as if it had no filter.
    pub fn segment(&self) -> Result<Segment, StoreError> {
        Segment::from_stored(&self.query).map_err(StoreError::Corrupt)
    }
}

type ViewRow = (Uuid, Uuid, String, String, bool, String, DateTime<Utc>);
const COLUMNS: [&str; 7] = [
    "id",
    "owner_id",
    "entity",
    "name",
    "shared",
    "query",
    "created_at",
];

fn decode(row: ViewRow) -> Result<SavedView, StoreError> {
    let (id, owner_id, entity, view_name, shared, query, created_at) = row;
    Ok(SavedView {
        id,
        owner_id,
        entity: Entity::parse(&entity)
            .ok_or_else(|| StoreError::Corrupt(format!("entity {entity}")))?,
        name: view_name,
        shared,
        query,
        created_at,
    })
}

impl Store {
    /// The views `user_id` may open: their own and every shared one, by name.
    pub async fn saved_views(&self, user_id: Uuid) -> Result<Vec<SavedView>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<ViewRow> = tx
            .all(
                Query::select()
                    .columns(COLUMNS.map(name))
                    .from(name("saved_views"))
                    .cond_where(
                        Expr::col(name("owner_id"))
                            .eq(user_id)
                            .or(Expr::col(name("shared")).eq(true)),
                    )
                    .order_by(name("name"), Order::Asc)
                    .order_by(name("id"), Order::Asc),
            )
            .await?;
        rows.into_iter().map(decode).collect()
    }

    /// One view, if `user_id` may open it (own or shared); else not found.
    pub async fn saved_view(&self, user_id: Uuid, id: Uuid) -> Result<SavedView, StoreError> {
        self.saved_views(user_id)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(StoreError::NotFound)
    }

    pub async fn create_saved_view(
        &self,
        actor: &Actor,
        owner_id: Uuid,
        entity: Entity,
        view_name: &str,
        shared: bool,
        segment: &Segment,
    ) -> Result<SavedView, StoreError> {
        let defs = self.custom_fields(Some(entity)).await?;
        segment.check(entity, &defs).map_err(StoreError::Invalid)?;
        let view_name = view_name.trim();
        if view_name.is_empty() {
            return Err(StoreError::field("name", ErrorCode::Required));
        }
        if view_name.chars().count() > MAX_VIEW_NAME {
            return Err(StoreError::field("name", ErrorCode::TooLong));
        }
        let view = SavedView {
            id: Uuid::now_v7(),
            owner_id,
            entity,
            name: view_name.to_string(),
            shared,
            query: segment.to_stored(),
            created_at: now(),
        };
        let mut tx = self.db.write().await?;
        audit::insert_audited(
            &mut tx,
            actor,
            "saved_views",
            COLUMNS
                .into_iter()
                .zip([
                    view.id.into(),
                    view.owner_id.into(),
                    entity.as_str().into(),
                    view.name.clone().into(),
                    shared.into(),
                    view.query.clone().into(),
                    view.created_at.into(),
                ])
                .collect(),
            "saved_view",
            view.id,
            &view,
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Deletes a view; only its owner, or anyone when `any_owner` (admins), may.
    pub async fn delete_saved_view(
        &self,
        actor: &Actor,
        user_id: Uuid,
        id: Uuid,
        any_owner: bool,
    ) -> Result<(), StoreError> {
        let view = self.saved_view(user_id, id).await?;
        if view.owner_id != user_id && !any_owner {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.db.write().await?;
        tx.delete_where("saved_views", "id", id).await?;
        audit::append(
            &mut tx,
            actor,
            "saved_view",
            Some(id),
            "delete",
            Some(&view),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
