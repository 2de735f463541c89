//! The trash: deleted records of every kind, restorable for 30 days.

use super::admin::NoticeQuery;
use super::error::WebError;
use super::session::{Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_core::access::Permission;
use kartei_core::record::Entity;
use kartei_store::trash::TrashItem;
use uuid::Uuid;

/// Items shown per kind; older ones follow as the newer are restored or purged.
const TRASH_PAGE: u64 = 200;

#[derive(Template)]
#[template(path = "trash.html")]
struct TrashPage {
    shell: Shell,
    items: Vec<TrashItem>,
    can_purge: bool,
}

impl TrashPage {
    fn kind(&self, item: &TrashItem) -> &'static str {
        self.shell.t(&format!("entity.{}", item.entity.as_str()))
    }

    fn date(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        kartei_app::format::timestamp(*at, self.shell.lang)
    }
}

async fn trash(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let mut items = Vec::new();
    for entity in Entity::ALL {
        items.extend(state.store.trash(entity, None, TRASH_PAGE).await?.0);
    }
    items.sort_by_key(|i| std::cmp::Reverse(i.deleted_at));
    let shell = Shell::load(&state, &session, "trash", "/trash", q.notice.as_deref()).await?;
    let page = TrashPage {
        shell,
        items,
        can_purge: session.may(Permission::PurgeTrash),
    };
    Ok(Html(page.render()?).into_response())
}

fn entity(kind: &str) -> Result<Entity, WebError> {
    Entity::parse(kind).ok_or(WebError::NotFound)
}

async fn restore(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, Uuid)>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    state
        .store
        .restore(&session.actor(), entity(&kind)?, id)
        .await?;
    Ok(Redirect::to("/trash?notice=trash.restored").into_response())
}

async fn purge(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, Uuid)>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::PurgeTrash)?;
    state
        .store
        .purge(&session.actor(), entity(&kind)?, id)
        .await?;
    Ok(Redirect::to("/trash?notice=trash.purged").into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trash", get(trash))
        .route("/trash/{kind}/{id}/restore", post(restore))
        .route("/trash/{kind}/{id}/purge", post(purge))
}
