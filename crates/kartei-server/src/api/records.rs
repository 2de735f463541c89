//! Contacts and organisations over HTTP: one generic implementation, instantiated per
//! entity by [`record_api!`] so that each gets its own documented routes.

use super::dto::{
    AttachTag, AuditOut, HistoryOut, ListOut, ListParams, PageParams, RecordOut, TagOut,
};
use super::extract::{etag, IfMatch, JsonBody};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::AppState;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kartei_core::access::Permission;
use kartei_core::filter::{Filter, Sort};
use kartei_core::record::RecordData;
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::list::{ListRequest, MAX_LIMIT};
use kartei_store::search::SearchRequest;
use kartei_store::tags::TagSelector;
use utoipa::ToSchema;
use uuid::Uuid;

const DEFAULT_LIMIT: u64 = 25;

fn invalid(field: &str, code: ErrorCode) -> ApiError {
    ApiError::Invalid(vec![FieldError::new(field, code)])
}

fn limit(requested: Option<u64>, default: u64) -> Result<u64, ApiError> {
    super::extract::within("limit", requested, default, 1..=MAX_LIMIT)
}

pub async fn list<R: RecordData + ToSchema>(
    state: &AppState,
    user: &CurrentUser,
    params: ListParams,
) -> Result<Json<ListOut<R>>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let filter = match params.filter.as_deref() {
        Some(text) => {
            let parsed: Filter = serde_json::from_str(text)
                .map_err(|_| invalid("filter", ErrorCode::InvalidFilter))?;
            Some(parsed.typed(R::ENTITY, &defs).map_err(ApiError::Invalid)?)
        }
        None => None,
    };
    let limit = limit(params.limit, DEFAULT_LIMIT)?;
    let page = match params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => {
            if q.chars().count() > 200 {
                return Err(invalid("q", ErrorCode::TooLong));
            }
            state
                .store
                .search::<R>(&SearchRequest {
                    q: q.to_string(),
                    filter,
                    cursor: params.cursor,
                    limit,
                })
                .await?
        }
        None => {
            let sort = match params.sort.as_deref() {
                Some(s) => Sort::parse(R::ENTITY, &defs, s).map_err(ApiError::Invalid)?,
                None => Sort::by_name(),
            };
            let req = ListRequest {
                filter,
                sort,
                cursor: params.cursor,
                limit,
                with_total: params.total.unwrap_or(false),
            };
            state.store.list::<R>(&req).await?
        }
    };
    let sensitive = user.may(Permission::ViewSensitive);
    Ok(Json(ListOut {
        items: page
            .items
            .into_iter()
            .map(|r| RecordOut::new(r, sensitive))
            .collect(),
        next_cursor: page.next_cursor,
        total: page.total,
    }))
}

pub async fn create<R: RecordData + ToSchema>(
    state: &AppState,
    user: &CurrentUser,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::WriteRecords)?;
    let mut body = body;
    guard_sensitive::<R>(user, &mut body.0, None)?;
    let data: R = body.parse()?;
    let record = state.store.create(&user.actor(), data).await?;
    let version = record.version;
    Ok((
        StatusCode::CREATED,
        etag(version),
        Json(RecordOut::new(record, user.may(Permission::ViewSensitive))),
    ))
}

pub async fn get<R: RecordData + ToSchema>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ReadRecords)?;
    let record = state.store.get::<R>(id).await?;
    let sensitive = user.may(Permission::ViewSensitive);
    if sensitive {
        let shown = kartei_store::subject::sensitive_filled(&record.data);
        if !shown.is_empty() {
            state
                .store
                .log_sensitive_read(&user.actor(), R::ENTITY, id, &shown)
                .await?;
        }
    }
    Ok((
        etag(record.version),
        Json(RecordOut::new(record, sensitive)),
    ))
}

pub async fn patch<R: RecordData + ToSchema>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    if_match: IfMatch,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::WriteRecords)?;
    let mut patch = body.0;
    // The record is read again only when the body names a sensitive field.
    let touches_sensitive = R::SENSITIVE.iter().any(|k| patch.get(*k).is_some());
    if touches_sensitive && !user.may(Permission::ViewSensitive) {
        let shown = serde_json::to_value(state.store.get::<R>(id).await?.data.masked())
            .map_err(|_| ApiError::Internal)?;
        guard_sensitive::<R>(user, &mut patch, Some(&shown))?;
    }
    let record = state
        .store
        .update::<R>(&user.actor(), id, if_match.0, patch)
        .await?;
    Ok((
        etag(record.version),
        Json(RecordOut::new(record, user.may(Permission::ViewSensitive))),
    ))
}

