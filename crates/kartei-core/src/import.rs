//! Importing contacts from spreadsheets and other systems: which column means what
//! (suggested from German and English header names), and a row turned into a contact
//! draft with German dates, a full name split into its parts, street and house number
//! joined. Validation afterwards is the usual one; this only reads.

use crate::channels::{Address, EmailEntry, PhoneEntry};
use crate::contact::ContactData;
use crate::custom_field::CustomFieldDef;
use crate::record::Entity;
use crate::text::fold;
use crate::validation::ErrorCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Salutation,
    Title,
    FirstName,
    LastName,
    /// "Dr. Hans Müller" or "Müller, Hans": split into title, first and last name.
    FullName,
    /// The organisation's name; found or created.
    Organization,
    JobTitle,
    Department,
    Email,
    Phone,
    Mobile,
    Street,
    HouseNumber,
    Postcode,
    City,
    Country,
    Birthday,
    CustomerNumber,
    LeadSource,
    Notes,
    /// The id in the source system, kept to match again on the next import.
    ExternalId,
    /// A custom field by key.
    Custom(String),
    /// A consent by `channel:purpose` (`email:newsletter`): a cell saying yes records
    /// it as granted, no as refused, an unsubscribe as withdrawn.
    Consent(String),
    Ignore,
}

/// Header names (folded) and what they mean; German first, then English and the
/// export columns of common CRMs and address books.
const SYNONYMS: &[(&str, Target)] = &[
    ("anrede", Target::Salutation),
    ("salutation", Target::Salutation),
    ("prefix", Target::Salutation),
    ("name prefix", Target::Salutation),
    ("titel", Target::Title),
    ("title", Target::Title),
    ("akademischer titel", Target::Title),
    ("vorname", Target::FirstName),
    ("first name", Target::FirstName),
    ("firstname", Target::FirstName),
    ("given name", Target::FirstName),
    ("nachname", Target::LastName),
    ("familienname", Target::LastName),
    ("last name", Target::LastName),
    ("lastname", Target::LastName),
    ("surname", Target::LastName),
    ("family name", Target::LastName),
    ("name", Target::FullName),
    ("vollstandiger name", Target::FullName),
    ("full name", Target::FullName),
    ("kontakt", Target::FullName),
    ("ansprechpartner", Target::FullName),
    ("person", Target::FullName),
    ("firma", Target::Organization),
    ("firmenname", Target::Organization),
    ("unternehmen", Target::Organization),
    ("organisation", Target::Organization),
    ("organization", Target::Organization),
    ("company", Target::Organization),
    ("company name", Target::Organization),
    ("account name", Target::Organization),
    ("organization 1 name", Target::Organization),
    ("position", Target::JobTitle),
    ("funktion", Target::JobTitle),
    ("job title", Target::JobTitle),
    ("jobtitle", Target::JobTitle),
    ("organization 1 title", Target::JobTitle),
    ("abteilung", Target::Department),
    ("department", Target::Department),
    ("e mail", Target::Email),
    ("email", Target::Email),
    ("mail", Target::Email),
    ("e mail adresse", Target::Email),
    ("email address", Target::Email),
    ("e mail 1 value", Target::Email),
    ("telefon", Target::Phone),
    ("tel", Target::Phone),
    ("telefonnummer", Target::Phone),
    ("phone", Target::Phone),
    ("business phone", Target::Phone),
    ("phone number", Target::Phone),
    ("phone 1 value", Target::Phone),
    ("mobil", Target::Mobile),
    ("handy", Target::Mobile),
    ("mobiltelefon", Target::Mobile),
    ("mobilnummer", Target::Mobile),
    ("mobile", Target::Mobile),
    ("mobile phone", Target::Mobile),
    ("cell", Target::Mobile),
    ("strasse", Target::Street),
    ("street", Target::Street),
    ("adresse", Target::Street),
    ("anschrift", Target::Street),
    ("address", Target::Street),
    ("street address", Target::Street),
    ("mailing street", Target::Street),
    ("address 1 street", Target::Street),
    ("hausnr", Target::HouseNumber),
    ("hausnummer", Target::HouseNumber),
    ("nr", Target::HouseNumber),
    ("house number", Target::HouseNumber),
    ("plz", Target::Postcode),
    ("postleitzahl", Target::Postcode),
    ("zip", Target::Postcode),
    ("zip code", Target::Postcode),
    ("postal code", Target::Postcode),
    ("postcode", Target::Postcode),
    ("mailing zip postal code", Target::Postcode),
    ("address 1 postal code", Target::Postcode),
    ("ort", Target::City),
    ("stadt", Target::City),
    ("wohnort", Target::City),
    ("city", Target::City),
    ("town", Target::City),
    ("mailing city", Target::City),
    ("address 1 city", Target::City),
    ("land", Target::Country),
    ("country", Target::Country),
    ("mailing country", Target::Country),
    ("address 1 country", Target::Country),
    ("geburtstag", Target::Birthday),
    ("geburtsdatum", Target::Birthday),
    ("birthday", Target::Birthday),
    ("birthdate", Target::Birthday),
    ("date of birth", Target::Birthday),
    ("kundennummer", Target::CustomerNumber),
    ("kundennr", Target::CustomerNumber),
    ("kunden nr", Target::CustomerNumber),
    ("customer number", Target::CustomerNumber),
    ("customer id", Target::CustomerNumber),
    ("quelle", Target::LeadSource),
    ("lead source", Target::LeadSource),
    ("notiz", Target::Notes),
    ("notizen", Target::Notes),
    ("bemerkung", Target::Notes),
    ("bemerkungen", Target::Notes),
    ("notes", Target::Notes),
    ("note", Target::Notes),
    ("description", Target::Notes),
    ("id", Target::ExternalId),
    ("external id", Target::ExternalId),
    ("record id", Target::ExternalId),
    ("contact id", Target::ExternalId),
];

