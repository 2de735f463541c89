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
    /// A read ran past the deadline of its request (see [`crate::db::Deadline`]), or
    /// its client went away, and the database stopped it.
    #[error("the query ran past its deadline and was stopped")]
    Timeout,
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // SQLite reports a query its progress handler stopped as SQLITE_INTERRUPT (9),
        // PostgreSQL one past `statement_timeout` as query_canceled (57014).
        let stopped = matches!(&e, sqlx::Error::Database(d)
            if matches!(d.code().as_deref(), Some("9" | "57014")));
        if stopped {
            StoreError::Timeout
        } else {
            StoreError::Database(e)
        }
    }
}

/// Unique constraints a person's input can violate: the columns as SQLite's message
/// lists them, PostgreSQL's name of the constraint, and the input field it concerns.
const UNIQUE_FIELDS: [(&str, &str, &str); 3] = [
    ("users.name", "users_name_key", "name"),
    ("tags.name_key", "tags_name_key_key", "name"),
    (
        "custom_fields.entity, custom_fields.field_key",
        "custom_fields_entity_field_key_key",
        "key",
    ),
];

impl StoreError {
    pub fn field(field: &str, code: kartei_core::validation::ErrorCode) -> StoreError {
        StoreError::Invalid(vec![FieldError::new(field, code)])
    }

    /// Turns the violation of a unique constraint a person can run into (a user name, a
    /// tag, a custom field key) into "already exists" on the input field it belongs to,
    /// found by the constraint's name; any other error, other unique violations too,
    /// passes unchanged instead of being blamed on the wrong field.
    #[must_use]
    pub fn taken(self) -> StoreError {
        match self.unique_field() {
            Some(field) => {
                StoreError::field(field, kartei_core::validation::ErrorCode::AlreadyExists)
            }
            None => self,
        }
    }

    /// The input field of the unique constraint this error violates, if it is one of
    /// [`UNIQUE_FIELDS`].
    fn unique_field(&self) -> Option<&'static str> {
        let StoreError::Database(sqlx::Error::Database(e)) = self else {
            return None;
        };
        if !e.is_unique_violation() {
            return None;
        }
        // PostgreSQL names the constraint; SQLite names its columns in the message.
        let (constraint, message) = (e.constraint(), e.message());
        UNIQUE_FIELDS
            .iter()
            .find(|(sqlite, postgres, _)| {
                constraint == Some(*postgres) || message.ends_with(&format!("failed: {sqlite}"))
            })
            .map(|(_, _, field)| *field)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
