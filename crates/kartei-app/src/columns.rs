//! The columns of contact and organisation tables, shared by the web list (choosable
//! columns), the CSV export and the detail page's master data: one place names each
//! column in German and English and says how its value is shown.

use crate::format::{date, timestamp};
use kartei_core::channels::{Address, EmailEntry};
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::organization::OrganizationData;
use kartei_core::record::RecordData;
use kartei_formats::csv;
use kartei_store::records::Record;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// What cells need besides the record: names of linked organisations and users.
pub struct CellContext {
    pub lang: Lang,
    pub organizations: HashMap<Uuid, String>,
    pub users: HashMap<Uuid, String>,
    /// Names of other linked things: contacts, stages, categories.
    pub names: HashMap<Uuid, String>,
    /// Contacts: what each may be addressed for now, in words.
    pub consents: HashMap<Uuid, String>,
}

impl CellContext {
    fn name(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| {
            self.names
                .get(&i)
                .or_else(|| self.organizations.get(&i))
                .cloned()
        })
        .unwrap_or_default()
    }
}

pub struct Column<R> {
    /// Stable key, used in the list's `cols` parameter and saved views.
    pub key: &'static str,
    pub de: &'static str,
    pub en: &'static str,
    /// The sort field behind the column, when the list can sort by it.
    pub sort: Option<&'static str>,
    /// Part of the CSV export (the id, names and master data, not display helpers).
    pub export: bool,
    pub value: fn(&Record<R>, &CellContext) -> String,
}

impl<R> Column<R> {
    pub fn label(&self, lang: Lang) -> &'static str {
        lang.pick(self.de, self.en)
    }
}

/// A record kind with a table.
pub trait Columns: RecordData {
    const COLUMNS: &'static [Column<Self>];
    /// What a list shows before the user chooses.
    const DEFAULT_COLUMNS: &'static [&'static str];

    fn column(key: &str) -> Option<&'static Column<Self>> {
        Self::COLUMNS.iter().find(|c| c.key == key)
    }

    /// The record as a vCard 4.0, for kinds that are people; `None` for the others.
    fn vcard(_record: &Record<Self>, _ctx: &CellContext) -> Option<String> {
        None
    }
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn first_email(emails: &[EmailEntry]) -> String {
    emails
        .first()
        .map(|e| e.address.clone())
        .unwrap_or_default()
}

/// A part of the first address.
fn address(addresses: &[Address], part: fn(&Address) -> &Option<String>) -> String {
    addresses.first().map(|a| s(part(a))).unwrap_or_default()
}