/// A header as it is compared: folded, punctuation to spaces, single spaces.
fn header_key(h: &str) -> String {
    fold(h)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The suggested meaning of each column. "Name" means the last name when there is also
/// a first-name column, else the full name.
pub fn suggest(headers: &[String]) -> Vec<Target> {
    let mut targets: Vec<Target> = headers
        .iter()
        .map(|h| {
            let key = header_key(h);
            SYNONYMS
                .iter()
                .find(|(k, _)| header_key(k) == key)
                .map_or(Target::Ignore, |(_, t)| t.clone())
        })
        .collect();
    if targets.contains(&Target::FirstName) {
        for t in &mut targets {
            if *t == Target::FullName {
                *t = Target::LastName;
            }
        }
    }
    first_only(&mut targets);
    targets
}

/// The suggested meaning of each column as [`suggest`] finds it, and where that finds
/// none, a contact custom field whose German or English label (or key) is the header.
pub fn suggest_with_custom(headers: &[String], defs: &[CustomFieldDef]) -> Vec<Target> {
    let mut targets = suggest(headers);
    for (target, header) in targets.iter_mut().zip(headers) {
        if *target != Target::Ignore {
            continue;
        }
        let key = header_key(header);
        if let Some(def) = defs.iter().find(|d| {
            d.entity == Entity::Contact
                && [&d.label_de, &d.label_en, &d.key]
                    .iter()
                    .any(|l| header_key(l) == key)
        }) {
            *target = Target::Custom(def.key.clone());
        }
    }
    first_only(&mut targets);
    targets
}

/// A target taken twice keeps its first column (a second "E-Mail" is ignored, not merged).
fn first_only(targets: &mut [Target]) {
    let mut seen: Vec<Target> = Vec::new();
    for t in targets {
        if *t != Target::Ignore {
            if seen.contains(t) {
                *t = Target::Ignore;
            } else {
                seen.push(t.clone());
            }
        }
    }
}

/// A German, ISO or US date, or ISO 8601's basic form `19560409` (what many systems
/// export).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n = |r: std::ops::Range<usize>| t[r].parse::<u32>().ok();
        return NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(4..6)?, n(6..8)?);
    }
    ["%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%m/%d/%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

const SALUTATIONS: &[&str] = &["Herr", "Frau", "Mr.", "Mrs.", "Ms.", "Mr", "Mrs", "Ms"];
const TITLES: &[&str] = &["Dr.", "Prof.", "Dipl.-Ing.", "Dr", "Prof", "Mag.", "Ing."];

/// "Herr Dr. Hans Müller" → (Herr, Dr., Hans, Müller); "Müller, Hans" → (–, –, Hans, Müller).
pub fn split_name(
    full: &str,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    let full = full.trim();
    if let Some((last, first)) = full.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        return (
            None,
            None,
            (!first.is_empty()).then(|| first.to_string()),
            (!last.is_empty()).then(|| last.to_string()),
        );
    }
    let mut words: Vec<&str> = full.split_whitespace().collect();
    let salutation = (words.first().is_some_and(|w| SALUTATIONS.contains(w)))
        .then(|| words.remove(0).to_string());
    let mut titles = Vec::new();
    while words.first().is_some_and(|w| TITLES.contains(w)) {
        titles.push(words.remove(0));
    }
    let title = (!titles.is_empty()).then(|| titles.join(" "));
    match words.len() {
        0 => (salutation, title, None, None),
        1 => (salutation, title, None, Some(words[0].to_string())),
        n => (
            salutation,
            title,
            Some(words[..n - 1].join(" ")),
            Some(words[n - 1].to_string()),
        ),
    }
}

