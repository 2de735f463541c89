//! The fields of each entity that lists filter and sort on, and the index columns behind them.

use crate::record::{Entity, RecordData};

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

pub(crate) const fn f(name: &'static str, kind: FieldKind, sortable: bool) -> FieldSpec {
    FieldSpec {
        name,
        column: name,
        kind,
        sortable,
    }
}

pub(crate) use FieldKind as K;

pub(crate) const NAME: FieldSpec = FieldSpec {
    name: "name",
    column: "sort_name",
    kind: K::Text,
    sortable: true,
};

pub(crate) const NAMED: &[FieldSpec] = &[
    NAME,
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

/// The fields of a kind (its `RecordData::FIELDS`, declared in its module).
pub fn fields(entity: Entity) -> &'static [FieldSpec] {
    macro_rules! fields_of {
        ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
            match entity {
                $(Entity::$kind => <$data as RecordData>::FIELDS,)*
            }
        };
    }
    crate::with_record_kinds!(fields_of)
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
