//! The history of the demo data: products in categories, pipelines, and per contact the
//! activities, deals moving through stages, orders with realistic repeat purchases
//! (some buy often, many once, some stop), tickets, NPS answers and loyalty points,
//! spread over the past two years. Deterministic for a seed, like the contacts.

use crate::demo::DemoRng;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kartei_core::activity::ActivityData;
use kartei_core::commerce::{OrderData, OrderLine};
use kartei_core::deal::{DealData, PipelineData, Stage};
use kartei_core::support::{FeedbackData, TicketData};
use uuid::Uuid;

/// Categories as (name, parent index).
pub const CATEGORIES: &[(&str, Option<usize>)] = &[
    ("Kaffee", None),
    ("Bohnen", Some(0)),
    ("Gemahlen", Some(0)),
    ("Maschinen", None),
    ("Vollautomaten", Some(3)),
    ("Siebträger", Some(3)),
    ("Zubehör", None),
    ("Mühlen", Some(6)),
    ("Reinigung", Some(6)),
    ("Service", None),
];

/// Products as (category index, name, net price in cents, VAT in basis points).
pub const PRODUCTS: &[(usize, &str, i64, i64)] = &[
    (1, "Espresso Classico 1 kg", 1890, 700),
    (1, "Crema Bio 1 kg", 2290, 700),
    (1, "Hochland Arabica 500 g", 1290, 700),
    (1, "Decaf Schonkaffee 500 g", 1190, 700),
    (2, "Filterkaffee gemahlen 500 g", 790, 700),
    (2, "Espresso gemahlen 250 g", 590, 700),
    (4, "Vollautomat Comfort", 54900, 1900),
    (4, "Vollautomat Büro XL", 149_900, 1900),
    (5, "Siebträger Duo", 89900, 1900),
    (5, "Siebträger Einsteiger", 32900, 1900),
    (7, "Kegelmahlwerk Pro", 24900, 1900),
    (7, "Handmühle", 4990, 1900),
    (8, "Entkalker 3er-Pack", 1490, 1900),
    (8, "Reinigungstabletten 100 St.", 1990, 1900),
    (9, "Wartung Vollautomat", 12900, 1900),
    (9, "Barista-Kurs", 8900, 1900),
];

pub fn pipelines() -> Vec<PipelineData> {
    let stage = |name: &str, probability: i64, won: bool, lost: bool| Stage {
        id: None,
        name: Some(name.into()),
        won,
        lost,
        probability: Some(probability),
    };
    vec![
        PipelineData {
            name: Some("Neukunden".into()),
            stages: vec![
                stage("Erstkontakt", 10, false, false),
                stage("Bedarfsanalyse", 25, false, false),
                stage("Angebot", 50, false, false),
                stage("Verhandlung", 75, false, false),
                stage("Gewonnen", 100, true, false),
                stage("Verloren", 0, false, true),
            ],
            lost_reasons: Vec::new(),
        },
        PipelineData {
            name: Some("Bestandskunden".into()),
            stages: vec![
                stage("Anfrage", 30, false, false),
                stage("Angebot", 60, false, false),
                stage("Gewonnen", 100, true, false),
                stage("Verloren", 0, false, true),
            ],
            lost_reasons: Vec::new(),
        },
    ]
}

/// What the generator needs to know of a contact.
#[derive(Debug, Clone, Copy)]
pub struct ContactRef {
    pub id: Uuid,
    pub lifecycle: Lifecycle,
    pub owner: Option<Uuid>,
    pub organization: Option<Uuid>,
    pub private: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Lead,
    Prospect,
    Customer,
    Former,
}

impl Lifecycle {
    pub fn of(stage: Option<&str>) -> Lifecycle {
        match stage {
            Some("customer") => Lifecycle::Customer,
            Some("former") => Lifecycle::Former,
            Some("prospect") => Lifecycle::Prospect,
            _ => Lifecycle::Lead,
        }
    }
}

