//! `kartei export`: records of any kind, of any filter, search or shared saved view, as
//! CSV (for spreadsheets), XLSX, JSON (the API's shape) or vCard 4.0 (contacts, for
//! phones and mail programs), through the one exporter in `kartei_app::export`.

use crate::cli::ExportArgs;
use crate::run::CliError;
use kartei_app::columns::Columns;
use kartei_app::export::{Export, ExportError, ExportRequest, Format};
use kartei_core::filter::Filter;
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use kartei_core::segment::Segment;
use kartei_formats::csv;
use kartei_store::Store;
use std::io::Write;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

pub async fn run(store: &Store, args: &ExportArgs) -> Result<(), CliError> {
    let lang =
        Lang::parse(&args.lang).ok_or_else(|| CliError::Usage("--lang is de or en".into()))?;
    let entity = Entity::parse(&args.entity).ok_or_else(|| {
        let kinds: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
        CliError::Usage(format!("--entity is one of {}", kinds.join(", ")))
    })?;
    let format = Format::parse(&args.format).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown format {}: csv, xlsx, json or vcard",
            args.format
        ))
    })?;
    let sensitive = match &args.as_user {
        Some(name) => crate::run::find_user(store, name)
            .await?
            .role
            .allows(kartei_core::access::Permission::ViewSensitive),
        None => true,
    };
    let segment = segment(store, args, entity).await?;
    let mailing = match &args.mailing {
        Some(text) => Some(kartei_core::consent::parse_target(text).ok_or_else(|| {
            CliError::Usage(format!(
                "--for {text:?}: a channel ({}) and a purpose, e.g. email:newsletter",
                kartei_core::consent::CHANNELS.join(", ")
            ))
        })?),
        None => None,
    };
    let request = ExportRequest {
        segment,
        format,
        lang,
        sensitive,
        mailing,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let store = Arc::new(store.clone());
    macro_rules! export_kind {
        ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
            match entity {
                $(Entity::$kind => export::<$data>(store, request, &mut out).await,)*
            }
        };
    }
    let written = kartei_core::with_record_kinds!(export_kind);
    if written.is_err() {
        // A bad option found on the way (filter, sort, columns, format) or a failed
        // read leaves no half-written file behind.
        drop(out);
        if let Some(path) = &args.output {
            let _ = std::fs::remove_file(path);
        }
    }
    let (count, left_out) = written?;
    eprintln!("exported {count} records");
    if args.mailing.is_some() {
        let tr = kartei_app::texts::Tr(lang);
        let total: usize = left_out.iter().map(|(_, n)| n).sum();
        let reasons: Vec<String> = left_out
            .iter()
            .map(|(why, n)| format!("{n} {}", tr.t(&format!("mailing.left.{why}"))))
            .collect();
        eprintln!(
            "{}: {total}{}{}",
            tr.t("mailing.left_out"),
            if reasons.is_empty() { "" } else { " – " },
            reasons.join(", ")
        );
    }
    Ok(())
}

/// Writes the records the request selects; how many, and how many a mailing left out
/// by reason.
async fn export<R: Columns + ToSchema>(
    store: Arc<Store>,
    request: ExportRequest,
    out: &mut Box<dyn Write>,
) -> Result<(usize, Vec<(&'static str, usize)>), CliError> {
    let mut export = Export::<R>::open(store, request)
        .await
        .map_err(|e| match e {
            ExportError::Invalid(why) => CliError::Usage(why),
            ExportError::Store(e) => e.into(),
        })?;
    out.write_all(&export.opening())?;
    while let Some(page) = export.next_page().await.map_err(|e| match e {
        ExportError::Invalid(why) => CliError::Usage(why),
        ExportError::Store(e) => CliError::from(e),
    })? {
        out.write_all(&page)?;
    }
    out.write_all(&export.closing())?;
    out.flush()?;
    let left_out = export.left_out().await?;
    Ok((export.count(), left_out))
}

/// The search, filter, sort and columns the arguments give, with a saved view's where
/// they give none. Only shared views: a private one belongs to the person who saved it.
async fn segment(store: &Store, args: &ExportArgs, entity: Entity) -> Result<Segment, CliError> {
    let filter = match &args.filter {
        Some(text) => Some(
            serde_json::from_str::<Filter>(text)
                .map_err(|e| CliError::Usage(format!("--filter is not a filter: {e}")))?,
        ),
        None => None,
    };
    let given = Segment {
        q: args.q.clone(),
        filter,
        sort: args.sort.clone(),
        cols: args.columns.clone(),
    };
    let Some(view_name) = &args.view else {
        return Ok(given);
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
    let saved = view
        .segment()
        .map_err(|e| CliError::Usage(format!("view {view_name:?}: {e}")))?;
    Ok(Segment {
        q: given.q.or(saved.q.filter(|q| !q.trim().is_empty())),
        filter: given.filter.or(saved.filter),
        sort: given.sort.or(saved.sort),
        cols: if given.cols.is_empty() {
            saved.cols
        } else {
            given.cols
        },
    })
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
