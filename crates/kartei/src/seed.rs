//! Demo data: organisations and people with custom fields and tags, all from the
//! deterministic generator in kartei-core, validated like user input.

use chrono::NaiveDate;
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{ChoiceOption, CustomFieldInput, CustomKind};
use kartei_core::organization::OrganizationData;
use kartei_core::record::Entity;
use kartei_core::tag::TagInput;
use kartei_demo::demo::{DemoGenerator, Links, DEMO_TAGS};
use kartei_demo::demo_history::{ContactRef, Lifecycle};
use kartei_store::{Actor, Store, StoreError};
use serde_json::json;
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

const BATCH: usize = 5000;

fn option(key: &str, de: &str, en: &str) -> ChoiceOption {
    ChoiceOption {
        key: key.into(),
        label_de: de.into(),
        label_en: en.into(),
    }
}

/// The custom fields and tags demo records use; created when missing.
async fn vocabulary(store: &Store, actor: &Actor) -> Result<Vec<Uuid>, StoreError> {
    let existing = store.custom_fields(Some(Entity::Contact)).await?;
    let fields = [
        CustomFieldInput {
            entity: Entity::Contact,
            key: "newsletter".into(),
            label_de: "Newsletter".into(),
            label_en: "Newsletter".into(),
            kind: CustomKind::Boolean,
            options: vec![],
        },
        CustomFieldInput {
            entity: Entity::Contact,
            key: "interests".into(),
            label_de: "Interessen".into(),
            label_en: "Interests".into(),
            kind: CustomKind::MultiChoice,
            options: vec![
                option("wein", "Wein", "Wine"),
                option("reisen", "Reisen", "Travel"),
                option("technik", "Technik", "Technology"),
                option("garten", "Garten", "Gardening"),
                option("sport", "Sport", "Sports"),
            ],
        },
        CustomFieldInput {
            entity: Entity::Contact,
            key: "customer_since".into(),
            label_de: "Kunde seit".into(),
            label_en: "Customer since".into(),
            kind: CustomKind::Date,
            options: vec![],
        },
    ];
    for f in fields {
        if !existing.iter().any(|e| e.key == f.key) {
            store.create_custom_field(actor, f).await?;
        }
    }
    let tags = store.list_tags().await?;
    let mut ids = Vec::new();
    for (name, color) in DEMO_TAGS {
        match tags.iter().find(|t| t.name == *name) {
            Some(t) => ids.push(t.id),
            None => ids.push(
                store
                    .create_tag(
                        actor,
                        TagInput {
                            name: Some((*name).into()),
                            color: Some((*color).into()),
                        },
                    )
                    .await?
                    .id,
            ),
        }
    }
    Ok(ids)
}