fn tags<R>(r: &Record<R>) -> String {
    r.tags
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn user(id: Option<Uuid>, c: &CellContext) -> String {
    id.and_then(|u| c.users.get(&u).cloned())
        .unwrap_or_default()
}

/// A code (lifecycle stage, customer type …) in the reader's language.
fn code(v: &Option<String>, c: &CellContext) -> String {
    v.as_deref()
        .map(|v| crate::texts::option_label(v, c.lang).to_string())
        .unwrap_or_default()
}

const fn col<R>(
    key: &'static str,
    de: &'static str,
    en: &'static str,
    sort: Option<&'static str>,
    value: fn(&Record<R>, &CellContext) -> String,
) -> Column<R> {
    Column {
        key,
        de,
        en,
        sort,
        export: true,
        value,
    }
}

const fn view<R>(
    key: &'static str,
    de: &'static str,
    en: &'static str,
    sort: Option<&'static str>,
    value: fn(&Record<R>, &CellContext) -> String,
) -> Column<R> {
    Column {
        key,
        de,
        en,
        sort,
        export: false,
        value,
    }
}

impl Columns for ContactData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 24>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("salutation", "Anrede", "Salutation", None, |r, _| {
                s(&r.data.salutation)
            }),
            col("title", "Titel", "Title", None, |r, _| s(&r.data.title)),
            col(
                "first_name",
                "Vorname",
                "First name",
                Some("first_name"),
                |r, _| s(&r.data.first_name),
            ),
            col("last_name", "Nachname", "Last name", None, |r, _| {
                s(&r.data.last_name)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                r.data
                    .organization_id
                    .and_then(|o| c.organizations.get(&o).cloned())
                    .unwrap_or_default()
            }),
            col("job_title", "Position", "Job title", None, |r, _| {
                s(&r.data.job_title)
            }),
            col("email", "E-Mail", "E-mail", Some("email"), |r, _| {
                first_email(&r.data.emails)
            }),
            col("phone", "Telefon", "Phone", None, |r, _| {
                r.data
                    .phones
                    .iter()
                    .find(|p| p.kind.as_deref() != Some("mobile"))
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
            col("mobile", "Mobil", "Mobile", None, |r, _| {
                r.data
                    .phones
                    .iter()
                    .find(|p| p.kind.as_deref() == Some("mobile"))
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
        ],
        &party_address(),
        &[
            col(
                "birthday",
                "Geburtstag",
                "Birthday",
                Some("birthday"),
                |r, c| date(r.data.birthday, c.lang),
            ),
            col(
                "lifecycle_stage",
                "Phase",
                "Lifecycle stage",
                None,
                |r, c| code(&r.data.lifecycle_stage, c),
            ),
            col("lead_source", "Quelle", "Lead source", None, |r, _| {
                s(&r.data.lead_source)
            }),
            view("consents", "Einwilligungen", "Consents", None, |r, c| {
                c.consents.get(&r.id).cloned().unwrap_or_default()
            }),
        ],
        &party_tail(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "organization", "email", "phone", "city", "tags"];

    fn vcard(r: &Record<Self>, ctx: &CellContext) -> Option<String> {
        let org = r
            .data
            .organization_id
            .and_then(|o| ctx.organizations.get(&o));
        let tags: Vec<String> = r.tags.iter().map(|t| t.name.clone()).collect();
        Some(kartei_formats::vcard::contact(
            r.id,
            &r.data,
            org.map(String::as_str),
            &tags,
            r.updated_at,
        ))
    }
}

impl Columns for OrganizationData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 18>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            col("name", "Name", "Name", Some("name"), |r, _| s(&r.data.name)),
            col("legal_form", "Rechtsform", "Legal form", None, |r, _| {
                s(&r.data.legal_form)
            }),
            col(
                "industry",
                "Branche",
                "Industry",
                Some("industry"),
                |r, _| s(&r.data.industry),
            ),
            col(
                "team_size",
                "Mitarbeiter",
                "Team size",
                Some("team_size"),
                |r, c| {
                    r.data
                        .team_size
                        .map(|n| crate::format::integer(n, c.lang))
                        .unwrap_or_default()
                },
            ),
            col("website", "Website", "Website", None, |r, _| {
                s(&r.data.website)
            }),
            col("email", "E-Mail", "E-mail", None, |r, _| {
                first_email(&r.data.emails)
            }),
            col("phone", "Telefon", "Phone", None, |r, _| {
                r.data
                    .phones
                    .first()
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
        ],
        &party_address(),
        &[view(
            "lifecycle_stage",
            "Phase",
            "Lifecycle stage",
            None,
            |r, c| code(&r.data.lifecycle_stage, c),
        )],
        &party_tail(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "industry", "email", "phone", "city", "tags"];
}

fn money(minor: Option<i64>, currency: &Option<String>, c: &CellContext) -> String {
    minor
        .map(|m| crate::format::money(m, currency.as_deref().unwrap_or("EUR"), c.lang))
        .unwrap_or_default()
}

fn num(v: Option<i64>, c: &CellContext) -> String {
    v.map(|n| crate::format::integer(n, c.lang))
        .unwrap_or_default()
}

fn day(d: Option<chrono::NaiveDate>, c: &CellContext) -> String {
    date(d, c.lang)
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>, c: &CellContext) -> String {
    t.map(|t| timestamp(t, c.lang)).unwrap_or_default()
}

fn yes(b: bool, c: &CellContext) -> String {
    c.lang
        .pick(if b { "ja" } else { "nein" }, if b { "yes" } else { "no" })
        .to_string()
}

macro_rules! stamps {
    () => {
        [
            view(
                "created_at",
                "Angelegt",
                "Created",
                Some("created_at"),
                |r, c| timestamp(r.created_at, c.lang),
            ),
            view(
                "updated_at",
                "Geändert",
                "Changed",
                Some("updated_at"),
                |r, c| timestamp(r.updated_at, c.lang),
            ),
        ]
    };
}

use kartei_core::activity::ActivityData;
use kartei_core::commerce::{OrderData, ProductCategoryData, ProductData};
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::support::{FeedbackData, TicketData};

/// What contacts and organisations both have, for the columns they share.
trait Party: RecordData {
    fn addresses(&self) -> &[Address];
    fn customer_number(&self) -> &Option<String>;
    fn owner_id(&self) -> Option<Uuid>;
}

/// Both keep these under the same names.
macro_rules! party {
    ($($kind:ty),*) => {$(
        impl Party for $kind {
            fn addresses(&self) -> &[Address] {
                &self.addresses
            }
            fn customer_number(&self) -> &Option<String> {
                &self.customer_number
            }
            fn owner_id(&self) -> Option<Uuid> {
                self.owner_id
            }
        }
    )*};
}
party!(ContactData, OrganizationData);

/// The parts of a party's first address.
const fn party_address<R: Party + 'static>() -> [Column<R>; 4] {
    [
        col("street", "Straße", "Street", None, |r, _| {
            address(r.data.addresses(), |a| &a.street)
        }),
        col("postcode", "PLZ", "Postcode", Some("postcode"), |r, _| {
            address(r.data.addresses(), |a| &a.postcode)
        }),
        col("city", "Ort", "City", Some("city"), |r, _| {
            address(r.data.addresses(), |a| &a.city)
        }),
        col("country", "Land", "Country", None, |r, _| {
            address(r.data.addresses(), |a| &a.country)
        }),
    ]
}

/// A party's customer number, tags, owner and times.
const fn party_tail<R: Party + 'static>() -> [Column<R>; 5] {
    let [created, updated] = stamps!();
    [
        col(
            "customer_number",
            "Kundennummer",
            "Customer number",
            None,
            |r, _| s(r.data.customer_number()),
        ),
        col("tags", "Tags", "Tags", None, |r, _| tags(r)),
        view("owner", "Betreuer", "Owner", None, |r, c| {
            user(r.data.owner_id(), c)
        }),
        created,
        updated,
    ]
}

/// The columns of `parts` one after the other; `N` must be their number (checked when
/// compiling).
const fn concat<R: 'static, const N: usize>(parts: &[&[Column<R>]]) -> [Column<R>; N]
where
    Column<R>: Copy,
{
    let mut out = [parts[0][0]; N];
    let mut at = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[at] = parts[i][j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N, "N is not the number of columns");
    out
}

impl<R> Clone for Column<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Column<R> {}

impl Columns for ActivityData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Betreff", "Subject", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("kind", "Art", "Type", None, |r, c| code(&r.data.kind, c)),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col(
                "happened_at",
                "Zeitpunkt",
                "When",
                Some("happened_at"),
                |r, c| when(r.data.happened_at(), c),
            ),
            col("due_date", "Fällig", "Due", Some("due_date"), |r, c| {
                day(r.data.due_date, c)
            }),
            col("assignee", "Zuständig", "Assignee", None, |r, c| {
                user(r.data.assignee_id, c)
            }),
            col("done", "Erledigt", "Done", None, |r, c| {
                if r.data.kind.as_deref() == Some("task") {
                    yes(r.data.done, c)
                } else {
                    String::new()
                }
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "kind", "contact", "happened_at", "assignee", "done"];
}

