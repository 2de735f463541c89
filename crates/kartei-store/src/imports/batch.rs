//! Writing one batch of an import: its records, its items and its progress, in one
//! transaction.

use super::*;
use crate::bulk::BulkLoad;
use crate::error::StoreError;
use crate::records::{insert_checked, insert_records, Timing};
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use kartei_core::activity::ActivityData;
use kartei_core::contact::ContactData;
use kartei_core::import_match::matched_contact;
use sea_query::{Expr, Query};
use uuid::Uuid;

impl Store {
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
                // Marked for review like any new contact; a row imported without a
                // value that failed its rule is marked either way.
                c.needs_check |= self.review_days.is_some();
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
        let mut consents: Vec<(Uuid, Vec<kartei_core::consent::ConsentInput>)> = items
            .iter()
            .map(|(id, _)| *id)
            .zip(batch.create_consents)
            .collect();
        consents.extend(
            batch
                .updates
                .iter()
                .map(|(id, _)| *id)
                .zip(batch.update_consents),
        );
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
        crate::consents::import_consents(&mut tx, actor, consents).await?;
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
}
