//! Create and edit forms. Validation is the store's (the same rules and messages as
//! the API); its errors are shown next to the fields they name. A stale edit is shown
//! with both versions and saved only when the user confirms with the newer version.

use super::error::WebError;
use super::form::{parse_path, Step, Typing};
use super::records::{Input, WebRecord};
use super::session::{Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::columns::custom_label;
use kartei_app::export::user_names;
use kartei_app::texts::{field_label, option_label, Tr};
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::matching::draft_for_matching;
use kartei_core::record::{Entity, RecordData};
use kartei_core::validation::FieldError;
use kartei_store::StoreError;
use serde_json::{Map, Value};
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
struct Sources<'a> {
    lang: Lang,
    mine: &'a Value,
    errors: &'a HashMap<String, String>,
    theirs: Option<&'a Value>,
    /// The browser's offset from UTC in minutes, for date-times.
    tz_minutes: i32,
}

fn at<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = doc;
    for step in parse_path(path)? {
        v = match step {
            Step::Key(k) => v.get(k)?,
            Step::Index(i) => v.get(i)?,
        };
    }
    Some(v)
}

fn as_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| as_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

struct Lookups {
    users: HashMap<Uuid, String>,
    /// Names of linked records (organisations, contacts, deals, products).
    names: HashMap<Uuid, String>,
    /// All categories, for category selects.
    categories: Vec<(Uuid, String)>,
    /// Every stage as (id, "Pipeline › Stage").
    stages: Vec<(Uuid, String)>,
    defs: Vec<CustomFieldDef>,
}

/// A minor-unit amount as it is typed in the reader's language: `1234,50` for 123450.
fn amount(minor: &Value, lang: Lang) -> String {
    match minor.as_i64() {
        Some(m) => {
            let sign = if m < 0 { "-" } else { "" };
            let decimal = kartei_app::format::decimal_mark(lang);
            format!("{sign}{}{decimal}{:02}", (m / 100).abs(), (m % 100).abs())
        }
        None => as_text(Some(minor)),
    }
}

/// Basis points as a percentage is typed in the reader's language: `7,5` for 750.
fn percent(bp: &Value, lang: Lang) -> String {
    match bp.as_i64() {
        Some(b) => {
            kartei_core::decimal::format_scaled(b, 2, kartei_app::format::decimal_mark(lang))
        }
        None => as_text(Some(bp)),
    }
}

/// A stored UTC time as a `datetime-local` value in the browser's zone.
fn local_time(v: &Value, tz_minutes: i32) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::minutes(i64::from(tz_minutes)))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

