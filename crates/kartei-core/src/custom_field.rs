//! Custom fields: definitions per entity type, and the checking and indexing of values.

use crate::record::Entity;
use crate::validation::{Checker, ErrorCode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomKind {
    Text,
    Number,
    Date,
    Boolean,
    SingleChoice,
    MultiChoice,
}

impl CustomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomKind::Text => "text",
            CustomKind::Number => "number",
            CustomKind::Date => "date",
            CustomKind::Boolean => "boolean",
            CustomKind::SingleChoice => "single_choice",
            CustomKind::MultiChoice => "multi_choice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Text,
            Self::Number,
            Self::Date,
            Self::Boolean,
            Self::SingleChoice,
            Self::MultiChoice,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Multi-choice values are sets; they filter but do not sort.
    pub fn sortable(self) -> bool {
        self != CustomKind::MultiChoice
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable key stored in records.
    pub key: String,
    pub label_de: String,
    pub label_en: String,
}

/// What a client sends to define or change a custom field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldInput {
    /// `contact` or `organization`.
    #[schema(schema_with = party_entity)]
    pub entity: Entity,
    /// Stable key used in records and filters (`custom.<key>`): lower case, digits, `_`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub key: String,
    #[schema(pattern = r"\S", max_length = 100)]
    pub label_de: String,
    #[schema(pattern = r"\S", max_length = 100)]
    pub label_en: String,
    pub kind: CustomKind,
    #[serde(default)]
    pub options: Vec<ChoiceOption>,
}

/// A stored custom field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomFieldDef {
    pub id: Uuid,
    pub version: i64,
    pub entity: Entity,
    pub key: String,
    pub label_de: String,
    pub label_en: String,
    pub kind: CustomKind,
    pub options: Vec<ChoiceOption>,
}

/// The kinds that carry custom fields, as the input schema names them.
fn party_entity() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(
            Entity::ALL
                .iter()
                .filter(|e| e.is_party())
                .map(|e| e.as_str()),
        ))
        .build()
}

fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 40
}

impl CustomFieldInput {
    pub fn normalise(self) -> Result<Self, Vec<crate::validation::FieldError>> {
        let mut check = Checker::default();
        if !self.entity.is_party() {
            check.fail("entity", ErrorCode::InvalidChoice);
        }
        if !is_key(&self.key) {
            check.fail("key", ErrorCode::InvalidKey);
        }
        let label_de = check.text("label_de", Some(self.label_de), 100);
        let label_en = check.text("label_en", Some(self.label_en), 100);
        if label_de.is_none() {
            check.fail("label_de", ErrorCode::Required);
        }
        if label_en.is_none() {
            check.fail("label_en", ErrorCode::Required);
        }
        let is_choice = matches!(
            self.kind,
            CustomKind::SingleChoice | CustomKind::MultiChoice
        );
        if is_choice && self.options.is_empty() {
            check.fail("options", ErrorCode::Required);
        }
        if !is_choice && !self.options.is_empty() {
            check.fail("options", ErrorCode::InvalidType);
        }
        let mut options = Vec::with_capacity(self.options.len());
        for (i, o) in self.options.into_iter().enumerate() {
            if !is_key(&o.key) || options.iter().any(|p: &ChoiceOption| p.key == o.key) {
                check.fail(format!("options[{i}].key"), ErrorCode::InvalidKey);
            }
            let label_de = check.text(&format!("options[{i}].label_de"), Some(o.label_de), 100);
            let label_en = check.text(&format!("options[{i}].label_en"), Some(o.label_en), 100);
            options.push(ChoiceOption {
                key: o.key,
                label_de: label_de.unwrap_or_default(),
                label_en: label_en.unwrap_or_default(),
            });
        }
        check.finish(Self {
            entity: self.entity,
            key: self.key,
            label_de: label_de.unwrap_or_default(),
            label_en: label_en.unwrap_or_default(),
            kind: self.kind,
            options,
        })
    }
}

impl CustomFieldDef {
    fn has_option(&self, key: &str) -> bool {
        self.options.iter().any(|o| o.key == key)
    }

