//! `kartei bench-load`: many clients at once, mixed reads and writes over HTTP, for a
//! fixed time. Reports throughput and latencies per operation, and fails when any
//! answer was an error (a changed record's 412 is the right answer, counted apart).

use crate::bench::{ms, stats, LIST_FILTER, SEARCHES};
use crate::cli::BenchLoadArgs;
use crate::http_client::{encode, HttpClient};
use crate::run::CliError;
use kartei_core::access::Role;
use kartei_core::record::Entity;
use kartei_demo::demo::DemoRng;
use kartei_server::auth::{hash_secret, new_secret};
use kartei_server::AppState;
use kartei_store::{Actor, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Operation {
    Read,
    Search,
    List,
    Change,
    Create,
}

impl Operation {
    const ALL: [Operation; 5] = [
        Operation::Read,
        Operation::Search,
        Operation::List,
        Operation::Change,
        Operation::Create,
    ];

    fn label(self) -> &'static str {
        match self {
            Operation::Read => "read by id",
            Operation::Search => "quick search",
            Operation::List => "filtered list",
            Operation::Change => "read + change (If-Match)",
            Operation::Create => "create",
        }
    }

    /// The mix: half reads, a quarter searches and lists, a quarter writes.
    fn pick(rng: &mut DemoRng) -> Operation {
        match rng.below(100) {
            0..50 => Operation::Read,
            50..65 => Operation::Search,
            65..75 => Operation::List,
            75..90 => Operation::Change,
            _ => Operation::Create,
        }
    }
}

#[derive(Default)]
struct Tally {
    samples: Vec<(Operation, Duration)>,
    conflicts: usize,
    errors: Vec<String>,
}

/// One client: one connection, one request at a time, until `until`.
async fn client(
    address: String,
    token: String,
    ids: Arc<Vec<Uuid>>,
    seed: u64,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut rng = DemoRng::new(seed);
    let mut http = match HttpClient::connect(&address).await {
        Ok(c) => c,
        Err(e) => {
            tally.errors.push(format!("connect: {e}"));
            return tally;
        }
    };
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    let filter = encode(LIST_FILTER);
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        let op = Operation::pick(&mut rng);
        let id = *rng.pick(&ids);
        let started = Instant::now();
        let answer = match op {
            Operation::Read => http
                .request("GET", &format!("/api/v1/contacts/{id}"), &headers, None)
                .await
                .map(|r| (r.status, 200, r)),
            Operation::Search => {
                let q = encode(rng.pick(&SEARCHES).1);
                http.request(
                    "GET",
                    &format!("/api/v1/contacts?q={q}&limit=25"),
                    &headers,
                    None,
                )
                .await
                .map(|r| (r.status, 200, r))
            }
            Operation::List => http
                .request(
                    "GET",
                    &format!("/api/v1/contacts?filter={filter}&limit=25"),
                    &headers,
                    None,
                )
                .await
                .map(|r| (r.status, 200, r)),
            Operation::Change => {
                let path = format!("/api/v1/contacts/{id}");
                match http.request("GET", &path, &headers, None).await {
                    Ok(read) if read.status == 200 => {
                        let etag = read.header("etag").unwrap_or_default().to_string();
                        let body = format!(r#"{{"job_title":"Last {seed}-{n}"}}"#);
                        http.request(
                            "PATCH",
                            &path,
                            &[
                                ("Authorization", auth.as_str()),
                                ("If-Match", etag.as_str()),
                            ],
                            Some(body.as_bytes()),
                        )
                        .await
                        .map(|r| (r.status, 200, r))
                    }
                    other => other.map(|r| (r.status, 200, r)),
                }
            }
            Operation::Create => {
                let body = format!(r#"{{"first_name":"Last","last_name":"Client {seed}-{n}"}}"#);
                http.request("POST", "/api/v1/contacts", &headers, Some(body.as_bytes()))
                    .await
                    .map(|r| (r.status, 201, r))
            }
        };
        let took = started.elapsed();
        match answer {
            Ok((status, wanted, _)) if status == wanted => tally.samples.push((op, took)),
            Ok((412, _, _)) if op == Operation::Change => {
                tally.conflicts += 1;
                tally.samples.push((op, took));
            }
            Ok((status, _, r)) => tally.errors.push(format!(
                "{}: HTTP {status} {}",
                op.label(),
                String::from_utf8_lossy(&r.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )),
            Err(e) => {
                tally.errors.push(format!("{}: {e}", op.label()));
                break;
            }
        }
    }
    tally
}

pub async fn run(store: &Store, args: &BenchLoadArgs) -> Result<(), CliError> {
    let total =
        crate::bench::seed_up_to(store, args.contacts, 11, crate::seed::Extent::Full).await?;
    let ids = Arc::new(store.sample_ids(Entity::Contact, 1000).await?);
    if ids.is_empty() {
        return Err(CliError::Usage(
            "bench-load needs --contacts 1 or more".into(),
        ));
    }
    let actor = Actor::system("bench-load");
    let user = crate::bench::user_named(store, &actor, "bench-load", Role::User).await?;
    let token = new_secret("kt_");
    store
        .create_api_token(&actor, user.id, "bench-load", &hash_secret(&token))
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let state = AppState::new(Arc::new(store.clone()), false);
    let server = tokio::spawn(kartei_server::serve(state, listener));

    eprintln!(
        "{} clients for {} s against {total} contacts",
        args.clients, args.seconds
    );
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let clients: Vec<_> = (0..args.clients)
        .map(|i| {
            tokio::spawn(client(
                address.clone(),
                token.clone(),
                ids.clone(),
                0x5eed + i as u64,
                until,
            ))
        })
        .collect();
    let mut all = Tally::default();
    for c in clients {
        let t = c
            .await
            .map_err(|e| CliError::Usage(format!("a client failed: {e}")))?;
        all.samples.extend(t.samples);
        all.conflicts += t.conflicts;
        all.errors.extend(t.errors);
    }
    let elapsed = started.elapsed().as_secs_f64();
    server.abort();

    println!(
        "\nkartei bench-load: {} clients, {:.0} s, {total} contacts on {:?}",
        args.clients,
        elapsed,
        store.dialect()
    );
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "operation", "requests", "per s", "p50 ms", "p99 ms", "max ms"
    );
    for op in Operation::ALL {
        let samples: Vec<Duration> = all
            .samples
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|(_, d)| *d)
            .collect();
        if samples.is_empty() {
            continue;
        }
        let count = samples.len();
        let s = stats(samples);
        println!(
            "{:<28} {count:>9} {:>9.1} {:>9} {:>9} {:>9}",
            op.label(),
            count as f64 / elapsed,
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
    let count = all.samples.len();
    if count == 0 {
        return Err(CliError::Usage(format!(
            "no request was answered: {}",
            all.errors.first().map_or("", String::as_str)
        )));
    }
    let s = stats(all.samples.iter().map(|(_, d)| *d).collect());
    println!(
        "{:<28} {count:>9} {:>9.1} {:>9} {:>9} {:>9}",
        "all",
        count as f64 / elapsed,
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
    println!(
        "changes refused as stale (412, the right answer): {}; errors: {}",
        all.conflicts,
        all.errors.len()
    );
    if !all.errors.is_empty() {
        for e in all.errors.iter().take(5) {
            eprintln!("  {e}");
        }
        return Err(CliError::Usage(format!(
            "{} requests failed under load",
            all.errors.len()
        )));
    }
    Ok(())
}
