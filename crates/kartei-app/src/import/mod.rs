//! The import of contacts from CSV, XLSX and vCard files, for the command line and the
//! web: read the file, map its columns (suggestions, presets, a given mapping), check
//! every row (nothing is written), then write the valid rows in batches as an import
//! job that resumes after a crash and can be undone.

use kartei_core::consent::ConsentInput;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::import::{column_of, row_to_contact, suggest_with_custom, Target};
use kartei_core::import_match::{changes, matched_contact, FieldChange, OnMatch};
use kartei_core::import_set_aside::{keep_in_notes, set_aside, SetAside};
use kartei_core::organization::OrganizationData;
use kartei_core::record::Entity;
use kartei_formats::csv;
use kartei_formats::csv_read::{decode, detect_delimiter, detect_encoding, Encoding, Records};
use kartei_formats::vcard_read::Card;
use kartei_store::bulk::{Valid, Validator};
use kartei_store::duplicates::LIKELY_FROM;
use kartei_store::imports::{ImportBatch, ImportJob, MatchColumn};
use kartei_store::{Actor, Store, StoreError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// Rows written per transaction.
pub const BATCH: usize = 5000;

/// Rows planned at a time: lookups are batched and memory stays bounded.
const CHUNK: usize = 20_000;

mod matching;
mod plan;
mod table;
mod write;

pub use matching::match_by_choices;
use matching::*;
use plan::*;
pub use table::{Content, Source, Table};
pub use write::{write, Progress};

/// What happens to one row.
pub enum Plan {
    /// The checked contact and the name of its organisation.
    Create(Box<Valid<ContactData>>, Option<String>),
    /// The contact found, the row (applied when written), and what it changes.
    Update(Uuid, Box<ContactData>, Vec<FieldChange>),
    Skip,
    /// (column, message) of every problem.
    Invalid(Vec<(String, String)>),
}

/// A file's trouble: unreadable, a sheet it lacks, a mapping that does not fit. The
/// message is in English, as errors of the command line are.
#[derive(Debug)]
pub enum ImportError {
    File(String),
    Store(StoreError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::File(m) => f.write_str(m),
            ImportError::Store(e) => e.fmt(f),
        }
    }
}

impl From<std::io::Error> for ImportError {
    fn from(e: std::io::Error) -> Self {
        ImportError::File(e.to_string())
    }
}

/// How rows meet existing contacts and who owns new ones.
pub struct Options {
    /// `email`, `external_id` or `none`.
    pub match_by: String,
    /// What rows do to the contacts they find.
    pub on_match: OnMatch,
    pub owner: Option<Uuid>,
    pub lang: Lang,
    /// Refuse a row with a value that fails its rule, instead of importing it without
    /// that value (kept in its notes).
    pub strict: bool,
    /// The country of the file's addresses that name none (ISO code); without it such
    /// an address is in the home region.
    pub country: Option<String>,
}

/// What a check found: counts, the invalid rows, and the organisations named (with
/// their ids when they exist). The plans themselves are not kept: a run plans again,
/// a chunk at a time, so memory stays bounded however long the file.
pub struct Checked {
    /// The mapping the rows were checked with; the run writes with it.
    targets: Vec<Target>,
    /// New, update, skip, invalid.
    counts: [usize; 4],
    /// Row index (0 = the first row after the header) and its problems.
    invalid: Vec<(usize, Vec<(String, String)>)>,
    /// Rows imported without values that failed their rule: row index and, per value,
    /// (column, message).
    kept: Vec<(usize, Vec<(String, String)>)>,
    /// Organisations named, with their ids when they exist (for the count of new ones).
    organizations: HashMap<String, Option<Uuid>>,
    /// The first rows that change a contact they found, with what they change.
    changes: Vec<(usize, Vec<FieldChange>)>,
    /// How many rows change a contact they found.
    changing: usize,
}

/// How many changing rows a check keeps with their changes, to show before the run.
pub const CHANGES_SHOWN: usize = 200;

impl Checked {
    /// New, update, skip, invalid, new organisations.
    pub fn counts(&self) -> [usize; 5] {
        let [new, update, skip, invalid] = self.counts;
        let new_orgs = self.organizations.values().filter(|v| v.is_none()).count();
        [new, update, skip, invalid, new_orgs]
    }

