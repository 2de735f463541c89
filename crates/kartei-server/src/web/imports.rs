//! Imports in the browser: upload a CSV, XLSX or vCard file, map its columns (with
//! suggestions and presets), check every row without writing, then import in the
//! background with progress; past imports can be undone within 30 days.

use super::error::WebError;
use super::session::{with_notice, Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_app::import::{
    check, match_by_choices, target_name, Content, ImportError, Options, Source, Table,
};
use kartei_app::jobs::{ImportRun, Upload};
use kartei_app::texts::{field_label, Tr};
use kartei_core::access::Permission;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::i18n::Lang;
use kartei_core::import::Target;
use kartei_core::import_match::{plain, OnMatch};
use kartei_core::record::Entity;
use kartei_store::imports::{ImportJob, KeptReason, StoredUpload, Undone};
use std::sync::Arc;
use uuid::Uuid;

/// The largest file the browser may upload.
const MAX_UPLOAD_BYTES: usize = 256 << 20;

/// What a column can hold, by target name, with its label.
const TARGETS: &[(&str, &str, &str)] = &[
    ("ignore", "— nicht importieren —", "— do not import —"),
    ("salutation", "Anrede", "Salutation"),
    ("title", "Titel", "Title"),
    ("first_name", "Vorname", "First name"),
    ("last_name", "Nachname", "Last name"),
    (
        "full_name",
        "Ganzer Name (wird geteilt)",
        "Full name (split)",
    ),
    ("organization", "Firma", "Organisation"),
    ("job_title", "Position", "Job title"),
    ("department", "Abteilung", "Department"),
    ("email", "E-Mail", "E-mail"),
    ("phone", "Telefon", "Phone"),
    ("mobile", "Mobil", "Mobile"),
    ("street", "Straße", "Street"),
    ("house_number", "Hausnummer", "House number"),
    ("postcode", "PLZ", "Postcode"),
    ("city", "Ort", "City"),
    ("country", "Land", "Country"),
    ("birthday", "Geburtstag", "Birthday"),
    ("customer_number", "Kundennummer", "Customer number"),
    ("lead_source", "Lead-Quelle", "Lead source"),
    ("notes", "Notizen", "Notes"),
    ("external_id", "Externe ID", "External id"),
];

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    shell: Shell,
    imports: Vec<ImportJob>,
    presets: Vec<(String, String)>,
    /// Names of the mappings users saved (these can be renamed and deleted).
    saved: Vec<String>,
}

impl ImportsPage {
    fn date(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        kartei_app::format::timestamp(*at, self.shell.lang)
    }

    fn state(&self, j: &ImportJob) -> &'static str {
        match (j.undone_at, j.finished_at) {
            (Some(_), _) => self.shell.t("imp.undone"),
            (None, Some(_)) => self.shell.t("imp.finished"),
            (None, None) => self.shell.t("imp.interrupted"),
        }
    }

    fn undoable(&self, j: &ImportJob) -> bool {
        j.undone_at.is_none()
            && j.started_at
                > kartei_store::now() - chrono::Duration::days(kartei_store::imports::UNDO_DAYS)
    }
}

/// Built-in and saved presets: (key, name).
async fn presets(state: &AppState) -> Result<Vec<(String, String)>, WebError> {
    let mut out: Vec<(String, String)> = kartei_core::import_presets::PRESETS
        .iter()
        .map(|p| (p.key.to_string(), p.name.to_string()))
        .collect();
    out.extend(
        state
            .store
            .import_presets()
            .await?
            .into_iter()
            .map(|(n, _)| (n.clone(), n)),
    );
    Ok(out)
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let shell = Shell::load(
        &state,
        &session,
        "nav.imports",
        "/imports",
        q.notice.as_deref(),
    )
    .await?;
    let saved = state
        .store
        .import_presets()
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let page = ImportsPage {
        shell,
        imports: state.store.imports().await?,
        presets: presets(&state).await?,
        saved,
    };
    Ok(Html(page.render()?).into_response())
}

