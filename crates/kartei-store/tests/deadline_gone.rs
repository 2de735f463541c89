//! A client that goes away stops its query on SQLite: the request's future is dropped,
//! and the database gives up the count instead of finishing it for nobody. (On
//! PostgreSQL the statement_timeout of the deadline bounds it.) Its own test binary,
//! so that the process's CPU time measures this story alone.

use kartei_store::db::Deadline;
use kartei_store::testing::slow_count;
use std::time::Duration;

/// Seconds of CPU this process has used (user and system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The fields after the command name (which is in parentheses): utime is the 14th
    // field of the line, stime the 15th, in clock ticks of 1/100 s.
    let rest = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_stops_when_its_client_goes() {
    let (store, _scratch) = kartei_store::testing::sqlite_store().await;
    let gone = tokio::time::timeout(
        Duration::from_millis(300),
        Deadline::after(Duration::from_secs(600)).scope(slow_count(&store, 2_000_000_000)),
    )
    .await;
    assert!(gone.is_err(), "the count cannot have finished: {gone:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_seconds() - before;
    // A count still running would use a core: about 2 s of CPU in these 2 s.
    assert!(
        used < 0.8,
        "the abandoned count kept running: {used:.2} s of CPU in 2 s"
    );
    assert_eq!(slow_count(&store, 1_000).await.unwrap(), 1_000);
}
