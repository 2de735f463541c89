//! Stories of contacts and organisations in the store, each run on SQLite and PostgreSQL.

use kartei_core::contact::ContactData;
use kartei_core::custom_field::{ChoiceOption, CustomFieldInput, CustomKind};
use kartei_core::filter::{Filter, Sort};
use kartei_core::organization::OrganizationData;
use kartei_core::record::Entity;
use kartei_core::validation::ErrorCode;
use kartei_store::list::ListRequest;
use kartei_store::search::SearchRequest;
use kartei_store::tags::TagSelector;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;

fn actor() -> Actor {
    Actor::system("test")
}

fn contact(v: serde_json::Value) -> ContactData {
    serde_json::from_value(v).unwrap()
}

async fn names(store: &Store, filter: serde_json::Value, sort: &str) -> Vec<String> {
    let defs = store.custom_fields(Some(Entity::Contact)).await.unwrap();
    let filter = serde_json::from_value::<Filter>(filter)
        .unwrap()
        .typed(Entity::Contact, &defs)
        .unwrap();
    let req = ListRequest {
        filter: Some(filter),
        sort: Sort::parse(Entity::Contact, &defs, sort).unwrap(),
        cursor: None,
        limit: 100,
        with_total: false,
    };
    store
        .list::<ContactData>(&req)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.data.last_name.unwrap_or_default())
        .collect()
}

async fn search(store: &Store, q: &str) -> Vec<String> {
    let req = SearchRequest {
        q: q.into(),
        filter: None,
        cursor: None,
        limit: 50,
    };
    store
        .search::<ContactData>(&req)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.data.last_name.unwrap_or_default())
        .collect()
}

async fn a_contact_is_created_normalised_and_audited(store: Store) {
    let created = store
        .create(
            &actor(),
            contact(json!({
                "first_name": " Jörg ", "last_name": "Müller",
                "emails": [{"address": "Joerg.Mueller@Beispiel.DE"}],
                "phones": [{"number": "030 1234567", "kind": "mobile"}],
                "addresses": [{"street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin"}],
                "bank": {"iban": "de89 3704 0044 0532 0130 00"}
            })),
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.data.first_name.as_deref(), Some("Jörg"));
    assert_eq!(created.data.emails[0].address, "joerg.mueller@beispiel.de");
    assert_eq!(created.data.phones[0].number, "+49301234567");
    assert_eq!(created.data.addresses[0].country.as_deref(), Some("DE"));
    let read = store.get::<ContactData>(created.id).await.unwrap();
    assert_eq!(read.data, created.data);
    assert_eq!(read.created_at, created.created_at);
    let history = store.history(created.id, None, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "create");
    // The audit log never holds the full IBAN.
    assert_eq!(
        history[0].after.as_ref().unwrap()["bank"]["iban"],
        "DE******************00"
    );
}
both_databases!(a_contact_is_created_normalised_and_audited);

async fn invalid_input_is_rejected_with_every_field_and_changes_nothing(store: Store) {
    let err = store
        .create(
            &actor(),
            contact(json!({
                "emails": [{"address": "Anna <anna@beispiel.de>"}],
                "phones": [{"number": "abc"}],
                "birthday": "2999-01-01",
                "bank": {"iban": "DE89370400440532013001"},
                "addresses": [{"postcode": "1234", "city": "Berlin"}]
            })),
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let got: Vec<(String, ErrorCode)> = fields.into_iter().map(|f| (f.field, f.code)).collect();
    for expected in [
        ("last_name", ErrorCode::NameRequired),
        ("emails[0].address", ErrorCode::InvalidEmail),
        ("phones[0].number", ErrorCode::InvalidPhone),
        ("birthday", ErrorCode::FutureDate),
        ("bank.iban", ErrorCode::InvalidIban),
        ("addresses[0].postcode", ErrorCode::InvalidPostcode),
    ] {
        assert!(
            got.contains(&(expected.0.to_string(), expected.1)),
            "{expected:?} missing in {got:?}"
        );
    }
    let req = ListRequest {
        filter: None,
        sort: Sort::by_name(),
        cursor: None,
        limit: 10,
        with_total: true,
    };
    assert_eq!(
        store.list::<ContactData>(&req).await.unwrap().total,
        Some(0)
    );
}
both_databases!(invalid_input_is_rejected_with_every_field_and_changes_nothing);

async fn a_stale_version_is_refused_and_changes_nothing(store: Store) {
    let c = store
        .create(&actor(), contact(json!({"last_name": "Weber"})))
        .await
        .unwrap();
    let updated = store
        .update::<ContactData>(&actor(), c.id, Some(1), json!({"first_name": "Eva"}))
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    let stale = store
        .update::<ContactData>(&actor(), c.id, Some(1), json!({"first_name": "Ida"}))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, StoreError::VersionConflict { current: 2 }),
        "{stale:?}"
    );
    let stale_delete = store
        .delete(&actor(), Entity::Contact, c.id, Some(1))
        .await
        .unwrap_err();
    assert!(matches!(
        stale_delete,
        StoreError::VersionConflict { current: 2 }
    ));
    let read = store.get::<ContactData>(c.id).await.unwrap();
    assert_eq!(read.data.first_name.as_deref(), Some("Eva"));
    assert_eq!(read.version, 2);
    let history = store.history(c.id, None, 10).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.action.as_str())
            .collect::<Vec<_>>(),
        ["update", "create"]
    );
    assert_eq!(
        history[0].before.as_ref().unwrap()["first_name"],
        serde_json::Value::Null
    );
    assert_eq!(history[0].after.as_ref().unwrap()["first_name"], "Eva");
}
both_databases!(a_stale_version_is_refused_and_changes_nothing);

