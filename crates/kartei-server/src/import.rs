//! The import of contacts from CSV, XLSX and vCard files, for the command line and the
//! web: read the file, map its columns (suggestions, presets, a given mapping), check
//! every row (nothing is written), then write the valid rows in batches as an import
//! job that resumes after a crash and can be undone.

use kartei_core::contact::ContactData;
use kartei_core::i18n::Lang;
use kartei_core::import::{column_of, row_to_contact, suggest, Target};
use kartei_core::organization::OrganizationData;
use kartei_formats::csv;
use kartei_formats::csv_read::{decode, detect_delimiter, parse, Encoding};
use kartei_formats::vcard_read::Card;
use kartei_store::bulk::{Valid, Validator};
use kartei_store::imports::{ImportBatch, ImportJob, MatchColumn};
use kartei_store::{Actor, Store, StoreError};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows written per transaction.
pub const BATCH: usize = 5000;

/// Rows planned at a time: lookups are batched and memory stays bounded.
const CHUNK: usize = 20_000;

/// What happens to one row.
pub enum Plan {
    /// The checked contact and the name of its organisation.
    Create(Box<Valid<ContactData>>, Option<String>),
    Update(Uuid, Value),
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

/// Where the rows came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Csv { encoding: Encoding, delimiter: char },
    Xlsx { sheet: String, sheets: Vec<String> },
    VCard,
}

/// A file read into rows.
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// vCards keep what they are; their rows only carry the display name.
    pub cards: Option<Vec<Card>>,
    pub source: Source,
    /// The same file (and sheet) resumes an interrupted import.
    pub hash: String,
}

impl Table {
    /// Reads a CSV (any delimiter, UTF-8 or Windows-1252), an XLSX workbook (`sheet`, or
    /// the first) or vCards.
    pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Table, ImportError> {
        let xlsx = kartei_formats::xlsx::looks_like_xlsx(bytes);
        if sheet.is_some() && !xlsx {
            return Err(ImportError::File(
                "a sheet is for XLSX workbooks; this file is not one".into(),
            ));
        }
        if xlsx {
            let sheets = kartei_formats::xlsx::sheet_names(bytes)
                .map_err(|e| ImportError::File(e.to_string()))?;
            let mut rows = kartei_formats::xlsx::read_sheet(bytes, sheet)
                .map_err(|e| ImportError::File(e.to_string()))?;
            if rows.is_empty() {
                return Err(ImportError::File("no rows".into()));
            }
            let mut whole = String::new();
            for row in &rows {
                whole.push_str(&csv::line(row, ';'));
            }
            let headers = rows.remove(0);
            return Ok(Table {
                headers,
                rows,
                cards: None,
                source: Source::Xlsx {
                    sheet: sheet
                        .map(str::to_string)
                        .or_else(|| sheets.first().cloned())
                        .unwrap_or_default(),
                    sheets,
                },
                hash: crate::auth::hash_secret(&whole),
            });
        }
        let (text, encoding) = decode(bytes);
        let hash = crate::auth::hash_secret(&text);
        let vcard = text
            .trim_start()
            .get(..11)
            .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
        if vcard {
            let cards = kartei_formats::vcard_read::parse(&text);
            let rows = cards.iter().map(|c| vec![c.display.clone()]).collect();
            return Ok(Table {
                headers: vec!["Name".to_string()],
                rows,
                cards: Some(cards),
                source: Source::VCard,
                hash,
            });
        }
        let delimiter = detect_delimiter(&text);
        let mut rows = parse(&text, delimiter);
        if rows.is_empty() {
            return Err(ImportError::File("no rows".into()));
        }
        let headers = rows.remove(0);
        Ok(Table {
            headers,
            rows,
            cards: None,
            source: Source::Csv {
                encoding,
                delimiter,
            },
            hash,
        })
    }

    /// What each column probably holds, from its header.
    pub fn suggested(&self) -> Vec<Target> {
        match self.source {
            Source::VCard => vec![Target::FullName],
            _ => suggest(&self.headers),
        }
    }