/// A product as orders need it.
#[derive(Debug, Clone, Copy)]
pub struct ProductRef {
    pub id: Uuid,
    pub price_minor: i64,
    pub vat_rate_bp: i64,
}

/// A pipeline with its stage ids in board order.
#[derive(Debug, Clone)]
pub struct PipelineRef {
    pub id: Uuid,
    /// (stage id, won, lost)
    pub stages: Vec<(Uuid, bool, bool)>,
}

/// A deal with the stages it went through.
pub struct DealHistory {
    pub deal: DealData,
    pub created: DateTime<Utc>,
    pub visits: Vec<(Uuid, DateTime<Utc>)>,
}

#[derive(Default)]
pub struct ContactHistory {
    pub activities: Vec<(ActivityData, DateTime<Utc>)>,
    pub deals: Vec<DealHistory>,
    pub orders: Vec<(OrderData, DateTime<Utc>)>,
    pub tickets: Vec<(TicketData, DateTime<Utc>)>,
    pub feedback: Vec<(FeedbackData, DateTime<Utc>)>,
}

const NOTES: &[&str] = &[
    "Interessiert an einem Wartungsvertrag.",
    "Bestellt meist zum Monatsanfang.",
    "Bitte nur per E-Mail kontaktieren.",
    "Wünscht Angebot für das neue Büro.",
    "War mit der letzten Lieferung sehr zufrieden.",
    "Rückruf wegen Rechnung vereinbart.",
];
const EMAIL_SUBJECTS: &[&str] = &[
    "Angebot",
    "Ihre Bestellung",
    "Rückfrage zur Rechnung",
    "Terminbestätigung",
    "Neue Sorten im Sortiment",
];
const TASKS: &[&str] = &[
    "Angebot nachfassen",
    "Rückruf",
    "Muster schicken",
    "Vertrag vorbereiten",
    "Zahlung prüfen",
];
const TICKETS: &[&str] = &[
    "Maschine entkalkt nicht",
    "Lieferung unvollständig",
    "Rechnung doppelt erhalten",
    "Mahlgrad lässt sich nicht einstellen",
    "Retoure angefragt",
];
const REVIEWS: &[&str] = &[
    "Sehr guter Kaffee, schnelle Lieferung.",
    "Beratung top.",
    "Maschine läuft seit Monaten ohne Probleme.",
    "Lieferung kam zu spät.",
    "Preis-Leistung stimmt.",
];
const LOST_REASONS: &[&str] = &[
    "Preis zu hoch",
    "Wettbewerber gewählt",
    "Kein Budget",
    "Projekt verschoben",
];

pub struct HistoryGenerator {
    rng: DemoRng,
    now: DateTime<Utc>,
    order_no: u64,
}

impl HistoryGenerator {
    pub fn new(seed: u64, now: DateTime<Utc>) -> HistoryGenerator {
        HistoryGenerator {
            rng: DemoRng::new(seed ^ 0x5eed_4157),
            now,
            order_no: 100_000,
        }
    }

    /// A time in the past `days` days.
    fn past(&mut self, days: u64) -> DateTime<Utc> {
        self.now - Duration::minutes(self.rng.below(days * 24 * 60) as i64)
    }

    fn day(t: DateTime<Utc>) -> NaiveDate {
        t.date_naive()
    }

