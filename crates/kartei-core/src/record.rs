//! What contacts and organisations have in common: the shape the store works with.

use crate::custom_field::CustomFieldDef;
use crate::validation::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// Every kind of record, one line each: the `Entity` variant, the table (also the
/// module name of its API), the record type, the name in the audit log and in filters,
/// and the collection in URLs. `with_record_kinds!(callback)` hands the list to a macro
/// that builds from it: `Entity` here, decoding and merging in the store, the API's
/// documented routes and the web's pages in the server. A new kind starts with a line
/// in this list.
#[macro_export]
macro_rules! with_record_kinds {
    ($callback:ident) => {
        $callback! {
            Contact / contacts: $crate::contact::ContactData = "contact", "contacts";
            Organization / organizations: $crate::organization::OrganizationData = "organization", "organizations";
            Activity / activities: $crate::activity::ActivityData = "activity", "activities";
            Pipeline / pipelines: $crate::deal::PipelineData = "pipeline", "pipelines";
            Deal / deals: $crate::deal::DealData = "deal", "deals";
            ProductCategory / product_categories: $crate::commerce::ProductCategoryData = "product_category", "product-categories";
            Product / products: $crate::commerce::ProductData = "product", "products";
            Order / orders: $crate::commerce::OrderData = "order", "orders";
            Ticket / tickets: $crate::support::TicketData = "ticket", "tickets";
            Feedback / feedback: $crate::support::FeedbackData = "feedback", "feedback";
        }
    };
}

macro_rules! entities {
    ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Entity {
            $($kind),*
        }

        impl Entity {
            pub const ALL: [Entity; [$($name),*].len()] = [$(Entity::$kind),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Entity::$kind => $name),*
                }
            }

            pub fn table(self) -> &'static str {
                match self {
                    $(Entity::$kind => stringify!($table)),*
                }
            }

            /// The collection name in URLs (`/api/v1/<collection>`).
            pub fn collection(self) -> &'static str {
                match self {
                    $(Entity::$kind => $collection),*
                }
            }

            /// Whether records of this kind link contacts (a merge moves them to the
            /// survivor; erasing a contact reaches them).
            pub fn links_contacts(self) -> bool {
                match self {
                    $(Entity::$kind => <$data as RecordData>::LINKS_CONTACTS),*
                }
            }
        }

        $(const _: () = assert!(matches!(<$data as RecordData>::ENTITY, Entity::$kind));)*
    };
}

crate::with_record_kinds!(entities);

impl Entity {
    pub fn parse(s: &str) -> Option<Self> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn from_collection(s: &str) -> Option<Self> {
        Entity::ALL.into_iter().find(|e| e.collection() == s)
    }

    /// Contacts and organisations carry tags, custom fields and search tokens.
    pub fn is_party(self) -> bool {
        matches!(self, Entity::Contact | Entity::Organization)
    }
}

/// A value of an indexed column, derived from a record for filtering and sorting.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexValue {
    Text(Option<String>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Timestamp(Option<DateTime<Utc>>),
    Uuid(Option<Uuid>),
}

/// What validation needs to know besides the input itself.
pub struct Context<'a> {
    /// ISO region for phone numbers without an international prefix.
    pub default_region: &'a str,
    pub today: NaiveDate,
    /// The time of the change: what an activity noted without a time happened at.
    pub now: chrono::DateTime<chrono::Utc>,
    pub custom_fields: &'a [CustomFieldDef],
    /// The pipelines with their stages, for deals (empty for other kinds).
    pub pipelines: &'a [crate::deal::PipelineStages],
}

/// A link from a record to another record that must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Organization(Uuid),
    User(Uuid),
    Contact(Uuid),
    Deal(Uuid),
    Pipeline(Uuid),
    Product(Uuid),
    ProductCategory(Uuid),
    Order(Uuid),
}

/// Tokens a record is found by; `terms` are the name words also matched with typos;
/// `names` are the tokens of the record's own name (a person's first and last name, an
/// organisation's name), which search ranks before the others.
#[derive(Debug, Default, Clone)]
pub struct SearchKeys {
    pub tokens: BTreeSet<String>,
    pub terms: BTreeSet<String>,
    pub names: BTreeSet<String>,
}

