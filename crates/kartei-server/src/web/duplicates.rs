//! Duplicate review: the last scan's likely pairs (the scan runs in the background),
//! a side-by-side comparison where the user chooses per field which value wins, the
//! merge, "not the same person", and undoing a merge from the survivor's page.

use super::error::WebError;
use super::session::{with_notice, Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_app::columns::{custom_cell, custom_label, Columns};
use kartei_app::texts::field_label;
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_core::contact_merge::{conflicts, COMBINED};
use kartei_core::i18n::Lang;
use kartei_core::record::{Entity, RecordData};
use kartei_store::duplicates::{Candidate, ScanState};
use kartei_store::records::Record;
use kartei_store::StoreError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Pairs per page of the review list.
const PAGE: u64 = 50;

#[derive(Template)]
#[template(path = "duplicates.html")]
struct ReviewPage {
    shell: Shell,
    scan: Option<ScanState>,
    running: bool,
    progress: String,
    failed: Option<String>,
    pairs: Vec<Candidate>,
    names: HashMap<Uuid, String>,
    /// Whether this is a later page (the pager offers the first one).
    later: bool,
    /// The link to the next page, when there may be one.
    next_href: Option<String>,
}

impl ReviewPage {
    fn name(&self, id: &Uuid) -> &str {
        self.names.get(id).map_or("", String::as_str)
    }

    fn reasons(&self, c: &Candidate) -> String {
        c.reasons
            .iter()
            .map(|r| r.message(self.shell.lang))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn date(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        kartei_app::format::timestamp(*at, self.shell.lang)
    }

    fn count(&self, n: &i64) -> String {
        kartei_app::format::integer(*n, self.shell.lang)
    }
}

#[derive(Deserialize)]
struct ReviewQuery {
    notice: Option<String>,
    cursor: Option<String>,
}

async fn review(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let job = &state.jobs.duplicate_scan;
    // A scan seen as finished has written its pairs (see the API).
    let running = job.running();
    let scan = state.store.duplicate_scan().await?;
    let (pairs, next) = match state
        .store
        .duplicate_candidates(q.cursor.as_deref(), 0, PAGE)
        .await
    {
        Err(kartei_store::StoreError::InvalidCursor) => return Err(WebError::BadRequest),
        other => other?,
    };
    let next_href = next.map(|c| {
        format!(
            "/duplicates?{}",
            serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
        )
    });
    let ids: Vec<Uuid> = pairs.iter().flat_map(|c| [c.a, c.b]).collect();
    let names = state.store.display_names::<ContactData>(&ids).await?;
    let (what, n) = job.progress();
    let tr = kartei_app::texts::Tr(session.lang);
    let progress = if what == "keys" {
        format!(
            "{} {}",
            kartei_app::format::integer(n as i64, session.lang),
            tr.t("dup.progress_keys")
        )
    } else {
        format!(
            "{} {}",
            kartei_app::format::integer(n as i64, session.lang),
            tr.t("dup.progress_contacts")
        )
    };
    let shell = Shell::load(
        &state,
        &session,
        "nav.duplicates",
        "/duplicates",
        q.notice.as_deref(),
    )
    .await?;
    let page = ReviewPage {
        shell,
        scan,
        running,
        progress,
        failed: job.failed(),
        pairs,
        names,
        later: q.cursor.is_some(),
        next_href,
    };
    Ok(Html(page.render()?).into_response())
}

async fn start_scan(
    State(state): State<AppState>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let notice = if state.jobs.start_duplicate_scan(state.store.clone()) {
        "dup.scan_started"
    } else {
        "dup.scan_running"
    };
    Ok(Redirect::to(&with_notice("/duplicates", notice)).into_response())
}

fn form_id(form: &super::form::FormData, name: &str) -> Result<Uuid, WebError> {
    form.get(name)
        .and_then(|v| v.parse().ok())
        .ok_or(WebError::BadRequest)
}

async fn distinct(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    state
        .store
        .mark_distinct(form_id(&form, "a")?, form_id(&form, "b")?)
        .await?;
    Ok(Redirect::to(&with_notice("/duplicates", "dup.marked_distinct")).into_response())
}

/// One row of the comparison: a field both fill differently, with both values shown.
struct Choice {
    field: String,
    label: String,
    survivor: String,
    other: String,
}

#[derive(Template)]
#[template(path = "merge.html")]
struct ComparePage {
    shell: Shell,
    a: Record<ContactData>,
    b: Record<ContactData>,
    a_name: String,
    b_name: String,
    choices: Vec<Choice>,
    /// Values both keep (e-mails, phones, addresses), as text.
    combined: Vec<(String, String)>,
    /// What moves from the other contact: (kind label, count).
    moving: Vec<(String, i64)>,
}

#[derive(Deserialize)]
struct CompareQuery {
    a: Uuid,
    b: Uuid,
    notice: Option<String>,
}

fn shown(v: &Value, lang: Lang) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => lang
            .pick(
                if *b { "ja" } else { "nein" },
                if *b { "yes" } else { "no" },
            )
            .into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn compare(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<CompareQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let lang = session.lang;
    let a = state.store.get::<ContactData>(q.a).await?;
    let b = state.store.get::<ContactData>(q.b).await?;
    let ctx = kartei_app::export::cell_context::<ContactData>(
        &state.store,
        &[a.clone(), b.clone()],
        lang,
        true,
    )
    .await?;
    let defs = state.store.custom_fields(Some(Entity::Contact)).await?;
    let value = |r: &Record<ContactData>, field: &str, raw: &Value| -> String {
        if let Some(key) = field.strip_prefix("custom.") {
            return match defs.iter().find(|d| d.key == key) {
                Some(d) => custom_cell(d, Some(raw), lang),
                None => shown(raw, lang),
            };
        }
        let column = match field {
            "organization_id" => "organization",
            "owner_id" => "owner",
            f => f,
        };
        match ContactData::column(column) {
            Some(c) => (c.value)(r, &ctx),
            None => shown(raw, lang),
        }
    };
    let choices = conflicts(&a.data, &b.data)
        .into_iter()
        .map(|c| Choice {
            label: match c.field.strip_prefix("custom.") {
                Some(k) => defs
                    .iter()
                    .find(|d| d.key == k)
                    .map_or(k.to_string(), |d| custom_label(d, lang).to_string()),
                None => field_label(&c.field, lang),
            },
            survivor: value(&a, &c.field, &c.survivor),
            other: value(&b, &c.field, &c.other),
            field: c.field,
        })
        .collect();
    let mut combined = Vec::new();
    let emails: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|r| r.data.emails.iter().map(|e| e.address.clone()))
        .collect();
    let phones: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|r| r.data.phones.iter().map(|p| p.number.clone()))
        .collect();
    let addresses: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|r| {
            r.data.addresses.iter().map(|x| {
                let place = [x.postcode.as_deref(), x.city.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                [x.street.clone().unwrap_or_default(), place]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        })
        .collect();
    for (field, mut values) in COMBINED.into_iter().zip([emails, phones, addresses]) {
        values.dedup();
        if !values.is_empty() {
            combined.push((field_label(field, lang), values.join(" · ")));
        }
    }
    let tr = kartei_app::texts::Tr(lang);
    let mut moving: Vec<(String, i64)> = state
        .store
        .attached_counts(b.id)
        .await?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| (tr.t(&format!("dup.moves.{what}")).to_string(), n))
        .collect();
    if !b.tags.is_empty() {
        moving.push((tr.t("dup.moves.tags").to_string(), b.tags.len() as i64));
    }
    let shell = Shell::load(
        &state,
        &session,
        "nav.duplicates",
        &format!("/duplicates/compare?a={}&b={}", a.id, b.id),
        q.notice.as_deref(),
    )
    .await?;
    let page = ComparePage {
        shell,
        a_name: a.data.display_name(),
        b_name: b.data.display_name(),
        a,
        b,
        choices,
        combined,
        moving,
    };
    Ok(Html(page.render()?).into_response())
}

async fn merge(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let (a, b) = (form_id(&form, "a")?, form_id(&form, "b")?);
    let version = form.get("version").and_then(|v| v.parse().ok());
    // One choice per field that differs: "keep" (the default) or "other".
    let take: BTreeSet<String> = form
        .prefixed("pick.")
        .into_iter()
        .filter(|(_, v)| *v == "other")
        .map(|(field, _)| field.to_string())
        // Bank details are neither shown nor chosen by a role that may not see them.
        .filter(|field| {
            session.may(Permission::ViewSensitive) || !crate::api::merges::is_sensitive(field)
        })
        .collect();
    match state
        .store
        .merge_contacts(&session.actor(), a, b, &take, version)
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&with_notice(&format!("/contacts/{a}"), "dup.merged")).into_response())
        }
        Err(StoreError::VersionConflict { .. }) => Ok(Redirect::to(&with_notice(
            &format!("/duplicates/compare?a={a}&b={b}"),
            "dup.changed_meanwhile",
        ))
        .into_response()),
        Err(StoreError::Invalid(_)) => Ok(Redirect::to(&with_notice(
            &format!("/duplicates/compare?a={a}&b={b}"),
            "dup.merge_invalid",
        ))
        .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn undo(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let merge = state
        .store
        .merges(None)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(WebError::NotFound)?;
    let back = format!("/contacts/{}", merge.survivor_id);
    match state.store.undo_merge(&session.actor(), id).await {
        Ok(_) => Ok(Redirect::to(&with_notice(&back, "dup.unmerged")).into_response()),
        Err(StoreError::Invalid(_)) => {
            Ok(Redirect::to(&with_notice(&back, "dup.undo_refused")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/duplicates", get(review))
        .route("/duplicates/scan", post(start_scan))
        .route("/duplicates/distinct", post(distinct))
        .route("/duplicates/compare", get(compare))
        .route("/duplicates/merge", post(merge))
        .route("/merges/{id}/undo", post(undo))
}
