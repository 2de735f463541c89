//! Fresh stores for tests: a new SQLite file or a new PostgreSQL database per test,
//! both real. PostgreSQL comes from `KARTEI_TEST_POSTGRES_URL`, which `scripts/test` sets.

use crate::{Db, Store};
use std::path::PathBuf;
use uuid::Uuid;

/// Removes the test's SQLite files (or PostgreSQL database) when dropped.
pub struct Scratch {
    sqlite: Option<PathBuf>,
    postgres: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some((admin_url, db)) = self.postgres.take() {
            // Dropped from a fresh thread: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let admin = Db::connect(&admin_url).await.ok()?;
                    if let Db::Postgres(pool) = &admin {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                            .execute(pool)
                            .await;
                    }
                    admin.close().await;
                    Some(())
                })
            })
            .join();
        }
    }
}

pub fn sqlite_url() -> (String, Scratch) {
    let path = std::env::temp_dir().join(format!("kartei-test-{}.db", Uuid::now_v7().simple()));
    (
        path.display().to_string(),
        Scratch {
            sqlite: Some(path),
            postgres: None,
        },
    )
}

/// Creates an empty PostgreSQL database and returns its URL.
pub async fn postgres_url() -> (String, Scratch) {
    let admin_url = std::env::var("KARTEI_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("KARTEI_TEST_POSTGRES_URL is not set: run the tests through scripts/test, which starts PostgreSQL")
    });
    let db = format!("kartei_test_{}", Uuid::now_v7().simple());
    let admin = Db::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
    if let Db::Postgres(pool) = &admin {
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(pool)
            .await
            .expect("create test database");
    }
    admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b)
        .to_string();
    (
        format!("{base}/{db}"),
        Scratch {
            sqlite: None,
            postgres: Some((admin_url, db)),
        },
    )
}

pub async fn sqlite_store() -> (Store, Scratch) {
    let (url, scratch) = sqlite_url();
    (
        Store::open(&url, "DE").await.expect("open SQLite store"),
        scratch,
    )
}

pub async fn postgres_store() -> (Store, Scratch) {
    let (url, scratch) = postgres_url().await;
    (
        Store::open(&url, "DE")
            .await
            .expect("open PostgreSQL store"),
        scratch,
    )
}

/// Runs one async test story against both databases:
/// `both_databases!(story_name);` where `async fn story_name(store: Store)`.
#[macro_export]
macro_rules! both_databases {
    ($story:ident) => {
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _scratch) = $crate::testing::sqlite_store().await;
                super::$story(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, _scratch) = $crate::testing::postgres_store().await;
                super::$story(store).await;
            }
        }
    };
}

/// A read that takes long on both databases (a recursive count to `n`), for stories
/// about request deadlines.
pub async fn slow_count(store: &Store, n: i64) -> Result<i64, crate::StoreError> {
    let sql = format!(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
         SELECT count(*) FROM c"
    );
    let mut tx = store.db.read().await?;
    let count: i64 = match &mut tx {
        crate::db::Tx::Sqlite(t) => sqlx::query_scalar(&sql).fetch_one(&mut **t).await?,
        crate::db::Tx::Postgres(t) => sqlx::query_scalar(&sql).fetch_one(&mut **t).await?,
    };
    Ok(count)
}

/// Runs SQL text against the store's database: for stories that tamper with it as an
/// intruder with file or database access would.
pub async fn execute_sql(store: &Store, sql: &str) -> Result<(), crate::StoreError> {
    let mut tx = store.db.write().await?;
    tx.raw(sql).await?;
    tx.commit().await
}

/// The first column of the first row of SQL text as a number (a count), for stories
/// that check what a table holds.
pub async fn count_sql(store: &Store, sql: &str) -> Result<i64, crate::StoreError> {
    let mut tx = store.db.read().await?;
    let n: i64 = match &mut tx {
        crate::db::Tx::Sqlite(t) => sqlx::query_scalar(sql).fetch_one(&mut **t).await?,
        crate::db::Tx::Postgres(t) => sqlx::query_scalar(sql).fetch_one(&mut **t).await?,
    };
    Ok(n)
}
