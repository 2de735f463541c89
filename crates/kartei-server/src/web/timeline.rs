//! The timeline of a record: everything that happened to it, newest first, in one
//! stream. For contacts and organisations the store merges every kind (activities,
//! deals, orders, tickets, feedback, loyalty points, changes) by time; other records
//! show their changes. Here each kind of entry is put into words; a new kind adds a
//! line in [`KINDS`] and a branch in [`describe`].

use super::error::WebError;
use crate::AppState;
use chrono::{DateTime, Utc};
use kartei_app::texts::{field_label, lookup, option_label};
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use kartei_store::history::{TimelineItem, TimelineKind};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// Entries per page of the timeline.
pub const TIMELINE_PAGE: u64 = 30;

/// The kinds a reader of a contact's or organisation's timeline can filter by.
pub const KINDS: &[(&str, &str)] = &[
    ("activity", "timeline.activity"),
    ("deal", "timeline.deal"),
    ("order", "timeline.order"),
    ("ticket", "timeline.ticket"),
    ("feedback", "timeline.feedback"),
    ("loyalty", "timeline.loyalty"),
    ("change", "timeline.change"),
];

pub struct TimelineEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub title: String,
    pub who: String,
    /// Whether `who` names an import ("changed through import …") rather than a person.
    pub through_import: bool,
    pub href: Option<String>,
    /// Lines of text under the title.
    pub lines: Vec<String>,
    /// (field, before, after) for changes.
    pub changes: Vec<(String, String, String)>,
}

impl TimelineEntry {
    pub fn iso(&self) -> String {
        self.at.to_rfc3339()
    }
}

