//! The customer history over HTTP: timelines, purchases, loyalty points, the kanban
//! board of a pipeline and the stage history of a deal.

use super::extract::{JsonBody, PathParams, QueryParams};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use kartei_core::access::Permission;
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::loyalty::{LoyaltyEntry, LoyaltyInput};
use kartei_core::record::Entity;
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::history::TimelineKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Comma-separated kinds: activity, deal, order, ticket, feedback, loyalty, consent, change (all when empty).
    #[param(
        pattern = r"^ *((activity|deal|order|ticket|feedback|loyalty|consent|change) *)?(, *((activity|deal|order|ticket|feedback|loyalty|consent|change) *)?)*$"
    )]
    pub kinds: Option<String>,
    pub cursor: Option<String>,
    /// 1–200 (default 30).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineItemOut {
    /// activity, deal, order, ticket, feedback, loyalty, consent or change.
    pub kind: String,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The record as the API shows it (for `change`: action, actor, before, after).
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineOut {
    pub items: Vec<TimelineItemOut>,
    pub next_cursor: Option<String>,
}

async fn timeline(
    s: &AppState,
    user: &CurrentUser,
    owner: Entity,
    id: Uuid,
    p: TimelineParams,
) -> Result<Json<TimelineOut>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let kinds = p
        .kinds
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            TimelineKind::parse(k).ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new("kinds", ErrorCode::InvalidChoice)])
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let limit = super::extract::within("limit", p.limit, 30, 1..=200)?;
    // Unknown owners are 404, not an empty timeline.
    match owner {
        Entity::Contact => drop(s.store.get::<kartei_core::contact::ContactData>(id).await?),
        _ => drop(
            s.store
                .get::<kartei_core::organization::OrganizationData>(id)
                .await?,
        ),
    }
    let page = s
        .store
        .timeline(owner, id, &kinds, p.cursor.as_deref(), limit)
        .await?;
    let sensitive = user.may(Permission::ViewSensitive);
    Ok(Json(TimelineOut {
        items: page
            .items
            .into_iter()
            .map(|i| TimelineItemOut {
                kind: i.kind.as_str().to_string(),
                id: i.id,
                at: i.at,
                data: if sensitive || i.kind != TimelineKind::Change {
                    i.data
                } else {
                    mask_change(i.data)
                },
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Bank details never reach roles without access, not even through the change log.
fn mask_change(mut v: Value) -> Value {
    for side in ["before", "after"] {
        if let Some(bank) = v.get_mut(side).and_then(|s| s.get_mut("bank")) {
            if !bank.is_null() {
                *bank = serde_json::json!({"masked": true});
            }
        }
    }
    v
}

/// Everything that happened with a contact, newest first, in one stream: activities,
/// deals, orders, tickets, feedback, loyalty points and changes of the record.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/timeline", tag = "contacts", params(("id" = Uuid, Path), TimelineParams),
    responses((status = 200, body = TimelineOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn contact_timeline(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    QueryParams(p): QueryParams<TimelineParams>,
) -> Result<Json<TimelineOut>, ApiError> {
    timeline(&s, &user, Entity::Contact, id, p).await
}

/// The organisation's timeline (its activities, deals, orders, tickets and changes).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/timeline", tag = "organizations", params(("id" = Uuid, Path), TimelineParams),
    responses((status = 200, body = TimelineOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn organization_timeline(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    QueryParams(p): QueryParams<TimelineParams>,
) -> Result<Json<TimelineOut>, ApiError> {
    timeline(&s, &user, Entity::Organization, id, p).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyOut {
    pub currency: String,
    pub minor: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurchasesOut {
    /// Orders that count as revenue (not cancelled or returned).
    pub orders: i64,
    pub revenue: Vec<MoneyOut>,
    pub first_order: Option<NaiveDate>,
    pub last_order: Option<NaiveDate>,
    pub loyalty_balance: i64,
}

/// Revenue totals of a contact and their loyalty balance.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/purchases", tag = "contacts", params(("id" = Uuid, Path)),
    responses((status = 200, body = PurchasesOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn purchases(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<PurchasesOut>, ApiError> {
    user.require(Permission::ReadRecords)?;
    s.store.get::<kartei_core::contact::ContactData>(id).await?;
    let p = s.store.purchases(id).await?;
    Ok(Json(PurchasesOut {
        orders: p.orders,
        revenue: p
            .revenue
            .into_iter()
            .map(|(currency, minor)| MoneyOut { currency, minor })
            .collect(),
        first_order: p.first,
        last_order: p.last,
        loyalty_balance: s.store.loyalty_balance(id).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoyaltyOut {
    pub balance: i64,
    /// The newest 100 entries.
    pub entries: Vec<LoyaltyEntry>,
}

/// A contact's loyalty points: balance and ledger.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/loyalty", tag = "loyalty", params(("id" = Uuid, Path)),
    responses((status = 200, body = LoyaltyOut), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn loyalty(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<LoyaltyOut>, ApiError> {
    user.require(Permission::ReadRecords)?;
    s.store.get::<kartei_core::contact::ContactData>(id).await?;
    Ok(Json(LoyaltyOut {
        balance: s.store.loyalty_balance(id).await?,
        entries: s.store.loyalty_entries(id, 100).await?,
    }))
}

/// Books points: `earn`, `redeem` or `expire` (points always positive). Redeeming
/// more than the balance gets 422 and books nothing.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/loyalty", tag = "loyalty", params(("id" = Uuid, Path)), request_body = LoyaltyInput,
    responses((status = 201, body = LoyaltyEntry), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_loyalty(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    body: JsonBody,
) -> Result<(StatusCode, Json<LoyaltyEntry>), ApiError> {
    user.require(Permission::WriteRecords)?;
    let input: LoyaltyInput = body.parse()?;
    let entry = s.store.add_loyalty(&user.actor(), id, input).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageVisitOut {
    pub stage_id: Uuid,
    pub entered_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
}

/// Every stage the deal entered, oldest first (for cycle times and win rates).
#[utoipa::path(get, path = "/api/v1/deals/{id}/stages", tag = "deals", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<StageVisitOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn deal_stages(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<Vec<StageVisitOut>>, ApiError> {
    user.require(Permission::ReadRecords)?;
    s.store.get::<DealData>(id).await?;
    Ok(Json(
        s.store
            .stage_history(id)
            .await?
            .into_iter()
            .map(|v| StageVisitOut {
                stage_id: v.stage_id,
                entered_at: v.entered_at,
                actor_id: v.actor_id,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardColumnOut {
    pub stage_id: Uuid,
    pub name: String,
    /// All deals in the stage.
    pub count: i64,
    /// Their value per currency.
    pub sums: Vec<MoneyOut>,
    /// The 50 most recently changed deals of the stage.
    #[schema(value_type = Vec<Object>)]
    pub deals: Vec<Value>,
}

/// The kanban board of a pipeline: per stage its count, value and latest deals.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}/board", tag = "pipelines", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<BoardColumnOut>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn board(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<Vec<BoardColumnOut>>, ApiError> {
    user.require(Permission::ReadRecords)?;
    let pipeline = s.store.get::<PipelineData>(id).await?;
    let stages: Vec<Uuid> = pipeline.data.stages.iter().filter_map(|st| st.id).collect();
    let columns = s.store.deal_board(id, &stages, 50).await?;
    Ok(Json(
        columns
            .into_iter()
            .zip(pipeline.data.stages)
            .map(|(c, st)| BoardColumnOut {
                stage_id: c.stage_id,
                name: st.name.unwrap_or_default(),
                count: c.count,
                sums: c
                    .sums
                    .into_iter()
                    .map(|(currency, minor)| MoneyOut { currency, minor })
                    .collect(),
                deals: c
                    .deals
                    .into_iter()
                    .map(|d| {
                        serde_json::to_value(super::dto::RecordOut::new(d, true))
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            })
            .collect(),
    ))
}
