//! The rows derived from a record for search and custom-field filters.

use crate::db::Tx;
use crate::error::StoreError;
use crate::sql::{chunk_size, name};
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::fuzzy::deletion_variants;
use kartei_core::record::RecordData;
use sea_query::{Expr, Query, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Tables of rows derived from one record, keyed by `record_id`.
pub(crate) const DERIVED_TABLES: [&str; 4] = [
    "search_tokens",
    "custom_values",
    "match_keys",
    "record_links",
];

/// Derived rows of a batch of records, written in a few multi-row statements.
#[derive(Default)]
pub(crate) struct IndexRows {
    /// (tier, token, sort key, record).
    tokens: Vec<(i16, String, String, Uuid)>,
    variants: Vec<(String, String)>,
    custom: Vec<(Uuid, String, Uuid)>,
    match_keys: Vec<(String, Uuid)>,
    /// (contact, record) for every contact a record links.
    links: Vec<(Uuid, Uuid)>,
    record_ids: Vec<Uuid>,
}

impl IndexRows {
    /// Adds the rows of one record. `known_terms` skips fuzzy terms already written in
    /// this batch run (a bulk load sees the same surnames again and again).
    pub fn add<R: RecordData>(
        &mut self,
        id: Uuid,
        data: &R,
        organization_names: &HashMap<Uuid, String>,
        defs: &[CustomFieldDef],
        known_terms: &mut HashSet<String>,
    ) {
        let org_name = data
            .organization_id()
            .and_then(|o| organization_names.get(&o))
            .map(String::as_str);
        let keys = data.search_keys(org_name);
        let sort_key = data.sort_key();
        for token in &keys.tokens {
            self.tokens
                .push((keys.tier(token), token.clone(), sort_key.clone(), id));
        }
        for term in keys.terms {
            if known_terms.insert(term.clone()) {
                for v in deletion_variants(&term) {
                    self.variants.push((v, term.clone()));
                }
            }
        }
        for (key, value) in data.custom() {
            if let Some(def) = defs.iter().find(|d| d.entity == R::ENTITY && &d.key == key) {
                for k in def.index_keys(value) {
                    self.custom.push((def.id, k, id));
                }
            }
        }
        self.match_keys
            .extend(data.match_keys().into_iter().map(|k| (k, id)));
        self.links.extend(
            crate::records::contacts_of(data.references())
                .into_iter()
                .map(|c| (c, id)),
        );
        self.record_ids.push(id);
    }

    /// Removes the old derived rows of the records (for updates), then writes the new ones.
    pub async fn replace(self, tx: &mut Tx) -> Result<(), StoreError> {
        for ids in self.record_ids.chunks(chunk_size(1)) {
            for table in DERIVED_TABLES {
                tx.execute(
                    Query::delete()
                        .from_table(name(table))
                        .and_where(Expr::col(name("record_id")).is_in(ids.iter().copied())),
                )
                .await?;
            }
        }
        self.write(tx).await
    }

    pub async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        insert_rows(
            tx,
            "search_tokens",
            &["tier", "token", "sort_key", "record_id"],
            self.tokens
                .into_iter()
                .map(|(tier, t, s, id)| vec![tier.into(), t.into(), s.into(), id.into()]),
            false,
        )
        .await?;
        insert_rows(
            tx,
            "term_variants",
            &["variant", "term"],
            self.variants
                .into_iter()
                .map(|(v, t)| vec![v.into(), t.into()]),
            true,
        )
        .await?;
        insert_rows(
            tx,
            "match_keys",
            &["key", "record_id"],
            self.match_keys
                .into_iter()
                .map(|(k, id)| vec![k.into(), id.into()]),
            false,
        )
        .await?;
        insert_rows(
            tx,
            "record_links",
            &["contact_id", "record_id"],
            self.links
                .into_iter()
                .map(|(c, id)| vec![c.into(), id.into()]),
            false,
        )
        .await?;
        insert_rows(
            tx,
            "custom_values",
            &["field_id", "value", "record_id"],
            self.custom
                .into_iter()
                .map(|(f, v, id)| vec![f.into(), v.into(), id.into()]),
            false,
        )
        .await
    }
}

/// Inserts rows in chunks; `ignore_duplicates` skips rows a unique index already holds.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = Vec<Value>>,
    ignore_duplicates: bool,
) -> Result<(), StoreError> {
    let per_chunk = chunk_size(columns.len());
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut values = Vec::with_capacity(per_chunk * columns.len());
        for row in rows.by_ref().take(per_chunk) {
            if row.len() != columns.len() {
                return Err(StoreError::Corrupt(format!(
                    "{table}: {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            values.extend(row);
        }
        tx.insert_values(table, columns, values, ignore_duplicates)
            .await?;
    }
    Ok(())
}
