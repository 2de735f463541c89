//! What an import row does to the contact it found: fill in (the default, never
//! removes or overwrites anything) or replace with the file's values (an explicit
//! choice), and which fields that changes, old and new, for the dry run.

use crate::channels::{EmailEntry, PhoneEntry};
use crate::contact::ContactData;
use crate::contact_merge::merged;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// What a row does to the existing contact it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMatch {
    /// Empty fields are filled; e-mails, phones and addresses the contact lacks are
    /// added. Nothing is removed or overwritten.
    #[default]
    FillIn,
    /// Every field the row fills takes the row's value; lists the row fills (e-mails,
    /// phones, addresses) are replaced by the row's.
    Replace,
    /// The contact stays as it is.
    Skip,
}

impl OnMatch {
    /// `fill_in` (also `update`, its earlier name), `replace` or `skip`.
    pub fn parse(text: &str) -> Option<OnMatch> {
        match text.trim() {
            "fill_in" | "update" => Some(OnMatch::FillIn),
            "replace" => Some(OnMatch::Replace),
            "skip" => Some(OnMatch::Skip),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OnMatch::FillIn => "fill_in",
            OnMatch::Replace => "replace",
            OnMatch::Skip => "skip",
        }
    }
}

/// The contact after a matched row: `current` filled in or overwritten by `row` as
/// `on_match` says. The row's e-mails and phones are compared in their stored form
/// (lower case, E.164 in `region`), so `030 1234567` is the number `+49301234567`
/// the contact has; a value that does not parse is kept for validation to report.
/// The owner stays as it is, and so does the review marker.
pub fn matched_contact(
    on_match: OnMatch,
    current: &ContactData,
    row: &ContactData,
    region: &str,
) -> ContactData {
    let mut row = stored_channels(row.clone(), region);
    row.owner_id = None;
    row.needs_check = false;
    match on_match {
        OnMatch::Skip => current.clone(),
        OnMatch::FillIn => merged(current, &row, &BTreeSet::new()),
        OnMatch::Replace => {
            let mut doc = serde_json::to_value(current).unwrap_or(Value::Null);
            crate::merge_patch::apply(&mut doc, filled_values(&row));
            serde_json::from_value(doc).unwrap_or_else(|_| current.clone())
        }
    }
}

/// The fields a row fills, as a merge patch: empty cells change nothing.
fn filled_values(row: &ContactData) -> Value {
    let mut doc = serde_json::to_value(row).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut doc {
        map.retain(|_, v| match v {
            Value::Null | Value::Bool(false) => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        });
    }
    doc
}

fn stored_channels(mut row: ContactData, region: &str) -> ContactData {
    row.emails = row
        .emails
        .into_iter()
        .map(|e| EmailEntry {
            address: crate::email::normalise_email(&e.address).unwrap_or(e.address),
            kind: e.kind,
        })
        .collect();
    row.phones = row
        .phones
        .into_iter()
        .map(|p| PhoneEntry {
            number: crate::phone::to_e164(&p.number, region).unwrap_or(p.number),
            kind: p.kind,
        })
        .collect();
    row
}

/// One field a row changes: its name (`custom.KEY` for a custom field) and the values
/// before and after, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// The fields that differ between two versions of a contact, in field order.
pub fn changes(before: &ContactData, after: &ContactData) -> Vec<FieldChange> {
    let object = |c: &ContactData| match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let (b, a) = (object(before), object(after));
    let mut out = Vec::new();
    for (key, va) in &a {
        if key == "custom" {
            continue;
        }
        let vb = b.get(key).unwrap_or(&Value::Null);
        if vb != va {
            out.push(FieldChange {
                field: key.clone(),
                before: vb.clone(),
                after: va.clone(),
            });
        }
    }
    let keys: BTreeSet<&String> = before.custom.keys().chain(after.custom.keys()).collect();
    for key in keys {
        let (vb, va) = (before.custom.get(key), after.custom.get(key));
        if vb != va {
            out.push(FieldChange {
                field: format!("custom.{key}"),
                before: vb.cloned().unwrap_or(Value::Null),
                after: va.cloned().unwrap_or(Value::Null),
            });
        }
    }
    out
}

/// The merge patch that turns `before` into `after` (RFC 7396): changed fields with
/// their new value, removed ones as `null`, custom fields key by key.
pub fn patch(before: &ContactData, after: &ContactData) -> Value {
    let mut out = Map::new();
    let mut custom = Map::new();
    for change in changes(before, after) {
        match change.field.strip_prefix("custom.") {
            Some(key) => {
                custom.insert(key.to_string(), change.after);
            }
            None => {
                out.insert(change.field, change.after);
            }
        }
    }
    if !custom.is_empty() {
        out.insert("custom".into(), Value::Object(custom));
    }
    Value::Object(out)
}

/// A stored value in plain words for a dry run: lists joined by commas, an address's
/// parts by spaces.
pub fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain_entry).collect::<Vec<_>>().join(", "),
        Value::Object(_) => plain_entry(v),
        other => other.to_string(),
    }
}

