//! Import jobs. Each batch of an import is one transaction that writes its records, the
//! job's item list (created ids; updated ids with the record before) and the row to go
//! on from. A crash leaves whole batches only; the same file resumes where it stopped.
//! Undo (within 30 days) trashes what the import created and puts back what it changed.

use crate::bulk::{BulkLoad, Valid};
use crate::db::Tx;
use crate::error::StoreError;
use crate::records::{delete_in, insert_checked, insert_records, Timing};
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use chrono::{DateTime, Duration, Utc};
use kartei_core::activity::ActivityData;
use kartei_core::contact::ContactData;
use kartei_core::import_match::{matched_contact, OnMatch};
use kartei_core::organization::OrganizationData;
use kartei_core::record::{Entity, RecordData};
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

/// How long an import can be undone.
pub const UNDO_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportJob {
    pub id: Uuid,
    pub file_name: String,
    pub file_hash: String,
    pub actor_name: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub undone_at: Option<DateTime<Utc>>,
    /// The first data row not yet written.
    pub next_row: i64,
    pub created: i64,
    pub updated: i64,
}

type JobRow = (
    Uuid,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    i64,
    i64,
    i64,
);
const COLUMNS: [&str; 10] = [
    "id",
    "file_name",
    "file_hash",
    "actor_name",
    "started_at",
    "finished_at",
    "undone_at",
    "next_row",
    "created",
    "updated",
];

fn decode(r: JobRow) -> ImportJob {
    ImportJob {
        id: r.0,
        file_name: r.1,
        file_hash: r.2,
        actor_name: r.3,
        started_at: r.4,
        finished_at: r.5,
        undone_at: r.6,
        next_row: r.7,
        created: r.8,
        updated: r.9,
    }
}

/// The index column an import matches existing contacts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchColumn {
    Email,
    ExternalId,
    CustomerNumber,
    /// A custom field of contacts, by key.
    Custom(String),
}

/// Where [`Store::contacts_by`] looks values up.
enum Lookup {
    /// An index column of contacts (folded text).
    Column(&'static str),
    /// Every e-mail address of a contact, not only the first, by its mailbox (the
    /// duplicate finder's key: lower case, without `+tag`).
    Mailbox,
    /// A custom field's value index.
    Custom(kartei_core::custom_field::CustomFieldDef),
}

/// How long an uploaded file waits for its import.
pub const UPLOAD_KEEP_DAYS: i64 = 7;

/// A file uploaded in the browser for an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload {
    pub file_name: String,
    /// The workbook sheet chosen, for XLSX files.
    pub sheet: Option<String>,
    pub content: Vec<u8>,
}

/// One batch of an import.
pub struct ImportBatch {
    /// New contacts, checked by [`crate::bulk::Validator::check`].
    pub creates: Vec<Valid<ContactData>>,
    /// Matched contacts and the row that found each (unchecked: it is applied to the
    /// contact as it is when the batch is written, then the result is checked).
    pub updates: Vec<(Uuid, ContactData)>,
    /// What the rows do to the contacts they found.
    pub on_match: OnMatch,
    /// The row after this batch.
    pub next_row: i64,
}

