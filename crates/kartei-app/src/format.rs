//! Dates, numbers and money in the reader's locale (de: `24.12.2026`, `1.234,56 €`;
//! en: `2026-12-24`, `€1,234.56`). Times are written in UTC here; the page script shows
//! them in the browser's time zone.

use chrono::{DateTime, NaiveDate, Utc};
use kartei_core::i18n::Lang;

pub fn date(d: Option<NaiveDate>, lang: Lang) -> String {
    d.map(|d| match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    })
    .unwrap_or_default()
}

/// The decimal separator of a language: `,` in German, `.` in English.
pub fn decimal_mark(lang: Lang) -> char {
    match lang {
        Lang::De => ',',
        Lang::En => '.',
    }
}

/// A rate in basis points as a percentage: `7,5 %` (de), `7.5%` (en).
pub fn percent_bp(bp: i64, lang: Lang) -> String {
    let number = kartei_core::decimal::format_scaled(bp, 2, decimal_mark(lang));
    match lang {
        Lang::De => format!("{number} %"),
        Lang::En => format!("{number}%"),
    }
}

pub fn timestamp(t: DateTime<Utc>, lang: Lang) -> String {
    match lang {
        Lang::De => t.format("%d.%m.%Y %H:%M UTC").to_string(),
        Lang::En => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// A moment in the reader's time zone (`offset_minutes` east of UTC):
/// `01.12.2026, 20:07` (de), `2026-12-01 20:07` (en).
pub fn local_timestamp(t: DateTime<Utc>, offset_minutes: i32, lang: Lang) -> String {
    let local = t + chrono::Duration::minutes(i64::from(offset_minutes));
    match lang {
        Lang::De => local.format("%d.%m.%Y, %H:%M").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// Groups thousands: 1.234.567 (de), 1,234,567 (en).
pub fn integer(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = lang.pick(".", ",");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Money from minor units and an ISO 4217 code, with two decimals.
pub fn money(minor: i64, currency: &str, lang: Lang) -> String {
    let whole = integer(minor / 100, lang);
    let whole = if minor < 0 && minor > -100 {
        format!("-{whole}")
    } else {
        whole
    };
    let cents = (minor % 100).unsigned_abs();
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "CHF" => "CHF",
        other => other,
    };
    match lang {
        Lang::De => format!("{whole},{cents:02} {symbol}"),
        Lang::En if symbol.len() > 1 && symbol.is_ascii() => format!("{symbol} {whole}.{cents:02}"),
        Lang::En => format!("{symbol}{whole}.{cents:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_write_numbers_their_way() {
        assert_eq!(integer(1_234_567, Lang::De), "1.234.567");
        assert_eq!(integer(-1_234, Lang::En), "-1,234");
        assert_eq!(integer(999, Lang::En), "999");
        assert_eq!(money(123_456, "EUR", Lang::De), "1.234,56 €");
        assert_eq!(money(123_456, "EUR", Lang::En), "€1,234.56");
        assert_eq!(money(-5, "EUR", Lang::De), "-0,05 €");
        assert_eq!(money(100_000, "CHF", Lang::En), "CHF 1,000.00");
        let d = NaiveDate::from_ymd_opt(2026, 12, 24);
        assert_eq!(date(d, Lang::De), "24.12.2026");
        assert_eq!(date(d, Lang::En), "2026-12-24");
    }
}