    pub fn history(
        &mut self,
        c: &ContactRef,
        products: &[ProductRef],
        pipelines: &[PipelineRef],
    ) -> ContactHistory {
        let mut h = ContactHistory::default();
        self.activities(c, &mut h);
        if c.organization.is_some() && !pipelines.is_empty() && self.rng.chance(25) {
            let existing = c.lifecycle == Lifecycle::Customer && pipelines.len() > 1;
            let p = &pipelines[usize::from(existing)];
            h.deals.push(self.deal(c, p));
        }
        self.orders(c, products, &mut h);
        if matches!(c.lifecycle, Lifecycle::Customer | Lifecycle::Former) && self.rng.chance(8) {
            let at = self.past(700);
            let open = at > self.now - Duration::days(20) && self.rng.chance(60);
            h.tickets.push((
                TicketData {
                    subject: Some((*self.rng.pick(TICKETS)).into()),
                    status: Some(
                        if open {
                            *self.rng.pick(&["new", "open", "waiting"])
                        } else {
                            *self.rng.pick(&["solved", "closed"])
                        }
                        .into(),
                    ),
                    priority: Some(
                        self.rng
                            .weighted(&[("low", 20), ("normal", 60), ("high", 15), ("urgent", 5)])
                            .into(),
                    ),
                    channel: Some(
                        self.rng
                            .weighted(&[("email", 45), ("phone", 35), ("web", 15), ("store", 5)])
                            .into(),
                    ),
                    assignee_id: c.owner,
                    contact_id: Some(c.id),
                    ..TicketData::default()
                },
                at,
            ));
        }
        if !h.orders.is_empty() && self.rng.chance(20) {
            let last = h.orders.last().map_or(self.now, |o| o.1);
            let at = (last + Duration::days(3 + self.rng.below(20) as i64)).min(self.now);
            let nps = match self.rng.below(100) {
                0..=49 => 9 + self.rng.below(2) as i64,
                50..=79 => 7 + self.rng.below(2) as i64,
                _ => self.rng.below(7) as i64,
            };
            let rated = self.rng.chance(30);
            h.feedback.push((
                FeedbackData {
                    contact_id: Some(c.id),
                    nps: Some(nps),
                    rating: rated.then(|| (nps / 2).clamp(1, 5)),
                    review: rated.then(|| (*self.rng.pick(REVIEWS)).into()),
                    source: Some(
                        self.rng
                            .weighted(&[("Umfrage", 70), ("Shop-Bewertung", 30)])
                            .into(),
                    ),
                    given_on: Some(Self::day(at)),
                    order_id: None,
                },
                at,
            ));
        }
        h
    }

    fn activities(&mut self, c: &ContactRef, h: &mut ContactHistory) {
        let n = self.rng.below(5);
        for _ in 0..n {
            let at = self.past(730);
            let kind = self
                .rng
                .weighted(&[("note", 30), ("call", 40), ("email", 30)]);
            let mut a = ActivityData {
                kind: Some(kind.into()),
                contact_id: Some(c.id),
                organization_id: c.organization,
                occurred_at: Some(at),
                ..ActivityData::default()
            };
            match kind {
                "note" => a.body = Some((*self.rng.pick(NOTES)).into()),
                "call" => {
                    a.direction = Some(
                        self.rng
                            .weighted(&[("outbound", 60), ("inbound", 40)])
                            .into(),
                    );
                    a.duration_minutes = Some(1 + self.rng.below(30) as i64);
                    a.outcome = Some(
                        self.rng
                            .weighted(&[
                                ("reached", 60),
                                ("no_answer", 20),
                                ("voicemail", 15),
                                ("busy", 5),
                            ])
                            .into(),
                    );
                    a.subject = Some("Telefonat".into());
                }
                _ => {
                    a.direction = Some(
                        self.rng
                            .weighted(&[("outbound", 55), ("inbound", 45)])
                            .into(),
                    );
                    a.subject = Some((*self.rng.pick(EMAIL_SUBJECTS)).into());
                }
            }
            h.activities.push((a, at));
        }
        if self.rng.chance(10) {
            let created = self.past(30);
            let due = Self::day(self.now) + Duration::days(self.rng.below(30) as i64 - 10);
            h.activities.push((
                ActivityData {
                    kind: Some("task".into()),
                    subject: Some((*self.rng.pick(TASKS)).into()),
                    contact_id: Some(c.id),
                    due_date: Some(due),
                    assignee_id: c.owner,
                    priority: Some(
                        self.rng
                            .weighted(&[("low", 20), ("normal", 60), ("high", 20)])
                            .into(),
                    ),
                    done: due < Self::day(self.now) && self.rng.chance(50),
                    occurred_at: Some(created),
                    ..ActivityData::default()
                },
                created,
            ));
        }
        if self.rng.chance(4) {
            let start = self.now + Duration::hours(self.rng.below(14 * 24) as i64 - 4);
            let start = start - Duration::minutes(i64::from(chrono::Timelike::minute(&start)));
            h.activities.push((
                ActivityData {
                    kind: Some("meeting".into()),
                    subject: Some("Beratungstermin".into()),
                    contact_id: Some(c.id),
                    organization_id: c.organization,
                    starts_at: Some(start),
                    ends_at: Some(start + Duration::hours(1)),
                    location: Some(
                        self.rng
                            .weighted(&[("Beim Kunden", 50), ("Showroom", 30), ("Video", 20)])
                            .into(),
                    ),
                    attendee_user_ids: c.owner.into_iter().collect(),
                    ..ActivityData::default()
                },
                self.now - Duration::days(7),
            ));
        }
    }

