//! Phone numbers, stored as E.164 (`+493012345678`).
//!
//! A number without an international prefix is read in the configured default region
//! (Germany unless configured otherwise): its trunk prefix `0` is replaced by the
//! region's calling code. The checks are those of E.164 itself (country code, at most
//! 15 digits); per-operator numbering plans are not modelled.

use crate::validation::ErrorCode;

/// Regions a default can be set to: ISO code, calling code, national trunk prefix.
const REGIONS: &[(&str, &str, Option<&str>)] = &[
    ("DE", "49", Some("0")),
    ("AT", "43", Some("0")),
    ("CH", "41", Some("0")),
    ("LI", "423", None),
    ("LU", "352", None),
    ("NL", "31", Some("0")),
    ("BE", "32", Some("0")),
    ("FR", "33", Some("0")),
    ("IT", "39", None),
    ("ES", "34", None),
    ("PL", "48", None),
    ("CZ", "420", None),
    ("DK", "45", None),
    ("SE", "46", Some("0")),
    ("GB", "44", Some("0")),
    ("IE", "353", Some("0")),
    ("US", "1", Some("1")),
    ("CA", "1", Some("1")),
];

/// Whether `region` can be a default region.
pub fn is_supported_region(region: &str) -> bool {
    REGIONS.iter().any(|(r, _, _)| *r == region)
}

fn region(code: &str) -> Option<(&'static str, Option<&'static str>)> {
    REGIONS
        .iter()
        .find(|(r, _, _)| *r == code)
        .map(|(_, cc, trunk)| (*cc, *trunk))
}

/// Parses a phone number in any usual notation ("030 / 123 45-67", "+49 (0)30 1234567",
/// "0049 30 1234567") into E.164.
pub fn to_e164(input: &str, default_region: &str) -> Result<String, ErrorCode> {
    let trimmed = input.trim();
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-/().\u{a0}".contains(c)))
    {
        return Err(ErrorCode::InvalidPhone);
    }
    let international = if let Some(rest) = trimmed.strip_prefix('+') {
        // "+49 (0)30 ..." : the bracketed trunk zero is a common German notation.
        Some(rest.replacen("(0)", "", 1))
    } else {
        trimmed
            .strip_prefix("00")
            .map(|rest| rest.replacen("(0)", "", 1))
    };
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let e164_digits = match international {
        Some(rest) => digits(&rest),
        None => {
            let (calling_code, trunk) = region(default_region).ok_or(ErrorCode::InvalidPhone)?;
            let national = digits(trimmed);
            let national = match trunk {
                Some(t) => national
                    .strip_prefix(t)
                    .ok_or(ErrorCode::InvalidPhone)?
                    .to_string(),
                None => national,
            };
            format!("{calling_code}{national}")
        }
    };
    if e164_digits.starts_with('0') || !(8..=15).contains(&e164_digits.len()) {
        return Err(ErrorCode::InvalidPhone);
    }
    Ok(format!("+{e164_digits}"))
}

/// The digits to look up when a user searches for a phone number: the E.164 digits when
/// the input reads as a full number, else the bare digits as typed (a partial number).
pub fn search_digits(input: &str, default_region: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 3 {
        return None;
    }
    let trimmed = input.trim();
    let reads_as_number = trimmed.starts_with('+') || trimmed.starts_with('0');
    if reads_as_number {
        // A partial number with a trunk prefix still maps onto the E.164 prefix.
        let padded = to_e164_prefix(trimmed, default_region);
        if let Some(p) = padded {
            return Some(p);
        }
    }
    Some(digits)
}

fn to_e164_prefix(input: &str, default_region: &str) -> Option<String> {
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if input.starts_with('+') {
        return Some(digits);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return Some(rest.to_string());
    }
    let (calling_code, trunk) = region(default_region)?;
    let national = match trunk {
        Some(t) => digits.strip_prefix(t)?,
        None => &digits,
    };
    Some(format!("{calling_code}{national}"))
}

