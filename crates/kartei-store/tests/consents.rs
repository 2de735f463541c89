//! The consent ledger on SQLite and PostgreSQL: events are appended with their proof,
//! the latest decides the state, the `may_contact` filter follows it (expiry included),
//! a merge carries every event to the survivor and its undo takes them back.

use chrono::{Duration, Utc};
use kartei_core::consent::{ConsentInput, Purpose};
use kartei_core::contact::ContactData;
use kartei_core::filter::{Filter, Sort};
use kartei_core::record::Entity;
use kartei_core::validation::ErrorCode;
use kartei_store::list::ListRequest;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

fn event(status: &str, minutes_ago: i64) -> ConsentInput {
    ConsentInput {
        channel: "email".into(),
        purpose: "newsletter".into(),
        status: status.into(),
        basis: "consent".into(),
        source: "phone".into(),
        wording: Some("Ich möchte den Newsletter per E-Mail erhalten.".into()),
        proof: Some("Anruf vom Kunden".into()),
        occurred_at: Some(Utc::now() - Duration::minutes(minutes_ago)),
        ..ConsentInput::default()
    }
}

async fn contact(store: &Store, name: &str) -> Uuid {
    let data: ContactData = serde_json::from_value(json!({"last_name": name})).unwrap();
    store.create(&Actor::system("t"), data).await.unwrap().id
}

async fn may_receive(store: &Store, target: &str) -> Vec<Uuid> {
    let filter: Filter =
        serde_json::from_value(json!({"op": "may_contact", "value": target})).unwrap();
    let req = ListRequest {
        filter: Some(filter.typed(Entity::Contact, &[]).unwrap()),
        sort: Sort::by_name(),
        cursor: None,
        limit: 100,
        with_total: true,
    };
    let page = store.list::<ContactData>(&req).await.unwrap();
    assert_eq!(page.total, Some(page.items.len() as i64));
    page.items.into_iter().map(|r| r.id).collect()
}

fn codes(e: StoreError) -> Vec<(String, ErrorCode)> {
    match e {
        StoreError::Invalid(f) => f.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("{other:?}"),
    }
}

