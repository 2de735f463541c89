//! Reading CSV as spreadsheets and other CRMs write it: UTF-8 with or without BOM, or
//! Windows-1252 / ISO-8859-1 (detected: text that is not valid UTF-8 is read as
//! Windows-1252, whose printable range includes all of ISO-8859-1), any of `;`, `,` or
//! tab as delimiter (detected), quoted fields with `""` escapes and line breaks inside.

/// Which encoding the bytes were read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

/// Windows-1252 characters 0x80–0x9F (where ISO-8859-1 has control codes).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The text of a file, and the encoding it was found in.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => (
            bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    other => char::from(other),
                })
                .collect(),
            Encoding::Windows1252,
        ),
    }
}

/// Splits text into records of fields with `delimiter` (RFC 4180, line ends CRLF or LF).
pub fn parse(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            c if c == delimiter => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            other => field.push(other),
        }
    }
    if any {
        record.push(field);
        records.push(record);
    }
    // Blank lines (a lone empty field) are not records.
    records.retain(|r| !(r.len() == 1 && r[0].trim().is_empty()));
    records
}

/// The delimiter of the file: the candidate that splits the first lines into the same
/// number of fields most often (more than one field).
pub fn detect_delimiter(text: &str) -> char {
    let sample: String = text.chars().take(20_000).collect();
    let mut best = (';', 0usize);
    for candidate in [';', ',', '\t'] {
        let rows = parse(&sample, candidate);
        let rows = &rows[..rows.len().min(20)];
        let Some(first) = rows.first() else { continue };
        let width = first.len();
        if width < 2 {
            continue;
        }
        let agreeing = rows.iter().filter(|r| r.len() == width).count();
        let score = agreeing * 1000 + width;
        if score > best.1 {
            best = (candidate, score);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_keeps_umlauts() {
        // "Müller;Straße;€" in Windows-1252
        let bytes = b"M\xfcller;Stra\xdfe;\x80";
        let (text, enc) = decode(bytes);
        assert_eq!(enc, Encoding::Windows1252);
        assert_eq!(text, "Müller;Straße;€");
        let (text, enc) = decode("\u{feff}Jörg".as_bytes());
        assert_eq!((text.as_str(), enc), ("Jörg", Encoding::Utf8));
    }

    #[test]
    fn quoted_fields_span_lines_and_escape_quotes() {
        let text = "Name;Notiz\r\n\"Müller, Jörg\";\"Zeile 1\nZeile \"\"2\"\"\"\r\n\r\nMeier;\n";
        assert_eq!(
            parse(text, ';'),
            vec![
                vec!["Name".to_string(), "Notiz".to_string()],
                vec![
                    "Müller, Jörg".to_string(),
                    "Zeile 1\nZeile \"2\"".to_string()
                ],
                vec!["Meier".to_string(), String::new()],
            ]
        );
    }

    #[test]
    fn the_delimiter_is_detected() {
        assert_eq!(detect_delimiter("Vorname;Nachname;Ort\nA;B;C\n"), ';');
        assert_eq!(
            detect_delimiter("First Name,Last Name,City\nA,B,\"C, D\"\n"),
            ','
        );
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3\n"), '\t');
        // Commas inside a German file's fields do not win over its semicolons.
        assert_eq!(
            detect_delimiter("Name;Firma\nMüller, Jörg;A, B und C GmbH\nX;Y\n"),
            ';'
        );
    }
}
