//! `kartei export`: contacts or organisations of any filter, search or shared saved
//! view as CSV (for spreadsheets), XLSX, JSON (the API's shape) or vCard 4.0 (for phones
//! and mail programs).

use crate::cli::ExportArgs;
use crate::run::CliError;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::filter::{Filter, Sort};
use kartei_core::i18n::Lang;
use kartei_core::record::{Entity, RecordData};
use kartei_core::{contact::ContactData, organization::OrganizationData};
use kartei_formats::csv;
use kartei_server::api::dto::RecordOut;
use kartei_server::columns::{CellContext, Columns, ExportColumns};
use kartei_server::web::list::ListState;
use kartei_store::list::{ListRequest, Page};
use kartei_store::records::Record;
use kartei_store::search::SearchRequest;
use kartei_store::Store;
use std::collections::HashMap;
use std::io::Write;
use uuid::Uuid;

const PAGE: u64 = 500;

/// Walks every page of the filter or search, one page in memory at a time.
struct Pager<'a, R> {
    store: &'a Store,
    q: Option<String>,
    filter: Option<kartei_core::filter::TypedFilter>,
    sort: Sort,
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
        let sort = match &args.sort {
            Some(key) => Sort::parse(R::ENTITY, defs, key)
                .map_err(|_| CliError::Usage(format!("--sort {key:?}: not a column to sort by")))?,
            None => Sort::by_name(),
        };
        Ok(Pager {
            store,
            q: args.q.clone(),
            filter,
            sort,
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
                        sort: self.sort.clone(),
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
    let defs = store.custom_fields(Some(entity)).await?;
    let args = &with_view(store, args, entity).await?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = export(store, args, entity, &defs, lang, &mut out).await;
    if written.is_err() {
        // A bad option found on the way (filter, sort, columns, format) or a failed
        // read leaves no half-written file behind.
        drop(out);
        if let Some(path) = &args.output {
            let _ = std::fs::remove_file(path);
        }
    }
    let count = written?;
    eprintln!("exported {count} records");
    Ok(())
}

/// Writes the records the arguments select in their format; how many.
async fn export(
    store: &Store,
    args: &ExportArgs,
    entity: Entity,
    defs: &[CustomFieldDef],
    lang: Lang,
    out: &mut Box<dyn Write>,
) -> Result<usize, CliError> {
    let count = match (entity, args.format.as_str()) {
        (Entity::Contact, "csv" | "xlsx") => {
            table_export::<ContactData>(store, args, defs, lang, out).await?
        }
        (Entity::Organization, "csv" | "xlsx") => {
            table_export::<OrganizationData>(store, args, defs, lang, out).await?
        }
        (Entity::Contact, "json") => json_export::<ContactData>(store, args, defs, out).await?,
        (Entity::Organization, "json") => {
            json_export::<OrganizationData>(store, args, defs, out).await?
        }
        (Entity::Contact, "vcard") => {
            let mut pager = Pager::<ContactData>::new(store, args, defs)?;
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
                "unknown format {other}: csv, xlsx, json or vcard"
            )))
        }
    };
    out.flush()?;
    Ok(count)
}

/// The arguments with a saved view's search, filter, sort and columns where they give
/// none. Only shared views: a private one belongs to the person who saved it.
async fn with_view(
    store: &Store,
    args: &ExportArgs,
    entity: Entity,
) -> Result<ExportArgs, CliError> {
    let Some(view_name) = &args.view else {
        return Ok(args.clone());
    };
    // Nobody's own views: the shared ones only.
    let views = store.saved_views(Uuid::nil()).await?;
    let view = views
        .iter()
        .find(|v| v.entity == entity && v.name == *view_name)
        .ok_or_else(|| {
            let names: Vec<&str> = views
                .iter()
                .filter(|v| v.entity == entity)
                .map(|v| v.name.as_str())
                .collect();
            CliError::Usage(format!(
                "no shared view {view_name:?} of {}s (shared: {})",
                entity.as_str(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })?;
    let saved = ListState::from(
        view.segment()
            .map_err(|e| CliError::Usage(format!("view {view_name:?}: {e}")))?,
    );
    let mut args = args.clone();
    args.q = args.q.or(saved.q.filter(|q| !q.trim().is_empty()));
    args.filter = args.filter.or(saved.filter);
    args.sort = args.sort.or(saved.sort);
    if args.columns.is_empty() {
        args.columns = saved.cols;
    }
    Ok(args)
}

/// CSV (streamed) or XLSX (built in memory, then written) of the chosen columns.
async fn table_export<R: Columns>(
    store: &Store,
    args: &ExportArgs,
    defs: &[CustomFieldDef],
    lang: Lang,
    out: &mut Box<dyn Write>,
) -> Result<usize, CliError> {
    let columns = if args.columns.is_empty() {
        ExportColumns::all()
    } else {
        ExportColumns::chosen::<R>(&args.columns, defs).map_err(CliError::Usage)?
    };
    let xlsx = args.format == "xlsx";
    let mut sheet: Vec<Vec<String>> = Vec::new();
    if xlsx {
        sheet.push(columns.header::<R>(defs, lang));
    } else {
        out.write_all(columns.csv_header::<R>(defs, lang).as_bytes())?;
    }
    let users: HashMap<Uuid, String> = store
        .users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut pager = Pager::<R>::new(store, args, defs)?;
    while let Some(items) = pager.next().await? {
        let orgs: Vec<Uuid> = items
            .iter()
            .filter_map(|r| r.data.organization_id())
            .collect();
        let ctx = CellContext {
            lang,
            organizations: store.organization_display_names(&orgs).await?,
            users: users.clone(),
            names: HashMap::new(),
        };
        for r in &items {
            if xlsx {
                sheet.push(columns.cells(r, defs, &ctx));
            } else {
                out.write_all(columns.csv_row(r, defs, &ctx).as_bytes())?;
            }
        }
    }
    if xlsx {
        let name = match (R::ENTITY, lang) {
            (Entity::Organization, Lang::De) => "Organisationen",
            (Entity::Organization, Lang::En) => "Organisations",
            (_, Lang::De) => "Kontakte",
            (_, Lang::En) => "Contacts",
        };
        out.write_all(&kartei_formats::xlsx::write(name, &sheet))?;
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
                lang.pick("Externe ID A", "external id a"),
                lang.pick("Name A", "name a"),
                lang.pick("ID B", "id b"),
                lang.pick("Externe ID B", "external id b"),
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
                    p.a_external_id.clone().unwrap_or_default(),
                    p.a_name.clone(),
                    p.b.to_string(),
                    p.b_external_id.clone().unwrap_or_default(),
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
