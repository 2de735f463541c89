//! The one filter language: a small JSON AST shared by lists, saved views, exports and
//! the API, checked here against the fields of an entity and compiled to SQL by the store.
//!
//! ```json
//! {"and": [{"field": "city", "op": "eq", "value": "Berlin"},
//!          {"or": [{"op": "has_tag", "value": "VIP"},
//!                  {"not": {"field": "custom.newsletter", "op": "eq", "value": true}}]}]}
//! ```

use crate::custom_field::{index_key, CustomFieldDef, CustomKind};
use crate::fields::{self, FieldKind};
use crate::record::Entity;
use crate::validation::{ErrorCode, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    StartsWith,
    In,
    IsEmpty,
    HasTag,
    /// Contacts that may be addressed on a channel for a purpose: `"email:newsletter"`.
    MayContact,
}

/// A filter as a client writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Filter {
    And {
        and: Vec<Filter>,
    },
    Or {
        or: Vec<Filter>,
    },
    Not {
        not: Box<Filter>,
    },
    Condition {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        op: Op,
        #[serde(default)]
        value: Value,
    },
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Column {
        column: &'static str,
        kind: FieldKind,
    },
    Custom {
        field_id: Uuid,
        kind: CustomKind,
    },
}

/// A typed comparison value. Custom field values are compared as index keys (text).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Uuid(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Compare {
        target: Target,
        cmp: Comparison,
        value: Scalar,
    },
    In {
        target: Target,
        values: Vec<Scalar>,
    },
    Contains {
        target: Target,
        text: String,
    },
    StartsWith {
        target: Target,
        text: String,
    },
    IsEmpty {
        target: Target,
    },
    /// A tag by folded name.
    HasTag {
        name_key: String,
    },
    /// A granted, unexpired consent for the channel and purpose.
    MayContact {
        channel: String,
        purpose: String,
    },
}

/// A filter checked against an entity's fields, ready for the store to compile.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedFilter {
    And(Vec<TypedFilter>),
    Or(Vec<TypedFilter>),
    Not(Box<TypedFilter>),
    Pred(Predicate),
}

/// Bounds the work one request can ask of the database.
const MAX_CONDITIONS: usize = 50;
const MAX_IN_VALUES: usize = 500;

struct Typer<'a> {
    entity: Entity,
    custom_fields: &'a [CustomFieldDef],
    conditions: usize,
}

fn err(path: &str) -> Vec<FieldError> {
    vec![FieldError::new(path, ErrorCode::InvalidFilter)]
}

/// Resolves a field name (`city`, `custom.newsletter`) to its target.
pub fn resolve_field(
    entity: Entity,
    custom_fields: &[CustomFieldDef],
    name: &str,
) -> Option<(Target, bool)> {
    if let Some(key) = name.strip_prefix("custom.") {
        let def = custom_fields
            .iter()
            .find(|d| d.entity == entity && d.key == key)?;
        return Some((
            Target::Custom {
                field_id: def.id,
                kind: def.kind,
            },
            def.kind.sortable(),
        ));
    }
    let spec = fields::find(entity, name)?;
    Some((
        Target::Column {
            column: spec.column,
            kind: spec.kind,
        },
        spec.sortable,
    ))
}

