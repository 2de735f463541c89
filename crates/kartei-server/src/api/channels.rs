//! Adding or removing one e-mail, phone or address of a contact or organisation,
//! without sending the whole list: the change is made to what the record holds at that
//! moment, so two colleagues adding an e-mail each keep both. (A PATCH of `emails`
//! replaces the list; without If-Match it overwrites what another client added.)

use super::dto::RecordOut;
use super::extract::{etag, IfMatch, JsonBody};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::AppState;
use axum::response::IntoResponse;
use axum::Json;
use kartei_core::access::Permission;
use kartei_core::channels::{ChannelEntry, ChannelKey, HasChannels};
use kartei_core::record::RecordData;
use kartei_store::StoreError;
use utoipa::ToSchema;
use uuid::Uuid;

/// Adds the entry unless the record has it already; either way the record as it is
/// now.
pub async fn add<R: RecordData + HasChannels + ToSchema, E: serde::de::DeserializeOwned>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    if_match: IfMatch,
    body: JsonBody,
    entry: fn(E) -> ChannelEntry,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::WriteRecords)?;
    let entry = entry(body.parse::<E>()?);
    let region = state.store.default_region().to_string();
    let record = state
        .store
        .edit::<R>(&user.actor(), id, if_match.0, |current| {
            let mut next = current.clone();
            match next.channels().add(entry, &region) {
                Ok(true) => Ok(Some(next)),
                Ok(false) => Ok(None),
                Err(fields) => Err(StoreError::Invalid(fields)),
            }
        })
        .await?;
    Ok((
        etag(record.version),
        Json(RecordOut::new(record, user.may(Permission::ViewSensitive))),
    ))
}

/// Takes the entry out; 404 when the record does not have it. An address is named by
/// its position, which another change can shift, so that needs If-Match.
pub async fn remove<R: RecordData + HasChannels + ToSchema>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    if_match: IfMatch,
    key: ChannelKey,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::WriteRecords)?;
    if matches!(key, ChannelKey::Address(_)) && if_match.0.is_none() {
        return Err(ApiError::PreconditionRequired);
    }
    let region = state.store.default_region().to_string();
    let mut found = false;
    let record = state
        .store
        .edit::<R>(&user.actor(), id, if_match.0, |current| {
            let mut next = current.clone();
            found = next.channels().remove(&key, &region);
            Ok(found.then_some(next))
        })
        .await?;
    if !found {
        return Err(ApiError::NotFound);
    }
    Ok((
        etag(record.version),
        Json(RecordOut::new(record, user.may(Permission::ViewSensitive))),
    ))
}