async fn consents_are_a_ledger_and_the_filter_follows_it(store: Store) {
    let clerk = Actor::user(Uuid::now_v7(), "Petra Vertrieb");
    let anna = contact(&store, "Anna").await;
    let bernd = contact(&store, "Bernd").await;
    let carla = contact(&store, "Carla").await;

    // Anna: granted by phone, the clerk is named, the wording kept once with a version.
    let granted = store
        .record_consent(&clerk, anna, event("granted", 60))
        .await
        .unwrap();
    assert_eq!(granted.recorded_by_name, "Petra Vertrieb");
    assert_eq!(granted.wording_version, Some(1));
    assert_eq!(granted.proof.as_deref(), Some("Anruf vom Kunden"));
    // Bernd: the same wording (stored once, same hash and version), then withdrawn.
    let b1 = store
        .record_consent(&clerk, bernd, event("granted", 50))
        .await
        .unwrap();
    assert_eq!(b1.wording_hash, granted.wording_hash);
    assert_eq!(b1.wording_version, Some(1));
    store
        .record_consent(&clerk, bernd, event("withdrawn", 10))
        .await
        .unwrap();
    // Carla: granted, but the consent has expired.
    let mut expired = event("granted", 30);
    expired.expires_at = Some(Utc::now() - Duration::minutes(1));
    store.record_consent(&clerk, carla, expired).await.unwrap();
    // A different wording for the same purpose is its second version.
    let mut other = event("granted", 5);
    other.channel = "post".into();
    other.wording = Some("Ja, Post bitte.".into());
    let v2 = store.record_consent(&clerk, carla, other).await.unwrap();
    assert_eq!(v2.wording_version, Some(2));

    assert_eq!(may_receive(&store, "email:newsletter").await, [anna]);
    assert_eq!(may_receive(&store, "post:newsletter").await, [carla]);
    assert!(may_receive(&store, "sms:newsletter").await.is_empty());

    let bernd_now = store.consents(bernd).await.unwrap();
    assert_eq!(bernd_now.events.len(), 2);
    assert_eq!(bernd_now.events[0].status, "withdrawn", "newest first");
    assert_eq!(bernd_now.state.len(), 1);
    assert_eq!(bernd_now.state[0].status, "withdrawn");
    let carla_now = store.consents(carla).await.unwrap();
    let email = carla_now
        .state
        .iter()
        .find(|s| s.channel == "email")
        .unwrap();
    assert_eq!(email.status, "expired");

    // An event recorded late but dated earlier does not override a later one.
    store
        .record_consent(&clerk, bernd, event("granted", 40))
        .await
        .unwrap();
    assert_eq!(
        store.consents(bernd).await.unwrap().state[0].status,
        "withdrawn"
    );

    // Bad input: every wrong field named, nothing written.
    let mut bad = event("granted", 0);
    bad.purpose = "lottery".into();
    bad.wording = None;
    let errors = codes(store.record_consent(&clerk, anna, bad).await.unwrap_err());
    assert!(errors.contains(&("purpose".into(), ErrorCode::InvalidChoice)));
    assert!(errors.contains(&("wording".into(), ErrorCode::Required)));
    assert_eq!(store.consents(anna).await.unwrap().events.len(), 1);
    assert!(matches!(
        store
            .record_consent(&clerk, Uuid::now_v7(), event("granted", 0))
            .await,
        Err(StoreError::NotFound)
    ));
    // A filter on a purpose nobody configured is an error, not an empty list.
    let filter: Filter =
        serde_json::from_value(json!({"op": "may_contact", "value": "email:lottery"})).unwrap();
    let req = ListRequest {
        filter: Some(filter.typed(Entity::Contact, &[]).unwrap()),
        sort: Sort::by_name(),
        cursor: None,
        limit: 10,
        with_total: false,
    };
    assert!(store.list::<ContactData>(&req).await.is_err());

    // Admins add a purpose; it can be used at once.
    let purpose = Purpose {
        key: "events".into(),
        name_de: "Veranstaltungen".into(),
        name_en: "Events".into(),
        description_de: "Einladungen zu Veranstaltungen.".into(),
        description_en: "Invitations to events.".into(),
    };
    store.save_consent_purpose(&clerk, purpose).await.unwrap();
    assert!(store
        .consent_purposes()
        .await
        .unwrap()
        .iter()
        .any(|p| p.key == "events"));
    let mut invite = event("granted", 0);
    invite.purpose = "events".into();
    store.record_consent(&clerk, bernd, invite).await.unwrap();
    assert_eq!(may_receive(&store, "email:events").await, [bernd]);

    // Merging Anna into Bernd: all events move; Anna's later grant is older than
    // Bernd's withdrawal, so Bernd stays withdrawn, with both in the history.
    let merge = store
        .merge_contacts(&clerk, bernd, anna, &BTreeSet::new(), None)
        .await
        .unwrap();
    let merged = store.consents(bernd).await.unwrap();
    assert_eq!(merged.events.len(), 5);
    let email = merged
        .state
        .iter()
        .find(|s| s.channel == "email" && s.purpose == "newsletter")
        .unwrap();
    assert_eq!(email.status, "withdrawn");
    assert!(may_receive(&store, "email:newsletter").await.is_empty());
    // Undo: Anna's event goes back with her, and so does her permission.
    store.undo_merge(&clerk, merge.id).await.unwrap();
    assert_eq!(store.consents(anna).await.unwrap().events.len(), 1);
    assert_eq!(store.consents(bernd).await.unwrap().events.len(), 4);
    assert_eq!(may_receive(&store, "email:newsletter").await, [anna]);

    // Purging a contact from the trash takes its consents and their proof with it.
    store
        .delete(&clerk, Entity::Contact, carla, None)
        .await
        .unwrap();
    store.purge(&clerk, Entity::Contact, carla).await.unwrap();
    let left = |table: &str| {
        let store = store.clone();
        let sql = format!("SELECT COUNT(*) FROM {table}");
        async move {
            kartei_store::testing::count_sql(&store, &sql)
                .await
                .unwrap()
        }
    };
    assert_eq!(left("consent_events").await, 5, "Anna's 1, Bernd's 4");
    assert_eq!(left("consent_state").await, 3);
    store.close().await;
}

both_databases!(consents_are_a_ledger_and_the_filter_follows_it);