/// The multipart upload: the file, an optional sheet and preset, and the CSRF token.
async fn upload(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let (mut csrf, mut sheet, mut preset) = (String::new(), None, None);
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadRequest)?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.map_err(|_| WebError::BadRequest)?,
            "sheet" => sheet = Some(field.text().await.map_err(|_| WebError::BadRequest)?),
            "preset" => preset = Some(field.text().await.map_err(|_| WebError::BadRequest)?),
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|_| WebError::BadRequest)?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    if !crate::auth::constant_time_eq(csrf.as_bytes(), session.csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(Redirect::to(&with_notice("/imports", "imp.no_file")).into_response());
    };
    let sheet = sheet.filter(|s| !s.trim().is_empty());
    let bytes: Arc<[u8]> = bytes.into();
    let Ok(table) = Table::read(Content::Bytes(Arc::clone(&bytes)), sheet.as_deref()) else {
        return Ok(Redirect::to(&with_notice("/imports", "imp.unreadable")).into_response());
    };
    let defs = state.store.custom_fields(Some(Entity::Contact)).await?;
    let mut targets = table.suggested(&defs);
    if let Some(key) = preset.filter(|p| !p.is_empty()) {
        if table
            .apply_preset(&state.store, &mut targets, &key)
            .await
            .is_err()
        {
            return Ok(Redirect::to(&with_notice("/imports", "imp.unreadable")).into_response());
        }
    }
    let id = Uuid::now_v7();
    let mapping: Vec<String> = targets.iter().map(target_name).collect();
    // Kept in the database too, so a restart of the server loses no upload.
    let stored = StoredUpload {
        file_name,
        sheet,
        content: bytes.to_vec(),
    };
    state
        .store
        .save_import_upload(id, session.user.id, &stored)
        .await?;
    state.jobs.add_upload(
        id,
        Upload {
            user: session.user.id,
            file_name: stored.file_name,
            table,
        },
    );
    let query = serde_urlencoded::to_string(
        mapping
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("t{i}"), t.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    Ok(Redirect::to(&format!("/imports/u/{id}?{query}")).into_response())
}

/// The user's upload: from memory, or read again from the database after a restart.
async fn upload_of(state: &AppState, id: Uuid, user: Uuid) -> Result<Arc<Upload>, WebError> {
    if let Some(upload) = state.jobs.upload(id, user) {
        return Ok(upload);
    }
    let stored = state
        .store
        .import_upload(id, user)
        .await?
        .ok_or(WebError::NotFound)?;
    // It was readable when it came; a file that no longer is counts as gone.
    let table = Table::read(
        Content::Bytes(stored.content.into()),
        stored.sheet.as_deref(),
    )
    .map_err(|_| WebError::NotFound)?;
    state.jobs.add_upload(
        id,
        Upload {
            user,
            file_name: stored.file_name,
            table,
        },
    );
    state.jobs.upload(id, user).ok_or(WebError::NotFound)
}

/// One column of the mapping form.
struct ColumnRow {
    index: usize,
    header: String,
    samples: String,
    target: String,
}

#[derive(Template)]
#[template(path = "import_map.html")]
struct MapPage {
    shell: Shell,
    id: Uuid,
    file_name: String,
    source: String,
    rows: usize,
    columns: Vec<ColumnRow>,
    targets: Vec<(String, String)>,
    /// What rows can be matched by (value, label).
    match_choices: Vec<(String, String)>,
    match_by: String,
    on_match: String,
    strict: bool,
    country: String,
    /// After a check.
    report: Option<Report>,
}

/// What a check found: new, update, skip, invalid, new organisations; the first
/// problems (row, column, message) and how many there are in all.
struct Report {
    counts: [usize; 5],
    /// Rows imported without a value that failed its rule.
    kept: usize,
    problems: Vec<(usize, String, String)>,
    total: usize,
    /// The first rows that change a contact they found, with their changes.
    changes: Vec<(usize, Vec<ShownChange>)>,
    /// How many rows change a contact they found.
    changing: usize,
}

