//! Schema migrations, embedded in the binary, one set per dialect.

use crate::db::{Db, Dialect, Tx};
use crate::error::StoreError;
use sea_query::{Alias, Expr, Query};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "match_keys",
        sqlite: include_str!("../migrations/sqlite/0002_match_keys.sql"),
        postgres: include_str!("../migrations/postgres/0002_match_keys.sql"),
    },
    Migration {
        version: 3,
        name: "saved_views",
        sqlite: include_str!("../migrations/sqlite/0003_saved_views.sql"),
        postgres: include_str!("../migrations/postgres/0003_saved_views.sql"),
    },
    Migration {
        version: 4,
        name: "history",
        sqlite: include_str!("../migrations/sqlite/0004_history.sql"),
        postgres: include_str!("../migrations/postgres/0004_history.sql"),
    },
    Migration {
        version: 5,
        name: "external_id",
        sqlite: include_str!("../migrations/sqlite/0005_external_id.sql"),
        postgres: include_str!("../migrations/postgres/0005_external_id.sql"),
    },
    Migration {
        version: 6,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0006_imports.sql"),
        postgres: include_str!("../migrations/postgres/0006_imports.sql"),
    },
    Migration {
        version: 7,
        name: "merges",
        sqlite: include_str!("../migrations/sqlite/0007_merges.sql"),
        postgres: include_str!("../migrations/postgres/0007_merges.sql"),
    },
    Migration {
        version: 8,
        name: "import_uploads",
        sqlite: include_str!("../migrations/sqlite/0008_import_uploads.sql"),
        postgres: include_str!("../migrations/postgres/0008_import_uploads.sql"),
    },
    Migration {
        version: 9,
        name: "record_links",
        sqlite: include_str!("../migrations/sqlite/0009_record_links.sql"),
        postgres: include_str!("../migrations/postgres/0009_record_links.sql"),
    },
    Migration {
        version: 10,
        name: "customer_number",
        sqlite: include_str!("../migrations/sqlite/0010_customer_number.sql"),
        postgres: include_str!("../migrations/postgres/0010_customer_number.sql"),
    },
    Migration {
        version: 11,
        name: "quality_reports",
        sqlite: include_str!("../migrations/sqlite/0011_quality_reports.sql"),
        postgres: include_str!("../migrations/postgres/0011_quality_reports.sql"),
    },
    Migration {
        version: 12,
        name: "audit_import",
        sqlite: include_str!("../migrations/sqlite/0012_audit_import.sql"),
        postgres: include_str!("../migrations/postgres/0012_audit_import.sql"),
    },
    Migration {
        version: 13,
        name: "sort_keys",
        sqlite: include_str!("../migrations/sqlite/0013_sort_keys.sql"),
        postgres: include_str!("../migrations/postgres/0013_sort_keys.sql"),
    },
    Migration {
        version: 14,
        name: "search_tiers",
        sqlite: include_str!("../migrations/sqlite/0014_search_tiers.sql"),
        postgres: include_str!("../migrations/postgres/0014_search_tiers.sql"),
    },
    Migration {
        version: 15,
        name: "server_presence",
        sqlite: include_str!("../migrations/sqlite/0015_server_presence.sql"),
        postgres: include_str!("../migrations/postgres/0015_server_presence.sql"),
    },
    Migration {
        version: 16,
        name: "match_keys_v2",
        sqlite: include_str!("../migrations/sqlite/0016_match_keys_v2.sql"),
        postgres: include_str!("../migrations/postgres/0016_match_keys_v2.sql"),
    },
    Migration {
        version: 17,
        name: "consents",
        sqlite: include_str!("../migrations/sqlite/0017_consents.sql"),
        postgres: include_str!("../migrations/postgres/0017_consents.sql"),
    },
    Migration {
        version: 18,
        name: "audit_chain",
        sqlite: include_str!("../migrations/sqlite/0018_audit_chain.sql"),
        postgres: include_str!("../migrations/postgres/0018_audit_chain.sql"),
    },
];

/// Applies every migration not yet applied, each in its own transaction, and recreates
/// indexes an interrupted bulk load left deferred. Returns the versions applied.
pub async fn migrate(db: &Db) -> Result<Vec<i64>, StoreError> {
    let mut applied_now = Vec::new();
    let mut tx = db.write().await?;
    if tx.dialect() == Dialect::Postgres {
        // Two servers starting at once must not both migrate.
        tx.raw("SELECT pg_advisory_xact_lock(7247001)").await?;
    }
    tx.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY NOT NULL, name TEXT NOT NULL)")
        .await?;
    let done: Vec<(i64,)> = tx
        .all(
            Query::select()
                .column(Alias::new("version"))
                .from(Alias::new("schema_migrations")),
        )
        .await?;
    for m in MIGRATIONS {
        if done.iter().any(|(v,)| *v == m.version) {
            continue;
        }
        let sql = match tx.dialect() {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        tx.raw(sql).await?;
        tx.execute(
            Query::insert()
                .into_table(Alias::new("schema_migrations"))
                .columns([Alias::new("version"), Alias::new("name")])
                .values_panic([m.version.into(), m.name.into()]),
        )
        .await?;
        applied_now.push(m.version);
    }
    tx.commit().await?;
    restore_deferred_indexes(db).await?;
    if (applied_now.contains(&2) || applied_now.contains(&16)) && !applied_now.contains(&1) {
        // Keys are computed in Rust (Kölner Phonetik), so SQL cannot fill the new table.
        backfill_match_keys(db).await?;
    }
    if applied_now.contains(&9) && !applied_now.contains(&1) {
        backfill_record_links(db).await?;
    }
    if applied_now.contains(&13) && !applied_now.contains(&1) {
        backfill_sort_keys(db).await?;
    }
    if applied_now.contains(&14) && !applied_now.contains(&1) {
        backfill_search_tiers(db).await?;
    }
    Ok(applied_now)
}