    fn deal(&mut self, c: &ContactRef, p: &PipelineRef) -> DealHistory {
        let created = self.past(730);
        let open: Vec<usize> = (0..p.stages.len())
            .filter(|i| !p.stages[*i].1 && !p.stages[*i].2)
            .collect();
        let won = p.stages.iter().position(|s| s.1);
        let lost = p.stages.iter().position(|s| s.2);
        let young = created > self.now - Duration::days(120);
        let outcome = if young && self.rng.chance(70) {
            "open"
        } else {
            self.rng.weighted(&[("won", 50), ("lost", 50)])
        };
        let reach = match outcome {
            "open" => 1 + self.rng.below(open.len() as u64) as usize,
            _ => 1 + self.rng.below(open.len() as u64) as usize,
        };
        let mut visits = Vec::new();
        let mut at = created;
        for &i in open.iter().take(reach) {
            visits.push((p.stages[i].0, at));
            at = (at + Duration::days(3 + self.rng.below(28) as i64)).min(self.now);
        }
        let final_stage = match (outcome, won, lost) {
            ("won", Some(w), _) => Some(w),
            ("lost", _, Some(l)) => Some(l),
            _ => None,
        };
        if let Some(f) = final_stage {
            visits.push((p.stages[f].0, at));
        }
        let stage = visits.last().map(|v| v.0);
        DealHistory {
            deal: DealData {
                title: Some(format!(
                    "{} – {}",
                    self.rng.pick(&[
                        "Büroausstattung",
                        "Kaffeeversorgung",
                        "Maschinentausch",
                        "Rahmenvertrag",
                        "Wartung"
                    ]),
                    2024 + self.rng.below(3)
                )),
                pipeline_id: Some(p.id),
                stage_id: stage,
                value_minor: Some((5 + self.rng.below(200) as i64) * 10_000),
                currency: Some("EUR".into()),
                expected_close: Some(
                    Self::day(created) + Duration::days(30 + self.rng.below(90) as i64),
                ),
                owner_id: c.owner,
                contact_ids: vec![c.id],
                organization_id: c.organization,
                lost_reason: (outcome == "lost").then(|| (*self.rng.pick(LOST_REASONS)).into()),
                ..DealData::default()
            },
            created,
            visits,
        }
    }

