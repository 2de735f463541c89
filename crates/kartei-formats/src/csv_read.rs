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

/// A Windows-1252 byte as the character it stands for.
fn cp1252(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        other => char::from(other),
    }
}

/// The text of a file, and the encoding it was found in.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => (
            bytes.iter().map(|&b| cp1252(b)).collect(),
            Encoding::Windows1252,
        ),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Finds a file's encoding by reading it through once (a file too large to hold need
/// not be held): UTF-8 if every byte sequence is valid, Windows-1252 from the first
/// that is not. `seen` hears every block read (to hash the file on the way).
pub fn detect_encoding(
    mut reader: impl std::io::Read,
    mut seen: impl FnMut(&[u8]),
) -> std::io::Result<Encoding> {
    let mut block = vec![0u8; 1 << 16];
    // The start of a character cut by the end of the previous block.
    let mut carry: Vec<u8> = Vec::new();
    let mut encoding = Encoding::Utf8;
    loop {
        let n = match reader.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        seen(&block[..n]);
        if encoding == Encoding::Windows1252 {
            continue;
        }
        carry.extend_from_slice(&block[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                carry.drain(..e.valid_up_to());
            }
            Err(_) => encoding = Encoding::Windows1252,
        }
    }
    if !carry.is_empty() {
        encoding = Encoding::Windows1252;
    }
    Ok(encoding)
}

/// Splits text into records of fields with `delimiter` (RFC 4180, line ends CRLF or LF).
pub fn parse(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut parser = Parser::new(delimiter);
    let mut records = Vec::new();
    parser.feed(text, &mut records);
    parser.finish(&mut records);
    records
}

/// A CSV parser fed text piece by piece; a record comes out when its line end arrives.
pub struct Parser {
    delimiter: char,
    record: Vec<String>,
    field: String,
    quoted: bool,
    /// A quote inside a quoted field: its end, or the first half of `""`.
    quote_seen: bool,
    /// A carriage return ended the last record; a line feed right after it belongs to it.
    after_cr: bool,
    /// Something of the current record has been read.
    any: bool,
}

impl Parser {
    pub fn new(delimiter: char) -> Parser {
        Parser {
            delimiter,
            record: Vec::new(),
            field: String::new(),
            quoted: false,
            quote_seen: false,
            after_cr: false,
            any: false,
        }
    }

    /// Reads `text`, adding the records it completes to `out`.
    pub fn feed(&mut self, text: &str, out: &mut Vec<Vec<String>>) {
        for c in text.chars() {
            self.push(c, out);
        }
    }

    /// Ends the text: a last record without a line end is added to `out`.
    pub fn finish(mut self, out: &mut Vec<Vec<String>>) {
        if self.any {
            self.end_record(out);
        }
    }

    fn push(&mut self, c: char, out: &mut Vec<Vec<String>>) {
        if std::mem::take(&mut self.after_cr) && c == '\n' {
            return;
        }
        if std::mem::take(&mut self.quote_seen) {
            if c == '"' {
                self.field.push('"');
                return;
            }
            // The quote closed the field; `c` is read as outside quotes.
            self.quoted = false;
        }
        self.any = true;
        if self.quoted {
            match c {
                '"' => self.quote_seen = true,
                other => self.field.push(other),
            }
            return;
        }
        match c {
            '"' if self.field.is_empty() => self.quoted = true,
            c if c == self.delimiter => self
                .record
                .push(crate::csv::unguard_formula(std::mem::take(&mut self.field))),
            '\n' | '\r' => {
                self.after_cr = c == '\r';
                self.end_record(out);
            }
            other => self.field.push(other),
        }
    }

    fn end_record(&mut self, out: &mut Vec<Vec<String>>) {
        self.record
            .push(crate::csv::unguard_formula(std::mem::take(&mut self.field)));
        self.any = false;
        let record = std::mem::take(&mut self.record);
        // Blank lines (a lone empty field) are not records.
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            out.push(record);
        }
    }
}

/// The records of CSV read from `reader` a line at a time, in a known encoding, so a
/// file of any length is read with the memory of a few lines.
pub struct Records<R> {
    reader: R,
    encoding: Encoding,
    /// `None` once the reader is at its end.
    parser: Option<Parser>,
    ready: std::collections::VecDeque<Vec<String>>,
    line: Vec<u8>,
    first: bool,
}

impl<R: std::io::BufRead> Records<R> {
    pub fn new(reader: R, encoding: Encoding, delimiter: char) -> Records<R> {
        Records {
            reader,
            encoding,
            parser: Some(Parser::new(delimiter)),
            ready: std::collections::VecDeque::new(),
            line: Vec::new(),
            first: true,
        }
    }
}

impl<R: std::io::BufRead> Iterator for Records<R> {
    type Item = std::io::Result<Vec<String>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut done = Vec::new();
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Some(Ok(record));
            }
            self.line.clear();
            let read = match self.reader.read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(e) => {
                    self.parser = None;
                    return Some(Err(e));
                }
            };
            if read == 0 {
                self.parser.take()?.finish(&mut done);
            } else {
                // A line feed is never part of a longer character in either encoding,
                // so every line decodes on its own.
                let mut bytes = self.line.as_slice();
                if std::mem::take(&mut self.first) {
                    bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
                }
                let text: std::borrow::Cow<'_, str> = match self.encoding {
                    Encoding::Utf8 => match std::str::from_utf8(bytes) {
                        Ok(t) => t.into(),
                        Err(e) => {
                            self.parser = None;
                            return Some(Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                e,
                            )));
                        }
                    },
                    Encoding::Windows1252 => {
                        bytes.iter().map(|&b| cp1252(b)).collect::<String>().into()
                    }
                };
                self.parser.as_mut()?.feed(&text, &mut done);
            }
            self.ready.extend(done.drain(..));
        }
    }
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
    fn records_stream_as_parse_reads_them() {
        let text = "\u{feff}Name;Notiz\r\n\"Müller, Jörg\";\"Zeile 1\r\nZeile \"\"2\"\"\"\r\n\r\nMeier;\r\nLetzte;Zeile";
        let whole = parse(text.trim_start_matches('\u{feff}'), ';');
        assert_eq!(whole.len(), 4);
        // A tiny buffer: lines arrive in pieces, quoted line breaks span reads.
        let reader = std::io::BufReader::with_capacity(3, text.as_bytes());
        let streamed: Vec<Vec<String>> = Records::new(reader, Encoding::Utf8, ';')
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(streamed, whole);
        // The same rows in Windows-1252.
        let latin: Vec<u8> = text
            .trim_start_matches('\u{feff}')
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert_eq!(
            detect_encoding(latin.as_slice(), |_| {}).unwrap(),
            Encoding::Windows1252
        );
        let streamed: Vec<Vec<String>> = Records::new(latin.as_slice(), Encoding::Windows1252, ';')
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(streamed, whole);
    }

    #[test]
    fn a_character_cut_by_a_block_end_is_still_utf8() {
        // "ü" is two bytes; the first block of 65,536 bytes ends between them.
        let mut text = "a".repeat((1 << 16) - 1);
        text.push_str("ü;x\n");
        let mut blocks = 0;
        let found = detect_encoding(text.as_bytes(), |_| blocks += 1).unwrap();
        assert_eq!((found, blocks), (Encoding::Utf8, 2));
        // A file ending in half a character is not UTF-8.
        let cut = &text.as_bytes()[..1 << 16];
        assert_eq!(detect_encoding(cut, |_| {}).unwrap(), Encoding::Windows1252);
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
