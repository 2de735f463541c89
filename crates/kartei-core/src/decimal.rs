//! Decimal numbers as people type and read them, as scaled integers: money in minor
//! units (`1.234,56` → 123456 cents) and rates in basis points (`7,5` → 750). No float
//! touches an amount: a typed amount is split at the locale's decimal separator and
//! read as digits.

/// A decimal typed by a person, times 10^`scale`, as an integer: `1.234,56` with `,` as
/// the decimal separator and scale 2 is 123456. The locale's other separator groups
/// thousands (`1.234.567`, groups of three digits only); a single one of it followed by
/// one or two digits is read as a decimal point, since it cannot be a group
/// (`12.5` in German is 12,5). `None` for anything else: letters, more decimals than
/// `scale` (`12,999` cents cannot be stored), or a number too large.
pub fn parse_scaled(text: &str, decimal: char, scale: u32) -> Option<i64> {
    let group = if decimal == ',' { '.' } else { ',' };
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '\u{a0}')
        .collect();
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (whole, fraction) = match body.rsplit_once(decimal) {
        Some((w, f)) => (w, f),
        None => match body.split_once(group) {
            // One separator of the other kind before one or two digits: a decimal point.
            Some((w, f)) if !f.contains(group) && (1..=2).contains(&f.len()) => (w, f),
            _ => (body, ""),
        },
    };
    let whole = ungrouped(whole, group)?;
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) || fraction.len() > scale as usize {
        return None;
    }
    let mut digits = whole;
    digits.push_str(fraction);
    for _ in fraction.len()..scale as usize {
        digits.push('0');
    }
    let value: i64 = digits.parse().ok()?;
    // Amounts beyond this are typing errors, and stay exact in JSON numbers.
    if value >= 9_000_000_000_000_000 {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// Digits without their thousands separators; `None` when the groups are not of three.
fn ungrouped(whole: &str, group: char) -> Option<String> {
    let mut parts = whole.split(group);
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(first) || (!rest.is_empty() && (first.is_empty() || first.len() > 3)) {
        return None;
    }
    if rest.iter().any(|p| p.len() != 3 || !digits(p)) {
        return None;
    }
    Some(std::iter::once(first).chain(rest).collect())
}

/// A scaled integer as a decimal with the locale's separator and no grouping, trailing
/// zeros of the fraction dropped: 750 at scale 2 is `7,5`, 1900 is `19`.
pub fn format_scaled(value: i64, scale: u32, decimal: char) -> String {
    let unit = 10i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let whole = (value / unit).unsigned_abs();
    let fraction = (value % unit).unsigned_abs();
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{fraction:0width$}", width = scale as usize);
    format!("{sign}{whole}{decimal}{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_amounts_read_with_comma_and_grouping_dots() {
        assert_eq!(parse_scaled("1.234,56", ',', 2), Some(123_456));
        assert_eq!(parse_scaled("12,9", ',', 2), Some(1290));
        assert_eq!(parse_scaled("1.234", ',', 2), Some(123_400));
        assert_eq!(parse_scaled("1.234.567", ',', 2), Some(123_456_700));
        assert_eq!(parse_scaled(" -3 ", ',', 2), Some(-300));
        assert_eq!(parse_scaled("12.5", ',', 2), Some(1250));
        assert_eq!(parse_scaled(",5", ',', 2), Some(50));
    }

    #[test]
    fn english_amounts_read_with_point_and_grouping_commas() {
        assert_eq!(parse_scaled("1,234.56", '.', 2), Some(123_456));
        assert_eq!(parse_scaled("1,234", '.', 2), Some(123_400));
        assert_eq!(parse_scaled("0.07", '.', 2), Some(7));
        assert_eq!(parse_scaled("12,5", '.', 2), Some(1250));
    }

    #[test]
    fn what_is_not_an_amount_is_refused_not_rounded() {
        for bad in [
            "",
            "-",
            "zwölf",
            "12,999",
            "1.23.4",
            "12,34,56",
            "1..2",
            "9999999999999999999",
            "1,2,3",
        ] {
            assert_eq!(parse_scaled(bad, ',', 2), None, "{bad}");
        }
        // Large amounts stay exact (a float would lose the cent).
        assert_eq!(
            parse_scaled("12.345.678.901.234,57", ',', 2),
            Some(1_234_567_890_123_457)
        );
    }

    #[test]
    fn scaled_values_print_in_the_locale() {
        assert_eq!(format_scaled(750, 2, ','), "7,5");
        assert_eq!(format_scaled(1900, 2, ','), "19");
        assert_eq!(format_scaled(725, 2, '.'), "7.25");
        assert_eq!(format_scaled(-5, 2, ','), "-0,05");
        assert_eq!(parse_scaled(&format_scaled(-5, 2, ','), ',', 2), Some(-5));
    }
}