/// A role that may not see bank details may not write them: a body that would change
/// them is refused (403, nothing saved); one that sends back what the role was shown
/// has the field dropped.
fn guard_sensitive<R: RecordData>(
    user: &CurrentUser,
    body: &mut serde_json::Value,
    shown: Option<&serde_json::Value>,
) -> Result<(), ApiError> {
    if user.may(Permission::ViewSensitive) {
        return Ok(());
    }
    match kartei_core::record::sensitive_change::<R>(body, shown) {
        Some(_) => Err(ApiError::HiddenField),
        None => Ok(()),
    }
}

pub async fn delete<R: RecordData>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    if_match: IfMatch,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::WriteRecords)?;
    state
        .store
        .delete(&user.actor(), R::ENTITY, id, if_match.0)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn history<R: RecordData>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    params: PageParams,
) -> Result<Json<HistoryOut>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let limit = limit(params.limit, 50)?;
    let entries = state.store.history(id, params.before, limit).await?;
    // Records from a bulk load share one audit entry per batch, so an empty history is
    // normal for them; only an unknown id is "not found". The history of a record in
    // the trash or purged stays readable through its entries.
    if entries.is_empty() && params.before.is_none() {
        state.store.get::<R>(id).await?;
    }
    let next_before = if entries.len() as u64 == limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let items = entries
        .into_iter()
        .map(|e| AuditOut {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            entity: e.entity,
            record_id: e.record_id,
            action: e.action,
            before: e.before,
            after: e.after,
        })
        .collect();
    Ok(Json(HistoryOut { items, next_before }))
}

pub async fn attach_tag<R: RecordData>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    body: JsonBody,
) -> Result<Json<TagOut>, ApiError> {
    user.require(Permission::WriteRecords)?;
    let AttachTag { tag_id, name } = body.parse()?;
    let name = name.filter(|n| !n.trim().is_empty());
    let selector = match (tag_id, name) {
        (Some(id), None) => TagSelector::Id(id),
        (None, Some(name)) => TagSelector::Name(name),
        _ => return Err(invalid("tag_id", ErrorCode::Required)),
    };
    let tag = state
        .store
        .attach_tag(
            &user.actor(),
            R::ENTITY,
            std::slice::from_ref(&id),
            selector,
        )
        .await?;
    Ok(Json(TagOut {
        id: tag.id,
        name: tag.name,
        color: tag.color,
    }))
}

pub async fn detach_tag<R: RecordData>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    tag_id: Uuid,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::WriteRecords)?;
    let removed = state
        .store
        .detach_tag(&user.actor(), R::ENTITY, std::slice::from_ref(&id), tag_id)
        .await?;
    if removed == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Declares the documented routes of one record kind.