    /// Checks a record's value for this field and returns it normalised; `Value::Null` clears.
    pub fn normalise_value(&self, value: Value) -> Result<Value, ErrorCode> {
        match (self.kind, value) {
            (_, Value::Null) => Ok(Value::Null),
            (CustomKind::Text, Value::String(s)) => {
                let s = s.trim().to_string();
                if s.chars().count() > 2000 {
                    Err(ErrorCode::TooLong)
                } else if s.is_empty() {
                    Ok(Value::Null)
                } else {
                    Ok(Value::String(s))
                }
            }
            (CustomKind::Number, Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => {
                Ok(Value::Number(n))
            }
            (CustomKind::Date, Value::String(s)) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| ErrorCode::InvalidDate),
            (CustomKind::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
            (CustomKind::SingleChoice, Value::String(s)) if self.has_option(&s) => {
                Ok(Value::String(s))
            }
            (CustomKind::SingleChoice, Value::String(_)) => Err(ErrorCode::InvalidChoice),
            (CustomKind::MultiChoice, Value::Array(items)) => {
                let mut keys: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) if self.has_option(&s) => {
                            if !keys.contains(&s) {
                                keys.push(s);
                            }
                        }
                        Value::String(_) => return Err(ErrorCode::InvalidChoice),
                        _ => return Err(ErrorCode::InvalidType),
                    }
                }
                Ok(if keys.is_empty() {
                    Value::Null
                } else {
                    Value::from(keys)
                })
            }
            _ => Err(ErrorCode::InvalidType),
        }
    }

    /// The sortable strings stored in the value index for a normalised value: one per
    /// chosen option for multi-choice, else one (see [`index_key`]).
    pub fn index_keys(&self, value: &Value) -> Vec<String> {
        match value {
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Value::Null => Vec::new(),
            v => index_key(self.kind, v).into_iter().collect(),
        }
    }
}

/// Encodes a value so that byte order is value order on both databases: folded text,
/// ISO dates, `0`/`1` for booleans, and for numbers the order-preserving bit pattern of
/// the `f64` in hex.
pub fn index_key(kind: CustomKind, value: &Value) -> Option<String> {
    match (kind, value) {
        (CustomKind::Text, Value::String(s)) => Some(crate::text::fold(s)),
        (CustomKind::Number, Value::Number(n)) => n.as_f64().map(number_key),
        (
            CustomKind::Date | CustomKind::SingleChoice | CustomKind::MultiChoice,
            Value::String(s),
        ) => Some(s.clone()),
        (CustomKind::Boolean, Value::Bool(b)) => Some(if *b { "1" } else { "0" }.into()),
        _ => None,
    }
}

pub fn number_key(n: f64) -> String {
    let n = if n == 0.0 { 0.0 } else { n };
    let bits = n.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    format!("{ordered:016x}")
}

/// Checks all custom values of a record against the definitions for its entity type.
pub fn normalise_custom(
    check: &mut Checker,
    entity: Entity,
    values: std::collections::BTreeMap<String, Value>,
    defs: &[CustomFieldDef],
) -> std::collections::BTreeMap<String, Value> {
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in values {
        let field = format!("custom.{key}");
        match defs.iter().find(|d| d.entity == entity && d.key == key) {
            None => check.fail(field, ErrorCode::UnknownField),
            Some(def) => match def.normalise_value(value) {
                Ok(Value::Null) => {}
                Ok(v) => {
                    out.insert(key, v);
                }
                Err(code) => check.fail(field, code),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_keys_sort_like_numbers() {
        let mut values = vec![3.5, -2.0, 0.0, 100.0, -100.5, 1e-9, -1e-9];
        let mut keys: Vec<(String, f64)> = values.iter().map(|v| (number_key(*v), *v)).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        values.sort_by(f64::total_cmp);
        assert_eq!(keys.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), values);
    }

    #[test]
    fn choice_values_are_checked() {
        let def = CustomFieldDef {
            id: Uuid::nil(),
            version: 1,
            entity: Entity::Contact,
            key: "interests".into(),
            label_de: "Interessen".into(),
            label_en: "Interests".into(),
            kind: CustomKind::MultiChoice,
            options: vec![ChoiceOption {
                key: "wine".into(),
                label_de: "Wein".into(),
                label_en: "Wine".into(),
            }],
        };
        assert_eq!(
            def.normalise_value(serde_json::json!(["wine", "wine"]))
                .unwrap(),
            serde_json::json!(["wine"])
        );
        assert_eq!(
            def.normalise_value(serde_json::json!(["beer"])),
            Err(ErrorCode::InvalidChoice)
        );
        assert_eq!(
            def.normalise_value(serde_json::json!("wine")),
            Err(ErrorCode::InvalidType)
        );
    }
}
