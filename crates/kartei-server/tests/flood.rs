//! A sign-in flood, measured as the peak resident memory it costs. Each sign-in hashes
//! a password with argon2id (about 19 MiB); unbounded, 128 at once took over a
//! gigabyte. This file is its own test binary, so no other test's memory is counted.

mod support;

use axum::http::StatusCode;
use serde_json::json;
use support::Api;

/// The allocator of the `kartei` binary, so that memory is measured as the server
/// would hold it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ATTEMPTS: usize = 128;
const MIB: u64 = 1024 * 1024;

/// A figure from /proc/self/status, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || panic!("no {field} in /proc/self/status"),
            |kib| kib * 1024,
        )
}

/// Sends [`ATTEMPTS`] sign-ins with unknown names at once, each from its own address
/// (so that only the bound on hashing can hold them), and returns how far the peak
/// resident memory rose above what the process held before.
async fn flood(api: &Api) -> (u64, Vec<StatusCode>) {
    // Warm up once, so that lazily built parts are not counted.
    api.send(
        "POST",
        "/api/v1/session",
        &[],
        Some(json!({"name": "warm", "password": "x"})),
    )
    .await;
    // Writing 5 to clear_refs resets the peak (VmHWM) to the current size.
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak memory figure");
    let before = status_bytes("VmRSS");
    let addresses: Vec<String> = (0..ATTEMPTS)
        .map(|i| format!("198.51.{}.{}", 100 + i / 200, i % 200 + 1))
        .collect();
    let statuses = futures_util::future::join_all(addresses.iter().enumerate().map(|(i, a)| {
        api.send_from(
            Some(a),
            "POST",
            "/api/v1/session",
            &[],
            Some(json!({"name": format!("flood{i}"), "password": "guess-guess-guess"})),
        )
    }))
    .await
    .into_iter()
    .map(|r| r.status)
    .collect();
    let peak = status_bytes("VmHWM");
    (peak.saturating_sub(before), statuses)
}

async fn check(api: Api, database: &str) {
    let (grew, statuses) = flood(&api).await;
    let slots = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as u64;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    eprintln!(
        "{database}: {ATTEMPTS} concurrent sign-ins raised peak memory by {} MiB \
         ({slots} hashing slots; {refused} answered 429)",
        grew / MIB
    );
    assert!(
        statuses
            .iter()
            .all(|s| matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)),
        "{statuses:?}"
    );
    // Hashes in flight at most one per slot (19 MiB each), plus room for the requests
    // themselves; unbounded it would be ATTEMPTS × 19 MiB.
    let bound = slots * 20 * MIB + 96 * MIB;
    assert!(
        grew < bound,
        "{database}: peak memory rose {} MiB (bound {} MiB)",
        grew / MIB,
        bound / MIB
    );
}

// One test, both databases one after the other: stories running side by side would
// count each other's memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_flood_costs_bounded_memory() {
    let (store, _scratch) = kartei_store::testing::sqlite_store().await;
    check(Api::new(store), "SQLite").await;
    let (store, _scratch) = kartei_store::testing::postgres_store().await;
    check(Api::new(store), "PostgreSQL").await;
}
