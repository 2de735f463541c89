//! What happens besides the write itself, in the same transaction: a new contact gets a
//! review task for its owner and the "needs check" marker until that task is done; a
//! deal's every stage change is recorded with its time (for win rates and cycle times).

use crate::db::Tx;
use crate::error::StoreError;
use crate::records::{insert_records, rewrite, Timing};
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use kartei_core::activity::ActivityData;
use kartei_core::commerce::ProductCategoryData;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::deal::{DealData, PipelineData, PipelineStages};
use kartei_core::record::RecordData;
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Query};
use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
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

/// What a hook works with: the write's transaction, who writes, the custom fields and
/// the store's settings.
pub(crate) struct Write<'a> {
    pub tx: &'a mut Tx,
    pub actor: &'a Actor,
    pub defs: &'a [CustomFieldDef],
    pub store: &'a Store,
}

/// A kind's behaviour besides the write itself, on the typed records, in the write's
/// transaction. Every hook does nothing unless the kind says otherwise; a kind with
/// hooks of its own implements this trait and is named in [`each_hooked_kind`].
pub(crate) trait Hooks: RecordData {
    /// Prepares a new, checked record before it is written.
    fn before_create(&mut self, _store: &Store) {}

    /// After a new record is written, before the transaction ends.
    fn after_create(
        &self,
        _w: &mut Write<'_>,
        _id: Uuid,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Checks a changed record against other records; an error leaves it unchanged.
    fn before_update(
        &self,
        _w: &mut Write<'_>,
        _id: Uuid,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// After a change is written, with the record as it was.
    fn after_update(
        &self,
        _before: &Self,
        _w: &mut Write<'_>,
        _id: Uuid,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
}

/// Runs `$body` once for each kind with hooks of its own, `$kind` naming its type.
macro_rules! each_hooked_kind {
    ($kind:ident => $body:block) => {{
        type $kind = ContactData;
        $body
    }
    {
        type $kind = ActivityData;
        $body
    }
    {
        type $kind = DealData;
        $body
    }
    {
        type $kind = PipelineData;
        $body
    }
    {
        type $kind = ProductCategoryData;
        $body
    }};
}

/// `record` as the kind `K`, when it is one.
fn as_kind<K: 'static>(record: &dyn Any) -> Option<&K> {
    record.downcast_ref()
}

pub(crate) fn before_create<R: RecordData>(record: &mut R, store: &Store) {
    each_hooked_kind!(K => {
        if let Some(r) = (record as &mut dyn Any).downcast_mut::<K>() {
            r.before_create(store);
        }
    });
}

pub(crate) async fn after_create<R: RecordData>(
    record: &R,
    w: &mut Write<'_>,
    id: Uuid,
) -> Result<(), StoreError> {
    each_hooked_kind!(K => {
        if let Some(r) = as_kind::<K>(record) {
            return r.after_create(w, id).await;
        }
    });
    Ok(())
}

pub(crate) async fn before_update<R: RecordData>(
    record: &R,
    w: &mut Write<'_>,
    id: Uuid,
) -> Result<(), StoreError> {
    each_hooked_kind!(K => {
        if let Some(r) = as_kind::<K>(record) {
            return r.before_update(w, id).await;
        }
    });
    Ok(())
}

pub(crate) async fn after_update<R: RecordData>(
    before: &R,
    after: &R,
    w: &mut Write<'_>,
    id: Uuid,
) -> Result<(), StoreError> {
    each_hooked_kind!(K => {
        if let (Some(b), Some(a)) = (as_kind::<K>(before), as_kind::<K>(after)) {
            return a.after_update(b, w, id).await;
        }
    });
    Ok(())
}

/// A new contact is marked for review and gets a review task for its owner (or whoever
/// created it).
impl Hooks for ContactData {
    fn before_create(&mut self, store: &Store) {
        if store.review_days.is_some() {
            self.needs_check = true;
        }
    }

    async fn after_create(&self, w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
        let Some(days) = w.store.review_days else {
            return Ok(());
        };
        let task = review_task(id, self.owner_id.or(w.actor.user_id), days);
        let task_id = Uuid::now_v7();
        insert_records(
            w.tx,
            w.actor,
            &[(task_id, task.clone())],
            w.defs,
            &mut HashSet::new(),
            Timing::Now(now()),
        )
        .await?;
        audit::append(
            w.tx,
            w.actor,
            "activity",
            Some(task_id),
            "create",
            None,
            Some(&task),
        )
        .await
    }
}

/// A review task ticked off takes the marker off its contact.
impl Hooks for ActivityData {
    async fn after_update(
        &self,
        before: &Self,
        w: &mut Write<'_>,
        _id: Uuid,
    ) -> Result<(), StoreError> {
        let (Some(contact), false, true) = (self.review_of, before.done, self.done) else {
            return Ok(());
        };
        let changed = rewrite::<ContactData>(
            w.tx,
            crate::sql::qcol("c", "id").eq(contact),
            w.defs,
            |_, c| c.needs_check = false,
        )
        .await?;
        for cid in changed {
            audit::append(
                w.tx,
                w.actor,
                "contact",
                Some(cid),
                "update",
                Some(&serde_json::json!({"needs_check": true})),
                Some(&serde_json::json!({"needs_check": false})),
            )
            .await?;
        }
        Ok(())
    }
}

/// A deal's every stage is recorded with the time it entered it.
impl Hooks for DealData {
    async fn after_create(&self, w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
        record_stage(w.tx, w.actor, id, self).await
    }

    async fn after_update(
        &self,
        before: &Self,
        w: &mut Write<'_>,
        id: Uuid,
    ) -> Result<(), StoreError> {
        if before.stage_id == self.stage_id {
            return Ok(());
        }
        record_stage(w.tx, w.actor, id, self).await
    }
}

/// A pipeline keeps the stages its live deals are in.
impl Hooks for PipelineData {
    async fn before_update(&self, w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
        let kept: Vec<Uuid> = self.stages.iter().filter_map(|s| s.id).collect();
        let used: Vec<(Uuid,)> =
            w.tx.all(
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
        Ok(())
    }
}

/// A category cannot sit below itself.
impl Hooks for ProductCategoryData {
    async fn before_update(&self, w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
        let mut parent = self.parent_id;
        let mut steps = 0;
        while let Some(p) = parent {
            if p == id || steps > 100 {
                return Err(StoreError::field("parent_id", ErrorCode::UnknownReference));
            }
            let row: Option<(String,)> =
                w.tx.optional(
                    Query::select()
                        .column(name("data"))
                        .from(name("product_categories"))
                        .and_where(Expr::col(name("id")).eq(p)),
                )
                .await?;
            parent = match row {
                Some((data,)) => serde_json::from_str::<ProductCategoryData>(&data)?.parent_id,
                None => None,
            };
            steps += 1;
        }
        Ok(())
    }
}

/// Appends the deal's current stage to its stage history.
async fn record_stage(
    tx: &mut Tx,
    actor: &Actor,
    deal: Uuid,
    data: &DealData,
) -> Result<(), StoreError> {
    let (Some(pipeline), Some(stage)) = (data.pipeline_id, data.stage_id) else {
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
