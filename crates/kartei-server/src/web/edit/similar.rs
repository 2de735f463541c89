//! The duplicate hint while a contact is typed, and the options of a record picker.

use crate::web::error::WebError;
use crate::web::form::Typing;
use crate::web::records::WebRecord;
use crate::web::session::{Posted, Session};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use kartei_app::texts::Tr;
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_core::matching::draft_for_matching;
use kartei_core::record::RecordData;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

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
