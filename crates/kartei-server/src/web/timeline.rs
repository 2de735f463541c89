//! The timeline of a record: everything that happened to it, newest first, in one
//! stream. Each kind of entry comes from a source below; a new kind (activities, deals,
//! orders, consents) adds a source and a line in [`KINDS`]. Entries are keyed by their
//! UUIDv7 id, which orders by time across sources, so paging works on the merged stream.

use super::error::WebError;
use super::texts::{field_label, lookup, option_label};
use crate::AppState;
use chrono::{DateTime, Utc};
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Entries per page of the timeline.
pub const TIMELINE_PAGE: u64 = 30;

/// The kinds a reader can filter by: (code, text key).
pub const KINDS: &[(&str, &str)] = &[("audit", "history.kind.audit")];

pub struct TimelineEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub title: String,
    pub who: String,
    /// (field, before, after) for changes; other kinds put their lines in `after`.
    pub changes: Vec<(String, String, String)>,
}

impl TimelineEntry {
    pub fn iso(&self) -> String {
        self.at.to_rfc3339()
    }
}

/// A page of the timeline, and the id to continue before when there is more.
pub async fn load(
    state: &AppState,
    entity: Entity,
    id: Uuid,
    lang: Lang,
    users: &HashMap<Uuid, String>,
    kind: Option<&str>,
    before: Option<Uuid>,
) -> Result<(Vec<TimelineEntry>, Option<Uuid>), WebError> {
    let mut entries = Vec::new();
    if kind.is_none_or(|k| k == "audit") {
        entries.extend(audit_entries(state, entity, id, lang, users, before).await?);
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.id));
    entries.truncate(TIMELINE_PAGE as usize);
    let more = (entries.len() as u64 == TIMELINE_PAGE).then(|| entries.last().map(|e| e.id));
    Ok((entries, more.flatten()))
}

async fn audit_entries(
    state: &AppState,
    _entity: Entity,
    id: Uuid,
    lang: Lang,
    users: &HashMap<Uuid, String>,
    before: Option<Uuid>,
) -> Result<Vec<TimelineEntry>, WebError> {
    let history = state.store.history(id, before, TIMELINE_PAGE).await?;
    Ok(history
        .into_iter()
        .map(|e| {
            let title = lookup(&format!("history.{}", e.action), lang)
                .or_else(|| lookup("history.other", lang))
                .unwrap_or_default()
                .to_string();
            let changes = match e.action.as_str() {
                "tag" | "untag" => {
                    let tag = e
                        .after
                        .as_ref()
                        .or(e.before.as_ref())
                        .and_then(|v| v.get("tag"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    vec![(field_label("tags", lang), String::new(), tag)]
                }
                _ => diff(e.before.as_ref(), e.after.as_ref(), lang, users),
            };
            TimelineEntry {
                id: e.id,
                at: e.at,
                kind: "audit",
                title,
                who: e.actor_name,
                changes,
            }
        })
        .collect())
}

/// The fields that differ between two versions, in words.
fn diff(
    before: Option<&Value>,
    after: Option<&Value>,
    lang: Lang,
    users: &HashMap<Uuid, String>,
) -> Vec<(String, String, String)> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .filter_map(|k| {
            let show = |v: Option<&Value>| words(k, v, lang, users);
            let (old, new) = (show(b.get(k)), show(a.get(k)));
            (old != new).then(|| (field_label(k, lang), old, new))
        })
        .collect()
}

/// A stored value as a reader understands it.
fn words(key: &str, v: Option<&Value>, lang: Lang, users: &HashMap<Uuid, String>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if key == "owner_id" => s
            .parse::<Uuid>()
            .ok()
            .and_then(|id| users.get(&id).cloned())
            .unwrap_or_else(|| s.clone()),
        Some(Value::String(s)) => option_label(s, lang).to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(m) => m
                    .iter()
                    .filter(|(k, _)| *k != "kind")
                    .filter_map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    field_label(k, lang),
                    words(k, Some(v), lang, users)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}
