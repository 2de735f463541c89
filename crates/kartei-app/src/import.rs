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

/// Where a file's bytes are: on disk (a file of any size, read again for each pass) or
/// in memory (an upload, whose size the web limits).
#[derive(Debug, Clone)]
pub enum Content {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Content {
    fn open(&self) -> std::io::Result<Box<dyn BufRead + Send>> {
        Ok(match self {
            Content::Path(path) => Box::new(BufReader::with_capacity(
                1 << 16,
                std::fs::File::open(path)?,
            )),
            Content::Bytes(bytes) => Box::new(std::io::Cursor::new(Arc::clone(bytes))),
        })
    }

    fn whole(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        Ok(match self {
            Content::Path(path) => std::fs::read(path)?.into(),
            Content::Bytes(bytes) => bytes.as_ref().into(),
        })
    }

    /// The first bytes, enough to tell the kind of file and its delimiter.
    fn start(&self) -> std::io::Result<Vec<u8>> {
        let mut head = Vec::new();
        self.open()?.take(1 << 16).read_to_end(&mut head)?;
        Ok(head)
    }
}

/// Where the rows came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Csv { encoding: Encoding, delimiter: char },
    Xlsx { sheet: String, sheets: Vec<String> },
    VCard,
}

/// The rows of a file. CSV is read from its content again on each pass, so a file of a
/// million rows is never held as rows; workbooks (a sheet holds at most 1,048,576 rows)
/// and vCards are read whole.
enum Body {
    Csv(Content),
    Rows(Vec<Vec<String>>),
    Cards(Vec<Card>),
}

/// A file read far enough to map its columns: the header, the first rows and the
/// number of rows.
pub struct Table {
    pub headers: Vec<String>,
    /// Rows after the header.
    pub len: usize,
    /// The first rows, to show what the columns hold.
    pub samples: Vec<Vec<String>>,
    pub source: Source,
    /// The same file (and sheet) resumes an interrupted import.
    pub hash: String,
    body: Body,
}

/// Rows kept as samples.
const SAMPLES: usize = 20;

impl Table {
    /// Reads a CSV (any delimiter, UTF-8 or Windows-1252), an XLSX workbook (`sheet`, or
    /// the first) or vCards.
    pub fn read(content: Content, sheet: Option<&str>) -> Result<Table, ImportError> {
        let head = content.start()?;
        let xlsx = kartei_formats::xlsx::looks_like_xlsx(&head);
        if sheet.is_some() && !xlsx {
            return Err(ImportError::File(
                "a sheet is for XLSX workbooks; this file is not one".into(),
            ));
        }
        if xlsx {
            let bytes = content.whole()?;
            let sheets = kartei_formats::xlsx::sheet_names(&bytes)
                .map_err(|e| ImportError::File(e.to_string()))?;
            let mut rows = kartei_formats::xlsx::read_sheet(&bytes, sheet)
                .map_err(|e| ImportError::File(e.to_string()))?;
            if rows.is_empty() {
                return Err(ImportError::File("no rows".into()));
            }
            let mut hash = Sha256::new();
            for row in &rows {
                hash.update(csv::line(row, ';').as_bytes());
            }
            let headers = rows.remove(0);
            return Ok(Table {
                headers,
                len: rows.len(),
                samples: rows.iter().take(SAMPLES).cloned().collect(),
                source: Source::Xlsx {
                    sheet: sheet
                        .map(str::to_string)
                        .or_else(|| sheets.first().cloned())
                        .unwrap_or_default(),
                    sheets,
                },
                hash: hex(hash),
                body: Body::Rows(rows),
            });
        }
        let (start, _) = decode(&head);
        let vcard = start
            .trim_start()
            .get(..11)
            .is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
        if vcard {
            let bytes = content.whole()?;
            let (text, _) = decode(&bytes);
            let cards = kartei_formats::vcard_read::parse(&text);
            return Ok(Table {
                headers: vec!["Name".to_string()],
                len: cards.len(),
                samples: cards
                    .iter()
                    .take(SAMPLES)
                    .map(|c| vec![c.display.clone()])
                    .collect(),
                source: Source::VCard,
                hash: hex(Sha256::new_with_prefix(&text)),
                body: Body::Cards(cards),
            });
        }
        // Three passes over a CSV file: its encoding (and hash), then its rows counted,
        // the delimiter found from its start.
        let mut hash = Sha256::new();
        let encoding = detect_encoding(content.open()?, |block| hash.update(block))?;
        let delimiter = detect_delimiter(&start);
        let mut records = Records::new(content.open()?, encoding, delimiter);
        let headers = records
            .next()
            .transpose()?
            .ok_or_else(|| ImportError::File("no rows".into()))?;
        let mut samples = Vec::new();
        let mut len = 0;
        for record in records {
            let record = record?;
            if samples.len() < SAMPLES {
                samples.push(record);
            }
            len += 1;
        }
        Ok(Table {
            headers,
            len,
            samples,
            source: Source::Csv {
                encoding,
                delimiter,
            },
            hash: hex(hash),
            body: Body::Csv(content),
        })
    }

