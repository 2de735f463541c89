//! Keys and a pairwise score for finding the same person twice: German-aware (Kölner
//! Phonetik, umlauts, nicknames, legal forms, street abbreviations), and explained: each
//! score comes with the reasons a user can check.
//!
//! Groundwork for duplicate detection; the weights are starting values until the quality
//! benchmark of the duplicates feature measures precision and recall.

use crate::channels::{EmailEntry, PhoneEntry};
use crate::contact::ContactData;
use crate::i18n::Lang;
use crate::text::{fold, word_tokens};
use serde::{Deserialize, Serialize};

/// Kölner Phonetik: names that sound alike in German get the same digits
/// ("Meier", "Mayer", "Maier" → "67"; "Schmidt", "Schmitt" → "862").
pub fn cologne_phonetic(name: &str) -> String {
    let letters: Vec<char> = name
        .chars()
        .flat_map(|c| match c {
            'ä' | 'Ä' => vec!['A'],
            'ö' | 'Ö' => vec!['O'],
            'ü' | 'Ü' => vec!['U'],
            'ß' => vec!['S'],
            c => fold(&c.to_string()).to_ascii_uppercase().chars().collect(),
        })
        .filter(char::is_ascii_alphabetic)
        .collect();
    let mut codes: Vec<char> = Vec::with_capacity(letters.len() + 1);
    for (i, &c) in letters.iter().enumerate() {
        let prev = if i > 0 { Some(letters[i - 1]) } else { None };
        let next = letters.get(i + 1).copied();
        let code: &str = match c {
            'A' | 'E' | 'I' | 'J' | 'O' | 'U' | 'Y' => "0",
            'H' => "",
            'B' => "1",
            'P' => {
                if next == Some('H') {
                    "3"
                } else {
                    "1"
                }
            }
            'D' | 'T' => {
                if matches!(next, Some('C' | 'S' | 'Z')) {
                    "8"
                } else {
                    "2"
                }
            }
            'F' | 'V' | 'W' => "3",
            'G' | 'K' | 'Q' => "4",
            'C' => {
                let hard = if i == 0 {
                    matches!(
                        next,
                        Some('A' | 'H' | 'K' | 'L' | 'O' | 'Q' | 'R' | 'U' | 'X')
                    )
                } else {
                    matches!(next, Some('A' | 'H' | 'K' | 'O' | 'Q' | 'U' | 'X'))
                        && !matches!(prev, Some('S' | 'Z'))
                };
                if hard {
                    "4"
                } else {
                    "8"
                }
            }
            'X' => {
                if matches!(prev, Some('C' | 'K' | 'Q')) {
                    "8"
                } else {
                    "48"
                }
            }
            'L' => "5",
            'M' | 'N' => "6",
            'R' => "7",
            'S' | 'Z' => "8",
            _ => "",
        };
        codes.extend(code.chars());
    }
    codes.dedup();
    codes
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || **c != '0')
        .map(|(_, c)| *c)
        .collect()
}

