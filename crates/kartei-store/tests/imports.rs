//! Imports through the store on SQLite and PostgreSQL: a batch of checked contacts is
//! written whole or not at all, what it writes is found by search, and saved column
//! mappings can be renamed and deleted, and undo says what it left as it was.

use kartei_core::contact::ContactData;
use kartei_core::import_match::OnMatch;
use kartei_core::validation::ErrorCode;
use kartei_store::imports::{ImportBatch, KeptReason};
use kartei_store::search::SearchRequest;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

fn contact(v: serde_json::Value) -> ContactData {
    serde_json::from_value(v).unwrap()
}

fn code(e: StoreError) -> ErrorCode {
    match e {
        StoreError::Invalid(f) => f[0].code,
        other => panic!("{other:?}"),
    }
}

async fn found(store: &Store, q: &str) -> usize {
    store
        .search::<ContactData>(&SearchRequest {
            q: q.into(),
            filter: None,
            cursor: None,
            limit: 50,
        })
        .await
        .unwrap()
        .items
        .len()
}

async fn job_of(store: &Store, id: Uuid) -> kartei_store::imports::ImportJob {
    let jobs = store.imports().await.unwrap();
    jobs.into_iter().find(|j| j.id == id).unwrap()
}

async fn a_batch_is_written_whole_or_not_at_all(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let validator = store.validator().await.unwrap();
    let job = store.start_import(&actor, "a.csv", "hash-a").await.unwrap();
    let mut load = store.begin_bulk(3).await.unwrap();

    // The second contact links an organisation that does not exist: the batch fails
    // with that field and writes nothing, not even the valid first contact.
    let good = validator
        .check(contact(json!({"first_name": "Jörg", "last_name": "Bäumer",
            "emails": [{"address": "joerg@example.de"}]})))
        .unwrap();
    let mut dangling = validator
        .check(contact(json!({"first_name": "Ute", "last_name": "Quast"})))
        .unwrap();
    dangling.set_organization(Some(Uuid::now_v7()));
    let failed = store
        .import_batch(
            &actor,
            job.id,
            ImportBatch {
                creates: vec![good.clone(), dangling],
                updates: vec![],
                on_match: OnMatch::FillIn,
                create_consents: Vec::new(),
                update_consents: Vec::new(),
                next_row: 2,
            },
            &mut load,
        )
        .await
        .unwrap_err();
    let StoreError::Invalid(fields) = failed else {
        panic!("expected a field error");
    };
    assert_eq!(fields[0].field, "organization_id");
    assert_eq!(fields[0].code, ErrorCode::UnknownReference);
    assert_eq!(found(&store, "Bäumer").await, 0);
    let job_now = job_of(&store, job.id).await;
    assert_eq!((job_now.created, job_now.next_row), (0, 0));

    // Without it the batch goes in, search tokens and all (typo included).
    let other = validator
        .check(contact(json!({"first_name": "Ute", "last_name": "Quast"})))
        .unwrap();
    store
        .import_batch(
            &actor,
            job.id,
            ImportBatch {
                creates: vec![good, other],
                updates: vec![],
                on_match: OnMatch::FillIn,
                create_consents: Vec::new(),
                update_consents: Vec::new(),
                next_row: 2,
            },
            &mut load,
        )
        .await
        .unwrap();
    store.finish_bulk(load).await.unwrap();
    assert_eq!(found(&store, "Bäumer").await, 1);
    assert_eq!(found(&store, "Baumer").await, 1);
    assert_eq!(found(&store, "Quats").await, 1, "one typo away");
    assert_eq!(found(&store, "joerg@example").await, 1);
    let job_now = job_of(&store, job.id).await;
    assert_eq!((job_now.created, job_now.next_row), (2, 2));
}

both_databases!(a_batch_is_written_whole_or_not_at_all);

