//! Reading client JSON into typed input with field-level errors.

use crate::validation::{ErrorCode, FieldError};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Deserialises `value`, naming the failing field (`emails[0].address`) and whether it
/// was unknown or of the wrong type. A number with nothing after the point (`5.0`) is
/// the integer it equals, as JSON Schema counts it.
pub fn from_json<T: DeserializeOwned>(mut value: Value) -> Result<T, Vec<FieldError>> {
    whole_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        let mut field = e.path().to_string();
        let code = if let Some(rest) = message.strip_prefix("unknown field `") {
            field = join(&field, rest.split('`').next().unwrap_or(""));
            ErrorCode::UnknownField
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            field = join(&field, rest.split('`').next().unwrap_or(""));
            ErrorCode::Required
        } else if message.contains("premature end of input")
            || message.contains("input contains invalid characters")
        {
            ErrorCode::InvalidDate
        } else {
            ErrorCode::InvalidType
        };
        vec![FieldError::new(field.trim_start_matches('.'), code)]
    })
}

fn whole_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            // Beyond 2^53 a float no longer names one integer; it stays a float and
            // an integer field refuses it.
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9.0e15) {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Appends `key` to `path` unless serde already put it there (it does for unknown
/// fields, not for missing ones).
fn join(path: &str, key: &str) -> String {
    if path == "." || path.is_empty() {
        key.to_string()
    } else if path == key || path.ends_with(&format!(".{key}")) {
        path.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::ContactData;
    use serde_json::json;

    #[test]
    fn a_whole_number_written_with_a_point_is_an_integer() {
        let c = from_json::<ContactData>(json!({"last_name": "A", "lead_score": 40.0})).unwrap();
        assert_eq!(c.lead_score, Some(40));
        let e =
            from_json::<ContactData>(json!({"last_name": "A", "lead_score": 40.5})).unwrap_err();
        assert_eq!(e[0], FieldError::new("lead_score", ErrorCode::InvalidType));
        let e =
            from_json::<ContactData>(json!({"last_name": "A", "lead_score": 1e300})).unwrap_err();
        assert_eq!(e[0], FieldError::new("lead_score", ErrorCode::InvalidType));
    }

    #[test]
    fn errors_name_the_field() {
        let e = from_json::<ContactData>(json!({"first_name": "A", "shoe": 42})).unwrap_err();
        assert_eq!(e[0], FieldError::new("shoe", ErrorCode::UnknownField));
        let e = from_json::<ContactData>(json!({"emails": [{"address": 5}]})).unwrap_err();
        assert_eq!(e[0].field, "emails[0].address");
        assert_eq!(e[0].code, ErrorCode::InvalidType);
        let e = from_json::<ContactData>(json!({"emails": [{"kind": "work"}]})).unwrap_err();
        assert_eq!(
            e[0],
            FieldError::new("emails[0].address", ErrorCode::Required)
        );
        let e = from_json::<ContactData>(json!({"birthday": "24.12.1980"})).unwrap_err();
        assert_eq!(e[0].field, "birthday");
    }
}
