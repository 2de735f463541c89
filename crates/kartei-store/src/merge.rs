//! Merging two contacts. The survivor takes in the other contact's data (the fields the
//! user chose, its gaps filled, e-mails, phones and addresses combined), and everything
//! attached to the other contact moves over: the records that link it (the kinds in
//! [`attached`]), tags, loyalty bookings and its audit history. The other contact goes
//! to the trash. One transaction; a merge can be undone as long as nothing involved has
//! changed since.

use crate::db::Tx;
use crate::error::StoreError;
use crate::records::{delete_in, rewrite, select_records, RecordRow};
use crate::sql::{name, qcol};
use crate::trash::restore_in;
use crate::{audit, now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::contact::ContactData;
use kartei_core::contact_merge::merged;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::record::{Entity, RecordData};
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The kinds whose records link contacts; a merge moves them to the survivor.
pub fn attached() -> impl Iterator<Item = Entity> {
    Entity::ALL.into_iter().filter(|e| e.links_contacts())
}

/// One merge, as listed and as returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merge {
    pub id: Uuid,
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub merged_name: String,
    pub merged_external_id: Option<String>,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    /// Records, tags, bookings and audit entries that moved.
    pub moved: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Moved {
    entity: String,
    id: Uuid,
    before: Value,
    /// The version the merge left the record at.
    version: i64,
}

/// What undoing needs.
#[derive(Debug, Serialize, Deserialize)]
struct Undo {
    survivor_before: Value,
    survivor_version: i64,
    records: Vec<Moved>,
    tags_added: Vec<Uuid>,
    ledger: Vec<Uuid>,
    /// Consent events that moved (merges from before the ledger have none).
    #[serde(default)]
    consents: Vec<Uuid>,
    audit: Vec<Uuid>,
}

type MergeRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    Option<String>,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
);
const COLUMNS: [&str; 9] = [
    "id",
    "survivor_id",
    "merged_id",
    "merged_name",
    "merged_external_id",
    "actor_name",
    "at",
    "undone_at",
    "moved",
];

fn decode(r: MergeRow) -> Merge {
    Merge {
        id: r.0,
        survivor_id: r.1,
        merged_id: r.2,
        merged_name: r.3,
        merged_external_id: r.4,
        actor_name: r.5,
        at: r.6,
        undone_at: r.7,
        moved: r.8,
    }
}

/// Which live or trashed records link `contact` (by their contact column, as meeting
/// attendee, as one of a deal's contacts): found through `record_links`.
fn linking(contact: Uuid) -> sea_query::SimpleExpr {
    qcol("c", "id").in_subquery(
        Query::select()
            .column(name("record_id"))
            .from(name("record_links"))
            .and_where(Expr::col(name("contact_id")).eq(contact))
            .to_owned(),
    )
}

/// Moves the records of `R` that link `from` over to `to`; returns them as they were.
async fn move_records<R: RecordData>(
    tx: &mut Tx,
    actor: &Actor,
    defs: &[CustomFieldDef],
    from: Uuid,
    to: Uuid,
) -> Result<Vec<Moved>, StoreError> {
    let mut q = select_records(R::ENTITY);
    q.and_where(linking(from));
    let rows: Vec<RecordRow> = tx.all(&q).await?;
    let mut moved = Vec::new();
    for (id, version, _, _, _, data) in rows {
        let mut record: R = serde_json::from_str(&data)?;
        if record.replace_contact(from, to) {
            moved.push(Moved {
                entity: R::ENTITY.as_str().to_string(),
                id,
                before: serde_json::from_str(&data)?,
                version: version + 1,
            });
        }
    }
    let ids: Vec<Uuid> = moved.iter().map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(moved);
    }
    rewrite::<R>(tx, qcol("c", "id").is_in(ids.clone()), defs, |_, r| {
        r.replace_contact(from, to);
    })
    .await?;
    for m in &moved {
        let after: R = {
            let mut r: R = serde_json::from_value(m.before.clone())?;
            r.replace_contact(from, to);
            r
        };
        let before: R = serde_json::from_value(m.before.clone())?;
        audit::append(
            tx,
            actor,
            R::ENTITY.as_str(),
            Some(m.id),
            "update",
            Some(&before.masked()),
            Some(&after.masked()),
        )
        .await?;
    }
    Ok(moved)
}

