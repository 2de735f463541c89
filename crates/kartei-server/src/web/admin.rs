//! Administration pages: users and roles, tags, custom field definitions.

use super::error::WebError;
use super::session::{Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_core::access::{Permission, Role};
use kartei_core::custom_field::{ChoiceOption, CustomFieldDef, CustomFieldInput, CustomKind};
use kartei_core::record::Entity;
use kartei_core::tag::TagInput;
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::tags::Tag;
use kartei_store::users::User;
use kartei_store::StoreError;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub const ROLES: &[Role] = &[Role::Admin, Role::Manager, Role::User, Role::Readonly];
const KINDS: &[CustomKind] = &[
    CustomKind::Text,
    CustomKind::Number,
    CustomKind::Date,
    CustomKind::Boolean,
    CustomKind::SingleChoice,
    CustomKind::MultiChoice,
];

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// Field errors of a failed form, by field, in the reader's language.
fn messages(fields: &[FieldError], lang: kartei_core::i18n::Lang) -> HashMap<String, String> {
    fields
        .iter()
        .map(|f| (f.field.clone(), f.code.message(lang).to_string()))
        .collect()
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    shell: Shell,
    users: Vec<User>,
    me: Uuid,
    roles: Vec<(&'static str, &'static str)>,
    errors: HashMap<String, String>,
    name: String,
}

async fn users_page(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    errors: HashMap<String, String>,
    name: String,
) -> Result<Response, WebError> {
    session.require(Permission::ManageUsers)?;
    let shell = Shell::load(state, session, "users", "/admin/users", notice).await?;
    let roles = ROLES
        .iter()
        .map(|r| (r.as_str(), shell.t(&format!("role.{}", r.as_str()))))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UsersPage {
        shell,
        users: state.store.users().await?,
        me: session.user.id,
        roles,
        errors,
        name,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn users(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    users_page(
        &state,
        &session,
        q.notice.as_deref(),
        HashMap::new(),
        String::new(),
    )
    .await
}

async fn add_user(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageUsers)?;
    let name = form.get("name").unwrap_or("").to_string();
    let role = form
        .get("role")
        .and_then(Role::parse)
        .ok_or(WebError::BadRequest)?;
    let result = match crate::auth::hash_password(form.raw("password")) {
        Ok(hash) => state
            .store
            .add_user(&session.actor(), &name, role, &hash)
            .await
            .map(|_| ()),
        Err(e) => Err(StoreError::Invalid(vec![e])),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/users?notice=saved.created").into_response()),
        Err(StoreError::Invalid(fields)) => {
            users_page(
                &state,
                &session,
                None,
                messages(&fields, session.lang),
                name,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageUsers)?;
    let role = form
        .get("role")
        .and_then(Role::parse)
        .ok_or(WebError::BadRequest)?;
    // An administrator cannot take away their own administration by accident.
    if id == session.user.id && role != Role::Admin {
        return Err(WebError::Forbidden);
    }
    match state
        .store
        .update_user(&session.actor(), id, Some(role), None, None)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/users?notice=saved.created").into_response()),
        Err(kartei_store::StoreError::Invalid(_)) => {
            Ok(Redirect::to("/admin/users?notice=user.last_admin").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageUsers)?;
    if id == session.user.id {
        return Err(WebError::Forbidden);
    }
    state.store.delete_user(&session.actor(), id).await?;
    Ok(Redirect::to("/admin/users?notice=saved.deleted").into_response())
}

#[derive(Template)]
#[template(path = "admin_tags.html")]
struct TagsPage {
    shell: Shell,
    tags: Vec<Tag>,
    errors: HashMap<String, String>,
}

async fn tags_page(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    errors: HashMap<String, String>,
) -> Result<Response, WebError> {
    session.require(Permission::ManageTags)?;
    let shell = Shell::load(state, session, "tags", "/admin/tags", notice).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TagsPage {
        shell,
        tags: state.store.list_tags().await?,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn tags(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    tags_page(&state, &session, q.notice.as_deref(), HashMap::new()).await
}

fn tag_input(form: &super::form::FormData) -> TagInput {
    TagInput {
        name: form.get("name").map(str::to_string),
        color: form.get("color").map(str::to_string),
    }
}

async fn add_tag(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageTags)?;
    match state
        .store
        .create_tag(&session.actor(), tag_input(&form))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/tags?notice=saved.created").into_response()),
        Err(StoreError::Invalid(fields)) => {
            tags_page(&state, &session, None, messages(&fields, session.lang)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn update_tag(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageTags)?;
    match state
        .store
        .update_tag(&session.actor(), id, None, tag_input(&form))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/tags?notice=saved.created").into_response()),
        Err(StoreError::Invalid(fields)) => {
            tags_page(&state, &session, None, messages(&fields, session.lang)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_tag(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageTags)?;
    state.store.delete_tag(&session.actor(), id).await?;
    Ok(Redirect::to("/admin/tags?notice=saved.deleted").into_response())
}

#[derive(Template)]
#[template(path = "admin_fields.html")]
struct FieldsPage {
    shell: Shell,
    fields: Vec<CustomFieldDef>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: HashMap<String, String>,
    input: HashMap<String, String>,
}

impl FieldsPage {
    fn entity_label(&self, e: &Entity) -> &'static str {
        self.shell.t(&format!("entity.{}", e.as_str()))
    }

    fn kind_label(&self, k: &CustomKind) -> &'static str {
        self.shell.t(&format!("kind.{}", k.as_str()))
    }

    fn error(&self, key: &str) -> Option<&String> {
        self.errors.get(key)
    }

    fn value(&self, key: &str) -> &str {
        self.input.get(key).map_or("", String::as_str)
    }
}

async fn fields_page(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    errors: HashMap<String, String>,
    input: HashMap<String, String>,
) -> Result<Response, WebError> {
    session.require(Permission::ManageCustomFields)?;
    let shell = Shell::load(state, session, "fields", "/admin/fields", notice).await?;
    let kinds = KINDS
        .iter()
        .map(|k| (k.as_str(), shell.t(&format!("kind.{}", k.as_str()))))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FieldsPage {
        shell,
        fields: state.store.custom_fields(None).await?,
        kinds,
        errors,
        input,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn fields(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    fields_page(
        &state,
        &session,
        q.notice.as_deref(),
        HashMap::new(),
        HashMap::new(),
    )
    .await
}

/// Choices as typed: one per line, `key = Deutsch | English`.
fn parse_options(text: &str) -> Result<Vec<ChoiceOption>, FieldError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (key, labels) = line
                .split_once('=')
                .ok_or_else(|| FieldError::new("options", ErrorCode::InvalidType))?;
            let (de, en) = labels.split_once('|').unwrap_or((labels, labels));
            Ok(ChoiceOption {
                key: key.trim().to_string(),
                label_de: de.trim().to_string(),
                label_en: en.trim().to_string(),
            })
        })
        .collect()
}

async fn add_field(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageCustomFields)?;
    let input: HashMap<String, String> =
        ["entity", "key", "label_de", "label_en", "kind", "options"]
            .iter()
            .map(|k| (k.to_string(), form.get(k).unwrap_or("").to_string()))
            .collect();
    let entity = form
        .get("entity")
        .and_then(Entity::parse)
        .ok_or(WebError::BadRequest)?;
    let kind = form
        .get("kind")
        .and_then(CustomKind::parse)
        .ok_or(WebError::BadRequest)?;
    let result = match parse_options(form.get("options").unwrap_or("")) {
        Ok(options) => state
            .store
            .create_custom_field(
                &session.actor(),
                CustomFieldInput {
                    entity,
                    key: form.get("key").unwrap_or("").to_string(),
                    label_de: form.get("label_de").unwrap_or("").to_string(),
                    label_en: form.get("label_en").unwrap_or("").to_string(),
                    kind,
                    options,
                },
            )
            .await
            .map(|_| ()),
        Err(e) => Err(StoreError::Invalid(vec![e])),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/fields?notice=saved.created").into_response()),
        Err(StoreError::Invalid(fields)) => {
            let mut errors = messages(&fields, session.lang);
            // Errors of single choices (`options[1].key`) are shown at the choices box.
            let option_errors: Vec<String> = errors
                .iter()
                .filter(|(k, _)| k.starts_with("options["))
                .map(|(_, v)| v.clone())
                .collect();
            if let Some(first) = option_errors.first() {
                errors.insert("options".into(), first.clone());
            }
            fields_page(&state, &session, None, errors, input).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_field(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManageCustomFields)?;
    state
        .store
        .delete_custom_field(&session.actor(), id)
        .await?;
    Ok(Redirect::to("/admin/fields?notice=saved.deleted").into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/users/{id}/role", post(set_role))
        .route("/admin/users/{id}/delete", post(delete_user))
        .route("/admin/tags", get(tags).post(add_tag))
        .route("/admin/tags/{id}", post(update_tag))
        .route("/admin/tags/{id}/delete", post(delete_tag))
        .route("/admin/fields", get(fields).post(add_field))
        .route("/admin/fields/{id}/delete", post(delete_field))
}
