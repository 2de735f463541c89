//! What contacts and organisations have in common: the shape the store works with.

use crate::custom_field::CustomFieldDef;
use crate::validation::FieldError;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Contact,
    Organization,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "contact" => Some(Entity::Contact),
            "organization" => Some(Entity::Organization),
            _ => None,
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Entity::Contact => "contacts",
            Entity::Organization => "organizations",
        }
    }
}

/// A value of an indexed column, derived from a record for filtering and sorting.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Uuid(Option<Uuid>),
}

/// What validation needs to know besides the input itself.
pub struct Context<'a> {
    /// ISO region for phone numbers without an international prefix.
    pub default_region: &'a str,
    pub today: NaiveDate,
    pub custom_fields: &'a [CustomFieldDef],
}

/// A link from a record to another record that must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Organization(Uuid),
    User(Uuid),
}

/// Tokens a record is found by; `terms` are the name words also matched with typos.
#[derive(Debug, Default, Clone)]
pub struct SearchKeys {
    pub tokens: BTreeSet<String>,
    pub terms: BTreeSet<String>,
}

impl SearchKeys {
    pub fn add_words(&mut self, text: Option<&str>) {
        for w in text.into_iter().flat_map(crate::text::word_tokens) {
            if crate::fuzzy::is_fuzzy_term(&w) {
                self.terms.insert(w.clone());
            }
            self.tokens.insert(w);
        }
    }

    pub fn add_email(&mut self, address: &str) {
        self.tokens.extend(crate::text::email_tokens(address));
    }

    pub fn add_phone(&mut self, e164: &str) {
        self.tokens.insert(e164.trim_start_matches('+').to_string());
    }
}

/// A record kind the store keeps: validated as a whole, stored as a JSON document
/// plus the index columns derived from it.
pub trait RecordData: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    const ENTITY: Entity;

    /// Checks every field, returning the normalised record or every failing field.
    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>>;
    /// The index columns, by column name (see [`crate::fields`]).
    fn index_values(&self) -> Vec<(&'static str, IndexValue)>;
    /// The folded key records sort by "name".
    fn sort_name(&self) -> String;
    /// Search tokens; `organization_name` is the name of the linked organisation.
    fn search_keys(&self, organization_name: Option<&str>) -> SearchKeys;
    fn references(&self) -> Vec<(&'static str, Reference)>;
    fn custom(&self) -> &BTreeMap<String, serde_json::Value>;
    fn custom_mut(&mut self) -> &mut BTreeMap<String, serde_json::Value>;
    fn organization_id(&self) -> Option<Uuid> {
        None
    }
    /// Hides sensitive fields from roles that may not see them (and from the audit log).
    #[must_use]
    fn masked(self) -> Self;
    /// How the record is named in lists, the trash and messages.
    fn display_name(&self) -> String;
    /// Keys under which possible duplicates are looked for (none by default).
    fn match_keys(&self) -> Vec<String> {
        Vec::new()
    }
}

pub(crate) fn text(v: Option<&String>) -> IndexValue {
    IndexValue::Text(crate::text::fold_key(v.map(String::as_str)))
}

pub(crate) fn raw(v: Option<&String>) -> IndexValue {
    IndexValue::Text(v.cloned())
}
