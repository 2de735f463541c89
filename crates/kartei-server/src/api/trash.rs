//! The trash over HTTP.

use super::extract::{PathParams, QueryParams};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kartei_core::access::Permission;
use kartei_core::record::Entity;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrashParams {
    /// `contact` or `organization`.
    pub entity: Entity,
    pub cursor: Option<String>,
    /// 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrashItemOut {
    pub entity: Entity,
    pub id: Uuid,
    pub name: String,
    pub deleted_at: DateTime<Utc>,
    pub purge_after: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrashList {
    pub items: Vec<TrashItemOut>,
    pub next_cursor: Option<String>,
}

fn entity(path: &str) -> Result<Entity, ApiError> {
    Entity::from_collection(path).ok_or(ApiError::NotFound)
}

/// Deleted records, most recently deleted first. They are purged 30 days after deletion.
#[utoipa::path(get, path = "/api/v1/trash", tag = "trash", params(TrashParams), responses((status = 200, body = TrashList)))]
pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    QueryParams(p): QueryParams<TrashParams>,
) -> Result<Json<TrashList>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let (items, next_cursor) = s
        .store
        .trash(
            p.entity,
            p.cursor.as_deref(),
            super::extract::within("limit", p.limit, 50, 1..=500)?,
        )
        .await?;
    let items = items
        .into_iter()
        .map(|i| TrashItemOut {
            entity: i.entity,
            id: i.id,
            name: i.name,
            deleted_at: i.deleted_at,
            purge_after: i.purge_after,
        })
        .collect();
    Ok(Json(TrashList { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/trash/{collection}/{id}/restore", tag = "trash",
    params(("collection" = String, Path, description = "The collection: `contacts`, `organizations`, `activities`, `deals`, `orders` …"), ("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn restore(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams((collection, id)): PathParams<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::WriteRecords)?;
    s.store
        .restore(&user.actor(), entity(&collection)?, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a record in the trash for good (admins only).
#[utoipa::path(delete, path = "/api/v1/trash/{collection}/{id}", tag = "trash",
    params(("collection" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn purge(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams((collection, id)): PathParams<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::PurgeTrash)?;
    s.store
        .purge(&user.actor(), entity(&collection)?, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
