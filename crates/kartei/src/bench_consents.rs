//! `kartei bench-consents`: how long "who may receive the newsletter by e-mail" takes
//! at scale — counted, as a list's first page, and as a whole list for a mailing with
//! the reasons for those left out — beside counting all contacts in the same run.

use crate::bench::{ms, seed_up_to, stats, Stats};
use crate::cli::BenchConsentsArgs;
use crate::run::CliError;
use kartei_app::export::{Export, ExportRequest, Format};
use kartei_core::contact::ContactData;
use kartei_core::filter::{Filter, Sort, TypedFilter};
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use kartei_core::segment::Segment;
use kartei_demo::demo_history::{ContactRef, Lifecycle};
use kartei_store::list::ListRequest;
use kartei_store::{Actor, Store};
use std::sync::Arc;
use std::time::Instant;

const TARGET: &str = "email:newsletter";

async fn timed<F: AsyncFnMut() -> Result<(), CliError>>(
    iterations: usize,
    mut op: F,
) -> Result<Stats, CliError> {
    let mut samples = Vec::with_capacity(iterations);
    // One warm-up run fills the caches.
    op().await?;
    for _ in 0..iterations {
        let started = Instant::now();
        op().await?;
        samples.push(started.elapsed());
    }
    Ok(stats(samples))
}

pub async fn run(store: &Store, args: &BenchConsentsArgs) -> Result<(), CliError> {
    let total = seed_up_to(
        store,
        args.contacts,
        7,
        crate::seed::Extent::ContactsAndConsents,
    )
    .await?;
    let filter: TypedFilter =
        serde_json::from_value::<Filter>(serde_json::json!({"op": "may_contact", "value": TARGET}))
            .map_err(|e| CliError::Usage(e.to_string()))?
            .typed(Entity::Contact, &[])
            .map_err(|e| CliError::Usage(format!("{e:?}")))?;
    let some = store.count_up_to::<ContactData>(Some(&filter), 0).await?;
    if some.n == 0 && !some.more {
        // A database seeded before consents existed: give its contacts some.
        let ids = store
            .sample_ids(Entity::Contact, u64::try_from(total).unwrap_or(0))
            .await?;
        let people: Vec<ContactRef> = ids
            .into_iter()
            .map(|id| ContactRef {
                id,
                lifecycle: Lifecycle::Customer,
                owner: None,
                organization: None,
                private: true,
            })
            .collect();
        crate::seed::seed_consents(store, &Actor::system("bench"), &people, 7).await?;
    }
    let cap = u64::try_from(total).unwrap_or(u64::MAX);
    let mut counted = (0, 0);
    let all = timed(args.iterations, async || {
        counted.0 = store.count_up_to::<ContactData>(None, cap).await?.n;
        Ok(())
    })
    .await?;
    let may = timed(args.iterations, async || {
        counted.1 = store
            .count_up_to::<ContactData>(Some(&filter), cap)
            .await?
            .n;
        Ok(())
    })
    .await?;
    let first_page = timed(args.iterations, async || {
        store
            .list::<ContactData>(&ListRequest {
                filter: Some(filter.clone()),
                sort: Sort::by_name(),
                cursor: None,
                limit: 25,
                with_total: false,
            })
            .await?;
        Ok(())
    })
    .await?;
    let mut mailing = (0, Vec::new());
    let whole = timed(args.mailing_runs, async || {
        let mut export = Export::<ContactData>::open(
            Arc::new(store.clone()),
            ExportRequest {
                segment: Segment::default(),
                format: Format::Csv,
                lang: Lang::En,
                sensitive: false,
                mailing: kartei_core::consent::parse_target(TARGET),
            },
        )
        .await
        .map_err(|e| CliError::Usage(e.to_string()))?;
        let n = export.tally().await?;
        mailing = (n, export.left_out().await?);
        Ok(())
    })
    .await?;
    println!(
        "\nkartei bench-consents: {total} contacts on {:?}, {} runs per figure (mailing list: {}), times in ms",
        store.dialect(),
        args.iterations,
        args.mailing_runs
    );
    println!("{:<52} {:>9} {:>9} {:>9}", "operation", "p50", "p99", "max");
    for (label, s) in [
        (format!("count all contacts ({})", counted.0), &all),
        (format!("count may_contact {TARGET} ({})", counted.1), &may),
        (
            "first page of 25, may_contact, by name".to_string(),
            &first_page,
        ),
        (
            format!("whole list for a mailing ({} written)", mailing.0),
            &whole,
        ),
    ] {
        println!(
            "{label:<52} {:>9} {:>9} {:>9}",
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
    println!(
        "ratio: counting the mailing's contacts / counting all = {:.2}",
        may.p50.as_secs_f64() / all.p50.as_secs_f64().max(1e-9)
    );
    let reasons: Vec<String> = mailing.1.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!("left out: {}", reasons.join(", "));
    Ok(())
}