/// Recreates indexes dropped for a bulk load that did not finish.
pub async fn restore_deferred_indexes(db: &Db) -> Result<(), StoreError> {
    let mut tx = db.write().await?;
    let pending: Vec<(String, String)> = tx
        .all(
            Query::select()
                .columns([Alias::new("name"), Alias::new("definition")])
                .from(Alias::new("deferred_indexes")),
        )
        .await?;
    if !pending.is_empty() {
        tracing::info!(count = pending.len(), "building deferred indexes");
    }
    if tx.dialect() == Dialect::Postgres {
        tx.raw("SET LOCAL maintenance_work_mem = '512MB'").await?;
    }
    for (name, definition) in pending {
        let idempotent = definition
            .replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
            .replacen(
                "CREATE UNIQUE INDEX ",
                "CREATE UNIQUE INDEX IF NOT EXISTS ",
                1,
            );
        tx.raw(&idempotent).await?;
        tx.execute(
            Query::delete()
                .from_table(Alias::new("deferred_indexes"))
                .and_where(Expr::col(Alias::new("name")).eq(name)),
        )
        .await?;
    }
    tx.commit().await
}

/// Indexes a bulk load keeps: an import looks up the organisations its rows name,
/// chunk by chunk, among those it created itself. Indexes that lead with `record_id`
/// stay as well (see [`kept_during_loads`]).
const KEPT_DURING_LOADS: &[&str] = &["organizations_sort_name"];

/// Whether a bulk load keeps an index: the named ones, and every index that leads with
/// `record_id`, which the updates of a re-import look their rows up by (search
/// tokens, custom values, tags, match keys, history). Ids are time-ordered, so new
/// rows land at the end of these indexes and keeping them costs little.
fn kept_during_loads(name: &str, definition: &str) -> bool {
    KEPT_DURING_LOADS.contains(&name) || definition.replace(' ', "").contains("(record_id")
}

/// Drops the secondary indexes of `tables` before a bulk load, remembering their
/// definitions in the same transaction so that a crash cannot lose them.
pub async fn defer_indexes(db: &Db, tables: &[&str]) -> Result<usize, StoreError> {
    let mut tx = db.write().await?;
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(",");
    let definitions: Vec<(String, String)> = match tx.dialect() {
        Dialect::Sqlite => {
            fetch_raw(
                &mut tx,
                &format!("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({list})"),
            )
            .await?
        }
        Dialect::Postgres => {
            fetch_raw(
                &mut tx,
                &format!(
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                     AND tablename IN ({list}) AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'"
                ),
            )
            .await?
        }
    };
    // The indexes an import's own lookups use stay: without them every chunk of a
    // large import would read whole tables.
    let definitions: Vec<(String, String)> = definitions
        .into_iter()
        .filter(|(name, definition)| !kept_during_loads(name, definition))
        .collect();
    for (name, definition) in &definitions {
        tx.execute(
            Query::insert()
                .into_table(Alias::new("deferred_indexes"))
                .columns([Alias::new("name"), Alias::new("definition")])
                .values_panic([name.clone().into(), definition.clone().into()]),
        )
        .await?;
        tx.raw(&format!("DROP INDEX {name}")).await?;
    }
    tx.commit().await?;
    Ok(definitions.len())
}

/// Catalog queries differ per dialect; they are the only raw SELECTs outside search.
async fn fetch_raw(tx: &mut Tx, sql: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(match tx {
        Tx::Sqlite(t) => sqlx::query_as(sql).fetch_all(&mut **t).await?,
        Tx::Postgres(t) => sqlx::query_as(sql).fetch_all(&mut **t).await?,
    })
}

/// Tables and their columns as the database reports them, for the schema twin test.
pub async fn describe_schema(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    let mut tx = db.read().await?;
    let sql = match tx.dialect() {
        Dialect::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
        }
        Dialect::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY 1, 2"
        }
    };
    fetch_raw(&mut tx, sql).await
}