/// Puts records moved by a merge back as they were, if none changed since.
async fn restore_records<R: RecordData>(
    tx: &mut Tx,
    actor: &Actor,
    defs: &[CustomFieldDef],
    moved: &[&Moved],
) -> Result<(), StoreError> {
    if moved.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = moved.iter().map(|m| m.id).collect();
    let rows: Vec<(Uuid, i64)> = tx
        .all(
            Query::select()
                .columns([name("id"), name("version")])
                .from(name(R::ENTITY.table()))
                .and_where(Expr::col(name("id")).is_in(ids.clone())),
        )
        .await?;
    for m in moved {
        if !rows.iter().any(|(id, v)| *id == m.id && *v == m.version) {
            return Err(StoreError::field(
                R::ENTITY.as_str(),
                ErrorCode::ChangedSince,
            ));
        }
    }
    let befores: std::collections::HashMap<Uuid, R> = moved
        .iter()
        .map(|m| Ok((m.id, serde_json::from_value(m.before.clone())?)))
        .collect::<Result<_, StoreError>>()?;
    rewrite::<R>(tx, qcol("c", "id").is_in(ids), defs, |id, r| {
        if let Some(b) = befores.get(&id) {
            *r = b.clone();
        }
    })
    .await?;
    for m in moved {
        let before: R = serde_json::from_value(m.before.clone())?;
        audit::append(
            tx,
            actor,
            R::ENTITY.as_str(),
            Some(m.id),
            "update",
            None,
            Some(&before.masked()),
        )
        .await?;
    }
    Ok(())
}

