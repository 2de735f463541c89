//! Tags and custom field definitions: the shared vocabulary of records.

use super::extract::{etag, IfMatch, JsonBody, PathParams, QueryParams};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kartei_core::access::Permission;
use kartei_core::custom_field::{CustomFieldDef, CustomFieldInput};
use kartei_core::record::Entity;
use kartei_core::tag::TagInput;
use kartei_store::tags::Tag;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct TagWithCount {
    pub id: Uuid,
    pub name: String,
    pub color: String,
    pub version: i64,
    /// Live contacts and organisations carrying the tag.
    pub count: i64,
}

impl From<Tag> for TagWithCount {
    fn from(t: Tag) -> Self {
        TagWithCount {
            id: t.id,
            name: t.name,
            color: t.color,
            version: t.version,
            count: t.count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagWithCount>,
}

#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", responses((status = 200, body = TagList)))]
pub async fn list(State(s): State<AppState>, user: CurrentUser) -> Result<Json<TagList>, ApiError> {
    user.require(Permission::ReadRecords)?;
    Ok(Json(TagList {
        items: s
            .store
            .list_tags()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tags", tag = "tags", request_body = TagInput,
    responses((status = 201, body = TagWithCount), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(s): State<AppState>,
    user: CurrentUser,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ManageTags)?;
    let tag = s.store.create_tag(&user.actor(), body.parse()?).await?;
    Ok((
        StatusCode::CREATED,
        etag(tag.version),
        Json(TagWithCount::from(tag)),
    ))
}

/// Renames or recolours a tag.
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "tags", request_body = TagInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = TagWithCount), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    if_match: IfMatch,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ManageTags)?;
    let input: TagInput = body.parse()?;
    let tag = s
        .store
        .update_tag(&user.actor(), id, if_match.0, input)
        .await?;
    Ok((etag(tag.version), Json(TagWithCount::from(tag))))
}

/// Deletes the tag and removes it from all records.
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::ManageTags)?;
    s.store.delete_tag(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldList {
    pub items: Vec<CustomFieldDef>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityParam {
    /// `contact` or `organization`; all when absent.
    pub entity: Option<Entity>,
}

#[utoipa::path(get, path = "/api/v1/custom-fields", tag = "custom-fields", params(EntityParam),
    responses((status = 200, body = CustomFieldList)))]
pub async fn list_fields(
    State(s): State<AppState>,
    user: CurrentUser,
    QueryParams(p): QueryParams<EntityParam>,
) -> Result<Json<CustomFieldList>, ApiError> {
    user.require(Permission::ReadRecords)?;
    Ok(Json(CustomFieldList {
        items: s.store.custom_fields(p.entity).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/custom-fields", tag = "custom-fields", request_body = CustomFieldInput,
    responses((status = 201, body = CustomFieldDef), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_field(
    State(s): State<AppState>,
    user: CurrentUser,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ManageCustomFields)?;
    let def = s
        .store
        .create_custom_field(&user.actor(), body.parse::<CustomFieldInput>()?)
        .await?;
    Ok((StatusCode::CREATED, etag(def.version), Json(def)))
}

/// Changes labels and choice options (merge patch). Entity, key and kind are fixed.
#[utoipa::path(patch, path = "/api/v1/custom-fields/{id}", tag = "custom-fields", request_body = CustomFieldInput,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CustomFieldDef), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_field(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    if_match: IfMatch,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ManageCustomFields)?;
    let def = s
        .store
        .update_custom_field(&user.actor(), id, if_match.0, body.0)
        .await?;
    Ok((etag(def.version), Json(def)))
}

#[utoipa::path(delete, path = "/api/v1/custom-fields/{id}", tag = "custom-fields", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_field(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::ManageCustomFields)?;
    s.store.delete_custom_field(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
