//! The history part of `kartei seed`: products, pipelines, and for every new contact
//! its activities, deals with their stage visits, orders, tickets, feedback and loyalty
//! points, bulk-loaded with the times they happened.

use kartei_core::activity::ActivityData;
use kartei_core::commerce::{OrderData, ProductCategoryData, ProductData};
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::filter::Sort;
use kartei_core::record::RecordData;
use kartei_core::support::{FeedbackData, TicketData};
use kartei_demo::demo_history::{self, ContactRef, HistoryGenerator, PipelineRef, ProductRef};
use kartei_store::list::ListRequest;
use kartei_store::{Actor, Store, StoreError};
use std::time::Instant;
use uuid::Uuid;

/// Contacts whose history is generated and written together.
const BATCH: usize = 5000;

async fn all<R: RecordData>(store: &Store) -> Result<Vec<(Uuid, R)>, StoreError> {
    let page = store
        .list::<R>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit: 500,
            with_total: false,
        })
        .await?;
    Ok(page.items.into_iter().map(|r| (r.id, r.data)).collect())
}

/// The catalogue and the pipelines: created on the first seed, reused afterwards.
async fn catalogue(
    store: &Store,
    actor: &Actor,
) -> Result<(Vec<ProductRef>, Vec<PipelineRef>), StoreError> {
    if all::<ProductData>(store).await?.is_empty() {
        let mut categories: Vec<Uuid> = Vec::new();
        for (name, parent) in demo_history::CATEGORIES {
            let c = ProductCategoryData {
                name: Some((*name).into()),
                parent_id: parent.map(|p| categories[p]),
            };
            categories.push(store.create(actor, c).await?.id);
        }
        for (i, (category, name, price, vat)) in demo_history::PRODUCTS.iter().enumerate() {
            let p = ProductData {
                sku: Some(format!("K-{:04}", 1001 + i)),
                name: Some((*name).into()),
                category_id: Some(categories[*category]),
                price_minor: Some(*price),
                vat_rate_bp: Some(*vat),
                ..ProductData::default()
            };
            store.create(actor, p).await?;
        }
    }
    if all::<PipelineData>(store).await?.is_empty() {
        for p in demo_history::pipelines() {
            store.create(actor, p).await?;
        }
    }
    let products = all::<ProductData>(store)
        .await?
        .into_iter()
        .map(|(id, p)| ProductRef {
            id,
            price_minor: p.price_minor.unwrap_or(0),
            vat_rate_bp: p.vat_rate_bp.unwrap_or(1900),
        })
        .collect();
    let pipelines = all::<PipelineData>(store)
        .await?
        .into_iter()
        .map(|(id, p)| PipelineRef {
            id,
            stages: p
                .stages
                .iter()
                .filter_map(|s| Some((s.id?, s.won, s.lost)))
                .collect(),
        })
        .collect::<Vec<_>>();
    // "Neukunden" first: the generator takes the first pipeline for new business.
    let mut pipelines = pipelines;
    pipelines.sort_by_key(|p| std::cmp::Reverse(p.stages.len()));
    Ok((products, pipelines))
}

pub async fn seed_history(
    store: &Store,
    actor: &Actor,
    people: &[ContactRef],
    seed: u64,
) -> Result<(), StoreError> {
    let started = Instant::now();
    let (products, pipelines) = catalogue(store, actor).await?;
    let mut generator = HistoryGenerator::new(seed, kartei_store::now());
    // About six history records per contact.
    let mut load = store.begin_bulk(people.len() * 6).await?;
    let mut counts = [0usize; 6];
    for (n, chunk) in people.chunks(BATCH).enumerate() {
        let mut activities = Vec::new();
        let mut deals = Vec::new();
        let mut visits = Vec::new();
        let mut orders: Vec<(OrderData, chrono::DateTime<chrono::Utc>)> = Vec::new();
        let mut tickets = Vec::new();
        let mut feedback = Vec::new();
        let mut loyalty_plan = Vec::new();
        for c in chunk {
            let h = generator.history(c, &products, &pipelines);
            activities.extend(h.activities);
            for d in h.deals {
                visits.push(d.visits);
                deals.push((d.deal, d.created));
            }
            if c.private {
                let first = orders.len();
                for (i, kind, points, reason, at) in generator.loyalty(&h.orders) {
                    loyalty_plan.push((c.id, first + i, kind, points, reason, at));
                }
            }
            orders.extend(h.orders);
            tickets.extend(h.tickets);
            feedback.extend(h.feedback);
        }
        counts[0] += activities.len();
        counts[1] += deals.len();
        counts[2] += orders.len();
        counts[3] += tickets.len();
        counts[4] += feedback.len();
        counts[5] += loyalty_plan.len();
        store
            .bulk_insert_dated::<ActivityData>(&mut load, actor, activities)
            .await?;
        let deal_ids = store
            .bulk_insert_dated::<DealData>(&mut load, actor, deals.clone())
            .await?;
        let stage_rows: Vec<(Uuid, Uuid, Uuid, chrono::DateTime<chrono::Utc>)> = deal_ids
            .iter()
            .zip(&deals)
            .zip(&visits)
            .flat_map(|((id, (deal, _)), vs)| {
                let pipeline = deal.pipeline_id.unwrap_or_default();
                vs.iter()
                    .map(move |(stage, at)| (*id, pipeline, *stage, *at))
            })
            .collect();
        store.bulk_stage_history(&stage_rows).await?;
        let order_ids = store
            .bulk_insert_dated::<OrderData>(&mut load, actor, orders)
            .await?;
        let entries: Vec<_> = loyalty_plan
            .into_iter()
            .map(|(contact, order, kind, points, reason, at)| {
                (
                    contact,
                    at,
                    kind,
                    points,
                    reason,
                    order_ids.get(order).copied(),
                )
            })
            .collect();
        store.bulk_loyalty(actor, &entries).await?;
        store
            .bulk_insert_dated::<TicketData>(&mut load, actor, tickets)
            .await?;
        store
            .bulk_insert_dated::<FeedbackData>(&mut load, actor, feedback)
            .await?;
        crate::seed::progress("history", ((n + 1) * BATCH).min(people.len()), people.len());
    }
    store.finish_bulk(load).await?;
    eprintln!(
        "\nseeded history in {:.1} s: {} activities, {} deals, {} orders, {} tickets, {} feedback, {} loyalty bookings",
        started.elapsed().as_secs_f64(),
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        counts[5]
    );
    Ok(())
}
