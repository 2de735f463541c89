//! Merging two contacts into one: which fields differ, and the survivor's data after the
//! merge. E-mails, phones and addresses of both are kept; for every other field the
//! survivor's value wins unless the user chose the other one, and empty fields are
//! filled from the other contact.

use crate::contact::ContactData;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Fields whose values are combined rather than chosen.
pub const COMBINED: [&str; 3] = ["emails", "phones", "addresses"];

/// Fields the merge never takes from the other contact.
const KEPT: [&str; 1] = ["needs_check"];

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn object(c: &ContactData) -> Map<String, Value> {
    match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// One field where both contacts hold different values: the user picks one.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// A field name, or `custom.<key>` for a custom field.
    pub field: String,
    pub survivor: Value,
    pub other: Value,
}

/// The fields (and custom fields) both contacts fill with different values.
pub fn conflicts(survivor: &ContactData, other: &ContactData) -> Vec<Conflict> {
    let (a, b) = (object(survivor), object(other));
    let mut out = Vec::new();
    for (key, va) in &a {
        if COMBINED.contains(&key.as_str()) || KEPT.contains(&key.as_str()) || key == "custom" {
            continue;
        }
        if let Some(vb) = b.get(key) {
            if !is_empty(va) && !is_empty(vb) && va != vb {
                out.push(Conflict {
                    field: key.clone(),
                    survivor: va.clone(),
                    other: vb.clone(),
                });
            }
        }
    }
    for (key, va) in &survivor.custom {
        if let Some(vb) = other.custom.get(key) {
            if !is_empty(va) && !is_empty(vb) && va != vb {
                out.push(Conflict {
                    field: format!("custom.{key}"),
                    survivor: va.clone(),
                    other: vb.clone(),
                });
            }
        }
    }
    out
}

fn combine<T: PartialEq + Clone>(into: &mut Vec<T>, from: &[T], same: impl Fn(&T, &T) -> bool) {
    for item in from {
        if !into.iter().any(|x| same(x, item)) {
            into.push(item.clone());
        }
    }
}

/// The survivor's data after taking in `other`. `take_other` names the fields (as in
/// [`Conflict::field`]) where the other contact's value wins.
pub fn merged(
    survivor: &ContactData,
    other: &ContactData,
    take_other: &BTreeSet<String>,
) -> ContactData {
    let mut a = object(survivor);
    let b = object(other);
    for (key, vb) in &b {
        if COMBINED.contains(&key.as_str()) || KEPT.contains(&key.as_str()) || key == "custom" {
            continue;
        }
        let take = take_other.contains(key) || a.get(key).is_none_or(is_empty);
        if take && !is_empty(vb) {
            a.insert(key.clone(), vb.clone());
        }
    }
    let mut out: ContactData =
        serde_json::from_value(Value::Object(a)).unwrap_or_else(|_| survivor.clone());
    for (key, vb) in &other.custom {
        let take = take_other.contains(&format!("custom.{key}"))
            || out.custom.get(key).is_none_or(is_empty);
        if take && !is_empty(vb) {
            out.custom.insert(key.clone(), vb.clone());
        }
    }
    combine(&mut out.emails, &other.emails, |x, y| {
        x.address.trim().eq_ignore_ascii_case(y.address.trim())
    });
    combine(&mut out.phones, &other.phones, |x, y| x.number == y.number);
    combine(&mut out.addresses, &other.addresses, |x, y| {
        y.is_covered_by(x)
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::{EmailEntry, PhoneEntry};
    use serde_json::json;

    fn contact(v: Value) -> ContactData {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn conflicts_name_only_fields_both_fill_differently() {
        let a = contact(json!({"first_name": "Jürgen", "last_name": "Schmidt",
            "job_title": "Einkauf", "custom": {"size": "L", "vip": true}}));
        let b = contact(json!({"first_name": "Juergen", "last_name": "Schmidt",
            "department": "Vertrieb", "custom": {"size": "M"}}));
        let fields: Vec<String> = conflicts(&a, &b).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["first_name", "custom.size"]);
    }

    #[test]
    fn merged_keeps_survivor_fills_gaps_takes_chosen_and_combines_channels() {
        let mut a = contact(json!({"first_name": "Jürgen", "last_name": "Schmidt",
            "job_title": "Einkauf", "custom": {"size": "L"}}));
        a.emails = vec![EmailEntry {
            address: "j.schmidt@example.de".into(),
            kind: None,
        }];
        let mut b = contact(json!({"first_name": "Juergen", "last_name": "Schmitt",
            "department": "Vertrieb", "custom": {"size": "M", "shoe": 44}}));
        b.emails = vec![
            EmailEntry {
                address: "J.Schmidt@example.de".into(),
                kind: None,
            },
            EmailEntry {
                address: "juergen@privat.de".into(),
                kind: Some("private".into()),
            },
        ];
        b.phones = vec![PhoneEntry {
            number: "+49301234567".into(),
            kind: None,
        }];
        let take: BTreeSet<String> = ["last_name".to_string(), "custom.size".to_string()].into();
        let m = merged(&a, &b, &take);
        assert_eq!(m.first_name.as_deref(), Some("Jürgen"));
        assert_eq!(m.last_name.as_deref(), Some("Schmitt"));
        assert_eq!(m.job_title.as_deref(), Some("Einkauf"));
        assert_eq!(m.department.as_deref(), Some("Vertrieb"));
        assert_eq!(m.custom["size"], json!("M"));
        assert_eq!(m.custom["shoe"], json!(44));
        let emails: Vec<&str> = m.emails.iter().map(|e| e.address.as_str()).collect();
        assert_eq!(emails, ["j.schmidt@example.de", "juergen@privat.de"]);
        assert_eq!(m.phones.len(), 1);
    }
}
