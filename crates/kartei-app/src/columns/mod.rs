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

pub use export_columns::{csv_header, csv_row, custom_cell, custom_label, ExportColumns};

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

// After the macros above, which they use.
mod export_columns;
mod party;
mod work;

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
