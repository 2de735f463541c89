//! What Kartei holds about one person, for answering an access request (Art. 15 GDPR):
//! the records that link the contact, its whole change history, and the log entry
//! that the answer was given.

use crate::audit::{self, AuditEntry};
use crate::error::StoreError;
use crate::records::{decode_all, select_records, Record, RecordRow};
use crate::sql::{name, qcol};
use crate::{Actor, Store};
use kartei_core::record::RecordData;
use sea_query::{Expr, Query};
use uuid::Uuid;

/// The audit action of a read of sensitive fields.
pub const SENSITIVE_READ: &str = "read_sensitive";

/// The sensitive fields (see [`RecordData::SENSITIVE`]) a record fills.
pub fn sensitive_filled<R: RecordData>(record: &R) -> Vec<&'static str> {
    let Ok(doc) = serde_json::to_value(record) else {
        return Vec::new();
    };
    R::SENSITIVE
        .iter()
        .copied()
        .filter(|k| doc.get(*k).is_some_and(|v| !v.is_null()))
        .collect()
}

impl Store {
    /// The live records of `R` that link the contact: as their contact, as a meeting's
    /// attendee, as one of a deal's contacts.
    pub async fn records_linking<R: RecordData>(
        &self,
        contact: Uuid,
    ) -> Result<Vec<Record<R>>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut q = select_records(R::ENTITY);
        q.and_where(
            qcol("c", "id").in_subquery(
                Query::select()
                    .column(name("record_id"))
                    .from(name("record_links"))
                    .and_where(Expr::col(name("contact_id")).eq(contact))
                    .to_owned(),
            ),
        )
        .and_where(qcol("c", "deleted_at").is_null());
        let rows: Vec<RecordRow> = tx.all(&q).await?;
        decode_all(&mut tx, rows).await
    }

    /// Every audit entry about a record, oldest first.
    pub async fn whole_history(&self, record_id: Uuid) -> Result<Vec<AuditEntry>, StoreError> {
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = self.history(record_id, before, 500).await?;
            let done = page.len() < 500;
            before = page.last().map(|e| e.id);
            all.extend(page);
            if done {
                break;
            }
        }
        all.reverse();
        Ok(all)
    }

    /// Notes in the audit log that someone was shown a record's sensitive fields (bank
    /// details) unmasked. Kept out of the record's timeline, in its history.
    pub async fn log_sensitive_read(
        &self,
        actor: &Actor,
        entity: kartei_core::record::Entity,
        id: Uuid,
        fields: &[&str],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        audit::append(
            &mut tx,
            actor,
            entity.as_str(),
            Some(id),
            SENSITIVE_READ,
            None,
            Some(&serde_json::json!({ "fields": fields })),
        )
        .await?;
        tx.commit().await
    }

    /// Notes in the audit log that the data about a contact was handed out.
    pub async fn log_access_export(
        &self,
        actor: &Actor,
        contact: Uuid,
        summary: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        audit::append(
            &mut tx,
            actor,
            kartei_core::record::Entity::Contact.as_str(),
            Some(contact),
            "access_export",
            None,
            Some(summary),
        )
        .await?;
        tx.commit().await
    }
}
