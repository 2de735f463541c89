//! The REST API under `/api/v1`, and its OpenAPI 3.1 document.

pub mod audit;
pub mod channels;
pub mod consents;
pub mod dto;
pub mod extract;
pub mod history;
pub mod merges;
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
        records::duplicates::find,
        history::contact_timeline, history::organization_timeline, history::purchases, history::loyalty,
        history::add_loyalty, history::deal_stages, history::board,
        merges::candidates, merges::scan, merges::distinct, merges::merge, merges::list, merges::undo,
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
        (name = "activities", description = "Notes, calls, e-mails, meetings and tasks"),
        (name = "pipelines", description = "Sales pipelines and their stages"),
        (name = "deals", description = "Deals moving through a pipeline"),
        (name = "product-categories"), (name = "products"),
        (name = "orders", description = "Orders with lines and computed totals (minor units)"),
        (name = "tickets", description = "Support tickets"),
        (name = "feedback", description = "NPS answers, star ratings and reviews"),
        (name = "loyalty", description = "Loyalty points per contact"),
        (name = "audit", description = "The audit log's hash chain"),
        (name = "consents", description = "The consent ledger: per contact, channel and purpose, with proof"),
        (name = "duplicates", description = "The duplicate scan, merging contacts and undoing merges"),
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

/// The OpenAPI document: the record kinds' paths (from their registry in
/// [`records`]) and the rest.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(records::RecordsApi::openapi());
    doc.merge(channels::ChannelsApi::openapi());
    doc.merge(consents::ConsentsApi::openapi());
    doc.merge(audit::AuditApi::openapi());
    document_refusals(&mut doc);
    document_inputs(&mut doc);
    doc
}

/// What the derived schemas cannot say by themselves: the versions an `If-Match` header
/// names, and which fields a new record must carry (the kinds' [`RecordData::REQUIRED`];
/// a PATCH body needs none of them).
///
/// [`RecordData::REQUIRED`]: kartei_core::record::RecordData::REQUIRED
fn document_inputs(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{
        AllOfBuilder, AnyOfBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let version = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r#"^(\*|(W/)?"[0-9]{1,18}")?$"#))
        .description(Some(
            "An ETag as read (`\"3\"` or `W/\"3\"`); `*` or empty: any version",
        ))
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in == ParameterIn::Header && p.name == "If-Match" {
                    p.schema = Some(version.clone().into());
                }
            }
        }
    }
    merge_patches(doc);
    let Some(components) = doc.components.as_ref() else {
        return;
    };
    // A required field as its schema says, but given: not null, and a text not blank.
    let given = |schema: &str, field: &str| {
        let mut property = match components.schemas.get(schema) {
            Some(RefOr::T(Schema::Object(o))) => match o.properties.get(field) {
                Some(RefOr::T(Schema::Object(p))) => p.clone(),
                _ => Default::default(),
            },
            _ => Default::default(),
        };
        if let SchemaType::Array(types) = &property.schema_type {
            let types: Vec<Type> = types
                .iter()
                .filter(|t| **t != Type::Null)
                .cloned()
                .collect();
            if let [one] = types.as_slice() {
                property.schema_type = SchemaType::Type(one.clone());
            }
        }
        if property.schema_type == SchemaType::Type(Type::String) && property.format.is_none() {
            property.pattern = Some(r"\S".to_string());
        }
        property.default = None;
        ObjectBuilder::new()
            .property(field, property)
            .required(field)
            .build()
    };
    let mut bodies = Vec::new();
    const TAG_REQUIRED: &[&[&str]] = &[&["name"]];
    let tag_input = <kartei_core::tag::TagInput as utoipa::ToSchema>::name().into_owned();
    let creates =
        records::create_bodies()
            .into_iter()
            .chain([("/api/v1/tags", tag_input, TAG_REQUIRED)]);
    for (path, schema, groups) in creates {
        let mut all = AllOfBuilder::new().item(Ref::from_schema_name(&schema));
        for group in groups {
            all = match group {
                [field] => all.item(given(&schema, field)),
                fields => all.item(
                    fields
                        .iter()
                        .fold(AnyOfBuilder::new(), |any, f| any.item(given(&schema, f)))
                        .description(Some(format!("At least one of {}", fields.join(", ")))),
                ),
            };
        }
        bodies.push((path.to_string(), all.build()));
    }
    // A tag is attached by its id or by its name, not both.
    let tag = AllOfBuilder::new()
        .item(Ref::from_schema_name("AttachTag"))
        .item(
            OneOfBuilder::new()
                .item(given("AttachTag", "tag_id"))
                .item(given("AttachTag", "name")),
        )
        .build();
    for path in doc.paths.paths.keys() {
        if path.ends_with("/{id}/tags") {
            bodies.push((path.clone(), tag.clone()));
        }
    }
    for (path, body) in bodies {
        let create = doc
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.post.as_mut());
        if let Some(content) = create
            .and_then(|op| op.request_body.as_mut())
            .and_then(|b| b.content.get_mut("application/json"))
        {
            content.schema = Some(Schema::AllOf(body).into());
        }
    }
}

