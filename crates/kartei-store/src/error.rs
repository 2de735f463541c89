//! What can go wrong in the store, in terms the layers above can act on.

use kartei_core::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The record changed since the client read it; carries the current version.
    #[error("version conflict: the record is at version {current}")]
    VersionConflict { current: i64 },
    /// The input broke a rule that needs the database to check (a unique name, a link).
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub fn field(field: &str, code: kartei_core::validation::ErrorCode) -> StoreError {
        StoreError::Invalid(vec![FieldError::new(field, code)])
    }

    /// Turns a unique-index violation into "already exists" on `field`; other errors pass.
    #[must_use]
    pub fn taken(self, field: &str) -> StoreError {
        if self.is_unique_violation() {
            StoreError::field(field, kartei_core::validation::ErrorCode::AlreadyExists)
        } else {
            self
        }
    }

    /// Whether the database rejected a duplicate in a unique index.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