/// Common German short forms and their full first name (folded).
const NICKNAMES: &[(&str, &str)] = &[
    ("hans", "johannes"),
    ("hannes", "johannes"),
    ("jo", "johannes"),
    ("sepp", "josef"),
    ("jupp", "josef"),
    ("fritz", "friedrich"),
    ("willi", "wilhelm"),
    ("willy", "wilhelm"),
    ("kalle", "karl"),
    ("heinz", "heinrich"),
    ("hinrich", "heinrich"),
    ("rudi", "rudolf"),
    ("klaus", "nikolaus"),
    ("niko", "nikolaus"),
    ("niklas", "nikolaus"),
    ("bernd", "bernhard"),
    ("berni", "bernhard"),
    ("uli", "ulrich"),
    ("ulli", "ulrich"),
    ("toni", "anton"),
    ("alex", "alexander"),
    ("andi", "andreas"),
    ("steffi", "stefanie"),
    ("susi", "susanne"),
    ("gabi", "gabriele"),
    ("conny", "cornelia"),
    ("lisa", "elisabeth"),
    ("liesel", "elisabeth"),
    ("betty", "elisabeth"),
    ("elke", "elisabeth"),
    ("hanne", "johanna"),
    ("kathi", "katharina"),
    ("kathe", "katharina"),
    ("grete", "margarete"),
    ("gretel", "margarete"),
    ("greta", "margarete"),
    ("rike", "friederike"),
    ("matze", "matthias"),
    ("basti", "sebastian"),
    ("chris", "christian"),
    ("flo", "florian"),
    ("max", "maximilian"),
    ("jochen", "joachim"),
    ("achim", "joachim"),
    ("lutz", "ludwig"),
    ("wolf", "wolfgang"),
    ("olli", "oliver"),
    ("tom", "thomas"),
    ("tommy", "thomas"),
    ("micha", "michael"),
    ("mike", "michael"),
    ("dani", "daniel"),
    ("benni", "benjamin"),
    ("tobi", "tobias"),
    ("stefan", "stephan"),
];

/// The full form of a first name, folded: "Hans" and "Johannes" share one.
pub fn first_name_key(name: &str) -> String {
    let folded = fold(name);
    NICKNAMES
        .iter()
        .find(|(short, _)| *short == folded)
        .map_or(folded, |(_, full)| (*full).to_string())
}

/// Words of a company name that say nothing about which company it is.
const LEGAL_FORM_WORDS: &[&str] = &[
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "kgaa",
    "ohg",
    "gbr",
    "ug",
    "haftungsbeschrankt",
    "ek",
    "ev",
    "co",
    "se",
    "ltd",
    "inc",
    "und",
    "partg",
    "eg",
];

