//! `kartei import`: contacts from a CSV file. Every row is checked first; a dry run
//! stops there with a report (new / update / skip / invalid, and each problem by row
//! and column). A run then writes the valid rows: new contacts in batches, matches
//! (by e-mail or external id) updated or skipped. Invalid rows never stop valid ones;
//! they can be written to a CSV file with an error column.

use crate::cli::ImportArgs;
use crate::run::CliError;
use kartei_core::contact::ContactData;
use kartei_core::i18n::Lang;
use kartei_core::import::{column_of, row_to_contact, suggest, Target};
use kartei_core::organization::OrganizationData;
use kartei_formats::csv;
use kartei_formats::csv_read::{decode, detect_delimiter, parse, Encoding};
use kartei_store::imports::{ImportBatch, MatchColumn};
use kartei_store::{Actor, Store, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use uuid::Uuid;

/// Rows written per transaction.
const BATCH: usize = 5000;

enum Plan {
    Create(Box<ContactData>, Option<String>),
    Update(Uuid, Value),
    Skip,
    Invalid(Vec<(String, String)>),
}

fn target_name(t: &Target) -> String {
    match t {
        Target::Custom(k) => format!("custom.{k}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

fn parse_target(name: &str) -> Option<Target> {
    match name.strip_prefix("custom.") {
        Some(k) => Some(Target::Custom(k.to_string())),
        None => serde_json::from_value(json!(name)).ok(),
    }
}

/// The merge patch that fills in a matched contact: the row's non-empty values.
fn update_patch(c: &ContactData) -> Value {
    let mut doc = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut doc {
        map.retain(|_, v| match v {
            Value::Null | Value::Bool(false) => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        });
    }
    doc
}

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
        let job = store.undo_import(&actor, id).await.map_err(|e| match e {
            StoreError::Invalid(_) => CliError::Usage(
                lang.pick(
                    "Dieser Import ist schon rückgängig gemacht oder älter als 30 Tage.",
                    "This import is undone already or older than 30 days.",
                )
                .into(),
            ),
            other => other.into(),
        })?;
        println!(
            "{}: {} {}, {} {}",
            lang.pick("Rückgängig gemacht", "Undone"),
            job.created,
            lang.pick("in den Papierkorb", "moved to the trash"),
            job.updated,
            lang.pick("wiederhergestellt", "restored")
        );
        return Ok(());
    }
    let file = args
        .file
        .clone()
        .ok_or_else(|| CliError::Usage("a file to import, --undo ID or --list".into()))?;
    if !matches!(args.match_by.as_str(), "email" | "external_id" | "none") {
        return Err(CliError::Usage(
            "--match-by is email, external_id or none".into(),
        ));
    }
    if !matches!(args.on_match.as_str(), "update" | "skip") {
        return Err(CliError::Usage("--on-match is update or skip".into()));
    }
    let bytes =
        std::fs::read(&file).map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
    let xlsx = kartei_formats::xlsx::looks_like_xlsx(&bytes);
    if args.sheet.is_some() && !xlsx {
        return Err(CliError::Usage(
            "--sheet is for XLSX workbooks; this file is not one".into(),
        ));
    }
    let (text, encoding) = if xlsx {
        (String::new(), Encoding::Utf8)
    } else {
        decode(&bytes)
    };
    // An Excel workbook, vCards (from phones and mail programs) or a CSV table.
    let vcard = !xlsx
        && text
            .trim_start()
            .get(..11)
            .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
    let delimiter = if vcard || xlsx {
        ';'
    } else {
        detect_delimiter(&text)
    };
    let (headers, rows, cards) = if vcard {
        let cards = kartei_formats::vcard_read::parse(&text);
        let rows: Vec<Vec<String>> = cards.iter().map(|c| vec![c.display.clone()]).collect();
        (vec!["Name".to_string()], rows, Some(cards))
    } else {
        let mut rows = if xlsx {
            kartei_formats::xlsx::read_sheet(&bytes, args.sheet.as_deref())
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?
        } else {
            parse(&text, delimiter)
        };
        if rows.is_empty() {
            return Err(CliError::Usage(format!("{}: no rows", file.display())));
        }
        let headers = rows.remove(0);
        (headers, rows, None)
    };
    let mut targets = if vcard {
        vec![Target::FullName]
    } else {
        suggest(&headers)
    };
    if let (Some(key), false) = (&args.preset, vcard) {
        let columns: Vec<(String, String)> = match kartei_core::import_presets::preset(key) {
            Some(p) => p
                .columns
                .iter()
                .map(|(h, t)| (h.to_string(), t.to_string()))
                .collect(),
            None => store
                .import_presets()
                .await?
                .into_iter()
                .find(|(n, _)| n == key)
                .map(|(_, m)| m.into_iter().collect())
                .ok_or_else(|| {
                    let built_in: Vec<&str> = kartei_core::import_presets::PRESETS
                        .iter()
                        .map(|p| p.key)
                        .collect();
                    CliError::Usage(format!(
                        "no preset {key:?}: built in are {}, or one saved with --save-preset",
                        built_in.join(", ")
                    ))
                })?,
        };
        // Headers the file lacks are left out: a preset covers several export variants.
        for (column, meaning) in columns {
            if let Some(i) = headers.iter().position(|h| h.trim() == column) {
                targets[i] = parse_target(&meaning).ok_or_else(|| {
                    CliError::Usage(format!("preset {key}: unknown meaning {meaning:?}"))
                })?;
            }
        }
    }
    if let (Some(path), false) = (&args.mapping, vcard) {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        let given: HashMap<String, String> = serde_json::from_str(&text)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        for (column, meaning) in given {
            let i = headers.iter().position(|h| *h == column).ok_or_else(|| {
                CliError::Usage(format!(
                    "mapping names column {column:?}, which the file does not have"
                ))
            })?;
            targets[i] = parse_target(&meaning)
                .ok_or_else(|| CliError::Usage(format!("mapping: unknown meaning {meaning:?}")))?;
        }
    }
    if let (Some(preset), false) = (&args.save_preset, vcard) {
        let mapping: std::collections::BTreeMap<String, String> = headers
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
    let enc = match encoding {
        Encoding::Utf8 => "UTF-8",
        Encoding::Windows1252 => "Windows-1252",
    };
    let delim_name = match delimiter {
        '\t' => "tab".to_string(),
        d => format!("'{d}'"),
    };
    if vcard {
        eprintln!("{}: {} vCards, {enc}", file.display(), rows.len());
    } else if xlsx {
        let sheets = kartei_formats::xlsx::sheet_names(&bytes).unwrap_or_default();
        eprintln!(
            "{}: {} rows, XLSX, sheet {:?} (of {})",
            file.display(),
            rows.len(),
            args.sheet
                .clone()
                .or_else(|| sheets.first().cloned())
                .unwrap_or_default(),
            sheets.join(", ")
        );
        for (h, t) in headers.iter().zip(&targets) {
            eprintln!("  {h:<28} → {}", target_name(t));
        }
    } else {
        eprintln!(
            "{}: {} rows, {enc}, delimiter {delim_name}",
            file.display(),
            rows.len()
        );
        for (h, t) in headers.iter().zip(&targets) {
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

    // Check every row first. Lookups go to the database in large batches (matches by
    // e-mail or external id, organisations by name); validation needs no database.
    let mut plans = Vec::with_capacity(rows.len());
    let drafts: Vec<kartei_core::import::RowDraft> = match cards {
        Some(cards) => cards
            .into_iter()
            .map(|c| kartei_core::import::RowDraft {
                contact: c.contact,
                organization: c.organization,
                external_id: c.uid,
                errors: Vec::new(),
            })
            .collect(),
        None => rows
            .iter()
            .map(|row| row_to_contact(&headers, &targets, row))
            .collect(),
    };
    let validator = store.validator().await?;
    let mut org_names: Vec<String> = drafts
        .iter()
        .filter_map(|d| d.organization.clone())
        .collect();
    org_names.sort_unstable();
    org_names.dedup();
    let known_orgs = store.organizations_named(&org_names).await?;
    let mut organizations: HashMap<String, Option<Uuid>> = org_names
        .into_iter()
        .map(|n| {
            let id = known_orgs.get(&n).copied();
            (n, id)
        })
        .collect();
    let match_key = |d: &kartei_core::import::RowDraft| -> Option<String> {
        match args.match_by.as_str() {
            "email" => d
                .contact
                .emails
                .first()
                .map(|e| e.address.trim().to_lowercase()),
            "external_id" => d.external_id.clone(),
            _ => None,
        }
    };
    let keys: Vec<String> = drafts.iter().filter_map(match_key).collect();
    let mut matches = match args.match_by.as_str() {
        "email" => store.contacts_by(MatchColumn::Email, &keys).await?,
        "external_id" => store.contacts_by(MatchColumn::ExternalId, &keys).await?,
        _ => HashMap::new(),
    };
    if args.match_by == "external_id" {
        // A contact merged away lives on in its survivor.
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !matches.contains_key(*k))
            .cloned()
            .collect();
        for (k, id) in store.merged_external_ids(&missing).await? {
            matches.entry(k).or_insert(id);
        }
    }
    for draft in drafts {
        let mut problems: Vec<(String, String)> = draft
            .errors
            .iter()
            .map(|(c, e)| (c.clone(), e.message(lang).to_string()))
            .collect();
        let mut contact = draft.contact;
        contact.external_id = draft.external_id.clone();
        contact.owner_id = owner;
        let existing = if problems.is_empty() {
            match_key(&kartei_core::import::RowDraft {
                contact: contact.clone(),
                organization: None,
                external_id: contact.external_id.clone(),
                errors: Vec::new(),
            })
            .and_then(|k| matches.get(&k).copied())
        } else {
            None
        };
        let mut patch = update_patch(&contact);
        // The owner of an existing contact stays as it is.
        if let Value::Object(m) = &mut patch {
            m.remove("owner_id");
        }
        // A row is checked as what it will become: a new contact, or the matched one
        // with the row's values filled in. A new organisation gets its id only on the
        // run, so a placeholder stands in for it while checking.
        let checked = match existing {
            Some(id) => {
                let current = store.get::<ContactData>(id).await?;
                let mut doc = serde_json::to_value(&current.data)
                    .map_err(|e| CliError::Usage(e.to_string()))?;
                kartei_core::merge_patch::apply(&mut doc, patch.clone());
                kartei_core::json::from_json::<ContactData>(doc).map_err(StoreError::Invalid)
            }
            None => {
                let mut c = contact.clone();
                if draft.organization.is_some() {
                    c.organization_id = Some(Uuid::nil());
                }
                Ok(c)
            }
        };
        let verdict = match checked {
            Ok(c) => validator.check(c).map(drop),
            Err(e) => Err(e),
        };
        match verdict {
            Ok(()) => {}
            Err(StoreError::Invalid(fields)) => problems.extend(fields.into_iter().map(|f| {
                (
                    column_of(&f.field, &headers, &targets).unwrap_or(f.field),
                    f.code.message(lang).to_string(),
                )
            })),
            Err(e) => return Err(e.into()),
        }
        if !problems.is_empty() {
            plans.push(Plan::Invalid(problems));
            continue;
        }
        plans.push(match (existing, args.on_match.as_str()) {
            (Some(_), "skip") => Plan::Skip,
            (Some(id), _) => Plan::Update(id, patch),
            (None, _) => Plan::Create(Box::new(contact), draft.organization),
        });
    }

    let count = |f: fn(&Plan) -> bool| plans.iter().filter(|p| f(p)).count();
    let new_orgs = organizations.values().filter(|v| v.is_none()).count();
    println!(
        "{}: {} {}, {} {}, {} {}, {} {}, {} {}",
        lang.pick("Prüfung", "Check"),
        count(|p| matches!(p, Plan::Create(..))),
        lang.pick("neu", "new"),
        count(|p| matches!(p, Plan::Update(..))),
        lang.pick("Aktualisierung", "update"),
        count(|p| matches!(p, Plan::Skip)),
        lang.pick("übersprungen (Duplikat)", "skipped (duplicate)"),
        count(|p| matches!(p, Plan::Invalid(_))),
        lang.pick("ungültig", "invalid"),
        new_orgs,
        lang.pick("neue Organisationen", "new organisations"),
    );
    for (i, plan) in plans.iter().enumerate() {
        if let Plan::Invalid(problems) = plan {
            for (column, message) in problems {
                // Row numbers as a spreadsheet shows them: the header is row 1.
                println!(
                    "{} {}, {column}: {message}",
                    lang.pick("Zeile", "row"),
                    i + 2
                );
            }
        }
    }
    if let Some(path) = &args.errors {
        write_errors(path, &headers, &rows, &plans, delimiter, lang)?;
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
    // The same file (and sheet) resumes an interrupted import.
    let hash = if xlsx {
        let mut whole = String::new();
        for row in std::iter::once(&headers).chain(&rows) {
            whole.push_str(&csv::line(row, ';'));
        }
        kartei_server::auth::hash_secret(&whole)
    } else {
        kartei_server::auth::hash_secret(&text)
    };
    let job = match store.unfinished_import(&hash).await? {
        Some(job) => {
            eprintln!(
                "{} {} {} {}",
                lang.pick("Setze Import", "Resuming import"),
                job.id,
                lang.pick("fort ab Zeile", "at row"),
                job.next_row + 2
            );
            job
        }
        None => store.start_import(&actor, &file_name, &hash).await?,
    };
    let new_orgs: Vec<String> = organizations
        .iter()
        .filter(|(_, id)| id.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let created = store
        .import_organizations(
            &actor,
            job.id,
            new_orgs
                .iter()
                .map(|n| OrganizationData {
                    name: Some(n.clone()),
                    owner_id: owner,
                    ..OrganizationData::default()
                })
                .collect(),
        )
        .await?;
    for (n, id) in new_orgs.into_iter().zip(created) {
        organizations.insert(n, Some(id));
    }
    let total = plans.len();
    let start = usize::try_from(job.next_row).unwrap_or(0).min(total);
    // A large import rebuilds the secondary indexes once at the end instead of updating
    // them row by row (an interrupted import leaves them listed for the next start).
    let writes = plans[start..]
        .iter()
        .filter(|p| matches!(p, Plan::Create(..) | Plan::Update(..)))
        .count();
    let bulk = store.begin_bulk(writes).await?;
    let mut plans: Vec<Option<Plan>> = plans.into_iter().map(Some).collect();
    let mut at = start;
    while at < total {
        let end = (at + BATCH).min(total);
        let mut batch = ImportBatch {
            creates: Vec::new(),
            updates: Vec::new(),
            next_row: end as i64,
        };
        for plan in plans[at..end].iter_mut().filter_map(Option::take) {
            match plan {
                Plan::Create(c, org) => {
                    let mut c = *c;
                    c.organization_id = org.and_then(|o| organizations.get(&o).copied().flatten());
                    batch.creates.push(c);
                }
                Plan::Update(id, patch) => batch.updates.push((id, patch)),
                Plan::Skip | Plan::Invalid(_) => {}
            }
        }
        store.import_batch(&actor, job.id, batch).await?;
        at = end;
        eprint!("\r{at}/{total}");
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    store.finish_bulk(bulk).await?;
    store.finish_import(job.id).await?;
    let done = store
        .imports()
        .await?
        .into_iter()
        .find(|j| j.id == job.id)
        .unwrap_or(job);
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

/// The invalid rows as they came, with an error column, in the file's delimiter.
fn write_errors(
    path: &std::path::Path,
    headers: &[String],
    rows: &[Vec<String>],
    plans: &[Plan],
    delimiter: char,
    lang: Lang,
) -> Result<(), CliError> {
    let mut out = String::from(csv::BOM);
    let mut head = headers.to_vec();
    head.push(lang.pick("Fehler", "Error").to_string());
    out.push_str(&csv::line(&head, delimiter));
    for (row, plan) in rows.iter().zip(plans) {
        if let Plan::Invalid(problems) = plan {
            let mut cells = row.clone();
            cells.resize(headers.len(), String::new());
            cells.push(
                problems
                    .iter()
                    .map(|(c, m)| format!("{c}: {m}"))
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
            out.push_str(&csv::line(&cells, delimiter));
        }
    }
    std::fs::write(path, out).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    Ok(())
}
