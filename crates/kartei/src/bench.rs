//! `kartei bench`: latencies of the everyday operations at scale, in-process and over
//! HTTP, on whichever database `--database` names. Figures, not pass/fail: compare
//! ratios from one run, as the machines are shared.

use crate::cli::BenchArgs;
use crate::http_client::{encode, HttpClient};
use crate::run::CliError;
use kartei_core::access::Role;
use kartei_core::contact::ContactData;
use kartei_core::filter::{Filter, Sort};
use kartei_core::record::Entity;
use kartei_server::auth::{hash_password, hash_secret, new_secret};
use kartei_server::AppState;
use kartei_store::list::ListRequest;
use kartei_store::search::SearchRequest;
use kartei_store::{Actor, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const WARM_UP: usize = 30;

/// The filter of the list benchmark: customers in Berlin, sorted by name.
pub(crate) const LIST_FILTER: &str = r#"{"and":[{"field":"lifecycle_stage","op":"eq","value":"customer"},{"field":"city","op":"eq","value":"Berlin"}]}"#;
pub(crate) const SEARCHES: [(&str, &str); 3] = [
    ("search prefix \"Müll\"", "Müll"),
    ("search typo \"Schmitd\"", "Schmitd"),
    ("search e-mail \"schmidt@gmx\"", "schmidt@gmx"),
];

/// Seeds the database up to `contacts` (the generator seeded from `seed` and what is
/// there); returns how many contacts it holds.
pub(crate) async fn seed_up_to(
    store: &Store,
    contacts: usize,
    seed: u64,
    extent: crate::seed::Extent,
) -> Result<i64, CliError> {
    let have = crate::run::contact_count(store).await? as usize;
    if have < contacts {
        let missing = contacts - have;
        eprintln!("seeding {missing} contacts first");
        crate::seed::seed(
            store,
            missing,
            missing.div_ceil(8),
            seed + have as u64,
            extent,
        )
        .await?;
    }
    Ok(crate::run::contact_count(store).await?)
}

/// The read-only user the benchmarks sign in as (created on first use).
async fn bench_user(store: &Store, actor: &Actor) -> Result<kartei_store::users::User, CliError> {
    user_named(store, actor, "bench", Role::Readonly).await
}

/// The user `name` with `role`, created with a random password on first use.
pub(crate) async fn user_named(
    store: &Store,
    actor: &Actor,
    name: &str,
    role: Role,
) -> Result<kartei_store::users::User, CliError> {
    Ok(match store.user_credentials(name).await? {
        Some((u, _)) => u,
        None => {
            let hash =
                hash_password(&new_secret("")).map_err(|_| CliError::Usage("hash".into()))?;
            store.add_user(actor, name, role, &hash).await?
        }
    })
}

/// The request path of the i-th sample of an operation.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

pub(crate) struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub(crate) fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        max: *samples.last().unwrap_or(&Duration::ZERO),
    }
}

