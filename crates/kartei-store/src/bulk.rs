//! Bulk loads (demo data, later imports): validated like single writes, inserted in
//! large multi-row statements, with secondary indexes built once at the end.

use crate::audit;
use crate::error::StoreError;
use crate::migrate::{defer_indexes, restore_deferred_indexes};
use crate::records::{insert_records, Timing};
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::{DateTime, NaiveDate, Utc};
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::deal::PipelineStages;
use kartei_core::record::{Context, RecordData};
use sea_query::{Expr, Query};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// Removes a server's announcement.
fn forget_server(server: Uuid) -> sea_query::DeleteStatement {
    Query::delete()
        .from_table(name("server_presence"))
        .and_where(Expr::col(name("id")).eq(server))
        .to_owned()
}

/// Tables whose secondary indexes a large load defers.
const BULK_TABLES: &[&str] = &[
    "contacts",
    "organizations",
    "activities",
    "deals",
    "orders",
    "tickets",
    "feedback",
    "deal_stage_history",
    "loyalty_ledger",
    "search_tokens",
    "custom_values",
    "record_tags",
    "audit_log",
    "import_items",
    "record_links",
];

/// Below this many records, maintaining indexes row by row is cheaper than rebuilding.
pub const DEFER_INDEXES_FROM: usize = 20_000;

