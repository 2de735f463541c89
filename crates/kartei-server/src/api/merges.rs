//! Duplicate review and merging over HTTP: the saved scan (started in the background),
//! merging two contacts, the list of merges and undoing one.

use super::dto::ReasonOut;
use super::extract::{IfMatch, JsonBody, PathParams, QueryParams};
use crate::auth::CurrentUser;
use crate::error::{request_lang, ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_store::merge::Merge;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanOut {
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub contacts: i64,
    pub pairs: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedOut {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateOut {
    pub a: NamedOut,
    pub b: NamedOut,
    /// 0–100; from 55 a likely duplicate.
    pub score: u32,
    pub reasons: Vec<ReasonOut>,
    /// Pairs sharing a contact form one cluster.
    pub cluster: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CandidatesOut {
    /// The last finished or running scan; none before the first.
    pub scan: Option<ScanOut>,
    /// A scan runs now.
    pub running: bool,
    pub items: Vec<CandidateOut>,
    /// The cursor of the next page, when there may be one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateParams {
    /// Where the page starts: `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Pairs to skip after the cursor (most likely first), up to 100,000; prefer the cursor.
    #[param(maximum = 100_000)]
    pub offset: Option<u64>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Likely duplicate pairs found by the last scan, most likely first. Pairs whose
/// contacts were merged or deleted since are left out.
#[utoipa::path(get, path = "/api/v1/duplicates", tag = "duplicates", params(CandidateParams),
    responses((status = 200, body = CandidatesOut)))]
pub async fn candidates(
    State(s): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    QueryParams(p): QueryParams<CandidateParams>,
) -> Result<Json<CandidatesOut>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let lang = request_lang(&headers);
    // Read in this order: a scan seen as finished has its pairs written already.
    let running = s.jobs.duplicate_scan.running();
    let scan = s.store.duplicate_scan().await?;
    let limit = super::extract::within("limit", p.limit, 50, 1..=200)?;
    let offset = super::extract::within("offset", p.offset, 0, 0..=100_000)?;
    let (found, next_cursor) = s
        .store
        .duplicate_candidates(p.cursor.as_deref(), offset, limit)
        .await?;
    let ids: Vec<Uuid> = found.iter().flat_map(|c| [c.a, c.b]).collect();
    let names = s.store.display_names::<ContactData>(&ids).await?;
    let named = |id: Uuid| NamedOut {
        id,
        name: names.get(&id).cloned().unwrap_or_default(),
    };
    Ok(Json(CandidatesOut {
        scan: scan.map(|x| ScanOut {
            started_at: x.started_at,
            finished_at: x.finished_at,
            contacts: x.contacts,
            pairs: x.pairs,
        }),
        running,
        items: found
            .into_iter()
            .map(|c| CandidateOut {
                a: named(c.a),
                b: named(c.b),
                score: c.score,
                reasons: ReasonOut::list(c.reasons, lang),
                cluster: c.cluster,
            })
            .collect(),
        next_cursor,
    }))
}

/// Starts a scan of all contacts in the background (202); 409 while one runs. Poll
/// `GET /api/v1/duplicates` for `running` and the result.
#[utoipa::path(post, path = "/api/v1/duplicates/scan", tag = "duplicates",
    responses((status = 202), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn scan(State(s): State<AppState>, user: CurrentUser) -> Result<StatusCode, ApiError> {
    user.require(Permission::WriteRecords)?;
    if s.jobs.start_duplicate_scan(s.store.clone()) {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::Busy)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistinctIn {
    pub a: Uuid,
    pub b: Uuid,
}

/// Marks two contacts as different people: the pair leaves the list and later scans.
#[utoipa::path(post, path = "/api/v1/duplicates/distinct", tag = "duplicates", request_body = DistinctIn,
    responses((status = 204)))]
pub async fn distinct(
    State(s): State<AppState>,
    user: CurrentUser,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::WriteRecords)?;
    let input: DistinctIn = body.parse()?;
    s.store.mark_distinct(input.a, input.b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The contact merged into this one; it goes to the trash.
    pub other: Uuid,
    /// Fields (or `custom.<key>`) where the other contact's value wins; elsewhere this
    /// contact's value stays and empty fields are filled. E-mails, phones and addresses
    /// of both are kept.
    #[serde(default)]
    pub take_other: BTreeSet<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeOut {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub merged_name: String,
    pub merged_external_id: Option<String>,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    /// Records, tags, loyalty bookings and audit entries that moved to the survivor.
    pub moved: i64,
}

impl From<Merge> for MergeOut {
    fn from(m: Merge) -> MergeOut {
        MergeOut {
            id: m.id,
            survivor_id: m.survivor_id,
            merged_id: m.merged_id,
            merged_name: m.merged_name,
            merged_external_id: m.merged_external_id,
            actor_name: m.actor_name,
            at: m.at,
            undone_at: m.undone_at,
            moved: m.moved,
        }
    }
}

/// Whether a merge choice (`bank`, `bank.iban`) picks a field hidden from some roles.
pub(crate) fn is_sensitive(field: &str) -> bool {
    use kartei_core::record::RecordData;
    let top = field.split('.').next().unwrap_or(field);
    kartei_core::contact::ContactData::SENSITIVE.contains(&top)
}

/// Merges another contact into this one. Activities, deals, orders, tickets, feedback,
/// tags, loyalty points and the change history move over; the other contact goes to the
/// trash. `If-Match` (this contact's version) guards against a change made meanwhile.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "duplicates", params(("id" = Uuid, Path)), request_body = MergeIn,
    responses((status = 200, body = MergeOut), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn merge(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    IfMatch(version): IfMatch,
    body: JsonBody,
) -> Result<Json<MergeOut>, ApiError> {
    user.require(Permission::WriteRecords)?;
    let input: MergeIn = body.parse()?;
    if !user.may(Permission::ViewSensitive) && input.take_other.iter().any(|f| is_sensitive(f)) {
        return Err(ApiError::HiddenField);
    }
    let merge = s
        .store
        .merge_contacts(&user.actor(), id, input.other, &input.take_other, version)
        .await?;
    Ok(Json(merge.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MergeParams {
    /// Only merges into this contact.
    pub contact: Option<Uuid>,
}

/// The latest 200 merges, newest first.
#[utoipa::path(get, path = "/api/v1/merges", tag = "duplicates", params(MergeParams),
    responses((status = 200, body = Vec<MergeOut>)))]
pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
    QueryParams(p): QueryParams<MergeParams>,
) -> Result<Json<Vec<MergeOut>>, ApiError> {
    user.require(Permission::ReadRecords)?;
    Ok(Json(
        s.store
            .merges(p.contact)
            .await?
            .into_iter()
            .map(MergeOut::from)
            .collect(),
    ))
}

/// Takes a merge back; 422 when the survivor or a moved record changed since.
#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "duplicates", params(("id" = Uuid, Path)),
    responses((status = 200, body = MergeOut), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn undo(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<MergeOut>, ApiError> {
    user.require(Permission::WriteRecords)?;
    Ok(Json(s.store.undo_merge(&user.actor(), id).await?.into()))
}