impl Store {
    /// Imports, newest first.
    pub async fn imports(&self) -> Result<Vec<ImportJob>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<JobRow> = tx
            .all(
                Query::select()
                    .columns(COLUMNS.map(name))
                    .from(name("imports"))
                    .order_by(name("started_at"), Order::Desc),
            )
            .await?;
        Ok(rows.into_iter().map(decode).collect())
    }

    /// An unfinished import of the same file (by content), to resume.
    pub async fn unfinished_import(
        &self,
        file_hash: &str,
    ) -> Result<Option<ImportJob>, StoreError> {
        Ok(self
            .imports()
            .await?
            .into_iter()
            .find(|j| j.file_hash == file_hash && j.finished_at.is_none() && j.undone_at.is_none()))
    }

    pub async fn start_import(
        &self,
        actor: &Actor,
        file_name: &str,
        file_hash: &str,
    ) -> Result<ImportJob, StoreError> {
        let job = ImportJob {
            id: Uuid::now_v7(),
            file_name: file_name.to_string(),
            file_hash: file_hash.to_string(),
            actor_name: actor.name.clone(),
            started_at: now(),
            finished_at: None,
            undone_at: None,
            next_row: 0,
            created: 0,
            updated: 0,
        };
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::insert()
                .into_table(name("imports"))
                .columns(COLUMNS.map(name))
                .values_panic([
                    job.id.into(),
                    job.file_name.clone().into(),
                    job.file_hash.clone().into(),
                    job.actor_name.clone().into(),
                    job.started_at.into(),
                    None::<DateTime<Utc>>.into(),
                    None::<DateTime<Utc>>.into(),
                    0i64.into(),
                    0i64.into(),
                    0i64.into(),
                ]),
        )
        .await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Writes one batch, all or nothing: new contacts (with their review tasks), updates
    /// of matched ones, the job's items and its progress.
    pub async fn import_batch(
        &self,
        actor: &Actor,
        job: Uuid,
        batch: ImportBatch,
        load: &mut BulkLoad,
    ) -> Result<Vec<Uuid>, StoreError> {
        let defs = self.custom_fields(None).await?;
        let actor = &actor.through_import(job);
        let mut terms = load.known_terms.clone();
        let items: Vec<(Uuid, ContactData)> = batch
            .creates
            .into_iter()
            .map(|c| {
                let mut c = c.into_inner();
                c.needs_check = self.review_days.is_some();
                (Uuid::now_v7(), c)
            })
            .collect();
        let mut tx = self.db.write().await?;
        insert_checked(&mut tx, actor, &items, &defs, &mut terms).await?;
        if let Some(days) = self.review_days {
            let tasks: Vec<(Uuid, ActivityData)> = items
                .iter()
                .map(|(id, c)| {
                    let task = crate::hooks::review_task(*id, c.owner_id.or(actor.user_id), days);
                    (Uuid::now_v7(), task)
                })
                .collect();
            insert_records(
                &mut tx,
                actor,
                &tasks,
                &defs,
                &mut terms,
                Timing::Now(now()),
            )
            .await?;
        }
        let mut rows: Vec<Vec<sea_query::Value>> = items
            .iter()
            .map(|(id, _)| item_row(job, *id, "create", None))
            .collect();
        let mut updated = 0i64;
        for (id, row) in &batch.updates {
            let before = current_data(&mut tx, *id).await?;
            let current = load
                .validator
                .without_deleted_fields(serde_json::from_str::<ContactData>(&before)?);
            let after = matched_contact(batch.on_match, &current, row, &self.default_region);
            // Compared as it will be stored: a value that differs only in notation
            // (spaces, a default kind or country) is no change.
            let after = load.validator.check(after)?.into_inner();
            let patch = kartei_core::import_match::patch(&current, &after);
            if patch.as_object().is_some_and(serde_json::Map::is_empty) {
                // The row adds nothing the contact does not have: no change, no entry.
                continue;
            }
            self.update_in::<ContactData>(&mut tx, &defs, actor, *id, None, patch)
                .await?;
            rows.push(item_row(job, *id, "update", Some(before)));
            updated += 1;
        }
        crate::index::insert_rows(
            &mut tx,
            "import_items",
            &["import_id", "record_id", "action", "before_data"],
            rows.into_iter(),
            false,
        )
        .await?;
        tx.execute(
            Query::update()
                .table(name("imports"))
                .values([
                    (name("next_row"), batch.next_row.into()),
                    (
                        name("created"),
                        Expr::col(name("created")).add(items.len() as i64),
                    ),
                    (name("updated"), Expr::col(name("updated")).add(updated)),
                ])
                .and_where(Expr::col(name("id")).eq(job)),
        )
        .await?;
        let summary =
            serde_json::json!({"import": job, "created": items.len(), "updated": updated});
        audit::append(
            &mut tx,
            actor,
            "import",
            Some(job),
            "batch",
            None,
            Some(&summary),
        )
        .await?;
        tx.commit().await?;
        load.known_terms = terms;
        Ok(items.into_iter().map(|(id, _)| id).collect())
    }

    /// The contacts an import created (for a resumed import: they are its own, not
    /// matches of its rows).
    pub async fn contacts_created_by_import(&self, job: Uuid) -> Result<HashSet<Uuid>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid,)> = tx
            .all(
                Query::select()
                    .column(name("record_id"))
                    .from(name("import_items"))
                    .and_where(Expr::col(name("import_id")).eq(job))
                    .and_where(Expr::col(name("action")).eq("create")),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Live contacts by the value of a column (`email`, `external_id`,
    /// `customer_number`) or of a custom field, for matching the rows of an import: many
    /// values per query; the first contact when several share a value. Values are
    /// compared as they are stored (folded text; a custom value normalised as its field
    /// keeps it, so a number field finds "1.250,5" as 1250.5, and a value it cannot hold
    /// finds nothing). An unknown custom field is an error.
    pub async fn contacts_by(
        &self,
        column: MatchColumn,
        values: &[String],
    ) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
        let lookup = match column {
            MatchColumn::Email => Lookup::Mailbox,
            MatchColumn::ExternalId => Lookup::Column("external_id"),
            MatchColumn::CustomerNumber => Lookup::Column("customer_number"),
            MatchColumn::Custom(key) => Lookup::Custom(
                self.custom_fields(Some(Entity::Contact))
                    .await?
                    .into_iter()
                    .find(|d| d.key == key)
                    .ok_or_else(|| StoreError::field("match_by", ErrorCode::UnknownField))?,
            ),
        };
        // The answer is keyed by the values given.
        let mut by_key: std::collections::HashMap<String, Vec<&String>> =
            std::collections::HashMap::new();
        for v in values {
            let stored: Vec<String> = match &lookup {
                Lookup::Custom(def) => def
                    .normalise_value(Value::String(v.clone()))
                    .map(|value| def.index_keys(&value))
                    .unwrap_or_default(),
                Lookup::Column(_) => kartei_core::text::fold_key(Some(v)).into_iter().collect(),
                Lookup::Mailbox => vec![format!("e:{}", kartei_core::matching::email_key(v))],
            };
            for k in stored {
                by_key.entry(k).or_default().push(v);
            }
        }
        let keys: Vec<String> = by_key.keys().cloned().collect();
        let mut found = std::collections::HashMap::new();
        let mut tx = self.db.read().await?;
        for chunk in keys.chunks(crate::sql::chunk_size(1)) {
            let query = match &lookup {
                Lookup::Custom(def) => Query::select()
                    .column((name("v"), name("value")))
                    .column((name("v"), name("record_id")))
                    .from_as(name("custom_values"), name("v"))
                    .inner_join(
                        name("contacts"),
                        Expr::col((name("contacts"), name("id")))
                            .equals((name("v"), name("record_id"))),
                    )
                    .and_where(Expr::col((name("v"), name("field_id"))).eq(def.id))
                    .and_where(Expr::col((name("v"), name("value"))).is_in(chunk.iter().cloned()))
                    .and_where(Expr::col((name("contacts"), name("deleted_at"))).is_null())
                    .order_by((name("v"), name("record_id")), Order::Asc)
                    .to_owned(),
                Lookup::Mailbox => Query::select()
                    .column((name("k"), name("key")))
                    .column((name("k"), name("record_id")))
                    .from_as(name("match_keys"), name("k"))
                    .inner_join(
                        name("contacts"),
                        Expr::col((name("contacts"), name("id")))
                            .equals((name("k"), name("record_id"))),
                    )
                    .and_where(Expr::col((name("k"), name("key"))).is_in(chunk.iter().cloned()))
                    .and_where(Expr::col((name("contacts"), name("deleted_at"))).is_null())
                    .order_by((name("k"), name("record_id")), Order::Asc)
                    .to_owned(),
                Lookup::Column(column) => Query::select()
                    .columns([name(column), name("id")])
                    .from(name("contacts"))
                    .and_where(Expr::col(name("deleted_at")).is_null())
                    .and_where(Expr::col(name(column)).is_in(chunk.iter().cloned()))
                    .order_by(name("id"), Order::Asc)
                    .to_owned(),
            };
            let rows: Vec<(Option<String>, Uuid)> = tx.all(&query).await?;
            for (key, id) in rows {
                for v in key.and_then(|k| by_key.get(&k)).into_iter().flatten() {
                    found.entry((*v).clone()).or_insert(id);
                }
            }
        }
        Ok(found)
    }

    /// Live organisations by name (exact name; the first when several share it).
    pub async fn organizations_named(
        &self,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
        let keys: Vec<String> = names.iter().map(|n| kartei_core::text::fold(n)).collect();
        let mut found = std::collections::HashMap::new();
        let mut tx = self.db.read().await?;
        for chunk in keys.chunks(crate::sql::chunk_size(1)) {
            let rows: Vec<(Uuid, String)> = tx
                .all(
                    Query::select()
                        .columns([name("id"), name("data")])
                        .from(name("organizations"))
                        .and_where(Expr::col(name("deleted_at")).is_null())
                        .and_where(Expr::col(name("sort_name")).is_in(chunk.iter().cloned()))
                        .order_by(name("id"), Order::Asc),
                )
                .await?;
            for (id, data) in rows {
                let org: OrganizationData = serde_json::from_str(&data)?;
                found.entry(org.display_name()).or_insert(id);
            }
        }
        Ok(found)
    }

    /// Creates the organisations an import needs, in one transaction, as items of the
    /// import (so undo removes them too).
    pub async fn import_organizations(
        &self,
        actor: &Actor,
        job: Uuid,
        organizations: Vec<OrganizationData>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let validator = self.validator().await?;
        let items = validator.validate(organizations)?;
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let actor = &actor.through_import(job);
        insert_checked(&mut tx, actor, &items, &defs, &mut HashSet::new()).await?;
        // Collected first: an iterator borrowing `items` across the await would keep
        // the future from being sent to another thread.
        let rows: Vec<Vec<sea_query::Value>> = items
            .iter()
            .map(|(id, _)| item_row(job, *id, "create_organization", None))
            .collect();
        crate::index::insert_rows(
            &mut tx,
            "import_items",
            &["import_id", "record_id", "action", "before_data"],
            rows.into_iter(),
            false,
        )
        .await?;
        tx.commit().await?;
        Ok(items.into_iter().map(|(id, _)| id).collect())
    }

    /// Saves a column mapping (header → meaning) under a name, replacing one of that name.
    pub async fn save_import_preset(
        &self,
        actor: &Actor,
        preset: &str,
        mapping: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        let preset = preset_name(preset)?;
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::delete()
                .from_table(name("import_presets"))
                .and_where(Expr::col(name("name")).eq(preset)),
        )
        .await?;
        tx.execute(
            Query::insert()
                .into_table(name("import_presets"))
                .columns(["name", "mapping", "actor_name", "updated_at"].map(name))
                .values_panic([
                    preset.into(),
                    serde_json::to_string(mapping)?.into(),
                    actor.name.clone().into(),
                    now().into(),
                ]),
        )
        .await?;
        tx.commit().await
    }

    /// Gives a saved mapping another name; refused when the new name is taken.
    pub async fn rename_import_preset(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let to = preset_name(to)?;
        let mut tx = self.db.write().await?;
        let taken: Option<(String,)> = tx
            .optional(
                Query::select()
                    .column(name("name"))
                    .from(name("import_presets"))
                    .and_where(Expr::col(name("name")).eq(to)),
            )
            .await?;
        if taken.is_some() && to != from {
            return Err(StoreError::field("preset", ErrorCode::AlreadyExists));
        }
        let changed = tx
            .execute(
                Query::update()
                    .table(name("import_presets"))
                    .values([
                        (name("name"), to.into()),
                        (name("updated_at"), now().into()),
                    ])
                    .and_where(Expr::col(name("name")).eq(from)),
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// Deletes a saved mapping.
    pub async fn delete_import_preset(&self, preset: &str) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let removed = tx
            .execute(
                Query::delete()
                    .from_table(name("import_presets"))
                    .and_where(Expr::col(name("name")).eq(preset)),
            )
            .await?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// Keeps a file uploaded for an import until it is imported; uploads older than
    /// [`UPLOAD_KEEP_DAYS`] go at the same time.
    pub async fn save_import_upload(
        &self,
        id: Uuid,
        user: Uuid,
        upload: &StoredUpload,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::delete()
                .from_table(name("import_uploads"))
                .and_where(
                    Expr::col(name("uploaded_at")).lt(now() - Duration::days(UPLOAD_KEEP_DAYS)),
                ),
        )
        .await?;
        tx.execute(
            Query::insert()
                .into_table(name("import_uploads"))
                .columns(
                    [
                        "id",
                        "user_id",
                        "file_name",
                        "sheet",
                        "content",
                        "uploaded_at",
                    ]
                    .map(name),
                )
                .values_panic([
                    id.into(),
                    user.into(),
                    upload.file_name.clone().into(),
                    upload.sheet.clone().into(),
                    upload.content.clone().into(),
                    now().into(),
                ]),
        )
        .await?;
        tx.commit().await
    }

    /// A kept upload, if it is there and the user's.
    pub async fn import_upload(
        &self,
        id: Uuid,
        user: Uuid,
    ) -> Result<Option<StoredUpload>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<(String, Option<String>, Vec<u8>)> = tx
            .optional(
                Query::select()
                    .columns([name("file_name"), name("sheet"), name("content")])
                    .from(name("import_uploads"))
                    .and_where(Expr::col(name("id")).eq(id))
                    .and_where(Expr::col(name("user_id")).eq(user)),
            )
            .await?;
        Ok(row.map(|(file_name, sheet, content)| StoredUpload {
            file_name,
            sheet,
            content,
        }))
    }

    /// Forgets a kept upload (its import finished).
    pub async fn delete_import_upload(&self, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.delete_where("import_uploads", "id", id).await?;
        tx.commit().await
    }

    /// The saved column mappings, by name.
    pub async fn import_presets(
        &self,
    ) -> Result<Vec<(String, std::collections::BTreeMap<String, String>)>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(String, String)> = tx
            .all(
                Query::select()
                    .columns([name("name"), name("mapping")])
                    .from(name("import_presets"))
                    .order_by(name("name"), Order::Asc),
            )
            .await?;
        rows.into_iter()
            .map(|(n, m)| Ok((n, serde_json::from_str(&m)?)))
            .collect()
    }

    pub async fn finish_import(&self, job: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::update()
                .table(name("imports"))
                .values([(name("finished_at"), now().into())])
                .and_where(Expr::col(name("id")).eq(job)),
        )
        .await?;
        tx.commit().await
    }

    /// Takes an import back: what it created goes to the trash, what it changed gets its
    /// values from before the import. All or nothing; within [`UNDO_DAYS`] days.
    pub async fn undo_import(&self, actor: &Actor, job: Uuid) -> Result<Undone, StoreError> {
        let found = self
            .imports()
            .await?
            .into_iter()
            .find(|j| j.id == job)
            .ok_or(StoreError::NotFound)?;
        if found.undone_at.is_some() || found.started_at < now() - Duration::days(UNDO_DAYS) {
            return Err(StoreError::field("import", ErrorCode::OutOfRange));
        }
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let items: Vec<(Uuid, String, Option<String>)> = tx
            .all(
                Query::select()
                    .columns(["record_id", "action", "before_data"].map(name))
                    .from(name("import_items"))
                    .and_where(Expr::col(name("import_id")).eq(job)),
            )
            .await?;
        let mut kept = Vec::new();
        let mut trashed = 0;
        // Records this undo put back already (updated twice by the import).
        let mut restored = HashSet::new();
        // Later changes first, so that a record updated twice ends at its first state.
        for (id, action, before) in items.into_iter().rev() {
            let entity = match action.as_str() {
                "create_organization" => Entity::Organization,
                _ => Entity::Contact,
            };
            // What the import made goes to the trash however it was changed since (it
            // can be restored from there); what it changed is put back only while
            // nobody changed it after the import, whose changes would be lost.
            let changed_after = match action.as_str() {
                "update" if !restored.contains(&id) => found.finished_at,
                _ => None,
            };
            if let Some(k) = kept_as_is(&mut tx, entity, id, changed_after).await? {
                kept.push(k);
                continue;
            }
            match (action.as_str(), before) {
                ("create" | "create_organization", _) => {
                    delete_in(&mut tx, actor, entity, id, None).await?;
                    trashed += 1;
                }
                ("update", Some(before)) => {
                    // The exact way back, custom fields included (a merge patch of the
                    // old document alone would keep custom values the import added).
                    let before: ContactData = serde_json::from_str(&before)?;
                    let current: ContactData =
                        serde_json::from_str(&current_data(&mut tx, id).await?)?;
                    let back = kartei_core::import_match::patch(&current, &before);
                    self.update_in::<ContactData>(&mut tx, &defs, actor, id, None, back)
                        .await?;
                    restored.insert(id);
                }
                _ => {}
            }
        }
        tx.execute(
            Query::update()
                .table(name("imports"))
                .values([(name("undone_at"), now().into())])
                .and_where(Expr::col(name("id")).eq(job)),
        )
        .await?;
        audit::append::<Value>(&mut tx, actor, "import", Some(job), "undo", None, None).await?;
        tx.commit().await?;
        let job = self
            .imports()
            .await?
            .into_iter()
            .find(|j| j.id == job)
            .unwrap_or(found);
        Ok(Undone {
            job,
            trashed,
            restored: restored.len(),
            kept,
        })
    }
}