impl Typer<'_> {
    fn filter(&mut self, f: Filter, path: &str) -> Result<TypedFilter, Vec<FieldError>> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(vec![FieldError::new(path, ErrorCode::OutOfRange)]);
        }
        match f {
            Filter::And { and } => Ok(TypedFilter::And(self.list(and, &format!("{path}.and"))?)),
            Filter::Or { or } => Ok(TypedFilter::Or(self.list(or, &format!("{path}.or"))?)),
            Filter::Not { not } => Ok(TypedFilter::Not(Box::new(
                self.filter(*not, &format!("{path}.not"))?,
            ))),
            Filter::Condition { field, op, value } => {
                Ok(TypedFilter::Pred(self.condition(field, op, value, path)?))
            }
        }
    }

    fn list(
        &mut self,
        items: Vec<Filter>,
        path: &str,
    ) -> Result<Vec<TypedFilter>, Vec<FieldError>> {
        items
            .into_iter()
            .enumerate()
            .map(|(i, f)| self.filter(f, &format!("{path}[{i}]")))
            .collect()
    }

    fn condition(
        &self,
        field: Option<String>,
        op: Op,
        value: Value,
        path: &str,
    ) -> Result<Predicate, Vec<FieldError>> {
        if op == Op::HasTag {
            return match value {
                Value::String(name) if !name.trim().is_empty() => Ok(Predicate::HasTag {
                    name_key: crate::text::fold(&name),
                }),
                _ => Err(err(&format!("{path}.value"))),
            };
        }
        if op == Op::MayContact {
            return match value {
                Value::String(target) if self.entity == Entity::Contact => {
                    crate::consent::parse_target(&target)
                        .map(|(channel, purpose)| Predicate::MayContact { channel, purpose })
                        .ok_or_else(|| err(&format!("{path}.value")))
                }
                _ => Err(err(&format!("{path}.value"))),
            };
        }
        let field_path = format!("{path}.field");
        let name = field.ok_or_else(|| vec![FieldError::new(&field_path, ErrorCode::Required)])?;
        let (target, _) = resolve_field(self.entity, self.custom_fields, &name)
            .ok_or_else(|| vec![FieldError::new(&field_path, ErrorCode::UnknownField)])?;
        let value_path = format!("{path}.value");
        let cmp = match op {
            Op::Eq => Some(Comparison::Eq),
            Op::Ne => Some(Comparison::Ne),
            Op::Lt => Some(Comparison::Lt),
            Op::Le => Some(Comparison::Le),
            Op::Gt => Some(Comparison::Gt),
            Op::Ge => Some(Comparison::Ge),
            _ => None,
        };
        let ordered = matches!(
            cmp,
            Some(Comparison::Lt | Comparison::Le | Comparison::Gt | Comparison::Ge)
        );
        let textual = matches!(
            target,
            Target::Column {
                kind: FieldKind::Text | FieldKind::Phone,
                ..
            } | Target::Custom {
                kind: CustomKind::Text,
                ..
            }
        );
        let orderable = !matches!(
            target,
            Target::Column {
                kind: FieldKind::Choice(_) | FieldKind::Reference | FieldKind::Boolean,
                ..
            } | Target::Custom {
                kind: CustomKind::Boolean | CustomKind::SingleChoice | CustomKind::MultiChoice,
                ..
            }
        );
        match op {
            Op::IsEmpty => Ok(Predicate::IsEmpty { target }),
            Op::Contains | Op::StartsWith if textual => {
                let text = match value {
                    Value::String(s) if !s.trim().is_empty() => s,
                    _ => return Err(err(&value_path)),
                };
                let text = match target {
                    Target::Column {
                        kind: FieldKind::Phone,
                        ..
                    } => text
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == '+')
                        .collect(),
                    _ => crate::text::fold(&text),
                };
                Ok(if op == Op::Contains {
                    Predicate::Contains { target, text }
                } else {
                    Predicate::StartsWith { target, text }
                })
            }
            Op::In => {
                let Value::Array(items) = value else {
                    return Err(err(&value_path));
                };
                if items.is_empty() || items.len() > MAX_IN_VALUES {
                    return Err(err(&value_path));
                }
                let values = items
                    .iter()
                    .map(|v| scalar(&target, v).ok_or_else(|| err(&value_path)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Predicate::In { target, values })
            }
            _ => match cmp {
                Some(cmp) if !ordered || orderable => {
                    let value = scalar(&target, &value).ok_or_else(|| err(&value_path))?;
                    Ok(Predicate::Compare { target, cmp, value })
                }
                _ => Err(vec![FieldError::new(
                    format!("{path}.op"),
                    ErrorCode::InvalidFilter,
                )]),
            },
        }
    }
}

/// Converts a JSON filter value to the typed value of `target`, or `None` when it does not fit.
pub fn scalar(target: &Target, value: &Value) -> Option<Scalar> {
    match target {
        Target::Column { kind, .. } => match (kind, value) {
            (FieldKind::Text, Value::String(s)) => Some(Scalar::Text(crate::text::fold(s))),
            (FieldKind::Choice(allowed), Value::String(s)) => allowed
                .contains(&s.as_str())
                .then(|| Scalar::Text(s.clone())),
            (FieldKind::Phone, Value::String(s)) => Some(Scalar::Text(
                crate::phone::to_e164(s, "DE").unwrap_or_else(|_| s.clone()),
            )),
            (FieldKind::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(Scalar::Date),
            (FieldKind::Timestamp, Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                })
                .map(Scalar::Timestamp),
            (FieldKind::Integer, Value::Number(n)) => n.as_i64().map(Scalar::Int),
            (FieldKind::Boolean, Value::Bool(b)) => Some(Scalar::Int(i64::from(*b))),
            (FieldKind::Reference, Value::String(s)) => Uuid::parse_str(s).ok().map(Scalar::Uuid),
            _ => None,
        },
        Target::Custom { kind, .. } => {
            let normalised = match (kind, value) {
                (CustomKind::Date, Value::String(s)) => {
                    Value::String(NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?.to_string())
                }
                (CustomKind::MultiChoice, v) => v.clone(),
                (_, v) => v.clone(),
            };
            let kind = if *kind == CustomKind::MultiChoice {
                CustomKind::SingleChoice
            } else {
                *kind
            };
            index_key(kind, &normalised).map(Scalar::Text)
        }
    }
}