    /// Reads the rows in order from row `from` (0 = the first after the header).
    fn cursor(&self, from: usize) -> Result<Cursor<'_>, ImportError> {
        let records = match (&self.body, &self.source) {
            (
                Body::Csv(content),
                Source::Csv {
                    encoding,
                    delimiter,
                },
            ) => {
                let mut records = Records::new(content.open()?, *encoding, *delimiter);
                // The header, then the rows before `from`.
                for _ in 0..=from {
                    records.next().transpose()?;
                }
                Some(records)
            }
            _ => None,
        };
        Ok(Cursor {
            table: self,
            at: from.min(self.len),
            records,
        })
    }

    /// What each column probably holds, from its header (custom fields by their labels).
    pub fn suggested(&self, defs: &[CustomFieldDef]) -> Vec<Target> {
        match self.source {
            Source::VCard => vec![Target::FullName],
            _ => suggest_with_custom(&self.headers, defs),
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

/// A pass over a table's rows, in order.
struct Cursor<'a> {
    table: &'a Table,
    /// The row read next.
    at: usize,
    /// A CSV file's records, read as the pass goes.
    records: Option<Records<Box<dyn BufRead + Send>>>,
}

impl Cursor<'_> {
    /// The next `n` rows (fewer at the end) as their cells; a vCard's is its name.
    fn rows(&mut self, n: usize) -> Result<Vec<Vec<String>>, ImportError> {
        let end = (self.at + n).min(self.table.len);
        let range = self.at..end;
        self.at = end;
        match (&self.table.body, &mut self.records) {
            (Body::Csv(_), Some(records)) => {
                let mut rows = Vec::with_capacity(range.len());
                for _ in range {
                    // The row count was taken when the file was first read.
                    let row = records.next().transpose()?.ok_or_else(|| {
                        ImportError::File("the file became shorter while it was read".into())
                    })?;
                    rows.push(row);
                }
                Ok(rows)
            }
            (Body::Cards(cards), _) => Ok(cards[range]
                .iter()
                .map(|c| vec![c.display.clone()])
                .collect()),
            (Body::Rows(rows), _) => Ok(rows[range].to_vec()),
            (Body::Csv(_), None) => Ok(Vec::new()),
        }
    }

    /// The next `n` rows (fewer at the end) as drafts of contacts.
    fn drafts(
        &mut self,
        n: usize,
        targets: &[Target],
    ) -> Result<Vec<kartei_core::import::RowDraft>, ImportError> {
        if let Body::Cards(cards) = &self.table.body {
            let end = (self.at + n).min(self.table.len);
            let drafts = cards[self.at..end]
                .iter()
                .map(|c| kartei_core::import::RowDraft {
                    contact: c.contact.clone(),
                    organization: c.organization.clone(),
                    external_id: c.uid.clone(),
                    unreadable: Vec::new(),
                    consents: Vec::new(),
                })
                .collect();
            self.at = end;
            return Ok(drafts);
        }
        Ok(self
            .rows(n)?
            .iter()
            .map(|row| row_to_contact(&self.table.headers, targets, row))
            .collect())
    }
}

