//! Form fields in, record JSON out. Inputs are named by the path the API and its error
//! messages use (`emails[0].address`, `bank.iban`, `custom.newsletter`), so an error
//! from validation lands next to the field it names.

use super::records::{GroupSpec, Input};
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::i18n::Lang;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

/// One step of a field path.
#[derive(Debug, PartialEq)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

pub(crate) fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        steps.push(Step::Key(key));
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let index: usize = r[..end].parse().ok()?;
            // Forms have a handful of rows; a huge index is not a form of ours.
            if index > 100 {
                return None;
            }
            steps.push(Step::Index(index));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(steps)
}

fn insert(target: &mut Value, steps: &[Step<'_>], value: Value) {
    let Some((first, rest)) = steps.split_first() else {
        *target = value;
        return;
    };
    match first {
        Step::Key(k) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(map) = target {
                insert(map.entry(k.to_string()).or_insert(Value::Null), rest, value);
            }
        }
        Step::Index(i) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            if let Value::Array(items) = target {
                while items.len() <= *i {
                    items.push(Value::Null);
                }
                insert(&mut items[*i], rest, value);
            }
        }
    }
}

impl FormData {
    pub fn new(pairs: Vec<(String, String)>) -> FormData {
        FormData { pairs }
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` exactly as sent (passwords keep their spaces).
    pub fn raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The fields whose names start with `prefix`, as (rest of the name, value).
    pub fn prefixed(&self, prefix: &str) -> Vec<(&str, &str)> {
        self.pairs
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.trim())))
            .collect()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The record document the form describes. Blank inputs are absent; rows of
    /// repeated groups without content are dropped; values get the type of their input
    /// (numbers accept a decimal comma, amounts become minor units, percentages basis
    /// points, local date-times UTC). Inputs whose names start with `_` and unknown
    /// paths are not part of the record.
    pub fn record_json(&self, typing: &Typing<'_>) -> Value {
        let mut doc = Value::Object(Map::new());
        let mut multi: Vec<(Vec<String>, Vec<Value>)> = Vec::new();
        for (name, raw) in &self.pairs {
            let text = raw.trim();
            if name.starts_with('_') || text.is_empty() {
                continue;
            }
            let Some(steps) = parse_path(name) else {
                continue;
            };
            let last_key = steps.iter().rev().find_map(|s| match s {
                Step::Key(k) => Some(*k),
                Step::Index(_) => None,
            });
            let value = match (steps.first(), steps.get(1)) {
                (Some(Step::Key("custom")), Some(Step::Key(key))) => {
                    match typing.defs.iter().find(|d| d.key == *key).map(|d| d.kind) {
                        Some(CustomKind::MultiChoice) => {
                            push_multi(&mut multi, vec!["custom".into(), key.to_string()], text);
                            continue;
                        }
                        Some(CustomKind::Number) => number(text),
                        Some(CustomKind::Boolean) => match text {
                            "true" => Value::Bool(true),
                            "false" => Value::Bool(false),
                            other => other.into(),
                        },
                        _ => text.into(),
                    }
                }
                _ => match last_key.and_then(|k| (typing.input)(k)) {
                    Some(Input::Users) => {
                        push_multi(
                            &mut multi,
                            vec![last_key.unwrap_or_default().to_string()],
                            text,
                        );
                        continue;
                    }
                    Some(Input::Integer) => text
                        .parse::<i64>()
                        .map_or_else(|_| text.into(), Value::from),
                    Some(Input::Money | Input::Percent) => hundredths(text, typing.lang),
                    Some(Input::Bool) => Value::Bool(matches!(text, "true" | "on")),
                    Some(Input::Lines) => Value::Array(
                        text.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(Value::from)
                            .collect(),
                    ),
                    Some(Input::DateTime) => {
                        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map_or_else(
                            |_| text.into(),
                            |t| {
                                let utc = t.and_utc()
                                    - chrono::Duration::minutes(i64::from(typing.tz_minutes));
                                Value::String(
                                    utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                                )
                            },
                        )
                    }
                    _ => text.into(),
                },
            };
            insert(&mut doc, &steps, value);
        }
        for (path, values) in multi {
            let steps: Vec<Step<'_>> = path.iter().map(|k| Step::Key(k)).collect();
            insert(&mut doc, &steps, Value::Array(values));
        }
        if let Value::Object(map) = &mut doc {
            // Pickers of a list (`contact_ids[1]` with `[0]` left empty) leave gaps.
            for value in map.values_mut() {
                if let Value::Array(items) = value {
                    items.retain(|v| !v.is_null());
                }
            }
            for group in typing.groups {
                if let Some(Value::Array(rows)) = map.get_mut(group.key) {
                    rows.retain(|r| match r {
                        Value::Object(m) => m.keys().any(|k| !group.filler.contains(&k.as_str())),
                        Value::Null => false,
                        _ => true,
                    });
                }
            }
        }
        doc
    }
}

/// How the values of a form are typed.
pub struct Typing<'a> {
    pub defs: &'a [CustomFieldDef],
    /// The input of a field by its name.
    pub input: &'a (dyn Fn(&str) -> Option<Input> + Sync),
    pub groups: &'a [GroupSpec],
    /// The browser's offset from UTC in minutes.
    pub tz_minutes: i32,
    /// The reader's language, whose decimal separator typed amounts use.
    pub lang: Lang,
}

fn push_multi(multi: &mut Vec<(Vec<String>, Vec<Value>)>, path: Vec<String>, text: &str) {
    match multi.iter_mut().find(|(p, _)| *p == path) {
        Some((_, values)) => values.push(text.into()),
        None => multi.push((path, vec![text.into()])),
    }
}

/// An amount or a rate typed by a person, in hundredths, as an integer, with the
/// decimal separator of the reader's language: `1.234,56` → 123456 in German. What does
/// not read as one stays text, for validation to name.
fn hundredths(text: &str, lang: Lang) -> Value {
    kartei_core::decimal::parse_scaled(text, kartei_app::format::decimal_mark(lang), 2)
        .map_or_else(|| text.into(), Value::from)
}

/// A number typed by a person: `1.234,5` or `1,234.5` or `12,5`.
fn number(text: &str) -> Value {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let normalised = match (cleaned.rfind(','), cleaned.rfind('.')) {
        (Some(c), Some(d)) if c > d => cleaned.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => cleaned.replace(',', ""),
        (Some(_), None) => cleaned.replace(',', "."),
        _ => cleaned,
    };
    normalised
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| text.into(), Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn form(pairs: &[(&str, &str)]) -> FormData {
        FormData::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn def(key: &str, kind: CustomKind) -> CustomFieldDef {
        CustomFieldDef {
            id: Uuid::nil(),
            version: 1,
            entity: kartei_core::record::Entity::Contact,
            key: key.into(),
            label_de: key.into(),
            label_en: key.into(),
            kind,
            options: Vec::new(),
        }
    }

    #[test]
    fn a_form_becomes_the_record_document() {
        let f = form(&[
            ("_csrf", "x"),
            ("first_name", " Anna "),
            ("last_name", ""),
            ("emails[0].kind", "work"),
            ("emails[0].address", "anna@example.de"),
            ("emails[1].kind", "private"),
            ("emails[1].address", " "),
            ("addresses[0].kind", "work"),
            ("addresses[0].country", "DE"),
            ("bank.iban", "DE89 3704 0044 0532 0130 00"),
            ("custom.score", "1.234,5"),
            ("custom.vip", "true"),
            ("custom.topics", "a"),
            ("custom.topics", "b"),
            ("team_size", "12"),
            ("evil[999999999].x", "1"),
        ]);
        let defs = [
            def("score", CustomKind::Number),
            def("vip", CustomKind::Boolean),
            def("topics", CustomKind::MultiChoice),
        ];
        assert_eq!(
            f.record_json(&Typing {
                defs: &defs,
                input: &|k| match k {
                    "team_size" => Some(Input::Integer),
                    other => <kartei_core::contact::ContactData as crate::web::records::WebRecord>::input_of(other),
                },
                groups: crate::web::records::CHANNEL_GROUPS,
                tz_minutes: 60,
                lang: Lang::De,
            }),
            json!({
                "first_name": "Anna",
                "emails": [{"kind": "work", "address": "anna@example.de"}],
                "addresses": [],
                "bank": {"iban": "DE89 3704 0044 0532 0130 00"},
                "custom": {"score": 1234.5, "vip": true, "topics": ["a", "b"]},
                "team_size": 12
            })
        );
    }

    #[test]
    fn amounts_percentages_and_local_times_are_typed() {
        let f = form(&[
            ("lines[0].unit_price_minor", "12,90"),
            ("lines[0].vat_rate_bp", "7,5"),
            ("lines[0].quantity", "3"),
            ("lines[1].vat_rate_bp", ""),
            ("due_at", "2026-11-24T09:30"),
            ("attendee_user_ids", "a"),
            ("attendee_user_ids", "b"),
            ("contact_ids[1]", "c"),
        ]);
        let input = |k: &str| match k {
            "unit_price_minor" => Some(Input::Money),
            "vat_rate_bp" => Some(Input::Percent),
            "quantity" => Some(Input::Integer),
            "due_at" => Some(Input::DateTime),
            "attendee_user_ids" => Some(Input::Users),
            _ => None,
        };
        let groups = [GroupSpec {
            key: "lines",
            add_key: "",
            fields: &[],
            filler: &[],
        }];
        let doc = f.record_json(&Typing {
            defs: &[],
            input: &input,
            groups: &groups,
            tz_minutes: 60,
            lang: Lang::De,
        });
        assert_eq!(
            doc,
            json!({
                "lines": [{"unit_price_minor": 1290, "vat_rate_bp": 750, "quantity": 3}],
                "due_at": "2026-11-24T08:30:00Z",
                "attendee_user_ids": ["a", "b"],
                "contact_ids": ["c"]
            })
        );
    }

    #[test]
    fn amounts_are_read_as_integers_in_the_readers_notation() {
        let f = form(&[("price_minor", "1.234,56"), ("discount_bp", "12,5")]);
        let input = |k: &str| match k {
            "price_minor" => Some(Input::Money),
            "discount_bp" => Some(Input::Percent),
            _ => None,
        };
        let read = |lang| {
            f.record_json(&Typing {
                defs: &[],
                input: &input,
                groups: &[],
                tz_minutes: 0,
                lang,
            })
        };
        assert_eq!(
            read(Lang::De),
            json!({"price_minor": 123456, "discount_bp": 1250})
        );
        // In English the comma groups thousands: "1.234,56" is not an amount, and stays
        // text for validation to refuse; "12,5" has no group of three either.
        assert_eq!(
            read(Lang::En),
            json!({"price_minor": "1.234,56", "discount_bp": 1250})
        );
        let f = form(&[("price_minor", "12.345.678.901.234,57")]);
        let big = f.record_json(&Typing {
            defs: &[],
            input: &input,
            groups: &[],
            tz_minutes: 0,
            lang: Lang::De,
        });
        // Exact to the cent, where a float would not be.
        assert_eq!(big, json!({"price_minor": 1_234_567_890_123_457i64}));
    }

    #[test]
    fn numbers_in_both_notations() {
        assert_eq!(number("12,5"), json!(12.5));
        assert_eq!(number("1,234.5"), json!(1234.5));
        assert_eq!(number("zwölf"), json!("zwölf"));
    }
}