/// A row as a contact draft, the organisation name it names, and problems by column.
pub struct RowDraft {
    pub contact: ContactData,
    pub organization: Option<String>,
    pub external_id: Option<String>,
    /// Values that could not be read where they belong (a date that is none), with
    /// their column header: the import sets them aside or, when strict, refuses the row.
    pub unreadable: Vec<(String, crate::import_set_aside::SetAside)>,
    /// Consents the row's consent columns state.
    pub consents: Vec<ImportedConsent>,
}

/// What a consent column of a row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedConsent {
    /// `channel:purpose`.
    pub target: String,
    pub status: &'static str,
    pub column: String,
    pub value: String,
}

/// What a consent cell says: yes (granted), no (refused), unsubscribed (withdrawn);
/// `None` when it is none of these.
pub fn consent_cell(value: &str) -> Option<&'static str> {
    match fold(value).as_str() {
        "ja" | "j" | "yes" | "y" | "x" | "1" | "true" | "wahr" | "granted" | "erteilt"
        | "opt-in" | "optin" | "angemeldet" | "subscribed" => Some("granted"),
        "nein" | "n" | "no" | "0" | "false" | "falsch" | "refused" | "abgelehnt" => Some("refused"),
        "widerrufen" | "withdrawn" | "abgemeldet" | "unsubscribed" | "opt-out" | "optout" => {
            Some("withdrawn")
        }
        _ => None,
    }
}

pub fn row_to_contact(headers: &[String], targets: &[Target], row: &[String]) -> RowDraft {
    let mut c = ContactData::default();
    let mut organization = None;
    let mut external_id = None;
    let mut unreadable = Vec::new();
    let mut consents = Vec::new();
    let mut address = Address::default();
    let mut house = None;
    let mut custom: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for (i, target) in targets.iter().enumerate() {
        let Some(value) = row.get(i).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        let v = Some(value.to_string());
        match target {
            Target::Salutation => c.salutation = v,
            Target::Title => c.title = v,
            Target::FirstName => c.first_name = v,
            Target::LastName => c.last_name = v,
            Target::FullName => {
                let (s, t, f, l) = split_name(value);
                c.salutation = c.salutation.take().or(s);
                c.title = c.title.take().or(t);
                c.first_name = c.first_name.take().or(f);
                c.last_name = c.last_name.take().or(l);
            }
            Target::Organization => organization = v,
            Target::JobTitle => c.job_title = v,
            Target::Department => c.department = v,
            Target::Email => c.emails.push(EmailEntry {
                address: value.to_string(),
                kind: Some("work".into()),
            }),
            Target::Phone => c.phones.insert(
                0,
                PhoneEntry {
                    number: value.to_string(),
                    kind: Some("work".into()),
                },
            ),
            Target::Mobile => c.phones.push(PhoneEntry {
                number: value.to_string(),
                kind: Some("mobile".into()),
            }),
            Target::Street => address.street = v,
            Target::HouseNumber => house = v,
            Target::Postcode => address.postcode = v,
            Target::City => address.city = v,
            Target::Country => address.country = Some(country_code(value)),
            Target::Birthday => match parse_date(value) {
                Some(d) => c.birthday = Some(d),
                None => unreadable.push((
                    headers.get(i).cloned().unwrap_or_default(),
                    crate::import_set_aside::SetAside {
                        field: "birthday".into(),
                        value: value.to_string(),
                        code: ErrorCode::InvalidDate,
                    },
                )),
            },
            Target::CustomerNumber => c.customer_number = v,
            Target::LeadSource => c.lead_source = v,
            Target::Notes => c.notes = v,
            Target::ExternalId => external_id = v,
            Target::Custom(key) => {
                custom.insert(key.clone(), serde_json::Value::String(value.to_string()));
            }
            Target::Consent(target) => {
                let column = headers.get(i).cloned().unwrap_or_default();
                match consent_cell(value) {
                    Some(status) => consents.push(ImportedConsent {
                        target: target.clone(),
                        status,
                        column,
                        value: value.to_string(),
                    }),
                    None => unreadable.push((
                        column,
                        crate::import_set_aside::SetAside {
                            field: format!("consent.{target}"),
                            value: value.to_string(),
                            code: ErrorCode::InvalidChoice,
                        },
                    )),
                }
            }
            Target::Ignore => {}
        }
    }
    if let (Some(street), Some(no)) = (&address.street, &house) {
        address.street = Some(format!("{street} {no}"));
    }
    if address.street.is_some() || address.postcode.is_some() || address.city.is_some() {
        address.kind = Some("work".into());
        c.addresses.push(address);
    }
    c.custom = custom;
    RowDraft {
        contact: c,
        organization,
        external_id,
        unreadable,
        consents,
    }
}

