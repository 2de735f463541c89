//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kartei",
    version,
    about = "Kartei: customer database and CRM / Kundendatenbank und CRM"
)]
pub struct Cli {
    /// SQLite file or postgres:// URL [default: kartei.db]
    #[arg(long, global = true, env = "KARTEI_DATABASE_URL")]
    pub database: Option<String>,
    /// Configuration file [default: ./kartei.toml when present]
    #[arg(long, global = true, env = "KARTEI_CONFIG")]
    pub config: Option<PathBuf>,
    /// Region for phone numbers written without country code (ISO code) [default: DE]
    #[arg(long, global = true, env = "KARTEI_DEFAULT_REGION")]
    pub default_region: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web API (and apply migrations first).
    Serve(ServeArgs),
    /// Apply database migrations.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Data protection: answer a person's access request.
    #[command(subcommand)]
    Gdpr(GdprCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Add deterministic German demo data.
    Seed(SeedArgs),
    /// Export contacts or organisations (any filter or search) as CSV, JSON or vCard.
    Export(ExportArgs),
    /// Import contacts from a CSV file (any delimiter, UTF-8 or Windows-1252), an XLSX
    /// workbook or vCards: shows
    /// how columns are understood, checks every row, and with --dry-run writes nothing.
    Import(ImportArgs),
    /// Scan all contacts for likely duplicates (pairs with score, reasons and cluster).
    Duplicates(DuplicatesArgs),
    /// Purge records that have been in the trash for more than 30 days.
    PurgeTrash,
    /// Measure duplicate detection: precision, recall, F1 and scan time on a generated
    /// corpus with known duplicates, loaded into the (empty) database.
    BenchDuplicates(BenchDuplicatesArgs),
    /// Measure latencies at scale (seeds the database up to --contacts first).
    Bench(BenchArgs),
    /// Measure the history pages: a contact timeline with --entries entries and the
    /// kanban board with --deals open deals (both created first when missing).
    BenchHistory(BenchHistoryArgs),
    /// Measure the import: rows/s for a generated German CSV, against sqlite3's own
    /// `.import` of the same file plus indexes, in the same run (needs an empty database
    /// and the sqlite3 program).
    BenchImport(BenchImportArgs),
    /// Measure the server under load: --clients at once, mixed reads and writes over
    /// HTTP for --seconds (seeds the database up to --contacts first); fails on any
    /// error answer.
    BenchLoad(BenchLoadArgs),
    /// Measure the consent filter: counting and listing who may receive the newsletter
    /// by e-mail, and a whole list for a mailing (seeds up to --contacts first).
    BenchConsents(BenchConsentsArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "KARTEI_BIND")]
    pub bind: Option<String>,
    /// On first start: create an admin account and demo data.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; names the first entry that was changed,
    /// removed or inserted, and fails then.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum GdprCommand {
    /// Everything Kartei holds about a contact (Art. 15 and 20 GDPR) as a ZIP: the data
    /// as JSON and a readable report in the person's language. The export is logged.
    Export {
        /// The contact: its id, or an e-mail address it has.
        contact: String,
        /// Where to write the ZIP [default: the name it is given, here].
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        name: String,
        #[arg(long, value_parser = ["admin", "manager", "user", "readonly"])]
        role: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Change a user's role.
    SetRole {
        name: String,
        #[arg(value_parser = ["admin", "manager", "user", "readonly"])]
        role: String,
    },
    /// Set a new password, read from standard input.
    SetPassword {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for user NAME; the token is the last line printed.
    Create {
        /// The user the token acts as.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many contacts to add.
    #[arg(long, default_value_t = 1000)]
    pub contacts: usize,
    /// How many organisations to add [default: one per eight contacts]
    #[arg(long)]
    pub organizations: Option<usize>,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Contacts the database should hold; missing ones are seeded first.
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: usize,
    /// Requests per measured operation.
    #[arg(long, default_value_t = 1000)]
    pub iterations: usize,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The kind of record: `contact`, `organization`, `activity`, `deal`, `order`,
    /// `ticket`, … (the names of `kartei_core::with_record_kinds!`).
    #[arg(long, default_value = "contact")]
    pub entity: String,
    /// `csv` (German: `;` and BOM for Excel; English: `,`), `xlsx`, `json` or `vcard`
    /// (contacts).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// CSV and XLSX: only these columns, in this order (comma-separated keys, e.g.
    /// `name,email,phone,custom.size`).
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Only records matching this filter (the API's filter JSON).
    #[arg(long)]
    pub filter: Option<String>,
    /// Only records this quick search finds.
    #[arg(long)]
    pub q: Option<String>,
    /// Order of a list export: a column key, `-` before it for descending (`-city`);
    /// by name when not given. A search is in the order of its matches.
    #[arg(long)]
    pub sort: Option<String>,
    /// A shared saved view (by name): its search, filter, sort and columns, each where
    /// the options above give none.
    #[arg(long)]
    pub view: Option<String>,
    /// Language of headers, dates and numbers: `de` or `en`.
    #[arg(long, default_value = "de")]
    pub lang: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
    /// Export with what this user's role may see (bank details masked for `user` and
    /// `readonly`). Without it the command line acts as an administrator: whoever can
    /// run it can read the database file.
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
    /// A list for a mailing: only contacts who may be addressed on this channel for
    /// this purpose (`email:newsletter`, `post:product_news` …) and have an address for
    /// it; how many were left out, and why, goes to standard error.
    #[arg(long = "for", value_name = "CHANNEL:PURPOSE")]
    pub mailing: Option<String>,
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    /// `text` (for reading) or `csv` (for spreadsheets and scripts).
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Lowest score listed (0–100); 55 is "likely", 40 "possible".
    #[arg(long, default_value_t = kartei_core::matching::LIKELY_FROM)]
    pub min_score: u32,
    /// Language of reasons and CSV headers: `de` or `en`.
    #[arg(long, default_value = "de")]
    pub lang: String,
}

#[derive(Debug, Args)]
pub struct BenchDuplicatesArgs {
    /// Distinct people in the corpus.
    #[arg(long, default_value_t = 100_000)]
    pub persons: usize,
    /// Share of people (percent) that get one or two duplicates.
    #[arg(long, default_value_t = 20)]
    pub duplicate_percent: u64,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchHistoryArgs {
    /// Timeline entries of the measured contact.
    #[arg(long, default_value_t = 10_000)]
    pub entries: usize,
    /// Open deals on the measured board.
    #[arg(long, default_value_t = 5_000)]
    pub deals: usize,
    /// Requests per measured page.
    #[arg(long, default_value_t = 1000)]
    pub iterations: usize,
}

#[derive(Debug, Args)]
pub struct BenchConsentsArgs {
    /// Contacts the database should hold; missing ones are seeded first.
    #[arg(long, default_value_t = 100_000)]
    pub contacts: usize,
    /// Runs per count and list figure.
    #[arg(long, default_value_t = 20)]
    pub iterations: usize,
    /// Runs of the whole mailing list.
    #[arg(long, default_value_t = 3)]
    pub mailing_runs: usize,
}

#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// Contacts the database should hold; missing ones are seeded first.
    #[arg(long, default_value_t = 100_000)]
    pub contacts: usize,
    /// Clients sending at the same time, each one request after the other.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// How long the load runs.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// Rows of the generated file.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Keep the generated file (its path is printed).
    #[arg(long)]
    pub keep_file: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    pub file: Option<std::path::PathBuf>,
    /// Take back the import with this id (within 30 days).
    #[arg(long, conflicts_with = "file")]
    pub undo: Option<uuid::Uuid>,
    /// List the imports.
    #[arg(long, conflicts_with = "file")]
    pub list: bool,
    /// A JSON object naming what columns hold: {"Kd-Nr.": "customer_number", "Spalte X": "ignore"};
    /// columns not named keep their suggested meaning.
    #[arg(long)]
    pub mapping: Option<std::path::PathBuf>,
    /// A column mapping to start from: built in (`pipedrive`, `hubspot`, `zoho`,
    /// `salesforce`, `centralstationcrm`, `google`) or saved with --save-preset.
    #[arg(long)]
    pub preset: Option<String>,
    /// Save the mapping used for this file under a name, for the next import.
    #[arg(long)]
    pub save_preset: Option<String>,
    /// The sheet of an XLSX workbook to import (the first when not given).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Check and report only; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// How rows find existing contacts: `email`, `external_id`, `customer_number`,
    /// `custom.KEY` (a contact custom field), `score` (the best likely duplicate, by the
    /// duplicate score) or `none`.
    #[arg(long, default_value = "email")]
    pub match_by: String,
    /// What happens to a row that matches: `fill_in` (fill empty fields, add missing
    /// e-mails, phones and addresses; never removes or overwrites; `update` is the same),
    /// `replace` (the file's values overwrite the contact's) or `skip`.
    #[arg(long, default_value = "fill_in")]
    pub on_match: String,
    /// Refuse a row with a value that fails its rule (a birthday that is no date, an
    /// e-mail address, phone number or postcode that is not one). Without it such a row
    /// is imported without that value, which goes into the contact's notes, and the
    /// contact is marked "needs check".
    #[arg(long)]
    pub strict: bool,
    /// The country (ISO code, e.g. `AT`) of the file's addresses that name none;
    /// without it they are in the home region (`--default-region`).
    #[arg(long)]
    pub country: Option<String>,
    /// Write invalid rows (and rows imported without a value) here, as CSV with an error
    /// column.
    #[arg(long)]
    pub errors: Option<std::path::PathBuf>,
    /// The user who owns new contacts and gets their review tasks.
    #[arg(long)]
    pub owner: Option<String>,
    /// Language of messages: `de` or `en`.
    #[arg(long, default_value = "de")]
    pub lang: String,
}