/// Records the contact links of records stored before migration 9.
async fn backfill_record_links(db: &Db) -> Result<(), StoreError> {
    for entity in crate::merge::attached() {
        backfill(
            db,
            entity,
            "record_links",
            &["contact_id", "record_id"],
            |id, data| {
                Ok(crate::records::linked_contacts(entity, data)?
                    .into_iter()
                    .map(|contact| vec![contact.into(), id.into()])
                    .collect())
            },
        )
        .await?;
    }
    Ok(())
}

/// Computes the name sort keys of records stored before migration 13, in their tables
/// and in the search index.
async fn backfill_sort_keys(db: &Db) -> Result<(), StoreError> {
    update_each_record(db, |entity, id, record| {
        let key = record.sort_key();
        Ok([(entity.table(), "id"), ("search_tokens", "record_id")]
            .map(|(table, column)| {
                Query::update()
                    .table(Alias::new(table))
                    .value(Alias::new("sort_key"), key.clone())
                    .and_where(Expr::col(Alias::new(column)).eq(id))
                    .to_owned()
            })
            .to_vec())
    })
    .await?;
    tracing::info!("sort keys of existing records computed");
    Ok(())
}

/// Marks the words of their own names in the search tokens of records stored before
/// migration 14.
async fn backfill_search_tiers(db: &Db) -> Result<(), StoreError> {
    update_each_record(db, |_, id, record| {
        let names = record.name_tokens();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Query::update()
            .table(Alias::new("search_tokens"))
            .value(Alias::new("tier"), 0)
            .and_where(Expr::col(Alias::new("record_id")).eq(id))
            .and_where(Expr::col(Alias::new("token")).is_in(names))
            .to_owned()])
    })
    .await?;
    tracing::info!("search tiers of existing records marked");
    Ok(())
}

/// Runs the updates `updates` gives for every stored record of every kind, 5,000
/// records per transaction.
async fn update_each_record(
    db: &Db,
    updates: impl Fn(
        kartei_core::record::Entity,
        uuid::Uuid,
        &dyn crate::records::AnyRecord,
    ) -> Result<Vec<sea_query::UpdateStatement>, StoreError>,
) -> Result<(), StoreError> {
    for entity in kartei_core::record::Entity::ALL {
        let mut pages = RecordPages::new(entity);
        loop {
            let mut tx = db.write().await?;
            let Some(records) = pages.next(&mut tx).await? else {
                break;
            };
            for (id, .., data) in &records {
                let record = crate::records::decode_any(entity, data)?;
                for update in updates(entity, *id, record.as_ref())? {
                    tx.execute(&update).await?;
                }
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Computes the duplicate-detection keys of contacts stored before migration 2.
async fn backfill_match_keys(db: &Db) -> Result<(), StoreError> {
    use kartei_core::contact::ContactData;
    use kartei_core::record::{Entity, RecordData};
    backfill(
        db,
        Entity::Contact,
        "match_keys",
        &["key", "record_id"],
        |id, data| {
            Ok(serde_json::from_str::<ContactData>(data)?
                .match_keys()
                .into_iter()
                .map(|k| vec![k.into(), id.into()])
                .collect())
        },
    )
    .await
}

/// The stored records of a kind (trashed ones too), 5,000 at a time in id order: the
/// pages of a backfill, each written in a transaction of its own.
struct RecordPages {
    entity: kartei_core::record::Entity,
    after: Option<uuid::Uuid>,
}

impl RecordPages {
    fn new(entity: kartei_core::record::Entity) -> RecordPages {
        RecordPages {
            entity,
            after: None,
        }
    }

    async fn next(
        &mut self,
        tx: &mut Tx,
    ) -> Result<Option<Vec<crate::records::RecordRow>>, StoreError> {
        let mut q = crate::records::select_records(self.entity);
        q.order_by((Alias::new("c"), Alias::new("id")), sea_query::Order::Asc)
            .limit(5000);
        if let Some(id) = self.after {
            q.and_where(crate::sql::qcol("c", "id").gt(id));
        }
        let records: Vec<crate::records::RecordRow> = tx.all(&q).await?;
        self.after = records.last().map(|r| r.0);
        Ok((!records.is_empty()).then_some(records))
    }
}

/// Fills a table derived from stored records (those computed in Rust, which SQL cannot
/// fill), 5,000 records per transaction: `rows` gives each record's rows.
async fn backfill(
    db: &Db,
    entity: kartei_core::record::Entity,
    table: &str,
    columns: &[&str],
    rows: impl Fn(uuid::Uuid, &str) -> Result<Vec<Vec<sea_query::Value>>, StoreError>,
) -> Result<(), StoreError> {
    let mut pages = RecordPages::new(entity);
    loop {
        let mut tx = db.write().await?;
        let Some(records) = pages.next(&mut tx).await? else {
            break;
        };
        let mut derived = Vec::new();
        for (id, .., data) in &records {
            derived.extend(rows(*id, data)?);
        }
        crate::index::insert_rows(&mut tx, table, columns, derived.into_iter(), false).await?;
        tx.commit().await?;
    }
    tracing::info!("{table} of {} filled in", entity.table());
    Ok(())
}