    /// Applies a built-in or saved preset to `targets`; headers the file lacks are left
    /// out (a preset covers several variants of an export).
    pub async fn apply_preset(
        &self,
        store: &Store,
        targets: &mut [Target],
        key: &str,
    ) -> Result<(), ImportError> {
        if self.source == Source::VCard {
            return Ok(());
        }
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
                    ImportError::File(format!(
                        "no preset {key:?}: built in are {}, or one saved with --save-preset",
                        built_in.join(", ")
                    ))
                })?,
        };
        for (column, meaning) in columns {
            if let Some(i) = self.headers.iter().position(|h| h.trim() == column) {
                targets[i] = parse_target(&meaning).ok_or_else(|| {
                    ImportError::File(format!("preset {key}: unknown meaning {meaning:?}"))
                })?;
            }
        }
        Ok(())
    }

    /// Applies a mapping (header → meaning) to `targets`.
    pub fn apply_mapping(
        &self,
        targets: &mut [Target],
        given: &HashMap<String, String>,
    ) -> Result<(), ImportError> {
        if self.source == Source::VCard {
            return Ok(());
        }
        for (column, meaning) in given {
            let i = self
                .headers
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| {
                    ImportError::File(format!(
                        "mapping names column {column:?}, which the file does not have"
                    ))
                })?;
            targets[i] = parse_target(meaning).ok_or_else(|| {
                ImportError::File(format!("mapping: unknown meaning {meaning:?}"))
            })?;
        }
        Ok(())
    }
}

/// How rows meet existing contacts and who owns new ones.
pub struct Options {
    /// `email`, `external_id` or `none`.
    pub match_by: String,
    /// `update` or `skip`.
    pub on_match: String,
    pub owner: Option<Uuid>,
    pub lang: Lang,
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
    /// Organisations named, with their ids when they exist (for the count of new ones).
    organizations: HashMap<String, Option<Uuid>>,
}

impl Checked {
    /// New, update, skip, invalid, new organisations.
    pub fn counts(&self) -> [usize; 5] {
        let [new, update, skip, invalid] = self.counts;
        let new_orgs = self.organizations.values().filter(|v| v.is_none()).count();
        [new, update, skip, invalid, new_orgs]
    }

