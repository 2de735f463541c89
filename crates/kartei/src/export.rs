//! `kartei export`: contacts or organisations of any filter or search as CSV (for
//! spreadsheets), JSON (the API's shape) or vCard 4.0 (for phones and mail programs).

use crate::cli::ExportArgs;
use crate::run::CliError;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::filter::{Filter, Sort};
use kartei_core::i18n::Lang;
use kartei_core::record::{Entity, RecordData};
use kartei_core::{contact::ContactData, organization::OrganizationData};
use kartei_formats::csv;
use kartei_server::api::dto::RecordOut;
use kartei_store::list::{ListRequest, Page};
use kartei_store::records::Record;
use kartei_store::search::SearchRequest;
use kartei_store::Store;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use uuid::Uuid;

const PAGE: u64 = 500;

/// A CSV column: German and English header, and how to get the value.
type Column<R> = (
    &'static str,
    &'static str,
    fn(&Record<R>, &Context) -> String,
);

/// What columns need besides the record.
struct Context {
    lang: Lang,
    organizations: HashMap<Uuid, String>,
}

fn date(d: Option<chrono::NaiveDate>, lang: Lang) -> String {
    d.map(|d| match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    })
    .unwrap_or_default()
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn first_email(emails: &[kartei_core::channels::EmailEntry]) -> String {
    emails
        .first()
        .map(|e| e.address.clone())
        .unwrap_or_default()
}

/// A part of the first address.
fn address(
    addresses: &[kartei_core::channels::Address],
    part: fn(&kartei_core::channels::Address) -> &Option<String>,
) -> String {
    addresses.first().map(|a| s(part(a))).unwrap_or_default()
}

