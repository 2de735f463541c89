//! Exports: a segment of one kind's records (search, filter, sort, columns) as CSV
//! (Excel-friendly in German: `;` and a byte-order mark), XLSX, JSON (the API's shape)
//! or vCard 4.0 (people only). One exporter serves the web's download, the API and
//! `kartei export`: it walks the records page by page, so any size works with one page
//! in memory (an XLSX workbook is built whole, at the end).

use crate::columns::{CellContext, Columns, ExportColumns};
use crate::json::RecordOut;
use crate::texts::Tr;
use kartei_core::commerce::ProductCategoryData;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::filter::{Sort, TypedFilter};
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use kartei_core::segment::Segment;
use kartei_store::list::{ListRequest, Page};
use kartei_store::records::Record;
use kartei_store::search::SearchRequest;
use kartei_store::{Store, StoreError};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// Records per page while an export walks the list.
const PAGE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
    Vcard,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            "vcard" => Some(Format::Vcard),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
            Format::Vcard => "text/vcard; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Vcard => "vcf",
        }
    }
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Search text, filter, sort and columns (all exported columns when none).
    pub segment: Segment,
    pub format: Format,
    /// Language of headers, dates and numbers, and of error messages.
    pub lang: Lang,
    /// Whether the reader may see bank details unmasked.
    pub sensitive: bool,
    /// A list for a mailing (contacts only): `(channel, purpose)`. Only contacts who may
    /// be addressed that way and have somewhere to send it are written; the others are
    /// counted by reason ([`Export::left_out`]).
    pub mailing: Option<(String, String)>,
}

/// A mailing under way: its channel and purpose, the segment's own filter (the export
/// reads the segment narrowed to who may be reached), and the index column that holds
/// the address the channel needs.
struct Mailing {
    channel: String,
    purpose: String,
    segment_filter: Option<TypedFilter>,
    address_column: &'static str,
    /// The segment counted by reason, once asked for.
    breakdown: Option<HashMap<String, u64>>,
}

/// The index column a mailing on `channel` needs filled: the first e-mail, the first
/// phone, the first address's city.
fn address_column(channel: &str) -> &'static str {
    match channel {
        "email" => "email",
        "post" => "city",
        _ => "phone",
    }
}

/// The segment's filter and "may be contacted so, and has an address for it".
fn reachable_filter(segment: Option<TypedFilter>, channel: &str, purpose: &str) -> TypedFilter {
    use kartei_core::filter::{Predicate, Target};
    let column = address_column(channel);
    let kind = kartei_core::fields::find(Entity::Contact, column)
        .map_or(kartei_core::fields::FieldKind::Text, |f| f.kind);
    let mut all = vec![
        TypedFilter::Pred(Predicate::MayContact {
            channel: channel.to_string(),
            purpose: purpose.to_string(),
        }),
        TypedFilter::Not(Box::new(TypedFilter::Pred(Predicate::IsEmpty {
            target: Target::Column { column, kind },
        }))),
    ];
    all.extend(segment);
    TypedFilter::And(all)
}

