//! The form page: its fields, sections and repeated groups, and how a record (with
//! its errors and a newer version beside it) becomes one.

use super::*;
use crate::web::error::WebError;
use crate::web::form::{parse_path, Step};
use crate::web::records::WebRecord;
use crate::web::session::{Session, Shell};
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kartei_app::texts::field_label;
use kartei_core::access::Permission;
use kartei_core::i18n::Lang;
use kartei_core::validation::FieldError;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub struct Field {
    pub name: String,
    pub id: String,
    pub label: String,
    /// `text`, `textarea`, `date`, `number`, `select`, `org` or `checks`.
    pub input: &'static str,
    pub value: String,
    /// For an organisation: its name beside the id.
    pub display: String,
    pub options: Vec<(String, String, bool)>,
    /// For a picker: where to search (`/contacts/options`).
    pub source: String,
    pub error: Option<String>,
    /// The value someone else saved meanwhile, when it differs from this one.
    pub theirs: Option<String>,
    /// A choice that always has a value (the kind of an e-mail): no empty option.
    pub required: bool,
}

impl Field {
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id)
    }
}

pub struct Section {
    /// The text key of the title; the page script shows sections by it.
    pub key: &'static str,
    pub title: &'static str,
    pub fields: Vec<Field>,
}

/// Sections of rarely used fields (bank details, codes): closed until opened, or
/// until they hold a value or an error.
const ON_DEMAND: &[&str] = &["form.codes", "detail.bank"];

impl Section {
    pub fn on_demand(&self) -> bool {
        ON_DEMAND.contains(&self.key)
    }

    pub fn starts_open(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.error.is_some() || !f.value.is_empty())
    }
}

pub struct Group {
    pub key: &'static str,
    pub title: String,
    pub add_label: &'static str,
    pub rows: Vec<Vec<Field>>,
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub shell: Shell,
    pub title: &'static str,
    pub action: String,
    pub cancel_href: String,
    pub record_id: Option<Uuid>,
    pub version: Option<i64>,
    pub sections: Vec<Section>,
    pub groups: Vec<Group>,
    pub errors: Vec<(String, String)>,
    pub conflict: bool,
    pub similar_url: Option<&'static str>,
}

/// Where the values, errors and the other version come from.
pub(super) struct Render<'a> {
    pub(super) mine: &'a Value,
    pub(super) errors: &'a [FieldError],
    pub(super) theirs: Option<&'a Value>,
    pub(super) record_id: Option<Uuid>,
    pub(super) version: Option<i64>,
}

pub(super) async fn render<R: WebRecord>(
    state: &AppState,
    session: &Session,
    r: Render<'_>,
) -> Result<Response, WebError> {
    let lang = session.lang;
    let errors: HashMap<String, String> = r
        .errors
        .iter()
        .map(|e| (e.field.clone(), e.code.message(lang).to_string()))
        .collect();
    let mut docs = vec![r.mine];
    docs.extend(r.theirs);
    let lookups = lookups::<R>(state, &docs).await?;
    let src = Sources {
        lang,
        mine: r.mine,
        errors: &errors,
        theirs: r.theirs,
        tz_minutes: session.tz_minutes,
    };
    let (sections, groups) = build::<R>(&src, &lookups, session.may(Permission::ViewSensitive));
    let (here, action, cancel, title) = match r.record_id {
        Some(id) => (
            format!("{}/{}/edit", R::PATH, id),
            format!("{}/{}", R::PATH, id),
            format!("{}/{}", R::PATH, id),
            R::EDIT_KEY,
        ),
        None => (
            format!("{}/new", R::PATH),
            R::PATH.to_string(),
            R::PATH.to_string(),
            R::NEW_KEY,
        ),
    };
    let shell = Shell::load(state, session, R::SECTION, &here, None).await?;
    let page = FormPage {
        title: shell.t(title),
        action,
        cancel_href: cancel,
        record_id: r.record_id,
        version: r.version,
        sections,
        groups,
        errors: r
            .errors
            .iter()
            .map(|e| {
                (
                    label_of_path(&e.field, lang),
                    e.code.message(lang).to_string(),
                )
            })
            .collect(),
        conflict: r.theirs.is_some(),
        similar_url: (R::ENTITY == kartei_core::record::Entity::Contact)
            .then_some("/contacts/similar"),
        shell,
    };
    let status = if r.errors.is_empty() && r.theirs.is_none() {
        StatusCode::OK
    } else if r.theirs.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// "E-Mail 1: Adresse" for `emails[0].address`.
pub(super) fn label_of_path(path: &str, lang: Lang) -> String {
    let Some(steps) = parse_path(path) else {
        return path.to_string();
    };
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => field_label(k, lang),
            Step::Index(i) => (i + 1).to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