/// A merge patch that turns `current` into `target`: fields `target` lacks are removed.
fn replacing(current: &Value, target: &Value) -> Value {
    match (current, target) {
        (Value::Object(c), Value::Object(t)) => {
            let mut patch = serde_json::Map::new();
            for (k, v) in t {
                patch.insert(
                    k.clone(),
                    match c.get(k) {
                        Some(cv) if cv.is_object() && v.is_object() => replacing(cv, v),
                        _ => v.clone(),
                    },
                );
            }
            for k in c.keys() {
                if !t.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            Value::Object(patch)
        }
        _ => target.clone(),
    }
}

async fn ids_where(
    tx: &mut Tx,
    table: &str,
    condition: sea_query::SimpleExpr,
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = tx
        .all(
            Query::select()
                .column(name("id"))
                .from(name(table))
                .and_where(condition),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

async fn set_column(
    tx: &mut Tx,
    table: &str,
    column: &str,
    to: Uuid,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        tx.execute(
            Query::update()
                .table(name(table))
                .values([(name(column), to.into())])
                .and_where(Expr::col(name("id")).is_in(chunk.to_vec())),
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// Merges contact `other` into `survivor`. `take_other` names the fields (see
    /// [`kartei_core::contact_merge::conflicts`]) where the other contact's value wins;
    /// `if_match` guards against merging over a change made meanwhile.
    pub async fn merge_contacts(
        &self,
        actor: &Actor,
        survivor: Uuid,
        other: Uuid,
        take_other: &BTreeSet<String>,
        if_match: Option<i64>,
    ) -> Result<Merge, StoreError> {
        if survivor == other {
            return Err(StoreError::field("other", ErrorCode::SameRecord));
        }
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let keep = crate::records::live::<ContactData>(&mut tx, survivor).await?;
        let gone = crate::records::live::<ContactData>(&mut tx, other).await?;
        let mut records = Vec::new();
        macro_rules! move_all {
            ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
                $(if <$data as RecordData>::LINKS_CONTACTS {
                    records.extend(
                        move_records::<$data>(&mut tx, actor, &defs, other, survivor).await?,
                    );
                })*
            };
        }
        kartei_core::with_record_kinds!(move_all);
        // Tags the survivor lacks.
        let tag_rows: Vec<(Uuid, Uuid)> = tx
            .all(
                Query::select()
                    .columns([name("tag_id"), name("record_id")])
                    .from(name("record_tags"))
                    .and_where(Expr::col(name("record_id")).is_in([survivor, other])),
            )
            .await?;
        let tags_added: Vec<Uuid> = tag_rows
            .iter()
            .filter(|(t, r)| *r == other && !tag_rows.contains(&(*t, survivor)))
            .map(|(t, _)| *t)
            .collect();
        for tag in &tags_added {
            tx.execute(
                Query::insert()
                    .into_table(name("record_tags"))
                    .columns([name("tag_id"), name("record_id")])
                    .values_panic([(*tag).into(), survivor.into()]),
            )
            .await?;
        }
        let ledger = ids_where(
            &mut tx,
            "loyalty_ledger",
            Expr::col(name("contact_id")).eq(other),
        )
        .await?;
        set_column(&mut tx, "loyalty_ledger", "contact_id", survivor, &ledger).await?;
        // Every consent event goes to the survivor; the later one decides the state.
        let consents = ids_where(
            &mut tx,
            "consent_events",
            Expr::col(name("contact_id")).eq(other),
        )
        .await?;
        set_column(&mut tx, "consent_events", "contact_id", survivor, &consents).await?;
        crate::consents::refresh_state(&mut tx, survivor).await?;
        crate::consents::refresh_state(&mut tx, other).await?;
        let audit_ids = ids_where(
            &mut tx,
            "audit_log",
            Expr::col(name("record_id"))
                .eq(other)
                .and(Expr::col(name("entity")).eq(Entity::Contact.as_str())),
        )
        .await?;
        set_column(&mut tx, "audit_log", "record_id", survivor, &audit_ids).await?;
        // The survivor's data, then the other contact to the trash.
        let before = serde_json::to_value(&keep.data)?;
        let after = serde_json::to_value(merged(&keep.data, &gone.data, take_other))?;
        let updated = self
            .update_in::<ContactData>(
                &mut tx,
                &defs,
                actor,
                survivor,
                if_match.or(Some(keep.version)),
                replacing(&before, &after),
            )
            .await?;
        delete_in(&mut tx, actor, Entity::Contact, other, None).await?;
        let merge = Merge {
            id: Uuid::now_v7(),
            survivor_id: survivor,
            merged_id: other,
            merged_name: gone.data.display_name(),
            merged_external_id: gone.data.external_id.clone(),
            actor_name: actor.name.clone(),
            at: now(),
            undone_at: None,
            moved: (records.len()
                + tags_added.len()
                + ledger.len()
                + consents.len()
                + audit_ids.len()) as i64,
        };
        let undo = Undo {
            survivor_before: before,
            survivor_version: updated.version,
            records,
            tags_added,
            ledger,
            consents,
            audit: audit_ids,
        };
        tx.execute(
            Query::insert()
                .into_table(name("merges"))
                .columns(COLUMNS.iter().map(|c| name(c)).chain([name("undo")]))
                .values_panic([
                    merge.id.into(),
                    merge.survivor_id.into(),
                    merge.merged_id.into(),
                    merge.merged_name.clone().into(),
                    merge.merged_external_id.clone().into(),
                    merge.actor_name.clone().into(),
                    merge.at.into(),
                    merge.undone_at.into(),
                    merge.moved.into(),
                    serde_json::to_string(&undo)?.into(),
                ]),
        )
        .await?;
        audit::append(
            &mut tx,
            actor,
            Entity::Contact.as_str(),
            Some(survivor),
            "merge",
            None,
            Some(&serde_json::json!({"merged_id": other, "merged_name": merge.merged_name})),
        )
        .await?;
        // The merged contact leaves the candidates of the last scan.
        tx.execute(
            Query::delete()
                .from_table(name("duplicate_candidates"))
                .cond_where(
                    Expr::col(name("a"))
                        .eq(other)
                        .or(Expr::col(name("b")).eq(other)),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(merge)
    }

    /// How many records of each attached kind (by [`Entity::as_str`]) name `contact` as
    /// their contact, and its loyalty bookings (as `loyalty`): what a merge would move.
    pub async fn attached_counts(&self, contact: Uuid) -> Result<Vec<(String, i64)>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut out = Vec::new();
        for entity in attached() {
            let (n,): (i64,) = tx
                .optional(
                    Query::select()
                        .expr(Expr::cust("COUNT(*)"))
                        .from(name(entity.table()))
                        .and_where(Expr::col(name("contact_id")).eq(contact))
                        .and_where(Expr::col(name("deleted_at")).is_null()),
                )
                .await?
                .unwrap_or((0,));
            out.push((entity.as_str().to_string(), n));
        }
        let (n,): (i64,) = tx
            .optional(
                Query::select()
                    .expr(Expr::cust("COUNT(*)"))
                    .from(name("loyalty_ledger"))
                    .and_where(Expr::col(name("contact_id")).eq(contact)),
            )
            .await?
            .unwrap_or((0,));
        out.push(("loyalty".to_string(), n));
        let (n,): (i64,) = tx
            .one(
                Query::select()
                    .expr(Expr::cust("COUNT(*)"))
                    .from(name("consent_events"))
                    .and_where(Expr::col(name("contact_id")).eq(contact)),
            )
            .await?;
        out.push(("consents".to_string(), n));
        Ok(out)
    }

    /// Merges, newest first: all, or those into one survivor.
    pub async fn merges(&self, survivor: Option<Uuid>) -> Result<Vec<Merge>, StoreError> {
        let mut q = Query::select();
        q.columns(COLUMNS.map(name))
            .from(name("merges"))
            .order_by(name("at"), Order::Desc)
            .order_by(name("id"), Order::Desc)
            .limit(200);
        if let Some(id) = survivor {
            q.and_where(Expr::col(name("survivor_id")).eq(id));
        }
        let mut tx = self.db.read().await?;
        let rows: Vec<MergeRow> = tx.all(&q).await?;
        Ok(rows.into_iter().map(decode).collect())
    }

    /// The contacts merged contacts with these external ids live on in (for re-imports
    /// that match by external id).
    pub async fn merged_external_ids(
        &self,
        external_ids: &[String],
    ) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
        let mut found = std::collections::HashMap::new();
        let mut tx = self.db.read().await?;
        for chunk in external_ids.chunks(crate::sql::chunk_size(1)) {
            let rows: Vec<(String, Uuid)> = tx
                .all(
                    Query::select()
                        .column((name("m"), name("merged_external_id")))
                        .column((name("m"), name("survivor_id")))
                        .from_as(name("merges"), name("m"))
                        .inner_join(
                            name("contacts"),
                            Expr::col((name("contacts"), name("id")))
                                .equals((name("m"), name("survivor_id"))),
                        )
                        .and_where(
                            Expr::col((name("m"), name("merged_external_id")))
                                .is_in(chunk.iter().cloned()),
                        )
                        .and_where(Expr::col((name("m"), name("undone_at"))).is_null())
                        .and_where(Expr::col((name("contacts"), name("deleted_at"))).is_null())
                        .order_by((name("m"), name("at")), Order::Desc),
                )
                .await?;
            for (x, id) in rows {
                found.entry(x).or_insert(id);
            }
        }
        Ok(found)
    }

    /// Takes a merge back: the merged contact returns from the trash with its records,
    /// tags, bookings and history, and the survivor gets its data from before. Refused
    /// when the survivor or a moved record changed since.
    pub async fn undo_merge(&self, actor: &Actor, id: Uuid) -> Result<Merge, StoreError> {
        let defs = self.custom_fields(None).await?;
        let mut tx = self.db.write().await?;
        let row: Option<MergeRow> = tx
            .optional(
                Query::select()
                    .columns(COLUMNS.map(name))
                    .from(name("merges"))
                    .and_where(Expr::col(name("id")).eq(id)),
            )
            .await?;
        let merge = decode(row.ok_or(StoreError::NotFound)?);
        let (undo,): (String,) = tx
            .optional(
                Query::select()
                    .column(name("undo"))
                    .from(name("merges"))
                    .and_where(Expr::col(name("id")).eq(id)),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let undo: Undo = serde_json::from_str(&undo)?;
        if merge.undone_at.is_some() {
            return Err(StoreError::field("merge", ErrorCode::ChangedSince));
        }
        restore_in(&mut tx, actor, Entity::Contact, merge.merged_id).await?;
        let current = crate::records::live::<ContactData>(&mut tx, merge.survivor_id).await?;
        if current.version != undo.survivor_version {
            return Err(StoreError::field("survivor", ErrorCode::ChangedSince));
        }
        self.update_in::<ContactData>(
            &mut tx,
            &defs,
            actor,
            merge.survivor_id,
            Some(undo.survivor_version),
            replacing(&serde_json::to_value(&current.data)?, &undo.survivor_before),
        )
        .await?;
        let of = |e: Entity| -> Vec<&Moved> {
            undo.records
                .iter()
                .filter(|m| m.entity == e.as_str())
                .collect()
        };
        macro_rules! restore {
            ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
                $(if <$data as RecordData>::LINKS_CONTACTS {
                    restore_records::<$data>(&mut tx, actor, &defs, &of(Entity::$kind)).await?;
                })*
            };
        }
        kartei_core::with_record_kinds!(restore);
        if !undo.tags_added.is_empty() {
            tx.execute(
                Query::delete()
                    .from_table(name("record_tags"))
                    .and_where(Expr::col(name("record_id")).eq(merge.survivor_id))
                    .and_where(Expr::col(name("tag_id")).is_in(undo.tags_added.clone())),
            )
            .await?;
        }
        set_column(
            &mut tx,
            "loyalty_ledger",
            "contact_id",
            merge.merged_id,
            &undo.ledger,
        )
        .await?;
        set_column(
            &mut tx,
            "consent_events",
            "contact_id",
            merge.merged_id,
            &undo.consents,
        )
        .await?;
        crate::consents::refresh_state(&mut tx, merge.survivor_id).await?;
        crate::consents::refresh_state(&mut tx, merge.merged_id).await?;
        set_column(
            &mut tx,
            "audit_log",
            "record_id",
            merge.merged_id,
            &undo.audit,
        )
        .await?;
        let at = now();
        tx.execute(
            Query::update()
                .table(name("merges"))
                .values([(name("undone_at"), at.into())])
                .and_where(Expr::col(name("id")).eq(id)),
        )
        .await?;
        audit::append(
            &mut tx,
            actor,
            Entity::Contact.as_str(),
            Some(merge.survivor_id),
            "unmerge",
            None,
            Some(&serde_json::json!({"merged_id": merge.merged_id, "merged_name": merge.merged_name})),
        )
        .await?;
        tx.commit().await?;
        Ok(Merge {
            undone_at: Some(at),
            ..merge
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::records::linked_contacts;
    use kartei_core::record::Entity;

    /// Every kind that can link a contact moves to the survivor of a merge; a kind added
    /// later that links contacts but is missing here fails this walk of all kinds.
    #[test]
    fn every_kind_that_links_contacts_moves_in_a_merge() {
        let id = uuid::Uuid::now_v7();
        for entity in Entity::ALL {
            let links = ["contact_id", "contact_ids", "attendee_contact_ids"]
                .iter()
                .any(|field| {
                    let value = if field.ends_with("_ids") {
                        serde_json::json!([id])
                    } else {
                        serde_json::json!(id)
                    };
                    let doc = serde_json::json!({ *field: value }).to_string();
                    linked_contacts(entity, &doc).is_ok_and(|ids| ids == [id])
                });
            assert_eq!(
                entity.links_contacts(),
                links && entity != Entity::Contact,
                "{entity:?}"
            );
        }
    }
}
