//! CSV as spreadsheets read it: German Excel expects `;` and a byte order mark to take
//! the file as UTF-8; English Excel and most tools expect `,`.

use kartei_core::i18n::Lang;

pub const BOM: &str = "\u{feff}";

/// The field separator for a language's spreadsheets.
pub fn delimiter(lang: Lang) -> char {
    match lang {
        Lang::De => ';',
        Lang::En => ',',
    }
}

/// Characters a spreadsheet reads as the start of a formula.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell`, after any guard quotes, starts like a formula, and how many guard
/// quotes it has.
fn formula_start(cell: &str) -> (bool, usize) {
    let rest = cell.trim_start_matches('\'');
    (rest.starts_with(FORMULA_START), cell.len() - rest.len())
}

/// A cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+SUM(1)*cmd|…`),
/// written with a leading `'` so Excel and LibreOffice show it as text. Plain numbers
/// (`-12,50`, `+49 30 1234567`) stay as they are: they cannot call anything. A cell
/// that starts with such quotes itself gets one more, so that reading, which takes off
/// one, gives back what was written.
fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    let number_like = cell
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || ".,+-/()".contains(c));
    match formula_start(cell) {
        (true, quotes) if quotes > 0 || !number_like => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The text of a cell written by [`line`]: the guard quote taken off again.
pub fn unguard_formula(cell: String) -> String {
    match formula_start(&cell) {
        (true, quotes) if quotes > 0 => cell[1..].to_string(),
        _ => cell,
    }
}

/// One CSV line (RFC 4180 quoting, CRLF), fields quoted only when they must be, and
/// cells that would be formulas guarded as text.
pub fn line(fields: &[String], delimiter: char) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let f = guard_formula(f);
        if f.contains([delimiter, '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let f = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            line(&f(&["Müller", "Hauptstr. 1"]), ';'),
            "Müller;Hauptstr. 1\r\n"
        );
        assert_eq!(
            line(&f(&["a;b", "sagt \"hallo\"", "zwei\nZeilen"]), ';'),
            "\"a;b\";\"sagt \"\"hallo\"\"\";\"zwei\nZeilen\"\r\n"
        );
        assert_eq!(line(&f(&["1,5", "x"]), ';'), "1,5;x\r\n");
        assert_eq!(line(&f(&["1,5", "x"]), ','), "\"1,5\",x\r\n");
    }

    #[test]
    fn formulas_are_written_as_text_and_read_back_unchanged() {
        let cells = [
            "=HYPERLINK(\"http://evil.example\",\"klick\")",
            "+SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1)",
            "\t=1",
        ];
        for cell in cells {
            let written = line(&[cell.to_string()], ';');
            let read = crate::csv_read::parse(&written, ';');
            assert_eq!(read[0][0], cell, "{written:?}");
            let raw = written.trim_start_matches('"');
            assert!(raw.starts_with('\''), "{written:?}");
        }
        for number in ["-12,50", "+49 30 1234567", "-5"] {
            assert_eq!(line(&[number.to_string()], ';'), format!("{number}\r\n"));
        }
        // A name that begins with a quote keeps it.
        let read = crate::csv_read::parse(&line(&["'s Hertogenbosch".to_string()], ';'), ';');
        assert_eq!(read[0][0], "'s Hertogenbosch");
    }
}