/// Country names people write, as ISO codes (the rest as given, validation judges).
fn country_code(name: &str) -> String {
    match fold(name).as_str() {
        "deutschland" | "germany" | "de" | "d" => "DE".into(),
        "osterreich" | "austria" | "at" | "a" => "AT".into(),
        "schweiz" | "switzerland" | "ch" => "CH".into(),
        _ => name.to_string(),
    }
}

/// Which column a validation error of the draft belongs to (`emails[0].address` →
/// the e-mail column), for the per-row report.
pub fn column_of(field: &str, headers: &[String], targets: &[Target]) -> Option<String> {
    let target = match field.split(['[', '.']).next().unwrap_or(field) {
        "first_name" => Target::FirstName,
        "last_name" => Target::LastName,
        "salutation" => Target::Salutation,
        "title" => Target::Title,
        "emails" => Target::Email,
        "phones" => Target::Phone,
        "birthday" => Target::Birthday,
        "customer_number" => Target::CustomerNumber,
        "job_title" => Target::JobTitle,
        "addresses" if field.ends_with("postcode") => Target::Postcode,
        "addresses" if field.ends_with("country") => Target::Country,
        "addresses" if field.ends_with("city") => Target::City,
        "addresses" => Target::Street,
        _ => return None,
    };
    let found = |t: &Target| {
        targets
            .iter()
            .position(|x| x == t)
            .and_then(|i| headers.get(i).cloned())
    };
    found(&target).or_else(|| match target {
        Target::FirstName | Target::LastName | Target::Title | Target::Salutation => {
            found(&Target::FullName)
        }
        Target::Phone => found(&Target::Mobile),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn german_and_english_headers_are_understood() {
        let t = suggest(&s(&[
            "Anrede",
            "Vorname",
            "Name",
            "Firma",
            "Straße",
            "Hausnr.",
            "PLZ",
            "Ort",
            "E-Mail",
            "Mobil",
            "Geburtstag",
            "Kundennummer",
            "Lieblingsfarbe",
        ]));
        assert_eq!(
            t,
            vec![
                Target::Salutation,
                Target::FirstName,
                Target::LastName,
                Target::Organization,
                Target::Street,
                Target::HouseNumber,
                Target::Postcode,
                Target::City,
                Target::Email,
                Target::Mobile,
                Target::Birthday,
                Target::CustomerNumber,
                Target::Ignore
            ]
        );
        assert_eq!(
            suggest(&s(&["Name", "E-mail 1 - Value"])),
            vec![Target::FullName, Target::Email]
        );
        assert_eq!(
            suggest(&s(&["First Name", "Last Name", "Email", "Email"]))[3],
            Target::Ignore
        );
    }

    #[test]
    fn names_dates_and_addresses_are_read_as_people_write_them() {
        assert_eq!(
            split_name("Herr Dr. Hans-Peter Müller"),
            (
                Some("Herr".into()),
                Some("Dr.".into()),
                Some("Hans-Peter".into()),
                Some("Müller".into())
            )
        );
        assert_eq!(
            split_name("Müller, Jörg"),
            (None, None, Some("Jörg".into()), Some("Müller".into()))
        );
        assert_eq!(
            parse_date("24.12.1980"),
            NaiveDate::from_ymd_opt(1980, 12, 24)
        );
        assert_eq!(
            parse_date("1980-12-24"),
            NaiveDate::from_ymd_opt(1980, 12, 24)
        );
        assert_eq!(parse_date("31.02.1980"), None);
        let headers = s(&[
            "Name",
            "Straße",
            "Hausnr.",
            "PLZ",
            "Ort",
            "Land",
            "Geburtstag",
        ]);
        let targets = suggest(&headers);
        let d = row_to_contact(
            &headers,
            &targets,
            &s(&[
                "Müller, Jörg",
                "Hauptstr.",
                "5a",
                "10115",
                "Berlin",
                "Deutschland",
                "kein Datum",
            ]),
        );
        assert_eq!(
            d.contact.addresses[0].street.as_deref(),
            Some("Hauptstr. 5a")
        );
        assert_eq!(d.contact.addresses[0].country.as_deref(), Some("DE"));
        assert_eq!(
            d.unreadable,
            vec![(
                "Geburtstag".to_string(),
                crate::import_set_aside::SetAside {
                    field: "birthday".into(),
                    value: "kein Datum".into(),
                    code: ErrorCode::InvalidDate
                }
            )]
        );
        assert_eq!(parse_date("19560409"), NaiveDate::from_ymd_opt(1956, 4, 9));
        assert_eq!(parse_date("19551192"), None);
        assert_eq!(parse_date("1956040"), None);
        assert_eq!(column_of("emails[0].address", &headers, &targets), None);
        assert_eq!(
            column_of("addresses[0].postcode", &headers, &targets).as_deref(),
            Some("PLZ")
        );
        assert_eq!(
            column_of("last_name", &headers, &targets).as_deref(),
            Some("Name")
        );
    }
}
