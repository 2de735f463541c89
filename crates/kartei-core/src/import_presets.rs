//! Built-in column mappings for the CSV exports of other CRMs and address books: the
//! header as the export writes it, and what it holds (a [`crate::import::Target`] by its
//! name). Headers not listed keep their suggested meaning.

/// A named mapping: (key, display name, [(header, target name)]).
pub struct Preset {
    pub key: &'static str,
    pub name: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
}

pub const PRESETS: &[Preset] = &[
    Preset {
        key: "pipedrive",
        name: "Pipedrive",
        columns: &[
            ("Person - ID", "external_id"),
            ("Person - Name", "ignore"),
            ("Person - First name", "first_name"),
            ("Person - Last name", "last_name"),
            ("Person - Email - Work", "email"),
            ("Person - Email - Home", "email"),
            ("Person - Email - Other", "email"),
            ("Person - Phone - Work", "phone"),
            ("Person - Phone - Home", "phone"),
            ("Person - Phone - Mobile", "mobile"),
            ("Person - Phone - Other", "phone"),
            ("Person - Organization", "organization"),
            ("Person - Job title", "job_title"),
            ("Person - Birthday", "birthday"),
            ("Person - Notes", "notes"),
        ],
    },
    Preset {
        key: "hubspot",
        name: "HubSpot",
        columns: &[
            ("Record ID", "external_id"),
            ("First Name", "first_name"),
            ("Last Name", "last_name"),
            ("Email", "email"),
            ("Phone Number", "phone"),
            ("Mobile Phone Number", "mobile"),
            ("Company Name", "organization"),
            ("Job Title", "job_title"),
            ("Street Address", "street"),
            ("City", "city"),
            ("Postal Code", "postcode"),
            ("Country/Region", "country"),
            ("Original Source", "lead_source"),
            ("Date of birth", "birthday"),
        ],
    },
    Preset {
        key: "zoho",
        name: "Zoho CRM",
        columns: &[
            ("Record Id", "external_id"),
            ("Contact Id", "external_id"),
            ("Salutation", "salutation"),
            ("First Name", "first_name"),
            ("Last Name", "last_name"),
            ("Account Name", "organization"),
            ("Email", "email"),
            ("Secondary Email", "email"),
            ("Phone", "phone"),
            ("Mobile", "mobile"),
            // Zoho's "Title" is the job title.
            ("Title", "job_title"),
            ("Department", "department"),
            ("Mailing Street", "street"),
            ("Mailing City", "city"),
            ("Mailing Zip", "postcode"),
            ("Mailing Country", "country"),
            ("Date of Birth", "birthday"),
            ("Lead Source", "lead_source"),
            ("Description", "notes"),
        ],
    },
    Preset {
        key: "salesforce",
        name: "Salesforce",
        columns: &[
            // Report exports use labels, data exports the API names.
            ("Contact ID", "external_id"),
            ("Id", "external_id"),
            ("Salutation", "salutation"),
            ("First Name", "first_name"),
            ("FirstName", "first_name"),
            ("Last Name", "last_name"),
            ("LastName", "last_name"),
            ("Title", "job_title"),
            ("Account Name", "organization"),
            ("Department", "department"),
            ("Email", "email"),
            ("Phone", "phone"),
            ("Mobile", "mobile"),
            ("MobilePhone", "mobile"),
            ("Mailing Street", "street"),
            ("MailingStreet", "street"),
            ("Mailing City", "city"),
            ("MailingCity", "city"),
            ("Mailing Zip/Postal Code", "postcode"),
            ("MailingPostalCode", "postcode"),
            ("Mailing Country", "country"),
            ("MailingCountry", "country"),
            ("Birthdate", "birthday"),
            ("Lead Source", "lead_source"),
            ("LeadSource", "lead_source"),
            ("Description", "notes"),
        ],
    },
    Preset {
        key: "centralstationcrm",
        name: "CentralStationCRM",
        columns: &[
            ("ID", "external_id"),
            ("Anrede", "salutation"),
            ("Titel", "title"),
            ("Vorname", "first_name"),
            ("Nachname", "last_name"),
            ("Firma", "organization"),
            ("Position", "job_title"),
            ("E-Mail", "email"),
            ("Telefon", "phone"),
            ("Mobil", "mobile"),
            ("Straße", "street"),
            ("PLZ", "postcode"),
            ("Ort", "city"),
            ("Land", "country"),
            ("Geburtstag", "birthday"),
            ("Hintergrundinfo", "notes"),
        ],
    },
    Preset {
        key: "google",
        name: "Google Contacts",
        columns: &[
            // Given and family name are there; the display name repeats them.
            ("Name", "ignore"),
            ("Given Name", "first_name"),
            ("First Name", "first_name"),
            ("Family Name", "last_name"),
            ("Last Name", "last_name"),
            ("Name Prefix", "title"),
            ("E-mail 1 - Value", "email"),
            ("E-mail 2 - Value", "email"),
            ("E-mail 3 - Value", "email"),
            ("Phone 1 - Value", "phone"),
            ("Phone 2 - Value", "phone"),
            ("Phone 3 - Value", "phone"),
            ("Organization 1 - Name", "organization"),
            ("Organization Name", "organization"),
            ("Organization 1 - Title", "job_title"),
            ("Organization Title", "job_title"),
            ("Organization 1 - Department", "department"),
            ("Organization Department", "department"),
            ("Address 1 - Street", "street"),
            ("Address 1 - City", "city"),
            ("Address 1 - Postal Code", "postcode"),
            ("Address 1 - Country", "country"),
            ("Birthday", "birthday"),
            ("Notes", "notes"),
        ],
    },
];

/// The built-in preset with this key.
pub fn preset(key: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.key.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Target;

    #[test]
    fn every_target_of_every_preset_is_known() {
        for p in PRESETS {
            for (header, target) in p.columns {
                let parsed: Result<Target, _> = serde_json::from_value(serde_json::json!(target));
                assert!(parsed.is_ok(), "{}: {header} → {target}", p.key);
            }
        }
        assert_eq!(preset("HubSpot").map(|p| p.name), Some("HubSpot"));
        assert!(preset("unknown").is_none());
    }
}
