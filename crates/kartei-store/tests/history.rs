//! The customer history in the store, each story on SQLite and PostgreSQL: review
//! tasks, deals through stages, orders and revenue, loyalty points, the timeline.

use kartei_core::access::Role;
use kartei_core::activity::ActivityData;
use kartei_core::commerce::OrderData;
use kartei_core::contact::ContactData;
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::filter::{Filter, Sort};
use kartei_core::loyalty::LoyaltyInput;
use kartei_core::record::Entity;
use kartei_core::support::FeedbackData;
use kartei_core::validation::ErrorCode;
use kartei_store::history::TimelineKind;
use kartei_store::list::ListRequest;
use kartei_store::{both_databases, Actor, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn invalid_fields(e: StoreError) -> Vec<(String, ErrorCode)> {
    match e {
        StoreError::Invalid(f) => f.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("{other:?}"),
    }
}

async fn activities_of(store: &Store, contact: Uuid) -> Vec<ActivityData> {
    let defs = store.custom_fields(Some(Entity::Activity)).await.unwrap();
    let filter = serde_json::from_value::<Filter>(
        json!({"field": "contact_id", "op": "eq", "value": contact}),
    )
    .unwrap()
    .typed(Entity::Activity, &defs)
    .unwrap();
    store
        .list::<ActivityData>(&ListRequest {
            filter: Some(filter),
            sort: Sort::by_name(),
            cursor: None,
            limit: 100,
            with_total: false,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.data)
        .collect()
}

async fn a_new_contact_is_checked_by_its_owner(store: Store) {
    let owner = store
        .add_user(&Actor::system("t"), "olga", Role::User, "x")
        .await
        .unwrap();
    let actor = Actor::user(owner.id, "olga");
    let c = store
        .create(
            &actor,
            from::<ContactData>(json!({"last_name": "Neu", "owner_id": owner.id})),
        )
        .await
        .unwrap();
    assert!(c.data.needs_check, "a new contact carries the marker");
    let tasks = activities_of(&store, c.id).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].kind.as_deref(), Some("task"));
    assert_eq!(tasks[0].assignee_id, Some(owner.id));
    assert_eq!(tasks[0].review_of, Some(c.id));
    assert_eq!(
        tasks[0].due_date,
        Some(kartei_store::now().date_naive() + chrono::Duration::days(3))
    );

    // The marker filters, and goes when the task is done.
    let defs = store.custom_fields(Some(Entity::Contact)).await.unwrap();
    let needs = serde_json::from_value::<Filter>(
        json!({"field": "needs_check", "op": "eq", "value": true}),
    )
    .unwrap()
    .typed(Entity::Contact, &defs)
    .unwrap();
    let req = ListRequest {
        filter: Some(needs),
        sort: Sort::by_name(),
        cursor: None,
        limit: 10,
        with_total: false,
    };
    assert_eq!(
        store.list::<ContactData>(&req).await.unwrap().items.len(),
        1
    );
    let task_page = store
        .list::<ActivityData>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit: 10,
            with_total: false,
        })
        .await
        .unwrap();
    let task_id = task_page.items[0].id;
    store
        .update::<ActivityData>(&actor, task_id, None, json!({"done": true}))
        .await
        .unwrap();
    assert!(
        !store
            .get::<ContactData>(c.id)
            .await
            .unwrap()
            .data
            .needs_check
    );
    assert!(store
        .list::<ContactData>(&req)
        .await
        .unwrap()
        .items
        .is_empty());

    // A task must say what to do; a note is about someone.
    let e = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "task", "contact_id": c.id})),
        )
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("subject".into(), ErrorCode::Required)));
    let e = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "note", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("contact_id".into(), ErrorCode::Required)));
    let e = store
        .create(
            &actor,
            from::<ActivityData>(
                json!({"kind": "meeting", "subject": "x", "contact_id": c.id,
            "starts_at": "2026-11-24T10:00:00Z", "ends_at": "2026-11-24T09:00:00Z"}),
            ),
        )
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("ends_at".into(), ErrorCode::OutOfRange)));
}
both_databases!(a_new_contact_is_checked_by_its_owner);

