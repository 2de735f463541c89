//! The timeline of a record: everything that happened to it, newest first, in one
//! stream. For contacts and organisations the store merges every kind (activities,
//! deals, orders, tickets, feedback, loyalty points, changes) by time; other records
//! show their changes. Here each kind of entry is put into words; a new kind adds a
//! line in [`KINDS`] and a branch in [`describe`].

use super::error::WebError;
use crate::AppState;
use chrono::{DateTime, Utc};
use kartei_app::texts::{consent_word, field_label, lookup, option_label, purpose_name};
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
    ("consent", "timeline.consent"),
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
    reader: (Lang, i32),
    kind: Option<&str>,
    before: Option<&str>,
) -> Result<(Vec<TimelineEntry>, Option<String>), WebError> {
    let (lang, tz_minutes) = reader;
    if !has_timeline(entity) {
        let before: Option<Uuid> = before.and_then(|b| b.parse().ok());
        let history = state.store.history(id, before, TIMELINE_PAGE).await?;
        let values = history
            .iter()
            .flat_map(|e| [e.before.as_ref(), e.after.as_ref()]);
        let words = Words::load(state, lang, tz_minutes, values).await?;
        let entries: Vec<TimelineEntry> = history
            .into_iter()
            .map(|e| audit_entry(e, &words))
            .collect();
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
    let values = page
        .items
        .iter()
        .filter(|i| i.kind == TimelineKind::Change)
        .flat_map(|i| [i.data.get("before"), i.data.get("after")]);
    let words = Words::load(state, lang, tz_minutes, values).await?;
    let entries = page
        .items
        .into_iter()
        .map(|item| describe(item, &words))
        .collect();
    Ok((entries, page.next_cursor))
}

/// Whether a kind's page merges other records into its timeline (contacts and
/// organisations everything about them, deals their activities); other kinds show
/// their changes.
pub fn has_timeline(entity: Entity) -> bool {
    entity.is_party() || entity == Entity::Deal
}

/// What stored values are put into words with: the reader's language and time zone,
/// and the names of the users, records and stages the values point to.
pub struct Words {
    lang: Lang,
    tz_minutes: i32,
    names: HashMap<Uuid, String>,
    purposes: Vec<kartei_core::consent::Purpose>,
}

impl Words {
    /// Looks up the names of every id among `values` (versions of records).
    async fn load<'a>(
        state: &AppState,
        lang: Lang,
        tz_minutes: i32,
        values: impl Iterator<Item = Option<&'a Value>>,
    ) -> Result<Words, WebError> {
        let mut ids = Vec::new();
        let mut stages = false;
        for v in values.flatten() {
            collect_ids(v, &mut ids, &mut stages);
        }
        ids.sort_unstable();
        ids.dedup();
        let mut names = state.store.names_of(&ids).await?;
        if stages {
            names.extend(kartei_app::names::stage_names(&state.store).await?);
        }
        names.extend(kartei_app::export::user_names(&state.store).await?);
        Ok(Words {
            lang,
            tz_minutes,
            names,
            purposes: state.store.consent_purposes().await?,
        })
    }
}

/// Whether a field holds ids of other things (`contact_id`, `attendee_user_ids`,
/// `review_of` …).
fn holds_ids(key: &str) -> bool {
    key.ends_with("_id") || key.ends_with("_ids") || key == "review_of"
}

fn collect_ids(v: &Value, ids: &mut Vec<Uuid>, stages: &mut bool) {
    let Some(fields) = v.as_object() else {
        return;
    };
    for (key, value) in fields {
        if holds_ids(key) {
            *stages |= key == "stage_id";
            let items = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            ids.extend(
                items
                    .into_iter()
                    .filter_map(|i| i.as_str()?.parse::<Uuid>().ok()),
            );
        }
        // Nested records (a pipeline's stages, an order's lines) point to things too.
        if let Value::Array(items) = value {
            for item in items {
                collect_ids(item, ids, stages);
            }
        }
    }
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
fn describe(item: TimelineItem, words: &Words) -> TimelineEntry {
    let lang = words.lang;
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
            // A note without a subject is named by the start of its text.
            let subject = if subject.trim().is_empty() {
                excerpt(&body, 80)
            } else {
                subject
            };
            if !body.is_empty() && body.trim() != subject.trim_end_matches('…') {
                lines.push(excerpt(&body, 300));
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
        TimelineKind::Consent => {
            let purpose = text(d, "purpose");
            let purpose = words
                .purposes
                .iter()
                .find(|p| p.key == purpose)
                .map_or(purpose, |p| purpose_name(p, lang).to_string());
            let word = |group: &str, key: &str| consent_word(group, &text(d, key), lang);
            (
                format!(
                    "{}: {purpose} ({}) – {}",
                    lookup("consent.title", lang).unwrap_or_default(),
                    word("channel", "channel"),
                    word("status", "status"),
                ),
                text(d, "recorded_by_name"),
                None,
                vec![[word("basis", "basis"), word("source", "source")].join(" · ")],
                Vec::new(),
            )
        }
        TimelineKind::Change => {
            let action = text(d, "action");
            let title = lookup(&format!("history.{action}"), lang)
                .or_else(|| lookup("history.other", lang))
                .unwrap_or_default()
                .to_string();
            let changes = change_lines(&action, d.get("before"), d.get("after"), words);
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
    words: &Words,
) -> Vec<(String, String, String)> {
    let lang = words.lang;
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
        _ => diff(before, after, words),
    }
}

fn audit_entry(e: kartei_store::audit::AuditEntry, words: &Words) -> TimelineEntry {
    let lang = words.lang;
    let title = lookup(&format!("history.{}", e.action), lang)
        .or_else(|| lookup("history.other", lang))
        .unwrap_or_default()
        .to_string();
    let changes = change_lines(&e.action, e.before.as_ref(), e.after.as_ref(), words);
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
}

/// The first `max` characters of a text, with an ellipsis when it goes on.
fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max).collect();
    short.push('…');
    short
}