/// Calling codes of one and two digits (ITU-T E.164 assignments); every other code
/// has three. Codes are prefix-free, so this is enough to split any E.164 number.
const SHORT_CALLING_CODES: &[&str] = &[
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// The country code and the national number of an E.164 number.
fn split_calling_code(digits: &str) -> Option<(&str, &str)> {
    let len = SHORT_CALLING_CODES
        .iter()
        .find(|c| digits.starts_with(*c))
        .map_or(3, |c| c.len());
    (digits.len() > len).then(|| digits.split_at(len))
}

/// The length of the area or network code of a national number, where it is certain;
/// `None` leaves the national number in one piece rather than split it wrongly.
fn area_code_len(region: &str, national: &str) -> Option<usize> {
    let digit = |i: usize| national.as_bytes().get(i).copied();
    match region {
        // Mobile networks (15x, 16x, 17x), the four two-digit cities, the
        // three-digit codes that end in 1 (0221 Köln, 0711 Stuttgart …).
        "DE" => match (digit(0), digit(1), digit(2)) {
            (Some(b'1'), Some(b'5' | b'6' | b'7'), _) => Some(3),
            _ if ["30", "40", "69", "89"]
                .iter()
                .any(|c| national.starts_with(c)) =>
            {
                Some(2)
            }
            (Some(b'2'..=b'9'), Some(_), Some(b'1')) => Some(3),
            _ => None,
        },
        // Vienna is 1; mobile networks are 6xx.
        "AT" => match digit(0) {
            Some(b'1') => Some(1),
            Some(b'6') => Some(3),
            _ => None,
        },
        // Swiss numbers are a two-digit code and seven digits.
        "CH" if national.len() == 9 => Some(2),
        _ => None,
    }
}

/// An E.164 number as people read it: in the national notation for numbers of
/// `region` ("030 1234567"), else internationally with the country code apart
/// ("+44 2079460000"). Anything that is not E.164 is shown as it is.
pub fn display(e164: &str, region: &str) -> String {
    let Some(digits) = e164
        .strip_prefix('+')
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
    else {
        return e164.to_string();
    };
    let Some((calling_code, national)) = split_calling_code(digits) else {
        return e164.to_string();
    };
    let home = REGIONS
        .iter()
        .find(|(r, _, _)| *r == region)
        .filter(|(_, cc, _)| *cc == calling_code);
    let Some((_, _, trunk)) = home else {
        return format!("+{calling_code} {national}");
    };
    let trunk = trunk.unwrap_or("");
    match area_code_len(region, national) {
        Some(len) if national.len() > len + 2 => {
            let (area, rest) = national.split_at(len);
            format!("{trunk}{area} {rest}")
        }
        _ => format!("{trunk}{national}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_nationally_at_home_and_internationally_elsewhere() {
        for (e164, region, shown) in [
            ("+493012345678", "DE", "030 12345678"),
            ("+4915112345678", "DE", "0151 12345678"),
            ("+492211234567", "DE", "0221 1234567"),
            // An area code of unknown length stays in one piece.
            ("+4921311234567", "DE", "021311234567"),
            ("+4312345678", "AT", "01 2345678"),
            ("+41446681800", "CH", "044 6681800"),
            ("+493012345678", "AT", "+49 3012345678"),
            ("+442079460000", "DE", "+44 2079460000"),
            ("+12125550100", "DE", "+1 2125550100"),
            ("+35312345678", "DE", "+353 12345678"),
            ("+35212345", "LU", "12345"),
            ("0301234", "DE", "0301234"),
        ] {
            assert_eq!(display(e164, region), shown, "{e164} in {region}");
        }
    }

    #[test]
    fn german_notations_become_e164() {
        for input in [
            "030 1234567",
            "030/1234567",
            "(030) 123 45 67",
            "+49 30 1234567",
            "+49 (0)30 1234567",
            "0049 30 1234567",
            "030-123-4567",
        ] {
            assert_eq!(to_e164(input, "DE").unwrap(), "+49301234567", "{input}");
        }
        assert_eq!(to_e164("0171 2345678", "DE").unwrap(), "+491712345678");
        assert_eq!(to_e164("01 5123456", "AT").unwrap(), "+4315123456");
        assert_eq!(to_e164("+41 44 668 18 00", "DE").unwrap(), "+41446681800");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "abc",
            "123",
            "030 12",
            "+0 30 1234567",
            "030 1234567 ext. 5",
            "1234567",
        ] {
            assert_eq!(to_e164(bad, "DE"), Err(ErrorCode::InvalidPhone), "{bad}");
        }
    }

    #[test]
    fn search_digits_map_national_to_international() {
        assert_eq!(
            search_digits("0301234567", "DE").as_deref(),
            Some("49301234567")
        );
        assert_eq!(search_digits("+49 30 12", "DE").as_deref(), Some("493012"));
        assert_eq!(search_digits("1234567", "DE").as_deref(), Some("1234567"));
        assert_eq!(search_digits("12", "DE"), None);
    }
}