/// The refusals any operation can answer with, added where an operation does not name
/// them itself, so the document lists every status a client can get: what every
/// request can meet (an address over the limit, a query past the deadline, a failure),
/// what a signed-in request can meet (no or a wrong credential, a role that may not,
/// a missing CSRF token), and what its parameters and body can cause.
fn document_refusals(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    let refusals = |op: &mut Operation, signed_in: bool| {
        let params = op.parameters.as_deref().unwrap_or_default();
        let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
        let body = op.request_body.is_some();
        let read = body || has(ParameterIn::Query) || has(ParameterIn::Header);
        let mut add = |status: &str, when: bool, description: &str| {
            if when && !op.responses.responses.contains_key(status) {
                op.responses
                    .responses
                    .insert(status.to_string(), problem(description).into());
            }
        };
        add(
            "400",
            read,
            "Malformed: the body is not a JSON object, or a parameter cannot be read.",
        );
        add("401", signed_in, "No valid token or session.");
        add(
            "403",
            signed_in,
            "The role does not allow this, or the CSRF token of a session is missing.",
        );
        add(
            "404",
            has(ParameterIn::Path),
            "No such record, or a path parameter that names none.",
        );
        add("413", body, "The body is over 2 MiB.");
        add("414", true, "The address is over 8,192 characters.");
        add(
            "422",
            body || has(ParameterIn::Query),
            "Invalid input; `errors` names every failing field.",
        );
        add("500", true, "An internal error; nothing was saved.");
        add(
            "503",
            true,
            "A query ran past the request deadline; try again after Retry-After.",
        );
    };
    for (path, item) in &mut doc.paths.paths {
        let signing_in = path == "/api/v1/session";
        for (op, anonymous) in [
            (&mut item.get, false),
            (&mut item.post, signing_in),
            (&mut item.put, false),
            (&mut item.patch, false),
            (&mut item.delete, false),
        ] {
            if let Some(op) = op {
                refusals(op, !anonymous);
            }
        }
    }
}

/// A PATCH body is a JSON merge patch (RFC 7396): any field may be left out, and `null`
/// clears one. Each PATCH body's schema `X` becomes `XPatch`, the same fields with
/// nothing required and every field nullable.
fn merge_patches(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{OneOfBuilder, Schema, SchemaType, Type};
    use utoipa::openapi::{Ref, RefOr};
    let null = || {
        Schema::Object(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(Type::Null)
                .build(),
        )
    };
    let nullable = |property: &RefOr<Schema>| -> RefOr<Schema> {
        match property {
            RefOr::T(Schema::Object(o)) => match &o.schema_type {
                SchemaType::Type(t) if *t != Type::Null => {
                    let mut o = o.clone();
                    o.schema_type = SchemaType::from_iter([t.clone(), Type::Null]);
                    if let Some(values) = o.enum_values.as_mut() {
                        values.push(serde_json::Value::Null);
                    }
                    RefOr::T(Schema::Object(o))
                }
                _ => property.clone(),
            },
            RefOr::T(Schema::Array(a)) if a.schema_type == SchemaType::Type(Type::Array) => {
                let mut a = a.clone();
                a.schema_type = SchemaType::from_iter([Type::Array, Type::Null]);
                RefOr::T(Schema::Array(a))
            }
            other => RefOr::T(Schema::OneOf(
                OneOfBuilder::new().item(other.clone()).item(null()).build(),
            )),
        }
    };
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for item in doc.paths.paths.values_mut() {
        let Some(content) = item
            .patch
            .as_mut()
            .and_then(|op| op.request_body.as_mut())
            .and_then(|b| b.content.get_mut("application/json"))
        else {
            continue;
        };
        let Some(RefOr::Ref(reference)) = &content.schema else {
            continue;
        };
        let Some(name) = reference
            .ref_location
            .rsplit('/')
            .next()
            .map(str::to_string)
        else {
            continue;
        };
        let patch = format!("{name}Patch");
        if !components.schemas.contains_key(&patch) {
            let Some(RefOr::T(Schema::Object(base))) = components.schemas.get(&name) else {
                continue;
            };
            let mut body = base.clone();
            body.required.clear();
            for property in body.properties.values_mut() {
                *property = nullable(property);
            }
            components
                .schemas
                .insert(patch.clone(), RefOr::T(Schema::Object(body)));
        }
        content.schema = Some(RefOr::Ref(Ref::from_schema_name(patch)));
    }
}

pub fn openapi_json() -> String {
    openapi().to_pretty_json().unwrap_or_default()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(records::routes())
        .merge(channels::routes())
        .merge(consents::routes())
        .merge(audit::routes())
        .route(
            "/api/v1/contacts/{id}/timeline",
            get(history::contact_timeline),
        )
        .route(
            "/api/v1/organizations/{id}/timeline",
            get(history::organization_timeline),
        )
        .route("/api/v1/contacts/{id}/purchases", get(history::purchases))
        .route(
            "/api/v1/contacts/{id}/loyalty",
            get(history::loyalty).post(history::add_loyalty),
        )
        .route("/api/v1/deals/{id}/stages", get(history::deal_stages))
        .route("/api/v1/pipelines/{id}/board", get(history::board))
        .route(
            "/api/v1/contacts/duplicates",
            post(records::duplicates::find),
        )
        .route("/api/v1/duplicates", get(merges::candidates))
        .route("/api/v1/duplicates/scan", post(merges::scan))
        .route("/api/v1/duplicates/distinct", post(merges::distinct))
        .route("/api/v1/contacts/{id}/merge", post(merges::merge))
        .route("/api/v1/merges", get(merges::list))
        .route("/api/v1/merges/{id}/undo", post(merges::undo))
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