async fn a_patch_that_breaks_a_rule_changes_nothing(store: Store) {
    let c = store
        .create(
            &actor(),
            contact(json!({"last_name": "Koch", "emails": [{"address": "k@x.de"}]})),
        )
        .await
        .unwrap();
    let err = store
        .update::<ContactData>(
            &actor(),
            c.id,
            None,
            json!({"emails": [{"address": "kaputt"}], "last_name": "Kocher"}),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    let err = store
        .update::<ContactData>(&actor(), c.id, None, json!({"shoe_size": 44}))
        .await
        .unwrap_err();
    let StoreError::Invalid(f) = err else {
        panic!()
    };
    assert_eq!(f[0].code, ErrorCode::UnknownField);
    let read = store.get::<ContactData>(c.id).await.unwrap();
    assert_eq!(read.version, 1);
    assert_eq!(read.data.last_name.as_deref(), Some("Koch"));
    assert_eq!(store.history(c.id, None, 10).await.unwrap().len(), 1);
}
both_databases!(a_patch_that_breaks_a_rule_changes_nothing);

async fn delete_goes_to_the_trash_and_comes_back(store: Store) {
    let c = store
        .create(&actor(), contact(json!({"last_name": "Vogel"})))
        .await
        .unwrap();
    store
        .delete(&actor(), Entity::Contact, c.id, None)
        .await
        .unwrap();
    assert!(matches!(
        store.get::<ContactData>(c.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(search(&store, "Vogel").await.is_empty());
    let (trash, _) = store.trash(Entity::Contact, None, 10).await.unwrap();
    assert_eq!(trash.len(), 1);
    assert_eq!(trash[0].name, "Vogel");
    store
        .restore(&actor(), Entity::Contact, c.id)
        .await
        .unwrap();
    assert_eq!(store.get::<ContactData>(c.id).await.unwrap().version, 3);
    assert_eq!(search(&store, "Vogel").await, ["Vogel"]);
    store
        .delete(&actor(), Entity::Contact, c.id, None)
        .await
        .unwrap();
    store.purge(&actor(), Entity::Contact, c.id).await.unwrap();
    assert!(matches!(
        store.restore(&actor(), Entity::Contact, c.id).await,
        Err(StoreError::NotFound)
    ));
    let history = store.history(c.id, None, 10).await.unwrap();
    assert_eq!(history[0].action, "purge");
    assert!(history[0].before.is_none() && history[0].after.is_none());
}
both_databases!(delete_goes_to_the_trash_and_comes_back);

async fn search_finds_prefixes_umlauts_typos_and_phones(store: Store) {
    let org = store
        .create(
            &actor(),
            OrganizationData {
                name: Some("Bäckerei Schäfer GmbH".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for (first, last, email, phone, city) in [
        ("Jörg", "Müller", "joerg@beispiel.de", "030 1234567", "Köln"),
        (
            "Anna",
            "Schmidt",
            "anna.schmidt@gmx.de",
            "0171 2345678",
            "Berlin",
        ),
        (
            "Bernd",
            "Schmitt",
            "b.schmitt@web.de",
            "+49 89 998877",
            "München",
        ),
        (
            "Clara",
            "Mulder",
            "clara@mulder.nl",
            "+31 20 5556677",
            "Amsterdam",
        ),
    ] {
        store
            .create(
                &actor(),
                contact(json!({"first_name": first, "last_name": last, "emails": [{"address": email}],
                    "phones": [{"number": phone}], "addresses": [{"city": city}], "organization_id": org.id})),
            )
            .await
            .unwrap();
    }
    assert_eq!(search(&store, "Müll").await, ["Müller"]);
    // Prefix matches come first; "Mulder" is one typo from "Muller" and follows.
    assert_eq!(search(&store, "Mueller").await, ["Müller", "Mulder"]);
    assert_eq!(search(&store, "muller").await, ["Müller", "Mulder"]);
    assert_eq!(search(&store, "Schmitd").await, ["Schmidt", "Schmitt"]);
    assert_eq!(search(&store, "0301234567").await, ["Müller"]);
    assert_eq!(search(&store, "+49 30 123").await, ["Müller"]);
    assert_eq!(search(&store, "schmidt@gmx").await, ["Schmidt"]);
    assert_eq!(search(&store, "Koeln").await, ["Müller"]);
    assert_eq!(search(&store, "anna schmi").await, ["Schmidt"]);
    assert_eq!(
        search(&store, "Schaefer").await.len(),
        4,
        "organisation name finds its people"
    );
    assert!(search(&store, "Zebra").await.is_empty());
    // Renaming the organisation moves its people's search tokens along.
    store
        .update::<OrganizationData>(&actor(), org.id, None, json!({"name": "Konditorei Lang"}))
        .await
        .unwrap();
    assert!(search(&store, "Schäfer").await.is_empty());
    assert_eq!(search(&store, "Konditorei").await.len(), 4);
}
both_databases!(search_finds_prefixes_umlauts_typos_and_phones);

/// "Müller" finds people named Müller before the staff of "Müller Energie GmbH": own
/// name before organisation, an exact word before a longer one, typos last; paging
/// through the same search two at a time gives the same order, each once.
async fn search_ranks_own_names_before_organisations(store: Store) {
    let org = store
        .create(
            &actor(),
            OrganizationData {
                name: Some("Müller Energie GmbH".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Staff of the organisation, sorting before every Müller by name.
    for last in ["Abel", "Adler", "Arndt"] {
        store
            .create(
                &actor(),
                contact(json!({"first_name": "Eva", "last_name": last, "organization_id": org.id})),
            )
            .await
            .unwrap();
    }
    for (first, last) in [
        ("Zora", "Müllerschön"),
        ("Hans", "Müller"),
        ("Clara", "Möller"),
        ("Xaver", "Mueller"),
    ] {
        store
            .create(
                &actor(),
                contact(json!({"first_name": first, "last_name": last})),
            )
            .await
            .unwrap();
    }
    // Both spellings are the same exact word; among them by name (DIN 5007: ue before ü).
    let expected = [
        "Mueller",
        "Müller",
        "Müllerschön",
        "Abel",
        "Adler",
        "Arndt",
        "Möller",
    ];
    assert_eq!(search(&store, "Müller").await, expected);
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .search::<ContactData>(&SearchRequest {
                q: "Müller".into(),
                filter: None,
                cursor,
                limit: 2,
            })
            .await
            .unwrap();
        paged.extend(
            page.items
                .into_iter()
                .map(|r| r.data.last_name.unwrap_or_default()),
        );
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(paged, expected);
    // The organisation itself is found by its own name first among organisations.
    let orgs = store
        .search::<OrganizationData>(&SearchRequest {
            q: "Energie".into(),
            filter: None,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(orgs.items.len(), 1);
}
both_databases!(search_ranks_own_names_before_organisations);

async fn search_pages_show_every_match_once(store: Store) {
    for i in 0..23 {
        store
            .create(&actor(), contact(json!({"first_name": format!("Max{i:02}"), "last_name": "Maier", "emails": [{"address": format!("max{i}@maier.de")}]})))
            .await
            .unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let page = store
            .search::<ContactData>(&SearchRequest {
                q: "ma".into(),
                filter: None,
                cursor,
                limit: 5,
            })
            .await
            .unwrap();
        for r in &page.items {
            assert!(
                seen.insert(r.id),
                "{} twice",
                r.data.first_name.as_deref().unwrap_or("")
            );
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 23);

    // The count agrees with the pages, exactly up to its cap, then "more than".
    use kartei_store::list::Count;
    let count = |q: &'static str, cap: u64| {
        let store = store.clone();
        async move {
            store
                .search_count::<ContactData>(q, None, cap)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("ma", 100).await, Count { n: 23, more: false });
    assert_eq!(count("ma", 10).await, Count { n: 10, more: true });
    assert_eq!(count("Max07", 100).await, Count { n: 1, more: false });
    assert_eq!(count("zzz", 100).await, Count { n: 0, more: false });
    store
        .create(
            &actor(),
            contact(json!({"first_name": "Erika", "last_name": "Muster"})),
        )
        .await
        .unwrap();
    assert_eq!(
        store.count_up_to::<ContactData>(None, 100).await.unwrap(),
        Count { n: 24, more: false }
    );
    assert_eq!(
        store.count_up_to::<ContactData>(None, 24).await.unwrap(),
        Count { n: 24, more: false }
    );
    assert_eq!(
        store.count_up_to::<ContactData>(None, 23).await.unwrap(),
        Count { n: 23, more: true }
    );
    let maier = serde_json::from_value::<Filter>(
        json!({"field": "last_name", "op": "eq", "value": "Maier"}),
    )
    .unwrap()
    .typed(Entity::Contact, &[])
    .unwrap();
    assert_eq!(
        store
            .count_up_to::<ContactData>(Some(&maier), 100)
            .await
            .unwrap(),
        Count { n: 23, more: false }
    );
}
both_databases!(search_pages_show_every_match_once);

async fn filters_sorts_and_keyset_pages_agree(store: Store) {
    let interests = store
        .create_custom_field(
            &actor(),
            CustomFieldInput {
                entity: Entity::Contact,
                key: "interests".into(),
                label_de: "Interessen".into(),
                label_en: "Interests".into(),
                kind: CustomKind::MultiChoice,
                options: vec![
                    ChoiceOption {
                        key: "wine".into(),
                        label_de: "Wein".into(),
                        label_en: "Wine".into(),
                    },
                    ChoiceOption {
                        key: "golf".into(),
                        label_de: "Golf".into(),
                        label_en: "Golf".into(),
                    },
                ],
            },
        )
        .await
        .unwrap();
    store
        .create_custom_field(
            &actor(),
            CustomFieldInput {
                entity: Entity::Contact,
                key: "score".into(),
                label_de: "Punkte".into(),
                label_en: "Score".into(),
                kind: CustomKind::Number,
                options: vec![],
            },
        )
        .await
        .unwrap();
    let people = [
        (
            "Zander",
            "Berlin",
            Some("1970-05-01"),
            json!({"interests": ["wine"], "score": 3.5}),
        ),
        ("Ärmel", "berlin", None, json!({"score": -2})),
        (
            "Adler",
            "Hamburg",
            Some("1990-01-01"),
            json!({"interests": ["golf", "wine"], "score": 10}),
        ),
        ("Otto", "München", Some("1980-12-24"), json!({})),
    ];
    let mut ids = Vec::new();
    for (last, city, birthday, custom) in people {
        let c = store
            .create(&actor(), contact(json!({"last_name": last, "addresses": [{"city": city}], "birthday": birthday, "custom": custom})))
            .await
            .unwrap();
        ids.push(c.id);
    }
    store
        .attach_tag(
            &actor(),
            Entity::Contact,
            &[ids[0]],
            TagSelector::Name("VIP".into()),
        )
        .await
        .unwrap();
    store
        .attach_tag(
            &actor(),
            Entity::Contact,
            &[ids[3]],
            TagSelector::Name("vip".into()),
        )
        .await
        .unwrap();

    assert_eq!(
        names(
            &store,
            json!({"field": "city", "op": "eq", "value": "BERLIN"}),
            "name"
        )
        .await,
        ["Ärmel", "Zander"]
    );
    assert_eq!(
        names(
            &store,
            json!({"not": {"field": "city", "op": "eq", "value": "Berlin"}}),
            "name"
        )
        .await,
        ["Adler", "Otto"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "birthday", "op": "lt", "value": "1985-01-01"}),
            "-birthday"
        )
        .await,
        ["Otto", "Zander"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "birthday", "op": "is_empty"}),
            "name"
        )
        .await,
        ["Ärmel"]
    );
    assert_eq!(
        names(&store, json!({"op": "has_tag", "value": "VIP"}), "name").await,
        ["Otto", "Zander"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "custom.interests", "op": "eq", "value": "wine"}),
            "name"
        )
        .await,
        ["Adler", "Zander"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "custom.score", "op": "gt", "value": 0}),
            "custom.score"
        )
        .await,
        ["Zander", "Adler"]
    );
    assert_eq!(
        names(&store, json!({"and": []}), "-custom.score").await,
        ["Adler", "Zander", "Ärmel", "Otto"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "last_name", "op": "starts_with", "value": "ar"}),
            "name"
        )
        .await,
        ["Ärmel"]
    );
    assert_eq!(
        names(
            &store,
            json!({"field": "last_name", "op": "contains", "value": "DLE"}),
            "name"
        )
        .await,
        ["Adler"]
    );
    assert_eq!(
        names(&store, json!({"or": [{"field": "city", "op": "in", "value": ["Hamburg", "München"]}, {"op": "has_tag", "value": "vip"}]}), "name").await,
        ["Adler", "Otto", "Zander"]
    );
    // Birthday sort puts the contact without a birthday last, in both directions.
    assert_eq!(
        names(&store, json!({"and": []}), "birthday").await,
        ["Zander", "Otto", "Adler", "Ärmel"]
    );
    assert_eq!(
        names(&store, json!({"and": []}), "-birthday").await,
        ["Adler", "Otto", "Zander", "Ärmel"]
    );

    // Paging one by one visits the same order.
    for sort in [
        "birthday",
        "-birthday",
        "name",
        "-custom.score",
        "custom.interests",
    ] {
        let defs = store.custom_fields(Some(Entity::Contact)).await.unwrap();
        let Ok(sort) = Sort::parse(Entity::Contact, &defs, sort) else {
            assert_eq!(sort, "custom.interests", "multi-choice fields do not sort");
            continue;
        };
        let mut req = ListRequest {
            filter: None,
            sort: sort.clone(),
            cursor: None,
            limit: 1,
            with_total: true,
        };
        let mut paged = Vec::new();
        loop {
            let page = store.list::<ContactData>(&req).await.unwrap();
            assert_eq!(page.total, Some(4));
            paged.extend(page.items.into_iter().map(|r| r.id));
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        let all = store
            .list::<ContactData>(&ListRequest {
                filter: None,
                sort,
                cursor: None,
                limit: 10,
                with_total: false,
            })
            .await
            .unwrap();
        assert_eq!(
            paged,
            all.items.into_iter().map(|r| r.id).collect::<Vec<_>>()
        );
    }
    let bad = ListRequest {
        filter: None,
        sort: Sort::by_name(),
        cursor: Some("bm9wZQ".into()),
        limit: 1,
        with_total: false,
    };
    assert!(matches!(
        store.list::<ContactData>(&bad).await,
        Err(StoreError::InvalidCursor)
    ));
    assert_eq!(store.list_tags().await.unwrap()[0].count, 2);
    let _ = interests;
}
both_databases!(filters_sorts_and_keyset_pages_agree);

async fn links_must_exist(store: Store) {
    let err = store
        .create(
            &actor(),
            contact(json!({"last_name": "X", "organization_id": uuid::Uuid::now_v7()})),
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(f) = err else {
        panic!()
    };
    assert_eq!(
        (f[0].field.as_str(), f[0].code),
        ("organization_id", ErrorCode::UnknownReference)
    );
    let org = store
        .create(
            &actor(),
            OrganizationData {
                name: Some("Acme AG".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let person = store
        .create(&actor(), contact(json!({"organization_id": org.id})))
        .await
        .unwrap();
    store
        .delete(&actor(), Entity::Organization, org.id, None)
        .await
        .unwrap();
    store
        .purge(&actor(), Entity::Organization, org.id)
        .await
        .unwrap();
    let person = store.get::<ContactData>(person.id).await.unwrap();
    assert_eq!(person.data.organization_id, None);
    assert_eq!(person.version, 2);
    assert!(
        search(&store, "Acme").await.is_empty(),
        "the purged organisation's name no longer finds its former people"
    );
}
both_databases!(links_must_exist);

async fn tags_are_unique_by_folded_name(store: Store) {
    use kartei_core::tag::TagInput;
    let t = store
        .create_tag(
            &actor(),
            TagInput {
                name: Some("Kunde Süd".into()),
                color: None,
            },
        )
        .await
        .unwrap();
    let dup = store
        .create_tag(
            &actor(),
            TagInput {
                name: Some("kunde sued".into()),
                color: None,
            },
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(f) = dup else {
        panic!()
    };
    assert_eq!(f[0].code, ErrorCode::AlreadyExists);
    let renamed = store
        .update_tag(
            &actor(),
            t.id,
            Some(1),
            TagInput {
                name: Some("Kunde Nord".into()),
                color: Some("#FF0000".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.color.as_str(),
            renamed.version
        ),
        ("Kunde Nord", "#ff0000", 2)
    );
    let bad = store
        .update_tag(
            &actor(),
            t.id,
            None,
            TagInput {
                name: None,
                color: Some("red".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(_)));
}
both_databases!(tags_are_unique_by_folded_name);

async fn both_schemas_have_the_same_tables_and_columns(store: Store) {
    let (other_url, _scratch) = match store.dialect() {
        kartei_store::Dialect::Sqlite => kartei_store::testing::postgres_url().await,
        kartei_store::Dialect::Postgres => kartei_store::testing::sqlite_url(),
    };
    let other = Store::open(&other_url, "DE").await.unwrap();
    let mine = kartei_store::migrate::describe_schema(store.db())
        .await
        .unwrap();
    let theirs = kartei_store::migrate::describe_schema(other.db())
        .await
        .unwrap();
    assert!(!mine.is_empty());
    assert_eq!(mine, theirs);
    other.close().await;
}
both_databases!(both_schemas_have_the_same_tables_and_columns);

async fn the_trash_forgets_after_thirty_days(store: Store) {
    use sea_query::{Alias, Expr, Query};
    let old = store
        .create(&actor(), contact(json!({"last_name": "Alt"})))
        .await
        .unwrap();
    let recent = store
        .create(&actor(), contact(json!({"last_name": "Neu"})))
        .await
        .unwrap();
    let note = store
        .create(
            &actor(),
            serde_json::from_value::<kartei_core::activity::ActivityData>(
                json!({"kind": "note", "body": "Rückruf", "contact_id": recent.id}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    for c in [&old, &recent] {
        store
            .delete(&actor(), Entity::Contact, c.id, None)
            .await
            .unwrap();
    }
    store
        .delete(&actor(), Entity::Activity, note.id, None)
        .await
        .unwrap();
    // Backdate two deletions, a contact's and a note's: tests cannot wait 30 days.
    let mut tx = store.db().write().await.unwrap();
    for (table, id) in [("contacts", old.id), ("activities", note.id)] {
        tx.execute(
            Query::update()
                .table(Alias::new(table))
                .value(
                    Alias::new("deleted_at"),
                    kartei_store::now() - chrono::Duration::days(31),
                )
                .and_where(Expr::col(Alias::new("id")).eq(id)),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.purge_expired(&actor()).await.unwrap(), 2);
    let (notes, _) = store.trash(Entity::Activity, None, 10).await.unwrap();
    assert!(notes.is_empty(), "every kind is purged: {notes:?}");
    let (trash, _) = store.trash(Entity::Contact, None, 10).await.unwrap();
    assert_eq!(
        trash.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Neu"]
    );
    assert!(matches!(
        store.restore(&actor(), Entity::Contact, old.id).await,
        Err(StoreError::NotFound)
    ));
    store
        .restore(&actor(), Entity::Contact, recent.id)
        .await
        .unwrap();
}
both_databases!(the_trash_forgets_after_thirty_days);

async fn deleting_a_custom_field_removes_its_values(store: Store) {
    let def = store
        .create_custom_field(
            &actor(),
            CustomFieldInput {
                entity: Entity::Contact,
                key: "shoe".into(),
                label_de: "Schuh".into(),
                label_en: "Shoe".into(),
                kind: CustomKind::Number,
                options: vec![],
            },
        )
        .await
        .unwrap();
    let c = store
        .create(
            &actor(),
            contact(json!({"last_name": "Fuß", "custom": {"shoe": 44}})),
        )
        .await
        .unwrap();
    assert_eq!(
        names(
            &store,
            json!({"field": "custom.shoe", "op": "ge", "value": 40}),
            "name"
        )
        .await,
        ["Fuß"]
    );
    store.delete_custom_field(&actor(), def.id).await.unwrap();
    let after = store.get::<ContactData>(c.id).await.unwrap();
    assert!(after.data.custom.is_empty());
    assert_eq!(after.version, 2);
    store
        .update::<ContactData>(&actor(), c.id, Some(2), json!({"first_name": "Frieda"}))
        .await
        .unwrap();
    let unknown =
        serde_json::from_value::<Filter>(json!({"field": "custom.shoe", "op": "eq", "value": 44}))
            .unwrap()
            .typed(Entity::Contact, &[]);
    assert!(unknown.is_err(), "the field is gone from filters");
}
both_databases!(deleting_a_custom_field_removes_its_values);

async fn concurrent_writers_with_the_same_version_lose_nothing(store: Store) {
    let c = store
        .create(&actor(), contact(json!({"last_name": "Zankapfel"})))
        .await
        .unwrap();
    let store = std::sync::Arc::new(store);
    let mut writers = Vec::new();
    for i in 0..10 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            store
                .update::<ContactData>(
                    &actor(),
                    c.id,
                    Some(1),
                    json!({"job_title": format!("Schreiber {i}")}),
                )
                .await
        }));
    }
    let mut won = Vec::new();
    for (i, w) in writers.into_iter().enumerate() {
        match w.await.unwrap() {
            Ok(r) => won.push((i, r.version)),
            Err(StoreError::VersionConflict { .. }) => {}
            Err(e) => panic!("writer {i}: {e:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one writer wins: {won:?}");
    let read = store.get::<ContactData>(c.id).await.unwrap();
    assert_eq!(read.version, 2);
    assert_eq!(read.data.job_title, Some(format!("Schreiber {}", won[0].0)));
    assert_eq!(
        store.history(c.id, None, 20).await.unwrap().len(),
        2,
        "one create, one update, nothing else"
    );
}
both_databases!(concurrent_writers_with_the_same_version_lose_nothing);

async fn likely_duplicates_are_found_and_explained(store: Store) {
    let hans = store
        .create(
            &actor(),
            contact(json!({"first_name": "Hans", "last_name": "Meier", "emails": [{"address": "h.meier@web.de"}],
                "addresses": [{"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}]})),
        )
        .await
        .unwrap();
    store
        .create(
            &actor(),
            contact(json!({"first_name": "Petra", "last_name": "Meier"})),
        )
        .await
        .unwrap();
    store.create(&actor(), contact(json!({"first_name": "Ida", "last_name": "Lang", "phones": [{"number": "030 999999"}]}))).await.unwrap();
    let draft = contact(
        json!({"first_name": "Johannes", "last_name": "Mayer", "emails": [{"address": "H.Meier+shop@web.de"}]}),
    );
    let found = store.likely_duplicates(&draft, None, 10).await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "Petra Meier shares only the surname sound: not likely"
    );
    assert_eq!(found[0].0.id, hans.id);
    use kartei_core::matching::Reason;
    assert_eq!(
        found[0].1.reasons,
        [Reason::SameEmail, Reason::NameSoundsAlike, Reason::Nickname]
    );
    let swapped = contact(json!({"first_name": "Meier", "last_name": "Hans"}));
    assert_eq!(
        store.likely_duplicates(&swapped, None, 10).await.unwrap()[0]
            .1
            .reasons,
        [Reason::SwappedNames]
    );
    assert!(
        store
            .likely_duplicates(&draft, Some(hans.id), 10)
            .await
            .unwrap()
            .is_empty(),
        "a record is not its own duplicate"
    );
    let by_phone =
        contact(json!({"last_name": "Unbekannt", "phones": [{"number": "+4930999999"}]}));
    assert_eq!(
        store.likely_duplicates(&by_phone, None, 10).await.unwrap()[0]
            .1
            .reasons,
        [Reason::SamePhone]
    );
    // Changes move the keys along; deleted contacts are not offered.
    store
        .update::<ContactData>(&actor(), hans.id, None, json!({"emails": []}))
        .await
        .unwrap();
    store
        .delete(&actor(), Entity::Contact, hans.id, None)
        .await
        .unwrap();
    assert!(store
        .likely_duplicates(&draft, None, 10)
        .await
        .unwrap()
        .is_empty());
}
both_databases!(likely_duplicates_are_found_and_explained);

async fn upgrading_an_older_database_fills_the_match_keys(store: Store) {
    let c = store
        .create(
            &actor(),
            contact(json!({"first_name": "Anna", "last_name": "Schmidt"})),
        )
        .await
        .unwrap();
    // Put the database back to schema version 1, as a copy from before this release.
    let mut tx = store.db().write().await.unwrap();
    tx.raw("DROP TABLE match_keys").await.unwrap();
    tx.raw("DELETE FROM schema_migrations WHERE version = 2")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        kartei_store::migrate::migrate(store.db()).await.unwrap(),
        [2]
    );
    let found = store
        .likely_duplicates(
            &contact(json!({"first_name": "Anna", "last_name": "Schmitt"})),
            None,
            5,
        )
        .await
        .unwrap();
    assert_eq!(found[0].0.id, c.id);
}
both_databases!(upgrading_an_older_database_fills_the_match_keys);

/// A database from before search tiers gets them: its own-name words are marked, so a
/// person named Müller comes before the staff of Müller GmbH there too.
async fn upgrading_an_older_database_ranks_its_search(store: Store) {
    let org = store
        .create(
            &actor(),
            OrganizationData {
                name: Some("Müller GmbH".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .create(
            &actor(),
            contact(json!({"first_name": "Eva", "last_name": "Abel", "organization_id": org.id})),
        )
        .await
        .unwrap();
    store
        .create(
            &actor(),
            contact(json!({"first_name": "Hans", "last_name": "Müller"})),
        )
        .await
        .unwrap();
    // Back to schema version 13: no tiers.
    let mut tx = store.db().write().await.unwrap();
    for sql in [
        "DROP INDEX search_tokens_token",
        "ALTER TABLE search_tokens DROP COLUMN tier",
        "CREATE UNIQUE INDEX search_tokens_token ON search_tokens(token, sort_key, record_id)",
        "DELETE FROM schema_migrations WHERE version = 14",
    ] {
        tx.raw(sql).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        kartei_store::migrate::migrate(store.db()).await.unwrap(),
        [14]
    );
    assert_eq!(search(&store, "Müller").await, ["Müller", "Abel"]);
}
both_databases!(upgrading_an_older_database_ranks_its_search);

async fn a_scan_finds_clusters_of_duplicates(store: Store) {
    let mut ids = std::collections::HashMap::new();
    for (key, body) in [
        (
            "hans",
            json!({"first_name": "Hans", "last_name": "Meier", "emails": [{"address": "h.meier@web.de"}]}),
        ),
        (
            "johannes",
            json!({"first_name": "Johannes", "last_name": "Mayer", "emails": [{"address": "H.Meier+news@web.de"}]}),
        ),
        (
            "anna",
            json!({"first_name": "Anna", "last_name": "Schmidt", "addresses": [{"city": "Köln"}]}),
        ),
        (
            "swapped",
            json!({"first_name": "Schmidt", "last_name": "Anna"}),
        ),
        (
            "x",
            json!({"last_name": "Xaver", "phones": [{"number": "030 5550001"}]}),
        ),
        (
            "y",
            json!({"last_name": "Yilmaz", "phones": [{"number": "+49 30 5550001"}], "emails": [{"address": "y@z.de"}]}),
        ),
        (
            "z",
            json!({"last_name": "Zeller", "emails": [{"address": "y@z.de"}]}),
        ),
        (
            "alone",
            json!({"first_name": "Bernd", "last_name": "Weber"}),
        ),
        (
            "gone",
            json!({"first_name": "Hans", "last_name": "Maier", "emails": [{"address": "h.meier@web.de"}]}),
        ),
    ] {
        ids.insert(key, store.create(&actor(), contact(body)).await.unwrap().id);
    }
    store
        .delete(&actor(), Entity::Contact, ids["gone"], None)
        .await
        .unwrap();
    let pairs = store.scan_duplicates(40, |_, _| {}).await.unwrap();
    let name = |id: uuid::Uuid| {
        ids.iter()
            .find(|(_, v)| **v == id)
            .map(|(k, _)| *k)
            .unwrap()
    };
    let mut found: Vec<(Vec<&str>, u32)> = pairs
        .iter()
        .map(|p| {
            let mut pair = vec![name(p.a), name(p.b)];
            pair.sort_unstable();
            (pair, p.score.score)
        })
        .collect();
    found.sort();
    assert_eq!(
        found.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        [
            vec!["anna", "swapped"],
            vec!["hans", "johannes"],
            vec!["x", "y"],
            vec!["y", "z"]
        ],
        "{found:?}"
    );
    let cluster_of = |a: &str| {
        pairs
            .iter()
            .find(|p| name(p.a) == a || name(p.b) == a)
            .unwrap()
            .cluster
    };
    assert_eq!(
        cluster_of("x"),
        cluster_of("z"),
        "x~y and y~z form one cluster"
    );
    assert_ne!(cluster_of("x"), cluster_of("hans"));
    assert_eq!(pairs[0].score.score, 100, "best first");
}
both_databases!(a_scan_finds_clusters_of_duplicates);

/// A key many contacts share (a switchboard number) is too common to compare every pair
/// of its members, but not dropped: sorted by name, each member meets its neighbours,
/// so the one person entered twice with a typo in the name is still found.
async fn a_large_block_is_searched_not_dropped(store: Store) {
    let switchboard = json!([{"number": "+49301111111"}]);
    let firsts = [
        "Anton",
        "Berta",
        "Clemens",
        "Dorothea",
        "Emil",
        "Friedrich",
        "Gisela",
        "Heinrich",
        "Ingrid",
        "Konrad",
        "Ludwig",
        "Margarete",
    ];
    let lasts = ["Schulz", "Hoffmann", "Becker", "Richter", "Zimmermann"];
    assert!(firsts.len() * lasts.len() > kartei_store::duplicates::MAX_BLOCK);
    for first in firsts {
        for last in lasts {
            store
                .create(
                    &actor(),
                    contact(json!({"first_name": first, "last_name": last, "phones": switchboard})),
                )
                .await
                .unwrap();
        }
    }
    for last in ["Weber", "Wegber"] {
        store
            .create(
                &actor(),
                contact(json!({"first_name": "Anna", "last_name": last, "phones": switchboard})),
            )
            .await
            .unwrap();
    }
    let pairs = store
        .scan_duplicates(kartei_store::duplicates::LIKELY_FROM, |_, _| {})
        .await
        .unwrap();
    let names: Vec<(String, String)> = pairs
        .iter()
        .map(|p| (p.a_name.clone(), p.b_name.clone()))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let mut pair = [names[0].0.as_str(), names[0].1.as_str()];
    pair.sort_unstable();
    assert_eq!(pair, ["Anna Weber", "Anna Wegber"]);
}
both_databases!(a_large_block_is_searched_not_dropped);

/// Bulk actions of the list page (tag, untag, owner, delete) change all selected records
/// or, when one of them fails, none.
async fn bulk_changes_are_all_or_nothing(store: Store) {
    let mut ids = Vec::new();
    for last in ["Adler", "Brandt"] {
        ids.push(
            store
                .create(&actor(), contact(json!({"last_name": last})))
                .await
                .unwrap()
                .id,
        );
    }
    let unknown = uuid::Uuid::now_v7();
    let with_unknown = [ids[0], ids[1], unknown];
    let tagged = |store: Store, ids: Vec<uuid::Uuid>| async move {
        let mut n = 0;
        for id in ids {
            n += store.get::<ContactData>(id).await.unwrap().tags.len();
        }
        n
    };

    let err = store
        .attach_tag(
            &actor(),
            Entity::Contact,
            &with_unknown,
            TagSelector::Name("Messe".into()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(tagged(store.clone(), ids.clone()).await, 0);
    assert!(
        store.list_tags().await.unwrap().is_empty(),
        "no tag left behind"
    );

    let tag = store
        .attach_tag(
            &actor(),
            Entity::Contact,
            &ids,
            TagSelector::Name("Messe".into()),
        )
        .await
        .unwrap();
    assert_eq!(tagged(store.clone(), ids.clone()).await, 2);
    assert!(store
        .detach_tag(&actor(), Entity::Contact, &with_unknown, tag.id)
        .await
        .is_err());
    assert_eq!(tagged(store.clone(), ids.clone()).await, 2);
    assert_eq!(
        store
            .detach_tag(&actor(), Entity::Contact, &ids, tag.id)
            .await
            .unwrap(),
        2
    );

    let err = store
        .update_many::<ContactData>(&actor(), &ids, &json!({"emails": [{"address": "kaputt"}]}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(store
        .update_many::<ContactData>(&actor(), &with_unknown, &json!({"job_title": "Einkauf"}))
        .await
        .is_err());
    for id in &ids {
        let c = store.get::<ContactData>(*id).await.unwrap();
        assert_eq!((c.version, c.data.job_title), (1, None), "nothing changed");
    }
    store
        .update_many::<ContactData>(&actor(), &ids, &json!({"job_title": "Einkauf"}))
        .await
        .unwrap();
    assert_eq!(
        store
            .get::<ContactData>(ids[1])
            .await
            .unwrap()
            .data
            .job_title
            .as_deref(),
        Some("Einkauf")
    );

    assert!(store
        .delete_many(&actor(), Entity::Contact, &with_unknown)
        .await
        .is_err());
    assert!(store.get::<ContactData>(ids[0]).await.is_ok(), "still live");
    store
        .delete_many(&actor(), Entity::Contact, &ids)
        .await
        .unwrap();
    assert_eq!(
        store
            .trash(Entity::Contact, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        2
    );
}
both_databases!(bulk_changes_are_all_or_nothing);

/// A name or key that is taken is refused on the field it belongs to, found by the
/// database's constraint, on both databases.
async fn taken_names_are_refused_on_their_own_field(store: Store) {
    let field_of = |e: StoreError| match e {
        StoreError::Invalid(f) => (f[0].field.clone(), f[0].code),
        other => panic!("expected a field error, got {other:?}"),
    };
    store
        .add_user(&actor(), "anna", kartei_core::access::Role::User, "x")
        .await
        .unwrap();
    let again = store
        .add_user(&actor(), "anna", kartei_core::access::Role::User, "y")
        .await
        .unwrap_err();
    assert_eq!(field_of(again), ("name".into(), ErrorCode::AlreadyExists));
    let input = || CustomFieldInput {
        entity: Entity::Contact,
        key: "groesse".into(),
        label_de: "Größe".into(),
        label_en: "Size".into(),
        kind: CustomKind::Text,
        options: vec![],
    };
    store.create_custom_field(&actor(), input()).await.unwrap();
    let again = store
        .create_custom_field(&actor(), input())
        .await
        .unwrap_err();
    assert_eq!(field_of(again), ("key".into(), ErrorCode::AlreadyExists));
}
both_databases!(taken_names_are_refused_on_their_own_field);

/// Names in a list as a German dictionary orders them (DIN 5007, variant 1), the same
/// on both databases, walking pages with a cursor, both directions; a database from
/// before the sort keys gets them on upgrade.
async fn lists_sort_names_as_a_german_dictionary_does(store: Store) {
    let expected = [
        "Bauer",
        "Baumann",
        "Bäumer",
        "Baur",
        "Mueller",
        "Muller",
        "Müller",
        "Müllerin",
        "Strasser",
        "Straßer",
        "Strauß",
    ];
    for last in expected.iter().rev() {
        store
            .create(&actor(), contact(json!({"last_name": last})))
            .await
            .unwrap();
    }
    let names = |store: Store, descending: bool| async move {
        let mut sort = Sort::by_name();
        sort.descending = descending;
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list::<ContactData>(&ListRequest {
                    filter: None,
                    sort: sort.clone(),
                    cursor,
                    limit: 4,
                    with_total: false,
                })
                .await
                .unwrap();
            out.extend(page.items.into_iter().map(|r| r.data.last_name.unwrap()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break out,
            }
        }
    };
    assert_eq!(names(store.clone(), false).await, expected);
    let mut reversed = expected.to_vec();
    reversed.reverse();
    assert_eq!(names(store.clone(), true).await, reversed);
    // Search ranks by the same key among equal matches.
    let found = |store: Store| async move {
        store
            .search::<ContactData>(&SearchRequest {
                q: "mu".into(),
                filter: None,
                cursor: None,
                limit: 10,
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|r| r.data.last_name.unwrap())
            .collect::<Vec<String>>()
    };
    let found_mu = ["Mueller", "Muller", "Müller", "Müllerin"];
    assert_eq!(found(store.clone()).await, found_mu);

    // Back to the schema before sort keys, as a copy from an older release: the upgrade
    // computes them.
    let tables = [
        "contacts",
        "organizations",
        "activities",
        "pipelines",
        "deals",
        "product_categories",
        "products",
        "orders",
        "tickets",
        "feedback",
    ];
    let mut tx = store.db().write().await.unwrap();
    for t in tables {
        tx.raw(&format!("DROP INDEX {t}_sort_key")).await.unwrap();
        tx.raw(&format!("ALTER TABLE {t} DROP COLUMN sort_key"))
            .await
            .unwrap();
    }
    tx.raw("UPDATE search_tokens SET sort_key = ''")
        .await
        .unwrap();
    tx.raw("DELETE FROM schema_migrations WHERE version = 13")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        kartei_store::migrate::migrate(store.db()).await.unwrap(),
        [13]
    );
    assert_eq!(names(store.clone(), false).await, expected);
    assert_eq!(found(store.clone()).await, found_mu);
}
both_databases!(lists_sort_names_as_a_german_dictionary_does);
