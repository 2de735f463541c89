//! `kartei import`: contacts from a CSV file. Every row is checked first; a dry run
//! stops there with a report (new / update / skip / invalid, and each problem by row
//! and column). A run then writes the valid rows: new contacts in batches, matches
//! (by e-mail or external id) updated or skipped. Invalid rows never stop valid ones;
//! they can be written to a CSV file with an error column.

use crate::cli::ImportArgs;
use crate::run::CliError;
use kartei_app::import::{
    check, match_by_choices, target_name, write, Content, ImportError, Options, Progress, Source,
    Table, BATCH,
};
use kartei_app::texts::Tr;
use kartei_core::i18n::Lang;
use kartei_core::import_match::{plain, OnMatch};
use kartei_core::record::Entity;
use kartei_formats::csv_read::Encoding;
use kartei_store::imports::KeptReason;
use kartei_store::{Actor, Store, StoreError};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};

pub async fn run(store: &Store, args: &ImportArgs) -> Result<(), CliError> {
    let lang =
        Lang::parse(&args.lang).ok_or_else(|| CliError::Usage("--lang is de or en".into()))?;
    if args.list {
        for j in store.imports().await? {
            let state = match (j.undone_at, j.finished_at) {
                (Some(_), _) => lang.pick("rückgängig gemacht", "undone"),
                (None, Some(_)) => lang.pick("fertig", "finished"),
                (None, None) => lang.pick("unterbrochen", "interrupted"),
            };
            println!(
                "{}  {}  {}  {} / {}  {state}",
                j.id,
                j.started_at.format("%Y-%m-%d %H:%M"),
                j.file_name,
                j.created,
                j.updated
            );
        }
        return Ok(());
    }
    if let Some(id) = args.undo {
        let actor = Actor::system("import undo");
        let undone = store.undo_import(&actor, id).await.map_err(|e| match e {
            StoreError::Invalid(_) => CliError::Usage(
                lang.pick(
                    "Dieser Import ist schon rückgängig gemacht oder älter als 30 Tage.",
                    "This import is undone already or older than 30 days.",
                )
                .into(),
            ),
            other => other.into(),
        })?;
        let t = |key| Tr(lang).t(key);
        println!(
            "{} {} {}, {} {}",
            t("imp.undone_notice"),
            undone.trashed,
            t("imp.trashed"),
            undone.restored,
            t("imp.restored")
        );
        if !undone.kept.is_empty() {
            println!("{} ({}):", t("imp.kept_title"), undone.kept.len());
        }
        for k in &undone.kept {
            let why = match k.reason {
                KeptReason::MergedInto { survivor } => {
                    format!("{} ({survivor})", t("imp.kept_merged"))
                }
                KeptReason::ChangedSince => t("imp.kept_changed").to_string(),
                KeptReason::Deleted => t("imp.kept_deleted").to_string(),
            };
            println!("  {} {} {:?}: {why}", k.entity.as_str(), k.id, k.name);
        }
        return Ok(());
    }
    let file = args
        .file
        .clone()
        .ok_or_else(|| CliError::Usage("a file to import, --undo ID or --list".into()))?;
    let defs = store.custom_fields(Some(Entity::Contact)).await?;
    let match_by = match_by_choices(&defs);
    if !match_by.contains(&args.match_by) {
        return Err(CliError::Usage(format!(
            "--match-by is one of: {}",
            match_by.join(", ")
        )));
    }
    let on_match = OnMatch::parse(&args.on_match)
        .ok_or_else(|| CliError::Usage("--on-match is fill_in (update), replace or skip".into()))?;
    if on_match == OnMatch::Replace {
        eprintln!(
            "{}",
            lang.pick(
                "Achtung: --on-match replace überschreibt Werte gefundener Kontakte mit denen der Datei (rückgängig machen mit kartei import --undo).",
                "Warning: --on-match replace overwrites the values of contacts found with the file's (undo with kartei import --undo)."
            )
        );
    }
    let usage = |e: ImportError| match e {
        ImportError::File(m) => CliError::Usage(format!("{}: {m}", file.display())),
        ImportError::Store(e) => e.into(),
    };
    let table = Table::read(Content::Path(file.clone()), args.sheet.as_deref()).map_err(usage)?;
    let mut targets = table.suggested(&defs);
    if let Some(key) = &args.preset {
        table
            .apply_preset(store, &mut targets, key)
            .await
            .map_err(usage)?;
    }
    if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        let given: HashMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        table.apply_mapping(&mut targets, &given).map_err(usage)?;
    }
    if let (Some(preset), false) = (&args.save_preset, table.source == Source::VCard) {
        let mapping: std::collections::BTreeMap<String, String> = table
            .headers
            .iter()
            .zip(&targets)
            .map(|(h, t)| (h.clone(), target_name(t)))
            .collect();
        store
            .save_import_preset(&Actor::system("import"), preset, &mapping)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => {
                    CliError::Usage("--save-preset: a name of 1 to 100 characters".into())
                }
                other => other.into(),
            })?;
        eprintln!(
            "{} {preset:?}",
            lang.pick("Zuordnung gespeichert als", "Mapping saved as")
        );
    }
    let rows = table.len;
    match &table.source {
        Source::VCard => eprintln!("{}: {rows} vCards", file.display()),
        Source::Xlsx { sheet, sheets } => eprintln!(
            "{}: {rows} rows, XLSX, sheet {sheet:?} (of {})",
            file.display(),
            sheets.join(", ")
        ),
        Source::Csv {
            encoding,
            delimiter,
        } => {
            let enc = match encoding {
                Encoding::Utf8 => "UTF-8",
                Encoding::Windows1252 => "Windows-1252",
            };
            let delim = match delimiter {
                '\t' => "tab".to_string(),
                d => format!("'{d}'"),
            };
            eprintln!("{}: {rows} rows, {enc}, delimiter {delim}", file.display());
        }
    }
    if table.source != Source::VCard {
        for (h, t) in table.headers.iter().zip(&targets) {
            eprintln!("  {h:<28} → {}", target_name(t));
        }
    }
    let owner = match &args.owner {
        Some(name) => Some(
            store
                .user_credentials(name)
                .await?
                .map(|(u, _)| u.id)
                .ok_or_else(|| CliError::Usage(format!("no user {name}")))?,
        ),
        None => None,
    };
    let options = Options {
        match_by: args.match_by.clone(),
        on_match,
        owner,
        lang,
        strict: args.strict,
        country: args
            .country
            .as_deref()
            .map(kartei_core::postal::normalise_country)
            .transpose()
            .map_err(|_| CliError::Usage("--country: a country code such as AT or CH".into()))?,
    };
    let checked = check(store, &table, &targets, &options)
        .await
        .map_err(usage)?;
    let [new, update, skip, invalid, new_orgs] = checked.counts();
    println!(
        "{}: {new} {}, {update} {}, {skip} {}, {invalid} {}, {new_orgs} {}",
        lang.pick("Prüfung", "Check"),
        lang.pick("neu", "new"),
        lang.pick("Aktualisierung", "update"),
        lang.pick("übersprungen (Duplikat)", "skipped (duplicate)"),
        lang.pick("ungültig", "invalid"),
        lang.pick("neue Organisationen", "new organisations"),
    );
    if checked.kept_without_values() > 0 {
        println!(
            "{}: {}",
            lang.pick(
                "ohne einen ungültigen Wert übernommen (in den Notizen)",
                "imported without an invalid value (kept in the notes)"
            ),
            checked.kept_without_values()
        );
    }
    for (row, column, message) in checked.problems() {
        println!("{} {row}, {column}: {message}", lang.pick("Zeile", "row"));
    }
    for (row, changes) in checked.changes() {
        for c in changes {
            println!(
                "{} {row}, {}: {:?} → {:?}",
                lang.pick("Zeile", "row"),
                c.field,
                plain(&c.before),
                plain(&c.after)
            );
        }
    }
    if checked.changing() > checked.changes().len() {
        println!(
            "… {} {}",
            checked.changing() - checked.changes().len(),
            lang.pick("weitere Aktualisierungen", "more updates")
        );
    }
    if let Some(path) = &args.errors {
        std::fs::write(path, checked.errors_csv(&table, lang).map_err(usage)?)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    }
    if args.dry_run {
        println!(
            "{}",
            lang.pick("Probelauf: nichts gespeichert.", "Dry run: nothing saved.")
        );
        return Ok(());
    }
    let file_name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let actor = Actor::system(&format!("import {file_name}"));
    let done = write(
        store,
        &actor,
        &file_name,
        &table,
        &checked,
        &options,
        |p| match p {
            Progress::Resuming(row) => eprintln!(
                "{} {}",
                lang.pick(
                    "Setze unterbrochenen Import fort ab Zeile",
                    "Resuming the interrupted import at row"
                ),
                row + 2
            ),
            Progress::Written(at, total) => progress_bar(at, total),
            Progress::Refused(row, problems) => {
                for (column, message) in problems {
                    eprintln!(
                        "\n{} {row}, {column}: {message} {}",
                        lang.pick("Zeile", "row"),
                        lang.pick("(nicht geschrieben)", "(not written)")
                    );
                }
            }
        },
    )
    .await
    .map_err(usage)?;
    eprintln!();
    println!(
        "Import {}: {} {}, {} {} ({}: kartei import --undo {})",
        done.id,
        done.created,
        lang.pick("angelegt", "created"),
        done.updated,
        lang.pick("aktualisiert", "updated"),
        lang.pick("rückgängig machen", "undo"),
        done.id
    );
    Ok(())
}

/// Shows how far a run got: a bar redrawn in place on a terminal, a line per tenth of
/// the rows in a log.
fn progress_bar(at: usize, total: usize) {
    const WIDTH: usize = 30;
    let total = total.max(1);
    let percent = at * 100 / total;
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let filled = at * WIDTH / total;
        let _ = write!(
            err,
            "\r[{}{}] {percent:>3} % ({at}/{total})",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled)
        );
        let _ = err.flush();
    } else if percent / 10 != (at.saturating_sub(BATCH) * 100 / total) / 10 || at == total {
        let _ = writeln!(err, "{percent} % ({at}/{total})");
    }
}