impl Sources<'_> {
    /// One input of any kind, at `path`, with its value, error and the other version.
    fn input(&self, path: &str, label: String, input: Input, lookups: &Lookups) -> Field {
        let tr = Tr(self.lang);
        let shown = |doc: &Value| -> String {
            let v = at(doc, path).unwrap_or(&Value::Null);
            match input {
                Input::Money if !v.is_null() => amount(v, self.lang),
                Input::Percent if !v.is_null() => percent(v, self.lang),
                Input::DateTime => local_time(v, self.tz_minutes),
                Input::Owner => v
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .and_then(|id| lookups.users.get(&id).cloned())
                    .unwrap_or_else(|| as_text(Some(v))),
                Input::Pick(_) | Input::Select(_) | Input::Stage => v
                    .as_str()
                    .and_then(|s| s.parse::<Uuid>().ok())
                    .and_then(|id| {
                        lookups.names.get(&id).cloned().or_else(|| {
                            lookups
                                .categories
                                .iter()
                                .chain(&lookups.stages)
                                .find(|c| c.0 == id)
                                .map(|c| c.1.clone())
                        })
                    })
                    .unwrap_or_else(|| as_text(Some(v))),
                Input::Bool => {
                    if v.as_bool() == Some(true) {
                        tr.t("common.yes").into()
                    } else {
                        String::new()
                    }
                }
                Input::Choice(_) => v
                    .as_str()
                    .map(|c| option_label(c, self.lang).to_string())
                    .unwrap_or_default(),
                _ => as_text(Some(v)),
            }
        };
        let kind = match input {
            Input::Text => "text",
            Input::Textarea => "textarea",
            Input::Date => "date",
            Input::DateTime => "datetime",
            Input::Integer => "number",
            Input::Money | Input::Percent => "decimal",
            Input::Bool => "checkbox",
            Input::Choice(_) | Input::Owner | Input::Select(_) | Input::Stage => "select",
            Input::Users => "checks",
            Input::Pick(_) => "pick",
            Input::Hidden => "hidden",
        };
        let raw = at(self.mine, path).unwrap_or(&Value::Null);
        let value = match input {
            Input::Money if !raw.is_null() => amount(raw, self.lang),
            Input::Percent if !raw.is_null() => percent(raw, self.lang),
            Input::DateTime => local_time(raw, self.tz_minutes),
            Input::Bool => {
                if raw.as_bool() == Some(true) {
                    "true".into()
                } else {
                    String::new()
                }
            }
            _ => as_text(Some(raw)),
        };
        let theirs = self.theirs.map(&shown).filter(|t| *t != shown(self.mine));
        let chosen = |key: &str| match raw {
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(key)),
            other => other.as_str() == Some(key),
        };
        let options: Vec<(String, String, bool)> = match input {
            Input::Choice(codes) => codes
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        option_label(c, self.lang).to_string(),
                        chosen(c),
                    )
                })
                .collect(),
            Input::Owner | Input::Users => {
                let mut users: Vec<(&Uuid, &String)> = lookups.users.iter().collect();
                users.sort_by(|a, b| a.1.cmp(b.1));
                users
                    .into_iter()
                    .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                    .collect()
            }
            Input::Select(_) => lookups
                .categories
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                .collect(),
            Input::Stage => lookups
                .stages
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        Field {
            id: format!("f-{}", path.replace(['[', ']', '.'], "-")),
            name: path.to_string(),
            label,
            input: kind,
            display: match input {
                Input::Pick(_) => raw
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .and_then(|id| lookups.names.get(&id).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            },
            source: match input {
                Input::Pick(e) => format!("{}/options", super::records::page_path(e)),
                _ => String::new(),
            },
            value,
            options,
            error: self.errors.get(path).cloned(),
            theirs,
            required: false,
        }
    }
}

