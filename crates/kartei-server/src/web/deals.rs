//! Deals at work: the kanban board of a pipeline (working stages as columns, won and
//! lost counted below), moving a deal, and closing it as won or lost with a reason.

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
use kartei_core::deal::{DealData, PipelineData, Stage, DEFAULT_LOST_REASONS};
use kartei_core::i18n::Lang;
use kartei_core::record::RecordData;
use kartei_store::records::Record;
use kartei_store::StoreError;
use serde_json::json;
use uuid::Uuid;

use super::work::NoticeQuery;

/// The list of a stage's deals (for the counts of won and lost deals).
fn stage_list_href(stage: Uuid) -> String {
    let filter = json!({"field": "stage_id", "op": "eq", "value": stage}).to_string();
    format!(
        "/deals?{}",
        serde_urlencoded::to_string([("filter", filter)]).unwrap_or_default()
    )
}

/// A card's next step in words ("Aufgabe: Muster schicken · 05.01.2026") and whether
/// it is overdue.
fn next_step(
    next: Option<&Record<ActivityData>>,
    today: NaiveDate,
    tz_minutes: i32,
    lang: Lang,
) -> (String, bool) {
    let Some(a) = next else {
        return (String::new(), false);
    };
    let kind = kartei_app::texts::option_label(a.data.kind.as_deref().unwrap_or(""), lang);
    let when = match (a.data.due_date, a.data.starts_at) {
        (Some(d), _) => kartei_app::format::date(Some(d), lang),
        (None, Some(t)) => kartei_app::format::local_timestamp(t, tz_minutes, lang),
        (None, None) => String::new(),
    };
    let overdue = a.data.due_date.is_some_and(|d| d < today);
    let mut text = format!("{kind}: {}", a.data.display_name());
    if !when.is_empty() {
        text.push_str(" · ");
        text.push_str(&when);
    }
    (text, overdue)
}

/// How a deal's page offers to close it: won with one click, lost with a reason.
pub struct CloseBox {
    pub can_win: bool,
    pub can_lose: bool,
    pub reasons: Vec<String>,
    pub version: i64,
}

/// The closing buttons of an open deal; `None` once it is won or lost, or when its
/// pipeline has no closing stages.
pub async fn close_box(
    state: &AppState,
    deal: &DealData,
    version: i64,
    lang: Lang,
) -> Result<Option<CloseBox>, WebError> {
    if deal.status.as_deref() != Some("open") {
        return Ok(None);
    }
    let Some(pipeline_id) = deal.pipeline_id else {
        return Ok(None);
    };
    let pipeline = state.store.get::<PipelineData>(pipeline_id).await?.data;
    let (can_win, can_lose) = (
        pipeline.closing_stage(true).is_some(),
        pipeline.closing_stage(false).is_some(),
    );
    if !can_win && !can_lose {
        return Ok(None);
    }
    Ok(Some(CloseBox {
        can_win,
        can_lose,
        reasons: lost_reasons(&pipeline, lang),
        version,
    }))
}

/// The reasons a pipeline offers for a lost deal, the usual ones when it names none.
fn lost_reasons(pipeline: &PipelineData, lang: Lang) -> Vec<String> {
    if pipeline.lost_reasons.is_empty() {
        DEFAULT_LOST_REASONS
            .iter()
            .map(|k| Tr(lang).t(k).to_string())
            .collect()
    } else {
        pipeline.lost_reasons.clone()
    }
}

