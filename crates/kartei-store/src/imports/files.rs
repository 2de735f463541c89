//! What an import keeps besides its records: uploaded files waiting to be imported
//! and saved mapping presets.

use crate::error::StoreError;
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::Duration;
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use uuid::Uuid;

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

impl Store {
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
}

/// A preset's name, trimmed: 1 to 100 characters, not one of the built-in presets'.
pub(super) fn preset_name(preset: &str) -> Result<&str, StoreError> {
    let preset = preset.trim();
    if preset.is_empty() || preset.chars().count() > 100 {
        return Err(StoreError::field("preset", ErrorCode::OutOfRange));
    }
    if kartei_core::import_presets::preset(preset).is_some() {
        return Err(StoreError::field("preset", ErrorCode::AlreadyExists));
    }
    Ok(preset)
}
