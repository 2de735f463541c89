//! Reading vCards (3.0 and 4.0, and the 2.1 that older phones write) into contact
//! drafts: folded lines, escapes, quoted-printable values, the usual properties.

use kartei_core::channels::{Address, EmailEntry, PhoneEntry};
use kartei_core::contact::ContactData;

/// A card as a contact draft, with what the contact itself cannot hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub contact: ContactData,
    pub organization: Option<String>,
    /// The card's UID, kept as the external id.
    pub uid: Option<String>,
    /// The formatted name, to name the card in reports.
    pub display: String,
}

/// Joins folded lines (a line break followed by a space or tab continues the line).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match (line.starts_with([' ', '\t']), lines.last_mut()) {
            (true, Some(last)) => last.push_str(&line[1..]),
            _ => lines.push(line.to_string()),
        }
    }
    // Quoted-printable soft line breaks: a value ending in "=" continues on the next line.
    let mut joined: Vec<String> = Vec::new();
    for line in lines {
        match joined.last_mut() {
            Some(last)
                if last.to_ascii_uppercase().contains("QUOTED-PRINTABLE")
                    && last.ends_with('=') =>
            {
                last.pop();
                last.push_str(&line);
            }
            _ => joined.push(line),
        }
    }
    joined
}

fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a structured value at unescaped `;`.
fn components(v: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in v.chars() {
        match (escaped, c) {
            (false, '\\') => {
                escaped = true;
                if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
                continue;
            }
            (false, ';') => parts.push(String::new()),
            _ => {
                if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
            }
        }
        escaped = false;
    }
    parts
        .iter()
        .map(|p| unescape(p).trim().to_string())
        .collect()
}