/// A page of the timeline, and where the next one starts (a cursor for contacts and
/// organisations, an audit entry id for other records).
pub async fn load(
    state: &AppState,
    entity: Entity,
    id: Uuid,
    lang: Lang,
    users: &HashMap<Uuid, String>,
    kind: Option<&str>,
    before: Option<&str>,
) -> Result<(Vec<TimelineEntry>, Option<String>), WebError> {
    if !entity.is_party() {
        let before: Option<Uuid> = before.and_then(|b| b.parse().ok());
        let entries = audit_entries(state, entity, id, lang, users, before).await?;
        let more = (entries.len() as u64 == TIMELINE_PAGE)
            .then(|| entries.last().map(|e| e.id.to_string()))
            .flatten();
        return Ok((entries, more));
    }
    let kinds: Vec<TimelineKind> = kind.and_then(TimelineKind::parse).into_iter().collect();
    let page = state
        .store
        .timeline(entity, id, &kinds, before, TIMELINE_PAGE)
        .await?;
    let entries = page
        .items
        .into_iter()
        .map(|item| describe(item, lang, users))
        .collect();
    Ok((entries, page.next_cursor))
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn money_of(v: &Value, key: &str, lang: Lang) -> String {
    v.get(key)
        .and_then(Value::as_i64)
        .map(|m| {
            kartei_app::format::money(
                m,
                v.get("currency").and_then(Value::as_str).unwrap_or("EUR"),
                lang,
            )
        })
        .unwrap_or_default()
}

/// One entry of the store's timeline in words.
fn describe(item: TimelineItem, lang: Lang, users: &HashMap<Uuid, String>) -> TimelineEntry {
    let d = &item.data;
    let label = |k: &str| option_label(k, lang).to_string();
    let (title, who, href, lines, changes) = match item.kind {
        TimelineKind::Activity => {
            let kind = text(d, "kind");
            let subject = if d.get("review_of").is_some_and(|r| !r.is_null()) {
                lookup("activity.review", lang)
                    .unwrap_or_default()
                    .to_string()
            } else {
                text(d, "subject")
            };
            let mut lines = Vec::new();
            match kind.as_str() {
                "call" => lines.push(
                    [
                        label(&text(d, "direction")),
                        d.get("duration_minutes")
                            .and_then(Value::as_i64)
                            .map(|m| format!("{m} min"))
                            .unwrap_or_default(),
                        label(&text(d, "outcome")),
                    ]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
                ),
                "task" => lines.push(format!(
                    "{}: {}{}",
                    field_label("due_date", lang),
                    kartei_app::format::date(text(d, "due_date").parse().ok(), lang),
                    if d.get("done").and_then(Value::as_bool) == Some(true) {
                        format!(" · {}", field_label("done", lang))
                    } else {
                        String::new()
                    }
                )),
                "meeting" => lines.push(text(d, "location")),
                _ => {}
            }
            let body = text(d, "body");
            if !body.is_empty() {
                lines.push(body.chars().take(300).collect());
            }
            lines.retain(|l| !l.trim().is_empty());
            (
                format!("{}: {subject}", label(&kind)),
                String::new(),
                Some(format!("/activities/{}", item.id)),
                lines,
                Vec::new(),
            )
        }
        TimelineKind::Deal => (
            format!("Deal: {}", text(d, "title")),
            String::new(),
            Some(format!("/deals/{}", item.id)),
            vec![[label(&text(d, "status")), money_of(d, "value_minor", lang)].join(" · ")],
            Vec::new(),
        ),
        TimelineKind::Order => (
            format!("{} {}", lang.pick("Bestellung", "Order"), text(d, "number")),
            String::new(),
            Some(format!("/orders/{}", item.id)),
            vec![[label(&text(d, "status")), money_of(d, "gross_minor", lang)].join(" · ")],
            Vec::new(),
        ),
        TimelineKind::Ticket => (
            format!("Ticket: {}", text(d, "subject")),
            String::new(),
            Some(format!("/tickets/{}", item.id)),
            vec![[label(&text(d, "status")), label(&text(d, "priority"))].join(" · ")],
            Vec::new(),
        ),
        TimelineKind::Feedback => {
            let mut parts = Vec::new();
            if let Some(n) = d.get("nps").and_then(Value::as_i64) {
                parts.push(format!("NPS {n}"));
            }
            if let Some(r) = d.get("rating").and_then(Value::as_i64) {
                parts.push("★".repeat(usize::try_from(r).unwrap_or(0)));
            }
            let review = text(d, "review");
            (
                format!("Feedback: {}", parts.join(" · ")),
                String::new(),
                Some(format!("/feedback/{}", item.id)),
                if review.is_empty() {
                    Vec::new()
                } else {
                    vec![review.chars().take(300).collect()]
                },
                Vec::new(),
            )
        }
        TimelineKind::Loyalty => {
            let points = d.get("points").and_then(Value::as_i64).unwrap_or(0);
            (
                format!(
                    "{points:+} {}: {}",
                    lookup("loyalty.points", lang).unwrap_or_default(),
                    text(d, "reason")
                ),
                text(d, "actor_name"),
                None,
                vec![label(&text(d, "kind"))],
                Vec::new(),
            )
        }
        TimelineKind::Change => {
            let action = text(d, "action");
            let title = lookup(&format!("history.{action}"), lang)
                .or_else(|| lookup("history.other", lang))
                .unwrap_or_default()
                .to_string();
            let changes = change_lines(&action, d.get("before"), d.get("after"), lang, users);
            let import = d.get("import").and_then(|i| {
                Some((
                    i.get("file_name")?.as_str()?.to_string(),
                    i.get("started_at")?.as_str()?.parse().ok()?,
                ))
            });
            let who = changed_by(text(d, "actor_name"), import, lang);
            (title, who, None, Vec::new(), changes)
        }
    };
    let through_import =
        item.kind == TimelineKind::Change && d.get("import").is_some_and(Value::is_object);
    TimelineEntry {
        id: item.id,
        at: item.at,
        kind: item.kind.as_str(),
        title,
        who,
        through_import,
        href,
        lines,
        changes,
    }
}

/// Who made a change: the user, or the import they ran ("Import kunden.csv vom
/// 01.12.2026 (admin)").
fn changed_by(actor: String, import: Option<(String, DateTime<Utc>)>, lang: Lang) -> String {
    match import {
        Some((file, started)) => format!(
            "{} {file} {} {} ({actor})",
            lang.pick("Import", "import"),
            lang.pick("vom", "of"),
            kartei_app::format::date(Some(started.date_naive()), lang)
        ),
        None => actor,
    }
}

fn change_lines(
    action: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    lang: Lang,
    users: &HashMap<Uuid, String>,
) -> Vec<(String, String, String)> {
    let before = before.filter(|v| !v.is_null());
    let after = after.filter(|v| !v.is_null());
    match action {
        "tag" | "untag" => {
            let tag = after
                .or(before)
                .and_then(|v| v.get("tag"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            vec![(field_label("tags", lang), String::new(), tag)]
        }
        "merge" | "unmerge" => {
            let name = after
                .and_then(|v| v.get("merged_name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            vec![(field_label("merged_contact", lang), String::new(), name)]
        }
        _ => diff(before, after, lang, users),
    }
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
            let changes = change_lines(&e.action, e.before.as_ref(), e.after.as_ref(), lang, users);
            TimelineEntry {
                id: e.id,
                at: e.at,
                kind: "change",
                title,
                through_import: e.import.is_some(),
                who: changed_by(
                    e.actor_name,
                    e.import.map(|i| (i.file_name, i.started_at)),
                    lang,
                ),
                href: None,
                lines: Vec::new(),
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
        Some(Value::Bool(b)) => lookup(if *b { "common.yes" } else { "common.no" }, lang)
            .unwrap_or_default()
            .to_string(),
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