/// Why a contact of a mailing's segment was not written.
pub const LEFT_OUT_REASONS: [&str; 7] = [
    "none",
    "withdrawn",
    "refused",
    "pending",
    "expired",
    "unknown",
    "no_address",
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The request does not fit the kind (its filter, sort, a column or the format);
    /// nothing was read or written.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One export under way: the opening, then page after page, then the closing.
pub struct Export<R> {
    store: Arc<Store>,
    q: Option<String>,
    filter: Option<TypedFilter>,
    sort: Sort,
    cursor: Option<String>,
    done: bool,
    columns: ExportColumns,
    defs: Vec<CustomFieldDef>,
    format: Format,
    lang: Lang,
    sensitive: bool,
    users: HashMap<Uuid, String>,
    /// The rows of an XLSX workbook, header first.
    sheet: Vec<Vec<String>>,
    /// How many records were written.
    count: usize,
    mailing: Option<Mailing>,
    _record: PhantomData<R>,
}

impl<R: Columns + ToSchema> Export<R> {
    /// Checks the request against the kind; an error names what does not fit.
    pub async fn open(store: Arc<Store>, request: ExportRequest) -> Result<Self, ExportError> {
        let ExportRequest {
            segment,
            format,
            lang,
            sensitive,
            mailing,
        } = request;
        let defs = store.custom_fields(Some(R::ENTITY)).await?;
        let messages = |errors: Vec<kartei_core::validation::FieldError>| {
            errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.code.message(lang)))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let filter = match segment.filter {
            Some(f) => Some(
                f.typed(R::ENTITY, &defs)
                    .map_err(|e| ExportError::Invalid(messages(e)))?,
            ),
            None => None,
        };
        let sort = match &segment.sort {
            Some(key) => Sort::parse(R::ENTITY, &defs, key).map_err(|_| {
                ExportError::Invalid(format!(
                    "{key:?}: {}",
                    lang.pick(
                        "keine Spalte, nach der sortiert werden kann",
                        "not a column to sort by",
                    )
                ))
            })?,
            None => Sort::by_name(),
        };
        let columns = if segment.cols.is_empty() {
            ExportColumns::all()
        } else {
            ExportColumns::chosen::<R>(&segment.cols, &defs).map_err(ExportError::Invalid)?
        };
        if format == Format::Vcard && R::ENTITY != Entity::Contact {
            return Err(ExportError::Invalid(
                lang.pick(
                    "vCards gibt es nur von Kontakten",
                    "vCard export is for contacts",
                )
                .into(),
            ));
        }
        if let Some((_, purpose)) = &mailing {
            let known = store.consent_purposes().await?;
            if R::ENTITY != Entity::Contact {
                return Err(ExportError::Invalid(
                    lang.pick(
                        "Listen für Aussendungen gibt es nur von Kontakten",
                        "Mailing lists are for contacts",
                    )
                    .into(),
                ));
            }
            if !known.iter().any(|p| p.key == *purpose) {
                let keys: Vec<&str> = known.iter().map(|p| p.key.as_str()).collect();
                return Err(ExportError::Invalid(format!(
                    "{purpose:?}: {} ({})",
                    lang.pick("kein eingerichteter Zweck", "not a configured purpose"),
                    keys.join(", ")
                )));
            }
        }
        let users = user_names(&store).await?;
        let (filter, mailing) = match mailing {
            Some((channel, purpose)) => (
                Some(reachable_filter(filter.clone(), &channel, &purpose)),
                Some(Mailing {
                    breakdown: None,
                    address_column: address_column(&channel),
                    channel,
                    purpose,
                    segment_filter: filter,
                }),
            ),
            None => (filter, None),
        };
        Ok(Export {
            store,
            q: segment.q.filter(|q| !q.trim().is_empty()),
            filter,
            sort,
            cursor: None,
            done: false,
            columns,
            defs,
            format,
            lang,
            sensitive,
            users,
            sheet: Vec::new(),
            count: 0,
            mailing,
            _record: PhantomData,
        })
    }

    /// The file's name: the kind and today's date (`contacts-2026-12-01.csv`).
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.{}",
            R::ENTITY.table(),
            kartei_store::now().format("%Y-%m-%d"),
            self.format.extension()
        )
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// How many records were written so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// For a mailing: how many contacts of the segment were left out, by reason (those
    /// with none left out are not named). A list counts in one grouped query; a search
    /// reads its matches.
    pub async fn left_out(&mut self) -> Result<Vec<(&'static str, usize)>, StoreError> {
        let Some(by_reason) = self.breakdown().await? else {
            return Ok(Vec::new());
        };
        Ok(LEFT_OUT_REASONS
            .into_iter()
            .map(|r| {
                let n = match r {
                    // Statuses Kartei does not know (none today) count as "unknown".
                    "unknown" => by_reason
                        .iter()
                        .filter(|(k, _)| {
                            *k != "reachable" && !LEFT_OUT_REASONS.contains(&k.as_str())
                        })
                        .map(|(_, n)| *n)
                        .sum(),
                    _ => by_reason.get(r).copied().unwrap_or(0),
                };
                (r, usize::try_from(n).unwrap_or(usize::MAX))
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    /// A mailing's segment counted by reason (see [`Store::consent_breakdown`]), read
    /// once; `None` for other exports.
    async fn breakdown(&mut self) -> Result<Option<HashMap<String, u64>>, StoreError> {
        let Some(m) = &self.mailing else {
            return Ok(None);
        };
        if let Some(b) = &m.breakdown {
            return Ok(Some(b.clone()));
        }
        let by_reason = match &self.q {
            None => {
                self.store
                    .consent_breakdown(
                        m.segment_filter.as_ref(),
                        &m.channel,
                        &m.purpose,
                        m.address_column,
                    )
                    .await?
            }
            Some(q) => self.search_breakdown(q, m).await?,
        };
        if let Some(m) = &mut self.mailing {
            m.breakdown = Some(by_reason.clone());
        }
        Ok(Some(by_reason))
    }

    /// [`Export::left_out`]'s counts for a search: its matches, read page by page.
    async fn search_breakdown(
        &self,
        q: &str,
        m: &Mailing,
    ) -> Result<HashMap<String, u64>, StoreError> {
        let mut out: HashMap<String, u64> = HashMap::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .search::<R>(&SearchRequest {
                    q: q.chars().take(200).collect(),
                    filter: m.segment_filter.clone(),
                    cursor,
                    limit: PAGE,
                })
                .await?;
            let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
            let status = self
                .store
                .consent_status(&ids, &m.channel, &m.purpose)
                .await?;
            for r in &page.items {
                let reason = match status.get(&r.id).map(String::as_str) {
                    Some("granted") if has_address(r, m.address_column) => "reachable",
                    Some("granted") => "no_address",
                    None => "none",
                    Some(s) => s,
                };
                *out.entry(reason.to_string()).or_default() += 1;
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }

    /// How many records the export writes, without writing them: for a mailing, the
    /// reachable share of its breakdown; otherwise the records read page by page.
    pub async fn tally(&mut self) -> Result<usize, StoreError> {
        if let Some(by_reason) = self.breakdown().await? {
            let n = by_reason.get("reachable").copied().unwrap_or(0);
            return Ok(usize::try_from(n).unwrap_or(usize::MAX));
        }
        while !self.done {
            let page = self.read_page().await?;
            self.cursor = page.next_cursor;
            self.done = self.cursor.is_none();
            self.count += page.items.len();
        }
        Ok(self.count)
    }

    /// What comes before the first record: the CSV header, the JSON array's bracket.
    pub fn opening(&mut self) -> Vec<u8> {
        match self.format {
            Format::Csv => self
                .columns
                .csv_header::<R>(&self.defs, self.lang)
                .into_bytes(),
            Format::Xlsx => {
                self.sheet = vec![self.columns.header::<R>(&self.defs, self.lang)];
                Vec::new()
            }
            Format::Json => b"[".to_vec(),
            Format::Vcard => Vec::new(),
        }
    }

    /// The next page of records, rendered; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let page = self.read_page().await?;
        self.cursor = page.next_cursor;
        self.done = self.cursor.is_none();
        let items = page.items;
        let items: Vec<Record<R>> = if self.sensitive {
            items
        } else {
            items
                .into_iter()
                .map(|r| Record {
                    data: r.data.masked(),
                    ..r
                })
                .collect()
        };
        let ctx = self.cell_context(&items).await?;
        let mut out = String::new();
        for r in items {
            match self.format {
                Format::Csv => out.push_str(&self.columns.csv_row(&r, &self.defs, &ctx)),
                Format::Xlsx => self.sheet.push(self.columns.cells(&r, &self.defs, &ctx)),
                Format::Json => {
                    out.push_str(if self.count == 0 { "\n" } else { ",\n" });
                    let json = serde_json::to_string(&RecordOut::new(r, true))
                        .map_err(StoreError::from)?;
                    out.push_str(&json);
                }
                Format::Vcard => out.push_str(&R::vcard(&r, &ctx).unwrap_or_default()),
            }
            self.count += 1;
        }
        Ok(Some(out.into_bytes()))
    }

    /// What comes after the last record: the JSON array's bracket, the XLSX workbook.
    pub fn closing(&mut self) -> Vec<u8> {
        match self.format {
            Format::Json => b"\n]\n".to_vec(),
            Format::Xlsx => {
                let title = Tr(self.lang).t(&format!("entity.{}", R::ENTITY.as_str()));
                kartei_formats::xlsx::write(title, &std::mem::take(&mut self.sheet))
            }
            Format::Csv | Format::Vcard => Vec::new(),
        }
    }

    async fn read_page(&mut self) -> Result<Page<R>, StoreError> {
        let (filter, cursor) = (self.filter.clone(), self.cursor.take());
        match &self.q {
            Some(q) => {
                self.store
                    .search::<R>(&SearchRequest {
                        q: q.chars().take(200).collect(),
                        filter,
                        cursor,
                        limit: PAGE,
                    })
                    .await
            }
            None => {
                self.store
                    .list::<R>(&ListRequest {
                        filter,
                        sort: self.sort.clone(),
                        cursor,
                        limit: PAGE,
                        with_total: false,
                    })
                    .await
            }
        }
    }

    async fn cell_context(&self, items: &[Record<R>]) -> Result<CellContext, StoreError> {
        let (organizations, names) = linked_names(&self.store, items).await?;
        Ok(CellContext {
            lang: self.lang,
            organizations,
            users: self.users.clone(),
            names,
            consents: if self.columns.includes("consents") {
                consent_cells(&self.store, items, self.lang).await?
            } else {
                HashMap::new()
            },
        })
    }
}

/// Whether a record fills the index column a mailing needs (see [`address_column`]).
fn has_address<R: Columns>(record: &Record<R>, column: &str) -> bool {
    record
        .data
        .index_values()
        .iter()
        .any(|(c, v)| *c == column && !matches!(v, kartei_core::record::IndexValue::Text(None)))
}

/// Loads the names a page of records refers to (organisations, contacts, users,
/// stages and categories) and, when the page shows them, the contacts' consents.
pub async fn cell_context<R: Columns>(
    store: &Store,
    items: &[Record<R>],
    lang: Lang,
    with_consents: bool,
) -> Result<CellContext, StoreError> {
    let (organizations, names) = linked_names(store, items).await?;
    Ok(CellContext {
        lang,
        organizations,
        users: user_names(store).await?,
        names,
        consents: if with_consents {
            consent_cells(store, items, lang).await?
        } else {
            HashMap::new()
        },
    })
}

/// For contacts: what each may be addressed for now ("Newsletter · E-Mail, Werbeanrufe ·
/// Telefon"), by id; nothing for other kinds.
async fn consent_cells<R: Columns>(
    store: &Store,
    items: &[Record<R>],
    lang: Lang,
) -> Result<HashMap<Uuid, String>, StoreError> {
    if R::ENTITY != Entity::Contact || items.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = items.iter().map(|r| r.id).collect();
    let granted = store.granted_consents(&ids).await?;
    if granted.is_empty() {
        return Ok(HashMap::new());
    }
    let purposes = store.consent_purposes().await?;
    Ok(granted
        .into_iter()
        .map(|(id, list)| {
            let words: Vec<String> = list
                .iter()
                .map(|(channel, purpose)| {
                    let name = purposes
                        .iter()
                        .find(|p| p.key == *purpose)
                        .map_or(purpose.as_str(), |p| crate::texts::purpose_name(p, lang));
                    format!(
                        "{name} · {}",
                        crate::texts::consent_word("channel", channel, lang)
                    )
                })
                .collect();
            (id, words.join(", "))
        })
        .collect())
}

/// Every user's name by id.
pub async fn user_names(store: &Store) -> Result<HashMap<Uuid, String>, StoreError> {
    Ok(store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

type Names = HashMap<Uuid, String>;

/// The organisations' names, and those of the contacts, stages or categories a page
/// links.
async fn linked_names<R: Columns>(
    store: &Store,
    items: &[Record<R>],
) -> Result<(Names, Names), StoreError> {
    let orgs: Vec<Uuid> = items
        .iter()
        .filter_map(|r| r.data.organization_id())
        .collect();
    let contacts: Vec<Uuid> = items.iter().filter_map(|r| r.data.contact_id()).collect();
    let mut names = store.display_names::<ContactData>(&contacts).await?;
    match R::ENTITY {
        Entity::Deal => names.extend(
            crate::names::stage_names(store)
                .await?
                .into_iter()
                .map(|(id, n)| (id, n.rsplit(" › ").next().unwrap_or(&n).to_string())),
        ),
        Entity::Product | Entity::ProductCategory => {
            names.extend(crate::names::all_names::<ProductCategoryData>(store).await?);
        }
        _ => {}
    }
    Ok((store.organization_display_names(&orgs).await?, names))
}