fn tags<R>(r: &Record<R>) -> String {
    r.tags
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

const CONTACT_COLUMNS: &[Column<ContactData>] = &[
    ("ID", "ID", |r, _| r.id.to_string()),
    ("Anrede", "Salutation", |r, _| s(&r.data.salutation)),
    ("Titel", "Title", |r, _| s(&r.data.title)),
    ("Vorname", "First name", |r, _| s(&r.data.first_name)),
    ("Nachname", "Last name", |r, _| s(&r.data.last_name)),
    ("Firma", "Organisation", |r, c| {
        r.data
            .organization_id
            .and_then(|o| c.organizations.get(&o).cloned())
            .unwrap_or_default()
    }),
    ("Position", "Job title", |r, _| s(&r.data.job_title)),
    ("E-Mail", "E-mail", |r, _| first_email(&r.data.emails)),
    ("Telefon", "Phone", |r, _| {
        r.data
            .phones
            .iter()
            .find(|p| p.kind.as_deref() != Some("mobile"))
            .map(|p| p.number.clone())
            .unwrap_or_default()
    }),
    ("Mobil", "Mobile", |r, _| {
        r.data
            .phones
            .iter()
            .find(|p| p.kind.as_deref() == Some("mobile"))
            .map(|p| p.number.clone())
            .unwrap_or_default()
    }),
    ("Straße", "Street", |r, _| {
        address(&r.data.addresses, |a| &a.street)
    }),
    ("PLZ", "Postcode", |r, _| {
        address(&r.data.addresses, |a| &a.postcode)
    }),
    ("Ort", "City", |r, _| {
        address(&r.data.addresses, |a| &a.city)
    }),
    ("Land", "Country", |r, _| {
        address(&r.data.addresses, |a| &a.country)
    }),
    ("Geburtstag", "Birthday", |r, c| {
        date(r.data.birthday, c.lang)
    }),
    ("Phase", "Lifecycle stage", |r, _| {
        s(&r.data.lifecycle_stage)
    }),
    ("Quelle", "Lead source", |r, _| s(&r.data.lead_source)),
    ("Kundennummer", "Customer number", |r, _| {
        s(&r.data.customer_number)
    }),
    ("Tags", "Tags", |r, _| tags(r)),
];

const ORGANIZATION_COLUMNS: &[Column<OrganizationData>] = &[
    ("ID", "ID", |r, _| r.id.to_string()),
    ("Name", "Name", |r, _| s(&r.data.name)),
    ("Rechtsform", "Legal form", |r, _| s(&r.data.legal_form)),
    ("Branche", "Industry", |r, _| s(&r.data.industry)),
    ("Mitarbeiter", "Team size", |r, _| {
        r.data.team_size.map(|n| n.to_string()).unwrap_or_default()
    }),
    ("Website", "Website", |r, _| s(&r.data.website)),
    ("E-Mail", "E-mail", |r, _| first_email(&r.data.emails)),
    ("Telefon", "Phone", |r, _| {
        r.data
            .phones
            .first()
            .map(|p| p.number.clone())
            .unwrap_or_default()
    }),
    ("Straße", "Street", |r, _| {
        address(&r.data.addresses, |a| &a.street)
    }),
    ("PLZ", "Postcode", |r, _| {
        address(&r.data.addresses, |a| &a.postcode)
    }),
    ("Ort", "City", |r, _| {
        address(&r.data.addresses, |a| &a.city)
    }),
    ("Land", "Country", |r, _| {
        address(&r.data.addresses, |a| &a.country)
    }),
    ("Kundennummer", "Customer number", |r, _| {
        s(&r.data.customer_number)
    }),
    ("Tags", "Tags", |r, _| tags(r)),
];

/// A custom value as a spreadsheet shows it.
fn custom_cell(def: &CustomFieldDef, value: Option<&Value>, lang: Lang) -> String {
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

/// Walks every page of the filter or search, one page in memory at a time.
struct Pager<'a, R> {
    store: &'a Store,
    q: Option<String>,
    filter: Option<kartei_core::filter::TypedFilter>,
    cursor: Option<String>,
    done: bool,
    count: usize,
    _record: std::marker::PhantomData<R>,
}

impl<'a, R: RecordData> Pager<'a, R> {
    fn new(store: &'a Store, args: &ExportArgs, defs: &[CustomFieldDef]) -> Result<Self, CliError> {
        let filter = match &args.filter {
            Some(text) => {
                let parsed: Filter = serde_json::from_str(text)
                    .map_err(|e| CliError::Usage(format!("--filter is not a filter: {e}")))?;
                Some(parsed.typed(R::ENTITY, defs).map_err(|e| {
                    CliError::Usage(
                        e.iter()
                            .map(|f| format!("{}: {}", f.field, f.code.message(Lang::En)))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                })?)
            }
            None => None,
        };
        Ok(Pager {
            store,
            q: args.q.clone(),
            filter,
            cursor: None,
            done: false,
            count: 0,
            _record: std::marker::PhantomData,
        })
    }

    async fn next(&mut self) -> Result<Option<Vec<Record<R>>>, CliError> {
        if self.done {
            return Ok(None);
        }
        let (filter, cursor) = (self.filter.clone(), self.cursor.take());
        let page: Page<R> = match self.q.as_deref() {
            Some(q) => {
                self.store
                    .search(&SearchRequest {
                        q: q.into(),
                        filter,
                        cursor,
                        limit: PAGE,
                    })
                    .await?
            }
            None => {
                self.store
                    .list(&ListRequest {
                        filter,
                        sort: Sort::by_name(),
                        cursor,
                        limit: PAGE,
                        with_total: false,
                    })
                    .await?
            }
        };
        self.cursor = page.next_cursor;
        self.done = self.cursor.is_none();
        self.count += page.items.len();
        Ok(Some(page.items))
    }
}

pub async fn run(store: &Store, args: &ExportArgs) -> Result<(), CliError> {
    let lang =
        Lang::parse(&args.lang).ok_or_else(|| CliError::Usage("--lang is de or en".into()))?;
    let entity = Entity::parse(&args.entity)
        .ok_or_else(|| CliError::Usage("--entity is contact or organization".into()))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let defs = store.custom_fields(Some(entity)).await?;
    let count = match (entity, args.format.as_str()) {
        (Entity::Contact, "csv") => {
            csv_export::<ContactData>(store, args, &defs, lang, CONTACT_COLUMNS, &mut out).await?
        }
        (Entity::Organization, "csv") => {
            csv_export::<OrganizationData>(store, args, &defs, lang, ORGANIZATION_COLUMNS, &mut out)
                .await?
        }
        (Entity::Contact, "json") => {
            json_export::<ContactData>(store, args, &defs, &mut out).await?
        }
        (Entity::Organization, "json") => {
            json_export::<OrganizationData>(store, args, &defs, &mut out).await?
        }
        (Entity::Contact, "vcard") => {
            let mut pager = Pager::<ContactData>::new(store, args, &defs)?;
            while let Some(items) = pager.next().await? {
                let orgs: Vec<Uuid> = items
                    .iter()
                    .filter_map(|r| r.data.organization_id)
                    .collect();
                let names = store.organization_display_names(&orgs).await?;
                for r in items {
                    let org = r
                        .data
                        .organization_id
                        .and_then(|o| names.get(&o))
                        .map(String::as_str);
                    let tags: Vec<String> = r.tags.iter().map(|t| t.name.clone()).collect();
                    out.write_all(
                        kartei_formats::vcard::contact(r.id, &r.data, org, &tags, r.updated_at)
                            .as_bytes(),
                    )?;
                }
            }
            pager.count
        }
        (Entity::Organization, "vcard") => {
            return Err(CliError::Usage("vCard export is for contacts".into()))
        }
        (_, other) => {
            return Err(CliError::Usage(format!(
                "unknown format {other}: csv, json or vcard"
            )))
        }
    };
    out.flush()?;
    eprintln!("exported {count} records");
    Ok(())
}

async fn csv_export<R: RecordData + utoipa::ToSchema>(
    store: &Store,
    args: &ExportArgs,
    defs: &[CustomFieldDef],
    lang: Lang,
    columns: &[Column<R>],
    out: &mut Box<dyn Write>,
) -> Result<usize, CliError> {
    let delimiter = csv::delimiter(lang);
    let mut header: Vec<String> = columns
        .iter()
        .map(|(de, en, _)| lang.pick(de, en).to_string())
        .collect();
    header.extend(defs.iter().map(|d| match lang {
        Lang::De => d.label_de.clone(),
        Lang::En => d.label_en.clone(),
    }));
    let mut text = if lang == Lang::De {
        csv::BOM.to_string()
    } else {
        String::new()
    };
    text.push_str(&csv::line(&header, delimiter));
    out.write_all(text.as_bytes())?;
    let mut pager = Pager::<R>::new(store, args, defs)?;
    while let Some(items) = pager.next().await? {
        let orgs: Vec<Uuid> = items
            .iter()
            .filter_map(|r| r.data.organization_id())
            .collect();
        let ctx = Context {
            lang,
            organizations: store.organization_display_names(&orgs).await?,
        };
        for r in &items {
            let mut row: Vec<String> = columns.iter().map(|(_, _, get)| get(r, &ctx)).collect();
            row.extend(
                defs.iter()
                    .map(|d| custom_cell(d, r.data.custom().get(&d.key), lang)),
            );
            out.write_all(csv::line(&row, delimiter).as_bytes())?;
        }
    }
    Ok(pager.count)
}

async fn json_export<R: RecordData + utoipa::ToSchema>(
    store: &Store,
    args: &ExportArgs,
    defs: &[CustomFieldDef],
    out: &mut Box<dyn Write>,
) -> Result<usize, CliError> {
    out.write_all(b"[")?;
    let mut first = true;
    let mut pager = Pager::<R>::new(store, args, defs)?;
    while let Some(items) = pager.next().await? {
        for r in items {
            out.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            serde_json::to_writer(&mut *out, &RecordOut::new(r, true))
                .map_err(|e| CliError::Usage(e.to_string()))?;
        }
    }
    out.write_all(b"\n]\n")?;
    Ok(pager.count)
}

/// `kartei duplicates`: every likely duplicate pair, best first.
pub async fn duplicates(store: &Store, args: &crate::cli::DuplicatesArgs) -> Result<(), CliError> {
    let lang =
        Lang::parse(&args.lang).ok_or_else(|| CliError::Usage("--lang is de or en".into()))?;
    let started = std::time::Instant::now();
    let pairs = store
        .scan_duplicates(args.min_score, |what, n| {
            eprint!("\r{what}: {n}   ");
        })
        .await?;
    eprintln!(
        "\n{} likely duplicate pairs in {:.1} s",
        pairs.len(),
        started.elapsed().as_secs_f64()
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let reasons = |p: &kartei_store::duplicates::DuplicatePair| {
        p.score
            .reasons
            .iter()
            .map(|r| r.message(lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match args.format.as_str() {
        "csv" => {
            let delimiter = csv::delimiter(lang);
            let header = [
                lang.pick("Cluster", "cluster"),
                lang.pick("Punkte", "score"),
                lang.pick("ID A", "id a"),
                lang.pick("Name A", "name a"),
                lang.pick("ID B", "id b"),
                lang.pick("Name B", "name b"),
                lang.pick("Gründe", "reasons"),
            ]
            .map(str::to_string);
            out.write_all(csv::line(&header, delimiter).as_bytes())?;
            for p in &pairs {
                let row = [
                    p.cluster.to_string(),
                    p.score.score.to_string(),
                    p.a.to_string(),
                    p.a_name.clone(),
                    p.b.to_string(),
                    p.b_name.clone(),
                    reasons(p),
                ];
                out.write_all(csv::line(&row, delimiter).as_bytes())?;
            }
        }
        "text" => {
            for p in &pairs {
                writeln!(
                    out,
                    "{:>3}  {} ({})  ~  {} ({})  [{}]",
                    p.score.score,
                    p.a_name,
                    p.a,
                    p.b_name,
                    p.b,
                    reasons(p)
                )?;
            }
        }
        other => {
            return Err(CliError::Usage(format!(
                "unknown format {other}: text or csv"
            )))
        }
    }
    out.flush()?;
    Ok(())
}
