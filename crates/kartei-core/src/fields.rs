//! The fields of each entity that lists filter and sort on, and the index columns behind them.

use crate::record::Entity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Stored folded (see [`crate::text::fold`]): case- and umlaut-insensitive.
    Text,
    /// One of a fixed list of codes.
    Choice(&'static [&'static str]),
    Date,
    Timestamp,
    Integer,
    /// The id of another record.
    Reference,
    /// E.164; filter values in any notation.
    Phone,
    /// Stored as 0 or 1; filter values `true` or `false`.
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
    /// Sortable fields have an index `(column, id)` in both schemas.
    pub sortable: bool,
}

const fn f(name: &'static str, kind: FieldKind, sortable: bool) -> FieldSpec {
    FieldSpec {
        name,
        column: name,
        kind,
        sortable,
    }
}

use crate::activity::{ACTIVITY_KINDS, PRIORITIES};
use crate::commerce::{CHANNELS, ORDER_STATUSES};
use crate::contact::{CUSTOMER_TYPES, GENDERS, LEAD_STATUSES, LIFECYCLE_STAGES};
use crate::deal::DEAL_STATUSES;
use crate::support::{TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES};
use FieldKind as K;

const NAME: FieldSpec = FieldSpec {
    name: "name",
    column: "sort_name",
    kind: K::Text,
    sortable: true,
};

pub const CONTACT_FIELDS: &[FieldSpec] = &[
    NAME,
    f("first_name", K::Text, true),
    f("last_name", K::Text, false),
    f("gender", K::Choice(GENDERS), false),
    f("birthday", K::Date, true),
    f("language", K::Text, false),
    f("email", K::Text, true),
    f("phone", K::Phone, false),
    f("city", K::Text, true),
    f("postcode", K::Text, true),
    f("country", K::Text, false),
    f("organization_id", K::Reference, false),
    f("job_title", K::Text, false),
    f("lifecycle_stage", K::Choice(LIFECYCLE_STAGES), false),
    f("lead_source", K::Text, false),
    f("lead_status", K::Choice(LEAD_STATUSES), false),
    f("lead_score", K::Integer, true),
    f("needs_check", K::Boolean, false),
    f("owner_id", K::Reference, false),
    f("price_group", K::Text, false),
    f("customer_type", K::Choice(CUSTOMER_TYPES), false),
    f("customer_number", K::Text, false),
    f("external_id", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const ORGANIZATION_FIELDS: &[FieldSpec] = &[
    NAME,
    f("legal_form", K::Text, false),
    f("industry", K::Text, true),
    f("team_size", K::Integer, true),
    f("website", K::Text, false),
    f("email", K::Text, false),
    f("phone", K::Phone, false),
    f("city", K::Text, true),
    f("postcode", K::Text, true),
    f("country", K::Text, false),
    f("owner_id", K::Reference, false),
    f("lifecycle_stage", K::Choice(LIFECYCLE_STAGES), false),
    f("price_group", K::Text, false),
    f("customer_type", K::Choice(CUSTOMER_TYPES), false),
    f("customer_number", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

const NAMED: &[FieldSpec] = &[
    NAME,
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const ACTIVITY_FIELDS: &[FieldSpec] = &[
    NAME,
    f("kind", K::Choice(ACTIVITY_KINDS), false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("deal_id", K::Reference, false),
    f("assignee_id", K::Reference, false),
    f("due_date", K::Date, true),
    f("starts_at", K::Timestamp, true),
    f("happened_at", K::Timestamp, true),
    f("done", K::Boolean, false),
    f("priority", K::Choice(PRIORITIES), false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const DEAL_FIELDS: &[FieldSpec] = &[
    NAME,
    f("pipeline_id", K::Reference, false),
    f("stage_id", K::Reference, false),
    f("status", K::Choice(DEAL_STATUSES), false),
    f("value_minor", K::Integer, true),
    f("currency", K::Text, false),
    f("expected_close", K::Date, true),
    f("probability", K::Integer, false),
    f("owner_id", K::Reference, false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("lost_reason", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const CATEGORY_FIELDS: &[FieldSpec] = &[
    NAME,
    f("parent_id", K::Reference, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const PRODUCT_FIELDS: &[FieldSpec] = &[
    NAME,
    f("sku", K::Text, true),
    f("category_id", K::Reference, false),
    f("price_minor", K::Integer, true),
    f("active", K::Boolean, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const ORDER_FIELDS: &[FieldSpec] = &[
    NAME,
    f("number", K::Text, true),
    f("ordered_on", K::Date, true),
    f("status", K::Choice(ORDER_STATUSES), false),
    f("channel", K::Choice(CHANNELS), false),
    f("currency", K::Text, false),
    f("gross_minor", K::Integer, true),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("happened_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const TICKET_FIELDS: &[FieldSpec] = &[
    NAME,
    f("status", K::Choice(TICKET_STATUSES), false),
    f("priority", K::Choice(TICKET_PRIORITIES), false),
    f("channel", K::Choice(TICKET_CHANNELS), false),
    f("assignee_id", K::Reference, false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("due_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub const FEEDBACK_FIELDS: &[FieldSpec] = &[
    NAME,
    f("contact_id", K::Reference, false),
    f("nps", K::Integer, true),
    f("rating", K::Integer, true),
    f("given_on", K::Date, true),
    f("happened_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

pub fn fields(entity: Entity) -> &'static [FieldSpec] {
    match entity {
        Entity::Contact => CONTACT_FIELDS,
        Entity::Organization => ORGANIZATION_FIELDS,
        Entity::Activity => ACTIVITY_FIELDS,
        Entity::Pipeline => NAMED,
        Entity::Deal => DEAL_FIELDS,
        Entity::ProductCategory => CATEGORY_FIELDS,
        Entity::Product => PRODUCT_FIELDS,
        Entity::Order => ORDER_FIELDS,
        Entity::Ticket => TICKET_FIELDS,
        Entity::Feedback => FEEDBACK_FIELDS,
    }
}

pub fn find(entity: Entity, name: &str) -> Option<&'static FieldSpec> {
    fields(entity).iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::ContactData;
    use crate::organization::OrganizationData;
    use crate::record::RecordData;

    /// Every index column a record writes is a known field, and every field but the
    /// ones the store fills itself comes from the record.
    #[test]
    fn index_values_cover_the_registry() {
        fn check<R: RecordData + Default>() {
            let written: Vec<&str> = R::default()
                .index_values()
                .iter()
                .map(|(c, _)| *c)
                .collect();
            for spec in fields(R::ENTITY) {
                let by_store = matches!(spec.column, "sort_name" | "created_at" | "updated_at");
                assert_eq!(written.contains(&spec.column), !by_store, "{}", spec.column);
            }
            for column in written {
                assert!(
                    fields(R::ENTITY).iter().any(|s| s.column == column),
                    "{column}"
                );
            }
        }
        check::<ContactData>();
        check::<OrganizationData>();
        check::<crate::activity::ActivityData>();
        check::<crate::deal::PipelineData>();
        check::<crate::deal::DealData>();
        check::<crate::commerce::ProductCategoryData>();
        check::<crate::commerce::ProductData>();
        check::<crate::commerce::OrderData>();
        check::<crate::support::TicketData>();
        check::<crate::support::FeedbackData>();
    }
}
