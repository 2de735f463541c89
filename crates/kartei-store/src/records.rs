//! Contacts and organisations: create, read, update, delete, one code path for both
//! kinds and both databases.

use crate::audit;
use crate::db::Tx;
use crate::error::StoreError;
use crate::hooks::{self, Write};
use crate::index::{insert_rows, IndexRows};
use crate::sql::{index_value, name, qcol};
use crate::tags::{tags_of, TagRef};
use crate::{now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::deal::PipelineStages;
use kartei_core::record::{Context, Entity, RecordData, Reference};
use kartei_core::validation::ErrorCode;
use sea_query::{Alias, Expr, Query, SelectStatement, SimpleExpr};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// How long a deleted record stays restorable.
pub const TRASH_DAYS: i64 = 30;

/// A stored record with its bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<R> {
    pub id: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub data: R,
    pub tags: Vec<TagRef>,
}

pub(crate) type RecordRow = (
    Uuid,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    String,
);

pub(crate) const RECORD_COLUMNS: [&str; 6] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "data",
];

/// `SELECT c.id, c.version, … FROM <table> c`
pub(crate) fn select_records(entity: Entity) -> SelectStatement {
    let mut q = Query::select();
    for c in RECORD_COLUMNS {
        q.expr(qcol("c", c));
    }
    q.from_as(name(entity.table()), Alias::new("c"));
    q
}

/// The live (not deleted) record with `id`.
fn select_live(entity: Entity, id: Uuid) -> SelectStatement {
    let mut q = select_records(entity);
    q.and_where(qcol("c", "id").eq(id))
        .and_where(qcol("c", "deleted_at").is_null());
    q
}

/// The live record with `id`, read inside a transaction.
pub(crate) async fn live<R: RecordData>(tx: &mut Tx, id: Uuid) -> Result<Record<R>, StoreError> {
    let row: Option<RecordRow> = tx.optional(&select_live(R::ENTITY, id)).await?;
    decode(row.ok_or(StoreError::NotFound)?)
}

/// The record with a JSON merge patch (RFC 7396) applied, not yet normalised.
fn merged<R: RecordData>(before: &R, patch: serde_json::Value) -> Result<Option<R>, StoreError> {
    let mut document = serde_json::to_value(before)?;
    kartei_core::merge_patch::apply(&mut document, patch);
    let changed = kartei_core::json::from_json(document).map_err(StoreError::Invalid)?;
    Ok(Some(changed))
}

pub(crate) fn decode<R: RecordData>(row: RecordRow) -> Result<Record<R>, StoreError> {
    let (id, version, created_at, updated_at, deleted_at, data) = row;
    Ok(Record {
        id,
        version,
        created_at,
        updated_at,
        deleted_at,
        data: serde_json::from_str(&data)?,
        tags: Vec::new(),
    })
}

/// Decodes rows and attaches their tags with one query.
pub(crate) async fn decode_all<R: RecordData>(
    tx: &mut Tx,
    rows: Vec<RecordRow>,
) -> Result<Vec<Record<R>>, StoreError> {
    let mut records = rows
        .into_iter()
        .map(decode::<R>)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut tags = tags_of(tx, &ids).await?;
    for r in &mut records {
        r.tags = tags.remove(&r.id).unwrap_or_default();
    }
    Ok(records)
}