async fn saved_mappings_are_renamed_and_deleted(store: Store) {
    let actor = Actor::system("t");
    let mapping: BTreeMap<String, String> =
        [("Vorname".to_string(), "first_name".to_string())].into();
    store
        .save_import_preset(&actor, " Messe 2026 ", &mapping)
        .await
        .unwrap();
    store
        .save_import_preset(&actor, "Shop", &mapping)
        .await
        .unwrap();
    let names = |store: &Store| {
        let store = store.clone();
        async move {
            store
                .import_presets()
                .await
                .unwrap()
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(&store).await, ["Messe 2026", "Shop"]);

    // Taken names, built-in names and empty names are refused and change nothing.
    let taken = store.rename_import_preset("Messe 2026", "Shop").await;
    assert_eq!(code(taken.unwrap_err()), ErrorCode::AlreadyExists);
    let builtin = store.rename_import_preset("Shop", "HubSpot").await;
    assert_eq!(code(builtin.unwrap_err()), ErrorCode::AlreadyExists);
    let empty = store.rename_import_preset("Shop", "  ").await;
    assert_eq!(code(empty.unwrap_err()), ErrorCode::OutOfRange);
    assert!(matches!(
        store.rename_import_preset("Gibt es nicht", "Neu").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(names(&store).await, ["Messe 2026", "Shop"]);

    store
        .rename_import_preset("Messe 2026", "Messe Köln")
        .await
        .unwrap();
    let presets = store.import_presets().await.unwrap();
    assert_eq!(presets[0].0, "Messe Köln");
    assert_eq!(presets[0].1, mapping, "the mapping stays with the new name");

    store.delete_import_preset("Shop").await.unwrap();
    assert!(matches!(
        store.delete_import_preset("Shop").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(names(&store).await, ["Messe Köln"]);
}

both_databases!(saved_mappings_are_renamed_and_deleted);

/// Undo trashes what an import made and puts back what it changed, but leaves as they
/// are, and names, the records changed or merged away since: nothing is overwritten or
/// skipped without a word.
async fn undo_leaves_later_changes_and_says_so(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let validator = store.validator().await.unwrap();
    let anna = store
        .create(
            &actor,
            contact(json!({"first_name": "Anna", "last_name": "Alt"})),
        )
        .await
        .unwrap();
    let bernd = store
        .create(
            &actor,
            contact(json!({"first_name": "Bernd", "last_name": "Berg"})),
        )
        .await
        .unwrap();
    let dieter_by_hand = store
        .create(
            &actor,
            contact(json!({"first_name": "Dieter", "last_name": "Neumann"})),
        )
        .await
        .unwrap();

    let job = store.start_import(&actor, "b.csv", "hash-b").await.unwrap();
    let mut load = store.begin_bulk(4).await.unwrap();
    let creates = ["Carla", "Dieter"]
        .map(|first| {
            validator
                .check(contact(json!({"first_name": first, "last_name": "Neu"})))
                .unwrap()
        })
        .to_vec();
    let ids = store
        .import_batch(
            &actor,
            job.id,
            ImportBatch {
                creates,
                updates: vec![
                    (anna.id, contact(json!({"job_title": "Einkauf"}))),
                    (bernd.id, contact(json!({"job_title": "Vertrieb"}))),
                ],
                on_match: OnMatch::FillIn,
                create_consents: Vec::new(),
                update_consents: Vec::new(),
                next_row: 4,
            },
            &mut load,
        )
        .await
        .unwrap();
    store.finish_bulk(load).await.unwrap();
    store.finish_import(job.id).await.unwrap();
    let (carla, dieter) = (ids[0], ids[1]);

    // After the import: Bernd is edited by hand, the imported Dieter is merged into the
    // one made by hand.
    store
        .update::<ContactData>(&actor, bernd.id, None, json!({"job_title": "Leitung"}))
        .await
        .unwrap();
    store
        .merge_contacts(
            &actor,
            dieter_by_hand.id,
            dieter,
            &std::collections::BTreeSet::new(),
            None,
        )
        .await
        .unwrap();

    let undone = store.undo_import(&actor, job.id).await.unwrap();
    assert_eq!((undone.trashed, undone.restored), (1, 1));
    let mut kept: Vec<(Uuid, KeptReason)> = undone.kept.iter().map(|k| (k.id, k.reason)).collect();
    kept.sort_by_key(|(id, _)| *id);
    assert_eq!(
        kept,
        vec![
            (bernd.id, KeptReason::ChangedSince),
            (
                dieter,
                KeptReason::MergedInto {
                    survivor: dieter_by_hand.id
                }
            ),
        ]
    );
    assert!(undone.kept.iter().any(|k| k.name.contains("Berg")));
    assert!(undone.job.undone_at.is_some());
    let job_title = |c: kartei_store::records::Record<ContactData>| c.data.job_title;
    assert_eq!(job_title(store.get(anna.id).await.unwrap()), None);
    assert_eq!(
        job_title(store.get(bernd.id).await.unwrap()).as_deref(),
        Some("Leitung")
    );
    assert!(matches!(
        store.get::<ContactData>(carla).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.get::<ContactData>(dieter_by_hand.id).await.is_ok());
    assert_eq!(
        code(store.undo_import(&actor, job.id).await.unwrap_err()),
        ErrorCode::OutOfRange
    );
}

both_databases!(undo_leaves_later_changes_and_says_so);