    /// The rows refused and those imported without a value, as they came, with an
    /// error column (what was refused or left out), as CSV in the file's
    /// delimiter (`;` for workbooks and vCards), with a byte-order mark for Excel.
    pub fn errors_csv(&self, table: &Table, lang: Lang) -> Result<String, ImportError> {
        let delimiter = match table.source {
            Source::Csv { delimiter, .. } => delimiter,
            _ => ';',
        };
        let mut out = String::from(csv::BOM);
        let mut head = table.headers.clone();
        head.push(lang.pick("Fehler", "Error").to_string());
        out.push_str(&csv::line(&head, delimiter));
        let mut invalid = self.listed().into_iter().peekable();
        let mut cursor = table.cursor(0)?;
        let mut start = 0;
        while invalid.peek().is_some() && start < table.len {
            let rows = cursor.rows(CHUNK)?;
            let end = start + rows.len();
            while let Some((i, problems)) = invalid.next_if(|(i, _)| *i < end) {
                let mut cells = rows[i - start].clone();
                cells.resize(table.headers.len(), String::new());
                cells.push(
                    problems
                        .iter()
                        .map(|(c, m)| format!("{c}: {m}"))
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
                out.push_str(&csv::line(&cells, delimiter));
            }
            start = end;
        }
        Ok(out)
    }

    /// The first [`CHANGES_SHOWN`] rows that would change a contact they found (row as a
    /// spreadsheet numbers it), with each field's old and new value.
    pub fn changes(&self) -> &[(usize, Vec<FieldChange>)] {
        &self.changes
    }

    /// How many rows would change a contact they found (of those matched, the rest
    /// would add nothing it does not have).
    pub fn changing(&self) -> usize {
        self.changing
    }

    /// Rows refused and rows imported without a value, in file order.
    fn listed(&self) -> Vec<&(usize, Vec<(String, String)>)> {
        let mut rows: Vec<_> = self.invalid.iter().chain(&self.kept).collect();
        rows.sort_by_key(|(i, _)| *i);
        rows
    }

    /// Whether the check refused the row (0 = the first after the header).
    fn refuses(&self, row: usize) -> bool {
        self.invalid.binary_search_by_key(&row, |(i, _)| *i).is_ok()
    }

    /// How many rows are imported without a value that failed its rule.
    pub fn kept_without_values(&self) -> usize {
        self.kept.len()
    }

    /// (row as a spreadsheet numbers it, column, message) of every problem: of rows
    /// refused, and of values left out of rows imported.
    pub fn problems(&self) -> Vec<(usize, String, String)> {
        let mut out = Vec::new();
        for (i, problems) in self.listed() {
            for (column, message) in problems {
                // The header is row 1.
                out.push((i + 2, column.clone(), message.clone()));
            }
        }
        out
    }
}

/// Checks every row, a chunk at a time; nothing is written.
pub async fn check(
    store: &Store,
    table: &Table,
    targets: &[Target],
    options: &Options,
) -> Result<Checked, ImportError> {
    check_consent_targets(store, targets).await?;
    let validator = store.validator().await?;
    let mut checked = Checked {
        targets: targets.to_vec(),
        counts: [0; 4],
        invalid: Vec::new(),
        kept: Vec::new(),
        organizations: HashMap::new(),
        changes: Vec::new(),
        changing: 0,
    };
    let mut cursor = table.cursor(0)?;
    let mut start = 0;
    while start < table.len {
        let drafts = cursor.drafts(CHUNK, targets)?;
        if drafts.is_empty() {
            break;
        }
        let end = start + drafts.len();
        let matches = matches_of(store, options, &validator, &drafts).await?;
        let planned =
            plan_rows(store, table, drafts, targets, options, &validator, &matches).await?;
        for (i, plan) in planned.plans.into_iter().enumerate() {
            let slot = match plan {
                Plan::Create(..) => 0,
                Plan::Update(_, _, changes) => {
                    checked.changing += usize::from(!changes.is_empty());
                    if !changes.is_empty() && checked.changes.len() < CHANGES_SHOWN {
                        // The header is row 1.
                        checked.changes.push((start + i + 2, changes));
                    }
                    1
                }
                Plan::Skip => 2,
                Plan::Invalid(problems) => {
                    checked.invalid.push((start + i, problems));
                    3
                }
            };
            checked.counts[slot] += 1;
        }
        checked.organizations.extend(planned.organizations);
        checked.kept.extend(
            planned
                .kept
                .into_iter()
                .map(|(i, values)| (start + i, values)),
        );
        start = end;
    }
    Ok(checked)
}

/// Consent columns name purposes that exist: a mapping with one that does not is an
/// error before anything is read.
async fn check_consent_targets(store: &Store, targets: &[Target]) -> Result<(), ImportError> {
    let named: Vec<&String> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Consent(c) => Some(c),
            _ => None,
        })
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let purposes = store.consent_purposes().await?;
    for target in named {
        let known = kartei_core::consent::parse_target(target)
            .is_some_and(|(_, p)| purposes.iter().any(|k| k.key == p));
        if !known {
            return Err(ImportError::File(format!(
                "consent.{target}: not CHANNEL:PURPOSE with a channel of {} and a configured purpose ({})",
                kartei_core::consent::CHANNELS.join(", "),
                purposes
                    .iter()
                    .map(|p| p.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(())
}

pub fn target_name(t: &Target) -> String {
    match t {
        Target::Custom(k) => format!("custom.{k}"),
        Target::Consent(c) => format!("consent.{c}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

pub fn parse_target(name: &str) -> Option<Target> {
    if let Some(c) = name.strip_prefix("consent.") {
        return kartei_core::consent::parse_target(c).map(|_| Target::Consent(c.to_string()));
    }
    match name.strip_prefix("custom.") {
        Some(k) => Some(Target::Custom(k.to_string())),
        None => serde_json::from_value(json!(name)).ok(),
    }
}