/// The parts of an e-mail, phone or address in the order they are written.
const PARTS: [&str; 7] = [
    "address", "number", "street", "extra", "postcode", "city", "country",
];

fn plain_entry(v: &Value) -> String {
    match v {
        Value::Object(m) => PARTS
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        other => plain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(v: Value) -> ContactData {
        serde_json::from_value(v).unwrap()
    }

    fn heinz() -> ContactData {
        contact(json!({
            "first_name": "Heinz", "last_name": "Weber", "job_title": "Einkauf",
            "emails": [{"address": "heinz@weber.de", "kind": "work"},
                       {"address": "h.weber@firma.de", "kind": "work"}],
            "phones": [{"number": "+49301234567", "kind": "work"}],
            "addresses": [
                {"kind": "work", "street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin", "country": "DE"},
                {"kind": "work", "street": "Nebenweg 2", "postcode": "80331", "city": "München", "country": "DE"}
            ]
        }))
    }

    #[test]
    fn fill_in_adds_what_is_missing_and_removes_nothing() {
        let row = contact(json!({
            "first_name": "Heinz", "last_name": "Weber", "job_title": "Vertrieb",
            "department": "Nord",
            "emails": [{"address": "Heinz@Weber.de"}, {"address": "heinz@privat.de"}],
            "phones": [{"number": "030 1234567"}, {"number": "0171 5551234"}],
            "addresses": [
                {"street": "Hauptstraße 1", "postcode": "10115", "city": "berlin"},
                {"postcode": "20095", "city": "Hamburg"}
            ]
        }));
        let after = matched_contact(OnMatch::FillIn, &heinz(), &row, "DE");
        // Scalars: the empty one is filled, the filled one stays.
        assert_eq!(after.job_title.as_deref(), Some("Einkauf"));
        assert_eq!(after.department.as_deref(), Some("Nord"));
        let emails: Vec<&str> = after.emails.iter().map(|e| e.address.as_str()).collect();
        assert_eq!(
            emails,
            ["heinz@weber.de", "h.weber@firma.de", "heinz@privat.de"]
        );
        let phones: Vec<&str> = after.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(phones, ["+49301234567", "+491715551234"]);
        // "Hauptstraße 1, berlin" is the address there is; Hamburg is another one.
        let cities: Vec<&str> = after
            .addresses
            .iter()
            .filter_map(|a| a.city.as_deref())
            .collect();
        assert_eq!(cities, ["Berlin", "München", "Hamburg"]);
        assert_eq!(after.addresses[0].street.as_deref(), Some("Hauptstr. 1"));
    }

    #[test]
    fn a_row_that_adds_nothing_changes_nothing() {
        let row = contact(json!({"first_name": "Heinz", "last_name": "Weber",
            "emails": [{"address": "h.weber@firma.de"}],
            "addresses": [{"postcode": "80331", "city": "Muenchen"}]}));
        let after = matched_contact(OnMatch::FillIn, &heinz(), &row, "DE");
        assert_eq!(after, heinz());
        assert!(changes(&heinz(), &after).is_empty());
        assert_eq!(patch(&heinz(), &after), json!({}));
    }

    #[test]
    fn replace_takes_the_files_values_where_it_has_them() {
        let row = contact(json!({"job_title": "Vertrieb",
            "addresses": [{"postcode": "20095", "city": "Hamburg"}]}));
        let after = matched_contact(OnMatch::Replace, &heinz(), &row, "DE");
        assert_eq!(after.job_title.as_deref(), Some("Vertrieb"));
        assert_eq!(after.last_name.as_deref(), Some("Weber"));
        assert_eq!(after.emails, heinz().emails);
        assert_eq!(after.addresses.len(), 1);
        let fields: Vec<String> = changes(&heinz(), &after)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["addresses", "job_title"]);
    }

    #[test]
    fn the_patch_of_two_versions_turns_one_into_the_other() {
        let before = contact(json!({"last_name": "Weber", "notes": "alt",
            "custom": {"size": "L", "vip": true}}));
        let after = contact(json!({"last_name": "Weber", "department": "Nord",
            "custom": {"size": "M", "vip": true}}));
        let p = patch(&before, &after);
        let mut doc = serde_json::to_value(&before).unwrap();
        crate::merge_patch::apply(&mut doc, p);
        assert_eq!(serde_json::from_value::<ContactData>(doc).unwrap(), after);
        assert_eq!(
            plain(
                &json!([{"street": "Hauptstr. 1", "city": "Berlin", "kind": "work"},
                {"address": "a@b.de"}])
            ),
            "Hauptstr. 1 Berlin, a@b.de"
        );
    }

    #[test]
    fn choices_read_by_their_names() {
        assert_eq!(OnMatch::parse("update"), Some(OnMatch::FillIn));
        assert_eq!(OnMatch::parse("replace"), Some(OnMatch::Replace));
        assert_eq!(OnMatch::parse("nope"), None);
        for m in [OnMatch::FillIn, OnMatch::Replace, OnMatch::Skip] {
            assert_eq!(OnMatch::parse(m.as_str()), Some(m));
        }
    }
}