/// Closes a deal as won or lost: it moves to its pipeline's won or lost stage; a lost
/// deal needs a reason (chosen, written, or both).
async fn close_deal(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let won = match form.get("outcome") {
        Some("won") => true,
        Some("lost") => false,
        _ => return Err(WebError::BadRequest),
    };
    let version = form.get("_version").and_then(|v| v.parse().ok());
    let back = form
        .get("_back")
        .filter(|b| super::session::is_local_path(b))
        .map_or_else(|| format!("/deals/{id}"), str::to_string);
    let deal = state.store.get::<DealData>(id).await?;
    let pipeline_id = deal.data.pipeline_id.ok_or(WebError::BadRequest)?;
    let pipeline = state.store.get::<PipelineData>(pipeline_id).await?.data;
    let Some(stage) = pipeline.closing_stage(won) else {
        return Ok(Redirect::to(&with_notice(&back, "deal.no_closing_stage")).into_response());
    };
    let mut patch = json!({"stage_id": stage, "probability": null});
    if !won {
        let reason = [form.get("reason"), form.get("reason_text")]
            .into_iter()
            .flatten()
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        if reason.is_empty() {
            return Ok(Redirect::to(&with_notice(&back, "deal.reason_required")).into_response());
        }
        patch["lost_reason"] = reason.into();
    }
    match state
        .store
        .update::<DealData>(&session.actor(), id, version, patch)
        .await
    {
        Ok(_) => Ok(Redirect::to(&with_notice(
            &back,
            if won {
                "deal.closed_won"
            } else {
                "deal.closed_lost"
            },
        ))
        .into_response()),
        Err(StoreError::VersionConflict { .. }) => {
            Ok(Redirect::to(&with_notice(&back, "conflict.title")).into_response())
        }
        Err(StoreError::Invalid(_)) => {
            Ok(Redirect::to(&with_notice(&back, "deal.reason_required")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(board_first))
        .route("/pipelines/{id}/board", get(board))
        .route("/deals/{id}/move", post(move_deal))
        .route("/deals/{id}/close", post(close_deal))
}

pub struct Card {
    pub id: Uuid,
    pub version: i64,
    pub title: String,
    pub value: String,
    pub contact: String,
    /// The next open task or coming meeting about the deal, with its date.
    pub next: String,
    pub overdue: bool,
}

/// A closing stage (won or lost) below the board: its deals counted, not shown.
pub struct ClosedStage {
    pub name: String,
    pub won: bool,
    pub count: i64,
    pub sum: String,
    pub href: String,
}

pub struct BoardColumn {
    pub stage_id: Uuid,
    pub name: String,
    pub count: i64,
    pub sum: String,
    pub cards: Vec<Card>,
    pub more: i64,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    shell: Shell,
    pipeline_id: Uuid,
    pipelines: Vec<(Uuid, String)>,
    columns: Vec<BoardColumn>,
    closed: Vec<ClosedStage>,
    stages: Vec<(Uuid, String)>,
    /// Whether the pipeline has a won stage for the cards' "won" button.
    can_win: bool,
}

/// Cards per stage on the board; the rest is counted ("… more").
pub const BOARD_CARDS: u64 = 50;

async fn board_first(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    match kartei_app::names::pipelines(&state.store).await?.first() {
        Some((id, _)) => Ok(Redirect::to(&format!("/pipelines/{id}/board")).into_response()),
        None => Ok(Redirect::to("/pipelines?notice=board.no_pipeline").into_response()),
    }
}

async fn board(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let lang = session.lang;
    let pipeline = state.store.get::<PipelineData>(id).await?;
    // Won and lost deals leave the working columns; below the board they are counted.
    let (closing, working): (Vec<&Stage>, Vec<&Stage>) =
        pipeline.data.stages.iter().partition(|s| s.won || s.lost);
    let ids = |stages: &[&Stage]| stages.iter().filter_map(|s| s.id).collect::<Vec<Uuid>>();
    let columns = state
        .store
        .deal_board(id, &ids(&working), BOARD_CARDS)
        .await?;
    let closed_columns = state.store.deal_board(id, &ids(&closing), 0).await?;
    let money_sums = |sums: &[(String, i64)]| {
        sums.iter()
            .map(|(cur, m)| kartei_app::format::money(*m, cur, lang))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let closed = closed_columns
        .iter()
        .zip(&closing)
        .map(|(c, stage)| ClosedStage {
            name: stage.name.clone().unwrap_or_default(),
            won: stage.won,
            count: c.count,
            sum: money_sums(&c.sums),
            href: stage_list_href(c.stage_id),
        })
        .collect();
    let contact_ids: Vec<Uuid> = columns
        .iter()
        .flat_map(|c| {
            c.deals
                .iter()
                .filter_map(|d| d.data.contact_ids.first().copied())
        })
        .collect();
    let names = state
        .store
        .display_names::<kartei_core::contact::ContactData>(&contact_ids)
        .await?;
    let deal_ids: Vec<Uuid> = columns
        .iter()
        .flat_map(|c| c.deals.iter().map(|d| d.id))
        .collect();
    let next = state.store.next_activities(&deal_ids).await?;
    let today = (Utc::now() + Duration::minutes(i64::from(session.tz_minutes))).date_naive();
    let columns = columns
        .into_iter()
        .zip(&working)
        .map(|(c, stage)| BoardColumn {
            stage_id: c.stage_id,
            name: stage.name.clone().unwrap_or_default(),
            count: c.count,
            sum: money_sums(&c.sums),
            more: c.count - c.deals.len() as i64,
            cards: c
                .deals
                .into_iter()
                .map(|d| {
                    let (next, overdue) =
                        next_step(next.get(&d.id), today, session.tz_minutes, lang);
                    Card {
                        next,
                        overdue,
                        id: d.id,
                        version: d.version,
                        title: d.data.display_name(),
                        value: d
                            .data
                            .value_minor
                            .map(|m| {
                                kartei_app::format::money(
                                    m,
                                    d.data.currency.as_deref().unwrap_or("EUR"),
                                    lang,
                                )
                            })
                            .unwrap_or_default(),
                        contact: d
                            .data
                            .contact_ids
                            .first()
                            .and_then(|c| names.get(c).cloned())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect();
    let here = format!("/pipelines/{id}/board");
    let shell = Shell::load(&state, &session, "nav.board", &here, q.notice.as_deref()).await?;
    let page = BoardPage {
        shell,
        pipeline_id: id,
        pipelines: kartei_app::names::pipelines(&state.store)
            .await?
            .into_iter()
            .map(|(pid, p)| (pid, p.name.unwrap_or_default()))
            .collect(),
        stages: pipeline
            .data
            .stages
            .iter()
            .filter_map(|s| Some((s.id?, s.name.clone().unwrap_or_default())))
            .collect(),
        columns,
        closed,
        can_win: pipeline.data.closing_stage(true).is_some(),
    };
    Ok(Html(page.render()?).into_response())
}

/// Moves a deal to another stage (from the board, by drag and drop or the selection).
async fn move_deal(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let stage: Uuid = form
        .get("stage_id")
        .and_then(|s| s.parse().ok())
        .ok_or(WebError::BadRequest)?;
    let version = form.get("_version").and_then(|v| v.parse().ok());
    let back = form
        .get("_back")
        .filter(|b| super::session::is_local_path(b))
        .unwrap_or("/board")
        .to_string();
    let pipeline = kartei_app::names::pipelines(&state.store)
        .await?
        .into_iter()
        .find(|(_, p)| p.stages.iter().any(|s| s.id == Some(stage)))
        .map(|(pid, _)| pid)
        .ok_or(WebError::BadRequest)?;
    match state
        .store
        .update::<DealData>(
            &session.actor(),
            id,
            version,
            json!({"pipeline_id": pipeline, "stage_id": stage, "probability": null}),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&with_notice(&back, "board.moved")).into_response()),
        Err(StoreError::VersionConflict { .. }) => {
            Ok(Redirect::to(&with_notice(&back, "conflict.title")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