/// A company name without legal form and punctuation: "Müller & Söhne GmbH & Co. KG"
/// and "Mueller Soehne GmbH" share one key.
pub fn company_key(name: &str) -> String {
    let spaced = name
        .replace("e.K.", " ek ")
        .replace("e. K.", " ek ")
        .replace("e.V.", " ev ")
        .replace("e. V.", " ev ");
    word_tokens(&spaced)
        .filter(|w| !LEGAL_FORM_WORDS.contains(&w.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A street with house number in one spelling: "Friedrich-Ebert-Str. 5" and
/// "Friedrich Ebert Straße 5" share one key.
pub fn street_key(street: &str) -> String {
    let mut words: Vec<String> = word_tokens(street).collect();
    for w in &mut words {
        if let Some(stem) = w.strip_suffix("strasse").or_else(|| w.strip_suffix("str")) {
            *w = format!("{stem}str");
        }
    }
    words.concat()
}

/// An e-mail address as a mailbox: lower case, without `+tag`, and for Gmail without the
/// dots it ignores.
pub fn email_key(address: &str) -> String {
    let lower = address.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let local = local.split('+').next().unwrap_or(local);
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let local = if domain == "gmail.com" {
        local.replace('.', "")
    } else {
        local.to_string()
    };
    format!("{local}@{domain}")
}

/// Blocking keys of a contact: two contacts are compared only when they share one. A
/// mailbox, a phone number, the sound of the name (order-independent, so swapped first
/// and last names meet; short forms use the full first name), street with postcode,
/// postcode with house number, postcode with the surname's first letters, birth date
/// with the first name's sound, birth year with the surname's sound.
pub fn contact_keys(c: &ContactData) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    keys.extend(
        c.emails
            .iter()
            .map(|e| format!("e:{}", email_key(&e.address))),
    );
    keys.extend(c.phones.iter().map(|p| format!("p:{}", p.number)));
    let last = c
        .last_name
        .as_deref()
        .map(cologne_phonetic)
        .filter(|k| !k.is_empty());
    let first = c
        .first_name
        .as_deref()
        .map(|f| cologne_phonetic(&first_name_key(f)))
        .filter(|k| !k.is_empty());
    if let Some(last) = &last {
        let first = first.clone().unwrap_or_default();
        let (a, b) = if *last <= first {
            (last.as_str(), first.as_str())
        } else {
            (first.as_str(), last.as_str())
        };
        keys.push(format!("n:{a}:{b}"));
    }
    // A typo in the name and one in the street should not hide a pair: further keys
    // pair one fact with another, so two typos in different facts still leave one key.
    if let (Some(day), Some(first)) = (c.birthday, &first) {
        keys.push(format!("d:{day}:{first}"));
    }
    if let (Some(day), Some(last)) = (c.birthday, &last) {
        keys.push(format!("y:{}:{last}", day.format("%Y")));
    }
    let last_start: Option<String> = c
        .last_name
        .as_deref()
        .map(|l| {
            fold(l)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(3)
                .collect()
        })
        .filter(|s: &String| !s.is_empty());
    for a in &c.addresses {
        let Some(postcode) = a.postcode.as_deref() else {
            continue;
        };
        if let Some(street) = a.street.as_deref() {
            let street = street_key(street);
            let house = &street[street.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
            if !house.is_empty() {
                keys.push(format!("h:{postcode}:{house}"));
            }
            keys.push(format!("a:{street}:{postcode}"));
        }
        if let Some(start) = &last_start {
            keys.push(format!("s:{postcode}:{start}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// A draft as someone is still typing it, made comparable: names trimmed, e-mails and
/// phones that already parse kept in their stored form, the rest dropped.
pub fn draft_for_matching(draft: ContactData, default_region: &str) -> ContactData {
    ContactData {
        first_name: crate::text::clean(draft.first_name),
        last_name: crate::text::clean(draft.last_name),
        emails: draft
            .emails
            .into_iter()
            .filter_map(|e| {
                crate::email::normalise_email(&e.address)
                    .ok()
                    .map(|address| EmailEntry {
                        address,
                        kind: e.kind,
                    })
            })
            .collect(),
        phones: draft
            .phones
            .into_iter()
            .filter_map(|p| {
                crate::phone::to_e164(&p.number, default_region)
                    .ok()
                    .map(|number| PhoneEntry {
                        number,
                        kind: p.kind,
                    })
            })
            .collect(),
        ..draft
    }
}

/// Why two contacts may be the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    SameEmail,
    SamePhone,
    SameName,
    NameSoundsAlike,
    NameTypo,
    Nickname,
    SwappedNames,
    SameAddress,
    SameCity,
    SameOrganization,
    SameBirthday,
}

impl Reason {
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Reason::SameEmail => lang.pick("gleiche E-Mail-Adresse", "same e-mail address"),
            Reason::SamePhone => lang.pick("gleiche Telefonnummer", "same phone number"),
            Reason::SameName => lang.pick("gleicher Name", "same name"),
            Reason::NameSoundsAlike => lang.pick("Name klingt gleich", "name sounds alike"),
            Reason::NameTypo => lang.pick(
                "Name bis auf einen Tippfehler gleich",
                "name differs by one typo",
            ),
            Reason::Nickname => {
                lang.pick("Vorname ist eine Kurzform", "first name is a short form")
            }
            Reason::SwappedNames => lang.pick(
                "Vor- und Nachname vertauscht",
                "first and last name swapped",
            ),
            Reason::SameAddress => lang.pick("gleiche Anschrift", "same address"),
            Reason::SameCity => lang.pick("gleicher Ort", "same city"),
            Reason::SameOrganization => lang.pick("gleiche Organisation", "same organisation"),
            Reason::SameBirthday => lang.pick("gleicher Geburtstag", "same birthday"),
        }
    }

    /// A name match alone reaches only "possible" ([`POSSIBLE_FROM`]): namesakes are
    /// common. With one corroborating fact (city, address, organisation) or a shared
    /// mailbox it is "likely" ([`LIKELY_FROM`]).
    fn weight(self) -> u32 {
        match self {
            Reason::SameEmail => 60,
            Reason::SamePhone => 50,
            Reason::SameName => 45,
            Reason::SwappedNames | Reason::NameSoundsAlike => 40,
            Reason::Nickname | Reason::NameTypo => 35,
            Reason::SameAddress | Reason::SameBirthday => 25,
            Reason::SameCity | Reason::SameOrganization => 15,
        }
    }
}

/// From this score on, a contact is shown as a possible match while another is typed.
pub const POSSIBLE_FROM: u32 = 40;
/// From this score on, a pair counts as a likely duplicate in scans. Measured with
/// `kartei bench-duplicates` (docs/performance.md); not tuned to that corpus.
pub const LIKELY_FROM: u32 = 55;

/// How likely two contacts are one person: 0–100, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchScore {
    pub score: u32,
    pub reasons: Vec<Reason>,
}

fn same_text(a: Option<&str>, b: Option<&str>, key: impl Fn(&str) -> String) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let (a, b) = (key(a), key(b));
            !a.is_empty() && a == b
        }
        _ => false,
    }
}

/// What two birth dates that differ in more than one part take off a score.
const DIFFERENT_BIRTHDAY: u32 = 30;

/// A name this many contacts share is common: as evidence it weighs less.
pub const COMMON_NAME_FROM: u32 = 10;
/// How much less a common name weighs.
const COMMON_NAME_DISCOUNT: u32 = 10;

/// The name key of a contact (see [`contact_keys`]), for counting namesakes.
pub fn name_key(c: &ContactData) -> Option<String> {
    contact_keys(c).into_iter().find(|k| k.starts_with("n:"))
}

/// Compares two contacts. Missing fields count neither for nor against a match.
pub fn score(a: &ContactData, b: &ContactData) -> MatchScore {
    score_with_namesakes(a, b, 1)
}

/// Like [`score`], knowing how many contacts carry the name the two share: "Anna
/// Müller" twice in a big database is weaker evidence than a rare name twice.
pub fn score_with_namesakes(a: &ContactData, b: &ContactData, namesakes: u32) -> MatchScore {
    let mut reasons = Vec::new();
    let emails = |c: &ContactData| {
        c.emails
            .iter()
            .map(|e| email_key(&e.address))
            .collect::<Vec<_>>()
    };
    if emails(a).iter().any(|e| emails(b).contains(e)) {
        reasons.push(Reason::SameEmail);
    }
    if a.phones
        .iter()
        .any(|p| b.phones.iter().any(|q| q.number == p.number))
    {
        reasons.push(Reason::SamePhone);
    }
    let (af, al, bf, bl) = (
        a.first_name.as_deref(),
        a.last_name.as_deref(),
        b.first_name.as_deref(),
        b.last_name.as_deref(),
    );
    let last_equal = same_text(al, bl, fold);
    let first_equal = same_text(af, bf, fold);
    let first_alias = !first_equal && same_text(af, bf, first_name_key);
    let last_sounds = !last_equal && same_text(al, bl, cologne_phonetic);
    let one_edit = |x: Option<&str>, y: Option<&str>| matches!((x, y), (Some(x), Some(y)) if crate::fuzzy::within_one_edit(&fold(x), &fold(y)));
    let last_typo = !last_equal && !last_sounds && one_edit(al, bl);
    let first_sounds = !first_equal && !first_alias && same_text(af, bf, cologne_phonetic);
    let first_typo = !first_equal && !first_alias && !first_sounds && one_edit(af, bf);
    let first_close =
        first_equal || first_alias || first_sounds || first_typo || af.is_none() || bf.is_none();
    let last_close = last_equal || last_sounds || last_typo;
    let swapped = same_text(af, bl, fold) && same_text(al, bf, fold);
    if last_equal && first_equal {
        reasons.push(Reason::SameName);
    } else if swapped {
        reasons.push(Reason::SwappedNames);
    } else if last_close && first_close {
        if last_sounds || first_sounds {
            reasons.push(Reason::NameSoundsAlike);
        }
        if last_typo || first_typo {
            reasons.push(Reason::NameTypo);
        }
        if first_alias {
            reasons.push(Reason::Nickname);
        }
    }
    // Two people with clearly different first names are not one because they share
    // what a company or a household gives its members: a switchboard number, an
    // address, an organisation. (A surname alone may change, on marriage; and a first
    // name near the other's surname is a swap, perhaps with a typo.)
    let near = |x: Option<&str>, y: Option<&str>| {
        same_text(x, y, first_name_key) || same_text(x, y, cologne_phonetic) || one_edit(x, y)
    };
    let names_differ = !swapped && !first_close && !near(af, bl) && !near(al, bf);
    let same_place = a.addresses.iter().any(|x| {
        b.addresses.iter().any(|y| {
            same_text(x.street.as_deref(), y.street.as_deref(), street_key)
                && (x.postcode.is_some() && x.postcode == y.postcode
                    || same_text(x.city.as_deref(), y.city.as_deref(), fold))
        })
    });
    if same_place {
        reasons.push(Reason::SameAddress);
    } else if a.addresses.iter().any(|x| {
        b.addresses
            .iter()
            .any(|y| same_text(x.city.as_deref(), y.city.as_deref(), fold))
    }) {
        reasons.push(Reason::SameCity);
    }
    if a.organization_id.is_some() && a.organization_id == b.organization_id {
        reasons.push(Reason::SameOrganization);
    }
    if names_differ {
        reasons.retain(|r| {
            !matches!(
                r,
                Reason::SamePhone
                    | Reason::SameAddress
                    | Reason::SameCity
                    | Reason::SameOrganization
            )
        });
    }
    let birthdays_differ = match (a.birthday, b.birthday) {
        (Some(x), Some(y)) if x == y => {
            reasons.push(Reason::SameBirthday);
            false
        }
        // A birth date typed with one part wrong still points to one person; two that
        // differ in more are evidence against.
        (Some(x), Some(y)) => {
            use chrono::Datelike;
            let same = [
                x.year() == y.year(),
                x.month() == y.month(),
                x.day() == y.day(),
            ];
            same.iter().filter(|s| **s).count() < 2
        }
        _ => false,
    };
    // Several name reasons are one piece of evidence (the name); it counts once, at its
    // strongest. Facts beyond the name add up.
    let is_name = |r: &&Reason| {
        matches!(
            r,
            Reason::SameName
                | Reason::SwappedNames
                | Reason::NameSoundsAlike
                | Reason::Nickname
                | Reason::NameTypo
        )
    };
    let mut name = reasons
        .iter()
        .filter(is_name)
        .map(|r| r.weight())
        .max()
        .unwrap_or(0);
    if namesakes >= COMMON_NAME_FROM {
        name = name.saturating_sub(COMMON_NAME_DISCOUNT);
    }
    let facts: u32 = reasons
        .iter()
        .filter(|r| !is_name(r))
        .map(|r| r.weight())
        .sum();
    let against = if birthdays_differ {
        DIFFERENT_BIRTHDAY
    } else {
        0
    };
    MatchScore {
        score: (name + facts).saturating_sub(against).min(100),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: serde_json::Value) -> ContactData {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn cologne_phonetic_known_values() {
        assert_eq!(cologne_phonetic("Wikipedia"), "3412");
        assert_eq!(cologne_phonetic("Müller-Lüdenscheidt"), "65752682");
        for name in ["Meier", "Mayer", "Maier", "Meyer"] {
            assert_eq!(cologne_phonetic(name), "67", "{name}");
        }
        assert_eq!(cologne_phonetic("Schmidt"), cologne_phonetic("Schmitt"));
        assert_eq!(cologne_phonetic("Müller"), cologne_phonetic("Mueller"));
        assert_ne!(cologne_phonetic("Müller"), cologne_phonetic("Meier"));
        assert_eq!(cologne_phonetic("Christoph"), "47823");
        assert_eq!(cologne_phonetic("Kristof"), cologne_phonetic("Christoph"));
    }

    #[test]
    fn keys_fold_spelling_variants() {
        assert_eq!(first_name_key("Hans"), first_name_key("Johannes"));
        assert_eq!(first_name_key("Jürgen"), "jurgen");
        assert_eq!(
            company_key("Müller & Söhne GmbH & Co. KG"),
            company_key("Mueller Soehne GmbH")
        );
        assert_eq!(company_key("Bäckerei Schmidt e.K."), "backerei schmidt");
        assert_eq!(company_key("Meier UG (haftungsbeschränkt)"), "meier");
        assert_eq!(
            street_key("Friedrich-Ebert-Str. 5"),
            street_key("Friedrich Ebert Straße 5")
        );
        assert_eq!(street_key("Hauptstr. 1"), street_key("Hauptstraße 1"));
        assert_ne!(street_key("Hauptstraße 1"), street_key("Hauptstraße 11"));
        assert_eq!(
            email_key("Anna.Mueller+crm@GoogleMail.com"),
            email_key("annamueller@gmail.com")
        );
        assert_eq!(email_key("a.b+x@web.de"), "a.b@web.de");
    }

    #[test]
    fn blocking_keys_meet_across_spellings() {
        let a = contact_keys(&c(json!({"first_name": "Hans", "last_name": "Meier"})));
        let b = contact_keys(&c(json!({"first_name": "Mayer", "last_name": "Johannes"})));
        assert_eq!(a, b, "nickname, sound and swapped order share the name key");
        let k = contact_keys(&c(
            json!({"last_name": "X", "emails": [{"address": "a+b@web.de"}], "phones": [{"number": "+49301234567"}],
            "addresses": [{"street": "Hauptstr. 1", "postcode": "10115"}]}),
        ));
        assert!(k.contains(&"e:a@web.de".to_string()) && k.contains(&"p:+49301234567".to_string()));
        assert!(
            k.iter().any(|x| x.starts_with("a:hauptstr1:10115")),
            "{k:?}"
        );
    }

    #[test]
    fn scores_explain_themselves() {
        let a = c(
            json!({"first_name": "Hans", "last_name": "Meier", "emails": [{"address": "h.meier+shop@web.de"}],
            "addresses": [{"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}]}),
        );
        let b = c(
            json!({"first_name": "Johannes", "last_name": "Mayer", "emails": [{"address": "h.meier@web.de"}],
            "addresses": [{"street": "Hauptstraße 1", "postcode": "10115"}]}),
        );
        let m = score(&a, &b);
        assert_eq!(
            m.reasons,
            [
                Reason::SameEmail,
                Reason::NameSoundsAlike,
                Reason::Nickname,
                Reason::SameAddress
            ]
        );
        assert_eq!(m.score, 100);

        let swapped = score(
            &c(json!({"first_name": "Schmidt", "last_name": "Anna"})),
            &c(json!({"first_name": "Anna", "last_name": "Schmidt"})),
        );
        assert_eq!(swapped.reasons, [Reason::SwappedNames]);

        let typo = score(
            &c(json!({"first_name": "Anna", "last_name": "Schmitd"})),
            &c(json!({"first_name": "Anna", "last_name": "Schmidt"})),
        );
        assert!(
            typo.reasons.contains(&Reason::NameSoundsAlike)
                || typo.reasons.contains(&Reason::NameTypo),
            "{typo:?}"
        );

        let strangers = score(
            &c(json!({"first_name": "Anna", "last_name": "Schmidt"})),
            &c(json!({"first_name": "Bernd", "last_name": "Weber"})),
        );
        assert_eq!(
            strangers,
            MatchScore {
                score: 0,
                reasons: vec![]
            }
        );

        let namesakes = score(
            &c(json!({"first_name": "Anna", "last_name": "Müller"})),
            &c(json!({"first_name": "Peter", "last_name": "Müller"})),
        );
        assert!(
            namesakes.score < 30,
            "a shared surname alone is weak: {namesakes:?}"
        );
    }

    #[test]
    fn colleagues_are_not_one_person() {
        let org = "0190f000-0000-7000-8000-000000000001";
        let desk = |first: &str, last: &str| {
            c(
                json!({"first_name": first, "last_name": last, "organization_id": org,
                "phones": [{"number": "+49301234567"}],
                "addresses": [{"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}]}),
            )
        };
        let colleagues = score(&desk("Anna", "Weber"), &desk("Bernd", "Kaiser"));
        assert!(colleagues.score < POSSIBLE_FROM, "{colleagues:?}");
        let relatives = score(&desk("Anna", "Weber"), &desk("Peter", "Weber"));
        assert!(relatives.score < POSSIBLE_FROM, "{relatives:?}");
        let same = score(&desk("Anna", "Weber"), &desk("Anna", "Webber"));
        assert!(same.score >= LIKELY_FROM, "one typo, same desk: {same:?}");
    }

    #[test]
    fn a_swap_with_a_typo_still_shares_its_facts() {
        let a = c(json!({"first_name": "Hans", "last_name": "Müller",
            "phones": [{"number": "+4915112345678"}]}));
        let b = c(json!({"first_name": "Müler", "last_name": "Hans",
            "phones": [{"number": "+4915112345678"}]}));
        assert!(score(&a, &b).reasons.contains(&Reason::SamePhone));
    }

    #[test]
    fn birth_dates_and_first_name_typos_count() {
        let a = c(
            json!({"first_name": "Olivia", "last_name": "White", "birthday": "1956-04-09",
            "addresses": [{"street": "Wallaby Place 7", "postcode": "2119", "city": "Cleveland"}]}),
        );
        let typo = c(
            json!({"first_name": "Olizvia", "last_name": "White", "birthday": "1956-04-09",
            "addresses": [{"street": "Wallaby Place 7", "postcode": "2119", "city": "Cleveland"}]}),
        );
        let m = score(&a, &typo);
        assert_eq!(
            m.reasons,
            [Reason::NameTypo, Reason::SameAddress, Reason::SameBirthday]
        );
        assert!(m.score >= LIKELY_FROM, "{m:?}");
        // A birth date with one part mistyped takes nothing off; one that differs in
        // more says these are two people.
        let mut month_off = typo.clone();
        month_off.birthday = "1956-05-09".parse().ok();
        assert_eq!(score(&a, &month_off).score, 35 + 25);
        let mut other = typo.clone();
        other.birthday = "1971-10-23".parse().ok();
        assert!(score(&a, &other).score < POSSIBLE_FROM);
    }

    #[test]
    fn two_typos_in_different_facts_still_share_a_key() {
        // Surname and street both mistyped: birth date with the first name still meets.
        let a = contact_keys(&c(
            json!({"first_name": "Olivia", "last_name": "White", "birthday": "1956-04-09",
            "addresses": [{"street": "Wallaby Place 7", "postcode": "2119"}]}),
        ));
        let b = contact_keys(&c(
            json!({"first_name": "Olivia", "last_name": "Whitre", "birthday": "1956-04-09",
            "addresses": [{"street": "Walaby Place 7", "postcode": "2119"}]}),
        ));
        assert!(a.iter().any(|k| b.contains(k)), "{a:?} / {b:?}");
        // No birthday: postcode and house number, or postcode and the surname's start.
        let a = contact_keys(&c(json!({"first_name": "Olivia", "last_name": "Whitre",
            "addresses": [{"street": "Wallaby Place 7", "postcode": "2119"}]})));
        let b = contact_keys(&c(json!({"first_name": "Olvia", "last_name": "White",
            "addresses": [{"street": "Walaby Pl 7", "postcode": "2119"}]})));
        assert!(a.contains(&"h:2119:7".to_string()) && b.contains(&"h:2119:7".to_string()));
        assert!(a.contains(&"s:2119:whi".to_string()) && b.contains(&"s:2119:whi".to_string()));
    }
}
