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

/// One CSV line (RFC 4180 quoting, CRLF), fields quoted only when they must be.
pub fn line(fields: &[String], delimiter: char) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        if f.contains([delimiter, '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
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
}