/// A field a row changes, in words: (field label, old value, new value).
type ShownChange = (String, String, String);

/// The user's choices on the mapping form.
struct Choices {
    targets: Vec<Target>,
    match_by: String,
    on_match: String,
    strict: bool,
    country: Option<String>,
}

fn target_options(
    lang: Lang,
    defs: &[kartei_core::custom_field::CustomFieldDef],
    purposes: &[kartei_core::consent::Purpose],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = TARGETS
        .iter()
        .map(|(k, de, en)| (k.to_string(), lang.pick(de, en).to_string()))
        .collect();
    out.extend(defs.iter().map(|d| {
        (
            format!("custom.{}", d.key),
            kartei_app::columns::custom_label(d, lang).to_string(),
        )
    }));
    // A column that says whether the person agreed: a consent by channel and purpose.
    for p in purposes {
        for c in kartei_core::consent::CHANNELS {
            out.push((
                format!("consent.{c}:{}", p.key),
                format!(
                    "{}: {} · {}",
                    lang.pick("Einwilligung", "Consent"),
                    kartei_app::texts::purpose_name(p, lang),
                    kartei_app::texts::consent_word("channel", c, lang)
                ),
            ));
        }
    }
    out
}

/// The targets the form (or the address) chose; the suggestions where it chose none.
fn chosen_targets(
    table: &Table,
    defs: &[CustomFieldDef],
    get: impl Fn(&str) -> Option<String>,
) -> Vec<Target> {
    let suggested = table.suggested(defs);
    (0..table.headers.len().max(suggested.len()))
        .map(|i| {
            get(&format!("t{i}"))
                .and_then(|t| kartei_app::import::parse_target(&t))
                .or_else(|| suggested.get(i).cloned())
                .unwrap_or(Target::Ignore)
        })
        .collect()
}

async fn map_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    upload: &Upload,
    defs: &[CustomFieldDef],
    choices: &Choices,
    report: Option<Report>,
) -> Result<Response, WebError> {
    let targets = &choices.targets;
    let lang = session.lang;
    let table = &upload.table;
    let columns = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| ColumnRow {
            index: i,
            header: h.clone(),
            samples: table
                .samples
                .iter()
                .filter_map(|r| r.get(i).filter(|v| !v.trim().is_empty()))
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
            target: targets.get(i).map(target_name).unwrap_or_default(),
        })
        .collect();
    let source = match &table.source {
        Source::Csv { .. } => "CSV".to_string(),
        Source::Xlsx { sheet, .. } => format!("XLSX · {sheet}"),
        Source::VCard => "vCard".to_string(),
    };
    let shell = Shell::load(
        state,
        session,
        "nav.imports",
        &format!("/imports/u/{id}"),
        None,
    )
    .await?;
    let page = MapPage {
        shell,
        id,
        file_name: upload.file_name.clone(),
        source,
        rows: table.len,
        columns,
        match_choices: match_by_choices(defs)
            .into_iter()
            .map(|m| {
                let label = match m.strip_prefix("custom.") {
                    Some(key) => defs
                        .iter()
                        .find(|d| d.key == key)
                        .map_or(key, |d| kartei_app::columns::custom_label(d, lang))
                        .to_string(),
                    None => Tr(lang).t(&format!("imp.match_{m}")).to_string(),
                };
                (m, label)
            })
            .collect(),
        targets: target_options(lang, defs, &state.store.consent_purposes().await?),
        match_by: choices.match_by.clone(),
        on_match: choices.on_match.clone(),
        strict: choices.strict,
        country: choices.country.clone().unwrap_or_default(),
        report,
    };
    Ok(Html(page.render()?).into_response())
}