    /// The invalid rows as they came, with an error column, as CSV in the file's
    /// delimiter (`;` for workbooks and vCards), with a byte-order mark for Excel.
    pub fn errors_csv(&self, table: &Table, lang: Lang) -> String {
        let delimiter = match table.source {
            Source::Csv { delimiter, .. } => delimiter,
            _ => ';',
        };
        let mut out = String::from(csv::BOM);
        let mut head = table.headers.clone();
        head.push(lang.pick("Fehler", "Error").to_string());
        out.push_str(&csv::line(&head, delimiter));
        for (i, problems) in &self.invalid {
            let mut cells = table.rows.get(*i).cloned().unwrap_or_default();
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
        out
    }

    /// (row as a spreadsheet numbers it, column, message) of every problem.
    pub fn problems(&self) -> Vec<(usize, String, String)> {
        let mut out = Vec::new();
        for (i, problems) in &self.invalid {
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
) -> Result<Checked, StoreError> {
    let validator = store.validator().await?;
    let mut checked = Checked {
        targets: targets.to_vec(),
        counts: [0; 4],
        invalid: Vec::new(),
        organizations: HashMap::new(),
    };
    let mut start = 0;
    while start < table.rows.len() {
        let end = (start + CHUNK).min(table.rows.len());
        let drafts = drafts_of(table, start..end, targets);
        let matches = matches_of(store, options, &drafts).await?;
        let planned =
            plan_rows(store, table, drafts, targets, options, &validator, &matches).await?;
        for (i, plan) in planned.plans.into_iter().enumerate() {
            let slot = match plan {
                Plan::Create(..) => 0,
                Plan::Update(..) => 1,
                Plan::Skip => 2,
                Plan::Invalid(problems) => {
                    checked.invalid.push((start + i, problems));
                    3
                }
            };
            checked.counts[slot] += 1;
        }
        checked.organizations.extend(planned.organizations);
        start = end;
    }
    Ok(checked)
}

/// The plans of some rows, and the organisations they name.
struct Planned {
    plans: Vec<Plan>,
    organizations: HashMap<String, Option<Uuid>>,
}

/// The rows in `range` as drafts of contacts.
fn drafts_of(
    table: &Table,
    range: std::ops::Range<usize>,
    targets: &[Target],
) -> Vec<kartei_core::import::RowDraft> {
    match &table.cards {
        Some(cards) => cards[range]
            .iter()
            .map(|c| kartei_core::import::RowDraft {
                contact: c.contact.clone(),
                organization: c.organization.clone(),
                external_id: c.uid.clone(),
                errors: Vec::new(),
            })
            .collect(),
        None => table.rows[range]
            .iter()
            .map(|row| row_to_contact(&table.headers, targets, row))
            .collect(),
    }
}

/// The existing contacts the drafts match (by e-mail or external id), by match key;
/// looked up in large batches.
async fn matches_of(
    store: &Store,
    options: &Options,
    drafts: &[kartei_core::import::RowDraft],
) -> Result<HashMap<String, Uuid>, StoreError> {
    let keys: Vec<String> = drafts
        .iter()
        .filter_map(|d| match_key(&options.match_by, d))
        .collect();
    let mut matches = match options.match_by.as_str() {
        "email" => store.contacts_by(MatchColumn::Email, &keys).await?,
        "external_id" => store.contacts_by(MatchColumn::ExternalId, &keys).await?,
        _ => HashMap::new(),
    };
    if options.match_by == "external_id" {
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
    Ok(matches)
}

/// Plans the drafted rows against the matches found for them. Organisations are looked
/// up by name in one batch; validation needs no database.
async fn plan_rows(
    store: &Store,
    table: &Table,
    drafts: Vec<kartei_core::import::RowDraft>,
    targets: &[Target],
    options: &Options,
    validator: &Validator,
    matches: &HashMap<String, Uuid>,
) -> Result<Planned, StoreError> {
    let lang = options.lang;
    let mut plans = Vec::with_capacity(drafts.len());
    let mut org_names: Vec<String> = drafts
        .iter()
        .filter_map(|d| d.organization.clone())
        .collect();
    org_names.sort_unstable();
    org_names.dedup();
    let known_orgs = store.organizations_named(&org_names).await?;
    let organizations: HashMap<String, Option<Uuid>> = org_names
        .into_iter()
        .map(|n| {
            let id = known_orgs.get(&n).copied();
            (n, id)
        })
        .collect();
    for draft in drafts {
        let mut problems: Vec<(String, String)> = draft
            .errors
            .iter()
            .map(|(c, e)| (c.clone(), e.message(lang).to_string()))
            .collect();
        let mut contact = draft.contact;
        contact.external_id = draft.external_id.clone();
        contact.owner_id = options.owner;
        let existing = if problems.is_empty() {
            match_key(
                &options.match_by,
                &kartei_core::import::RowDraft {
                    contact: contact.clone(),
                    organization: None,
                    external_id: contact.external_id.clone(),
                    errors: Vec::new(),
                },
            )
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
                let mut doc = serde_json::to_value(&current.data)?;
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
            Ok(c) => validator.check(c),
            Err(e) => Err(e),
        };
        let valid = match verdict {
            Ok(valid) => Some(valid),
            Err(StoreError::Invalid(fields)) => {
                problems.extend(fields.into_iter().map(|f| {
                    (
                        column_of(&f.field, &table.headers, targets).unwrap_or(f.field),
                        f.code.message(lang).to_string(),
                    )
                }));
                None
            }
            Err(e) => return Err(e),
        };
        let valid = match valid {
            Some(valid) if problems.is_empty() => valid,
            _ => {
                plans.push(Plan::Invalid(problems));
                continue;
            }
        };
        plans.push(match (existing, options.on_match.as_str()) {
            (Some(_), "skip") => Plan::Skip,
            (Some(id), _) => Plan::Update(id, patch),
            (None, _) => {
                // The placeholder goes; the organisation's id is set when it is written.
                let mut valid = valid;
                valid.set_organization(None);
                Plan::Create(Box::new(valid), draft.organization)
            }
        });
    }

    Ok(Planned {
        plans,
        organizations,
    })
}

/// The value a row is matched by: its first e-mail address or its external id.
fn match_key(match_by: &str, d: &kartei_core::import::RowDraft) -> Option<String> {
    match match_by {
        "email" => d
            .contact
            .emails
            .first()
            .map(|e| e.address.trim().to_lowercase()),
        "external_id" => d.external_id.clone(),
        _ => None,
    }
}

/// How far a write got.
pub enum Progress {
    /// An interrupted import of the same file goes on at this row.
    Resuming(i64),
    /// Rows done of all.
    Written(usize, usize),
}

/// Writes the checked rows as an import job with the mapping they were checked with:
/// planned again a chunk at a time (the database may have changed since the check),
/// written in batches of one transaction each; `progress` hears each batch.
pub async fn write(
    store: &Store,
    actor: &Actor,
    file_name: &str,
    table: &Table,
    checked: &Checked,
    options: &Options,
    progress: impl Fn(Progress),
) -> Result<ImportJob, StoreError> {
    let hash = &table.hash;
    let job = match store.unfinished_import(hash).await? {
        Some(job) => {
            progress(Progress::Resuming(job.next_row));
            job
        }
        None => store.start_import(actor, file_name, hash).await?,
    };
    let total = table.rows.len();
    let start = usize::try_from(job.next_row).unwrap_or(0).min(total);
    // A large import rebuilds the secondary indexes once at the end instead of updating
    // them row by row (an interrupted import leaves them listed for the next start).
    let [new, update, ..] = checked.counts();
    let mut bulk = store.begin_bulk((new + update).min(total - start)).await?;
    let validator = store.validator().await?;
    // Rows meet the contacts that were there before the import: matches are looked up
    // before anything is written, and those the import made before an interruption are
    // not matches when it resumes.
    let mut matches = HashMap::new();
    let mut from = start;
    while from < total {
        let to = (from + CHUNK).min(total);
        let drafts = drafts_of(table, from..to, &checked.targets);
        matches.extend(matches_of(store, options, &drafts).await?);
        from = to;
    }
    let own = store.contacts_created_by_import(job.id).await?;
    matches.retain(|_, id| !own.contains(id));
    let mut at = start;
    while at < total {
        let chunk_end = (at + CHUNK).min(total);
        let drafts = drafts_of(table, at..chunk_end, &checked.targets);
        let planned = plan_rows(
            store,
            table,
            drafts,
            &checked.targets,
            options,
            &validator,
            &matches,
        )
        .await?;
        let organizations =
            create_organizations(store, actor, job.id, options, planned.organizations).await?;
        let mut plans = planned.plans.into_iter();
        while at < chunk_end {
            let end = (at + BATCH).min(chunk_end);
            let mut batch = ImportBatch {
                creates: Vec::new(),
                updates: Vec::new(),
                next_row: end as i64,
            };
            for plan in plans.by_ref().take(end - at) {
                match plan {
                    Plan::Create(c, org) => {
                        let mut c = *c;
                        c.set_organization(org.and_then(|o| organizations.get(&o).copied()));
                        batch.creates.push(c);
                    }
                    Plan::Update(id, patch) => batch.updates.push((id, patch)),
                    Plan::Skip | Plan::Invalid(_) => {}
                }
            }
            store.import_batch(actor, job.id, batch, &mut bulk).await?;
            at = end;
            progress(Progress::Written(at, total));
        }
    }
    store.finish_bulk(bulk).await?;
    store.finish_import(job.id).await?;
    Ok(store
        .imports()
        .await?
        .into_iter()
        .find(|j| j.id == job.id)
        .unwrap_or(job))
}

/// The ids of the organisations rows name: those there are, and the new ones created
/// now as items of the import (undo removes them too).
async fn create_organizations(
    store: &Store,
    actor: &Actor,
    job: Uuid,
    options: &Options,
    named: HashMap<String, Option<Uuid>>,
) -> Result<HashMap<String, Uuid>, StoreError> {
    let mut ids = HashMap::with_capacity(named.len());
    let mut new_names = Vec::new();
    for (name, id) in named {
        match id {
            Some(id) => {
                ids.insert(name, id);
            }
            None => new_names.push(name),
        }
    }
    let created = store
        .import_organizations(
            actor,
            job,
            new_names
                .iter()
                .map(|n| OrganizationData {
                    name: Some(n.clone()),
                    owner_id: options.owner,
                    ..OrganizationData::default()
                })
                .collect(),
        )
        .await?;
    ids.extend(new_names.into_iter().zip(created));
    Ok(ids)
}

pub fn target_name(t: &Target) -> String {
    match t {
        Target::Custom(k) => format!("custom.{k}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

pub fn parse_target(name: &str) -> Option<Target> {
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