/// What an undo did: the job, and the records it left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Undone {
    pub job: ImportJob,
    /// Records moved to the trash (contacts and organisations the import created).
    pub trashed: usize,
    /// Contacts put back as they were before the import.
    pub restored: usize,
    pub kept: Vec<Kept>,
}

/// A record an undo left as it is, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kept {
    pub id: Uuid,
    pub entity: Entity,
    /// Its display name as it is now (empty when it was purged).
    pub name: String,
    pub reason: KeptReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeptReason {
    /// Merged into this contact since; the survivor keeps what it took over.
    MergedInto { survivor: Uuid },
    /// Changed after the import: its earlier values would overwrite those changes.
    ChangedSince,
    /// Deleted since (in the trash, or purged).
    Deleted,
}

/// Why the record `id` stays as it is, if it does: it is gone (merged into another or
/// deleted), or it was changed after `changed_after`.
async fn kept_as_is(
    tx: &mut Tx,
    entity: Entity,
    id: Uuid,
    changed_after: Option<DateTime<Utc>>,
) -> Result<Option<Kept>, StoreError> {
    let row: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = tx
        .optional(
            Query::select()
                .columns(["data", "updated_at", "deleted_at"].map(name))
                .from(name(entity.table()))
                .and_where(Expr::col(name("id")).eq(id)),
        )
        .await?;
    let kept = |data: &str, reason| -> Result<Kept, StoreError> {
        Ok(Kept {
            id,
            entity,
            name: match data {
                "" => String::new(),
                data => crate::records::decode_any(entity, data)?.display_name(),
            },
            reason,
        })
    };
    Ok(match row {
        None => Some(kept("", KeptReason::Deleted)?),
        Some((data, _, Some(_))) => {
            let survivor: Option<(Uuid,)> = tx
                .optional(
                    Query::select()
                        .column(self::name("survivor_id"))
                        .from(self::name("merges"))
                        .and_where(Expr::col(self::name("merged_id")).eq(id))
                        .and_where(Expr::col(self::name("undone_at")).is_null())
                        .order_by(self::name("at"), Order::Desc)
                        .limit(1),
                )
                .await?;
            Some(kept(
                &data,
                match survivor {
                    Some((survivor,)) => KeptReason::MergedInto { survivor },
                    None => KeptReason::Deleted,
                },
            )?)
        }
        Some((data, updated_at, None)) if changed_after.is_some_and(|t| updated_at > t) => {
            Some(kept(&data, KeptReason::ChangedSince)?)
        }
        Some(_) => None,
    })
}