/// The fields that differ between two versions, in words.
fn diff(
    before: Option<&Value>,
    after: Option<&Value>,
    words: &Words,
) -> Vec<(String, String, String)> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let currency = a
        .get("currency")
        .or_else(|| b.get("currency"))
        .and_then(Value::as_str)
        .unwrap_or("EUR");
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .filter_map(|k| {
            let show = |v: Option<&Value>| words.value(k, v, currency);
            let (old, new) = (show(b.get(k)), show(a.get(k)));
            (old != new).then(|| (field_label(k, words.lang), old, new))
        })
        .collect()
}

impl Words {
    /// A stored value as a reader understands it: names for ids, dates and times in
    /// the reader's notation, money with its currency, labels for codes.
    fn value(&self, key: &str, v: Option<&Value>, currency: &str) -> String {
        let lang = self.lang;
        match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if holds_ids(key) => s
                .parse::<Uuid>()
                .ok()
                .and_then(|id| self.names.get(&id).cloned())
                .unwrap_or_else(|| s.clone()),
            Some(Value::String(s)) => {
                if let Ok(t) = s.parse::<DateTime<Utc>>() {
                    kartei_app::format::local_timestamp(t, self.tz_minutes, lang)
                } else if let Ok(d) = s.parse::<chrono::NaiveDate>() {
                    kartei_app::format::date(Some(d), lang)
                } else {
                    option_label(s, lang).to_string()
                }
            }
            Some(Value::Number(n)) if key.ends_with("_minor") => n.as_i64().map_or_else(
                || n.to_string(),
                |m| kartei_app::format::money(m, currency, lang),
            ),
            Some(Value::Bool(b)) => lookup(if *b { "common.yes" } else { "common.no" }, lang)
                .unwrap_or_default()
                .to_string(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::Object(m) => m
                        .iter()
                        .filter(|(k, _)| *k != "kind" && *k != "id")
                        .map(|(k, v)| self.value(k, Some(v), currency))
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => self.value(key, Some(other), currency),
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
                        self.value(k, Some(v), currency)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(lang: Lang) -> Words {
        let contact: Uuid = "0190a1b2-0000-7000-8000-000000000001".parse().unwrap();
        let stage: Uuid = "0190a1b2-0000-7000-8000-000000000002".parse().unwrap();
        Words {
            lang,
            tz_minutes: 60,
            names: HashMap::from([
                (contact, "Erika Mustermann".to_string()),
                (stage, "Vertrieb › Verhandlung".to_string()),
            ]),
            purposes: Vec::new(),
        }
    }

    #[test]
    fn changes_read_as_names_local_times_and_money() {
        let before = json!({"contact_id": null, "stage_id": "unknown", "starts_at": "2026-12-01T19:07:00Z",
                            "value_minor": 100_000, "due_date": "2026-12-24"});
        let after = json!({"contact_id": "0190a1b2-0000-7000-8000-000000000001",
                           "stage_id": "0190a1b2-0000-7000-8000-000000000002",
                           "starts_at": "2026-12-01T20:07:00Z", "value_minor": 250_050, "due_date": "2026-12-31"});
        let lines = diff(Some(&before), Some(&after), &words(Lang::De));
        let line = |field: &str| {
            lines.iter().find(|l| l.0 == field).map_or_else(
                || panic!("no {field} in {lines:?}"),
                |l| (l.1.as_str(), l.2.as_str()),
            )
        };
        assert_eq!(line("Kontakt"), ("", "Erika Mustermann"));
        assert_eq!(line("Phase").1, "Vertrieb › Verhandlung");
        assert_eq!(line("Beginn"), ("01.12.2026, 20:07", "01.12.2026, 21:07"));
        assert_eq!(line("Fällig am"), ("24.12.2026", "31.12.2026"));
        assert!(line("Wert").1.starts_with("2.500,50"), "{lines:?}");
        let en = diff(Some(&before), Some(&after), &words(Lang::En));
        assert!(en.iter().any(|l| l.2 == "2026-12-01 21:07"), "{en:?}");
    }

    #[test]
    fn a_note_without_subject_is_named_by_its_text() {
        let item = TimelineItem {
            id: Uuid::now_v7(),
            at: Utc::now(),
            kind: TimelineKind::Activity,
            data: json!({"kind": "note", "body": "Ruft nach dem Urlaub zurück."}),
        };
        let entry = describe(item, &words(Lang::De));
        assert_eq!(entry.title, "Notiz: Ruft nach dem Urlaub zurück.");
        assert!(entry.lines.is_empty(), "{:?}", entry.lines);
    }
}
