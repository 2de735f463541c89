//! What happens besides the write itself, in the same transaction: a new contact gets a
//! review task for its owner and the "needs check" marker until that task is done; a
//! deal's every stage change is recorded with its time (for win rates and cycle times).

use crate::db::Tx;
use crate::error::StoreError;
use crate::records::{insert_records, rewrite, Timing};
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use kartei_core::activity::ActivityData;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::deal::{PipelineData, PipelineStages};
use kartei_core::record::{Entity, RecordData};
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Query};
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

/// The subject of review tasks; pages show it in the reader's language.
pub const REVIEW_SUBJECT: &str = "Kontaktdaten prüfen / Check contact data";

/// The task that asks `assignee` to check a new contact's data within `days` days.
pub(crate) fn review_task(contact: Uuid, assignee: Option<Uuid>, days: u32) -> ActivityData {
    ActivityData {
        kind: Some("task".into()),
        subject: Some(REVIEW_SUBJECT.into()),
        contact_id: Some(contact),
        due_date: Some(now().date_naive() + chrono::Duration::days(i64::from(days))),
        assignee_id: assignee,
        priority: Some("normal".into()),
        review_of: Some(contact),
        ..ActivityData::default()
    }
}

fn field(v: &Value, key: &str) -> Option<Uuid> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The live pipelines with their stages; deals are checked against them.
pub(crate) async fn pipelines(tx: &mut Tx) -> Result<Vec<PipelineStages>, StoreError> {
    let rows: Vec<(Uuid, String)> = tx
        .all(
            Query::select()
                .columns(["id", "data"].map(name))
                .from(name("pipelines"))
                .and_where(Expr::col(name("deleted_at")).is_null()),
        )
        .await?;
    rows.into_iter()
        .map(|(id, data)| {
            let p: PipelineData = serde_json::from_str(&data)?;
            Ok(PipelineStages {
                id,
                stages: p.stages,
            })
        })
        .collect()
}

impl Store {
    /// Prepares a record for creation: new contacts are marked for review.
    pub(crate) fn before_create<R: RecordData>(&self, data: R) -> Result<R, StoreError> {
        if R::ENTITY != Entity::Contact || self.review_days.is_none() {
            return Ok(data);
        }
        let mut doc = serde_json::to_value(&data)?;
        doc["needs_check"] = Value::Bool(true);
        Ok(serde_json::from_value(doc)?)
    }

    pub(crate) async fn after_create<R: RecordData>(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: Uuid,
        data: &R,
        defs: &[CustomFieldDef],
    ) -> Result<(), StoreError> {
        match R::ENTITY {
            Entity::Contact => {
                if let Some(days) = self.review_days {
                    let doc = serde_json::to_value(data)?;
                    let task = review_task(id, field(&doc, "owner_id").or(actor.user_id), days);
                    let task_id = Uuid::now_v7();
                    insert_records(
                        tx,
                        actor,
                        &[(task_id, task.clone())],
                        defs,
                        &mut HashSet::new(),
                        Timing::Now(now()),
                    )
                    .await?;
                    audit::append(
                        tx,
                        actor,
                        "activity",
                        Some(task_id),
                        "create",
                        None,
                        Some(&task),
                    )
                    .await?;
                }
            }
            Entity::Deal => {
                let doc = serde_json::to_value(data)?;
                record_stage(tx, actor, id, &doc).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks a change against other records: a category cannot sit below itself, and a
    /// pipeline keeps the stages its live deals are in.
    pub(crate) async fn before_update<R: RecordData>(
        &self,
        tx: &mut Tx,
        id: Uuid,
        after: &R,
    ) -> Result<(), StoreError> {
        match R::ENTITY {
            Entity::ProductCategory => {
                let mut parent = field(&serde_json::to_value(after)?, "parent_id");
                let mut steps = 0;
                while let Some(p) = parent {
                    if p == id || steps > 100 {
                        return Err(StoreError::field("parent_id", ErrorCode::UnknownReference));
                    }
                    let row: Option<(String,)> = tx
                        .optional(
                            Query::select()
                                .column(name("data"))
                                .from(name("product_categories"))
                                .and_where(Expr::col(name("id")).eq(p)),
                        )
                        .await?;
                    parent = match row {
                        Some((data,)) => field(&serde_json::from_str(&data)?, "parent_id"),
                        None => None,
                    };
                    steps += 1;
                }
            }
            Entity::Pipeline => {
                let doc = serde_json::to_value(after)?;
                let kept: Vec<Uuid> = doc
                    .get("stages")
                    .and_then(Value::as_array)
                    .map(|stages| stages.iter().filter_map(|s| field(s, "id")).collect())
                    .unwrap_or_default();
                let used: Vec<(Uuid,)> = tx
                    .all(
                        Query::select()
                            .distinct()
                            .column(name("stage_id"))
                            .from(name("deals"))
                            .and_where(Expr::col(name("pipeline_id")).eq(id))
                            .and_where(Expr::col(name("deleted_at")).is_null()),
                    )
                    .await?;
                if used.iter().any(|(s,)| !kept.contains(s)) {
                    return Err(StoreError::field("stages", ErrorCode::UnknownReference));
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) async fn after_update<R: RecordData>(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: Uuid,
        before: &R,
        after: &R,
        defs: &[CustomFieldDef],
    ) -> Result<(), StoreError> {
        match R::ENTITY {
            Entity::Deal => {
                let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
                if field(&b, "stage_id") != field(&a, "stage_id") {
                    record_stage(tx, actor, id, &a).await?;
                }
            }
            Entity::Activity => {
                let (b, a) = (serde_json::to_value(before)?, serde_json::to_value(after)?);
                let done = |v: &Value| v.get("done").and_then(Value::as_bool).unwrap_or(false);
                if let (Some(contact), false, true) = (field(&a, "review_of"), done(&b), done(&a)) {
                    // The review is done: the contact loses its marker.
                    let changed = rewrite::<ContactData>(
                        tx,
                        crate::sql::qcol("c", "id").eq(contact),
                        defs,
                        |_, c| c.needs_check = false,
                    )
                    .await?;
                    for cid in changed {
                        let after = serde_json::json!({"needs_check": false});
                        audit::append(
                            tx,
                            actor,
                            "contact",
                            Some(cid),
                            "update",
                            Some(&serde_json::json!({"needs_check": true})),
                            Some(&after),
                        )
                        .await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Appends the deal's current stage to its stage history.
async fn record_stage(
    tx: &mut Tx,
    actor: &Actor,
    deal: Uuid,
    doc: &Value,
) -> Result<(), StoreError> {
    let (Some(pipeline), Some(stage)) = (field(doc, "pipeline_id"), field(doc, "stage_id")) else {
        return Ok(());
    };
    tx.execute(
        Query::insert()
            .into_table(name("deal_stage_history"))
            .columns(
                [
                    "id",
                    "deal_id",
                    "pipeline_id",
                    "stage_id",
                    "entered_at",
                    "actor_id",
                ]
                .map(name),
            )
            .values_panic([
                Uuid::now_v7().into(),
                deal.into(),
                pipeline.into(),
                stage.into(),
                now().into(),
                actor.user_id.into(),
            ]),
    )
    .await?;
    Ok(())
}