async fn deals_move_through_stages_and_remember_them(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let pipeline = store
        .create(&actor, from::<PipelineData>(json!({"name": "Vertrieb", "stages": [
            {"name": "Erstkontakt", "probability": 10}, {"name": "Angebot"}, {"name": "Gewonnen", "won": true}, {"name": "Verloren", "lost": true}
        ]})))
        .await
        .unwrap();
    let stages: Vec<Uuid> = pipeline.data.stages.iter().map(|s| s.id.unwrap()).collect();
    assert_eq!(
        pipeline.data.stages[1].probability,
        Some(50),
        "a default probability"
    );

    let e = store
        .create(
            &actor,
            from::<DealData>(
                json!({"title": "X", "pipeline_id": pipeline.id, "stage_id": Uuid::now_v7()}),
            ),
        )
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("stage_id".into(), ErrorCode::UnknownReference)));
    let deal = store
        .create(&actor, from::<DealData>(json!({"title": "Kaffeemaschinen", "pipeline_id": pipeline.id, "stage_id": stages[0], "value_minor": 1_250_000})))
        .await
        .unwrap();
    assert_eq!(
        (
            deal.data.status.as_deref(),
            deal.data.probability,
            deal.data.currency.as_deref()
        ),
        (Some("open"), Some(10), Some("EUR"))
    );
    let won = store
        .update::<DealData>(
            &actor,
            deal.id,
            Some(1),
            json!({"stage_id": stages[2], "probability": null}),
        )
        .await
        .unwrap();
    assert_eq!(
        (won.data.status.as_deref(), won.data.probability),
        (Some("won"), Some(100))
    );
    let visits = store.stage_history(deal.id).await.unwrap();
    assert_eq!(
        visits.iter().map(|v| v.stage_id).collect::<Vec<_>>(),
        vec![stages[0], stages[2]]
    );
    // A change that keeps the stage adds no visit.
    store
        .update::<DealData>(
            &actor,
            deal.id,
            None,
            json!({"title": "Kaffeemaschinen (10)"}),
        )
        .await
        .unwrap();
    assert_eq!(store.stage_history(deal.id).await.unwrap().len(), 2);

    store
        .create(&actor, from::<DealData>(json!({"title": "Mühlen", "pipeline_id": pipeline.id, "stage_id": stages[0], "value_minor": 50_000})))
        .await
        .unwrap();
    // A stage with live deals cannot be removed from its pipeline.
    let e = store
        .update::<PipelineData>(&actor, pipeline.id, None, json!({"stages": [{"id": stages[1], "name": "Angebot"}, {"id": stages[3], "name": "Verloren", "lost": true}]}))
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("stages".into(), ErrorCode::UnknownReference)));

    let board = store.deal_board(pipeline.id, &stages, 50).await.unwrap();
    assert_eq!(
        board.iter().map(|c| c.count).collect::<Vec<_>>(),
        vec![1, 0, 1, 0]
    );
    assert_eq!(board[0].sums, vec![("EUR".to_string(), 50_000)]);
    assert_eq!(
        board[2].deals[0].data.title.as_deref(),
        Some("Kaffeemaschinen (10)")
    );

    // The deal's timeline: the call about it and its changes, newest first.
    let call = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "call", "subject": "Preis besprochen",
            "deal_id": deal.id, "occurred_at": "2030-01-01T10:00:00Z"})),
        )
        .await
        .unwrap();
    let page = store
        .timeline(Entity::Deal, deal.id, &[], None, 50)
        .await
        .unwrap();
    assert_eq!(page.items[0].id, call.id);
    assert_eq!(
        page.items
            .iter()
            .filter(|i| i.kind == TimelineKind::Change)
            .count(),
        3,
        "created, won, renamed"
    );
    assert!(page
        .items
        .iter()
        .all(|i| matches!(i.kind, TimelineKind::Activity | TimelineKind::Change)));
}
both_databases!(deals_move_through_stages_and_remember_them);

async fn orders_loyalty_and_the_timeline(store: Store) {
    let actor = Actor::system("t");
    let c = store
        .create(&actor, from::<ContactData>(json!({"last_name": "Kundin"})))
        .await
        .unwrap();
    for (i, status) in ["completed", "paid", "cancelled"].iter().enumerate() {
        store
            .create(
                &actor,
                from::<OrderData>(
                    json!({"number": format!("B-{i}"), "ordered_on": format!("2026-0{}-15", i + 1),
                "status": status, "contact_id": c.id,
                "lines": [{"description": "Bohnen", "quantity": 2, "unit_price_minor": 1000}]}),
                ),
            )
            .await
            .unwrap();
    }
    let p = store.purchases(c.id).await.unwrap();
    assert_eq!(p.orders, 2, "cancelled orders are no revenue");
    assert_eq!(p.revenue, vec![("EUR".to_string(), 2 * 2380)]);
    assert_eq!(
        p.first.map(|d| d.to_string()).as_deref(),
        Some("2026-01-15")
    );

    let earn = |kind: &str, points: i64| LoyaltyInput {
        kind: Some(kind.into()),
        points: Some(points),
        reason: Some("Einkauf".into()),
        order_id: None,
    };
    store
        .add_loyalty(&actor, c.id, earn("earn", 100))
        .await
        .unwrap();
    let e = store
        .add_loyalty(&actor, c.id, earn("redeem", 150))
        .await
        .unwrap_err();
    assert_eq!(
        invalid_fields(e),
        vec![("points".to_string(), ErrorCode::OutOfRange)]
    );
    store
        .add_loyalty(&actor, c.id, earn("redeem", 40))
        .await
        .unwrap();
    assert_eq!(store.loyalty_balance(c.id).await.unwrap(), 60);
    assert!(matches!(
        store
            .add_loyalty(&actor, Uuid::now_v7(), earn("earn", 1))
            .await,
        Err(StoreError::NotFound)
    ));

    let e = store
        .create(
            &actor,
            from::<FeedbackData>(json!({"contact_id": c.id, "nps": 11})),
        )
        .await
        .unwrap_err();
    assert!(invalid_fields(e).contains(&("nps".into(), ErrorCode::OutOfRange)));
    store
        .create(
            &actor,
            from::<FeedbackData>(json!({"contact_id": c.id, "nps": 9, "given_on": "2026-03-01"})),
        )
        .await
        .unwrap();

    // All kinds in one stream, newest first, paged without gaps or repeats.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .timeline(Entity::Contact, c.id, &[], cursor.as_deref(), 3)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|i| (i.kind, i.id, i.at)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let kinds: std::collections::BTreeSet<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    for k in ["activity", "order", "loyalty", "feedback", "change"] {
        assert!(kinds.contains(k), "{k} missing in {kinds:?}");
    }
    let mut ids: Vec<Uuid> = seen.iter().map(|s| s.1).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no entry twice");
    assert!(
        seen.windows(2).all(|w| (w[0].2, w[0].1) > (w[1].2, w[1].1)),
        "newest first"
    );
    let orders = store
        .timeline(Entity::Contact, c.id, &[TimelineKind::Order], None, 50)
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 3);
    assert_eq!(orders.items[0].data["number"], "B-2");
}
both_databases!(orders_loyalty_and_the_timeline);