impl TypedFilter {
    /// The consent purposes the filter names (the store checks they exist).
    pub fn consent_purposes(&self) -> Vec<&str> {
        match self {
            TypedFilter::And(items) | TypedFilter::Or(items) => items
                .iter()
                .flat_map(TypedFilter::consent_purposes)
                .collect(),
            TypedFilter::Not(inner) => inner.consent_purposes(),
            TypedFilter::Pred(Predicate::MayContact { purpose, .. }) => vec![purpose.as_str()],
            TypedFilter::Pred(_) => Vec::new(),
        }
    }
}

impl Filter {
    /// Checks the filter against the fields (and custom fields) of `entity`.
    pub fn typed(
        self,
        entity: Entity,
        custom_fields: &[CustomFieldDef],
    ) -> Result<TypedFilter, Vec<FieldError>> {
        Typer {
            entity,
            custom_fields,
            conditions: 0,
        }
        .filter(self, "filter")
    }
}

/// A sort order: a sortable field, ascending or descending. Records without a value
/// come last in both directions.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// The name as the client wrote it, kept in cursors.
    pub field: String,
    pub target: Target,
    pub descending: bool,
}

impl Sort {
    /// Parses `name`, `-name` (descending) or `custom.key`.
    pub fn parse(
        entity: Entity,
        custom_fields: &[CustomFieldDef],
        spec: &str,
    ) -> Result<Sort, Vec<FieldError>> {
        let (descending, name) = match spec.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, spec),
        };
        match resolve_field(entity, custom_fields, name) {
            Some((target, true)) => Ok(Sort {
                field: spec.to_string(),
                target,
                descending,
            }),
            Some(_) => Err(vec![FieldError::new("sort", ErrorCode::InvalidChoice)]),
            None => Err(vec![FieldError::new("sort", ErrorCode::UnknownField)]),
        }
    }

    pub fn by_name() -> Sort {
        Sort {
            field: "name".into(),
            target: Target::Column {
                column: "sort_name",
                kind: FieldKind::Text,
            },
            descending: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(v: Value) -> Result<TypedFilter, Vec<FieldError>> {
        serde_json::from_value::<Filter>(v)
            .unwrap()
            .typed(Entity::Contact, &[])
    }

    #[test]
    fn nested_filters_type_check() {
        let f = typed(json!({"and": [
            {"field": "city", "op": "eq", "value": "München"},
            {"or": [{"op": "has_tag", "value": "VIP"}, {"not": {"field": "birthday", "op": "lt", "value": "1980-01-01"}}]}
        ]}))
        .unwrap();
        let TypedFilter::And(items) = f else {
            panic!("and expected")
        };
        assert_eq!(
            items[0],
            TypedFilter::Pred(Predicate::Compare {
                target: Target::Column {
                    column: "city",
                    kind: FieldKind::Text
                },
                cmp: Comparison::Eq,
                value: Scalar::Text("munchen".into())
            })
        );
    }

    #[test]
    fn bad_filters_name_the_place() {
        let e = typed(json!({"and": [{"field": "nope", "op": "eq", "value": 1}]})).unwrap_err();
        assert_eq!(e[0].field, "filter.and[0].field");
        assert_eq!(e[0].code, ErrorCode::UnknownField);
        let e = typed(json!({"field": "birthday", "op": "eq", "value": "24.12.1980"})).unwrap_err();
        assert_eq!(e[0].field, "filter.value");
        let e =
            typed(json!({"field": "lifecycle_stage", "op": "lt", "value": "lead"})).unwrap_err();
        assert_eq!(e[0].field, "filter.op");
        let e =
            typed(json!({"field": "lifecycle_stage", "op": "eq", "value": "king"})).unwrap_err();
        assert_eq!(e[0].field, "filter.value");
    }

    #[test]
    fn sorts_only_on_sortable_fields() {
        assert!(
            Sort::parse(Entity::Contact, &[], "-created_at")
                .unwrap()
                .descending
        );
        assert!(Sort::parse(Entity::Contact, &[], "gender").is_err());
        assert!(Sort::parse(Entity::Contact, &[], "shoe_size").is_err());
    }
}
