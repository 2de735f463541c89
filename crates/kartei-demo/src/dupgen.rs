//! A corpus of German contacts with known duplicates, to measure duplicate detection
//! honestly: every duplicate is made the way real ones arise (a typo, a transliteration,
//! swapped name fields, a short first name, a dropped field, a move, a new e-mail
//! provider, another phone notation), and the truth is kept beside it. Some people are
//! colleagues at one company (one switchboard number, one address): not duplicates.

use crate::demo::{ascii_name, DemoGenerator, PRIVATE_DOMAINS};
use chrono::NaiveDate;
use kartei_core::channels::{EmailEntry, PhoneEntry};
use kartei_core::contact::ContactData;
use kartei_core::names::{FEMALE, MALE};

/// One contact of the corpus and the person it stands for.
pub struct CorpusEntry {
    pub person: usize,
    pub contact: ContactData,
}

/// How a duplicate differs from the original.
const CHANGES: &[&str] = &[
    "typo",
    "transliteration",
    "swap",
    "nickname",
    "drop_email",
    "drop_phone",
    "drop_address",
    "move",
    "new_email",
    "phone_notation",
    "title",
];

const NICKNAMES: &[(&str, &str)] = &[
    ("Johannes", "Hans"),
    ("Josef", "Sepp"),
    ("Friedrich", "Fritz"),
    ("Wilhelm", "Willi"),
    ("Heinrich", "Heinz"),
    ("Nikolaus", "Klaus"),
    ("Bernhard", "Bernd"),
    ("Ulrich", "Uli"),
    ("Alexander", "Alex"),
    ("Andreas", "Andi"),
    ("Stefanie", "Steffi"),
    ("Susanne", "Susi"),
    ("Gabriele", "Gabi"),
    ("Elisabeth", "Lisa"),
    ("Katharina", "Kathi"),
    ("Margarete", "Grete"),
    ("Matthias", "Matze"),
    ("Sebastian", "Basti"),
    ("Christian", "Chris"),
    ("Thomas", "Tom"),
    ("Michael", "Micha"),
    ("Tobias", "Tobi"),
];

fn typo(generator: &mut DemoGenerator, word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return word.to_string();
    }
    // Not the first letter (people rarely get that wrong), and i + 1 stays in range.
    let i = 1 + generator.rng().below(chars.len() as u64 - 2) as usize;
    match generator.rng().below(3) {
        0 => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        _ => chars[i] = *generator.rng().pick(&['e', 'i', 'a', 'n', 'r', 't']),
    }
    chars.into_iter().collect()
}

fn transliterate(word: &str) -> String {
    let t = word
        .replace('ü', "ue")
        .replace('ö', "oe")
        .replace('ä', "ae")
        .replace('ß', "ss");
    if t == word {
        // Meier/Mayer, Schmidt/Schmitt: spelling variants that sound alike.
        word.replacen("ei", "ai", 1).replacen("dt", "tt", 1)
    } else {
        t
    }
}

fn national(e164: &str) -> String {
    match e164.strip_prefix("+49") {
        Some(rest) => format!(
            "0{} {}",
            &rest[..3.min(rest.len())],
            &rest[3.min(rest.len())..]
        ),
        None => e164.to_string(),
    }
}

