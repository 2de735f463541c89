//! A read under a request's deadline is stopped by the database once the deadline has
//! passed, and the connection serves the next read as if nothing had happened — on
//! SQLite (progress handler) and PostgreSQL (`statement_timeout`).

use kartei_store::db::Deadline;
use kartei_store::testing::slow_count;
use kartei_store::{both_databases, Store, StoreError};
use std::time::{Duration, Instant};

/// Rows of a count that takes many seconds on either database.
const LONG: i64 = 200_000_000;

async fn a_runaway_read_is_stopped_at_its_deadline(store: Store) {
    assert_eq!(slow_count(&store, 10_000).await.unwrap(), 10_000);
    let started = Instant::now();
    let stopped = Deadline::after(Duration::from_millis(200))
        .scope(slow_count(&store, LONG))
        .await;
    let took = started.elapsed();
    assert!(matches!(stopped, Err(StoreError::Timeout)), "{stopped:?}");
    // Counting to LONG takes far longer than this; the bound only shows it was stopped.
    assert!(took < Duration::from_secs(10), "stopped after {took:?}");

    // A deadline that has passed stops the read before it starts.
    let late = Deadline::after(Duration::ZERO)
        .scope(slow_count(&store, 10))
        .await;
    assert!(matches!(late, Err(StoreError::Timeout)), "{late:?}");

    // Every pooled connection reads again, without a deadline and within a new one.
    for _ in 0..12 {
        assert_eq!(slow_count(&store, 50_000).await.unwrap(), 50_000);
        let within = Deadline::after(Duration::from_secs(60))
            .scope(slow_count(&store, 50_000))
            .await;
        assert_eq!(within.unwrap(), 50_000);
    }
}
both_databases!(a_runaway_read_is_stopped_at_its_deadline);

/// A large load sets indexes aside only while no server says it serves the database;
/// a server that stopped, or stopped saying so, no longer counts.
async fn a_load_beside_a_serving_server_keeps_its_indexes(store: Store) {
    use kartei_store::bulk::DEFER_INDEXES_FROM;
    assert!(!store.is_served().await.unwrap());
    let server = uuid::Uuid::now_v7();
    store.announce_serving(server).await.unwrap();
    store.announce_serving(server).await.unwrap();
    assert!(store.is_served().await.unwrap());
    let load = store.begin_bulk(DEFER_INDEXES_FROM * 5).await.unwrap();
    assert!(
        !load.defers_indexes(),
        "a served database keeps its indexes"
    );
    store.finish_bulk(load).await.unwrap();
    store.stop_serving(server).await.unwrap();
    assert!(!store.is_served().await.unwrap());
    let load = store.begin_bulk(DEFER_INDEXES_FROM * 5).await.unwrap();
    assert!(load.defers_indexes());
    store.finish_bulk(load).await.unwrap();
    let small = store.begin_bulk(10).await.unwrap();
    assert!(!small.defers_indexes());
    store.finish_bulk(small).await.unwrap();
}
both_databases!(a_load_beside_a_serving_server_keeps_its_indexes);