fn quoted_printable(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Digits are read as bytes: what follows `=` may be any character.
        let digit = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        if bytes[i] == b'=' {
            if let (Some(high), Some(low)) = (digit(i + 1), digit(i + 2)) {
                out.extend(u8::try_from(high * 16 + low));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn some(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Every card in the text; properties a contact has no place for are left out.
pub fn parse(text: &str) -> Vec<Card> {
    let mut cards = Vec::new();
    let mut current: Option<Card> = None;
    for line in unfold(text) {
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or("").to_ascii_uppercase();
        // Grouped properties ("item1.EMAIL") count as the property.
        let name = name.rsplit('.').next().unwrap_or("").to_string();
        let params: Vec<String> = params.map(str::to_ascii_uppercase).collect();
        let value = if params.iter().any(|p| p.contains("QUOTED-PRINTABLE")) {
            quoted_printable(value)
        } else {
            value.to_string()
        };
        let typed = |t: &str| params.iter().any(|p| p.contains(t));
        match name.as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VCARD") => {
                current = Some(Card {
                    contact: ContactData::default(),
                    organization: None,
                    uid: None,
                    display: String::new(),
                });
            }
            "END" if value.eq_ignore_ascii_case("VCARD") => {
                if let Some(card) = current.take() {
                    cards.push(card);
                }
            }
            _ => {
                let Some(card) = current.as_mut() else {
                    continue;
                };
                let c = &mut card.contact;
                match name.as_str() {
                    "N" => {
                        let n = components(&value);
                        c.last_name = n.first().and_then(|v| some(v));
                        c.first_name = n.get(1).and_then(|v| some(v));
                        c.title = n.get(3).and_then(|v| some(v));
                    }
                    "FN" => card.display = unescape(&value).trim().to_string(),
                    "ORG" => card.organization = components(&value).first().and_then(|v| some(v)),
                    "TITLE" => c.job_title = some(&unescape(&value)),
                    "EMAIL" => {
                        if let Some(address) = some(&value) {
                            let kind = if typed("HOME") { "private" } else { "work" };
                            c.emails.push(EmailEntry {
                                address,
                                kind: Some(kind.into()),
                            });
                        }
                    }
                    "TEL" => {
                        if let Some(number) = some(value.trim_start_matches("tel:")) {
                            let kind = if typed("CELL") {
                                "mobile"
                            } else if typed("FAX") {
                                "fax"
                            } else if typed("HOME") {
                                "private"
                            } else {
                                "work"
                            };
                            c.phones.push(PhoneEntry {
                                number,
                                kind: Some(kind.into()),
                            });
                        }
                    }
                    "ADR" => {
                        let a = components(&value);
                        let part = |i: usize| a.get(i).and_then(|v| some(v));
                        let address = Address {
                            kind: Some(if typed("HOME") { "private" } else { "work" }.into()),
                            street: part(2),
                            extra: part(1),
                            city: part(3),
                            postcode: part(5),
                            country: part(6).map(|c| match kartei_core::text::fold(&c).as_str() {
                                "deutschland" | "germany" => "DE".into(),
                                "osterreich" | "austria" => "AT".into(),
                                "schweiz" | "switzerland" => "CH".into(),
                                _ => c,
                            }),
                        };
                        if address.street.is_some()
                            || address.city.is_some()
                            || address.postcode.is_some()
                        {
                            c.addresses.push(address);
                        }
                    }
                    "BDAY" => {
                        let v = value.trim();
                        c.birthday = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                            .or_else(|_| chrono::NaiveDate::parse_from_str(v, "%Y%m%d"))
                            .ok();
                    }
                    "NOTE" => c.notes = some(&unescape(&value)),
                    "UID" => card.uid = some(value.trim_start_matches("urn:uuid:")),
                    _ => {}
                }
            }
        }
    }
    for card in &mut cards {
        if card.contact.first_name.is_none()
            && card.contact.last_name.is_none()
            && !card.display.is_empty()
        {
            card.contact.last_name = Some(card.display.clone());
        }
        if card.display.is_empty() {
            card.display = [
                card.contact.first_name.as_deref(),
                card.contact.last_name.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        }
    }
    cards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_of_phones_and_mail_programs_are_read() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Müller;Jörg;;Dr.;\r\nFN:Dr. Jörg Müller\r\nORG:Bäckerei Weiß GmbH;Vertrieb\r\n\
EMAIL;TYPE=INTERNET,WORK:joerg@mueller.de\r\nTEL;TYPE=CELL:+49 171 1234567\r\nADR;TYPE=WORK:;;Hauptstraße 5;Berlin;;10115;Deutschland\r\n\
BDAY:1980-12-24\r\nNOTE:Zeile 1\\nZeile 2 mit \\, Komma\r\nUID:urn:uuid:1234\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=84nne;=\r\n\r\nFN:Änne\r\nTEL;HOME:030 1234567\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Nur Ein Name\r\nEMAIL:nur@example.org\r\nNOTE:lang\r\n  fortgesetzt\r\nEND:VCARD\r\n";
        let cards = parse(text);
        assert_eq!(cards.len(), 3);
        let c = &cards[0].contact;
        assert_eq!(
            (
                c.first_name.as_deref(),
                c.last_name.as_deref(),
                c.title.as_deref()
            ),
            (Some("Jörg"), Some("Müller"), Some("Dr."))
        );
        assert_eq!(cards[0].organization.as_deref(), Some("Bäckerei Weiß GmbH"));
        assert_eq!(c.phones[0].kind.as_deref(), Some("mobile"));
        assert_eq!(c.addresses[0].street.as_deref(), Some("Hauptstraße 5"));
        assert_eq!(c.addresses[0].country.as_deref(), Some("DE"));
        assert_eq!(
            c.birthday.map(|d| d.to_string()).as_deref(),
            Some("1980-12-24")
        );
        assert_eq!(c.notes.as_deref(), Some("Zeile 1\nZeile 2 mit , Komma"));
        assert_eq!(cards[0].uid.as_deref(), Some("1234"));
        assert_eq!(cards[1].contact.last_name.as_deref(), Some("Änne"));
        assert_eq!(cards[1].contact.phones[0].kind.as_deref(), Some("private"));
        assert_eq!(cards[2].contact.last_name.as_deref(), Some("Nur Ein Name"));
        assert_eq!(cards[2].contact.notes.as_deref(), Some("lang fortgesetzt"));
    }
}
