//! A segment (saved view): the part of a list a name keeps — search text, filter, sort,
//! columns. Lists, exports and (later) campaigns and analytics target segments, so a
//! segment is typed: a stored one that cannot be read is an error, never "no filter",
//! which would hand out the whole list.

use crate::custom_field::CustomFieldDef;
use crate::filter::{Filter, Sort};
use crate::record::Entity;
use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "filter_or_its_text"
    )]
    pub filter: Option<Filter>,
    /// `name`, `-name` (descending) or `custom.key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cols: Vec<String>,
}

/// Segments saved before the filter was typed hold it as JSON text inside the JSON.
fn filter_or_its_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Filter>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(other) => serde_json::from_value(other)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

impl Segment {
    /// Reads a stored segment; what does not read whole is an error with the reason.
    pub fn from_stored(text: &str) -> Result<Segment, String> {
        serde_json::from_str(text).map_err(|e| format!("saved view cannot be read: {e}"))
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks that the filter and sort fit the fields (and custom fields) of `entity`.
    pub fn check(&self, entity: Entity, defs: &[CustomFieldDef]) -> Result<(), Vec<FieldError>> {
        if let Some(f) = &self.filter {
            f.clone().typed(entity, defs)?;
        }
        if let Some(s) = &self.sort {
            Sort::parse(entity, defs, s)?;
        }
        Ok(())
    }

    /// The filter as JSON text, as the list's address carries it.
    pub fn filter_text(&self) -> Option<String> {
        self.filter
            .as_ref()
            .and_then(|f| serde_json::to_string(f).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_reads_in_both_stored_forms_and_writes_the_typed_one() {
        let old = r#"{"filter":"{\"field\":\"city\",\"op\":\"eq\",\"value\":\"Köln\"}","sort":"-city","cols":["name"]}"#;
        let s = Segment::from_stored(old).unwrap();
        assert_eq!(s.sort.as_deref(), Some("-city"));
        assert!(s.check(Entity::Contact, &[]).is_ok());
        let again = Segment::from_stored(&s.to_stored()).unwrap();
        assert_eq!(again, s);
        assert!(s.to_stored().contains(r#""filter":{"field":"city""#));
    }

    #[test]
    fn a_corrupt_segment_is_an_error_not_an_empty_filter() {
        for bad in [
            r#"{"filter":"{kaputt"}"#,
            r#"{"filter":{"op":"nope"}}"#,
            r#"{"filtr":"x"}"#,
            "nicht json",
        ] {
            assert!(Segment::from_stored(bad).is_err(), "{bad}");
        }
        let unknown =
            Segment::from_stored(r#"{"filter":{"field":"shoe","op":"eq","value":1}}"#).unwrap();
        assert!(unknown.check(Entity::Contact, &[]).is_err());
        let sort = Segment {
            sort: Some("shoe".into()),
            ..Segment::default()
        };
        assert!(sort.check(Entity::Contact, &[]).is_err());
    }
}
