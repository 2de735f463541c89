//! The REST API under `/api/v1`, and its OpenAPI 3.1 document.

pub mod dto;
pub mod extract;
pub mod records;
pub mod tags;
pub mod trash;
pub mod users;

use crate::error::{Problem, ProblemField};
use crate::AppState;
use axum::routing::{get, patch, post};
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Kartei API", description = "Customer database and CRM. Errors are RFC 9457 problem+json in the language of Accept-Language (de, en)."),
    paths(
        records::contacts::list, records::contacts::create, records::contacts::get, records::contacts::patch,
        records::contacts::delete, records::contacts::history, records::contacts::attach_tag, records::contacts::detach_tag,
        records::organizations::list, records::organizations::create, records::organizations::get, records::organizations::patch,
        records::organizations::delete, records::organizations::history, records::organizations::attach_tag,
        records::organizations::detach_tag, records::duplicates::find,
        tags::list, tags::create, tags::update, tags::delete,
        tags::list_fields, tags::create_field, tags::update_field, tags::delete_field,
        trash::list, trash::restore, trash::purge,
        users::list, users::create, users::update, users::delete, users::me,
        users::tokens, users::create_token, users::revoke_token, users::login, users::logout,
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&Security),
    security(("token" = []), ("session" = [])),
    tags(
        (name = "contacts", description = "People"),
        (name = "organizations", description = "Companies and other organisations"),
        (name = "tags"), (name = "custom-fields"), (name = "trash"), (name = "users"), (name = "tokens"), (name = "session"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "From POST /api/v1/session; state changes also need the X-CSRF-Token header.",
            ))),
        );
    }
}

pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(records::contacts::routes())
        .merge(records::organizations::routes())
        .route(
            "/api/v1/contacts/duplicates",
            post(records::duplicates::find),
        )
        .route("/api/v1/tags", get(tags::list).post(tags::create))
        .route(
            "/api/v1/tags/{id}",
            patch(tags::update).delete(tags::delete),
        )
        .route(
            "/api/v1/custom-fields",
            get(tags::list_fields).post(tags::create_field),
        )
        .route(
            "/api/v1/custom-fields/{id}",
            patch(tags::update_field).delete(tags::delete_field),
        )
        .route("/api/v1/trash", get(trash::list))
        .route(
            "/api/v1/trash/{collection}/{id}/restore",
            post(trash::restore),
        )
        .route(
            "/api/v1/trash/{collection}/{id}",
            axum::routing::delete(trash::purge),
        )
        .route("/api/v1/users", get(users::list).post(users::create))
        .route(
            "/api/v1/users/{id}",
            patch(users::update).delete(users::delete),
        )
        .route("/api/v1/me", get(users::me))
        .route(
            "/api/v1/tokens",
            get(users::tokens).post(users::create_token),
        )
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(users::revoke_token),
        )
        .route("/api/v1/session", post(users::login).delete(users::logout))
}
