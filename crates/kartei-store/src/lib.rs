//! Kartei's storage: one repository code path over SQLite and PostgreSQL.
//!
//! Records are kept as a JSON document (`data`) plus index columns derived from it by
//! `kartei-core`; every change writes its audit entry in the same transaction.

pub mod audit;
pub mod audit_chain;
pub mod bulk;
pub mod consents;
pub mod custom_fields;
pub mod db;
pub mod duplicates;
pub mod error;
pub mod filter;
pub mod history;
pub(crate) mod hooks;
pub mod imports;
mod index;
pub mod list;
pub mod loyalty;
pub mod merge;
pub mod migrate;
pub mod quality;
pub mod records;
pub mod search;
mod sql;
pub mod subject;
pub mod tags;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trash;
pub mod users;
pub mod views;

pub use db::{Db, Dialect};
pub use error::StoreError;

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

/// Who makes a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub name: String,
    /// The import that makes the change on the user's behalf: the history says
    /// "changed by import kunden.csv of 01.12.2026" instead of the user alone.
    pub import: Option<Uuid>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(id: Uuid, name: &str) -> Actor {
        Actor {
            user_id: Some(id),
            name: name.to_string(),
            import: None,
        }
    }

    /// A change made by Kartei itself or the command line, not by a signed-in user.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            import: None,
        }
    }

    /// The same person, acting through an import.
    pub fn through_import(&self, job: Uuid) -> Actor {
        Actor {
            import: Some(job),
            ..self.clone()
        }
    }
}

/// The store: a database plus the settings validation needs.
#[derive(Clone)]
pub struct Store {
    db: Db,
    default_region: String,
    /// Days until the review task of a new contact is due; `None`: no review tasks.
    review_days: Option<u32>,
}

/// A new contact's data is checked by its owner within this many days by default.
pub const DEFAULT_REVIEW_DAYS: u32 = 3;

/// Timestamps are kept to the microsecond, the precision PostgreSQL stores, so that a
/// value reads back equal on both databases.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Store {
    /// Connects and applies pending migrations.
    pub async fn open(url: &str, default_region: &str) -> Result<Store, StoreError> {
        let db = Db::connect(url).await?;
        migrate::migrate(&db).await?;
        Ok(Store {
            db,
            default_region: default_region.to_string(),
            review_days: Some(DEFAULT_REVIEW_DAYS),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Sets after how many days the review task of a new contact is due (`None`: no
    /// review tasks and no "needs check" marker).
    pub fn with_review_days(mut self, days: Option<u32>) -> Store {
        self.review_days = days;
        self
    }

    /// Days until a new contact's review task is due (`None`: no review tasks).
    pub fn review_days(&self) -> Option<u32> {
        self.review_days
    }

    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    pub async fn close(&self) {
        self.db.close().await;
    }
}
