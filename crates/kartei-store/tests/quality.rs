//! The data-quality audit on SQLite and PostgreSQL: what it finds, and that the last
//! audit is kept (a restart of the server still shows it; a new audit replaces it).

use kartei_core::contact::ContactData;
use kartei_core::quality::Finding;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;

async fn the_last_audit_is_kept(store: Store) {
    let actor = Actor::system("t");
    assert_eq!(store.last_quality_report().await.unwrap(), None);
    for c in [
        json!({"first_name": "J", "last_name": "Kühn", "emails": [{"address": "j@kuehn.de"}]}),
        json!({"first_name": "Zora", "last_name": "Unerreichbar"}),
    ] {
        store
            .create(&actor, serde_json::from_value::<ContactData>(c).unwrap())
            .await
            .unwrap();
    }
    let report = store.quality_report(|_| {}).await.unwrap();
    assert_eq!(report.contacts, 2);
    assert_eq!(report.findings[&Finding::Initial].count, 1);
    assert_eq!(report.findings[&Finding::Unreachable].count, 1);
    assert_eq!(
        report.findings[&Finding::Unreachable].examples[0].1,
        "Zora Unerreichbar"
    );
    let emails = report.filled.iter().find(|(f, _)| f == "emails").unwrap();
    assert_eq!(emails.1, 1);

    let at = kartei_store::now();
    store.save_quality_report(at, &report).await.unwrap();
    let (kept_at, kept) = store.last_quality_report().await.unwrap().unwrap();
    assert_eq!(kept, report);
    assert!(
        (kept_at - at).num_milliseconds().abs() < 1,
        "{kept_at} {at}"
    );

    // A new audit replaces the last one.
    let mut newer = report.clone();
    newer.contacts = 3;
    store
        .save_quality_report(kartei_store::now(), &newer)
        .await
        .unwrap();
    assert_eq!(
        store
            .last_quality_report()
            .await
            .unwrap()
            .unwrap()
            .1
            .contacts,
        3
    );
}

both_databases!(the_last_audit_is_kept);
