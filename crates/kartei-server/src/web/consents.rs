//! The consent panel of a contact's page: what the contact may be addressed for now,
//! the history with its proof, and a short form to record a consent given or withdrawn
//! by phone, on paper or in person.

use super::error::WebError;
use super::session::{with_notice, Posted};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};
use kartei_app::texts::{consent_word, purpose_name};
use kartei_core::access::Permission;
use kartei_core::consent::{ConsentInput, BASES, CHANNELS, STATUSES};
use kartei_core::i18n::Lang;
use kartei_store::StoreError;
use uuid::Uuid;

/// The sources a clerk records by hand; the others are written by Kartei itself (web
/// forms, imports, double opt-in) or come through the API.
const MANUAL_SOURCES: &[&str] = &["phone", "paper", "in_person"];

/// One line of the state or the history, in words.
pub struct ConsentLine {
    pub purpose: String,
    pub channel: String,
    /// The status code (for styling) and its words.
    pub status: &'static str,
    pub status_text: String,
    pub basis: String,
    pub at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// History only: how, by whom, and the proof kept.
    pub source: String,
    pub by: String,
    pub proof: Vec<String>,
}

pub struct ConsentPanel {
    /// Whether the reader may hand out the access export (it holds bank details).
    pub can_export: bool,
    pub state: Vec<ConsentLine>,
    /// The newest events.
    pub history: Vec<ConsentLine>,
    pub more: usize,
    /// (code, words) for the form's choices.
    pub purposes: Vec<(String, String)>,
    pub channels: Vec<(&'static str, String)>,
    pub statuses: Vec<(&'static str, String)>,
    pub bases: Vec<(&'static str, String)>,
    pub sources: Vec<(&'static str, String)>,
}

/// Events shown on the page; the timeline and the API have them all.
const HISTORY_SHOWN: usize = 10;

fn status_code(status: &str) -> &'static str {
    ["granted", "withdrawn", "refused", "pending", "expired"]
        .into_iter()
        .find(|s| *s == status)
        .unwrap_or("pending")
}

pub async fn panel(
    state: &AppState,
    contact: Uuid,
    lang: Lang,
    can_export: bool,
) -> Result<ConsentPanel, WebError> {
    let consents = state.store.consents(contact).await?;
    let purposes = state.store.consent_purposes().await?;
    let purpose_words = |key: &str| {
        purposes
            .iter()
            .find(|p| p.key == key)
            .map_or_else(|| key.to_string(), |p| purpose_name(p, lang).to_string())
    };
    let words = |group: &str, codes: &'static [&'static str]| -> Vec<(&'static str, String)> {
        codes
            .iter()
            .map(|c| (*c, consent_word(group, c, lang)))
            .collect()
    };
    let line = |purpose: &str,
                channel: &str,
                status: &str,
                basis: &str,
                at: DateTime<Utc>,
                expires_at: Option<DateTime<Utc>>| ConsentLine {
        purpose: purpose_words(purpose),
        channel: consent_word("channel", channel, lang),
        status: status_code(status),
        status_text: consent_word("status", status, lang),
        basis: consent_word("basis", basis, lang),
        at,
        expires_at,
        source: String::new(),
        by: String::new(),
        proof: Vec::new(),
    };
    let state_lines = consents
        .state
        .iter()
        .map(|s| {
            line(
                &s.purpose,
                &s.channel,
                &s.status,
                &s.basis,
                s.since,
                s.expires_at,
            )
        })
        .collect();
    let more = consents.events.len().saturating_sub(HISTORY_SHOWN);
    let history = consents
        .events
        .iter()
        .take(HISTORY_SHOWN)
        .map(|e| {
            let mut l = line(
                &e.purpose,
                &e.channel,
                &e.status,
                &e.basis,
                e.occurred_at,
                e.expires_at,
            );
            l.source = consent_word("source", &e.source, lang);
            l.by = e.recorded_by_name.clone();
            let wording = e.wording.as_ref().map(|w| {
                format!(
                    "{} {}: „{w}“",
                    lang.pick("Wortlaut, Version", "Wording, version"),
                    e.wording_version.unwrap_or(1)
                )
            });
            let client = e.ip_address.as_ref().map(|ip| {
                format!(
                    "IP {ip}{}",
                    e.user_agent
                        .as_ref()
                        .map(|u| format!(" · {u}"))
                        .unwrap_or_default()
                )
            });
            l.proof = [wording, e.proof.clone(), client]
                .into_iter()
                .flatten()
                .collect();
            l
        })
        .collect();
    Ok(ConsentPanel {
        can_export,
        state: state_lines,
        history,
        more,
        purposes: purposes
            .iter()
            .map(|p| (p.key.clone(), purpose_name(p, lang).to_string()))
            .collect(),
        channels: words("channel", CHANNELS),
        statuses: words("status", STATUSES),
        bases: words("basis", BASES),
        sources: words("source", MANUAL_SOURCES),
    })
}

/// A date from the form (`2026-12-01`) at the given hour, UTC.
fn day(value: Option<&str>, hour: u32) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(value?.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(hour, 0, 0)?.and_utc())
}

/// Records a consent event from the contact page; the clerk is kept as who recorded it.
async fn record(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let text = |k: &str| form.get(k).map(str::to_string).unwrap_or_default();
    let source = text("source");
    let input = ConsentInput {
        channel: text("channel"),
        purpose: text("purpose"),
        status: text("status"),
        basis: text("basis"),
        // Only the hand-recorded sources come from this form.
        source: if MANUAL_SOURCES.contains(&source.as_str()) {
            source
        } else {
            String::new()
        },
        wording: form.get("wording").map(str::to_string),
        proof: form.get("proof").map(str::to_string),
        occurred_at: day(form.get("occurred_on"), 12)
            .filter(|at| at.date_naive() != Utc::now().date_naive()),
        expires_at: day(form.get("expires_on"), 23),
        ..ConsentInput::default()
    };
    // A date that is none is a mistake the person sees, not a consent dated today.
    let unreadable = |k: &str| {
        form.get(k).is_some_and(|v| !v.trim().is_empty()) && day(form.get(k), 0).is_none()
    };
    if unreadable("occurred_on") || unreadable("expires_on") {
        let back = format!("/contacts/{id}");
        return Ok(Redirect::to(&format!(
            "{}#consents",
            with_notice(&back, "consent.invalid")
        ))
        .into_response());
    }
    let back = format!("/contacts/{id}");
    let to = |notice: &str| Redirect::to(&format!("{}#consents", with_notice(&back, notice)));
    match state
        .store
        .record_consent(&session.actor(), id, input)
        .await
    {
        Ok(_) => Ok(to("saved.created").into_response()),
        Err(StoreError::Invalid(_)) => Ok(to("consent.invalid").into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Everything Kartei holds about the contact (Art. 15 and 20 GDPR), as a ZIP to hand
/// over; bank details are part of it, so it needs the permission to see them. Logged.
async fn access_export(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    session: super::session::Session,
) -> Result<Response, WebError> {
    session.require(Permission::ViewSensitive)?;
    let export = kartei_app::gdpr::access_export(&state.store, &session.actor(), id).await?;
    Ok(zip_download(export))
}

/// The archive as a download.
pub fn zip_download(export: kartei_app::gdpr::AccessExport) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.file_name),
            ),
        ],
        export.bytes,
    )
        .into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts/{id}/consents", post(record))
        .route(
            "/contacts/{id}/access-export",
            axum::routing::get(access_export),
        )
}
