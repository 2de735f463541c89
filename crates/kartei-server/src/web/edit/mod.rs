//! Create and edit forms. Validation is the store's (the same rules and messages as
//! the API); its errors are shown next to the fields they name. A stale edit is shown
//! with both versions and saved only when the user confirms with the newer version.

mod build;
mod page;
mod similar;
mod values;

use build::*;
use page::*;
pub use page::{Field, FormPage, Group, Section};
pub use similar::{options, similar, Similar, SimilarFragment};
use values::*;

use crate::web::error::WebError;
use crate::web::form::Typing;
use crate::web::records::WebRecord;
use crate::web::session::{with_notice, Posted, Session};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kartei_core::access::Permission;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::record::Entity;
use kartei_store::StoreError;
use serde_json::{Map, Value};
use uuid::Uuid;

pub async fn new_form<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    // A new task is the creator's own unless they choose someone else.
    let mut start = Map::new();
    if R::ENTITY == Entity::Activity {
        start.insert("assignee_id".into(), session.user.id.to_string().into());
    }
    let start = Value::Object(start);
    render::<R>(
        &state,
        &session,
        Render {
            mine: &start,
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
pub(super) async fn form_document<R: WebRecord>(
    state: &AppState,
    session: &Session,
    form: &crate::web::form::FormData,
) -> Result<Value, WebError> {
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let mut doc = form.record_json(&Typing {
        defs: &defs,
        input: &R::input_of,
        groups: R::GROUPS,
        tz_minutes: session.tz_minutes,
        lang: session.lang,
    });
    // A role that may not see bank details is not shown them and may not set them.
    if !session.may(Permission::ViewSensitive) {
        if let Value::Object(fields) = &mut doc {
            fields.retain(|field, _| !R::SENSITIVE.contains(&field.as_str()));
        }
    }
    // A form sends every section; only the chosen kind's fields count.
    if R::ENTITY == Entity::Activity {
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Value::Object(fields) = &mut doc {
            fields.retain(|field, _| kartei_core::activity::field_applies(&kind, field));
        }
    }
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
    let tags = form_tags(&form);
    let result = match (kartei_core::json::from_json::<R>(doc.clone()), tags) {
        (Ok(data), Ok(tags)) => create_tagged(&state, &session, data, &tags).await,
        (Err(mut fields), tags) => {
            fields.extend(tags.err().unwrap_or_default());
            Err(StoreError::Invalid(fields))
        }
        (Ok(_), Err(fields)) => Err(StoreError::Invalid(fields)),
    };
    match result {
        // A short form on another record's page goes back there, to its timeline.
        Ok(_) if form.get("_back").is_some_and(super::session::is_local_path) => {
            let back = form.get("_back").unwrap_or("/");
            Ok(
                Redirect::to(&format!("{}#timeline", with_notice(back, "saved.created")))
                    .into_response(),
            )
        }
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

/// The tags a short form gives a new contact or organisation (`_tags`, separated by
/// commas), checked before anything is written.
fn form_tags(
    form: &crate::web::form::FormData,
) -> Result<Vec<String>, Vec<kartei_core::validation::FieldError>> {
    let mut names = Vec::new();
    let mut errors = Vec::new();
    for raw in form.get("_tags").unwrap_or("").split(',') {
        if raw.trim().is_empty() {
            continue;
        }
        let input = kartei_core::tag::TagInput {
            name: Some(raw.to_string()),
            color: None,
        };
        match input.normalise() {
            Ok((name, _)) => names.push(name),
            Err(e) => errors.extend(e.into_iter().map(|f| kartei_core::validation::FieldError {
                field: "tags".into(),
                ..f
            })),
        }
    }
    if errors.is_empty() {
        Ok(names)
    } else {
        Err(errors)
    }
}

/// Creates the record, then gives it its tags.
async fn create_tagged<R: WebRecord>(
    state: &AppState,
    session: &Session,
    data: R,
    tags: &[String],
) -> Result<kartei_store::records::Record<R>, StoreError> {
    let record = state.store.create(&session.actor(), data).await?;
    for tag in tags {
        state
            .store
            .attach_tag(
                &session.actor(),
                R::ENTITY,
                &[record.id],
                kartei_store::tags::TagSelector::Name(tag.clone()),
            )
            .await?;
    }
    Ok(record)
}

/// The form as a merge patch that sets every field the form shows: a field left empty
/// is cleared, a field the form does not show (bank details hidden from the role) is
/// left as it is.
pub(super) fn full_patch<R: WebRecord>(
    doc: &Value,
    defs: &[CustomFieldDef],
    sensitive: bool,
) -> Value {
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
    if sensitive && R::SENSITIVE.contains(&"bank") {
        if !patch.contains_key("bank") {
            patch.insert("bank".into(), Value::Null);
        } else if let Some(Value::Object(bank)) = patch.get_mut("bank") {
            for k in ["iban", "bic", "account_holder"] {
                bank.entry(k).or_insert(Value::Null);
            }
        }
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
