//! Field-level validation errors with stable codes and messages in both languages.

use crate::i18n::Lang;
use serde::Serialize;

/// A stable, machine-readable reason why a field was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Required,
    NameRequired,
    TooLong,
    TooShort,
    InvalidEmail,
    InvalidPhone,
    InvalidIban,
    InvalidBic,
    InvalidPostcode,
    InvalidCountry,
    InvalidLanguage,
    InvalidChoice,
    InvalidType,
    InvalidDate,
    FutureDate,
    OutOfRange,
    /// A list holds more entries than a record may have (e-mails, phones, addresses).
    TooMany,
    UnknownField,
    UnknownReference,
    AlreadyExists,
    InvalidFilter,
    InvalidColor,
    InvalidKey,
    InvalidUrl,
    /// Two records that must differ are the same (merging a contact with itself).
    SameRecord,
    /// Something changed since, so the step cannot be taken back (undoing a merge).
    ChangedSince,
    /// The change would leave no administrator.
    LastAdmin,
}

impl ErrorCode {
    pub fn message(self, lang: Lang) -> &'static str {
        use ErrorCode as C;
        match self {
            C::Required => lang.pick("Dieses Feld ist erforderlich.", "This field is required."),
            C::NameRequired => lang.pick(
                "Bitte einen Vor- oder Nachnamen oder eine Organisation angeben.",
                "Please give a first or last name or an organisation.",
            ),
            C::TooLong => lang.pick("Der Text ist zu lang.", "The text is too long."),
            C::TooShort => lang.pick(
                "Zu kurz: mindestens 10 Zeichen.",
                "Too short: at least 10 characters.",
            ),
            C::InvalidEmail => lang.pick(
                "Keine gültige E-Mail-Adresse (Beispiel: name@firma.de, ohne Anzeigenamen).",
                "Not a valid e-mail address (example: name@company.com, without a display name).",
            ),
            C::InvalidPhone => lang.pick(
                "Keine gültige Telefonnummer (Beispiel: 030 1234567 oder +49 30 1234567).",
                "Not a valid phone number (example: +49 30 1234567).",
            ),
            C::InvalidIban => lang.pick(
                "Keine gültige IBAN: Länge oder Prüfziffer stimmt nicht.",
                "Not a valid IBAN: the length or the check digits are wrong.",
            ),
            C::InvalidBic => lang.pick(
                "Keine gültige BIC (8 oder 11 Zeichen).",
                "Not a valid BIC (8 or 11 characters).",
            ),
            C::InvalidPostcode => lang.pick(
                "Die Postleitzahl passt nicht zum Land.",
                "The postcode does not fit the country.",
            ),
            C::InvalidCountry => lang.pick(
                "Unbekannter Ländercode (zwei Buchstaben nach ISO 3166, z. B. DE).",
                "Unknown country code (two letters as in ISO 3166, e.g. DE).",
            ),
            C::InvalidLanguage => lang.pick(
                "Unbekannter Sprachcode (zwei Buchstaben, z. B. de).",
                "Unknown language code (two letters, e.g. en).",
            ),
            C::InvalidChoice => lang.pick(
                "Dieser Wert ist nicht zulässig.",
                "This value is not one of the allowed choices.",
            ),
            C::InvalidType => lang.pick(
                "Der Wert hat den falschen Typ.",
                "The value has the wrong type.",
            ),
            C::InvalidDate => lang.pick(
                "Kein gültiges Datum (JJJJ-MM-TT).",
                "Not a valid date (YYYY-MM-DD).",
            ),
            C::FutureDate => lang.pick(
                "Das Datum darf nicht in der Zukunft liegen.",
                "The date must not be in the future.",
            ),
            C::OutOfRange => lang.pick(
                "Der Wert liegt außerhalb des zulässigen Bereichs.",
                "The value is out of range.",
            ),
            C::TooMany => lang.pick(
                "Höchstens 20 Einträge je Liste.",
                "At most 20 entries per list.",
            ),
            C::UnknownField => lang.pick("Unbekanntes Feld.", "Unknown field."),
            C::UnknownReference => lang.pick(
                "Der verknüpfte Datensatz existiert nicht.",
                "The linked record does not exist.",
            ),
            C::AlreadyExists => lang.pick(
                "Dieser Wert ist bereits vergeben.",
                "This value is already taken.",
            ),
            C::InvalidFilter => lang.pick("Der Filter ist ungültig.", "The filter is invalid."),
            C::InvalidColor => lang.pick(
                "Keine gültige Farbe (Beispiel: #1e88e5).",
                "Not a valid colour (example: #1e88e5).",
            ),
            C::InvalidKey => lang.pick(
                "Nur Kleinbuchstaben, Ziffern und _ (mit einem Buchstaben beginnend).",
                "Only lower-case letters, digits and _ (starting with a letter).",
            ),
            C::InvalidUrl => lang.pick(
                "Keine gültige Web-Adresse (Beispiel: https://firma.de).",
                "Not a valid web address (example: https://company.com).",
            ),
            C::SameRecord => lang.pick(
                "Ein Datensatz kann nicht mit sich selbst zusammengeführt werden.",
                "A record cannot be merged with itself.",
            ),
            C::ChangedSince => lang.pick(
                "Seitdem wurde etwas geändert; das lässt sich nicht mehr rückgängig machen.",
                "Something changed since; this can no longer be undone.",
            ),
            C::LastAdmin => lang.pick(
                "Es muss ein Administrator bleiben; bitte zuerst einen anderen ernennen.",
                "There must be an administrator left; please make someone else one first.",
            ),
        }
    }
}

/// One rejected field: its path in the input (`emails[1].address`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

/// Collects every failing field of one input, so a user sees all problems at once.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn fail(&mut self, field: impl Into<String>, code: ErrorCode) {
        self.errors.push(FieldError::new(field, code));
    }

    /// Cleans optional text and checks its length in characters.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = crate::text::clean(value)?;
        if value.chars().count() > max {
            self.fail(field, ErrorCode::TooLong);
        }
        Some(value)
    }

    /// Cleans multi-line text (keeping its line breaks) and checks its length.
    pub fn long_text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = crate::text::clean_lines(value)?;
        if value.chars().count() > max {
            self.fail(field, ErrorCode::TooLong);
        }
        Some(value)
    }

    /// Keeps `value` when it is one of `allowed`.
    pub fn choice(
        &mut self,
        field: &str,
        value: Option<String>,
        allowed: &[&str],
    ) -> Option<String> {
        let value = crate::text::clean(value)?;
        if !allowed.contains(&value.as_str()) {
            self.fail(field, ErrorCode::InvalidChoice);
        }
        Some(value)
    }

    /// Applies a normaliser that may fail with a code.
    pub fn normalise<T>(
        &mut self,
        field: &str,
        value: Option<String>,
        f: impl FnOnce(&str) -> Result<T, ErrorCode>,
    ) -> Option<T> {
        let value = crate::text::clean(value)?;
        match f(&value) {
            Ok(v) => Some(v),
            Err(code) => {
                self.fail(field, code);
                None
            }
        }
    }

    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}
