//! Merging contacts on SQLite and PostgreSQL: fields chosen, everything attached moves
//! to the survivor, the merged contact goes to the trash, and undo puts all back.

use kartei_core::activity::ActivityData;
use kartei_core::commerce::OrderData;
use kartei_core::contact::ContactData;
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::loyalty::LoyaltyInput;
use kartei_core::record::Entity;
use kartei_core::support::TicketData;
use kartei_core::validation::ErrorCode;
use kartei_store::tags::TagSelector;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn code(e: StoreError) -> ErrorCode {
    match e {
        StoreError::Invalid(f) => f[0].code,
        other => panic!("{other:?}"),
    }
}

async fn merge_moves_everything_and_undo_puts_it_back(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let keep = store
        .create(
            &actor,
            from::<ContactData>(json!({
            "first_name": "Jürgen", "last_name": "Schmidt", "job_title": "Einkauf",
            "external_id": "crm-1",
            "emails": [{"address": "j.schmidt@example.de"}]})),
        )
        .await
        .unwrap();
    let other = store
        .create(
            &actor,
            from::<ContactData>(json!({
            "first_name": "Juergen", "last_name": "Schmitt", "department": "Vertrieb",
            "external_id": "crm-2",
            "emails": [{"address": "juergen@privat.de"}],
            "phones": [{"number": "030 1234567"}]})),
        )
        .await
        .unwrap();
    let third = store
        .create(&actor, from::<ContactData>(json!({"last_name": "Dritte"})))
        .await
        .unwrap();
    // Attached to the other contact: a note, a meeting with both, a deal with both,
    // an order, a ticket, a tag, loyalty points, and its own change history.
    let note = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "note", "body": "Anruf", "contact_id": other.id})),
        )
        .await
        .unwrap();
    let meeting = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "meeting", "subject": "Termin",
            "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T11:00:00Z",
            "contact_id": third.id, "attendee_contact_ids": [keep.id, other.id]})),
        )
        .await
        .unwrap();
    let pipeline = store
        .create(&actor, from::<PipelineData>(json!({"name": "Vertrieb", "stages": [{"name": "Neu"}, {"name": "Gewonnen", "won": true}]})))
        .await
        .unwrap();
    let deal = store
        .create(
            &actor,
            from::<DealData>(
                json!({"title": "Kaffeemaschinen", "pipeline_id": pipeline.id, "stage_id": pipeline.data.stages[0].id,
            "contact_ids": [other.id, keep.id]}),
            ),
        )
        .await
        .unwrap();
    let order = store
        .create(&actor, from::<OrderData>(json!({"number": "A-1", "contact_id": other.id,
            "ordered_on": "2026-11-01", "status": "paid", "lines": [{"description": "Bohnen", "quantity": 1, "unit_price_minor": 1000}]})))
        .await
        .unwrap();
    let ticket = store
        .create(
            &actor,
            from::<TicketData>(json!({"subject": "Defekt", "contact_id": other.id})),
        )
        .await
        .unwrap();
    store
        .attach_tag(
            &actor,
            Entity::Contact,
            &[other.id],
            TagSelector::Name("VIP".into()),
        )
        .await
        .unwrap();
    store
        .add_loyalty(
            &actor,
            other.id,
            LoyaltyInput {
                kind: Some("earn".into()),
                points: Some(120),
                reason: Some("Kauf".into()),
                order_id: None,
            },
        )
        .await
        .unwrap();
    store
        .update::<ContactData>(&actor, other.id, None, json!({"notes": "Stammkunde"}))
        .await
        .unwrap();

    // A contact cannot be merged with itself; nothing changes.
    let same = store
        .merge_contacts(&actor, keep.id, keep.id, &BTreeSet::new(), None)
        .await
        .unwrap_err();
    assert_eq!(code(same), ErrorCode::SameRecord);

    let take: BTreeSet<String> = ["last_name".to_string()].into();
    let merge = store
        .merge_contacts(&actor, keep.id, other.id, &take, None)
        .await
        .unwrap();
    let survivor = store.get::<ContactData>(keep.id).await.unwrap();
    assert_eq!(survivor.data.first_name.as_deref(), Some("Jürgen"));
    assert_eq!(survivor.data.last_name.as_deref(), Some("Schmitt"));
    assert_eq!(survivor.data.job_title.as_deref(), Some("Einkauf"));
    assert_eq!(survivor.data.department.as_deref(), Some("Vertrieb"));
    assert_eq!(survivor.data.notes.as_deref(), Some("Stammkunde"));
    assert_eq!(survivor.data.external_id.as_deref(), Some("crm-1"));
    assert_eq!(survivor.data.emails.len(), 2);
    assert_eq!(survivor.data.phones.len(), 1);
    assert_eq!(
        survivor
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["VIP"]
    );
    assert!(matches!(
        store.get::<ContactData>(other.id).await,
        Err(StoreError::NotFound)
    ));
    let a = store.get::<ActivityData>(note.id).await.unwrap();
    assert_eq!(a.data.contact_id, Some(keep.id));
    let m = store.get::<ActivityData>(meeting.id).await.unwrap();
    assert_eq!(m.data.attendee_contact_ids, [keep.id]);
    let d = store.get::<DealData>(deal.id).await.unwrap();
    assert_eq!(d.data.contact_ids, [keep.id]);
    assert_eq!(
        store
            .get::<OrderData>(order.id)
            .await
            .unwrap()
            .data
            .contact_id,
        Some(keep.id)
    );
    assert_eq!(
        store
            .get::<TicketData>(ticket.id)
            .await
            .unwrap()
            .data
            .contact_id,
        Some(keep.id)
    );
    assert_eq!(store.loyalty_balance(keep.id).await.unwrap(), 120);
    let history = store.history(keep.id, None, 100).await.unwrap();
    assert!(history.iter().any(|e| e.action == "merge"));
    // The other contact's own history came along (its creation and its note change).
    assert!(history.iter().filter(|e| e.action == "create").count() >= 2);
    let x = ["crm-2".to_string()];
    assert_eq!(
        store.merged_external_ids(&x).await.unwrap().get("crm-2"),
        Some(&keep.id)
    );
    let listed = store.merges(Some(keep.id)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].merged_name, "Juergen Schmitt");
    assert!(merge.moved >= 8, "{}", merge.moved);

    // Undo: everything as before.
    store.undo_merge(&actor, merge.id).await.unwrap();
    let back = store.get::<ContactData>(keep.id).await.unwrap();
    assert_eq!(back.data, keep.data);
    assert!(back.tags.is_empty());
    let restored = store.get::<ContactData>(other.id).await.unwrap();
    assert_eq!(restored.data.notes.as_deref(), Some("Stammkunde"));
    assert_eq!(restored.tags.len(), 1);
    assert_eq!(
        store
            .get::<ActivityData>(note.id)
            .await
            .unwrap()
            .data
            .contact_id,
        Some(other.id)
    );
    assert_eq!(
        store
            .get::<ActivityData>(meeting.id)
            .await
            .unwrap()
            .data
            .attendee_contact_ids,
        [keep.id, other.id]
    );
    assert_eq!(
        store
            .get::<DealData>(deal.id)
            .await
            .unwrap()
            .data
            .contact_ids,
        [other.id, keep.id]
    );
    assert_eq!(
        store
            .get::<OrderData>(order.id)
            .await
            .unwrap()
            .data
            .contact_id,
        Some(other.id)
    );
    assert_eq!(store.loyalty_balance(other.id).await.unwrap(), 120);
    assert_eq!(store.loyalty_balance(keep.id).await.unwrap(), 0);
    assert!(store
        .history(other.id, None, 100)
        .await
        .unwrap()
        .iter()
        .any(|e| e.action == "update"));
    assert!(store.merged_external_ids(&x).await.unwrap().is_empty());
    // Undone once is undone.
    assert_eq!(
        code(store.undo_merge(&actor, merge.id).await.unwrap_err()),
        ErrorCode::ChangedSince
    );

    // A survivor changed after the merge refuses undo, and nothing moves back.
    let again = store
        .merge_contacts(&actor, keep.id, other.id, &BTreeSet::new(), None)
        .await
        .unwrap();
    store
        .update::<ContactData>(
            &actor,
            keep.id,
            None,
            json!({"job_title": "Leitung Einkauf"}),
        )
        .await
        .unwrap();
    assert_eq!(
        code(store.undo_merge(&actor, again.id).await.unwrap_err()),
        ErrorCode::ChangedSince
    );
    assert!(matches!(
        store.get::<ContactData>(other.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .get::<OrderData>(order.id)
            .await
            .unwrap()
            .data
            .contact_id,
        Some(keep.id)
    );
    let _ = Uuid::nil();
}
both_databases!(merge_moves_everything_and_undo_puts_it_back);

async fn scans_are_kept_for_review_and_distinct_pairs_stay_out(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let mut ids = Vec::new();
    for (first, last, mail) in [
        ("Jürgen", "Schmidt", "js@example.de"),
        ("Juergen", "Schmitt", "js@example.de"),
        ("Erika", "Mustermann", "erika@example.de"),
        ("Erika", "Musterman", "erika@example.de"),
    ] {
        let c = store
            .create(
                &actor,
                from::<ContactData>(json!({"first_name": first, "last_name": last,
                "emails": [{"address": mail}]})),
            )
            .await
            .unwrap();
        ids.push(c.id);
    }
    assert_eq!(store.duplicate_scan().await.unwrap(), None);
    let state = store.save_duplicate_scan(|_, _| {}).await.unwrap();
    assert_eq!((state.contacts, state.pairs), (4, 2));
    let found = store.duplicate_candidates(None, 0, 50).await.unwrap().0;
    assert_eq!(found.len(), 2);
    assert!(found[0].score >= found[1].score);
    // Page by page with the cursor: the same pairs in the same order, none twice.
    let (first, next) = store.duplicate_candidates(None, 0, 1).await.unwrap();
    let (second, _) = store
        .duplicate_candidates(next.as_deref(), 0, 1)
        .await
        .unwrap();
    assert_eq!(
        [first[0].a, second[0].a, first[0].b, second[0].b],
        [found[0].a, found[1].a, found[0].b, found[1].b]
    );
    assert!(matches!(
        store.duplicate_candidates(Some("9.x.y"), 0, 1).await,
        Err(StoreError::InvalidCursor)
    ));
    assert!(found.iter().all(|c| c
        .reasons
        .contains(&kartei_core::matching::Reason::SameEmail)));
    store.mark_distinct(ids[3], ids[2]).await.unwrap();
    assert_eq!(
        store
            .duplicate_candidates(None, 0, 50)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    store.save_duplicate_scan(|_, _| {}).await.unwrap();
    let left = store.duplicate_candidates(None, 0, 50).await.unwrap().0;
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].a.min(left[0].b), left[0].a.max(left[0].b)),
        (ids[0].min(ids[1]), ids[0].max(ids[1]))
    );
    // Merging takes the pair off the list.
    store
        .merge_contacts(&actor, ids[0], ids[1], &BTreeSet::new(), None)
        .await
        .unwrap();
    assert!(store
        .duplicate_candidates(None, 0, 50)
        .await
        .unwrap()
        .0
        .is_empty());
    assert!(store
        .duplicate_scan()
        .await
        .unwrap()
        .unwrap()
        .finished_at
        .is_some());
}
both_databases!(scans_are_kept_for_review_and_distinct_pairs_stay_out);

