//! Bank details: IBAN and BIC, a sensitive field (masked for roles that may not see it).

use crate::validation::ErrorCode;

/// IBAN lengths per country (SEPA area and frequent partners).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TR", 26),
    ("VA", 22),
];

/// Checks length and ISO 7064 check digits; accepts any case and spaces, returns the
/// compact upper-case form.
pub fn normalise_iban(input: &str) -> Result<String, ErrorCode> {
    let iban: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if iban.len() < 5 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ErrorCode::InvalidIban);
    }
    let country = &iban[..2];
    let expected = IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, l)| *l)
        .ok_or(ErrorCode::InvalidIban)?;
    if iban.len() != expected || !iban[2..4].chars().all(|c| c.is_ascii_digit()) {
        return Err(ErrorCode::InvalidIban);
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36).ok_or(ErrorCode::InvalidIban)?;
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    if remainder == 1 {
        Ok(iban)
    } else {
        Err(ErrorCode::InvalidIban)
    }
}

/// BIC: 4 letters bank, 2 letters country, 2 alphanumerics location, optional 3 branch.
pub fn normalise_bic(input: &str) -> Result<String, ErrorCode> {
    let bic: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let ok = matches!(bic.len(), 8 | 11)
        && bic[..6].chars().all(|c| c.is_ascii_alphabetic())
        && bic[6..].chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(bic)
    } else {
        Err(ErrorCode::InvalidBic)
    }
}

/// Shows country and the last two digits only: enough to recognise an account.
pub fn mask_iban(iban: &str) -> String {
    let n = iban.chars().count();
    iban.chars()
        .enumerate()
        .map(|(i, c)| if i < 2 || i + 2 >= n { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_check_digits() {
        assert_eq!(
            normalise_iban("de89 3704 0044 0532 0130 00").unwrap(),
            "DE89370400440532013000"
        );
        assert_eq!(
            normalise_iban("DE89370400440532013001"),
            Err(ErrorCode::InvalidIban)
        );
        assert_eq!(
            normalise_iban("DE8937040044053201300"),
            Err(ErrorCode::InvalidIban)
        );
        assert_eq!(
            normalise_iban("AT611904300234573201").unwrap(),
            "AT611904300234573201"
        );
        assert_eq!(
            normalise_iban("XX89370400440532013000"),
            Err(ErrorCode::InvalidIban)
        );
    }

    #[test]
    fn bic_and_mask() {
        assert_eq!(normalise_bic("cobadeffxxx").unwrap(), "COBADEFFXXX");
        assert!(normalise_bic("COBA").is_err());
        assert_eq!(
            mask_iban("DE89370400440532013000"),
            "DE******************00"
        );
    }
}

/// A record's bank account.
#[derive(
    Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields, default)]
pub struct BankDetails {
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub account_holder: Option<String>,
}

impl BankDetails {
    pub fn normalise(self, check: &mut crate::validation::Checker) -> Option<Self> {
        let details = BankDetails {
            iban: check.normalise("bank.iban", self.iban, normalise_iban),
            bic: check.normalise("bank.bic", self.bic, normalise_bic),
            account_holder: check.text("bank.account_holder", self.account_holder, 100),
        };
        (details != BankDetails::default()).then_some(details)
    }

    #[must_use]
    pub fn masked(self) -> Self {
        BankDetails {
            iban: self.iban.as_deref().map(mask_iban),
            ..self
        }
    }
}
