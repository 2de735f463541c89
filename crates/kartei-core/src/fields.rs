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

use crate::contact::{CUSTOMER_TYPES, GENDERS, LIFECYCLE_STAGES};
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
    f("owner_id", K::Reference, false),
    f("price_group", K::Text, false),
    f("customer_type", K::Choice(CUSTOMER_TYPES), false),
    f("customer_number", K::Text, false),
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

pub fn fields(entity: Entity) -> &'static [FieldSpec] {
    match entity {
        Entity::Contact => CONTACT_FIELDS,
        Entity::Organization => ORGANIZATION_FIELDS,
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
    }
}
