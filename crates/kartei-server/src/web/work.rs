//! Everyday work across kinds: "my day" (open tasks, today's meetings), ticking off
//! tasks and booking loyalty points.

use super::error::WebError;
use super::session::{with_notice, Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Duration, NaiveDate, Utc};
use kartei_app::texts::Tr;
use kartei_core::access::Permission;
use kartei_core::activity::ActivityData;
use kartei_core::filter::{Filter, Sort};
use kartei_core::loyalty::LoyaltyInput;
use kartei_core::record::{Entity, RecordData};
use kartei_store::list::ListRequest;
use kartei_store::StoreError;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

pub struct TaskRow {
    pub id: Uuid,
    pub version: i64,
    pub subject: String,
    pub about: String,
    pub about_href: String,
    pub due: String,
    pub overdue: bool,
    pub priority: String,
}

/// Tasks of one kind of due date on "My day": overdue, today, upcoming, undated.
pub struct TaskGroup {
    pub key: &'static str,
    pub title: &'static str,
    pub tasks: Vec<TaskRow>,
}

/// Sorts tasks (already in due-date order) into the groups of "My day", leaving out
/// the empty ones.
fn group_tasks(
    tasks: Vec<(Option<NaiveDate>, TaskRow)>,
    today: NaiveDate,
    tr: Tr,
) -> Vec<TaskGroup> {
    let mut groups: Vec<TaskGroup> = ["overdue", "today", "upcoming", "undated"]
        .into_iter()
        .map(|key| TaskGroup {
            key,
            title: tr.t(match key {
                "overdue" => "myday.group_overdue",
                "today" => "myday.group_today",
                "upcoming" => "myday.group_upcoming",
                _ => "myday.group_undated",
            }),
            tasks: Vec::new(),
        })
        .collect();
    for (due, task) in tasks {
        let slot = match due {
            Some(d) if d < today => 0,
            Some(d) if d == today => 1,
            Some(_) => 2,
            None => 3,
        };
        groups[slot].tasks.push(task);
    }
    groups.retain(|g| !g.tasks.is_empty());
    groups
}

pub struct MeetingRow {
    pub id: Uuid,
    pub subject: String,
    pub starts: String,
    pub location: String,
}

#[derive(Template)]
#[template(path = "my_day.html")]
struct MyDayPage {
    shell: Shell,
    groups: Vec<TaskGroup>,
    meetings: Vec<MeetingRow>,
}

async fn list_activities(
    state: &AppState,
    filter: serde_json::Value,
    sort: &str,
    limit: u64,
) -> Result<Vec<kartei_store::records::Record<ActivityData>>, WebError> {
    let typed = serde_json::from_value::<Filter>(filter)
        .map_err(|_| WebError::Internal)?
        .typed(Entity::Activity, &[])
        .map_err(|_| WebError::Internal)?;
    let sort = Sort::parse(Entity::Activity, &[], sort).map_err(|_| WebError::Internal)?;
    Ok(state
        .store
        .list::<ActivityData>(&ListRequest {
            filter: Some(typed),
            sort,
            cursor: None,
            limit,
            with_total: false,
        })
        .await?
        .items)
}