/// How often a serving server says so (see [`Store::announce_serving`]).
pub const PRESENCE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// A loyalty booking of a bulk load: contact, time, kind, signed points, reason, order.
pub type LedgerRow = (Uuid, DateTime<Utc>, &'static str, i64, String, Option<Uuid>);

/// A bulk load in progress: remembers fuzzy terms already written and the custom fields.
pub struct BulkLoad {
    pub(crate) known_terms: HashSet<String>,
    pub(crate) validator: Validator,
    deferred: bool,
}

/// Checks records of a bulk load exactly as single writes are checked. It owns what it
/// needs, so a loader can validate the next batch on another thread while the current
/// one is written.
#[derive(Clone)]
pub struct Validator {
    defs: Arc<Vec<CustomFieldDef>>,
    pipelines: Arc<Vec<PipelineStages>>,
    region: String,
    today: NaiveDate,
}

/// A record that passed [`Validator::check`]: normalised, every field valid. Only its
/// links may still change (they are checked when it is written).
#[derive(Debug, Clone)]
pub struct Valid<R>(R);

impl<R> Valid<R> {
    pub fn get(&self) -> &R {
        &self.0
    }

    pub fn into_inner(self) -> R {
        self.0
    }
}

impl Valid<kartei_core::contact::ContactData> {
    /// Links the contact to an organisation (one the import creates, say).
    pub fn set_organization(&mut self, organization: Option<Uuid>) {
        self.0.organization_id = organization;
    }
}

impl Validator {
    /// A stored record without the values of custom fields deleted since, which are
    /// not carried into a new check (as an update drops them).
    pub fn without_deleted_fields<R: RecordData>(&self, mut data: R) -> R {
        if let Some(custom) = data.custom_mut() {
            custom.retain(|k, _| {
                self.defs
                    .iter()
                    .any(|d| d.entity == R::ENTITY && &d.key == k)
            });
        }
        data
    }

    /// Checks one record; the normalised record or every failing field.
    pub fn check<R: RecordData>(&self, data: R) -> Result<Valid<R>, StoreError> {
        let ctx = Context {
            default_region: &self.region,
            today: self.today,
            now: now(),
            custom_fields: &self.defs,
            pipelines: &self.pipelines,
        };
        data.normalise(&ctx).map(Valid).map_err(StoreError::Invalid)
    }

    /// Validates a batch and gives each record its id; the first invalid record fails it.
    pub fn validate<R: RecordData>(&self, batch: Vec<R>) -> Result<Vec<(Uuid, R)>, StoreError> {
        let ctx = Context {
            default_region: &self.region,
            today: self.today,
            now: now(),
            custom_fields: &self.defs,
            pipelines: &self.pipelines,
        };
        batch
            .into_iter()
            .map(|data| {
                Ok((
                    Uuid::now_v7(),
                    data.normalise(&ctx).map_err(StoreError::Invalid)?,
                ))
            })
            .collect()
    }
}

impl BulkLoad {
    pub fn validator(&self) -> Validator {
        self.validator.clone()
    }

    /// Whether this load set secondary indexes aside (to rebuild them at the end).
    pub fn defers_indexes(&self) -> bool {
        self.deferred
    }
}

impl Store {
    /// Checks records as creating them would, with the custom fields and pipelines of
    /// now read once (for imports and loads of many records).
    pub async fn validator(&self) -> Result<Validator, StoreError> {
        let pipelines = {
            let mut tx = self.db.read().await?;
            crate::hooks::pipelines(&mut tx).await?
        };
        Ok(Validator {
            pipelines: Arc::new(pipelines),
            defs: Arc::new(self.custom_fields(None).await?),
            region: self.default_region.clone(),
            today: now().date_naive(),
        })
    }

    /// Says that a server serves this database now (every [`PRESENCE_EVERY`]).
    pub async fn announce_serving(&self, server: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(&forget_server(server)).await?;
        tx.execute(
            Query::insert()
                .into_table(name("server_presence"))
                .columns([name("id"), name("seen_at")])
                .values_panic([server.into(), now().into()]),
        )
        .await?;
        tx.commit().await
    }

    /// Says that the server has stopped serving.
    pub async fn stop_serving(&self, server: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(&forget_server(server)).await?;
        tx.commit().await
    }

    /// Whether a server has said within three announcements that it serves this
    /// database (one killed without stopping counts no longer after that).
    pub async fn is_served(&self) -> Result<bool, StoreError> {
        let since = now() - PRESENCE_EVERY * 3;
        let mut tx = self.db.read().await?;
        let seen: Vec<(Uuid,)> = tx
            .all(
                Query::select()
                    .column(name("id"))
                    .from(name("server_presence"))
                    .and_where(Expr::col(name("seen_at")).gt(since))
                    .limit(1),
            )
            .await?;
        Ok(!seen.is_empty())
    }

    /// Starts a load of about `expected` new records. A large one on a database that
    /// no server is serving sets secondary indexes aside and rebuilds them at the end;
    /// while one is serving, every index stays, so that its queries stay fast.
    pub async fn begin_bulk(&self, expected: usize) -> Result<BulkLoad, StoreError> {
        let deferred = expected >= DEFER_INDEXES_FROM && !self.is_served().await?;
        if deferred {
            defer_indexes(&self.db, BULK_TABLES).await?;
        }
        let mut known_terms = HashSet::new();
        let mut tx = self.db.read().await?;
        let terms: Vec<(String,)> = tx
            .all(
                Query::select()
                    .distinct()
                    .column(name("term"))
                    .from(name("term_variants")),
            )
            .await?;
        known_terms.extend(terms.into_iter().map(|(t,)| t));
        drop(tx);
        let validator = self.validator().await?;
        Ok(BulkLoad {
            known_terms,
            validator,
            deferred,
        })
    }

    /// Validates and inserts one batch in one transaction; a failing record fails the
    /// whole batch and nothing of it is written.
    pub async fn bulk_insert<R: RecordData>(
        &self,
        load: &mut BulkLoad,
        actor: &Actor,
        batch: Vec<R>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let items = load.validator.validate(batch)?;
        self.bulk_insert_valid(load, actor, items).await
    }

    /// Inserts a batch that went through [`Validator::validate`], in one transaction.
    pub async fn bulk_insert_valid<R: RecordData>(
        &self,
        load: &mut BulkLoad,
        actor: &Actor,
        items: Vec<(Uuid, R)>,
    ) -> Result<Vec<Uuid>, StoreError> {
        self.insert_batch(load, actor, items, Timing::Now(now()))
            .await
    }

    /// Validates and inserts records of the past, each with the time it was created
    /// (loads of history: demo data, imports from other systems).
    pub async fn bulk_insert_dated<R: RecordData>(
        &self,
        load: &mut BulkLoad,
        actor: &Actor,
        batch: Vec<(R, DateTime<Utc>)>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let (records, times): (Vec<R>, Vec<DateTime<Utc>>) = batch.into_iter().unzip();
        let items = load.validator.validate(records)?;
        self.insert_batch(load, actor, items, Timing::Each(&times))
            .await
    }

    async fn insert_batch<R: RecordData>(
        &self,
        load: &mut BulkLoad,
        actor: &Actor,
        items: Vec<(Uuid, R)>,
        timing: Timing<'_>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut tx = self.db.write().await?;
        let records: Vec<&R> = items.iter().map(|(_, r)| r).collect();
        crate::records::check_all_references(&mut tx, &records).await?;
        let mut terms = load.known_terms.clone();
        insert_records(
            &mut tx,
            actor,
            &items,
            &load.validator.defs,
            &mut terms,
            timing,
        )
        .await?;
        let summary = serde_json::json!({"count": items.len()});
        audit::append(
            &mut tx,
            actor,
            R::ENTITY.as_str(),
            None,
            "bulk_create",
            None,
            Some(&summary),
        )
        .await?;
        tx.commit().await?;
        load.known_terms = terms;
        Ok(items.into_iter().map(|(id, _)| id).collect())
    }

    /// Appends stage visits of deals (deal, pipeline, stage, entered) in one statement set.
    pub async fn bulk_stage_history(
        &self,
        visits: &[(Uuid, Uuid, Uuid, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let rows: Vec<Vec<sea_query::Value>> = visits
            .iter()
            .map(|(d, p, s, at)| {
                vec![
                    Uuid::now_v7().into(),
                    (*d).into(),
                    (*p).into(),
                    (*s).into(),
                    (*at).into(),
                ]
            })
            .collect();
        crate::index::insert_rows(
            &mut tx,
            "deal_stage_history",
            &["id", "deal_id", "pipeline_id", "stage_id", "entered_at"],
            rows.into_iter(),
            false,
        )
        .await?;
        tx.commit().await
    }

    /// Appends loyalty ledger entries (contact, time, kind, signed points, reason, order).
    pub async fn bulk_loyalty(
        &self,
        actor: &Actor,
        entries: &[LedgerRow],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let rows: Vec<Vec<sea_query::Value>> = entries
            .iter()
            .map(|(c, at, kind, points, reason, order)| {
                vec![
                    Uuid::now_v7().into(),
                    (*c).into(),
                    (*at).into(),
                    (*kind).into(),
                    (*points).into(),
                    reason.clone().into(),
                    (*order).into(),
                    actor.user_id.into(),
                    actor.name.clone().into(),
                ]
            })
            .collect();
        crate::index::insert_rows(
            &mut tx,
            "loyalty_ledger",
            &[
                "id",
                "contact_id",
                "at",
                "kind",
                "points",
                "reason",
                "order_id",
                "actor_id",
                "actor_name",
            ],
            rows.into_iter(),
            false,
        )
        .await?;
        tx.commit().await
    }

    /// Attaches tags to many records at once.
    pub async fn bulk_tag(&self, pairs: &[(Uuid, Uuid)]) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        crate::index::insert_rows(
            &mut tx,
            "record_tags",
            &["tag_id", "record_id"],
            pairs.iter().map(|(t, r)| vec![(*t).into(), (*r).into()]),
            true,
        )
        .await?;
        tx.commit().await
    }

    /// Builds deferred indexes and refreshes planner statistics.
    pub async fn finish_bulk(&self, load: BulkLoad) -> Result<(), StoreError> {
        if load.deferred {
            restore_deferred_indexes(&self.db).await?;
        }
        self.analyze().await
    }

    /// Refreshes the query planner's statistics. SQLite reads a sample of each index
    /// (`analysis_limit`) as PostgreSQL does: a full pass over a million contacts' search
    /// tokens took ten seconds for figures the planner only needs roughly.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        if tx.dialect() == crate::Dialect::Sqlite {
            tx.raw("PRAGMA analysis_limit = 2000").await?;
        }
        tx.raw("ANALYZE").await?;
        tx.commit().await
    }
}