async fn a_category_cannot_sit_below_itself(store: Store) {
    use kartei_core::commerce::ProductCategoryData;
    let actor = Actor::system("t");
    let top = store
        .create(
            &actor,
            from::<ProductCategoryData>(json!({"name": "Kaffee"})),
        )
        .await
        .unwrap();
    let sub = store
        .create(
            &actor,
            from::<ProductCategoryData>(json!({"name": "Bohnen", "parent_id": top.id})),
        )
        .await
        .unwrap();
    let e = store
        .update::<ProductCategoryData>(&actor, top.id, None, json!({"parent_id": sub.id}))
        .await
        .unwrap_err();
    assert_eq!(
        invalid_fields(e),
        vec![("parent_id".to_string(), ErrorCode::UnknownReference)]
    );
    let e = store
        .update::<ProductCategoryData>(&actor, top.id, None, json!({"parent_id": top.id}))
        .await
        .unwrap_err();
    assert_eq!(
        invalid_fields(e),
        vec![("parent_id".to_string(), ErrorCode::UnknownReference)]
    );
    assert_eq!(
        store
            .get::<ProductCategoryData>(top.id)
            .await
            .unwrap()
            .version,
        1,
        "nothing changed"
    );
}
both_databases!(a_category_cannot_sit_below_itself);

/// Records linking a contact that went to the trash stay editable: the links they had
/// are kept, only new links must point to live records.
async fn links_to_a_deleted_contact_do_not_block_edits(store: Store) {
    let actor = Actor::system("t");
    let store = store.with_review_days(None);
    let gone = store
        .create(&actor, from::<ContactData>(json!({"last_name": "Weg"})))
        .await
        .unwrap();
    let here = store
        .create(&actor, from::<ContactData>(json!({"last_name": "Da"})))
        .await
        .unwrap();
    let task = store
        .create(
            &actor,
            from::<ActivityData>(
                json!({"kind": "task", "subject": "Anrufen", "contact_id": gone.id}),
            ),
        )
        .await
        .unwrap();
    let pipeline = store
        .create(
            &actor,
            from::<PipelineData>(json!({"name": "P", "stages": [{"name": "Neu"}]})),
        )
        .await
        .unwrap();
    let deal = store
        .create(
            &actor,
            from::<DealData>(json!({"title": "Auftrag", "pipeline_id": pipeline.id,
                "stage_id": pipeline.data.stages[0].id, "contact_ids": [gone.id]})),
        )
        .await
        .unwrap();
    store
        .delete(&actor, Entity::Contact, gone.id, None)
        .await
        .unwrap();

    let done = store
        .update::<ActivityData>(&actor, task.id, None, json!({"done": true}))
        .await
        .unwrap();
    assert!(done.data.done);
    let deal = store
        .update::<DealData>(
            &actor,
            deal.id,
            None,
            json!({"title": "Großauftrag", "contact_ids": [gone.id, here.id]}),
        )
        .await
        .unwrap();
    assert_eq!(deal.data.contact_ids, vec![gone.id, here.id]);

    // A new link to the deleted contact is refused and changes nothing.
    let other = store
        .create(
            &actor,
            from::<ActivityData>(json!({"kind": "note", "body": "x", "contact_id": here.id})),
        )
        .await
        .unwrap();
    let refused = store
        .update::<ActivityData>(&actor, other.id, None, json!({"contact_id": gone.id}))
        .await
        .unwrap_err();
    assert!(invalid_fields(refused).contains(&("contact_id".into(), ErrorCode::UnknownReference)));
    let unchanged = store.get::<ActivityData>(other.id).await.unwrap();
    assert_eq!(unchanged.data.contact_id, Some(here.id));
}

both_databases!(links_to_a_deleted_contact_do_not_block_edits);
