//! The audit log as a hash chain, so that a changed, removed or inserted entry shows.
//!
//! Each entry's hash covers its place (`seq`), id, time, actor, kind, the record it was
//! written about (`subject_id`), action, import, a hash of its before/after values and
//! the previous entry's hash. The before/after values count through their own hash, so
//! that erasing personal data from them can keep the chain (the content hash stays).
//! Appends take their place one at a time: SQLite has one writer; PostgreSQL takes a
//! transaction lock before reading the last entry.

use crate::db::{Dialect, Tx};
use crate::error::StoreError;
use crate::sql::name;
use crate::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_query::{Expr, Order, Query};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What an entry's hash covers, besides the previous hash.
pub(crate) struct Link<'a> {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: &'a str,
    pub entity: &'a str,
    pub subject_id: Option<Uuid>,
    pub action: &'a str,
    pub import_id: Option<Uuid>,
    pub content_hash: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of an entry's before/after values as stored.
pub(crate) fn content_hash(before: Option<&str>, after: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [before, after] {
        match part {
            Some(text) => {
                h.update(b"1");
                h.update((text.len() as u64).to_be_bytes());
                h.update(text.as_bytes());
            }
            None => h.update(b"0"),
        }
    }
    hex(&h.finalize())
}

impl Link<'_> {
    pub(crate) fn hash(&self, prev: &str) -> String {
        let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
        let fields = [
            self.seq.to_string(),
            self.id.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            opt(self.actor_id),
            self.actor_name.to_string(),
            self.entity.to_string(),
            opt(self.subject_id),
            self.action.to_string(),
            opt(self.import_id),
            self.content_hash.to_string(),
            prev.to_string(),
        ];
        let mut h = Sha256::new();
        for f in fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// The place and previous hash for the next entry, holding the chain for this
/// transaction on PostgreSQL.
pub(crate) async fn next(tx: &mut Tx) -> Result<(i64, String), StoreError> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute(Query::select().expr(Expr::cust("pg_advisory_xact_lock(7247002)")))
            .await?;
    }
    let last: Option<(i64, String)> = tx
        .optional(
            Query::select()
                .columns(["seq", "hash"].map(name))
                .from(name("audit_log"))
                .and_where(Expr::col(name("seq")).is_not_null())
                .order_by(name("seq"), Order::Desc)
                .limit(1),
        )
        .await?;
    Ok(match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, String::new()),
    })
}

/// The first entry that does not fit the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenEntry {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `content` (its values were changed), `hash` (its recorded fields were changed),
    /// `link` (it does not follow the entry before: one was removed or inserted),
    /// `gap` (entries before it are missing).
    pub reason: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// Entries in the chain that were checked.
    pub checked: i64,
    /// Entries from before the chain existed (not covered).
    pub before_chain: i64,
    pub broken: Option<BrokenEntry>,
}

type ChainRow = (
    i64,
    Uuid,
    DateTime<Utc>,
    Option<Uuid>,
    String,
    String,
    Option<Uuid>,
    String,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

const PAGE: u64 = 5000;

impl Store {
    /// Recomputes the whole chain, a page at a time, and names the first entry that
    /// does not fit.
    pub async fn verify_audit(&self) -> Result<ChainCheck, StoreError> {
        let mut tx = self.db.read().await?;
        let (before_chain,): (i64,) = tx
            .one(
                Query::select()
                    .expr(Expr::cust("COUNT(*)"))
                    .from(name("audit_log"))
                    .and_where(Expr::col(name("seq")).is_null()),
            )
            .await?;
        let mut checked = 0;
        let (mut expected, mut prev) = (1i64, String::new());
        loop {
            let rows: Vec<ChainRow> = tx
                .all(
                    Query::select()
                        .columns(
                            [
                                "seq",
                                "id",
                                "at",
                                "actor_id",
                                "actor_name",
                                "entity",
                                "subject_id",
                                "action",
                                "import_id",
                                "before_data",
                                "after_data",
                                "content_hash",
                                "prev_hash",
                                "hash",
                            ]
                            .map(name),
                        )
                        .from(name("audit_log"))
                        .and_where(Expr::col(name("seq")).gte(expected))
                        .order_by(name("seq"), Order::Asc)
                        .limit(PAGE),
                )
                .await?;
            let done = (rows.len() as u64) < PAGE;
            for r in rows {
                let broken = |reason: &str| BrokenEntry {
                    seq: r.0,
                    id: r.1,
                    at: r.2,
                    reason: reason.to_string(),
                };
                let link = Link {
                    seq: r.0,
                    id: r.1,
                    at: r.2,
                    actor_id: r.3,
                    actor_name: &r.4,
                    entity: &r.5,
                    subject_id: r.6,
                    action: &r.7,
                    import_id: r.8,
                    content_hash: &r.11,
                };
                let fault = if r.0 != expected {
                    Some("gap")
                } else if content_hash(r.9.as_deref(), r.10.as_deref()) != r.11 {
                    Some("content")
                } else if r.12 != prev {
                    Some("link")
                } else if link.hash(&prev) != r.13 {
                    Some("hash")
                } else {
                    None
                };
                if let Some(reason) = fault {
                    return Ok(ChainCheck {
                        checked,
                        before_chain,
                        broken: Some(broken(reason)),
                    });
                }
                checked += 1;
                expected += 1;
                prev = r.13.clone();
            }
            if done {
                break;
            }
        }
        Ok(ChainCheck {
            checked,
            before_chain,
            broken: None,
        })
    }
}