/// Declares the documented channel routes of one record kind.
macro_rules! channel_api {
    ($module:ident, $data:ty, $tag:literal) => {
        pub mod $module {
            use super::super::dto::RecordOut;
            use super::super::extract::{IfMatch, JsonBody, PathParams};
            use crate::auth::CurrentUser;
            use crate::error::{ApiError, Problem};
            use crate::AppState;
            use axum::extract::State;
            use axum::response::IntoResponse;
            use kartei_core::channels::{Address, ChannelEntry, ChannelKey, EmailEntry, PhoneEntry};
            use uuid::Uuid;

            const EMAILS: &str = concat!("/api/v1/", $tag, "/{id}/emails");
            const EMAIL: &str = concat!("/api/v1/", $tag, "/{id}/emails/{address}");
            const PHONES: &str = concat!("/api/v1/", $tag, "/{id}/phones");
            const PHONE: &str = concat!("/api/v1/", $tag, "/{id}/phones/{number}");
            const ADDRESSES: &str = concat!("/api/v1/", $tag, "/{id}/addresses");
            const ADDRESS: &str = concat!("/api/v1/", $tag, "/{id}/addresses/{position}");

            /// Adds one e-mail; one the record has already changes nothing.
            #[utoipa::path(post, path = EMAILS, tag = $tag, request_body = EmailEntry,
                params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "Optional: the ETag read; a stale one gets 412")),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn add_email(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, if_match: IfMatch, body: JsonBody) -> Result<impl IntoResponse, ApiError> {
                super::add::<$data, EmailEntry>(&s, &user, id, if_match, body, ChannelEntry::Email).await
            }

            /// Removes one e-mail, named in any notation (case does not matter).
            #[utoipa::path(delete, path = EMAIL, tag = $tag,
                params(("id" = Uuid, Path), ("address" = String, Path), ("If-Match" = Option<String>, Header)),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
            pub async fn remove_email(State(s): State<AppState>, user: CurrentUser, PathParams((id, address)): PathParams<(Uuid, String)>, if_match: IfMatch) -> Result<impl IntoResponse, ApiError> {
                super::remove::<$data>(&s, &user, id, if_match, ChannelKey::Email(address)).await
            }

            /// Adds one phone number; one the record has already (in any notation)
            /// changes nothing.
            #[utoipa::path(post, path = PHONES, tag = $tag, request_body = PhoneEntry,
                params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "Optional: the ETag read; a stale one gets 412")),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn add_phone(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, if_match: IfMatch, body: JsonBody) -> Result<impl IntoResponse, ApiError> {
                super::add::<$data, PhoneEntry>(&s, &user, id, if_match, body, ChannelEntry::Phone).await
            }

            /// Removes one phone number, named in any notation.
            #[utoipa::path(delete, path = PHONE, tag = $tag,
                params(("id" = Uuid, Path), ("number" = String, Path), ("If-Match" = Option<String>, Header)),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
            pub async fn remove_phone(State(s): State<AppState>, user: CurrentUser, PathParams((id, number)): PathParams<(Uuid, String)>, if_match: IfMatch) -> Result<impl IntoResponse, ApiError> {
                super::remove::<$data>(&s, &user, id, if_match, ChannelKey::Phone(number)).await
            }

            /// Adds one postal address; one that says nothing new changes nothing.
            #[utoipa::path(post, path = ADDRESSES, tag = $tag, request_body = Address,
                params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "Optional: the ETag read; a stale one gets 412")),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
            pub async fn add_address(State(s): State<AppState>, user: CurrentUser, PathParams(id): PathParams<Uuid>, if_match: IfMatch, body: JsonBody) -> Result<impl IntoResponse, ApiError> {
                super::add::<$data, Address>(&s, &user, id, if_match, body, ChannelEntry::Address).await
            }

            /// Removes the address at a position (from 0) of the record read; If-Match
            /// is required, since another change can shift the positions.
            #[utoipa::path(delete, path = ADDRESS, tag = $tag,
                params(("id" = Uuid, Path), ("position" = u32, Path, maximum = 19), ("If-Match" = String, Header, description = "The ETag read")),
                responses((status = 200, body = RecordOut<$data>, headers(("ETag" = String))), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json")))]
            pub async fn remove_address(State(s): State<AppState>, user: CurrentUser, PathParams((id, position)): PathParams<(Uuid, usize)>, if_match: IfMatch) -> Result<impl IntoResponse, ApiError> {
                super::remove::<$data>(&s, &user, id, if_match, ChannelKey::Address(position)).await
            }

            pub fn routes() -> axum::Router<AppState> {
                use axum::routing::{delete, post};
                axum::Router::new()
                    .route(EMAILS, post(add_email))
                    .route(EMAIL, delete(remove_email))
                    .route(PHONES, post(add_phone))
                    .route(PHONE, delete(remove_phone))
                    .route(ADDRESSES, post(add_address))
                    .route(ADDRESS, delete(remove_address))
            }
        }
    };
}

channel_api!(contacts, kartei_core::contact::ContactData, "contacts");
channel_api!(
    organizations,
    kartei_core::organization::OrganizationData,
    "organizations"
);

/// The channel routes of every kind that has channels.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(contacts::routes())
        .merge(organizations::routes())
}

/// Their part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    contacts::add_email,
    contacts::remove_email,
    contacts::add_phone,
    contacts::remove_phone,
    contacts::add_address,
    contacts::remove_address,
    organizations::add_email,
    organizations::remove_email,
    organizations::add_phone,
    organizations::remove_phone,
    organizations::add_address,
    organizations::remove_address
))]
pub struct ChannelsApi;
