//! The audit log is a hash chain on SQLite and PostgreSQL: a changed value, a changed
//! actor or a removed entry is found and named by `verify_audit`; putting the value
//! back mends it.

use kartei_core::contact::ContactData;
use kartei_store::testing::execute_sql;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;

async fn a_tampered_audit_log_is_found_out(store: Store) {
    let actor = Actor::system("t");
    for name in ["Adler", "Berger", "Claus"] {
        let c: ContactData = serde_json::from_value(json!({"last_name": name})).unwrap();
        let created = store.create(&actor, c).await.unwrap();
        store
            .update::<ContactData>(&actor, created.id, None, json!({"first_name": "X"}))
            .await
            .unwrap();
    }
    let clean = store.verify_audit().await.unwrap();
    assert!(clean.broken.is_none(), "{clean:?}");
    assert!(clean.checked >= 6, "{clean:?}");

    // A changed value in the after-image of the third entry.
    execute_sql(
        &store,
        "UPDATE audit_log SET after_data = replace(after_data, 'Berger', 'Bergmann') \
         WHERE seq = (SELECT min(seq) FROM audit_log WHERE after_data LIKE '%Berger%')",
    )
    .await
    .unwrap();
    let check = store.verify_audit().await.unwrap();
    let broken = check.broken.expect("found");
    assert_eq!(broken.reason, "content");
    assert_eq!(check.checked, broken.seq - 1, "the entries before it hold");
    assert!(broken.seq > 1);
    execute_sql(
        &store,
        "UPDATE audit_log SET after_data = replace(after_data, 'Bergmann', 'Berger') \
         WHERE after_data LIKE '%Bergmann%'",
    )
    .await
    .unwrap();
    assert!(store.verify_audit().await.unwrap().broken.is_none());

    // Someone else named as the actor.
    execute_sql(
        &store,
        "UPDATE audit_log SET actor_name = 'jemand' WHERE seq = 4",
    )
    .await
    .unwrap();
    let broken = store.verify_audit().await.unwrap().broken.expect("found");
    assert_eq!((broken.seq, broken.reason.as_str()), (4, "hash"));
    execute_sql(
        &store,
        "UPDATE audit_log SET actor_name = 't' WHERE seq = 4",
    )
    .await
    .unwrap();

    // An entry removed.
    execute_sql(&store, "DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let broken = store.verify_audit().await.unwrap().broken.expect("found");
    assert_eq!((broken.seq, broken.reason.as_str()), (3, "gap"));
    store.close().await;
}

both_databases!(a_tampered_audit_log_is_found_out);