/// A row of `import_items`: what the import did to a record, with its data before.
fn item_row(
    job: Uuid,
    record: Uuid,
    action: &str,
    before: Option<String>,
) -> Vec<sea_query::Value> {
    vec![job.into(), record.into(), action.into(), before.into()]
}

/// The stored document of a contact, as it is now.
async fn current_data(tx: &mut Tx, id: Uuid) -> Result<String, StoreError> {
    let row: Option<(String,)> = tx
        .optional(
            Query::select()
                .column(name("data"))
                .from(name(Entity::Contact.table()))
                .and_where(Expr::col(name("id")).eq(id))
                .and_where(Expr::col(name("deleted_at")).is_null()),
        )
        .await?;
    row.map(|(d,)| d).ok_or(StoreError::NotFound)
}

/// A preset's name, trimmed: 1 to 100 characters, not one of the built-in presets'.
fn preset_name(preset: &str) -> Result<&str, StoreError> {
    let preset = preset.trim();
    if preset.is_empty() || preset.chars().count() > 100 {
        return Err(StoreError::field("preset", ErrorCode::OutOfRange));
    }
    if kartei_core::import_presets::preset(preset).is_some() {
        return Err(StoreError::field("preset", ErrorCode::AlreadyExists));
    }
    Ok(preset)
}