async fn measure<F: AsyncFnMut(usize) -> Result<(), CliError>>(
    iterations: usize,
    mut op: F,
) -> Result<Stats, CliError> {
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..WARM_UP + iterations {
        let started = Instant::now();
        op(i).await?;
        if i >= WARM_UP {
            samples.push(started.elapsed());
        }
    }
    Ok(stats(samples))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

pub async fn run(store: &Store, args: &BenchArgs) -> Result<(), CliError> {
    let total = seed_up_to(store, args.contacts, 7, crate::seed::Extent::Full).await?;
    let ids = store.sample_ids(Entity::Contact, 1000).await?;
    let defs = store.custom_fields(Some(Entity::Contact)).await?;
    let filter =
        serde_json::from_str::<Filter>(LIST_FILTER).map_err(|e| CliError::Usage(e.to_string()))?;
    let filter = filter
        .typed(Entity::Contact, &defs)
        .map_err(|e| CliError::Usage(format!("{e:?}")))?;
    let list = |cursor: Option<String>| ListRequest {
        filter: Some(filter.clone()),
        sort: Sort::by_name(),
        cursor,
        limit: 25,
        with_total: false,
    };
    // A cursor deep in the filtered list: walk 40 pages of 500.
    let mut deep = None;
    for _ in 0..40 {
        let page = store
            .list::<ContactData>(&ListRequest {
                limit: 500,
                ..list(deep.clone())
            })
            .await?;
        match page.next_cursor {
            Some(c) => deep = Some(c),
            None => break,
        }
    }

    // The duplicates page reads the saved scan; scan once when there is none.
    if store
        .duplicate_scan()
        .await?
        .is_none_or(|s| s.finished_at.is_none())
    {
        eprintln!("scanning {total} contacts for duplicates first");
        let started = Instant::now();
        let scan = store.save_duplicate_scan(|_, _| {}).await?;
        eprintln!(
            "scan: {} pairs in {:.1} s",
            scan.pairs,
            started.elapsed().as_secs_f64()
        );
    }
    // A cursor deep in the pairs: walk up to 20 pages of 200.
    let mut deep_pairs = None;
    for _ in 0..20 {
        match store
            .duplicate_candidates(deep_pairs.as_deref(), 0, 200)
            .await?
            .1
        {
            Some(c) => deep_pairs = Some(c),
            None => break,
        }
    }

    let n = args.iterations;
    let mut rows: Vec<(String, Stats)> = Vec::new();
    rows.push((
        "get by id".into(),
        measure(n, async |i| {
            store
                .get::<ContactData>(ids[i % ids.len()])
                .await
                .map(drop)
                .map_err(Into::into)
        })
        .await?,
    ));
    rows.push((
        "list filtered+sorted, first page".into(),
        measure(n, async |_| {
            store
                .list::<ContactData>(&list(None))
                .await
                .map(drop)
                .map_err(Into::into)
        })
        .await?,
    ));
    rows.push((
        "list filtered+sorted, deep page".into(),
        measure(n, async |_| {
            store
                .list::<ContactData>(&list(deep.clone()))
                .await
                .map(drop)
                .map_err(Into::into)
        })
        .await?,
    ));
    for (label, q) in SEARCHES {
        let req = SearchRequest {
            q: q.into(),
            filter: None,
            cursor: None,
            limit: 25,
        };
        rows.push((
            label.into(),
            measure(n, async |_| {
                store
                    .search::<ContactData>(&req)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            })
            .await?,
        ));
    }

    // The same over HTTP, against a server in this process on a free port.
    let actor = Actor::system("bench");
    let bench_user = bench_user(store, &actor).await?;
    let token = new_secret("kt_");
    store
        .create_api_token(&actor, bench_user.id, "bench", &hash_secret(&token))
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let state = AppState::new(Arc::new(store.clone()), false);
    let server = tokio::spawn(kartei_server::serve(state, listener));
    let mut client = HttpClient::connect(&address).await?;
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    let mut http_rows: Vec<Stats> = Vec::new();
    let filter_q = encode(LIST_FILTER);
    let deep_q = deep.as_deref().map(encode).unwrap_or_default();
    let paths: Vec<PathOf> = vec![
        Box::new(|i| format!("/api/v1/contacts/{}", ids[i % ids.len()])),
        Box::new(|_| format!("/api/v1/contacts?filter={filter_q}&limit=25")),
        Box::new(|_| format!("/api/v1/contacts?filter={filter_q}&limit=25&cursor={deep_q}")),
        Box::new(|_| format!("/api/v1/contacts?q={}&limit=25", encode(SEARCHES[0].1))),
        Box::new(|_| format!("/api/v1/contacts?q={}&limit=25", encode(SEARCHES[1].1))),
        Box::new(|_| format!("/api/v1/contacts?q={}&limit=25", encode(SEARCHES[2].1))),
    ];
    for path in &paths {
        http_rows.push(
            measure(n, async |i| {
                let r = client.request("GET", &path(i), &headers, None).await?;
                if r.status == 200 {
                    Ok(())
                } else {
                    Err(CliError::Usage(format!(
                        "HTTP {} for {}: {}",
                        r.status,
                        path(i),
                        String::from_utf8_lossy(&r.body)
                    )))
                }
            })
            .await?,
        );
    }

    // The web pages, as a signed-in browser asks for them (session cookie).
    let session = new_secret("");
    store
        .create_session(
            bench_user.id,
            &hash_secret(&session),
            &new_secret(""),
            chrono::Duration::hours(1),
        )
        .await?;
    let cookie = format!("{}={session}", kartei_server::auth::SESSION_COOKIE);
    let web_headers = [("Cookie", cookie.as_str())];
    let web_paths: Vec<(&str, PathOf)> = vec![
        (
            "list page, filtered+sorted",
            Box::new(|_| format!("/contacts?filter={filter_q}")),
        ),
        (
            "list page, deep",
            Box::new(|_| format!("/contacts?filter={filter_q}&cursor={deep_q}")),
        ),
        (
            "list page, search \"Müll\"",
            Box::new(|_| format!("/contacts?q={}", encode("Müll"))),
        ),
        (
            "quick search rows \"Schmitd\"",
            Box::new(|_| format!("/contacts/rows?q={}", encode("Schmitd"))),
        ),
        (
            "detail page",
            Box::new(|i| format!("/contacts/{}", ids[i % ids.len()])),
        ),
        ("duplicates page", Box::new(|_| "/duplicates".to_string())),
        (
            "duplicates page, deep",
            Box::new(|_| match &deep_pairs {
                Some(c) => format!("/duplicates?cursor={}", encode(c)),
                None => "/duplicates".to_string(),
            }),
        ),
    ];
    let mut web_rows: Vec<(&str, Stats)> = Vec::new();
    for (label, path) in &web_paths {
        web_rows.push((
            label,
            measure(n, async |i| {
                let r = client.request("GET", &path(i), &web_headers, None).await?;
                if r.status == 200 {
                    Ok(())
                } else {
                    Err(CliError::Usage(format!(
                        "HTTP {} for {}",
                        r.status,
                        path(i)
                    )))
                }
            })
            .await?,
        ));
    }
    server.abort();

    println!("\nkartei bench: {total} contacts on {:?}, {n} requests per operation (after {WARM_UP} warm-up), times in ms", store.dialect());
    println!(
        "{:<36} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9}",
        "operation", "p50", "p99", "max", "HTTP p50", "HTTP p99", "HTTP max"
    );
    for ((label, s), h) in rows.iter().zip(&http_rows) {
        println!(
            "{label:<36} {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9}",
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            ms(h.p50),
            ms(h.p99),
            ms(h.max)
        );
    }
    println!("\nweb pages over HTTP (HTML rendered, session cookie), times in ms");
    println!("{:<36} {:>9} {:>9} {:>9}", "page", "p50", "p99", "max");
    for (label, s) in &web_rows {
        println!(
            "{label:<36} {:>9} {:>9} {:>9}",
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
    Ok(())
}

/// Loads a corpus with known duplicates and reports how well the default settings find
/// them. The settings are the ones users get; nothing is tuned to the corpus here.
pub async fn duplicates(
    store: &Store,
    args: &crate::cli::BenchDuplicatesArgs,
) -> Result<(), CliError> {
    if crate::run::contact_count(store).await? > 0 {
        return Err(CliError::Usage(
            "bench-duplicates needs an empty database (--database)".into(),
        ));
    }
    let today = kartei_store::now().date_naive();
    let corpus =
        kartei_demo::dupgen::corpus(args.seed, args.persons, args.duplicate_percent, today);
    let actor = Actor::system("bench");
    let mut load = store.begin_bulk(corpus.len()).await?;
    let mut index: std::collections::HashMap<uuid::Uuid, usize> =
        std::collections::HashMap::with_capacity(corpus.len());
    let loading = Instant::now();
    for (chunk_no, chunk) in corpus.chunks(5000).enumerate() {
        let ids = store
            .bulk_insert(
                &mut load,
                &actor,
                chunk.iter().map(|e| e.contact.clone()).collect(),
            )
            .await?;
        for (i, id) in ids.into_iter().enumerate() {
            index.insert(id, chunk_no * 5000 + i);
        }
    }
    store.finish_bulk(load).await?;
    let loaded = loading.elapsed();
    let scanning = Instant::now();
    let pairs = store
        .scan_duplicates(kartei_store::duplicates::LIKELY_FROM, |_, _| {})
        .await?;
    let scanned = scanning.elapsed();
    let predicted: Vec<(usize, usize)> = pairs.iter().map(|p| (index[&p.a], index[&p.b])).collect();
    let q = kartei_demo::dupgen::Quality::measure(&corpus, &predicted);
    // What the false pairs rest on: the first place to look when precision is low.
    let mut false_by_reasons: std::collections::BTreeMap<String, usize> =
        std::collections::BTreeMap::new();
    for p in &pairs {
        if corpus[index[&p.a]].person != corpus[index[&p.b]].person {
            let key = p
                .score
                .reasons
                .iter()
                .map(|r| format!("{r:?}"))
                .collect::<Vec<_>>()
                .join("+");
            *false_by_reasons.entry(key).or_default() += 1;
        }
    }
    println!(
        "\nkartei bench-duplicates: {} people, {} contacts ({}% with duplicates), {:?}",
        args.persons,
        corpus.len(),
        args.duplicate_percent,
        store.dialect()
    );
    println!(
        "load {:.1} s, scan {:.1} s",
        loaded.as_secs_f64(),
        scanned.as_secs_f64()
    );
    println!(
        "pairs: {} true, {} false, {} missed; precision {:.3}, recall {:.3}, F1 {:.3}",
        q.true_positives,
        q.false_positives,
        q.false_negatives,
        q.precision(),
        q.recall(),
        q.f1()
    );
    let mut worst: Vec<(String, usize)> = false_by_reasons.into_iter().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    for (reasons, n) in worst.iter().take(5) {
        println!("  false pairs from {reasons}: {n}");
    }
    Ok(())
}

/// Finds the record of kind `R` whose display name is `name`, if any.
async fn named<R: kartei_core::record::RecordData>(
    store: &Store,
    name: &str,
) -> Result<Option<Uuid>, CliError> {
    let page = store
        .search::<R>(&SearchRequest {
            q: name.into(),
            filter: None,
            cursor: None,
            limit: 20,
        })
        .await?;
    Ok(page
        .items
        .into_iter()
        .find(|r| r.data.display_name() == name)
        .map(|r| r.id))
}

/// The history pages at scale: a contact's timeline with `--entries` entries (page 1
/// and deep) and the kanban board of a pipeline with `--deals` open deals, over HTTP
/// with a session cookie as a browser asks for them, and the API's timeline.
pub async fn history(store: &Store, args: &crate::cli::BenchHistoryArgs) -> Result<(), CliError> {
    use kartei_core::activity::ActivityData;
    use kartei_core::deal::{DealData, PipelineData, Stage};
    let actor = Actor::system("bench");
    let contact = match named::<ContactData>(store, "Timeline Messpunkt").await? {
        Some(id) => id,
        None => {
            let c: ContactData = serde_json::from_value(
                serde_json::json!({"first_name": "Timeline", "last_name": "Messpunkt"}),
            )
            .map_err(|e| CliError::Usage(e.to_string()))?;
            store.create(&actor, c).await?.id
        }
    };
    let filter = serde_json::from_value::<Filter>(
        serde_json::json!({"field": "contact_id", "op": "eq", "value": contact}),
    )
    .map_err(|e| CliError::Usage(e.to_string()))?
    .typed(Entity::Activity, &[])
    .map_err(|e| CliError::Usage(format!("{e:?}")))?;
    let have = store
        .list::<ActivityData>(&ListRequest {
            filter: Some(filter),
            sort: Sort::by_name(),
            cursor: None,
            limit: 1,
            with_total: true,
        })
        .await?
        .total
        .unwrap_or(0);
    if (have as usize) < args.entries {
        eprintln!("creating {} timeline entries", args.entries - have as usize);
        let now = kartei_store::now();
        let mut load = store.begin_bulk(args.entries - have as usize).await?;
        let kinds = ["note", "call", "email"];
        let items: Vec<(ActivityData, chrono::DateTime<chrono::Utc>)> = (have as usize
            ..args.entries)
            .map(|i| {
                let at = now - chrono::Duration::minutes(i as i64 * 97);
                let kind = kinds[i % 3];
                let a = ActivityData {
                    kind: Some(kind.into()),
                    subject: (kind != "note").then(|| format!("Kontakt {i}")),
                    body: (kind == "note").then(|| format!("Notiz {i}")),
                    contact_id: Some(contact),
                    occurred_at: Some(at),
                    ..ActivityData::default()
                };
                (a, at)
            })
            .collect();
        for chunk in items.chunks(5000) {
            store
                .bulk_insert_dated(&mut load, &actor, chunk.to_vec())
                .await?;
        }
        store.finish_bulk(load).await?;
    }
    let pipeline = match named::<PipelineData>(store, "Messpipeline").await? {
        Some(id) => id,
        None => {
            let stage = |n: &str| Stage {
                name: Some(n.into()),
                ..Stage::default()
            };
            let p = PipelineData {
                name: Some("Messpipeline".into()),
                stages: vec![
                    stage("Eins"),
                    stage("Zwei"),
                    stage("Drei"),
                    stage("Vier"),
                    stage("Fünf"),
                    Stage {
                        name: Some("Gewonnen".into()),
                        won: true,
                        ..Stage::default()
                    },
                ],
                lost_reasons: Vec::new(),
            };
            store.create(&actor, p).await?.id
        }
    };
    let stages: Vec<Uuid> = store
        .get::<PipelineData>(pipeline)
        .await?
        .data
        .stages
        .iter()
        .filter_map(|s| s.id)
        .collect();
    let board_now = store.deal_board(pipeline, &stages, 1).await?;
    let open: i64 = board_now.iter().take(5).map(|c| c.count).sum();
    if (open as usize) < args.deals {
        let missing = args.deals - open as usize;
        eprintln!("creating {missing} open deals");
        let mut load = store.begin_bulk(missing).await?;
        let now = kartei_store::now();
        let deals: Vec<(DealData, chrono::DateTime<chrono::Utc>)> = (0..missing)
            .map(|i| {
                let d = DealData {
                    title: Some(format!("Messdeal {i}")),
                    pipeline_id: Some(pipeline),
                    stage_id: Some(stages[i % 5]),
                    value_minor: Some(10_000 + (i as i64 % 500) * 1000),
                    ..DealData::default()
                };
                (d, now - chrono::Duration::minutes(i as i64))
            })
            .collect();
        for chunk in deals.chunks(5000) {
            store
                .bulk_insert_dated(&mut load, &actor, chunk.to_vec())
                .await?;
        }
        store.finish_bulk(load).await?;
    }
    // A cursor 20 pages deep into the timeline.
    let mut deep = None;
    for _ in 0..20 {
        deep = store
            .timeline(Entity::Contact, contact, &[], deep.as_deref(), 30)
            .await?
            .next_cursor;
    }
    let deep = deep.unwrap_or_default();

    let bench_user = bench_user(store, &actor).await?;
    let session = new_secret("");
    store
        .create_session(
            bench_user.id,
            &hash_secret(&session),
            &new_secret(""),
            chrono::Duration::hours(1),
        )
        .await?;
    let token = new_secret("kt_");
    store
        .create_api_token(&actor, bench_user.id, "bench", &hash_secret(&token))
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?.to_string();
    let server = tokio::spawn(kartei_server::serve(
        AppState::new(Arc::new(store.clone()), false),
        listener,
    ));
    let mut client = HttpClient::connect(&address).await?;
    let cookie = format!("{}={session}", kartei_server::auth::SESSION_COOKIE);
    let auth = format!("Bearer {token}");
    let deep_q = encode(&deep);
    let pages: Vec<(&str, String, &str)> = vec![
        (
            "contact page with timeline (newest 30)",
            format!("/contacts/{contact}"),
            "cookie",
        ),
        (
            "contact page, timeline 20 pages deep",
            format!("/contacts/{contact}?before={deep_q}"),
            "cookie",
        ),
        (
            "contact page, only activities",
            format!("/contacts/{contact}?kind=activity"),
            "cookie",
        ),
        (
            "API timeline, 50 entries",
            format!("/api/v1/contacts/{contact}/timeline?limit=50"),
            "token",
        ),
        (
            "kanban board",
            format!("/pipelines/{pipeline}/board"),
            "cookie",
        ),
        (
            "API board",
            format!("/api/v1/pipelines/{pipeline}/board"),
            "token",
        ),
    ];
    let mut rows = Vec::new();
    for (label, path, how) in &pages {
        let headers: [(&str, &str); 1] = if *how == "cookie" {
            [("Cookie", cookie.as_str())]
        } else {
            [("Authorization", auth.as_str())]
        };
        let stats = measure(args.iterations, async |_| {
            let r = client.request("GET", path, &headers, None).await?;
            if r.status == 200 {
                Ok(())
            } else {
                Err(CliError::Usage(format!("HTTP {} for {path}", r.status)))
            }
        })
        .await?;
        rows.push((*label, stats));
    }
    server.abort();
    println!(
        "\nkartei bench-history on {:?}: a contact with {} timeline entries, a board with {} open deals; {} requests per page (after {WARM_UP} warm-up), times in ms",
        store.dialect(),
        args.entries,
        args.deals,
        args.iterations
    );
    println!("{:<40} {:>9} {:>9} {:>9}", "page", "p50", "p99", "max");
    for (label, s) in &rows {
        println!(
            "{label:<40} {:>9} {:>9} {:>9}",
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
    Ok(())
}
