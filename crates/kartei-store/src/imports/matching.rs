//! Finding what a row of an import refers to: contacts by a column or custom field,
//! organisations by name.

use super::*;
use crate::error::StoreError;
use crate::records::insert_checked;
use crate::sql::name;
use crate::{Actor, Store};
use kartei_core::organization::OrganizationData;
use kartei_core::record::{Entity, RecordData};
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

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
pub(super) enum Lookup {
    /// An index column of contacts (folded text).
    Column(&'static str),
    /// Every e-mail address of a contact, not only the first, by its mailbox (the
    /// duplicate finder's key: lower case, without `+tag`).
    Mailbox,
    /// A custom field's value index.
    Custom(kartei_core::custom_field::CustomFieldDef),
}

impl Store {
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
}