macro_rules! record_api {
    ($module:ident, $data:ty, $tag:literal) => {
        pub mod $module {
            use super::super::dto::*;
            use super::super::extract::{IfMatch, JsonBody, PathParams, QueryParams};
            use crate::auth::CurrentUser;
            use crate::error::{ApiError, Problem};
            use crate::AppState;
            use axum::extract::State;
            use axum::http::StatusCode;
            use axum::response::IntoResponse;
            use axum::Json;
            use uuid::Uuid;

            const COLLECTION: &str = concat!("/api/v1/", $tag);
            const ITEM: &str = concat!("/api/v1/", $tag, "/{id}");
            const HISTORY: &str = concat!("/api/v1/", $tag, "/{id}/history");
            const TAGS: &str = concat!("/api/v1/", $tag, "/{id}/tags");
            const TAG_ITEM: &str = concat!("/api/v1/", $tag, "/{id}/tags/{tag_id}");

            #[utoipa::path(get, path = COLLECTION, tag = $tag, params(ListParams),
                responses((status = 200, body = ListOut<$data>), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn list(State(s): State<AppState>, user: CurrentUser, QueryParams(p): QueryParams<ListParams>) -> Result<Json<ListOut<$data>>, ApiError> {
                super::list::<$data>(&s, &user, p).await
            }

            #[utoipa::path(post, path = COLLECTION, tag = $tag, request_body = $data,
                responses((status = 201, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn create(State(s): State<AppState>, user: CurrentUser, body: JsonBody) -> Result<impl IntoResponse, ApiError> {
                super::create::<$data>(&s, &user, body).await
            }

            #[utoipa::path(get, path = ITEM, tag = $tag, params(("id" = Uuid, Path)),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 404, body = Problem, content_type = "application/problem+json")))]
            pub async fn get(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>) -> Result<impl IntoResponse, ApiError> {
                super::get::<$data>(&s, &user, id).await
            }

            /// A JSON merge patch (RFC 7396): fields sent replace, `null` clears.
            #[utoipa::path(patch, path = ITEM, tag = $tag, request_body = $data,
                params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read; a stale one gets 412")),
                responses((status = 200, body = RecordOut<$data>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn patch(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, if_match: IfMatch, body: JsonBody) -> Result<impl IntoResponse, ApiError> {
                super::patch::<$data>(&s, &user, id, if_match, body).await
            }

            /// Moves the record to the trash (restorable for 30 days).
            #[utoipa::path(delete, path = ITEM, tag = $tag,
                params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
                responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
            pub async fn delete(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, if_match: IfMatch) -> Result<StatusCode, ApiError> {
                super::delete::<$data>(&s, &user, id, if_match).await
            }

            /// The audit log of the record, newest first.
            #[utoipa::path(get, path = HISTORY, tag = $tag, params(("id" = Uuid, Path), PageParams),
                responses((status = 200, body = HistoryOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
            pub async fn history(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, QueryParams(p): QueryParams<PageParams>) -> Result<Json<HistoryOut>, ApiError> {
                super::history::<$data>(&s, &user, id, p).await
            }

            #[utoipa::path(post, path = TAGS, tag = $tag, request_body = AttachTag, params(("id" = Uuid, Path)),
                responses((status = 200, body = TagOut), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn attach_tag(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, body: JsonBody) -> Result<Json<TagOut>, ApiError> {
                super::attach_tag::<$data>(&s, &user, id, body).await
            }

            #[utoipa::path(delete, path = TAG_ITEM, tag = $tag, params(("id" = Uuid, Path), ("tag_id" = Uuid, Path)),
                responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
            pub async fn detach_tag(State(s): State<AppState>, user: CurrentUser, PathParams((id, tag_id)): PathParams<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
                super::detach_tag::<$data>(&s, &user, id, tag_id).await
            }

            pub fn routes() -> axum::Router<AppState> {
                use axum::routing::{delete as del, get as get_, post};
                axum::Router::new()
                    .route(COLLECTION, get_(list).post(create))
                    .route(ITEM, get_(get).patch(patch).delete(delete))
                    .route(HISTORY, get_(history))
                    .route(TAGS, post(attach_tag))
                    .route(TAG_ITEM, del(detach_tag))
            }
        }
    };
}

/// The API of every record kind in [`kartei_core::with_record_kinds`]: each kind's documented routes
/// (list, create, get, patch, delete, history, tags), the router of all of them and
/// their part of the OpenAPI document, so a route and its documentation cannot part.
macro_rules! record_kinds {
    ($($kind:ident / $module:ident: $data:ty = $name:literal, $collection:literal;)*) => {
        $(record_api!($module, $data, $collection);)*

        /// The routes of every record kind.
        pub fn routes() -> axum::Router<AppState> {
            axum::Router::new()$(.merge($module::routes()))*
        }

        /// Per record kind its collection's path, the name of its schema and the fields a
        /// new record needs ([`RecordData::REQUIRED`]), for the create bodies' documentation.
        pub fn create_bodies() -> Vec<(&'static str, String, &'static [&'static [&'static str]])> {
            vec![$((
                concat!("/api/v1/", $collection),
                <$data as ToSchema>::name().into_owned(),
                <$data as RecordData>::REQUIRED,
            )),*]
        }

        /// The OpenAPI paths of every record kind.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($(
            $module::list, $module::create, $module::get, $module::patch,
            $module::delete, $module::history, $module::attach_tag, $module::detach_tag
        ),*))]
        pub struct RecordsApi;
    };
}

kartei_core::with_record_kinds!(record_kinds);

/// Likely duplicates of a contact draft.
pub mod duplicates {
    use super::super::dto::{DuplicateOut, DuplicateParams, DuplicatesOut, ReasonOut, RecordOut};
    use super::super::extract::{JsonBody, QueryParams};
    use crate::auth::CurrentUser;
    use crate::error::{request_lang, ApiError, Problem};
    use crate::AppState;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::Json;
    use kartei_core::access::Permission;
    use kartei_core::contact::ContactData;
    use kartei_core::matching::draft_for_matching;

    /// Contacts that are likely the same person as the draft (which may be incomplete or
    /// not yet valid), best first, each with a score (0–100) and the reasons. For the
    /// "a similar contact exists" hint while a new contact is typed.
    #[utoipa::path(post, path = "/api/v1/contacts/duplicates", tag = "contacts", request_body = ContactData, params(DuplicateParams),
        responses((status = 200, body = DuplicatesOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
    pub async fn find(
        State(s): State<AppState>,
        user: CurrentUser,
        headers: HeaderMap,
        QueryParams(p): QueryParams<DuplicateParams>,
        body: JsonBody,
    ) -> Result<Json<DuplicatesOut>, ApiError> {
        user.require(Permission::ReadRecords)?;
        let draft = draft_for_matching(body.parse::<ContactData>()?, s.store.default_region());
        let lang = request_lang(&headers);
        let sensitive = user.may(Permission::ViewSensitive);
        let found = s.store.likely_duplicates(&draft, p.exclude, 10).await?;
        let items = found
            .into_iter()
            .map(|(record, m)| DuplicateOut {
                score: m.score,
                reasons: ReasonOut::list(m.reasons, lang),
                contact: RecordOut::new(record, sensitive),
            })
            .collect();
        Ok(Json(DuplicatesOut { items }))
    }
}
