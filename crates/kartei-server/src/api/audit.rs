//! The audit log's hash chain over HTTP, for administrators.

use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use kartei_core::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenEntryOut {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `content` (its values were changed), `hash` (its recorded fields were changed),
    /// `link` (it does not follow the entry before), `gap` (entries before it are
    /// missing).
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainCheckOut {
    /// Entries in the chain that were checked.
    pub checked: i64,
    /// Entries from before the chain existed (not covered).
    pub before_chain: i64,
    /// The first entry that does not fit; none when the chain is intact.
    pub broken: Option<BrokenEntryOut>,
}

/// Recomputes the audit log's hash chain and names the first entry that was changed,
/// removed or inserted.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainCheckOut), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ChainCheckOut>, ApiError> {
    user.require(Permission::ManageUsers)?;
    let check = s.store.verify_audit().await?;
    Ok(Json(ChainCheckOut {
        checked: check.checked,
        before_chain: check.before_chain,
        broken: check.broken.map(|b| BrokenEntryOut {
            seq: b.seq,
            id: b.id,
            at: b.at,
            reason: b.reason,
        }),
    }))
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/audit/verify", axum::routing::get(verify))
}

/// Its part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(verify))]
pub struct AuditApi;