fn build<R: WebRecord>(
    src: &Sources<'_>,
    lookups: &Lookups,
    sensitive: bool,
) -> (Vec<Section>, Vec<Group>) {
    let lang = src.lang;
    let tr = Tr(lang);
    let mut sections: Vec<Section> = R::FORM
        .iter()
        .map(|(title, fields)| Section {
            key: title,
            title: tr.t(title),
            fields: fields
                .iter()
                .map(|(name, input)| {
                    src.input(
                        name,
                        field_label(name.split('[').next().unwrap_or(name), lang),
                        *input,
                        lookups,
                    )
                })
                .collect(),
        })
        .collect();
    if sensitive && R::BANK {
        sections.push(Section {
            key: "detail.bank",
            title: tr.t("detail.bank"),
            fields: ["iban", "bic", "account_holder"]
                .iter()
                .map(|k| {
                    src.input(
                        &format!("bank.{k}"),
                        field_label(k, lang),
                        Input::Text,
                        lookups,
                    )
                })
                .collect(),
        });
    }
    let defs: Vec<&CustomFieldDef> = lookups
        .defs
        .iter()
        .filter(|d| d.entity == R::ENTITY)
        .collect();
    if !defs.is_empty() {
        sections.push(Section {
            key: "detail.custom",
            title: tr.t("detail.custom"),
            fields: defs
                .iter()
                .map(|d| {
                    let name = format!("custom.{}", d.key);
                    let label = custom_label(d, lang).to_string();
                    let options = || -> Vec<(String, String, bool)> {
                        let chosen: Vec<String> = match at(src.mine, &name) {
                            Some(Value::Array(items)) => {
                                items.iter().map(|i| as_text(Some(i))).collect()
                            }
                            other => vec![as_text(other)],
                        };
                        d.options
                            .iter()
                            .map(|o| {
                                (
                                    o.key.clone(),
                                    lang.pick(&o.label_de, &o.label_en).to_string(),
                                    chosen.contains(&o.key),
                                )
                            })
                            .collect()
                    };
                    let mut f = src.input(&name, label, Input::Text, lookups);
                    match d.kind {
                        CustomKind::Text => {}
                        CustomKind::Number => f.input = "decimal",
                        CustomKind::Date => f.input = "date",
                        CustomKind::Boolean => {
                            f.input = "select";
                            f.options = [("true", "common.yes"), ("false", "common.no")]
                                .iter()
                                .map(|(v, k)| (v.to_string(), tr.t(k).to_string(), f.value == *v))
                                .collect();
                        }
                        CustomKind::SingleChoice => {
                            f.input = "select";
                            f.options = options();
                        }
                        CustomKind::MultiChoice => {
                            f.input = "checks";
                            f.options = options();
                        }
                    }
                    f
                })
                .collect(),
        });
    }
    let groups = R::GROUPS
        .iter()
        .map(|g| {
            let count = at(src.mine, g.key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            // One empty row more than filled, to type into without a script.
            let rows = (0..=count)
                .map(|i| {
                    g.fields
                        .iter()
                        .map(|(part, input)| {
                            let mut f = src.input(
                                &format!("{}[{i}].{part}", g.key),
                                field_label(part, lang),
                                *input,
                                lookups,
                            );
                            if *part == "kind" {
                                f.label = tr.t("form.kind").to_string();
                                f.required = true;
                            }
                            f
                        })
                        .collect()
                })
                .collect();
            Group {
                key: g.key,
                title: field_label(g.key, lang),
                add_label: tr.t(g.add_key),
                rows,
            }
        })
        .collect();
    (sections, groups)
}

/// Display names of the records a form links to.
async fn linked_names(
    state: &AppState,
    docs: &[&Value],
    inputs: fn(&str) -> Option<Input>,
) -> Result<HashMap<Uuid, String>, WebError> {
    let mut wanted: Vec<(Entity, Uuid)> = Vec::new();
    fn walk(
        v: &Value,
        key: &str,
        inputs: fn(&str) -> Option<Input>,
        out: &mut Vec<(Entity, Uuid)>,
    ) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, k, inputs, out);
                }
            }
            Value::Array(items) => {
                for i in items {
                    walk(i, key, inputs, out);
                }
            }
            Value::String(s) => {
                if let (Some(Input::Pick(e)), Ok(id)) = (inputs(key), s.parse::<Uuid>()) {
                    out.push((e, id));
                }
            }
            _ => {}
        }
    }
    for d in docs {
        walk(d, "", inputs, &mut wanted);
    }
    let of = |e: Entity| -> Vec<Uuid> { wanted.iter().filter(|w| w.0 == e).map(|w| w.1).collect() };
    let store = &state.store;
    let mut names = store
        .organization_display_names(&of(Entity::Organization))
        .await?;
    names.extend(
        store
            .display_names::<ContactData>(&of(Entity::Contact))
            .await?,
    );
    names.extend(
        store
            .display_names::<kartei_core::deal::DealData>(&of(Entity::Deal))
            .await?,
    );
    names.extend(
        store
            .display_names::<kartei_core::commerce::ProductData>(&of(Entity::Product))
            .await?,
    );
    Ok(names)
}

async fn lookups<R: WebRecord>(state: &AppState, docs: &[&Value]) -> Result<Lookups, WebError> {
    let uses = |want: fn(&Input) -> bool| -> bool {
        R::FORM
            .iter()
            .flat_map(|(_, f)| f.iter())
            .chain(R::GROUPS.iter().flat_map(|g| g.fields.iter()))
            .any(|(_, i)| want(i))
    };
    let categories = if uses(|i| matches!(i, Input::Select(_))) {
        kartei_app::names::all_names::<kartei_core::commerce::ProductCategoryData>(&state.store)
            .await?
    } else {
        Vec::new()
    };
    let stages = if uses(|i| matches!(i, Input::Stage)) {
        kartei_app::names::stage_names(&state.store).await?
    } else {
        Vec::new()
    };
    Ok(Lookups {
        users: user_names(&state.store).await?,
        names: linked_names(state, docs, R::input_of).await?,
        categories,
        stages,
        defs: state.store.custom_fields(Some(R::ENTITY)).await?,
    })
}

