//! A row with one bad optional value is still a customer: an impossible birth date or a
//! mistyped e-mail address should cost the row that value, not the whole contact. The
//! value is set aside into the contact's notes as it was written, so nothing from the
//! file is lost, and the contact is marked for a check.

use crate::contact::ContactData;
use crate::i18n::Lang;
use crate::validation::ErrorCode;

/// A value an import left out of a contact because it fails its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// Where it would have gone: `birthday`, `emails[0].address`, `phones[1].number`,
    /// `addresses[0].postcode`.
    pub field: String,
    /// The value as the file had it.
    pub value: String,
    pub code: ErrorCode,
}

/// What kind of value a field holds, for the words in the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Birthday,
    Email(usize),
    Phone(usize),
    Postcode(usize),
}

fn kind_of(field: &str) -> Option<Kind> {
    let indexed = |prefix: &str, suffix: &str| {
        field
            .strip_prefix(prefix)?
            .strip_suffix(suffix)?
            .parse::<usize>()
            .ok()
    };
    if field == "birthday" {
        return Some(Kind::Birthday);
    }
    indexed("emails[", "].address")
        .map(Kind::Email)
        .or_else(|| indexed("phones[", "].number").map(Kind::Phone))
        .or_else(|| indexed("addresses[", "].postcode").map(Kind::Postcode))
}

/// Whether a bad value in `field` can be left out without losing the contact: a
/// birthday, an e-mail address, a phone number or a postcode. Names, choices and
/// references are what the row is about; those still refuse it.
pub fn can_set_aside(field: &str) -> bool {
    kind_of(field).is_some()
}

/// Takes the values of the failing `fields` out of `contact` and returns them; `None`
/// (and `contact` unchanged) when one of them cannot be set aside or is not there.
pub fn set_aside(
    contact: &mut ContactData,
    fields: &[(String, ErrorCode)],
) -> Option<Vec<SetAside>> {
    let mut kinds: Vec<(Kind, &str, ErrorCode)> = fields
        .iter()
        .map(|(f, code)| kind_of(f).map(|k| (k, f.as_str(), *code)))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(kinds.len());
    let mut after = contact.clone();
    // Later entries first, so that removing one keeps the positions of the others.
    kinds.sort_by_key(|(k, ..)| std::cmp::Reverse(*k));
    kinds.dedup_by_key(|(k, ..)| *k);
    for (kind, field, code) in kinds {
        let value = match kind {
            Kind::Birthday => after.birthday.take().map(|d| d.to_string()),
            Kind::Email(i) => (i < after.emails.len()).then(|| after.emails.remove(i).address),
            Kind::Phone(i) => (i < after.phones.len()).then(|| after.phones.remove(i).number),
            Kind::Postcode(i) => after.addresses.get_mut(i).and_then(|a| a.postcode.take()),
        }?;
        out.push(SetAside {
            field: field.to_string(),
            value,
            code,
        });
    }
    out.reverse();
    *contact = after;
    Some(out)
}

/// The lines the notes get for values set aside ("Geburtstag laut Import: 1955-11-92").
pub fn note(values: &[SetAside], lang: Lang) -> String {
    values
        .iter()
        .map(|v| {
            let label = match kind_of(&v.field) {
                Some(Kind::Birthday) => lang.pick("Geburtstag", "Birthday").to_string(),
                Some(Kind::Email(_)) => lang.pick("E-Mail", "E-mail").to_string(),
                Some(Kind::Phone(_)) => lang.pick("Telefon", "Phone").to_string(),
                Some(Kind::Postcode(_)) => lang.pick("PLZ", "Postcode").to_string(),
                None => match v.field.strip_prefix("consent.") {
                    Some(target) => format!("{} {target}", lang.pick("Einwilligung", "Consent")),
                    None => v.field.clone(),
                },
            };
            let as_imported = lang.pick("laut Import", "as imported");
            format!("{label} {as_imported}: {}", v.value)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Puts the values set aside into the contact's notes (after what it has) and marks it
/// for a check.
pub fn keep_in_notes(contact: &mut ContactData, values: &[SetAside], lang: Lang) {
    if values.is_empty() {
        return;
    }
    let lines = note(values, lang);
    contact.notes = Some(
        match contact.notes.take().filter(|n| !n.trim().is_empty()) {
            Some(notes) => format!("{notes}\n{lines}"),
            None => lines,
        },
    );
    contact.needs_check = true;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(v: serde_json::Value) -> ContactData {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn bad_optional_values_are_taken_out_and_kept_in_the_notes() {
        let mut c = contact(json!({
            "last_name": "Weber",
            "emails": [{"address": "ok@example.org"}, {"address": "weber@@example"}, {"address": "b@x"}],
            "phones": [{"number": "12"}],
            "addresses": [{"city": "Köln", "postcode": "5067"}],
        }));
        let failing = [
            ("emails[1].address".to_string(), ErrorCode::InvalidEmail),
            ("emails[2].address".to_string(), ErrorCode::InvalidEmail),
            ("phones[0].number".to_string(), ErrorCode::InvalidPhone),
            (
                "addresses[0].postcode".to_string(),
                ErrorCode::InvalidPostcode,
            ),
        ];
        let aside = set_aside(&mut c, &failing).unwrap();
        assert_eq!(
            aside.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(),
            ["weber@@example", "b@x", "12", "5067"]
        );
        assert_eq!(c.emails.len(), 1);
        assert_eq!(c.emails[0].address, "ok@example.org");
        assert!(c.phones.is_empty());
        assert_eq!(c.addresses[0].postcode, None);
        assert_eq!(c.addresses[0].city.as_deref(), Some("Köln"));
        c.notes = Some("Kunde seit 1999".into());
        keep_in_notes(&mut c, &aside, Lang::De);
        assert_eq!(
            c.notes.as_deref(),
            Some(
                "Kunde seit 1999\nE-Mail laut Import: weber@@example\nE-Mail laut Import: b@x\n\
                 Telefon laut Import: 12\nPLZ laut Import: 5067"
            )
        );
        assert!(c.needs_check);
    }

    #[test]
    fn a_name_or_a_choice_cannot_be_set_aside() {
        let mut c = contact(
            json!({"last_name": "Weber", "lifecycle_stage": "x", "birthday": "2001-02-03"}),
        );
        let before = c.clone();
        let failing = [
            ("birthday".to_string(), ErrorCode::InvalidDate),
            ("lifecycle_stage".to_string(), ErrorCode::InvalidChoice),
        ];
        assert_eq!(set_aside(&mut c, &failing), None);
        assert_eq!(
            c, before,
            "nothing taken out when the row is refused anyway"
        );
        assert!(!can_set_aside("last_name"));
        assert!(can_set_aside("addresses[2].postcode"));
    }
}
