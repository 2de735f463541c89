//! Form fields in, record JSON out. Inputs are named by the path the API and its error
//! messages use (`emails[0].address`, `bank.iban`, `custom.newsletter`), so an error
//! from validation lands next to the field it names.

use kartei_core::custom_field::{CustomFieldDef, CustomKind};
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

/// The entry of a repeated group that makes a row worth keeping.
fn row_is_empty(group: &str, row: &Value) -> bool {
    let Value::Object(map) = row else {
        return true;
    };
    match group {
        "emails" => !map.contains_key("address"),
        "phones" => !map.contains_key("number"),
        _ => map.keys().all(|k| k == "kind" || k == "country"),
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

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The record document the form describes. Blank inputs are absent; rows of
    /// e-mails, phones and addresses without content are dropped; custom values get
    /// their type (numbers accept a decimal comma). Inputs whose names start with `_`
    /// and unknown paths are not part of the record.
    pub fn record_json(&self, defs: &[CustomFieldDef]) -> Value {
        let mut doc = Value::Object(Map::new());
        let mut multi: Vec<(String, Vec<Value>)> = Vec::new();
        for (name, raw) in &self.pairs {
            let text = raw.trim();
            if name.starts_with('_') || text.is_empty() {
                continue;
            }
            let Some(steps) = parse_path(name) else {
                continue;
            };
            let value = match (steps.first(), steps.get(1)) {
                (Some(Step::Key("custom")), Some(Step::Key(key))) => {
                    match defs.iter().find(|d| d.key == *key).map(|d| d.kind) {
                        Some(CustomKind::MultiChoice) => {
                            match multi.iter_mut().find(|(k, _)| k == key) {
                                Some((_, values)) => values.push(text.into()),
                                None => multi.push((key.to_string(), vec![text.into()])),
                            }
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
                (Some(Step::Key("team_size")), None) => text
                    .parse::<i64>()
                    .map_or_else(|_| text.into(), Value::from),
                _ => text.into(),
            };
            insert(&mut doc, &steps, value);
        }
        for (key, values) in multi {
            insert(
                &mut doc,
                &[Step::Key("custom"), Step::Key(&key)],
                Value::Array(values),
            );
        }
        if let Value::Object(map) = &mut doc {
            for group in ["emails", "phones", "addresses"] {
                if let Some(Value::Array(rows)) = map.get_mut(group) {
                    rows.retain(|r| !row_is_empty(group, r));
                }
            }
        }
        doc
    }
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
            f.record_json(&defs),
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
    fn numbers_in_both_notations() {
        assert_eq!(number("12,5"), json!(12.5));
        assert_eq!(number("1,234.5"), json!(1234.5));
        assert_eq!(number("zwölf"), json!("zwölf"));
    }
}