/// Adds `contacts` people and `organizations` companies. Progress goes to stderr.
pub async fn seed(
    store: &Store,
    contacts: usize,
    organizations: usize,
    seed: u64,
) -> Result<(), StoreError> {
    let actor = Actor::system("seed");
    let started = Instant::now();
    let tag_ids = vocabulary(store, &actor).await?;
    let owners: Vec<Uuid> = store.users().await?.into_iter().map(|u| u.id).collect();
    let today = kartei_store::now().date_naive();
    let mut generator = DemoGenerator::new(seed, today);
    let mut load = store.begin_bulk(contacts + organizations).await?;

    let mut orgs: Vec<(Uuid, OrganizationData)> = Vec::with_capacity(organizations);
    while orgs.len() < organizations {
        let n = BATCH.min(organizations - orgs.len());
        let batch: Vec<OrganizationData> = (0..n)
            .map(|_| {
                let mut o = generator.organization();
                o.owner_id = pick(&mut generator, &owners);
                o
            })
            .collect();
        let ids = store.bulk_insert(&mut load, &actor, batch.clone()).await?;
        orgs.extend(ids.into_iter().zip(batch));
        progress("organizations", orgs.len(), organizations);
    }

    // Generating and validating a batch costs about what writing it costs, so a second
    // thread prepares the next batch while this one writes the current one.
    let validator = load.validator();
    let mut people: Vec<ContactRef> = Vec::with_capacity(contacts);
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Result<Prepared, StoreError>>(2);
    let producer = tokio::task::spawn_blocking(move || {
        let mut made = 0;
        while made < contacts {
            let n = BATCH.min(contacts - made);
            let mut batch = Vec::with_capacity(n);
            let mut tags = Vec::with_capacity(n);
            for _ in 0..n {
                let org = if !orgs.is_empty() && generator.rng().chance(60) {
                    let i = generator.rng().below(orgs.len() as u64) as usize;
                    Some((orgs[i].0, &orgs[i].1))
                } else {
                    None
                };
                let owner_id = pick(&mut generator, &owners);
                let mut c = generator.contact(&Links {
                    organization: org,
                    owner_id,
                });
                add_custom_values(&mut generator, &mut c, today);
                batch.push(c);
                let tagged = generator.rng().chance(20);
                tags.push(
                    tagged.then(|| tag_ids[generator.rng().below(tag_ids.len() as u64) as usize]),
                );
            }
            made += n;
            let prepared = validator
                .validate(batch)
                .map(|records| Prepared { records, tags });
            if sender.blocking_send(prepared).is_err() {
                return;
            }
        }
    });
    let mut done = 0;
    while let Some(prepared) = batches.recv().await {
        let Prepared { records, tags } = prepared?;
        let n = records.len();
        people.extend(records.iter().map(|(id, c)| ContactRef {
            id: *id,
            lifecycle: Lifecycle::of(c.lifecycle_stage.as_deref()),
            owner: c.owner_id,
            organization: c.organization_id,
            private: c.customer_type.as_deref() != Some("business"),
        }));
        let ids = store
            .bulk_insert_valid::<ContactData>(&mut load, &actor, records)
            .await?;
        let tagging: Vec<(Uuid, Uuid)> = ids
            .into_iter()
            .zip(tags)
            .filter_map(|(id, tag)| tag.map(|t| (t, id)))
            .collect();
        store.bulk_tag(&tagging).await?;
        done += n;
        progress("contacts", done, contacts);
    }
    producer
        .await
        .map_err(|e| StoreError::Corrupt(format!("demo generator failed: {e}")))?;
    eprintln!("\nbuilding indexes …");
    store.finish_bulk(load).await?;
    eprintln!(
        "seeded {contacts} contacts and {organizations} organisations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    crate::seed_history::seed_history(store, &actor, &people, seed).await?;
    Ok(())
}

/// A validated batch of contacts and the tag each gets (if any).
struct Prepared {
    records: Vec<(Uuid, ContactData)>,
    tags: Vec<Option<Uuid>>,
}

fn pick(generator: &mut DemoGenerator, ids: &[Uuid]) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[generator.rng().below(ids.len() as u64) as usize])
}

fn add_custom_values(generator: &mut DemoGenerator, c: &mut ContactData, today: NaiveDate) {
    let rng = generator.rng();
    if rng.chance(70) {
        c.custom.insert("newsletter".into(), json!(rng.chance(40)));
    }
    if rng.chance(30) {
        let all = ["wein", "reisen", "technik", "garten", "sport"];
        let mut chosen: Vec<&str> = all.iter().copied().filter(|_| rng.chance(35)).collect();
        if chosen.is_empty() {
            chosen.push(all[rng.below(5) as usize]);
        }
        c.custom.insert("interests".into(), json!(chosen));
    }
    if c.lifecycle_stage.as_deref() == Some("customer") {
        let since = today - chrono::Duration::days(rng.below(365 * 12) as i64);
        c.custom
            .insert("customer_since".into(), json!(since.to_string()));
    }
}

pub(crate) fn progress(what: &str, done: usize, total: usize) {
    eprint!("\r{what}: {done}/{total}");
    let _ = std::io::stderr().flush();
}
