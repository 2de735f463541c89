//! The consent ledger over HTTP: a contact's consents (state and history), recording an
//! event, and the purposes admins configure.

use super::extract::{JsonBody, PathParams};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Json;
use kartei_core::access::Permission;
use kartei_core::consent::{ConsentEvent, ConsentInput, Consents, Purpose, PurposeText};
use uuid::Uuid;

/// A contact's consents: the current state per channel and purpose (a granted consent
/// past its expiry shows as `expired`) and every event with its proof, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/consents", tag = "consents", params(("id" = Uuid, Path)),
    responses((status = 200, body = Consents), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<Consents>, ApiError> {
    user.require(Permission::ReadRecords)?;
    Ok(Json(s.store.consents(id).await?))
}

/// Records a consent event (granted, withdrawn, refused or pending). Events are never
/// changed: a correction is a new event. The signed-in user or token is kept as who
/// recorded it.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/consents", tag = "consents", params(("id" = Uuid, Path)), request_body = ConsentInput,
    responses((status = 201, body = ConsentEvent), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    body: JsonBody,
) -> Result<(StatusCode, Json<ConsentEvent>), ApiError> {
    user.require(Permission::WriteRecords)?;
    let input: ConsentInput = body.parse()?;
    let event = s.store.record_consent(&user.actor(), id, input).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// The purposes consent can be given for.
#[utoipa::path(get, path = "/api/v1/consent-purposes", tag = "consents",
    responses((status = 200, body = Vec<Purpose>)))]
pub async fn purposes(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<Purpose>>, ApiError> {
    user.require(Permission::ReadRecords)?;
    Ok(Json(s.store.consent_purposes().await?))
}

/// Adds a purpose under `key` (lower-case letters, digits, `_`), or changes the names
/// and descriptions of the one with that key.
#[utoipa::path(put, path = "/api/v1/consent-purposes/{key}", tag = "consents",
    params(("key" = String, Path, pattern = "^[a-z][a-z0-9_]{0,39}$")), request_body = PurposeText,
    responses((status = 200, body = Purpose), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn save_purpose(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(key): PathParams<String>,
    body: JsonBody,
) -> Result<Json<Purpose>, ApiError> {
    user.require(Permission::ManagePurposes)?;
    let text: PurposeText = body.parse()?;
    let purpose = s
        .store
        .save_consent_purpose(&user.actor(), text.with_key(&key))
        .await?;
    Ok(Json(purpose))
}

/// Everything Kartei holds about the contact (Art. 15 and 20 GDPR) as a ZIP:
/// `daten.json` (master data with bank details, every record that links the contact,
/// loyalty points, consents with proof, the change history, where the data came from)
/// and a readable report in the person's language. Needs the permission to see bank
/// details; the export is logged.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/access-export", tag = "consents", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The archive", content_type = "application/zip", body = Vec<u8>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn access_export(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    user.require(Permission::ViewSensitive)?;
    let export = kartei_app::gdpr::access_export(&s.store, &user.actor(), id).await?;
    Ok(crate::web::consents::zip_download(export))
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/contacts/{id}/consents", get(list).post(record))
        .route("/api/v1/contacts/{id}/access-export", get(access_export))
        .route("/api/v1/consent-purposes", get(purposes))
        .route("/api/v1/consent-purposes/{key}", put(save_purpose))
}

/// Their part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, record, purposes, save_purpose, access_export))]
pub struct ConsentsApi;
