//! A field's value as the form shows it: from the typed document, the newer version
//! of a stale edit, amounts and times in the reader's locale.

use super::*;
use crate::web::form::{parse_path, Step};
use crate::web::records::Input;
use kartei_app::texts::{option_label, Tr};
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::i18n::Lang;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub(super) struct Sources<'a> {
    pub(super) lang: Lang,
    pub(super) mine: &'a Value,
    pub(super) errors: &'a HashMap<String, String>,
    pub(super) theirs: Option<&'a Value>,
    /// The browser's offset from UTC in minutes, for date-times.
    pub(super) tz_minutes: i32,
}

pub(super) fn at<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = doc;
    for step in parse_path(path)? {
        v = match step {
            Step::Key(k) => v.get(k)?,
            Step::Index(i) => v.get(i)?,
        };
    }
    Some(v)
}

pub(super) fn as_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| as_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

pub(super) struct Lookups {
    pub(super) users: HashMap<Uuid, String>,
    /// Names of linked records (organisations, contacts, deals, products).
    pub(super) names: HashMap<Uuid, String>,
    /// All categories, for category selects.
    pub(super) categories: Vec<(Uuid, String)>,
    /// Every stage as (id, "Pipeline › Stage").
    pub(super) stages: Vec<(Uuid, String)>,
    pub(super) defs: Vec<CustomFieldDef>,
}

/// A minor-unit amount as it is typed in the reader's language: `1234,50` for 123450.
pub(super) fn amount(minor: &Value, lang: Lang) -> String {
    match minor.as_i64() {
        Some(m) => {
            let sign = if m < 0 { "-" } else { "" };
            let decimal = kartei_app::format::decimal_mark(lang);
            format!("{sign}{}{decimal}{:02}", (m / 100).abs(), (m % 100).abs())
        }
        None => as_text(Some(minor)),
    }
}

/// Basis points as a percentage is typed in the reader's language: `7,5` for 750.
pub(super) fn percent(bp: &Value, lang: Lang) -> String {
    match bp.as_i64() {
        Some(b) => {
            kartei_core::decimal::format_scaled(b, 2, kartei_app::format::decimal_mark(lang))
        }
        None => as_text(Some(bp)),
    }
}

/// A stored UTC time as a `datetime-local` value in the browser's zone.
pub(super) fn local_time(v: &Value, tz_minutes: i32) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::minutes(i64::from(tz_minutes)))
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

impl Sources<'_> {
    /// One input of any kind, at `path`, with its value, error and the other version.
    pub(super) fn input(
        &self,
        path: &str,
        label: String,
        input: Input,
        lookups: &Lookups,
    ) -> Field {
        let tr = Tr(self.lang);
        let shown = |doc: &Value| -> String {
            let v = at(doc, path).unwrap_or(&Value::Null);
            match input {
                Input::Money if !v.is_null() => amount(v, self.lang),
                Input::Percent if !v.is_null() => percent(v, self.lang),
                Input::DateTime => local_time(v, self.tz_minutes),
                Input::Owner => v
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .and_then(|id| lookups.users.get(&id).cloned())
                    .unwrap_or_else(|| as_text(Some(v))),
                Input::Pick(_) | Input::Select(_) | Input::Stage => v
                    .as_str()
                    .and_then(|s| s.parse::<Uuid>().ok())
                    .and_then(|id| {
                        lookups.names.get(&id).cloned().or_else(|| {
                            lookups
                                .categories
                                .iter()
                                .chain(&lookups.stages)
                                .find(|c| c.0 == id)
                                .map(|c| c.1.clone())
                        })
                    })
                    .unwrap_or_else(|| as_text(Some(v))),
                Input::Bool => {
                    if v.as_bool() == Some(true) {
                        tr.t("common.yes").into()
                    } else {
                        String::new()
                    }
                }
                Input::Choice(_) => v
                    .as_str()
                    .map(|c| option_label(c, self.lang).to_string())
                    .unwrap_or_default(),
                _ => as_text(Some(v)),
            }
        };
        let kind = match input {
            Input::Text => "text",
            Input::Textarea | Input::Lines => "textarea",
            Input::Date => "date",
            Input::DateTime => "datetime",
            Input::Integer => "number",
            Input::Money | Input::Percent => "decimal",
            Input::Bool => "checkbox",
            Input::Choice(_) | Input::Owner | Input::Select(_) | Input::Stage => "select",
            Input::Users => "checks",
            Input::Pick(_) => "pick",
            Input::Hidden => "hidden",
        };
        let raw = at(self.mine, path).unwrap_or(&Value::Null);
        let value = match input {
            Input::Money if !raw.is_null() => amount(raw, self.lang),
            Input::Percent if !raw.is_null() => percent(raw, self.lang),
            Input::DateTime => local_time(raw, self.tz_minutes),
            Input::Lines => raw
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            Input::Bool => {
                if raw.as_bool() == Some(true) {
                    "true".into()
                } else {
                    String::new()
                }
            }
            _ => as_text(Some(raw)),
        };
        let theirs = self.theirs.map(&shown).filter(|t| *t != shown(self.mine));
        let chosen = |key: &str| match raw {
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(key)),
            other => other.as_str() == Some(key),
        };
        let options: Vec<(String, String, bool)> = match input {
            Input::Choice(codes) => codes
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        option_label(c, self.lang).to_string(),
                        chosen(c),
                    )
                })
                .collect(),
            Input::Owner | Input::Users => {
                let mut users: Vec<(&Uuid, &String)> = lookups.users.iter().collect();
                users.sort_by(|a, b| a.1.cmp(b.1));
                users
                    .into_iter()
                    .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                    .collect()
            }
            Input::Select(_) => lookups
                .categories
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                .collect(),
            Input::Stage => lookups
                .stages
                .iter()
                .map(|(id, n)| (id.to_string(), n.clone(), chosen(&id.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        Field {
            id: format!("f-{}", path.replace(['[', ']', '.'], "-")),
            name: path.to_string(),
            label,
            input: kind,
            display: match input {
                Input::Pick(_) => raw
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .and_then(|id| lookups.names.get(&id).cloned())
                    .unwrap_or_default(),
                _ => String::new(),
            },
            source: match input {
                Input::Pick(e) => format!("{}/options", crate::web::records::page_path(e)),
                _ => String::new(),
            },
            value,
            options,
            error: self.errors.get(path).cloned(),
            theirs,
            required: false,
        }
    }
}