/// `persons` distinct people; about `duplicate_percent` of them get one or two
/// duplicates with one to three changes each.
pub fn corpus(
    seed: u64,
    persons: usize,
    duplicate_percent: u64,
    today: NaiveDate,
) -> Vec<CorpusEntry> {
    let mut g = DemoGenerator::new(seed, today);
    let mut out = Vec::with_capacity(persons + persons * duplicate_percent as usize / 80);
    // One in ten people works at a company with others of the corpus: colleagues share
    // the switchboard number and the company's address and are still different people.
    let companies: Vec<(String, kartei_core::channels::Address)> = (0..(persons / 40).max(1))
        .map(|i| (format!("+4930{:08}", 90_000_000 + i), g.address("work").0))
        .collect();
    for person in 0..persons {
        let female = g.rng().chance(50);
        let nick_base = g.rng().chance(15);
        let first = if nick_base {
            g.rng().pick(NICKNAMES).0.to_string()
        } else if female {
            g.rng().pick(FEMALE).to_string()
        } else {
            g.rng().pick(MALE).to_string()
        };
        let last = g.last_name();
        let (address, _) = g.address("private");
        // E-mails and phones are unique per person, as in a real customer base.
        let domain = g.rng().pick(PRIVATE_DOMAINS).to_string();
        let email = format!(
            "{}.{}{}@{domain}",
            ascii_name(&first),
            ascii_name(&last),
            person
        );
        let phone = format!("+4915{}{:08}", 1 + g.rng().below(9), person);
        let mut original = ContactData {
            first_name: Some(first),
            last_name: Some(last),
            emails: vec![EmailEntry {
                address: email,
                kind: Some("private".into()),
            }],
            phones: vec![PhoneEntry {
                number: phone,
                kind: Some("mobile".into()),
            }],
            addresses: vec![address],
            ..ContactData::default()
        };
        if g.rng().chance(10) {
            let (switchboard, office) = g.rng().pick(&companies).clone();
            original.phones.push(PhoneEntry {
                number: switchboard,
                kind: Some("work".into()),
            });
            original.addresses = vec![office];
        }
        if g.rng().chance(duplicate_percent) {
            let copies = 1 + usize::from(g.rng().chance(20));
            for _ in 0..copies {
                let mut d = original.clone();
                let changes = 1 + g.rng().below(3);
                for _ in 0..changes {
                    apply(&mut g, &mut d, person);
                }
                out.push(CorpusEntry { person, contact: d });
            }
        }
        out.push(CorpusEntry {
            person,
            contact: original,
        });
    }
    // Duplicates arrive in any order, not next to their original.
    for i in (1..out.len()).rev() {
        let j = g.rng().below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

fn apply(g: &mut DemoGenerator, d: &mut ContactData, person: usize) {
    match *g.rng().pick(CHANGES) {
        "typo" => d.last_name = d.last_name.as_deref().map(|l| typo(g, l)),
        "transliteration" => d.last_name = d.last_name.as_deref().map(transliterate),
        "swap" => std::mem::swap(&mut d.first_name, &mut d.last_name),
        "nickname" => {
            if let Some((_, short)) = NICKNAMES
                .iter()
                .find(|(full, _)| Some(*full) == d.first_name.as_deref())
            {
                d.first_name = Some((*short).to_string());
            }
        }
        "drop_email" => d.emails.clear(),
        "drop_phone" => d.phones.clear(),
        "drop_address" => d.addresses.clear(),
        "move" => d.addresses = vec![g.address("private").0],
        "new_email" => {
            let domain = g.rng().pick(PRIVATE_DOMAINS).to_string();
            let local = d
                .emails
                .first()
                .and_then(|e| e.address.split('@').next().map(str::to_string))
                .unwrap_or_else(|| format!("p{person}"));
            d.emails = vec![EmailEntry {
                address: format!("{local}@{domain}"),
                kind: Some("private".into()),
            }];
        }
        "phone_notation" => {
            for p in &mut d.phones {
                p.number = national(&p.number);
            }
        }
        _ => d.title = Some("Dr.".into()),
    }
}

/// Precision, recall and F1 of predicted pairs against the corpus truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Quality {
    /// `predicted`: pairs of corpus indices; every pair of entries of one person is truth.
    pub fn measure(corpus: &[CorpusEntry], predicted: &[(usize, usize)]) -> Quality {
        let mut per_person: std::collections::HashMap<usize, usize> =
            std::collections::HashMap::new();
        for e in corpus {
            *per_person.entry(e.person).or_default() += 1;
        }
        let truth: usize = per_person.values().map(|n| n * (n - 1) / 2).sum();
        let mut seen = std::collections::HashSet::new();
        let mut tp = 0;
        let mut fp = 0;
        for &(a, b) in predicted {
            if !seen.insert((a.min(b), a.max(b))) {
                continue;
            }
            if corpus[a].person == corpus[b].person {
                tp += 1;
            } else {
                fp += 1;
            }
        }
        Quality {
            true_positives: tp,
            false_positives: fp,
            false_negatives: truth - tp,
        }
    }

    pub fn precision(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_positives).max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_negatives).max(1) as f64
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kartei_core::record::{Context, RecordData};

    #[test]
    fn the_corpus_is_valid_deterministic_and_has_duplicates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let a = corpus(1, 2000, 20, today);
        let b = corpus(1, 2000, 20, today);
        assert_eq!(a.len(), b.len());
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.person == y.person && x.contact == y.contact));
        assert!(a.len() > 2300 && a.len() < 2700, "{}", a.len());
        let ctx = Context {
            default_region: "DE",
            today,
            now: today.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc(),
            custom_fields: &[],
            pipelines: &[],
        };
        for e in &a {
            e.contact
                .clone()
                .normalise(&ctx)
                .unwrap_or_else(|err| panic!("{:?}: {err:?}", e.contact));
        }
    }

    #[test]
    fn quality_counts_pairs() {
        let c: Vec<CorpusEntry> = [0, 0, 1, 2, 2, 2]
            .into_iter()
            .map(|person| CorpusEntry {
                person,
                contact: ContactData::default(),
            })
            .collect();
        let q = Quality::measure(&c, &[(0, 1), (1, 0), (3, 4), (2, 3)]);
        assert_eq!(
            q,
            Quality {
                true_positives: 2,
                false_positives: 1,
                false_negatives: 2
            }
        );
        assert!((q.precision() - 2.0 / 3.0).abs() < 1e-9);
        assert!((q.recall() - 0.5).abs() < 1e-9);
    }
}
