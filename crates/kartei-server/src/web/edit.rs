//! Create and edit forms. Validation is the store's (the same rules and messages as
//! the API); its errors are shown next to the fields they name. A stale edit is shown
//! with both versions and saved only when the user confirms with the newer version.

use super::error::WebError;
use super::form::{parse_path, Step};
use super::list::user_names;
use super::records::{Input, WebRecord, GROUPS};
use super::session::{Posted, Session, Shell};
use super::texts::{field_label, option_label, Tr};
use crate::columns::custom_label;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::matching::draft_for_matching;
use kartei_core::record::RecordData;
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

impl Sources<'_> {
    fn field(&self, name: &str, label: String, input: &'static str) -> Field {
        let value = as_text(at(self.mine, name));
        let theirs = self
            .theirs
            .map(|t| as_text(at(t, name)))
            .filter(|t| *t != value);
        Field {
            id: format!("f-{}", name.replace(['[', ']', '.'], "-")),
            name: name.to_string(),
            label,
            input,
            value,
            display: String::new(),
            options: Vec::new(),
            error: self.errors.get(name).cloned(),
            theirs,
            required: false,
        }
    }

    fn choice(&self, name: &str, label: String, codes: &[&str]) -> Field {
        let mut f = self.field(name, label, "select");
        f.options = codes
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    option_label(c, self.lang).to_string(),
                    f.value == *c,
                )
            })
            .collect();
        if let Some(t) = &f.theirs {
            f.theirs = Some(option_label(t, self.lang).to_string());
        }
        f
    }
}

struct Lookups {
    users: HashMap<Uuid, String>,
    organizations: HashMap<Uuid, String>,
    defs: Vec<CustomFieldDef>,
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
            title: tr.t(title),
            fields: fields
                .iter()
                .map(|(name, input)| {
                    let label = field_label(name, lang);
                    match input {
                        Input::Text => src.field(name, label, "text"),
                        Input::Textarea => src.field(name, label, "textarea"),
                        Input::Date => src.field(name, label, "date"),
                        Input::Integer => src.field(name, label, "number"),
                        Input::Choice(codes) => src.choice(name, label, codes),
                        Input::Owner => {
                            let mut f = src.field(name, label, "select");
                            let mut users: Vec<(&Uuid, &String)> = lookups.users.iter().collect();
                            users.sort_by(|a, b| a.1.cmp(b.1));
                            f.options = users
                                .into_iter()
                                .map(|(id, n)| {
                                    (id.to_string(), n.clone(), f.value == id.to_string())
                                })
                                .collect();
                            f.theirs = f.theirs.map(|t| {
                                t.parse()
                                    .ok()
                                    .and_then(|id| lookups.users.get(&id).cloned())
                                    .unwrap_or(t)
                            });
                            f
                        }
                        Input::Organization => {
                            let mut f = src.field(name, label, "org");
                            let name_of = |v: &str| {
                                v.parse()
                                    .ok()
                                    .and_then(|id| lookups.organizations.get(&id).cloned())
                                    .unwrap_or_default()
                            };
                            f.display = name_of(&f.value);
                            f.theirs = f.theirs.map(|t| name_of(&t));
                            f
                        }
                    }
                })
                .collect(),
        })
        .collect();
    if sensitive {
        sections.push(Section {
            title: tr.t("detail.bank"),
            fields: ["iban", "bic", "account_holder"]
                .iter()
                .map(|k| src.field(&format!("bank.{k}"), field_label(k, lang), "text"))
                .collect(),
        });
    }
    if !lookups.defs.is_empty() {
        sections.push(Section {
            title: tr.t("detail.custom"),
            fields: lookups
                .defs
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
                    match d.kind {
                        CustomKind::Text => src.field(&name, label, "text"),
                        CustomKind::Number => src.field(&name, label, "decimal"),
                        CustomKind::Date => src.field(&name, label, "date"),
                        CustomKind::Boolean => {
                            let mut f = src.field(&name, label, "select");
                            f.options = [("true", "common.yes"), ("false", "common.no")]
                                .iter()
                                .map(|(v, k)| (v.to_string(), tr.t(k).to_string(), f.value == *v))
                                .collect();
                            f
                        }
                        CustomKind::SingleChoice => {
                            let mut f = src.field(&name, label, "select");
                            f.options = options();
                            f
                        }
                        CustomKind::MultiChoice => {
                            let mut f = src.field(&name, label, "checks");
                            f.options = options();
                            f
                        }
                    }
                })
                .collect(),
        });
    }
    let groups = GROUPS
        .iter()
        .map(|(key, add, parts, kinds)| {
            let count = at(src.mine, key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            // One empty row more than filled, to type into without a script.
            let rows = (0..=count)
                .map(|i| {
                    let mut kind = src.choice(
                        &format!("{key}[{i}].kind"),
                        tr.t("form.kind").to_string(),
                        kinds,
                    );
                    kind.required = true;
                    let mut row = vec![kind];
                    row.extend(parts.iter().map(|p| {
                        src.field(
                            &format!("{key}[{i}].{p}"),
                            field_label(p, lang),
                            if *p == "address" { "email" } else { "text" },
                        )
                    }));
                    row
                })
                .collect();
            Group {
                key,
                title: field_label(key, lang),
                add_label: tr.t(add),
                rows,
            }
        })
        .collect();
    (sections, groups)
}

async fn lookups<R: WebRecord>(state: &AppState, docs: &[&Value]) -> Result<Lookups, WebError> {
    let orgs: Vec<Uuid> = docs
        .iter()
        .filter_map(|d| d.get("organization_id").and_then(Value::as_str))
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok(Lookups {
        users: user_names(state).await?,
        organizations: state.store.organization_display_names(&orgs).await?,
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

pub async fn create<R: WebRecord>(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let doc = form.record_json(&defs);
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
            patch.entry(name.to_string()).or_insert(Value::Null);
        }
    }
    for (key, ..) in GROUPS {
        patch.entry(key.to_string()).or_insert(Value::Null);
    }
    let custom = patch
        .entry("custom")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(map) = custom {
        for d in defs {
            map.entry(d.key.clone()).or_insert(Value::Null);
        }
    }
    if sensitive {
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
    let doc = form.record_json(&defs);
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
    let mut doc = form.record_json(&defs);
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

/// Organisations by name, for the organisation field of the contact form.
pub async fn organization_options(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let text = q.get("q").map(|s| s.trim()).unwrap_or("");
    let mut out = Vec::new();
    if !text.is_empty() {
        let page = state
            .store
            .search::<kartei_core::organization::OrganizationData>(
                &kartei_store::search::SearchRequest {
                    q: text.chars().take(100).collect(),
                    filter: None,
                    cursor: None,
                    limit: 10,
                },
            )
            .await?;
        out = page
            .items
            .into_iter()
            .map(|o| serde_json::json!({"id": o.id, "name": kartei_core::record::RecordData::display_name(&o.data)}))
            .collect();
    }
    Ok(axum::Json(out).into_response())
}