async fn mapping(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    if state.jobs.import_run(id).is_some() {
        return Ok(Redirect::to(&format!("/imports/u/{id}/progress")).into_response());
    }
    let upload = upload_of(&state, id, session.user.id).await?;
    let defs = state.store.custom_fields(Some(Entity::Contact)).await?;
    let choices = Choices {
        targets: chosen_targets(&upload.table, &defs, |k| q.get(k).cloned()),
        match_by: "email".into(),
        on_match: OnMatch::default().as_str().into(),
        strict: false,
        country: None,
    };
    map_page(&state, &session, id, &upload, &defs, &choices, None).await
}

/// "Check" re-renders the mapping with the report; "Import" starts the run.
async fn submit(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let upload = upload_of(&state, id, session.user.id).await?;
    let defs = state.store.custom_fields(Some(Entity::Contact)).await?;
    let targets = chosen_targets(&upload.table, &defs, |k| form.get(k).map(str::to_string));
    let match_by = match form.get("match_by") {
        Some(m) if match_by_choices(&defs).iter().any(|c| c == m) => m.to_string(),
        _ => "email".to_string(),
    };
    let chosen = form
        .get("on_match")
        .and_then(OnMatch::parse)
        .unwrap_or_default();
    let on_match = chosen.as_str().to_string();
    let strict = form.get("strict").is_some();
    // A country the form names that is none is left out, as an empty one is.
    let country = form
        .get("country")
        .and_then(|c| kartei_core::postal::normalise_country(c).ok());
    let options = Options {
        match_by: match_by.clone(),
        on_match: chosen,
        owner: Some(session.user.id),
        lang: session.lang,
        strict,
        country: country.clone(),
    };
    // The mapping can be kept under a name for the next file.
    if let Some(name) = form.get("save_preset") {
        let mapping: std::collections::BTreeMap<String, String> = upload
            .table
            .headers
            .iter()
            .zip(&targets)
            .map(|(h, t)| (h.clone(), target_name(t)))
            .collect();
        state
            .store
            .save_import_preset(&session.actor(), name, &mapping)
            .await?;
    }
    if form.get("action") == Some("run") {
        state.jobs.start_import(
            state.store.clone(),
            id,
            Arc::clone(&upload),
            session.actor(),
            targets,
            options,
        );
        return Ok(Redirect::to(&format!("/imports/u/{id}/progress")).into_response());
    }
    let (store, table, chosen) = (state.store.clone(), Arc::clone(&upload), targets.clone());
    let checked = kartei_app::jobs::off_thread(move || async move {
        check(&store, &table.table, &chosen, &options).await
    })
    .await
    .ok_or(WebError::Internal)?
    .map_err(import_failed)?;
    if form.get("action") == Some("errors") {
        let name = format!(
            "{}-{}.csv",
            upload
                .file_name
                .rsplit_once('.')
                .map_or(upload.file_name.as_str(), |(stem, _)| stem),
            Tr(session.lang).t("imp.errors_suffix")
        );
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", name.replace('"', "")),
                ),
            ],
            checked
                .errors_csv(&upload.table, session.lang)
                .map_err(import_failed)?,
        )
            .into_response());
    }
    let problems = checked.problems();
    let lang = session.lang;
    let report = Report {
        counts: checked.counts(),
        kept: checked.kept_without_values(),
        total: problems.len(),
        problems: problems.into_iter().take(200).collect(),
        changing: checked.changing(),
        changes: checked
            .changes()
            .iter()
            .map(|(row, changes)| {
                let fields = changes
                    .iter()
                    .map(|c| {
                        let label = match c.field.strip_prefix("custom.") {
                            Some(key) => defs
                                .iter()
                                .find(|d| d.key == key)
                                .map_or(key, |d| kartei_app::columns::custom_label(d, lang))
                                .to_string(),
                            None => field_label(&c.field, lang),
                        };
                        (label, plain(&c.before), plain(&c.after))
                    })
                    .collect();
                (*row, fields)
            })
            .collect(),
    };
    let choices = Choices {
        targets,
        match_by,
        on_match,
        strict,
        country,
    };
    map_page(&state, &session, id, &upload, &defs, &choices, Some(report)).await
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct ProgressPage {
    shell: Shell,
    run: ImportRun,
    percent: usize,
}

