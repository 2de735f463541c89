//! `kartei bench-import`: rows per second for a German CSV file, measured in the same run
//! as `sqlite3`'s `.import` of the same file followed by indexes on the columns Kartei
//! indexes (name, e-mail, phone, postcode, city, customer number). Kartei's import
//! includes checking every row, normalising, matching existing contacts by e-mail,
//! search tokens, duplicate keys, the import's undo items and review tasks (as the
//! configuration says).

use crate::cli::{BenchImportArgs, ImportArgs};
use crate::run::{contact_count, CliError};
use chrono::Utc;
use kartei_core::contact::ContactData;
use kartei_demo::demo::{DemoGenerator, Links};
use kartei_formats::csv;
use kartei_store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const HEADER: [&str; 12] = [
    "Anrede",
    "Vorname",
    "Nachname",
    "Firma",
    "Straße",
    "PLZ",
    "Ort",
    "Telefon",
    "E-Mail",
    "Geburtstag",
    "Kundennummer",
    "Land",
];

/// Writes `rows` generated German contacts as a `;` separated UTF-8 file.
fn write_file(path: &Path, rows: usize, seed: u64) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Usage(format!("{}: {e}", path.display()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let header: Vec<String> = HEADER
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    out.write_all(csv::line(&header, ';').as_bytes())
        .map_err(io)?;
    let mut generator = DemoGenerator::new(seed, Utc::now().date_naive());
    let companies: Vec<String> = (0..(rows / 8).max(1))
        .map(|_| generator.organization().name.unwrap_or_default())
        .collect();
    let links = Links {
        organization: None,
        owner_id: None,
    };
    for i in 0..rows {
        let c: ContactData = generator.contact(&links);
        let address = c.addresses.first().cloned().unwrap_or_default();
        let cells = [
            c.salutation.clone().unwrap_or_default(),
            c.first_name.clone().unwrap_or_default(),
            c.last_name.clone().unwrap_or_default(),
            if i % 4 == 0 {
                companies[i % companies.len()].clone()
            } else {
                String::new()
            },
            address.street.unwrap_or_default(),
            address.postcode.unwrap_or_default(),
            address.city.unwrap_or_default(),
            c.phones
                .first()
                .map(|p| p.number.clone())
                .unwrap_or_default(),
            c.emails
                .first()
                .map(|e| e.address.clone())
                .unwrap_or_default(),
            c.birthday
                .map(|d| d.format("%d.%m.%Y").to_string())
                .unwrap_or_default(),
            format!("K-{:07}", i + 1),
            address.country.unwrap_or_default(),
        ];
        out.write_all(csv::line(&cells, ';').as_bytes())
            .map_err(io)?;
    }
    out.flush().map_err(io)
}

/// `sqlite3`'s own import of the file plus the indexes; the seconds it took.
fn sqlite3_import(file: &Path, db: &Path) -> Result<f64, CliError> {
    let script = format!(
        ".mode csv\n.separator ;\n.import '{}' contacts\n\
         CREATE INDEX b_name ON contacts(\"Nachname\", \"Vorname\");\n\
         CREATE INDEX b_email ON contacts(\"E-Mail\");\n\
         CREATE INDEX b_phone ON contacts(\"Telefon\");\n\
         CREATE INDEX b_postcode ON contacts(\"PLZ\");\n\
         CREATE INDEX b_city ON contacts(\"Ort\");\n\
         CREATE INDEX b_number ON contacts(\"Kundennummer\");\n\
         CREATE INDEX b_country ON contacts(\"Land\");\n",
        file.display()
    );
    let started = Instant::now();
    let mut child = std::process::Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::Usage(format!(
                "sqlite3 could not be started ({e}); install it with `apt-get install sqlite3`"
            ))
        })?;
    child
        .stdin
        .take()
        .ok_or_else(|| CliError::Usage("sqlite3: no stdin".into()))?
        .write_all(script.as_bytes())
        .map_err(|e| CliError::Usage(format!("sqlite3: {e}")))?;
    let status = child
        .wait()
        .map_err(|e| CliError::Usage(format!("sqlite3: {e}")))?;
    if !status.success() {
        return Err(CliError::Usage(format!("sqlite3 failed: {status}")));
    }
    Ok(started.elapsed().as_secs_f64())
}

pub async fn run(store: &Store, args: &BenchImportArgs) -> Result<(), CliError> {
    if contact_count(store).await? > 0 {
        return Err(CliError::Usage(
            "bench-import needs an empty database (--database pointing at a new file)".into(),
        ));
    }
    let dir: PathBuf =
        std::env::temp_dir().join(format!("kartei-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| CliError::Usage(e.to_string()))?;
    let file = dir.join(format!("kontakte-{}.csv", args.rows));
    eprintln!("writing {} rows to {}", args.rows, file.display());
    write_file(&file, args.rows, args.seed)?;
    let bytes = std::fs::metadata(&file).map_or(0, |m| m.len());

    let baseline = sqlite3_import(&file, &dir.join("sqlite3.db"))?;
    eprintln!("sqlite3 .import + indexes: {baseline:.1} s");

    let started = Instant::now();
    crate::import::run(
        store,
        &ImportArgs {
            file: Some(file.clone()),
            undo: None,
            list: false,
            mapping: None,
            preset: None,
            save_preset: None,
            sheet: None,
            dry_run: false,
            match_by: "email".into(),
            on_match: "fill_in".into(),
            strict: false,
            country: None,
            errors: None,
            owner: None,
            lang: "en".into(),
        },
    )
    .await?;
    let kartei = started.elapsed().as_secs_f64();
    let imported = contact_count(store).await?;
    if args.keep_file {
        eprintln!("kept {}", file.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let rate = |s: f64| args.rows as f64 / s.max(f64::EPSILON);
    println!(
        "rows {}  file {:.1} MB  contacts imported {imported}",
        args.rows,
        bytes as f64 / 1e6
    );
    println!(
        "sqlite3 .import + 7 indexes   {baseline:>8.1} s  {:>10.0} rows/s",
        rate(baseline)
    );
    println!(
        "kartei import                 {kartei:>8.1} s  {:>10.0} rows/s",
        rate(kartei)
    );
    println!(
        "kartei / sqlite3 speed        {:>8.2}   (target ≥ 0.50)",
        baseline / kartei
    );
    Ok(())
}