struct Render<'a> {
    mine: &'a Value,
    errors: &'a [FieldError],
    theirs: Option<&'a Value>,
    record_id: Option<Uuid>,
    version: Option<i64>,
}

async fn render<R: WebRecord>(
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
fn label_of_path(path: &str, lang: Lang) -> String {
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

pub async fn new_form<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let empty = Value::Object(Map::new());
    render::<R>(
        &state,
        &session,
        Render {
            mine: &empty,
            errors: &[],
            theirs: None,
            record_id: None,
            version: None,
        },
    )
    .await
}

pub async fn edit_form<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let record = state.store.get::<R>(id).await?;
    let doc = serde_json::to_value(&record.data).map_err(|_| WebError::Internal)?;
    render::<R>(
        &state,
        &session,
        Render {
            mine: &doc,
            errors: &[],
            theirs: None,
            record_id: Some(id),
            version: Some(record.version),
        },
    )
    .await
}

/// The record document of a submitted form; a deal's pipeline follows from its stage.
async fn form_document<R: WebRecord>(
    state: &AppState,
    session: &Session,
    form: &super::form::FormData,
) -> Result<Value, WebError> {
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let mut doc = form.record_json(&Typing {
        defs: &defs,
        input: &R::input_of,
        groups: R::GROUPS,
        tz_minutes: session.tz_minutes,
        lang: session.lang,
    });
    if R::ENTITY == Entity::Deal {
        let stage: Option<Uuid> = doc
            .get("stage_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        if let Some(stage) = stage {
            for (id, p) in kartei_app::names::pipelines(&state.store).await? {
                if p.stages.iter().any(|s| s.id == Some(stage)) {
                    doc["pipeline_id"] = Value::String(id.to_string());
                }
            }
        }
    }
    Ok(doc)
}