async fn progress(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let run = state.jobs.import_run(id).ok_or(WebError::NotFound)?;
    let percent = match run {
        ImportRun::Running(at, total) if total > 0 => at * 100 / total,
        ImportRun::Running(..) => 0,
        _ => 100,
    };
    let shell = Shell::load(
        &state,
        &session,
        "nav.imports",
        &format!("/imports/u/{id}/progress"),
        None,
    )
    .await?;
    Ok(Html(
        ProgressPage {
            shell,
            run,
            percent,
        }
        .render()?,
    )
    .into_response())
}

async fn undo(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let undone = match state.store.undo_import(&session.actor(), id).await {
        Ok(undone) => undone,
        Err(kartei_store::StoreError::Invalid(_)) => {
            return Ok(Redirect::to(&with_notice("/imports", "imp.undo_refused")).into_response())
        }
        Err(e) => return Err(e.into()),
    };
    // A page of its own rather than a notice: it lists what was left as it was.
    let shell = Shell::load(&state, &session, "nav.imports", "/imports", None).await?;
    let kept = undone
        .kept
        .iter()
        .take(KEPT_SHOWN)
        .map(|k| {
            let label = if k.name.is_empty() {
                k.id.to_string()
            } else {
                k.name.clone()
            };
            let (reason, survivor) = match k.reason {
                KeptReason::MergedInto { survivor } => ("imp.kept_merged", Some(survivor)),
                KeptReason::ChangedSince => ("imp.kept_changed", None),
                KeptReason::Deleted => ("imp.kept_deleted", None),
            };
            KeptRow {
                label,
                // A record in the trash has no page of its own.
                href: (k.reason == KeptReason::ChangedSince)
                    .then(|| format!("/{}/{}", k.entity.collection(), k.id)),
                reason,
                survivor,
            }
        })
        .collect();
    Ok(Html(
        UndonePage {
            shell,
            undone,
            kept,
        }
        .render()?,
    )
    .into_response())
}

/// Records listed on the page after an undo (all are counted).
const KEPT_SHOWN: usize = 200;

/// A record an undo left as it was.
struct KeptRow {
    label: String,
    href: Option<String>,
    /// Text key of the reason.
    reason: &'static str,
    survivor: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "import_undone.html")]
struct UndonePage {
    shell: Shell,
    undone: Undone,
    kept: Vec<KeptRow>,
}

/// Renames a saved mapping (`from`, `to`) or deletes it (`delete`).
async fn preset(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let from = form.get("from").unwrap_or_default();
    let result = if form.get("delete").is_some() {
        state
            .store
            .delete_import_preset(from)
            .await
            .map(|_| "imp.preset_deleted")
    } else {
        let to = form.get("to").unwrap_or_default();
        state
            .store
            .rename_import_preset(from, to)
            .await
            .map(|_| "imp.preset_renamed")
    };
    let notice = match result {
        Ok(notice) => notice,
        Err(kartei_store::StoreError::Invalid(fields)) => match fields.first().map(|f| f.code) {
            Some(kartei_core::validation::ErrorCode::AlreadyExists) => "imp.preset_taken",
            _ => "imp.preset_bad_name",
        },
        Err(kartei_store::StoreError::NotFound) => "imp.preset_missing",
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&with_notice("/imports", notice)).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list))
        .route(
            "/imports/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/imports/u/{id}", get(mapping).post(submit))
        .route("/imports/u/{id}/progress", get(progress))
        .route("/imports/{id}/undo", post(undo))
        .route("/imports/presets", post(preset))
}

/// A check of an upload that failed: the database's trouble as such; a file that could
/// be read when it came and no longer can is the server's.
fn import_failed(e: ImportError) -> WebError {
    match e {
        ImportError::Store(e) => e.into(),
        ImportError::File(m) => {
            tracing::error!("an upload could not be read again: {m}");
            WebError::Internal
        }
    }
}