impl SearchKeys {
    /// Words of the record's own name.
    pub fn add_name(&mut self, text: Option<&str>) {
        self.names
            .extend(text.into_iter().flat_map(crate::text::word_tokens));
        self.add_words(text);
    }

    /// Search ranks a token: 0 for a word of the record's own name, 1 for the others.
    pub fn tier(&self, token: &str) -> i16 {
        i16::from(!self.names.contains(token))
    }

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
    /// Whether records of this kind link contacts (see [`Entity::links_contacts`]).
    const LINKS_CONTACTS: bool = false;
    /// The fields lists filter and sort by, with their index columns.
    const FIELDS: &'static [crate::fields::FieldSpec];
    /// Top-level fields that [`RecordData::masked`] hides: a role that may not see
    /// them may not write them either (see [`sensitive_change`]).
    const SENSITIVE: &'static [&'static str] = &[];
    /// What a new record must carry: from each group at least one field, given and not
    /// blank. [`RecordData::normalise`] names a group's first field when none is; the
    /// API documents the groups as the create body's required fields.
    const REQUIRED: &'static [&'static [&'static str]] = &[];

    /// Checks every field, returning the normalised record or every failing field.
    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>>;
    /// The index columns, by column name (see [`crate::fields`]).
    fn index_values(&self) -> Vec<(&'static str, IndexValue)>;
    /// The text records are named and sorted by ("Mustermann Erika", a deal's title).
    fn sort_text(&self) -> String;
    /// The matching key of the name ([`crate::text::fold`]): filters on the name and
    /// finding an organisation by its name compare it, spelling-blind.
    fn sort_name(&self) -> String {
        crate::text::fold(&self.sort_text())
    }
    /// The key lists sort by name: DIN 5007 (variant 1), see [`crate::text::sort_key`].
    fn sort_key(&self) -> String {
        crate::text::sort_key(&self.sort_text())
    }
    /// Search tokens; `organization_name` is the name of the linked organisation.
    fn search_keys(&self, organization_name: Option<&str>) -> SearchKeys;
    fn references(&self) -> Vec<(&'static str, Reference)>;
    /// Values of custom fields (contacts and organisations have them).
    fn custom(&self) -> &BTreeMap<String, serde_json::Value> {
        &NO_CUSTOM
    }
    fn custom_mut(&mut self) -> Option<&mut BTreeMap<String, serde_json::Value>> {
        None
    }
    fn organization_id(&self) -> Option<Uuid> {
        None
    }
    /// The contact a record belongs to, for the contact's timeline.
    fn contact_id(&self) -> Option<Uuid> {
        None
    }
    /// Points every link to contact `from` at contact `to` (when two contacts are
    /// merged); true when something changed. Kinds that link contacts implement it.
    fn replace_contact(&mut self, _from: Uuid, _to: Uuid) -> bool {
        false
    }
    /// Hides sensitive fields from roles that may not see them (and from the audit log).
    #[must_use]
    fn masked(self) -> Self {
        self
    }
    /// How the record is named in lists, the trash and messages.
    fn display_name(&self) -> String;
    /// Keys under which possible duplicates are looked for (none by default).
    fn match_keys(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The sensitive field (see [`RecordData::SENSITIVE`]) a document would change for a
/// reader who sees only the masked record: `masked_current` is that masked record as
/// JSON (none when creating). A field sent back exactly as the reader was shown it
/// (read-modify-write of the whole record) is dropped from the document, since it
/// changes nothing; any other value in a sensitive field is named.
pub fn sensitive_change<R: RecordData>(
    doc: &mut serde_json::Value,
    masked_current: Option<&serde_json::Value>,
) -> Option<&'static str> {
    let fields = doc.as_object_mut()?;
    for &key in R::SENSITIVE {
        let Some(sent) = fields.get(key) else {
            continue;
        };
        let shown = masked_current
            .and_then(|c| c.get(key))
            .unwrap_or(&serde_json::Value::Null);
        if sent == shown {
            fields.remove(key);
        } else {
            return Some(key);
        }
    }
    None
}

/// Replaces `from` by `to` in a single link.
pub(crate) fn swap_id(slot: &mut Option<Uuid>, from: Uuid, to: Uuid) -> bool {
    if *slot == Some(from) {
        *slot = Some(to);
        true
    } else {
        false
    }
}

/// Replaces `from` by `to` in a list of links, keeping each id once and the order.
pub(crate) fn swap_ids(list: &mut Vec<Uuid>, from: Uuid, to: Uuid) -> bool {
    if !list.contains(&from) {
        return false;
    }
    let mut seen = Vec::with_capacity(list.len());
    for id in list.iter().map(|&id| if id == from { to } else { id }) {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    *list = seen;
    true
}

pub(crate) fn text(v: Option<&String>) -> IndexValue {
    IndexValue::Text(crate::text::fold_key(v.map(String::as_str)))
}

pub(crate) fn raw(v: Option<&String>) -> IndexValue {
    IndexValue::Text(v.cloned())
}

/// The start of a day (UTC), where a date stands in a time-ordered index.
pub(crate) fn midnight(d: Option<NaiveDate>) -> Option<DateTime<Utc>> {
    d.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

pub(crate) fn stamp(v: Option<DateTime<Utc>>) -> IndexValue {
    IndexValue::Timestamp(v)
}

pub(crate) fn flag(v: bool) -> IndexValue {
    IndexValue::Int(Some(i64::from(v)))
}

/// The custom field map of kinds that have none.
pub(crate) static NO_CUSTOM: BTreeMap<String, serde_json::Value> = BTreeMap::new();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::ErrorCode;

    /// An empty record fails with exactly one error per required group, on the group's
    /// first field, so the documented required fields are the ones validation asks for.
    fn ctx() -> Context<'static> {
        Context {
            default_region: "DE",
            today: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            now: DateTime::UNIX_EPOCH,
            custom_fields: &[],
            pipelines: &[],
        }
    }

    fn required_groups_are_what_validation_asks<R: RecordData + Default>() {
        let errors = R::default().normalise(&ctx()).err().unwrap_or_default();
        let asked: BTreeSet<&str> = errors
            .iter()
            .filter(|e| matches!(e.code, ErrorCode::Required | ErrorCode::NameRequired))
            .map(|e| e.field.as_str())
            .collect();
        let documented: BTreeSet<&str> = R::REQUIRED.iter().map(|group| group[0]).collect();
        assert_eq!(asked, documented, "{:?}", R::ENTITY);
    }

    macro_rules! check_required {
        ($($kind:ident / $module:ident: $data:ty = $name:literal, $collection:literal;)*) => {
            $(required_groups_are_what_validation_asks::<$data>();)*
        };
    }

    #[test]
    fn every_kind_documents_the_fields_a_new_record_needs() {
        with_record_kinds!(check_required);
    }

    #[test]
    fn a_list_too_long_says_how_long_it_may_be() {
        let c = crate::contact::ContactData {
            last_name: Some("Weber".into()),
            emails: (0..21)
                .map(|i| crate::channels::EmailEntry {
                    address: format!("a{i}@example.org"),
                    kind: None,
                })
                .collect(),
            ..Default::default()
        };
        let errors = c.normalise(&ctx()).unwrap_err();
        assert!(
            errors.contains(&FieldError::new("emails", ErrorCode::TooMany)),
            "{errors:?}"
        );
        assert!(ErrorCode::TooMany
            .message(crate::i18n::Lang::De)
            .contains("20"));
    }

    #[test]
    fn an_address_without_country_is_in_the_home_region() {
        let c = crate::contact::ContactData {
            last_name: Some("Huber".into()),
            addresses: vec![crate::channels::Address {
                postcode: Some("1010".into()),
                city: Some("Wien".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let austrian = Context {
            default_region: "AT",
            ..ctx()
        };
        let c = c.normalise(&austrian).unwrap();
        assert_eq!(c.addresses[0].country.as_deref(), Some("AT"));
        let unnamed = crate::channels::Address {
            postcode: Some("1010".into()),
            ..Default::default()
        };
        assert!(unnamed.is_covered_by(&c.addresses[0]), "no country is any");
    }
}