impl Store {
    pub(crate) fn context<'a>(
        &'a self,
        defs: &'a [CustomFieldDef],
        pipelines: &'a [PipelineStages],
    ) -> Context<'a> {
        Context {
            default_region: &self.default_region,
            today: now().date_naive(),
            now: now(),
            custom_fields: defs,
            pipelines,
        }
    }

    /// Checks a record as [`Store::create`] would, without writing anything (for dry runs
    /// of imports). References are not checked here.
    pub async fn validate<R: RecordData>(&self, data: R) -> Result<R, StoreError> {
        let defs = self.custom_fields(None).await?;
        data.normalise(&self.context(&defs, &[]))
            .map_err(StoreError::Invalid)
    }

    /// Validates and stores a new record.
    pub async fn create<R: RecordData>(
        &self,
        actor: &Actor,
        data: R,
    ) -> Result<Record<R>, StoreError> {
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let pipelines = if R::ENTITY == Entity::Deal {
            crate::hooks::pipelines(&mut tx).await?
        } else {
            Vec::new()
        };
        let data = data
            .normalise(&self.context(&defs, &pipelines))
            .map_err(StoreError::Invalid)?;
        let mut data = data;
        hooks::before_create(&mut data, self);
        check_references(&mut tx, &data).await?;
        let id = Uuid::now_v7();
        let at = now();
        insert_records(
            &mut tx,
            actor,
            &[(id, data.clone())],
            &defs,
            &mut HashSet::new(),
            Timing::Now(at),
        )
        .await?;
        let mut w = Write {
            tx: &mut tx,
            actor,
            defs: &defs,
            store: self,
        };
        hooks::after_create(&data, &mut w, id).await?;
        audit::append(
            &mut tx,
            actor,
            R::ENTITY.as_str(),
            Some(id),
            "create",
            None,
            Some(&data.clone().masked()),
        )
        .await?;
        tx.commit().await?;
        Ok(Record {
            id,
            version: 1,
            created_at: at,
            updated_at: at,
            deleted_at: None,
            data,
            tags: Vec::new(),
        })
    }

    /// A record that is not in the trash.
    pub async fn get<R: RecordData>(&self, id: Uuid) -> Result<Record<R>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<RecordRow> = tx.optional(&select_live(R::ENTITY, id)).await?;
        let row = row.ok_or(StoreError::NotFound)?;
        decode_all(&mut tx, vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Applies a JSON merge patch (RFC 7396) to a record. With `if_match`, the change is
    /// only made when the record is still at that version.
    pub async fn update<R: RecordData>(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        patch: serde_json::Value,
    ) -> Result<Record<R>, StoreError> {
        self.edit(actor, id, if_match, |before: &R| merged(before, patch))
            .await
    }

    /// Applies one merge patch to several records, all or none: the first record that
    /// fails (not found, invalid) leaves every record as it was.
    pub async fn update_many<R: RecordData>(
        &self,
        actor: &Actor,
        ids: &[Uuid],
        patch: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        for id in ids {
            self.update_in::<R>(&mut tx, &defs, actor, *id, None, patch.clone())
                .await?;
        }
        tx.commit().await
    }

    pub(crate) async fn update_in<R: RecordData>(
        &self,
        tx: &mut Tx,
        defs: &[CustomFieldDef],
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        patch: serde_json::Value,
    ) -> Result<Record<R>, StoreError> {
        self.edit_in(tx, defs, actor, id, if_match, |before: &R| {
            merged(before, patch)
        })
        .await
    }

    /// Changes one record by `edit` of what it holds now, read under a row lock in the
    /// same transaction, so that a change without If-Match never loses a concurrent
    /// one. `edit` answers `None` when there is nothing to change; the record stays as
    /// it is, without a new version.
    pub async fn edit<R: RecordData>(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        edit: impl FnOnce(&R) -> Result<Option<R>, StoreError>,
    ) -> Result<Record<R>, StoreError> {
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let record = self
            .edit_in(&mut tx, &defs, actor, id, if_match, edit)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn edit_in<R: RecordData>(
        &self,
        tx: &mut Tx,
        defs: &[CustomFieldDef],
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        edit: impl FnOnce(&R) -> Result<Option<R>, StoreError>,
    ) -> Result<Record<R>, StoreError> {
        let mut locked = select_live(R::ENTITY, id);
        // PostgreSQL: a second writer waits here and then sees the first one's change.
        locked.lock(sea_query::LockType::Update);
        let row: Option<RecordRow> = tx.optional(&locked).await?;
        let current = decode::<R>(row.ok_or(StoreError::NotFound)?)?;
        if if_match.is_some_and(|v| v != current.version) {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let mut before = current.data;
        // Values of custom fields deleted since are dropped, not carried into validation.
        if let Some(custom) = before.custom_mut() {
            custom.retain(|k, _| defs.iter().any(|d| d.entity == R::ENTITY && &d.key == k));
        }
        let Some(changed) = edit(&before)? else {
            let tags = tags_of(tx, &[id]).await?.remove(&id).unwrap_or_default();
            return Ok(Record {
                data: before,
                tags,
                ..current
            });
        };
        let pipelines = if R::ENTITY == Entity::Deal {
            crate::hooks::pipelines(tx).await?
        } else {
            Vec::new()
        };
        let changed = changed
            .normalise(&self.context(defs, &pipelines))
            .map_err(StoreError::Invalid)?;
        // A link the record had already stays, even when its target went to the trash
        // since: a task on a deleted contact can still be ticked off. New links must
        // point to live records.
        let kept: HashSet<(&'static str, Uuid)> = before
            .references()
            .iter()
            .map(|(_, r)| {
                let (table, id, _) = reference_target(r);
                (table, id)
            })
            .collect();
        check_links(tx, &[&changed], &kept).await?;
        let mut w = Write {
            tx,
            actor,
            defs,
            store: self,
        };
        hooks::before_update(&changed, &mut w, id).await?;
        let at = now();
        let mut values: Vec<(Alias, SimpleExpr)> = vec![
            (name("version"), Expr::col(name("version")).add(1)),
            (name("updated_at"), at.into()),
            (name("updated_by"), actor.user_id.into()),
            (name("data"), serde_json::to_string(&changed)?.into()),
            (name("sort_name"), changed.sort_name().into()),
            (name("sort_key"), changed.sort_key().into()),
        ];
        values.extend(
            changed
                .index_values()
                .iter()
                .map(|(c, v)| (name(c), index_value(v).into())),
        );
        let updated = tx
            .execute(
                Query::update()
                    .table(name(R::ENTITY.table()))
                    .values(values)
                    .and_where(Expr::col(name("id")).eq(id))
                    .and_where(Expr::col(name("version")).eq(current.version)),
            )
            .await?;
        if updated == 0 {
            // A concurrent writer got there first; nothing of ours is written.
            return Err(StoreError::VersionConflict {
                current: current.version + 1,
            });
        }
        let org_names = organization_names(tx, [changed.organization_id()]).await?;
        let mut rows = IndexRows::default();
        rows.add(id, &changed, &org_names, defs, &mut HashSet::new());
        rows.replace(tx).await?;
        if R::ENTITY == Entity::Organization && before.sort_name() != changed.sort_name() {
            reindex_members(tx, id, defs).await?;
        }
        let mut w = Write {
            tx,
            actor,
            defs,
            store: self,
        };
        hooks::after_update(&before, &changed, &mut w, id).await?;
        audit::append(
            tx,
            actor,
            R::ENTITY.as_str(),
            Some(id),
            "update",
            Some(&before.masked()),
            Some(&changed.clone().masked()),
        )
        .await?;
        let tags = tags_of(tx, &[id]).await?.remove(&id).unwrap_or_default();
        Ok(Record {
            id,
            version: current.version + 1,
            created_at: current.created_at,
            updated_at: at,
            deleted_at: None,
            data: changed,
            tags,
        })
    }

    /// Moves a record to the trash, where it can be restored for [`TRASH_DAYS`] days.
    pub async fn delete(
        &self,
        actor: &Actor,
        entity: Entity,
        id: Uuid,
        if_match: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        delete_in(&mut tx, actor, entity, id, if_match).await?;
        tx.commit().await
    }

    /// Moves several records to the trash, all or none.
    pub async fn delete_many(
        &self,
        actor: &Actor,
        entity: Entity,
        ids: &[Uuid],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        for id in ids {
            delete_in(&mut tx, actor, entity, *id, None).await?;
        }
        tx.commit().await
    }
}

pub(crate) async fn delete_in(
    tx: &mut Tx,
    actor: &Actor,
    entity: Entity,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<(), StoreError> {
    let at = now();
    let mut update = Query::update();
    update
        .table(name(entity.table()))
        .values([
            (name("deleted_at"), at.into()),
            (name("updated_at"), at.into()),
            (name("updated_by"), actor.user_id.into()),
            (name("version"), Expr::col(name("version")).add(1)),
        ])
        .and_where(Expr::col(name("id")).eq(id))
        .and_where(Expr::col(name("deleted_at")).is_null());
    if let Some(v) = if_match {
        update.and_where(Expr::col(name("version")).eq(v));
    }
    if tx.execute(&update).await? == 0 {
        let version = current_version(tx, entity, id).await?;
        return Err(match version {
            Some(current) if if_match.is_some() => StoreError::VersionConflict { current },
            _ => StoreError::NotFound,
        });
    }
    audit::append::<()>(tx, actor, entity.as_str(), Some(id), "delete", None, None).await
}

/// The version of a live record, if there is one.
pub(crate) async fn current_version(
    tx: &mut Tx,
    entity: Entity,
    id: Uuid,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = tx
        .optional(
            Query::select()
                .column(name("version"))
                .from(name(entity.table()))
                .and_where(Expr::col(name("id")).eq(id))
                .and_where(Expr::col(name("deleted_at")).is_null()),
        )
        .await?;
    Ok(row.map(|(v,)| v))
}

/// What can be asked of a stored document whose kind is known only at run time.
pub(crate) trait AnyRecord {
    fn display_name(&self) -> String;
    fn sort_key(&self) -> String;
    fn references(&self) -> Vec<(&'static str, Reference)>;
    /// The search tokens of the record's own name.
    fn name_tokens(&self) -> Vec<String>;
}

impl<R: RecordData> AnyRecord for R {
    fn display_name(&self) -> String {
        RecordData::display_name(self)
    }

    fn sort_key(&self) -> String {
        RecordData::sort_key(self)
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        RecordData::references(self)
    }

    fn name_tokens(&self) -> Vec<String> {
        self.search_keys(None).names.into_iter().collect()
    }
}

/// Reads a stored document of the given kind.
pub(crate) fn decode_any(entity: Entity, data: &str) -> Result<Box<dyn AnyRecord>, StoreError> {
    macro_rules! decode {
        ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
            match entity {
                $(Entity::$kind => Ok(Box::new(serde_json::from_str::<$data>(data)?)),)*
            }
        };
    }
    kartei_core::with_record_kinds!(decode)
}

/// The contacts a stored record links (its contact, attendees, a deal's contacts).
pub(crate) fn linked_contacts(entity: Entity, data: &str) -> Result<Vec<Uuid>, StoreError> {
    Ok(contacts_of(decode_any(entity, data)?.references()))
}

/// The contacts among links.
pub(crate) fn contacts_of(references: Vec<(&'static str, Reference)>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = references
        .into_iter()
        .filter_map(|(_, r)| match r {
            Reference::Contact(id) => Some(id),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Checks that linked organisations and users exist (and are not in the trash).
pub(crate) async fn check_references<R: RecordData>(
    tx: &mut Tx,
    data: &R,
) -> Result<(), StoreError> {
    check_all_references(tx, &[data]).await
}

/// The table a reference points into, and whether the record must be live.
fn reference_target(reference: &Reference) -> (&'static str, Uuid, bool) {
    match *reference {
        Reference::Organization(id) => ("organizations", id, true),
        Reference::User(id) => ("users", id, false),
        Reference::Contact(id) => ("contacts", id, true),
        Reference::Deal(id) => ("deals", id, true),
        Reference::Pipeline(id) => ("pipelines", id, true),
        Reference::Product(id) => ("products", id, true),
        Reference::ProductCategory(id) => ("product_categories", id, true),
        Reference::Order(id) => ("orders", id, true),
    }
}

/// Checks the links of many records with one query per linked table and chunk; the
/// first record with a missing link fails with every field of it that is missing.
pub(crate) async fn check_all_references<R: RecordData>(
    tx: &mut Tx,
    records: &[&R],
) -> Result<(), StoreError> {
    check_links(tx, records, &HashSet::new()).await
}

/// Checks the links of `records` except those in `kept` (table, id), which are not
/// looked at.
async fn check_links<R: RecordData>(
    tx: &mut Tx,
    records: &[&R],
    kept: &HashSet<(&'static str, Uuid)>,
) -> Result<(), StoreError> {
    let is_kept = |reference: &Reference| {
        let (table, id, _) = reference_target(reference);
        kept.contains(&(table, id))
    };
    let mut wanted: HashMap<(&'static str, bool), HashSet<Uuid>> = HashMap::new();
    for data in records {
        for (_, reference) in data.references() {
            if is_kept(&reference) {
                continue;
            }
            let (table, id, live) = reference_target(&reference);
            wanted.entry((table, live)).or_default().insert(id);
        }
    }
    let mut found: HashSet<Uuid> = HashSet::new();
    for ((table, live), ids) in wanted {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        for chunk in ids.chunks(crate::sql::chunk_size(1)) {
            let mut query = Query::select();
            query
                .column(name("id"))
                .from(name(table))
                .and_where(Expr::col(name("id")).is_in(chunk.iter().copied()));
            if live {
                query.and_where(Expr::col(name("deleted_at")).is_null());
            }
            let rows: Vec<(Uuid,)> = tx.all(&query).await?;
            found.extend(rows.into_iter().map(|(id,)| id));
        }
    }
    for data in records {
        let failed: Vec<_> = data
            .references()
            .into_iter()
            .filter(|(_, reference)| {
                !is_kept(reference) && !found.contains(&reference_target(reference).1)
            })
            .map(|(field, _)| {
                kartei_core::validation::FieldError::new(field, ErrorCode::UnknownReference)
            })
            .collect();
        if !failed.is_empty() {
            return Err(StoreError::Invalid(failed));
        }
    }
    Ok(())
}

/// Names (as folded sort keys) of the given organisations, for contacts' search tokens.
pub(crate) async fn organization_names(
    tx: &mut Tx,
    ids: impl IntoIterator<Item = Option<Uuid>>,
) -> Result<HashMap<Uuid, String>, StoreError> {
    let ids: HashSet<Uuid> = ids.into_iter().flatten().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut names = HashMap::new();
    let ids: Vec<Uuid> = ids.into_iter().collect();
    for chunk in ids.chunks(crate::sql::chunk_size(1)) {
        let rows: Vec<(Uuid, String)> = tx
            .all(
                Query::select()
                    .columns([name("id"), name("sort_name")])
                    .from(name("organizations"))
                    .and_where(Expr::col(name("id")).is_in(chunk.iter().copied())),
            )
            .await?;
        names.extend(rows);
    }
    Ok(names)
}

/// When inserted records were created: now, or (for loads of history) each its own time.
#[derive(Clone, Copy)]
pub(crate) enum Timing<'a> {
    Now(DateTime<Utc>),
    Each(&'a [DateTime<Utc>]),
}

/// Inserts validated records with their index rows. Shared by single creates and bulk loads.
/// Checks the links of new records and inserts them, stamped now (imports).
pub(crate) async fn insert_checked<R: RecordData>(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(Uuid, R)],
    defs: &[CustomFieldDef],
    known_terms: &mut HashSet<String>,
) -> Result<(), StoreError> {
    let records: Vec<&R> = items.iter().map(|(_, r)| r).collect();
    check_all_references(tx, &records).await?;
    insert_records(tx, actor, items, defs, known_terms, Timing::Now(now())).await
}

pub(crate) async fn insert_records<R: RecordData>(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(Uuid, R)],
    defs: &[CustomFieldDef],
    known_terms: &mut HashSet<String>,
    at: Timing<'_>,
) -> Result<(), StoreError> {
    let Some((_, first)) = items.first() else {
        return Ok(());
    };
    let mut columns = vec![
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "data",
        "sort_name",
        "sort_key",
    ];
    columns.extend(first.index_values().iter().map(|(c, _)| *c));
    let mut rows = Vec::with_capacity(items.len());
    for (i, (id, data)) in items.iter().enumerate() {
        let when = match at {
            Timing::Now(t) => t,
            Timing::Each(times) => times.get(i).copied().unwrap_or_else(now),
        };
        let mut row: Vec<sea_query::Value> = vec![
            (*id).into(),
            1i64.into(),
            when.into(),
            when.into(),
            actor.user_id.into(),
            actor.user_id.into(),
            serde_json::to_string(data)?.into(),
            data.sort_name().into(),
            data.sort_key().into(),
        ];
        row.extend(data.index_values().iter().map(|(_, v)| index_value(v)));
        rows.push(row);
    }
    insert_rows(tx, R::ENTITY.table(), &columns, rows.into_iter(), false).await?;
    let org_names = organization_names(tx, items.iter().map(|(_, d)| d.organization_id())).await?;
    let mut index = IndexRows::default();
    for (id, data) in items {
        index.add(id.to_owned(), data, &org_names, defs, known_terms);
    }
    index.write(tx).await
}

/// Rebuilds the search rows of an organisation's people after it was renamed.
async fn reindex_members(
    tx: &mut Tx,
    organization: Uuid,
    defs: &[CustomFieldDef],
) -> Result<(), StoreError> {
    let rows: Vec<RecordRow> = tx
        .all(
            select_records(Entity::Contact)
                .and_where(qcol("c", "organization_id").eq(organization)),
        )
        .await?;
    let org_names = organization_names(tx, [Some(organization)]).await?;
    let mut index = IndexRows::default();
    for row in rows {
        let r = decode::<kartei_core::contact::ContactData>(row)?;
        index.add(r.id, &r.data, &org_names, defs, &mut HashSet::new());
    }
    index.replace(tx).await
}

/// Rewrites the stored records that `condition` selects after a change made outside
/// them (a purged organisation, a deleted custom field): new data, a new version, fresh
/// index columns and rows. Returns the ids rewritten.
pub(crate) async fn rewrite<R: RecordData>(
    tx: &mut Tx,
    condition: SimpleExpr,
    defs: &[CustomFieldDef],
    change: impl Fn(Uuid, &mut R),
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<RecordRow> = tx
        .all(select_records(R::ENTITY).and_where(condition))
        .await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let mut record = decode::<R>(row)?;
        change(record.id, &mut record.data);
        let mut values: Vec<(Alias, SimpleExpr)> = vec![
            (name("version"), Expr::col(name("version")).add(1)),
            (name("updated_at"), now().into()),
            (name("data"), serde_json::to_string(&record.data)?.into()),
            (name("sort_name"), record.data.sort_name().into()),
            (name("sort_key"), record.data.sort_key().into()),
        ];
        values.extend(
            record
                .data
                .index_values()
                .iter()
                .map(|(c, v)| (name(c), index_value(v).into())),
        );
        tx.execute(
            Query::update()
                .table(name(R::ENTITY.table()))
                .values(values)
                .and_where(Expr::col(name("id")).eq(record.id)),
        )
        .await?;
        records.push(record);
    }
    let org_names =
        organization_names(tx, records.iter().map(|r| r.data.organization_id())).await?;
    let mut index = IndexRows::default();
    for r in &records {
        index.add(r.id, &r.data, &org_names, defs, &mut HashSet::new());
    }
    index.replace(tx).await?;
    Ok(records.into_iter().map(|r| r.id).collect())
}

impl Store {
    /// The next 5,000 live contacts after `after` by id, as stored documents: for passes
    /// over the whole table (duplicate scan, quality audit) that keep no transaction open.
    pub(crate) async fn contact_documents(
        &self,
        after: Option<Uuid>,
    ) -> Result<Vec<(Uuid, String)>, StoreError> {
        let mut q = Query::select();
        q.columns([name("id"), name("data")])
            .from(name("contacts"))
            .and_where(Expr::col(name("deleted_at")).is_null())
            .order_by(name("id"), sea_query::Order::Asc)
            .limit(5000);
        if let Some(id) = after {
            q.and_where(Expr::col(name("id")).gt(id));
        }
        let mut tx = self.db.read().await?;
        tx.all(&q).await
    }

    /// Display names of organisations by id (for exports and lists of people).
    pub async fn organization_display_names(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, StoreError> {
        self.display_names::<kartei_core::organization::OrganizationData>(ids)
            .await
    }

    /// The names of whatever the ids are: records of any kind (trashed ones too) and
    /// users, for a history that shows names instead of ids. One query per kind.
    pub async fn names_of(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, StoreError> {
        let mut names = HashMap::new();
        if ids.is_empty() {
            return Ok(names);
        }
        macro_rules! each_kind {
            ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
                $(names.extend(self.display_names::<$data>(ids).await?);)*
            };
        }
        kartei_core::with_record_kinds!(each_kind);
        for user in self.users().await? {
            if ids.contains(&user.id) {
                names.insert(user.id, user.name);
            }
        }
        Ok(names)
    }

    /// How the records with `ids` are named (trashed ones too), in a few queries.
    pub async fn display_names<R: RecordData>(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, StoreError> {
        let mut names = HashMap::new();
        let mut tx = self.db.read().await?;
        for chunk in ids.chunks(crate::sql::chunk_size(1)) {
            let rows: Vec<(Uuid, String)> = tx
                .all(
                    Query::select()
                        .columns([name("id"), name("data")])
                        .from(name(R::ENTITY.table()))
                        .and_where(Expr::col(name("id")).is_in(chunk.iter().copied())),
                )
                .await?;
            for (id, data) in rows {
                let record: R = serde_json::from_str(&data)?;
                names.insert(id, record.display_name());
            }
        }
        Ok(names)
    }
}