/// What a signed-in person has to do today: their open tasks, overdue first, and the
/// meetings they attend today.
async fn my_day(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let tr = Tr(session.lang);
    let me = session.user.id;
    let local_now = Utc::now() + Duration::minutes(i64::from(session.tz_minutes));
    let today: NaiveDate = local_now.date_naive();
    let tasks = list_activities(
        &state,
        json!({"and": [{"field": "kind", "op": "eq", "value": "task"}, {"field": "done", "op": "eq", "value": false},
                       {"field": "assignee_id", "op": "eq", "value": me}]}),
        "due_date",
        200,
    )
    .await?;
    let start = today.and_hms_opt(0, 0, 0).map_or_else(Utc::now, |t| {
        t.and_utc() - Duration::minutes(i64::from(session.tz_minutes))
    });
    let meetings = list_activities(
        &state,
        json!({"and": [{"field": "kind", "op": "eq", "value": "meeting"},
                       {"field": "starts_at", "op": "ge", "value": start.to_rfc3339()},
                       {"field": "starts_at", "op": "lt", "value": (start + Duration::days(1)).to_rfc3339()}]}),
        "starts_at",
        200,
    )
    .await?;
    let contacts: Vec<Uuid> = tasks.iter().filter_map(|t| t.data.contact_id).collect();
    let mut names = state
        .store
        .display_names::<kartei_core::contact::ContactData>(&contacts)
        .await?;
    let orgs: Vec<Uuid> = tasks
        .iter()
        .filter_map(|t| t.data.organization_id)
        .collect();
    names.extend(state.store.organization_display_names(&orgs).await?);
    let tasks = tasks
        .into_iter()
        .map(|t| {
            let (about, about_href) =
                match (t.data.contact_id, t.data.organization_id, t.data.deal_id) {
                    (Some(c), _, _) => (
                        names.get(&c).cloned().unwrap_or_default(),
                        format!("/contacts/{c}"),
                    ),
                    (None, Some(o), _) => (
                        names.get(&o).cloned().unwrap_or_default(),
                        format!("/organizations/{o}"),
                    ),
                    (None, None, Some(d)) => (String::new(), format!("/deals/{d}")),
                    _ => (String::new(), String::new()),
                };
            let row = TaskRow {
                id: t.id,
                version: t.version,
                subject: if t.data.review_of.is_some() {
                    tr.t("activity.review").to_string()
                } else {
                    t.data.display_name()
                },
                about,
                about_href,
                due: kartei_app::format::date(t.data.due_date, session.lang),
                overdue: t.data.due_date.is_some_and(|d| d < today),
                priority: kartei_app::texts::option_label(
                    t.data.priority.as_deref().unwrap_or("normal"),
                    session.lang,
                )
                .to_string(),
            };
            (t.data.due_date, row)
        })
        .collect();
    let groups = group_tasks(tasks, today, tr);
    let meetings = meetings
        .into_iter()
        .filter(|m| m.data.attendee_user_ids.contains(&me) || m.data.attendee_user_ids.is_empty())
        .map(|m| MeetingRow {
            id: m.id,
            subject: m.data.display_name(),
            starts: m.data.starts_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            location: m.data.location.clone().unwrap_or_default(),
        })
        .collect();
    let shell = Shell::load(
        &state,
        &session,
        "nav.my_day",
        "/my-day",
        q.notice.as_deref(),
    )
    .await?;
    Ok(Html(
        MyDayPage {
            shell,
            groups,
            meetings,
        }
        .render()?,
    )
    .into_response())
}

/// Ticks off a task (the review task of a contact clears its marker).
async fn task_done(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let version = form.get("_version").and_then(|v| v.parse().ok());
    let back = form
        .get("_back")
        .filter(|b| super::session::is_local_path(b))
        .unwrap_or("/my-day")
        .to_string();
    match state
        .store
        .update::<ActivityData>(&session.actor(), id, version, json!({"done": true}))
        .await
    {
        Ok(_) => Ok(Redirect::to(&with_notice(&back, "saved.created")).into_response()),
        Err(StoreError::VersionConflict { .. }) => {
            Ok(Redirect::to(&with_notice(&back, "conflict.title")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Books loyalty points from the contact page.
async fn book_loyalty(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let input = LoyaltyInput {
        kind: form.get("kind").map(str::to_string),
        points: form.get("points").and_then(|p| p.parse().ok()),
        reason: form.get("reason").map(str::to_string),
        order_id: None,
    };
    let back = format!("/contacts/{id}");
    match state.store.add_loyalty(&session.actor(), id, input).await {
        Ok(_) => Ok(Redirect::to(&with_notice(&back, "saved.created")).into_response()),
        Err(StoreError::Invalid(_)) => {
            Ok(Redirect::to(&with_notice(&back, "loyalty.invalid")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my-day", get(my_day))
        .route("/activities/{id}/done", post(task_done))
        .route("/contacts/{id}/loyalty", post(book_loyalty))
}
