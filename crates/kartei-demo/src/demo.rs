//! Deterministic German demo data: the same seed gives the same people, companies and
//! values on every machine, so benchmarks and screenshots are comparable.

use chrono::NaiveDate;
use kartei_core::bank::BankDetails;
use kartei_core::channels::{Address, EmailEntry, PhoneEntry};
use kartei_core::contact::ContactData;
use kartei_core::names::{FEMALE, LAST_NAMES, MALE};
use kartei_core::organization::OrganizationData;
use std::collections::BTreeMap;
use uuid::Uuid;

/// splitmix64: tiny, fast and stable across versions, unlike a library generator whose
/// stream may change with an upgrade.
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        DemoRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks from `(item, weight)` pairs.
    pub fn weighted<'a>(&mut self, items: &'a [(&'a str, u64)]) -> &'a str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, w) in items {
            if roll < *w {
                return item;
            }
            roll -= w;
        }
        items[0].0
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// Syllables for the long tail of rarer surnames, so the name space is as wide as real data.
pub(crate) const SURNAME_HEADS: &[&str] = &[
    "Brem", "Hölz", "Kirch", "Lind", "Mark", "Ober", "Rein", "Sand", "Tann", "Wald", "Eich",
    "Feld", "Gold", "Hass", "Jans", "Kast", "Lüb", "Mann", "Nord", "Pfaff", "Quast", "Ried",
    "Stein", "Thal", "Uhl", "Vieh", "Wend", "Zell", "Düs", "Schütt",
];
pub(crate) const SURNAME_TAILS: &[&str] = &[
    "ke", "mann", "berg", "er", "ner", "hoff", "inger", "hardt", "meier", "bach", "städt", "wald",
    "ler", "ens", "sen", "rich",
];

/// City, country, first digits of the postcode, area code; repeated by rough size.
const CITIES: &[(&str, &str, &str, &str, u64)] = &[
    ("Berlin", "DE", "10", "30", 36),
    ("Hamburg", "DE", "20", "40", 18),
    ("München", "DE", "80", "89", 15),
    ("Köln", "DE", "50", "221", 11),
    ("Frankfurt am Main", "DE", "60", "69", 8),
    ("Stuttgart", "DE", "70", "711", 6),
    ("Düsseldorf", "DE", "40", "211", 6),
    ("Leipzig", "DE", "04", "341", 6),
    ("Dortmund", "DE", "44", "231", 6),
    ("Essen", "DE", "45", "201", 6),
    ("Bremen", "DE", "28", "421", 6),
    ("Dresden", "DE", "01", "351", 5),
    ("Hannover", "DE", "30", "511", 5),
    ("Nürnberg", "DE", "90", "911", 5),
    ("Duisburg", "DE", "47", "203", 5),
    ("Bochum", "DE", "44", "234", 4),
    ("Wuppertal", "DE", "42", "202", 4),
    ("Bielefeld", "DE", "33", "521", 3),
    ("Bonn", "DE", "53", "228", 3),
    ("Münster", "DE", "48", "251", 3),
    ("Mannheim", "DE", "68", "621", 3),
    ("Karlsruhe", "DE", "76", "721", 3),
    ("Augsburg", "DE", "86", "821", 3),
    ("Wiesbaden", "DE", "65", "611", 3),
    ("Mönchengladbach", "DE", "41", "2161", 3),
    ("Gelsenkirchen", "DE", "45", "209", 3),
    ("Aachen", "DE", "52", "241", 2),
    ("Braunschweig", "DE", "38", "531", 2),
    ("Kiel", "DE", "24", "431", 2),
    ("Chemnitz", "DE", "09", "371", 2),
    ("Freiburg im Breisgau", "DE", "79", "761", 2),
    ("Lübeck", "DE", "23", "451", 2),
    ("Erfurt", "DE", "99", "361", 2),
    ("Rostock", "DE", "18", "381", 2),
    ("Kassel", "DE", "34", "561", 2),
    ("Würzburg", "DE", "97", "931", 1),
    ("Göttingen", "DE", "37", "551", 1),
    ("Regensburg", "DE", "93", "941", 1),
    ("Ulm", "DE", "89", "731", 1),
    ("Potsdam", "DE", "14", "331", 1),
    ("Wien", "AT", "1", "1", 5),
    ("Graz", "AT", "8", "316", 1),
    ("Zürich", "CH", "8", "44", 2),
    ("Basel", "CH", "4", "61", 1),
];

const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenstraße",
    "Schulstraße",
    "Dorfstraße",
    "Bergstraße",
    "Lindenstraße",
    "Kirchstraße",
    "Waldstraße",
    "Ringstraße",
    "Goethestraße",
    "Schillerstraße",
    "Am Markt",
    "Mühlenweg",
    "Birkenweg",
    "Friedrich-Ebert-Straße",
    "Königsallee",
    "Lessingstraße",
    "Rosenweg",
    "Wiesenweg",
];

