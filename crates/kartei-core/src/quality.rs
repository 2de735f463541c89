//! Data quality of contacts: which fields are filled, and the checks a completeness
//! audit runs on each contact (no way to reach them, a one-letter first name, first and
//! last name probably swapped).

use crate::contact::ContactData;
use crate::text::fold;

/// The fields whose fill rate the audit reports, with the filter field that finds the
/// contacts missing them (when the filter language has one).
pub const FILL_FIELDS: &[(&str, Option<&str>)] = &[
    ("salutation", None),
    ("first_name", Some("first_name")),
    ("last_name", Some("last_name")),
    ("emails", Some("email")),
    ("phones", Some("phone")),
    ("street", None),
    ("postcode", Some("postcode")),
    ("city", Some("city")),
    ("birthday", Some("birthday")),
    ("organization_id", Some("organization_id")),
    ("owner_id", Some("owner_id")),
    ("lifecycle_stage", Some("lifecycle_stage")),
    ("customer_number", Some("customer_number")),
];

fn filled(v: Option<&String>) -> bool {
    v.is_some_and(|s| !s.trim().is_empty())
}

/// Which of [`FILL_FIELDS`] the contact fills, in that order.
pub fn fills(c: &ContactData) -> [bool; 13] {
    let first_address = c.addresses.first();
    [
        filled(c.salutation.as_ref()),
        filled(c.first_name.as_ref()),
        filled(c.last_name.as_ref()),
        !c.emails.is_empty(),
        !c.phones.is_empty(),
        first_address.is_some_and(|a| filled(a.street.as_ref())),
        first_address.is_some_and(|a| filled(a.postcode.as_ref())),
        first_address.is_some_and(|a| filled(a.city.as_ref())),
        c.birthday.is_some(),
        c.organization_id.is_some(),
        c.owner_id.is_some(),
        filled(c.lifecycle_stage.as_ref()),
        filled(c.customer_number.as_ref()),
    ]
}

/// A finding of the audit about one contact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// Neither an e-mail address nor a phone number.
    Unreachable,
    /// A first name of one letter ("J." or "J").
    Initial,
    /// The last name is a common first name and the first name a common surname.
    Swapped,
}

impl Finding {
    pub const ALL: [Finding; 3] = [Finding::Unreachable, Finding::Initial, Finding::Swapped];

    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Unreachable => "unreachable",
            Finding::Initial => "initial",
            Finding::Swapped => "swapped",
        }
    }
}

fn is_first_name(folded: &str) -> bool {
    crate::names::FEMALE
        .iter()
        .chain(crate::names::MALE)
        .any(|n| fold(n) == folded)
}

fn is_last_name(folded: &str) -> bool {
    crate::names::LAST_NAMES
        .iter()
        .any(|(n, _)| fold(n) == folded)
}

/// What the audit finds wrong with one contact.
pub fn findings(c: &ContactData) -> Vec<Finding> {
    let mut out = Vec::new();
    if c.emails.is_empty() && c.phones.is_empty() {
        out.push(Finding::Unreachable);
    }
    if let Some(first) = &c.first_name {
        if first.trim().trim_end_matches('.').chars().count() == 1 {
            out.push(Finding::Initial);
        }
    }
    if let (Some(first), Some(last)) = (&c.first_name, &c.last_name) {
        let (first, last) = (fold(first.trim()), fold(last.trim()));
        if is_first_name(&last) && !is_first_name(&first) && is_last_name(&first) {
            out.push(Finding::Swapped);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(v: serde_json::Value) -> ContactData {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn findings_name_what_is_wrong() {
        let ok = contact(
            json!({"first_name": "Anna", "last_name": "Müller", "emails": [{"address": "a@b.de"}]}),
        );
        assert!(findings(&ok).is_empty());
        let swapped = contact(
            json!({"first_name": "Müller", "last_name": "Anna", "phones": [{"number": "+49301234567"}]}),
        );
        assert_eq!(findings(&swapped), [Finding::Swapped]);
        let initial = contact(json!({"first_name": "J.", "last_name": "Schmidt"}));
        assert_eq!(findings(&initial), [Finding::Unreachable, Finding::Initial]);
        // Two first names are not "swapped".
        let double = contact(
            json!({"first_name": "Klaus", "last_name": "Peter", "emails": [{"address": "k@p.de"}]}),
        );
        assert!(findings(&double).is_empty(), "{:?}", findings(&double));
    }

    #[test]
    fn fills_follow_the_field_list() {
        let c = contact(
            json!({"first_name": "Anna", "emails": [{"address": "a@b.de"}],
            "addresses": [{"city": "Köln"}]}),
        );
        let f = fills(&c);
        let names: Vec<&str> = FILL_FIELDS
            .iter()
            .zip(f)
            .filter(|(_, on)| *on)
            .map(|((n, _), _)| *n)
            .collect();
        assert_eq!(names, ["first_name", "emails", "city"]);
    }
}
