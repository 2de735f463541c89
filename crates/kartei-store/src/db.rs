//! The two backends behind one type. Statements are built once with sea-query and
//! rendered for the dialect here; rows decode into the same structs on both.

use crate::error::StoreError;
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_binder::SqlxBinder;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{FromRow, Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A row type that decodes from both databases.
pub trait AnyRow:
    Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{
}
impl<T> AnyRow for T where
    T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{
}

tokio::task_local! {
    static DEADLINE: Deadline;
}

/// The time by which the reads of one request must be done, and whether its client is
/// still waiting for them.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Instant,
    gone: Arc<AtomicBool>,
}

impl Deadline {
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + limit,
            gone: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn passed(&self) -> bool {
        self.gone.load(Ordering::Relaxed) || Instant::now() >= self.at
    }

    fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Runs `work` (a request's handler) with this deadline on its reads. When `work`
    /// is dropped before it ends (the client went away), its running query stops too.
    pub async fn scope<F: std::future::Future>(self, work: F) -> F::Output {
        /// Marks the client gone when the request's future ends or is dropped.
        struct Gone(Arc<AtomicBool>);
        impl Drop for Gone {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _gone = Gone(self.gone.clone());
        DEADLINE.scope(self, work).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens `url`: `postgres://…` for PostgreSQL, else an SQLite file path or
    /// `sqlite://` URL. A missing SQLite file is created.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL is durable across application crashes; only a power
            // loss can drop the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A transaction that will write. SQLite takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so two writers queue instead of failing when the second upgrades.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => {
                let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
                // A write runs to its end; a read's handler left on the connection goes.
                tx.lock_handle().await?.remove_progress_handler();
                Tx::Sqlite(tx)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for consistent reads. Within [`Deadline::scope`] (a request) the
    /// database stops its queries once the deadline has passed or the client has gone:
    /// SQLite through a progress handler, PostgreSQL through `statement_timeout`.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let deadline = DEADLINE.try_with(Clone::clone).ok();
        if deadline.as_ref().is_some_and(Deadline::passed) {
            return Err(StoreError::Timeout);
        }
        Ok(match self {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let mut handle = tx.lock_handle().await?;
                match deadline {
                    Some(d) => handle.set_progress_handler(1000, move || !d.passed()),
                    None => handle.remove_progress_handler(),
                }
                drop(handle);
                Tx::Sqlite(tx)
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                if let Some(d) = deadline {
                    let ms = d.remaining().as_millis().clamp(1, 1 << 31);
                    sqlx::query(&format!("SET LOCAL statement_timeout = {ms}"))
                        .execute(&mut *tx)
                        .await?;
                }
                Tx::Postgres(tx)
            }
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! on_both {
    ($self:expr, $query:expr, |$sql:ident, $values:ident, $conn:ident| $body:expr) => {
        match $self {
            Tx::Sqlite(tx) => {
                let ($sql, $values) = $query.build_sqlx(SqliteQueryBuilder);
                let $conn = &mut **tx;
                $body
            }
            Tx::Postgres(tx) => {
                let ($sql, $values) = $query.build_sqlx(PostgresQueryBuilder);
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    pub async fn all<T: AnyRow>(&mut self, query: &impl SqlxBinder) -> Result<Vec<T>, StoreError> {
        Ok(on_both!(self, query, |sql, values, conn| {
            sqlx::query_as_with(&sql, values).fetch_all(conn).await?
        }))
    }

    pub async fn optional<T: AnyRow>(
        &mut self,
        query: &impl SqlxBinder,
    ) -> Result<Option<T>, StoreError> {
        Ok(on_both!(self, query, |sql, values, conn| {
            sqlx::query_as_with(&sql, values)
                .fetch_optional(conn)
                .await?
        }))
    }

    pub async fn one<T: AnyRow>(&mut self, query: &impl SqlxBinder) -> Result<T, StoreError> {
        Ok(on_both!(self, query, |sql, values, conn| {
            sqlx::query_as_with(&sql, values).fetch_one(conn).await?
        }))
    }

    /// Runs a statement and returns the number of rows it changed.
    pub async fn execute(&mut self, query: &impl SqlxBinder) -> Result<u64, StoreError> {
        Ok(on_both!(self, query, |sql, values, conn| sqlx::query_with(
            &sql, values
        )
        .execute(conn)
        .await?
        .rows_affected()))
    }

    /// `INSERT INTO table (columns) VALUES (…), (…)` of plain values, `rows` rows of
    /// `values.len() / rows` each. Written without the query builder: bulk loads insert
    /// millions of derived rows, and building each through expressions cost more than
    /// the database's own work for them.
    pub async fn insert_values(
        &mut self,
        table: &str,
        columns: &[&str],
        values: Vec<sea_query::Value>,
        ignore_duplicates: bool,
    ) -> Result<u64, StoreError> {
        let width = columns.len().max(1);
        let rows = values.len() / width;
        if rows == 0 {
            return Ok(0);
        }
        let dialect = self.dialect();
        let mut sql = String::with_capacity(64 + values.len() * 6);
        sql.push_str("INSERT INTO \"");
        sql.push_str(table);
        sql.push_str("\" (");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('"');
            sql.push_str(c);
            sql.push('"');
        }
        sql.push_str(") VALUES ");
        let mut n = 0usize;
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                match dialect {
                    Dialect::Sqlite => sql.push('?'),
                    Dialect::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        if ignore_duplicates {
            sql.push_str(" ON CONFLICT DO NOTHING");
        }
        let values = sea_query_binder::SqlxValues(sea_query::Values(values));
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(&sql, values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => sqlx::query_with(&sql, values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    /// `DELETE FROM table WHERE column = id`; returns the rows removed.
    pub async fn delete_where(
        &mut self,
        table: &str,
        column: &str,
        id: uuid::Uuid,
    ) -> Result<u64, StoreError> {
        self.execute(
            sea_query::Query::delete()
                .from_table(sea_query::Alias::new(table))
                .and_where(sea_query::Expr::col(sea_query::Alias::new(column)).eq(id)),
        )
        .await
    }

    /// Runs SQL text without parameters (DDL, dialect-specific maintenance).
    pub async fn raw(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => sqlx::raw_sql(sql).execute(&mut **tx).await.map(drop)?,
            Tx::Postgres(tx) => sqlx::raw_sql(sql).execute(&mut **tx).await.map(drop)?,
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