pub(crate) const PRIVATE_DOMAINS: &[&str] = &[
    "gmx.de",
    "web.de",
    "t-online.de",
    "gmail.com",
    "posteo.de",
    "outlook.de",
    "freenet.de",
    "icloud.com",
];
const INDUSTRIES: &[(&str, &str)] = &[
    ("Maschinenbau", "Maschinenbau"),
    ("Handel", "Handel"),
    ("Software", "Software"),
    ("Bau", "Bau"),
    ("Gastronomie", "Gastronomie"),
    ("Logistik", "Logistik"),
    ("Beratung", "Consulting"),
    ("Handwerk", "Handwerk"),
    ("Gesundheit", "Praxis"),
    ("Immobilien", "Immobilien"),
    ("Medien", "Media"),
    ("Energie", "Energie"),
];
const LEGAL_FORMS: &[(&str, u64)] = &[
    ("GmbH", 50),
    ("GmbH & Co. KG", 12),
    ("AG", 5),
    ("e.K.", 10),
    ("UG (haftungsbeschränkt)", 8),
    ("KG", 5),
    ("OHG", 3),
    ("GbR", 7),
];
const JOB_TITLES: &[&str] = &[
    "Geschäftsführer",
    "Geschäftsführerin",
    "Einkaufsleitung",
    "Vertrieb",
    "Buchhaltung",
    "Assistenz der Geschäftsführung",
    "Projektleitung",
    "IT-Leitung",
    "Marketing",
    "Personalleitung",
    "Inhaber",
    "Inhaberin",
];
pub const LEAD_SOURCES: &[&str] = &[
    "Website",
    "Empfehlung",
    "Messe",
    "Kaltakquise",
    "Newsletter",
    "Social Media",
    "Partner",
];
const JOB_DEPARTMENTS: &[&str] = &[
    "Einkauf",
    "Vertrieb",
    "Verwaltung",
    "IT",
    "Produktion",
    "Marketing",
];

/// The tags and custom fields demo records use.
pub const DEMO_TAGS: &[(&str, &str)] = &[
    ("VIP", "#c62828"),
    ("Newsletter", "#1565c0"),
    ("Messe 2026", "#6a1b9a"),
    ("Partner", "#2e7d32"),
    ("Inaktiv", "#757575"),
];

/// Replaces umlauts the way people write them in e-mail addresses.
pub fn ascii_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            'ı' => out.push('i'),
            'ë' => out.push('e'),
            'Đ' => out.push('D'),
            'đ' => out.push('d'),
            ' ' | '&' | '.' | '(' | ')' => {}
            c => out.push(c),
        }
    }
    out.to_lowercase()
}

fn iban(rng: &mut DemoRng) -> String {
    let bban = format!("{}{}", rng.digits(8), rng.digits(10));
    // Check digits: 98 - (BBAN + "DE00" as digits) mod 97.
    let numeric = format!("{bban}131400");
    let rem = numeric
        .chars()
        .fold(0u32, |r, c| (r * 10 + c.to_digit(10).unwrap_or(0)) % 97);
    format!("DE{:02}{bban}", 98 - rem)
}

pub struct DemoGenerator {
    rng: DemoRng,
    today: NaiveDate,
}

/// What a generated contact should be linked to.
pub struct Links<'a> {
    pub organization: Option<(Uuid, &'a OrganizationData)>,
    pub owner_id: Option<Uuid>,
}

