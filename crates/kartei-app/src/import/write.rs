//! Writing the checked rows as an import job, in batches.

use super::*;

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
pub(super) async fn create_organizations(
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
pub(super) fn consent_inputs(
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