    fn orders(&mut self, c: &ContactRef, products: &[ProductRef], h: &mut ContactHistory) {
        if products.is_empty() {
            return;
        }
        // Repeat-purchase behaviour: many buy once, some now and then, a few often;
        // former customers stopped a year or more ago.
        let count = match c.lifecycle {
            Lifecycle::Customer => match self.rng.below(100) {
                0..=44 => 1,
                45..=79 => 2 + self.rng.below(3),
                _ => 5 + self.rng.below(11),
            },
            Lifecycle::Former => 1 + self.rng.below(3),
            Lifecycle::Prospect => u64::from(self.rng.chance(5)),
            Lifecycle::Lead => 0,
        };
        let window: (u64, u64) = if c.lifecycle == Lifecycle::Former {
            (365, 730)
        } else {
            (0, 730)
        };
        let mut dates: Vec<DateTime<Utc>> = (0..count)
            .map(|_| {
                self.now
                    - Duration::days((window.0 + self.rng.below(window.1 - window.0)) as i64)
                    - Duration::minutes(self.rng.below(1440) as i64)
            })
            .collect();
        dates.sort();
        for at in dates {
            let lines = (0..=self.rng.below(3))
                .map(|_| {
                    let p = self.rng.pick(products);
                    OrderLine {
                        product_id: Some(p.id),
                        quantity: Some(1 + self.rng.below(3) as i64),
                        unit_price_minor: Some(p.price_minor),
                        discount_bp: self.rng.chance(10).then_some(1000),
                        vat_rate_bp: Some(p.vat_rate_bp),
                        ..OrderLine::default()
                    }
                })
                .collect();
            self.order_no += 1;
            let recent = at > self.now - Duration::days(5);
            h.orders.push((
                OrderData {
                    number: Some(format!("B-{}", self.order_no)),
                    ordered_on: Some(Self::day(at)),
                    status: Some(
                        if recent {
                            self.rng
                                .weighted(&[("open", 30), ("paid", 40), ("shipped", 30)])
                        } else {
                            self.rng.weighted(&[
                                ("completed", 92),
                                ("cancelled", 4),
                                ("returned", 4),
                            ])
                        }
                        .into(),
                    ),
                    channel: Some(
                        if c.private {
                            self.rng
                                .weighted(&[("shop", 70), ("store", 25), ("phone", 5)])
                        } else {
                            self.rng
                                .weighted(&[("phone", 40), ("shop", 40), ("other", 20)])
                        }
                        .into(),
                    ),
                    payment_method: Some(
                        if c.private {
                            self.rng.weighted(&[
                                ("paypal", 40),
                                ("card", 35),
                                ("invoice", 15),
                                ("cash", 10),
                            ])
                        } else {
                            "invoice"
                        }
                        .into(),
                    ),
                    currency: Some("EUR".into()),
                    contact_id: Some(c.id),
                    organization_id: c.organization,
                    lines,
                    ..OrderData::default()
                },
                at,
            ));
        }
    }

    /// Loyalty bookings for a private customer's completed orders: a point per euro,
    /// and now and then a voucher redeemed. (order index, kind, signed points, reason, time)
    pub fn loyalty(
        &mut self,
        orders: &[(OrderData, DateTime<Utc>)],
    ) -> Vec<(usize, &'static str, i64, String, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut balance = 0;
        for (i, (o, at)) in orders.iter().enumerate() {
            if o.status.as_deref() != Some("completed") {
                continue;
            }
            // A point per euro of the net amount.
            let net: i64 = o
                .lines
                .iter()
                .map(|l| {
                    l.quantity.unwrap_or(1)
                        * l.unit_price_minor.unwrap_or(0)
                        * (10_000 - l.discount_bp.unwrap_or(0))
                        / 10_000
                })
                .sum();
            let points = net / 100;
            if points > 0 {
                balance += points;
                out.push((
                    i,
                    "earn",
                    points,
                    format!("Bestellung {}", o.number.as_deref().unwrap_or("")),
                    *at,
                ));
            }
            if balance >= 500 && self.rng.chance(40) {
                balance -= 500;
                out.push((
                    i,
                    "redeem",
                    -500,
                    "Gutschein 5 €".into(),
                    *at + Duration::days(1),
                ));
            }
        }
        out
    }
}
