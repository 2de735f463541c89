//! The data quality report: fill rates per field, values that fail today's rules, and
//! contacts with findings (unreachable, initial only, names probably swapped), each with
//! links to the filtered list or to the contacts. The audit runs in the background.

use super::error::WebError;
use super::session::{with_notice, Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_app::texts::field_label;
use kartei_core::access::Permission;
use kartei_core::quality::{Finding, FILL_FIELDS};
use kartei_store::quality::Group;
use serde_json::json;
use uuid::Uuid;

/// A line of the report: what, how many, where to see them.
struct Line {
    label: String,
    count: String,
    /// Share of all contacts, 0–100.
    percent: u32,
    /// The filtered contact list, when the filter language can express it.
    list: Option<String>,
    examples: Vec<(Uuid, String)>,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    shell: Shell,
    running: bool,
    progress: String,
    failed: Option<String>,
    done: Option<chrono::DateTime<chrono::Utc>>,
    contacts: String,
    needs_check: Option<Line>,
    fill: Vec<Line>,
    findings: Vec<Line>,
    invalid: Vec<Line>,
}

impl QualityPage {
    fn date(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        kartei_app::format::timestamp(*at, self.shell.lang)
    }
}

fn list_link(filter: serde_json::Value) -> String {
    format!(
        "/contacts?{}",
        serde_urlencoded::to_string([("filter", filter.to_string())]).unwrap_or_default()
    )
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let lang = session.lang;
    let tr = kartei_app::texts::Tr(lang);
    let job = &state.jobs.quality;
    let report = state.jobs.quality_report(&state.store).await?;
    let running = job.running_without(report.as_ref().map(|(at, _)| *at));
    let count = |n: i64| kartei_app::format::integer(n, lang);
    let share = |n: i64, of: i64| if of > 0 { (n * 100 / of) as u32 } else { 0 };
    let (done, mut page) = match &report {
        None => (None, None),
        Some((at, r)) => (Some(*at), Some(r)),
    };
    let total = page.map_or(0, |r| r.contacts);
    let group_line = |label: String, g: &Group, list: Option<String>| Line {
        label,
        count: count(g.count),
        percent: share(g.count, total),
        list,
        examples: g.examples.clone(),
    };
    let fill = page.as_ref().map_or_else(Vec::new, |r| {
        r.filled
            .iter()
            .zip(FILL_FIELDS)
            .map(|((field, n), (_, filter))| Line {
                label: field_label(field, lang),
                count: count(*n),
                percent: share(*n, total),
                // No link to "contacts without" a field every contact has.
                list: filter
                    .filter(|_| *n < total)
                    .map(|f| list_link(json!({"field": f, "op": "is_empty"}))),
                examples: Vec::new(),
            })
            .collect()
    });
    let findings = page.as_ref().map_or_else(Vec::new, |r| {
        Finding::ALL
            .iter()
            .map(|f| {
                let list = (*f == Finding::Unreachable).then(|| {
                    list_link(json!({"and": [{"field": "email", "op": "is_empty"}, {"field": "phone", "op": "is_empty"}]}))
                });
                let empty = Group::default();
                group_line(
                    tr.t(&format!("quality.finding.{}", f.as_str())).to_string(),
                    r.findings.get(f).unwrap_or(&empty),
                    list,
                )
            })
            .collect()
    });
    let invalid = page.as_ref().map_or_else(Vec::new, |r| {
        r.invalid
            .iter()
            .map(|(field, g)| group_line(field_label(field, lang), g, None))
            .collect()
    });
    let needs_check = page.take().map(|r| Line {
        label: tr.t("quality.needs_check").to_string(),
        count: count(r.needs_check),
        percent: share(r.needs_check, total),
        list: Some(list_link(
            json!({"field": "needs_check", "op": "eq", "value": true}),
        )),
        examples: Vec::new(),
    });
    let (_, n) = job.progress();
    let shell = Shell::load(
        &state,
        &session,
        "nav.quality",
        "/quality",
        q.notice.as_deref(),
    )
    .await?;
    let html = QualityPage {
        shell,
        running,
        progress: format!("{} {}", count(n as i64), tr.t("dup.progress_contacts")),
        failed: job.failed(),
        done,
        contacts: count(total),
        needs_check,
        fill,
        findings,
        invalid,
    }
    .render()?;
    Ok(Html(html).into_response())
}

async fn start(
    State(state): State<AppState>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let notice = if state.jobs.start_quality(state.store.clone()) {
        "quality.started"
    } else {
        "quality.running_already"
    };
    Ok(Redirect::to(&with_notice("/quality", notice)).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality", get(page))
        .route("/quality/run", post(start))
}