impl DemoGenerator {
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        DemoGenerator {
            rng: DemoRng::new(seed),
            today,
        }
    }

    pub fn rng(&mut self) -> &mut DemoRng {
        &mut self.rng
    }

    pub(crate) fn last_name(&mut self) -> String {
        if self.rng.chance(25) {
            format!(
                "{}{}",
                self.rng.pick(SURNAME_HEADS),
                self.rng.pick(SURNAME_TAILS)
            )
        } else {
            self.rng.weighted(LAST_NAMES).to_string()
        }
    }

    pub(crate) fn address(&mut self, kind: &str) -> (Address, &'static str) {
        let weights: Vec<(&str, u64)> = CITIES.iter().map(|c| (c.0, c.4)).collect();
        let city_name = self.rng.weighted(&weights).to_string();
        let city = CITIES
            .iter()
            .find(|c| c.0 == city_name)
            .unwrap_or(&CITIES[0]);
        let width = if city.1 == "DE" { 5 } else { 4 };
        let postcode = format!("{}{}", city.2, self.rng.digits(width - city.2.len()));
        let street = format!("{} {}", self.rng.pick(STREETS), 1 + self.rng.below(120));
        (
            Address {
                kind: Some(kind.into()),
                street: Some(street),
                extra: None,
                postcode: Some(postcode),
                city: Some(city.0.into()),
                country: Some(city.1.into()),
            },
            city.3,
        )
    }

    fn landline(&mut self, area: &str, country: &str) -> String {
        let len = 10 - area.len().min(4);
        let local = self.rng.digits(len.max(5));
        let local = format!("{}{}", 1 + self.rng.below(9), &local[1..]);
        // Half in national notation, half international, as real lists mix them.
        if country == "DE" && self.rng.chance(50) {
            format!("0{area} {local}")
        } else {
            let cc = match country {
                "AT" => "43",
                "CH" => "41",
                _ => "49",
            };
            format!("+{cc} {area} {local}")
        }
    }

    pub(crate) fn mobile(&mut self) -> String {
        let prefix = self
            .rng
            .pick(&["151", "160", "170", "171", "172", "175", "176", "179"]);
        format!("0{prefix} {}{}", 1 + self.rng.below(9), self.rng.digits(6))
    }

    pub fn organization(&mut self) -> OrganizationData {
        let (industry, word) = *self.rng.pick(INDUSTRIES);
        let legal_form = self.rng.weighted(LEGAL_FORMS).to_string();
        let founder = self.last_name();
        let name = if self.rng.chance(30) {
            format!("{founder} & {} {word}", self.last_name())
        } else {
            format!("{founder} {word}")
        };
        let domain = format!("{}.de", ascii_name(&founder));
        let (address, area) = self.address("work");
        let country = address.country.clone().unwrap_or_default();
        OrganizationData {
            name: Some(format!("{name} {legal_form}")),
            legal_form: Some(legal_form),
            industry: Some(industry.into()),
            team_size: Some(*self.rng.pick(&[1, 3, 5, 8, 12, 25, 40, 80, 150, 400, 1200])),
            website: Some(format!("https://www.{domain}")),
            vat_id: Some(format!("DE{}", self.rng.digits(9))),
            customer_number: Some(format!("K-{}", self.rng.digits(6))),
            emails: vec![EmailEntry {
                address: format!("info@{domain}"),
                kind: Some("work".into()),
            }],
            phones: vec![PhoneEntry {
                number: self.landline(area, &country),
                kind: Some("work".into()),
            }],
            addresses: vec![address],
            owner_id: None,
            lifecycle_stage: Some(
                self.rng
                    .pick(&["lead", "prospect", "customer", "customer", "former"])
                    .to_string(),
            ),
            price_group: Some(self.rng.pick(&["A", "B", "C"]).to_string()),
            customer_type: Some("business".into()),
            bank: None,
            notes: None,
            custom: BTreeMap::new(),
        }
    }

    pub fn contact(&mut self, links: &Links<'_>) -> ContactData {
        let female = self.rng.chance(50);
        let first = if female {
            self.rng.pick(FEMALE)
        } else {
            self.rng.pick(MALE)
        }
        .to_string();
        let last = self.last_name();
        let title = match self.rng.below(100) {
            0 => Some("Prof. Dr.".to_string()),
            1..=7 => Some("Dr.".to_string()),
            _ => None,
        };
        let (first_a, last_a) = (ascii_name(&first), ascii_name(&last));
        let local = match self.rng.below(5) {
            0 => format!("{first_a}.{last_a}"),
            1 => format!("{}.{last_a}", &first_a[..1]),
            2 => format!("{first_a}{last_a}"),
            3 => format!("{last_a}.{first_a}"),
            _ => format!("{first_a}.{last_a}{}", self.rng.below(100)),
        };
        let mut emails = Vec::new();
        let mut phones = Vec::new();
        let (home, home_area) = self.address("private");
        let home_country = home.country.clone().unwrap_or_default();
        let mut addresses = Vec::new();
        if let Some((_, org)) = links.organization {
            let domain = org
                .emails
                .first()
                .and_then(|e| e.address.split('@').nth(1))
                .unwrap_or("firma.de")
                .to_string();
            emails.push(EmailEntry {
                address: format!("{local}@{domain}"),
                kind: Some("work".into()),
            });
            if let Some(p) = org.phones.first() {
                let base = p.number.clone();
                phones.push(PhoneEntry {
                    number: format!("{base}-{}", 10 + self.rng.below(90)),
                    kind: Some("work".into()),
                });
            }
            addresses.extend(org.addresses.first().cloned());
        }
        if links.organization.is_none() || self.rng.chance(40) {
            let domain = self.rng.pick(PRIVATE_DOMAINS);
            emails.push(EmailEntry {
                address: format!("{local}@{domain}"),
                kind: Some("private".into()),
            });
        }
        if self.rng.chance(60) {
            phones.push(PhoneEntry {
                number: self.mobile(),
                kind: Some("mobile".into()),
            });
        }
        if self.rng.chance(30) {
            phones.push(PhoneEntry {
                number: self.landline(home_area, &home_country),
                kind: Some("private".into()),
            });
        }
        if links.organization.is_none() || self.rng.chance(30) {
            addresses.push(home);
        }
        let birthday = self.rng.chance(70).then(|| {
            let days = 365 * 18 + self.rng.below(365 * 62) as i64;
            self.today - chrono::Duration::days(days)
        });
        let stage = self
            .rng
            .weighted(&[
                ("lead", 20),
                ("prospect", 15),
                ("customer", 50),
                ("former", 15),
            ])
            .to_string();
        let (lead_status, lead_score) = if matches!(stage.as_str(), "lead" | "prospect") {
            let status = self
                .rng
                .weighted(&[
                    ("new", 30),
                    ("contacted", 35),
                    ("qualified", 25),
                    ("unqualified", 10),
                ])
                .to_string();
            (Some(status), Some(self.rng.below(101) as i64))
        } else {
            (None, None)
        };
        ContactData {
            lead_status,
            lead_score,
            needs_check: false,
            external_id: None,
            salutation: Some(if female { "Frau" } else { "Herr" }.into()),
            title,
            first_name: Some(first),
            last_name: Some(last),
            gender: Some(if female { "female" } else { "male" }.into()),
            birthday,
            language: Some(if self.rng.chance(90) { "de" } else { "en" }.into()),
            emails,
            phones,
            addresses,
            organization_id: links.organization.map(|(id, _)| id),
            job_title: links
                .organization
                .map(|_| self.rng.pick(JOB_TITLES).to_string()),
            department: links.organization.and_then(|_| {
                self.rng
                    .chance(50)
                    .then(|| self.rng.pick(JOB_DEPARTMENTS).to_string())
            }),
            lifecycle_stage: Some(stage),
            lead_source: Some(self.rng.pick(LEAD_SOURCES).to_string()),
            owner_id: links.owner_id,
            price_group: Some(self.rng.pick(&["A", "B", "B", "C"]).to_string()),
            customer_type: Some(
                if links.organization.is_some() {
                    "business"
                } else {
                    "private"
                }
                .into(),
            ),
            customer_number: Some(format!("{}", 100_000 + self.rng.below(900_000))),
            bank: self.rng.chance(10).then(|| BankDetails {
                iban: Some(iban(&mut self.rng)),
                bic: None,
                account_holder: None,
            }),
            notes: None,
            custom: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kartei_core::record::{Context, RecordData};

    /// Every generated record passes the same validation as user input.
    #[test]
    fn demo_records_are_valid_and_deterministic() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let ctx = Context {
            default_region: "DE",
            today,
            now: today.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc(),
            custom_fields: &[],
            pipelines: &[],
        };
        let mut a = DemoGenerator::new(7, today);
        let mut b = DemoGenerator::new(7, today);
        for i in 0..2000 {
            let org = a.organization();
            assert_eq!(org, b.organization());
            org.clone()
                .normalise(&ctx)
                .unwrap_or_else(|e| panic!("{org:?}: {e:?}"));
            let id = Uuid::nil();
            let links = Links {
                organization: (i % 2 == 0).then_some((id, &org)),
                owner_id: None,
            };
            let c = a.contact(&links);
            assert_eq!(c, b.contact(&links));
            c.clone()
                .normalise(&ctx)
                .unwrap_or_else(|e| panic!("{c:?}: {e:?}"));
        }
    }
}
