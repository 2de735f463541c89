//! Import jobs. Each batch of an import is one transaction that writes its records, the
//! job's item list (created ids; updated ids with the record before) and the row to go
//! on from. A crash leaves whole batches only; the same file resumes where it stopped.
//! Undo (within 30 days) trashes what the import created and puts back what it changed.

mod batch;
mod files;
mod matching;
mod undo;

pub use files::{StoredUpload, UPLOAD_KEEP_DAYS};
pub use matching::MatchColumn;
pub use undo::{Kept, KeptReason, Undone};

use crate::bulk::Valid;
use crate::db::Tx;
use crate::error::StoreError;
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::contact::ContactData;
use kartei_core::import_match::OnMatch;
use kartei_core::record::Entity;
use sea_query::{Expr, Order, Query};
use serde::Serialize;
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

pub(super) type JobRow = (
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
pub(super) const COLUMNS: [&str; 10] = [
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

pub(super) fn decode(r: JobRow) -> ImportJob {
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

/// One batch of an import.
pub struct ImportBatch {
    /// New contacts, checked by [`crate::bulk::Validator::check`].
    pub creates: Vec<Valid<ContactData>>,
    /// Matched contacts and the row that found each (unchecked: it is applied to the
    /// contact as it is when the batch is written, then the result is checked).
    pub updates: Vec<(Uuid, ContactData)>,
    /// What the rows do to the contacts they found.
    pub on_match: OnMatch,
    /// The consents each new contact's row states (one list per entry of `creates`).
    pub create_consents: Vec<Vec<kartei_core::consent::ConsentInput>>,
    /// The consents each matched contact's row states (one list per entry of `updates`).
    pub update_consents: Vec<Vec<kartei_core::consent::ConsentInput>>,
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
}

/// A row of `import_items`: what the import did to a record, with its data before.
pub(super) fn item_row(
    job: Uuid,
    record: Uuid,
    action: &str,
    before: Option<String>,
) -> Vec<sea_query::Value> {
    vec![job.into(), record.into(), action.into(), before.into()]
}

/// The stored document of a contact, as it is now.
pub(super) async fn current_data(tx: &mut Tx, id: Uuid) -> Result<String, StoreError> {
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
