//! vCard 4.0 (RFC 6350) for contacts, as phones and mail programs import them. The UID
//! is the contact's id, so a re-import or a sync recognises the same person.

use chrono::{DateTime, Utc};
use kartei_core::contact::ContactData;
use uuid::Uuid;

/// Escapes a text value: backslash, comma, semicolon and line breaks.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

fn kind_type(kind: Option<&str>) -> &'static str {
    match kind {
        Some("private") => "home",
        Some("mobile") => "cell",
        Some("fax") => "fax",
        _ => "work",
    }
}

/// One contact as a vCard; `organization` is the linked organisation's name.
pub fn contact(
    id: Uuid,
    data: &ContactData,
    organization: Option<&str>,
    tags: &[String],
    updated_at: DateTime<Utc>,
) -> String {
    let mut lines = vec![
        "BEGIN:VCARD".to_string(),
        "VERSION:4.0".to_string(),
        format!("UID:urn:uuid:{id}"),
    ];
    let name = [
        data.title.as_deref(),
        data.first_name.as_deref(),
        data.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let formatted = if name.is_empty() {
        organization.unwrap_or_default().to_string()
    } else {
        name
    };
    lines.push(format!("FN:{}", escape(&formatted)));
    let component = |v: Option<&str>| escape(v.unwrap_or_default());
    lines.push(format!(
        "N:{};{};;{};",
        component(data.last_name.as_deref()),
        component(data.first_name.as_deref()),
        component(data.title.as_deref())
    ));
    if let Some(org) = organization {
        let dept = data
            .department
            .as_deref()
            .map(|d| format!(";{}", escape(d)))
            .unwrap_or_default();
        lines.push(format!("ORG:{}{dept}", escape(org)));
    }
    if let Some(t) = &data.job_title {
        lines.push(format!("TITLE:{}", escape(t)));
    }
    for (i, e) in data.emails.iter().enumerate() {
        let pref = if i == 0 { ";PREF=1" } else { "" };
        lines.push(format!(
            "EMAIL;TYPE={}{pref}:{}",
            kind_type(e.kind.as_deref()),
            e.address
        ));
    }
    for (i, p) in data.phones.iter().enumerate() {
        let pref = if i == 0 { ";PREF=1" } else { "" };
        let kind = match kind_type(p.kind.as_deref()) {
            "cell" => "cell",
            "fax" => "fax",
            other => {
                if other == "home" {
                    "home,voice"
                } else {
                    "work,voice"
                }
            }
        };
        lines.push(format!(
            "TEL;VALUE=uri;TYPE=\"{kind}\"{pref}:tel:{}",
            p.number
        ));
    }
    for a in &data.addresses {
        lines.push(format!(
            "ADR;TYPE={}:;{};{};{};;{};{}",
            kind_type(a.kind.as_deref()),
            component(a.extra.as_deref()),
            component(a.street.as_deref()),
            component(a.city.as_deref()),
            component(a.postcode.as_deref()),
            component(a.country.as_deref()),
        ));
    }
    if let Some(b) = data.birthday {
        lines.push(format!("BDAY:{}", b.format("%Y%m%d")));
    }
    if let Some(g) = data.gender.as_deref() {
        lines.push(format!(
            "GENDER:{}",
            match g {
                "female" => "F",
                "male" => "M",
                _ => "O",
            }
        ));
    }
    if let Some(l) = &data.language {
        lines.push(format!("LANG:{l}"));
    }
    if !tags.is_empty() {
        lines.push(format!(
            "CATEGORIES:{}",
            tags.iter().map(|t| escape(t)).collect::<Vec<_>>().join(",")
        ));
    }
    if let Some(n) = &data.notes {
        lines.push(format!("NOTE:{}", escape(n)));
    }
    lines.push(format!("REV:{}", updated_at.format("%Y%m%dT%H%M%SZ")));
    lines.push("END:VCARD".to_string());
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_becomes_a_valid_vcard() {
        let data: ContactData = serde_json::from_value(serde_json::json!({
            "title": "Dr.", "first_name": "Jörg", "last_name": "Müller", "job_title": "Einkauf, Süd",
            "emails": [{"address": "joerg@beispiel.de", "kind": "work"}], "phones": [{"number": "+491712345678", "kind": "mobile"}],
            "addresses": [{"street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin", "country": "DE"}],
            "birthday": "1980-12-24", "notes": "Mag Kaffee; keinen Tee\\nRückruf"
        }))
        .unwrap();
        let id = Uuid::nil();
        let card = contact(
            id,
            &data,
            Some("Bäckerei Schäfer GmbH"),
            &["VIP".into()],
            DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        );
        assert!(card.starts_with(
            "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:00000000-0000-0000-0000-000000000000\r\n"
        ));
        assert!(card.contains("FN:Dr. Jörg Müller\r\n"));
        assert!(card.contains("N:Müller;Jörg;;Dr.;\r\n"));
        assert!(card.contains("TITLE:Einkauf\\, Süd\r\n"));
        assert!(card.contains("TEL;VALUE=uri;TYPE=\"cell\";PREF=1:tel:+491712345678\r\n"));
        assert!(card.contains("ADR;TYPE=work:;;Hauptstraße 1;Berlin;;10115;DE\r\n"));
        assert!(card.contains("BDAY:19801224\r\n"));
        assert!(card.contains("NOTE:Mag Kaffee\\; keinen Tee\\\\nRückruf\r\n"));
        assert!(card.ends_with("END:VCARD\r\n"));
        for line in card.split("\r\n") {
            assert!(line.len() <= 76, "folded: {line}");
        }
    }

    #[test]
    fn long_lines_fold_between_characters() {
        let folded = fold(&format!("NOTE:{}", "ä".repeat(60)));
        for part in folded.split("\r\n") {
            assert!(part.len() <= 76);
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("NOTE:{}\r\n", "ä".repeat(60))
        );
    }
}
