//! An import can map consent columns: "ja" records a granted consent, "nein" a refusal,
//! "abgemeldet" a withdrawal, each with the source "import" and the file, row and cell
//! as proof; a cell that says none of these is kept in the notes and the contact marked
//! for a check; a column naming a purpose nobody configured stops the import before it
//! reads a row; undoing the import takes its consents back. On SQLite and PostgreSQL.

use kartei_app::import::{check, parse_target, write, Content, Options, Table};
use kartei_core::contact::ContactData;
use kartei_core::filter::{Filter, Sort};
use kartei_core::i18n::Lang;
use kartei_core::import::Target;
use kartei_core::import_match::OnMatch;
use kartei_core::record::Entity;
use kartei_store::list::ListRequest;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;

const FILE: &str = "Vorname;Nachname;E-Mail;Newsletter;Post erlaubt\n\
    Anna;Weber;anna@beispiel.de;ja;nein\n\
    Bernd;Kaiser;bernd@beispiel.de;abgemeldet;\n\
    Carla;Lind;carla@beispiel.de;vielleicht;x\n";

fn options() -> Options {
    Options {
        match_by: "email".into(),
        on_match: OnMatch::FillIn,
        owner: None,
        lang: Lang::De,
        strict: false,
        country: None,
    }
}

async fn contacts(
    store: &Store,
    filter: Option<serde_json::Value>,
) -> Vec<(uuid::Uuid, ContactData)> {
    let filter = filter.map(|f| {
        serde_json::from_value::<Filter>(f)
            .unwrap()
            .typed(Entity::Contact, &[])
            .unwrap()
    });
    store
        .list::<ContactData>(&ListRequest {
            filter,
            sort: Sort::by_name(),
            cursor: None,
            limit: 100,
            with_total: false,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| (r.id, r.data))
        .collect()
}

async fn consent_columns_are_imported_with_their_proof(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let table = Table::read(Content::Bytes(FILE.as_bytes().into()), None).unwrap();
    let mut targets = table.suggested(&[]);
    targets[3] = parse_target("consent.email:newsletter").unwrap();
    targets[4] = parse_target("consent.post:product_news").unwrap();
    assert_eq!(targets[3], Target::Consent("email:newsletter".into()));

    // A purpose nobody configured: refused before a row is read.
    let mut wrong = targets.clone();
    wrong[4] = Target::Consent("post:lottery".into());
    let err = check(&store, &table, &wrong, &options())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("lottery"), "{err}");

    let checked = check(&store, &table, &targets, &options()).await.unwrap();
    assert_eq!(
        checked.counts(),
        [3, 0, 0, 0, 0],
        "{:?}",
        checked.problems()
    );
    assert_eq!(checked.kept_without_values(), 1, "Carla's 'vielleicht'");
    let job = write(
        &store,
        &actor,
        "kunden.csv",
        &table,
        &checked,
        &options(),
        |_| {},
    )
    .await
    .unwrap();
    let all = contacts(&store, None).await;
    let id = |last: &str| {
        all.iter()
            .find(|(_, c)| c.last_name.as_deref() == Some(last))
            .unwrap()
            .0
    };
    let anna = store.consents(id("Weber")).await.unwrap();
    let newsletter = anna
        .events
        .iter()
        .find(|e| e.purpose == "newsletter")
        .unwrap();
    assert_eq!(
        (newsletter.status.as_str(), newsletter.source.as_str()),
        ("granted", "import")
    );
    assert_eq!(
        newsletter.proof.as_deref(),
        Some("kunden.csv, 2, Newsletter: ja")
    );
    assert_eq!(newsletter.import_id, Some(job.id));
    assert!(anna
        .events
        .iter()
        .any(|e| e.purpose == "product_news" && e.status == "refused"));
    let bernd = store.consents(id("Kaiser")).await.unwrap();
    assert_eq!(bernd.state.len(), 1, "an empty cell states nothing");
    assert_eq!(bernd.state[0].status, "withdrawn");
    let (_, carla) = all
        .iter()
        .find(|(_, c)| c.last_name.as_deref() == Some("Lind"))
        .unwrap();
    assert!(carla.needs_check);
    assert!(
        carla
            .notes
            .as_deref()
            .unwrap_or("")
            .contains("Einwilligung email:newsletter laut Import: vielleicht"),
        "{:?}",
        carla.notes
    );
    let carla_consents = store.consents(id("Lind")).await.unwrap();
    assert_eq!(carla_consents.events.len(), 1, "only the readable cell");
    let may = contacts(
        &store,
        Some(json!({"op": "may_contact", "value": "email:newsletter"})),
    )
    .await;
    assert_eq!(may.len(), 1);
    assert_eq!(may[0].1.last_name.as_deref(), Some("Weber"));

    // Undoing the import takes its consents back with its contacts.
    store.undo_import(&actor, job.id).await.unwrap();
    assert!(contacts(
        &store,
        Some(json!({"op": "may_contact", "value": "email:newsletter"}))
    )
    .await
    .is_empty());
    // Back from the trash, Anna has no consent the undone import recorded.
    store
        .restore(&actor, Entity::Contact, id("Weber"))
        .await
        .unwrap();
    let anna = store.consents(id("Weber")).await.unwrap();
    assert!(anna.events.is_empty() && anna.state.is_empty(), "{anna:?}");
    assert!(contacts(
        &store,
        Some(json!({"op": "may_contact", "value": "email:newsletter"}))
    )
    .await
    .is_empty());
    store.close().await;
}

both_databases!(consent_columns_are_imported_with_their_proof);
