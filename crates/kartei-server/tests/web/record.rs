//! Working from a record's page: a note, a task and a call logged in place, a deal
//! and a ticket started from the contact, each on the timeline at once; the records
//! it points to are links.

use super::{add_user, in_browser, sign_in};
use crate::browser::{Browser, Driver};
use kartei_core::access::Role;
use kartei_core::contact::ContactData;
use kartei_core::deal::PipelineData;
use kartei_core::organization::OrganizationData;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;
use std::path::Path;

struct Ids {
    contact: uuid::Uuid,
    organization: uuid::Uuid,
}

/// Picks a kind in the log form and fills its subject and text.
fn log(b: &Browser, kind: &str, subject: &str, body: &str) {
    b.click(&b.find(&format!("#log-form label:has(input[value={kind}])")));
    b.fill("#log-subject", subject);
    b.fill("#log-body", body);
}

fn story(base: &str, profile: &Path, ids: &Ids) {
    let driver = Driver::start();
    let b = driver.browser(&profile.join("record"));
    sign_in(&b, base, "anna");
    // Quick add: the few fields of a first call, owned by the writer, with tags.
    b.goto(&format!("{base}/contacts"));
    assert_eq!(b.text_of("#result-count"), "1 Treffer");
    b.click(&b.find("#quick-add summary"));
    b.fill("#quick-first", "Ilse");
    b.fill("#quick-last", "Kramer");
    b.fill("#quick-email", "ilse.kramer@example.de");
    b.fill("#quick-phone", "030 9876543");
    b.fill("#quick-tags", "Messe, VIP");
    b.click_and_wait(&b.find("#quick-form button[type=submit]"));
    assert_eq!(b.text_of("h1"), "Ilse Kramer");
    let tags = b.text_of(".tags-bar");
    assert!(tags.contains("Messe") && tags.contains("VIP"), "{tags}");
    assert!(
        b.text_of(".facts").contains("anna"),
        "{}",
        b.text_of(".facts")
    );
    assert!(b.try_find("a[href='tel:+49309876543']").is_some());
    b.goto(&format!("{base}/contacts"));
    assert_eq!(b.text_of("#result-count"), "2 Treffer");
    b.goto(&format!("{base}/contacts?q=Kramer"));
    assert!(b.text_of("#result-count").starts_with("1 Treffer"));

    // The full form keeps rarely used fields closed; a failed save adds no rows.
    b.goto(&format!("{base}/contacts/new"));
    let codes_open = "return document.querySelector(\"details[data-section='form.codes']\").open;";
    assert_eq!(b.exec(codes_open, vec![]), json!(false));
    b.fill("#f-last_name", "Beispiel");
    b.fill("[name='emails[0].address']", "kein-at-zeichen");
    b.click_and_wait(&b.find("#record-form button[type=submit]"));
    assert!(b.try_find("#form-errors").is_some());
    let rows = |group: &str| b.find_all(&format!("[data-group={group}] .row")).len();
    assert_eq!(
        (rows("emails"), rows("phones")),
        (2, 1),
        "one empty row to type into"
    );
    b.fill("[name='emails[0].address']", "beispiel@example.de");
    b.exec(
        "document.querySelector('[name=\"customer_number\"]').value = 'K-1000';",
        vec![],
    );
    b.click_and_wait(&b.find("#record-form button[type=submit]"));
    assert_eq!(b.text_of("h1"), "Beispiel");
    assert!(
        b.text_of(".facts").contains("K-1000"),
        "a closed section is still saved"
    );

    let contact_page = format!("{base}/contacts/{}", ids.contact);
    b.goto(&contact_page);

    // The organisation is a link; its website opens in a new tab.
    b.click_and_wait(&b.find("#subtitle-link"));
    assert_eq!(
        b.url(),
        format!("{base}/organizations/{}", ids.organization)
    );
    b.find("a[href='https://www.weber-kaffee.example/']");
    assert_eq!(
        b.exec(
            "const a = document.querySelector(\"a[href='https://www.weber-kaffee.example/']\"); return [a.target, a.rel];",
            vec![]
        ),
        json!(["_blank", "noopener noreferrer"])
    );

    // A note: written on the contact's page, on the timeline at once.
    b.goto(&contact_page);
    log(&b, "note", "", "Möchte im Frühjahr neue Mühlen.");
    b.click_and_wait(&b.find("#log-form button[type=submit]"));
    assert!(b.url().starts_with(&contact_page), "{}", b.url());
    b.wait_for_text("#timeline", "Notiz: Möchte im Frühjahr neue Mühlen.");
    b.wait_for_text(".notice", "Gespeichert");

    // A task is the writer's own unless they pick someone else: it is on "My day".
    log(&b, "task", "Angebot Mühlen schicken", "");
    b.exec(
        "document.getElementById('log-due').value = '2026-01-05';",
        vec![],
    );
    b.click_and_wait(&b.find("#log-form button[type=submit]"));
    b.wait_for_text("#timeline", "Aufgabe: Angebot Mühlen schicken");
    b.goto(&format!("{base}/my-day"));
    b.wait_for_text("#my-tasks", "Angebot Mühlen schicken");

    // A deal and a ticket, started from the contact.
    b.goto(&contact_page);
    b.click(&b.find("#start-deal summary"));
    b.fill("#deal-title", "Mühlen für die Filialen");
    b.fill("#deal-value", "4.500,00");
    b.click_and_wait(&b.find("#start-deal button[type=submit]"));
    b.wait_for_text("#timeline", "Deal: Mühlen für die Filialen");
    b.click(&b.find("#open-ticket summary"));
    b.fill("#ticket-subject", "Mühle mahlt zu grob");
    b.click_and_wait(&b.find("#open-ticket button[type=submit]"));
    b.wait_for_text("#timeline", "Ticket: Mühle mahlt zu grob");

    // The deal's page: its contact and organisation are links; a call logged there
    // stands on its timeline.
    b.click_and_wait(&b.find("#timeline a[href^='/deals/']"));
    let deal_page = b.url();
    let facts = b.text_of(".facts");
    assert!(
        facts.contains("Heinz Weber") && facts.contains("Weber Kaffee GmbH"),
        "{facts}"
    );
    assert!(b
        .try_find(&format!(".facts a[href='/contacts/{}']", ids.contact))
        .is_some());
    assert!(b
        .try_find(&format!(
            ".facts a[href='/organizations/{}']",
            ids.organization
        ))
        .is_some());
    log(&b, "call", "Preis besprochen", "Rabatt ab zehn Stück.");
    b.click_and_wait(&b.find("#log-form button[type=submit]"));
    assert!(b.url().starts_with(&deal_page), "{}", b.url());
    b.wait_for_text("#timeline", "Anruf: Preis besprochen");

    // A task about the deal, overdue: the board's card shows it as the next step.
    log(&b, "task", "Muster nachreichen", "");
    b.exec(
        "document.getElementById('log-due').value = '2026-01-02';",
        vec![],
    );
    b.click_and_wait(&b.find("#log-form button[type=submit]"));
    b.goto(&format!("{base}/board"));
    let card = b.text_of(".deal-card");
    assert!(
        card.contains("überfällig") && card.contains("Aufgabe: Muster nachreichen · 02.01.2026"),
        "{card}"
    );
    // Won and lost are not columns of the board.
    assert_eq!(b.find_all(".board-column").len(), 2);

    // "Lost" from the card asks for a reason on the deal's page.
    b.click_and_wait(&b.find(".deal-card a.lost"));
    assert!(b.url().starts_with(&deal_page), "{}", b.url());
    b.choose(&b.find("#lost-reason"), "Preis zu hoch");
    b.fill("#lost-text", "Angebot der Konkurrenz 10 % günstiger");
    b.click_and_wait(&b.find("#lose-form button[type=submit]"));
    b.wait_for_text(".notice", "als verloren abgeschlossen");
    let facts = b.text_of(".facts");
    assert!(
        facts.contains("verloren")
            && facts.contains("Preis zu hoch: Angebot der Konkurrenz 10 % günstiger"),
        "{facts}"
    );
    assert!(
        b.try_find("#lose-menu").is_none(),
        "a closed deal offers no closing"
    );
    b.goto(&format!("{base}/board"));
    assert!(b.try_find(".deal-card").is_none());
    assert!(b.text_of("#closed-stages").contains("Verloren: 1"));

    // The call is the contact's history too, with a link back to the deal.
    b.goto(&contact_page);
    b.wait_for_text("#timeline", "Anruf: Preis besprochen");
    b.click_and_wait(&b.find("#timeline a[href^='/activities/']"));
    assert!(b.try_find(".facts a[href^='/deals/']").is_some());
}

async fn work_from_the_record(store: Store) {
    let actor = Actor::system("test");
    add_user(&store, "anna", Role::User).await;
    let store = store.with_review_days(None);
    let organization = store
        .create(
            &actor,
            serde_json::from_value::<OrganizationData>(json!({"name": "Weber Kaffee GmbH",
                "website": "https://www.weber-kaffee.example/"}))
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let contact = store
        .create(
            &actor,
            serde_json::from_value::<ContactData>(
                json!({"first_name": "Heinz", "last_name": "Weber",
                "organization_id": organization}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    store
        .create(
            &actor,
            serde_json::from_value::<PipelineData>(
                json!({"name": "Vertrieb", "stages": [{"name": "Erstkontakt"}, {"name": "Angebot"},
                    {"name": "Gewonnen", "won": true}, {"name": "Verloren", "lost": true}]}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let ids = Ids {
        contact,
        organization,
    };
    in_browser(&store, move |base, _, dir| story(base, dir, &ids)).await;
}
both_databases!(work_from_the_record);