impl Columns for PipelineData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 5>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("stages", "Phasen", "Stages", None, |r, _| {
                r.data
                    .stages
                    .iter()
                    .filter_map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(" → ")
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &["name", "stages"];
}

impl Columns for DealData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 13>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Titel", "Title", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("stage", "Phase", "Stage", None, |r, c| {
                c.name(r.data.stage_id)
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("value", "Wert", "Value", Some("value_minor"), |r, c| {
                money(r.data.value_minor, &r.data.currency, c)
            }),
            col(
                "probability",
                "Wahrscheinlichkeit",
                "Probability",
                None,
                |r, _| {
                    r.data
                        .probability
                        .map(|p| format!("{p} %"))
                        .unwrap_or_default()
                },
            ),
            col(
                "expected_close",
                "Abschluss erwartet",
                "Expected close",
                Some("expected_close"),
                |r, c| day(r.data.expected_close, c),
            ),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_ids.first().copied())
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("owner", "Betreuer", "Owner", None, |r, c| {
                user(r.data.owner_id, c)
            }),
            col(
                "lost_reason",
                "Verlustgrund",
                "Lost reason",
                None,
                |r, _| s(&r.data.lost_reason),
            ),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &[
        "name",
        "stage",
        "value",
        "expected_close",
        "contact",
        "owner",
    ];
}

