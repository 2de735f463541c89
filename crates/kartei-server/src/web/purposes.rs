//! The consent purposes, for administrators and managers: the list with how many
//! contacts may be addressed for each, editing names and descriptions, adding one.

use super::error::WebError;
use super::session::{Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use kartei_core::access::Permission;
use kartei_core::consent::Purpose;
use kartei_store::StoreError;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "admin_purposes.html")]
struct PurposesPage {
    shell: Shell,
    purposes: Vec<Purpose>,
    errors: HashMap<String, String>,
    /// (field label, message) of each error, for the box above the form.
    error_lines: Vec<(String, String)>,
    /// What the add form had, when it failed.
    draft: Purpose,
}

impl PurposesPage {
    fn error(&self, key: &str) -> Option<&String> {
        self.errors.get(key)
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    errors: HashMap<String, String>,
    draft: Purpose,
) -> Result<Response, WebError> {
    session.require(Permission::ManagePurposes)?;
    let shell = Shell::load(state, session, "purposes", "/admin/purposes", notice).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let tr = kartei_app::texts::Tr(session.lang);
    let mut error_lines: Vec<(String, String)> = errors
        .iter()
        .map(|(k, m)| (tr.t(&format!("purposes.{k}")).to_string(), m.clone()))
        .collect();
    error_lines.sort();
    let page = PurposesPage {
        error_lines,
        shell,
        purposes: state.store.consent_purposes().await?,
        errors,
        draft,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<super::work::NoticeQuery>,
) -> Result<Response, WebError> {
    page(
        &state,
        &session,
        q.notice.as_deref(),
        HashMap::new(),
        Purpose {
            key: String::new(),
            name_de: String::new(),
            name_en: String::new(),
            description_de: String::new(),
            description_en: String::new(),
        },
    )
    .await
}

/// Adds a purpose, or saves the names and descriptions of the one with the key.
async fn save(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ManagePurposes)?;
    let text = |k: &str| form.get(k).unwrap_or("").to_string();
    let purpose = Purpose {
        key: text("key"),
        name_de: text("name_de"),
        name_en: text("name_en"),
        description_de: text("description_de"),
        description_en: text("description_en"),
    };
    match state
        .store
        .save_consent_purpose(&session.actor(), purpose.clone())
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/purposes?notice=saved.created").into_response()),
        Err(StoreError::Invalid(fields)) => {
            let errors = fields
                .iter()
                .map(|f| (f.field.clone(), f.code.message(session.lang).to_string()))
                .collect();
            page(&state, &session, None, errors, purpose).await
        }
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/purposes", get(show).post(save))
}
