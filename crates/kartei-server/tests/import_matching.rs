//! Rows of an import find the contacts they already are by customer number, by a custom
//! field or by the duplicate score, on SQLite and PostgreSQL; the check says so before
//! anything is written, and the run fills the found contact in.

use kartei_app::import::{check, match_by_choices, write, Content, Options, Table};
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldInput, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::import::Target;
use kartei_core::record::Entity;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;

const FILE: &str = "Vorname;Nachname;Kundennummer;Altnummer;Telefon;Straße;PLZ;Ort;Position\n\
    Jürgen;Schmitt;K-100;;;;;;Einkauf\n\
    Jürgen;Schmidt;;A-7;;;;;Vertrieb\n\
    Jürgen;Schmitt;;;030 1234567;Musterstr. 1;10115;Berlin;Leitung\n\
    Erika;Mustermann;K-200;A-8;;;;;Inhaberin\n";

fn options(match_by: &str) -> Options {
    Options {
        match_by: match_by.into(),
        on_match: kartei_core::import_match::OnMatch::FillIn,
        owner: None,
        lang: Lang::De,
        strict: false,
        country: None,
    }
}

async fn rows_find_contacts_by_a_chosen_column_or_the_score(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    store
        .create_custom_field(
            &actor,
            CustomFieldInput {
                entity: Entity::Contact,
                key: "altnummer".into(),
                label_de: "Altnummer".into(),
                label_en: "Old number".into(),
                kind: CustomKind::Text,
                options: vec![],
            },
        )
        .await
        .unwrap();
    let juergen = store
        .create::<ContactData>(
            &actor,
            serde_json::from_value(json!({
                "first_name": "Jürgen", "last_name": "Schmidt", "customer_number": "K-100",
                "phones": [{"number": "+49 30 1234567"}],
                "addresses": [{"street": "Musterstraße 1", "postcode": "10115", "city": "Berlin"}],
                "custom": {"altnummer": "A-7"}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let defs = store.custom_fields(Some(Entity::Contact)).await.unwrap();
    assert!(match_by_choices(&defs).contains(&"custom.altnummer".to_string()));

    let table = Table::read(Content::Bytes(FILE.as_bytes().into()), None).unwrap();
    // The old number's column is suggested for the custom field of that label.
    let targets = table.suggested(&defs);
    assert_eq!(targets[3], Target::Custom("altnummer".into()));
    // New, update, skip, invalid, new organisations: each way finds Jürgen in its row
    // only, Erika is new every time.
    for (match_by, updates) in [
        ("customer_number", 1),
        ("custom.altnummer", 1),
        ("score", 1),
        ("none", 0),
    ] {
        let checked = check(&store, &table, &targets, &options(match_by))
            .await
            .unwrap();
        assert_eq!(
            checked.counts(),
            [4 - updates, updates, 0, 0, 0],
            "{match_by}: {:?}",
            checked.problems()
        );
    }

    // The run by customer number fills in Jürgen and creates the other three rows.
    let checked = check(&store, &table, &targets, &options("customer_number"))
        .await
        .unwrap();
    let job = write(
        &store,
        &actor,
        "kunden.csv",
        &table,
        &checked,
        &options("customer_number"),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((job.created, job.updated), (3, 1));
    let now = store.get::<ContactData>(juergen.id).await.unwrap();
    assert_eq!(now.data.job_title.as_deref(), Some("Einkauf"));
    // Filling in never overwrites: the row's spelling "Schmitt" does not replace his.
    assert_eq!(now.data.last_name.as_deref(), Some("Schmidt"));

    // A custom field that does not exist is refused, not ignored.
    let unknown = check(&store, &table, &targets, &options("custom.nope")).await;
    assert!(
        matches!(
            unknown,
            Err(kartei_app::import::ImportError::Store(StoreError::Invalid(
                _
            )))
        ),
        "{:?}",
        unknown.err()
    );
}

both_databases!(rows_find_contacts_by_a_chosen_column_or_the_score);