impl Columns for ProductCategoryData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 5>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("parent", "Übergeordnet", "Parent", None, |r, c| {
                c.name(r.data.parent_id)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &["name", "parent"];
}

impl Columns for ProductData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 9>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("sku", "Artikelnummer", "SKU", Some("sku"), |r, _| {
                s(&r.data.sku)
            }),
            col("category", "Kategorie", "Category", None, |r, c| {
                c.name(r.data.category_id)
            }),
            col(
                "price",
                "Preis (netto)",
                "Price (net)",
                Some("price_minor"),
                |r, c| money(r.data.price_minor, &r.data.currency, c),
            ),
            col("vat", "USt.", "VAT", None, |r, c| {
                r.data
                    .vat_rate_bp
                    .map(|b| crate::format::percent_bp(b, c.lang))
                    .unwrap_or_default()
            }),
            col("active", "Aktiv", "Active", None, |r, c| {
                yes(r.data.active.unwrap_or(true), c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "sku", "category", "price", "active"];
}

impl Columns for OrderData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Nummer", "Number", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("ordered_on", "Datum", "Date", Some("ordered_on"), |r, c| {
                day(r.data.ordered_on, c)
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("channel", "Kanal", "Channel", None, |r, c| {
                code(&r.data.channel, c)
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("net", "Netto", "Net", None, |r, c| {
                money(r.data.net_minor, &r.data.currency, c)
            }),
            col("gross", "Brutto", "Gross", Some("gross_minor"), |r, c| {
                money(r.data.gross_minor, &r.data.currency, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "ordered_on", "status", "contact", "gross"];
}

impl Columns for TicketData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Betreff", "Subject", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("priority", "Priorität", "Priority", None, |r, c| {
                code(&r.data.priority, c)
            }),
            col("channel", "Kanal", "Channel", None, |r, c| {
                code(&r.data.channel, c)
            }),
            col("assignee", "Zuständig", "Assignee", None, |r, c| {
                user(r.data.assignee_id, c)
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("due_at", "Fällig", "Due", Some("due_at"), |r, c| {
                when(r.data.due_at, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &[
        "name",
        "status",
        "priority",
        "assignee",
        "contact",
        "created_at",
    ];
}

impl Columns for FeedbackData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 10>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Eintrag", "Entry", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("nps", "NPS", "NPS", Some("nps"), |r, c| num(r.data.nps, c)),
            col("rating", "Sterne", "Stars", Some("rating"), |r, c| {
                num(r.data.rating, c)
            }),
            col("review", "Bewertung", "Review", None, |r, _| {
                r.data
                    .review
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect()
            }),
            col("source", "Quelle", "Source", None, |r, _| s(&r.data.source)),
            col("given_on", "Datum", "Date", Some("given_on"), |r, c| {
                day(r.data.given_on, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "contact", "nps", "rating", "review", "given_on"];
}

/// A custom value as a person reads it (list cell, spreadsheet, detail page).
pub fn custom_cell(def: &CustomFieldDef, value: Option<&Value>, lang: Lang) -> String {
    let label = |key: &str| {
        def.options
            .iter()
            .find(|o| o.key == key)
            .map_or(key.to_string(), |o| match lang {
                Lang::De => o.label_de.clone(),
                Lang::En => o.label_en.clone(),
            })
    };
    match (def.kind, value) {
        (_, None | Some(Value::Null)) => String::new(),
        (CustomKind::Boolean, Some(Value::Bool(b))) => lang
            .pick(
                if *b { "ja" } else { "nein" },
                if *b { "yes" } else { "no" },
            )
            .into(),
        (CustomKind::Date, Some(Value::String(d))) => {
            date(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(), lang)
        }
        (CustomKind::SingleChoice, Some(Value::String(k))) => label(k),
        (CustomKind::MultiChoice, Some(Value::Array(ks))) => ks
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join(", "),
        (CustomKind::Number, Some(Value::Number(n))) if lang == Lang::De => {
            n.to_string().replace('.', ",")
        }
        (_, Some(Value::String(t))) => t.clone(),
        (_, Some(v)) => v.to_string(),
    }
}

pub fn custom_label(def: &CustomFieldDef, lang: Lang) -> &str {
    match lang {
        Lang::De => &def.label_de,
        Lang::En => &def.label_en,
    }
}

/// The columns an export writes: the exported built-in columns and every custom field,
/// or those chosen by key (`email`, `custom.size`) in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportColumns(Option<Vec<String>>);

enum ExportColumn<'a, R: 'static> {
    Column(&'static Column<R>),
    Custom(&'a CustomFieldDef),
}

impl ExportColumns {
    /// All exported columns.
    pub fn all() -> ExportColumns {
        ExportColumns(None)
    }

    /// Chosen columns; an unknown key is an error naming it (and what there is).
    pub fn chosen<R: Columns>(
        keys: &[String],
        defs: &[CustomFieldDef],
    ) -> Result<ExportColumns, String> {
        for k in keys {
            let known = match k.strip_prefix("custom.") {
                Some(key) => defs.iter().any(|d| d.key == key),
                None => R::column(k).is_some(),
            };
            if !known {
                let mut there: Vec<String> = R::COLUMNS.iter().map(|c| c.key.to_string()).collect();
                there.extend(defs.iter().map(|d| format!("custom.{}", d.key)));
                return Err(format!(
                    "unknown column {k:?}; there are {}",
                    there.join(", ")
                ));
            }
        }
        Ok(ExportColumns(Some(keys.to_vec())))
    }

    fn resolve<'a, R: Columns>(&self, defs: &'a [CustomFieldDef]) -> Vec<ExportColumn<'a, R>> {
        match &self.0 {
            None => R::COLUMNS
                .iter()
                .filter(|c| c.export)
                .map(ExportColumn::Column)
                .chain(defs.iter().map(ExportColumn::Custom))
                .collect(),
            Some(keys) => keys
                .iter()
                .filter_map(|k| match k.strip_prefix("custom.") {
                    Some(key) => defs.iter().find(|d| d.key == key).map(ExportColumn::Custom),
                    None => R::column(k).map(ExportColumn::Column),
                })
                .collect(),
        }
    }

    /// The header cells.
    pub fn header<R: Columns>(&self, defs: &[CustomFieldDef], lang: Lang) -> Vec<String> {
        self.resolve::<R>(defs)
            .into_iter()
            .map(|c| match c {
                ExportColumn::Column(c) => c.label(lang).to_string(),
                ExportColumn::Custom(d) => custom_label(d, lang).to_string(),
            })
            .collect()
    }

    /// The cells of one record.
    pub fn cells<R: Columns>(
        &self,
        r: &Record<R>,
        defs: &[CustomFieldDef],
        ctx: &CellContext,
    ) -> Vec<String> {
        self.resolve::<R>(defs)
            .into_iter()
            .map(|c| match c {
                ExportColumn::Column(c) => (c.value)(r, ctx),
                ExportColumn::Custom(d) => custom_cell(d, r.data.custom().get(&d.key), ctx.lang),
            })
            .collect()
    }

    /// The first line of a CSV export: a byte-order mark for German Excel, then the
    /// headers.
    pub fn csv_header<R: Columns>(&self, defs: &[CustomFieldDef], lang: Lang) -> String {
        let mut text = if lang == Lang::De {
            csv::BOM.to_string()
        } else {
            String::new()
        };
        text.push_str(&csv::line(
            &self.header::<R>(defs, lang),
            csv::delimiter(lang),
        ));
        text
    }

    pub fn csv_row<R: Columns>(
        &self,
        r: &Record<R>,
        defs: &[CustomFieldDef],
        ctx: &CellContext,
    ) -> String {
        csv::line(&self.cells(r, defs, ctx), csv::delimiter(ctx.lang))
    }
}

/// The header line of a CSV export of all exported columns.
pub fn csv_header<R: Columns>(defs: &[CustomFieldDef], lang: Lang) -> String {
    ExportColumns::all().csv_header::<R>(defs, lang)
}

pub fn csv_row<R: Columns>(r: &Record<R>, defs: &[CustomFieldDef], ctx: &CellContext) -> String {
    ExportColumns::all().csv_row(r, defs, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<R: Columns>(exported: bool) -> Vec<&'static str> {
        R::COLUMNS
            .iter()
            .filter(|c| c.export == exported)
            .map(|c| c.key)
            .collect()
    }

    /// A column whose field lists can sort by is clickable (it names its sort field),
    /// and a clickable column names a field that sorts, for every kind.
    #[test]
    fn every_sortable_column_can_be_clicked() {
        fn check<R: Columns>(wrong: &mut Vec<String>) {
            let fields = kartei_core::fields::fields(R::ENTITY);
            let sortable = |name: &str| fields.iter().any(|f| f.name == name && f.sortable);
            for c in R::COLUMNS {
                match c.sort {
                    Some(field) if !sortable(field) => {
                        wrong.push(format!(
                            "{}.{}: sorts by {field}",
                            R::ENTITY.as_str(),
                            c.key
                        ));
                    }
                    None if sortable(c.key) => {
                        wrong.push(format!("{}.{}: not clickable", R::ENTITY.as_str(), c.key));
                    }
                    _ => {}
                }
            }
        }
        let mut wrong = Vec::new();
        macro_rules! each {
            ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
                $(check::<$data>(&mut wrong);)*
            };
        }
        kartei_core::with_record_kinds!(each);
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    /// Exports keep their columns and order when the shared ones are declared once.
    #[test]
    fn contacts_and_organisations_export_their_columns_in_order() {
        assert_eq!(
            keys::<ContactData>(true),
            [
                "id",
                "salutation",
                "title",
                "first_name",
                "last_name",
                "organization",
                "job_title",
                "email",
                "phone",
                "mobile",
                "street",
                "postcode",
                "city",
                "country",
                "birthday",
                "lifecycle_stage",
                "lead_source",
                "customer_number",
                "tags"
            ]
        );
        assert_eq!(
            keys::<OrganizationData>(true),
            [
                "id",
                "name",
                "legal_form",
                "industry",
                "team_size",
                "website",
                "email",
                "phone",
                "street",
                "postcode",
                "city",
                "country",
                "customer_number",
                "tags"
            ]
        );
        assert_eq!(
            keys::<ContactData>(false),
            ["name", "consents", "owner", "created_at", "updated_at"]
        );
    }
}
