//! Postal addresses: countries as ISO 3166 alpha-2, postcodes checked where the format is fixed.

use crate::validation::ErrorCode;

/// Checks a country code's form (two ASCII letters) and returns it in upper case.
pub fn normalise_country(input: &str) -> Result<String, ErrorCode> {
    let c = input.trim().to_ascii_uppercase();
    if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(ErrorCode::InvalidCountry)
    }
}

/// Germany has five-digit postcodes, Austria, Switzerland and Liechtenstein four;
/// other countries are only checked for a sensible length.
pub fn normalise_postcode(country: &str, input: &str) -> Result<String, ErrorCode> {
    let code = input.trim().to_uppercase();
    let digits_only = code.chars().all(|c| c.is_ascii_digit());
    let ok = match country {
        "DE" => code.len() == 5 && digits_only,
        "AT" | "CH" | "LI" => code.len() == 4 && digits_only && !code.starts_with('0'),
        _ => {
            (2..=10).contains(&code.len())
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        }
    };
    if ok {
        Ok(code)
    } else {
        Err(ErrorCode::InvalidPostcode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_per_country() {
        assert!(normalise_postcode("DE", "10115").is_ok());
        assert!(normalise_postcode("DE", "1011").is_err());
        assert!(normalise_postcode("DE", "1011A").is_err());
        assert!(normalise_postcode("AT", "1010").is_ok());
        assert!(normalise_postcode("AT", "10100").is_err());
        assert!(normalise_postcode("CH", "8001").is_ok());
        assert!(normalise_postcode("GB", "SW1A 1AA").is_ok());
        assert!(normalise_country("de").is_ok());
        assert!(normalise_country("Deutschland").is_err());
    }
}