/// A hash as hex digits.
fn hex(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

/// The plans of some rows, and the organisations they name.
struct Planned {
    plans: Vec<Plan>,
    organizations: HashMap<String, Option<Uuid>>,
    /// Rows (in this chunk) imported without values that failed their rule, with
    /// (column, message) of each.
    kept: Vec<(usize, Vec<(String, String)>)>,
    /// The consents each row states, one list per row.
    consents: Vec<Vec<kartei_core::import::ImportedConsent>>,
}

/// How `match_by` finds existing contacts: by a column of theirs, or by the duplicate
/// score.
enum Matching {
    Column(MatchColumn),
    Score,
    Nothing,
}

impl Matching {
    fn of(match_by: &str) -> Matching {
        match match_by {
            "email" => Matching::Column(MatchColumn::Email),
            "external_id" => Matching::Column(MatchColumn::ExternalId),
            "customer_number" => Matching::Column(MatchColumn::CustomerNumber),
            "score" => Matching::Score,
            other => match other.strip_prefix("custom.") {
                Some(key) => Matching::Column(MatchColumn::Custom(key.to_string())),
                None => Matching::Nothing,
            },
        }
    }
}

/// The ways rows can find existing contacts, as `match_by` names them: e-mail, external
/// id, customer number, a contact custom field (`custom.KEY`), the duplicate score
/// (the best candidate scoring as a likely duplicate), or not at all (`none`).
pub fn match_by_choices(defs: &[CustomFieldDef]) -> Vec<String> {
    let mut choices: Vec<String> = ["email", "external_id", "customer_number"]
        .map(str::to_string)
        .to_vec();
    choices.extend(
        defs.iter()
            .filter(|d| d.entity == Entity::Contact && d.kind != CustomKind::MultiChoice)
            .map(|d| format!("custom.{}", d.key)),
    );
    choices.extend(["score", "none"].map(str::to_string));
    choices
}

/// The existing contacts the drafts match, by match key; values are looked up in large
/// batches, the duplicate score row by row.
async fn matches_of(
    store: &Store,
    options: &Options,
    validator: &Validator,
    drafts: &[kartei_core::import::RowDraft],
) -> Result<HashMap<String, Uuid>, StoreError> {
    let keys: Vec<String> = drafts
        .iter()
        .filter_map(|d| match_key(&options.match_by, d, validator))
        .collect();
    let column = match Matching::of(&options.match_by) {
        Matching::Column(column) => column,
        Matching::Score => return score_matches(store, keys).await,
        Matching::Nothing => return Ok(HashMap::new()),
    };
    let mut matches = store.contacts_by(column.clone(), &keys).await?;
    if column == MatchColumn::ExternalId {
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

/// For each checked contact (as its match key, the contact in JSON), the existing
/// contact that is most likely the same person, if one scores as a likely duplicate.
async fn score_matches(
    store: &Store,
    keys: Vec<String>,
) -> Result<HashMap<String, Uuid>, StoreError> {
    let mut matches = HashMap::new();
    for key in keys {
        if matches.contains_key(&key) {
            continue;
        }
        let contact: ContactData = serde_json::from_str(&key)?;
        let best = store.likely_duplicates(&contact, None, 1).await?;
        if let Some((found, score)) = best.first() {
            if score.score >= LIKELY_FROM {
                matches.insert(key, found.id);
            }
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
    let mut kept = Vec::new();
    // Matched contacts as the rows planned so far leave them.
    let mut planned: HashMap<Uuid, ContactData> = HashMap::new();
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
    let mut consents = Vec::with_capacity(drafts.len());
    for (row, mut draft) in drafts.into_iter().enumerate() {
        consents.push(std::mem::take(&mut draft.consents));
        let column =
            |field: &str| column_of(field, &table.headers, targets).unwrap_or(field.to_string());
        let mut problems: Vec<(String, String)> = Vec::new();
        // Values that fail their rule: set aside into the notes, or (strict) refusing
        // the row.
        let mut aside: Vec<SetAside> = Vec::new();
        for (header, value) in &draft.unreadable {
            if options.strict {
                problems.push((header.clone(), value.code.message(lang).to_string()));
            } else {
                aside.push(value.clone());
            }
        }
        let existing = if problems.is_empty() {
            match_key(&options.match_by, &draft, validator).and_then(|k| matches.get(&k).copied())
        } else {
            None
        };
        let mut contact = draft.contact;
        contact.external_id = draft.external_id.clone();
        contact.owner_id = options.owner;
        if let Some(country) = &options.country {
            for a in contact.addresses.iter_mut().filter(|a| a.country.is_none()) {
                a.country = Some(country.clone());
            }
        }
        let named_org = draft.organization.is_some();
        // A contact that an earlier row of this chunk changes is met as that row leaves
        // it, as the rows will be written: two rows for one customer are checked
        // together (their addresses may be one too many for the contact).
        let current = match existing {
            Some(id) => match planned.get(&id) {
                Some(after) => Some(after.clone()),
                None => {
                    Some(validator.without_deleted_fields(store.get::<ContactData>(id).await?.data))
                }
            },
            None => None,
        };
        let region = store.default_region();
        let check = |contact: &ContactData, aside: &[SetAside]| {
            check_row(
                validator,
                options,
                region,
                current.as_ref(),
                contact,
                aside,
                named_org,
            )
        };
        let mut verdict = check(&contact, &aside);
        if !options.strict && matches!(verdict, Err(StoreError::Invalid(_))) {
            // Which of the row's own values fail (a matched contact's may too, and those
            // are not the row's to drop).
            if let Err(StoreError::Invalid(fields)) =
                validator.check(with_placeholder(contact.clone(), named_org))
            {
                let failing: Vec<_> = fields.iter().map(|f| (f.field.clone(), f.code)).collect();
                if let Some(values) = set_aside(&mut contact, &failing) {
                    aside.extend(values);
                    verdict = check(&contact, &aside);
                }
            }
        }
        keep_in_notes(&mut contact, &aside, lang);
        let valid = match verdict {
            Ok(valid) => Some(valid),
            Err(StoreError::Invalid(fields)) => {
                problems.extend(
                    fields
                        .into_iter()
                        .map(|f| (column(&f.field), f.code.message(lang).to_string())),
                );
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
        if !aside.is_empty() {
            kept.push((
                row,
                aside
                    .iter()
                    .map(|v| (column(&v.field), kept_message(v, lang)))
                    .collect(),
            ));
        }
        plans.push(match (existing, current) {
            (Some(_), _) if options.on_match == OnMatch::Skip => Plan::Skip,
            (Some(id), Some(current)) => {
                let changes = changes(&current, valid.get());
                planned.insert(id, valid.into_inner());
                Plan::Update(id, Box::new(contact), changes)
            }
            _ => {
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
        kept,
        consents,
    })
}

/// A row checked as what it will become: a new contact, or the matched contact
/// (`current`) filled in or overwritten as the options say, with the values set aside
/// in its notes.
fn check_row(
    validator: &Validator,
    options: &Options,
    region: &str,
    current: Option<&ContactData>,
    row: &ContactData,
    aside: &[SetAside],
    named_org: bool,
) -> Result<Valid<ContactData>, StoreError> {
    let mut row = row.clone();
    keep_in_notes(&mut row, aside, options.lang);
    match current {
        Some(found) => validator.check(matched_contact(options.on_match, found, &row, region)),
        None => validator.check(with_placeholder(row, named_org)),
    }
}

/// A new organisation gets its id only on the run, so a placeholder stands in for it
/// while checking.
fn with_placeholder(mut c: ContactData, named_org: bool) -> ContactData {
    if named_org {
        c.organization_id = Some(Uuid::nil());
    }
    c
}

/// What the report says of a value set aside.
fn kept_message(v: &SetAside, lang: Lang) -> String {
    format!(
        "{} {}",
        v.code.message(lang),
        lang.pick(
            "Übernommen ohne diesen Wert; er steht in den Notizen.",
            "Imported without this value; it is in the notes."
        )
    )
}

/// The value a row is matched by: its first e-mail address, its external id, customer
/// number or custom field value, or for the duplicate score the row's contact as checked
/// (in JSON; a row that fails the check matches nothing).
fn match_key(
    match_by: &str,
    d: &kartei_core::import::RowDraft,
    validator: &Validator,
) -> Option<String> {
    let text = |v: Option<&String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match Matching::of(match_by) {
        Matching::Column(MatchColumn::Email) => d
            .contact
            .emails
            .first()
            .map(|e| e.address.trim().to_lowercase()),
        Matching::Column(MatchColumn::ExternalId) => d.external_id.clone(),
        Matching::Column(MatchColumn::CustomerNumber) => text(d.contact.customer_number.as_ref()),
        Matching::Column(MatchColumn::Custom(key)) => match d.contact.custom.get(&key) {
            Some(Value::String(v)) => text(Some(v)),
            _ => None,
        },
        Matching::Score => {
            let checked = validator.check(d.contact.clone()).ok()?;
            serde_json::to_string(checked.get()).ok()
        }
        Matching::Nothing => None,
    }
}

/// How far a write got.
pub enum Progress {
    /// An interrupted import of the same file goes on at this row.
    Resuming(i64),
    /// Rows done of all.
    Written(usize, usize),
    /// A row the check let pass that is not written, because the contact it fills in
    /// changed since (another row for it, or a colleague's edit): the row as a
    /// spreadsheet numbers it, and (column, message) of each problem.
    Refused(usize, Vec<(String, String)>),
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
) -> Result<ImportJob, ImportError> {
    let hash = &table.hash;
    let job = match store.unfinished_import(hash).await? {
        Some(job) => {
            progress(Progress::Resuming(job.next_row));
            job
        }
        None => store.start_import(actor, file_name, hash).await?,
    };
    let total = table.len;
    let start = usize::try_from(job.next_row).unwrap_or(0).min(total);
    let validator = store.validator().await?;
    // Rows meet the contacts that were there before the import: matches are looked up
    // before anything is written (and before a bulk load sets indexes aside), and those
    // the import made before an interruption are not matches when it resumes.
    let mut matches = HashMap::new();
    let mut cursor = table.cursor(start)?;
    loop {
        let drafts = cursor.drafts(CHUNK, &checked.targets)?;
        if drafts.is_empty() {
            break;
        }
        matches.extend(matches_of(store, options, &validator, &drafts).await?);
    }
    let own = store.contacts_created_by_import(job.id).await?;
    matches.retain(|_, id| !own.contains(id));
    // A large import of new contacts rebuilds the secondary indexes once at the end
    // instead of updating them row by row (an interrupted import leaves them listed for
    // the next start). Updates gain nothing from that: they count only as far as the
    // indexes they look rows up by, which a load keeps.
    let [new, ..] = checked.counts();
    let mut bulk = store.begin_bulk(new.min(total - start)).await?;
    let mut cursor = table.cursor(start)?;
    let mut at = start;
    while at < total {
        let drafts = cursor.drafts(CHUNK, &checked.targets)?;
        if drafts.is_empty() {
            break;
        }
        let chunk_end = at + drafts.len();
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
        let mut plans = planned.plans.into_iter().zip(planned.consents);
        while at < chunk_end {
            let end = (at + BATCH).min(chunk_end);
            let mut batch = ImportBatch {
                creates: Vec::new(),
                updates: Vec::new(),
                on_match: options.on_match,
                create_consents: Vec::new(),
                update_consents: Vec::new(),
                next_row: end as i64,
            };
            for (row, (plan, stated)) in (at..end).zip(plans.by_ref()) {
                // The header is row 1.
                let stated = consent_inputs(stated, file_name, row + 2);
                match plan {
                    Plan::Create(c, org) => {
                        let mut c = *c;
                        c.set_organization(org.and_then(|o| organizations.get(&o).copied()));
                        batch.creates.push(c);
                        batch.create_consents.push(stated);
                    }
                    Plan::Update(id, contact, _) => {
                        batch.updates.push((id, *contact));
                        batch.update_consents.push(stated);
                    }
                    Plan::Invalid(problems) if !checked.refuses(row) => {
                        // The header is row 1.
                        progress(Progress::Refused(row + 2, problems));
                    }
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

/// The consents a row's consent columns state, with the file, row and cell as proof.
fn consent_inputs(
    stated: Vec<kartei_core::import::ImportedConsent>,
    file_name: &str,
    row: usize,
) -> Vec<ConsentInput> {
    stated
        .into_iter()
        .filter_map(|c| {
            let (channel, purpose) = kartei_core::consent::parse_target(&c.target)?;
            Some(ConsentInput {
                channel,
                purpose,
                status: c.status.to_string(),
                basis: "consent".into(),
                source: "import".into(),
                proof: Some(format!("{file_name}, {row}, {}: {}", c.column, c.value)),
                ..ConsentInput::default()
            })
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A Windows-1252 file with a line break inside a quoted field.
    const FILE: &[u8] = b"Vorname;Nachname;Notiz\r\nJ\xf6rg;M\xfcller;\"Zeile 1\r\nZeile 2\"\r\nErika;Mustermann;\r\nHans;Stra\xdfer;x\r\n";

    #[test]
    fn a_file_on_disk_reads_as_the_same_upload_and_is_read_again_per_pass() {
        let path = std::env::temp_dir().join(format!("kartei-table-{}.csv", Uuid::now_v7()));
        std::fs::write(&path, FILE).unwrap();
        let on_disk = Table::read(Content::Path(path.clone()), None).unwrap();
        let uploaded = Table::read(Content::Bytes(FILE.into()), None).unwrap();
        for table in [&on_disk, &uploaded] {
            assert_eq!(table.headers, ["Vorname", "Nachname", "Notiz"]);
            assert_eq!(table.len, 3);
            assert_eq!(
                table.source,
                Source::Csv {
                    encoding: Encoding::Windows1252,
                    delimiter: ';'
                }
            );
            assert_eq!(table.samples[0][2], "Zeile 1\r\nZeile 2");
        }
        assert_eq!(on_disk.hash, uploaded.hash);
        // A pass from the second row on.
        let rows = on_disk.cursor(1).unwrap().rows(10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][1], "Straßer");
        // A file that lost rows after it was counted is an error, not a short import.
        let second = FILE.windows(5).position(|w| w == b"Erika").unwrap();
        std::fs::write(&path, &FILE[..second]).unwrap();
        let err = on_disk.cursor(0).unwrap().rows(10).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