pub async fn create<R: WebRecord>(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let doc = form_document::<R>(&state, &session, &form).await?;
    let result = match kartei_core::json::from_json::<R>(doc.clone()) {
        Ok(data) => state.store.create(&session.actor(), data).await,
        Err(fields) => Err(StoreError::Invalid(fields)),
    };
    match result {
        Ok(record) => Ok(
            Redirect::to(&format!("{}/{}?notice=saved.created", R::PATH, record.id))
                .into_response(),
        ),
        Err(StoreError::Invalid(fields)) => {
            render::<R>(
                &state,
                &session,
                Render {
                    mine: &doc,
                    errors: &fields,
                    theirs: None,
                    record_id: None,
                    version: None,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The form as a merge patch that sets every field the form shows: a field left empty
/// is cleared, a field the form does not show (bank details hidden from the role) is
/// left as it is.
fn full_patch<R: WebRecord>(doc: &Value, defs: &[CustomFieldDef], sensitive: bool) -> Value {
    let mut patch = doc.as_object().cloned().unwrap_or_default();
    for (_, fields) in R::FORM {
        for (name, _) in *fields {
            let key = name.split('[').next().unwrap_or(name);
            patch.entry(key.to_string()).or_insert(Value::Null);
        }
    }
    for g in R::GROUPS {
        patch.entry(g.key.to_string()).or_insert(Value::Null);
    }
    if R::ENTITY.is_party() {
        let custom = patch
            .entry("custom")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = custom {
            for d in defs {
                map.entry(d.key.clone()).or_insert(Value::Null);
            }
        }
    }
    // Deals get their pipeline from the stage; the store sets the status.
    if R::ENTITY == Entity::Deal {
        patch.remove("status");
    }
    if !R::BANK {
    } else if sensitive {
        if !patch.contains_key("bank") {
            patch.insert("bank".into(), Value::Null);
        } else if let Some(Value::Object(bank)) = patch.get_mut("bank") {
            for k in ["iban", "bic", "account_holder"] {
                bank.entry(k).or_insert(Value::Null);
            }
        }
    } else {
        patch.remove("bank");
    }
    Value::Object(patch)
}

pub async fn update<R: WebRecord>(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let version: i64 = form
        .get("_version")
        .and_then(|v| v.parse().ok())
        .ok_or(WebError::BadRequest)?;
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let doc = form_document::<R>(&state, &session, &form).await?;
    let sensitive = session.may(Permission::ViewSensitive);
    let patch = full_patch::<R>(&doc, &defs, sensitive);
    match state
        .store
        .update::<R>(&session.actor(), id, Some(version), patch)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("{}/{}?notice=saved.created", R::PATH, id)).into_response())
        }
        Err(StoreError::Invalid(fields)) => {
            render::<R>(
                &state,
                &session,
                Render {
                    mine: &doc,
                    errors: &fields,
                    theirs: None,
                    record_id: Some(id),
                    version: Some(version),
                },
            )
            .await
        }
        Err(StoreError::VersionConflict { .. }) => {
            let current = state.store.get::<R>(id).await?;
            let current_data = if sensitive {
                current.data
            } else {
                current.data.masked()
            };
            let theirs = serde_json::to_value(&current_data).map_err(|_| WebError::Internal)?;
            render::<R>(
                &state,
                &session,
                Render {
                    mine: &doc,
                    errors: &[],
                    theirs: Some(&theirs),
                    record_id: Some(id),
                    version: Some(current.version),
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct Similar {
    pub href: String,
    pub name: String,
    pub detail: String,
    pub score: u32,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "similar.html")]
pub struct SimilarFragment {
    pub tr: Tr,
    pub items: Vec<Similar>,
}

/// Likely existing contacts for the form as typed so far ("a similar contact exists").
pub async fn similar(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let lang = session.lang;
    let defs = state
        .store
        .custom_fields(Some(kartei_core::record::Entity::Contact))
        .await?;
    let mut doc = form.record_json(&Typing {
        defs: &defs,
        input: &ContactData::input_of,
        groups: ContactData::GROUPS,
        tz_minutes: session.tz_minutes,
        lang: session.lang,
    });
    // Only what identifies a person matters here; half-typed other fields must not
    // keep the hint from working.
    if let Value::Object(map) = &mut doc {
        map.retain(|k, _| {
            matches!(
                k.as_str(),
                "first_name" | "last_name" | "emails" | "phones" | "addresses" | "birthday"
            )
        });
    }
    let items = match kartei_core::json::from_json::<ContactData>(doc) {
        Ok(draft) => {
            let exclude: Option<Uuid> = form.get("_id").and_then(|s| s.parse().ok());
            let draft = draft_for_matching(draft, state.store.default_region());
            let found = state.store.likely_duplicates(&draft, exclude, 5).await?;
            found
                .into_iter()
                .map(|(r, m)| Similar {
                    href: format!("/contacts/{}", r.id),
                    name: r.data.display_name(),
                    detail: r
                        .data
                        .emails
                        .first()
                        .map(|e| e.address.clone())
                        .unwrap_or_default(),
                    score: m.score,
                    reasons: m
                        .reasons
                        .iter()
                        .map(|x| x.message(lang))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    Ok(Html(
        SimilarFragment {
            tr: Tr(lang),
            items,
        }
        .render()?,
    )
    .into_response())
}

/// Records of a kind by name, for the pickers of forms (`[{id, name}]`, at most 10).
pub async fn options<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let text = q.get("q").map_or("", |s| s.trim());
    let mut out = Vec::new();
    if !text.is_empty() {
        let page = state
            .store
            .search::<R>(&kartei_store::search::SearchRequest {
                q: text.chars().take(100).collect(),
                filter: None,
                cursor: None,
                limit: 10,
            })
            .await?;
        out = page
            .items
            .into_iter()
            .map(|o| serde_json::json!({"id": o.id, "name": o.data.display_name()}))
            .collect();
    }
    Ok(axum::Json(out).into_response())
}