/// A database from before duplicate keys and contact links (migrations 2 and 9) gets
/// them filled in when it opens: a new contact's likely duplicates are found, and a merge
/// still finds the meetings and deals that list the contact.
async fn links_of_older_records_are_filled_in(url: String) {
    let actor = Actor::system("t");
    let (keep, other, meeting, deal) = {
        let store = Store::open(&url, "DE")
            .await
            .unwrap()
            .with_review_days(None);
        let contact = |first: &str| {
            let store = store.clone();
            let actor = actor.clone();
            let first = first.to_string();
            async move {
                store
                    .create(
                        &actor,
                        from::<ContactData>(json!({"first_name": first, "last_name": "Alt"})),
                    )
                    .await
                    .unwrap()
            }
        };
        let (keep, other, third) = (
            contact("Eva").await,
            contact("Evi").await,
            contact("Udo").await,
        );
        let meeting = store
            .create(
                &actor,
                from::<ActivityData>(json!({"kind": "meeting", "subject": "Termin",
                "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T11:00:00Z",
                "contact_id": third.id, "attendee_contact_ids": [other.id]})),
            )
            .await
            .unwrap();
        let pipeline = store
            .create(
                &actor,
                from::<PipelineData>(json!({"name": "Vertrieb", "stages": [{"name": "Neu"}]})),
            )
            .await
            .unwrap();
        let deal = store
            .create(
                &actor,
                from::<DealData>(json!({"title": "Altvertrag", "pipeline_id": pipeline.id,
                "stage_id": pipeline.data.stages[0].id, "contact_ids": [other.id]})),
            )
            .await
            .unwrap();
        // Back to the schema before migrations 2 and 9 (the tables filled in Rust).
        let mut tx = store.db().write().await.unwrap();
        tx.raw("DROP TABLE record_links").await.unwrap();
        tx.raw("DROP TABLE match_keys").await.unwrap();
        tx.raw("DELETE FROM schema_migrations WHERE version IN (2, 9)")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        (keep.id, other.id, meeting.id, deal.id)
    };
    let store = Store::open(&url, "DE")
        .await
        .unwrap()
        .with_review_days(None);
    // The duplicate keys are back: a new "Eva Alt" finds the stored one.
    let draft = from::<ContactData>(json!({"first_name": "Eva", "last_name": "Alt"}));
    let found = store.likely_duplicates(&draft, None, 10).await.unwrap();
    assert!(found.iter().any(|(r, _)| r.id == keep), "{found:?}");
    store
        .merge_contacts(&actor, keep, other, &BTreeSet::new(), None)
        .await
        .unwrap();
    let m = store.get::<ActivityData>(meeting).await.unwrap();
    assert_eq!(m.data.attendee_contact_ids, [keep]);
    let d = store.get::<DealData>(deal).await.unwrap();
    assert_eq!(d.data.contact_ids, [keep]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_filled_in_on_sqlite() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    links_of_older_records_are_filled_in(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_filled_in_on_postgres() {
    let (url, _scratch) = kartei_store::testing::postgres_url().await;
    links_of_older_records_are_filled_in(url).await;
}
