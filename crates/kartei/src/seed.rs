//! Demo data: organisations and people with custom fields and tags, all from the
//! deterministic generator in kartei-core, validated like user input.

use chrono::NaiveDate;
use kartei_core::consent::ConsentInput;
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
/// What a seed makes besides contacts and organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// Each contact's history (activities, deals, orders, tickets …) and consents.
    Full,
    /// Consents only (benchmarks of the contact list itself).
    ContactsAndConsents,
}

pub async fn seed(
    store: &Store,
    contacts: usize,
    organizations: usize,
    seed: u64,
    extent: Extent,
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
    if extent == Extent::Full {
        crate::seed_history::seed_history(store, &actor, &people, seed).await?;
    }
    seed_consents(store, &actor, &people, seed).await?;
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

/// The newsletter's sign-up text in the demo data.
const NEWSLETTER_WORDING: &str =
    "Ja, ich möchte den Newsletter mit Angeboten und Neuigkeiten per E-Mail erhalten. \
    Die Einwilligung kann ich jederzeit widerrufen, z. B. über den Link in jeder E-Mail.";

/// Consents for the demo contacts: about 40 % signed up for the newsletter by double
/// opt-in (a tenth of them unsubscribed later), 15 % get product news by post as
/// existing customers, 5 % refused marketing calls.
pub(crate) async fn seed_consents(
    store: &Store,
    actor: &Actor,
    people: &[ContactRef],
    seed: u64,
) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut rng = kartei_demo::demo::DemoRng::new(seed ^ 0xC0_45E7);
    let purposes: Vec<String> = store
        .consent_purposes()
        .await?
        .into_iter()
        .map(|p| p.key)
        .collect();
    let now = kartei_store::now();
    let mut events = Vec::new();
    for p in people {
        let days_ago = i64::try_from(rng.below(700)).unwrap_or(0);
        let at = now - chrono::Duration::days(days_ago) - chrono::Duration::minutes(1);
        let mut add = |input: ConsentInput| -> Result<(), StoreError> {
            let c = input
                .normalise(&purposes, now)
                .map_err(StoreError::Invalid)?;
            events.push((p.id, c));
            Ok(())
        };
        if rng.chance(40) {
            add(ConsentInput {
                channel: "email".into(),
                purpose: "newsletter".into(),
                status: "granted".into(),
                basis: "consent".into(),
                source: "double_opt_in".into(),
                wording: Some(NEWSLETTER_WORDING.into()),
                ip_address: Some(format!("203.0.113.{}", rng.below(250) + 1)),
                user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0".into()),
                occurred_at: Some(at),
                ..ConsentInput::default()
            })?;
            if rng.chance(10) {
                add(ConsentInput {
                    channel: "email".into(),
                    purpose: "newsletter".into(),
                    status: "withdrawn".into(),
                    basis: "consent".into(),
                    source: "web_form".into(),
                    proof: Some("Abmeldelink im Newsletter".into()),
                    occurred_at: Some(at + chrono::Duration::days(days_ago / 2)),
                    ..ConsentInput::default()
                })?;
            }
        }
        if (!p.private || rng.chance(15)) && rng.chance(30) {
            add(ConsentInput {
                channel: "post".into(),
                purpose: "product_news".into(),
                status: "granted".into(),
                basis: "legitimate_interest".into(),
                source: "in_person".into(),
                proof: Some("Bestandskunde, Hinweis auf Widerspruchsrecht in der Rechnung".into()),
                occurred_at: Some(at),
                ..ConsentInput::default()
            })?;
        }
        if rng.chance(5) {
            add(ConsentInput {
                channel: "phone".into(),
                purpose: "marketing_calls".into(),
                status: "refused".into(),
                basis: "consent".into(),
                source: "phone".into(),
                proof: Some("Möchte keine Werbeanrufe".into()),
                occurred_at: Some(at),
                ..ConsentInput::default()
            })?;
        }
    }
    let n = store.record_consents_in_bulk(actor, events).await?;
    eprintln!(
        "seeded {n} consent events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
