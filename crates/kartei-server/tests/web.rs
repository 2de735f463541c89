//! The web interface in a real browser (headless Chromium through chromedriver), on
//! SQLite and PostgreSQL: a day's work from sign-in to a conflicting edit.
//! Screenshots of the main pages land in `target/screenshots/`.

mod browser;
#[path = "web/phone.rs"]
mod phone;
#[path = "web/record.rs"]
mod record;

use browser::{Browser, Driver};
use kartei_core::access::Role;
use kartei_core::contact::ContactData;
use kartei_core::i18n::Lang;
use kartei_core::validation::ErrorCode;
use kartei_server::auth::hash_password;
use kartei_server::AppState;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

const PASSWORD: &str = "korrekt-pferd-batterie";

fn screenshots() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target folder")
        .join("screenshots")
}

async fn serve(store: Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(Arc::new(store), false);
    tokio::spawn(async move {
        axum::serve(listener, kartei_server::router(state))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

fn sign_in(b: &Browser, base: &str, name: &str) {
    b.goto(&format!("{base}/contacts"));
    assert!(b.url().contains("/login?next="), "{}", b.url());
    b.fill("#name", name);
    b.fill("#password", PASSWORD);
    b.click(&b.find("button[type=submit]"));
    b.wait_until("the contact list", || {
        b.url().ends_with("/contacts").then_some(())
    });
}

fn story(base: &str, shots: Option<PathBuf>, profile: &std::path::Path) {
    let shot = |b: &Browser, name: &str| {
        if let Some(dir) = &shots {
            b.screenshot(dir, name);
        }
    };
    let driver = Driver::start();
    let anna = driver.browser(&profile.join("anna"));

    // A wrong password is refused with a message in German.
    anna.goto(&format!("{base}/login"));
    anna.fill("#name", "anna");
    anna.fill("#password", "falsch-falsch");
    anna.click_and_wait(&anna.find("button[type=submit]"));
    assert_eq!(
        anna.text_of("#login-error"),
        "Benutzername oder Passwort ist falsch."
    );
    shot(&anna, "login-de");
    // Guessing is slowed down: after five failures a name is blocked, with a clear message.
    for _ in 0..6 {
        anna.fill("#name", "zed");
        anna.fill("#password", "rate-rate-rate");
        anna.click_and_wait(&anna.find("button[type=submit]"));
    }
    assert!(
        anna.text_of("#login-error")
            .starts_with("Zu viele fehlgeschlagene Anmeldungen"),
        "{}",
        anna.text_of("#login-error")
    );
    sign_in(&anna, base, "anna");
    assert_eq!(anna.text_of("h1"), "Kontakte");

    // A new contact with an invalid e-mail: the message stands next to the field.
    anna.goto(&format!("{base}/contacts/new"));
    anna.fill("#f-first_name", "Erika");
    anna.fill("#f-last_name", "Mustermann");
    anna.fill("#f-emails-0--address", "erika@beispiel");
    anna.click_and_wait(&anna.find("#record-form button[type=submit]"));
    assert_eq!(
        anna.text_of("#f-emails-0--address-error"),
        ErrorCode::InvalidEmail.message(Lang::De)
    );
    assert!(anna.text_of("#form-errors").contains("nichts gespeichert"));
    shot(&anna, "form-errors-de");

    // Fixed and saved: the detail page shows the contact.
    anna.fill("#f-emails-0--address", "erika@beispiel.de");
    anna.click(&anna.find("#record-form button[type=submit]"));
    anna.wait_for_text("h1", "Erika Mustermann");
    let detail_url = anna.url().split('?').next().unwrap().to_string();
    assert!(anna.text_of(".detail-grid").contains("erika@beispiel.de"));

    // While another contact is typed, the hint names a likely existing one.
    anna.goto(&format!("{base}/contacts/new"));
    anna.fill("#f-first_name", "Jürgen");
    anna.fill("#f-last_name", "Schmitt");
    anna.wait_for_text("#similar", "Jürgen Schmidt");
    shot(&anna, "form-similar-de");

    // The search box finds Erika despite a typo, while typing, without a submit.
    anna.goto(&format!("{base}/contacts"));
    anna.press("/");
    assert_eq!(
        anna.exec("return document.activeElement.id", vec![]),
        json!("q")
    );
    anna.type_into(&anna.find("#q"), "Musterman");
    // The table follows the typing; its last state holds Erika alone.
    anna.wait_until("Erika alone in the table", || {
        let rows = anna.text_of("#table-area tbody");
        (rows.contains("Erika Mustermann") && !rows.contains("Schmidt")).then_some(())
    });
    assert_eq!(anna.find_all("#table-area tbody tr").len(), 1);

    // Tag her on her page.
    anna.goto(&detail_url);
    anna.fill("#new-tag", "Messe 2026");
    anna.click(&anna.find(".add-tag button"));
    anna.wait_for_text(".tags-bar", "Messe 2026");
    assert!(anna.text_of("#timeline").contains("Tag vergeben"));
    shot(&anna, "detail-de");

    // Filter by the tag with the filter builder and save that as a view.
    anna.goto(&format!("{base}/contacts"));
    anna.click(&anna.find("#filter-menu summary"));
    anna.click(&anna.find("#filter-builder button.link"));
    let field = anna.find("#filter-builder .filter-row:last-child select");
    anna.choose(&field, "__tag");
    let value = anna.find("#filter-builder .filter-row:last-child select:nth-of-type(3)");
    anna.choose(&value, "Messe 2026");
    anna.click(&anna.find("#list-form button[type=submit]"));
    anna.wait_until("the filtered list", || {
        anna.url().contains("filter=").then_some(())
    });
    assert_eq!(anna.find_all("#table-area tbody tr").len(), 1);
    assert!(anna
        .text_of("#table-area tbody")
        .contains("Erika Mustermann"));
    shot(&anna, "list-filtered-de");
    anna.click(&anna.find("details.save-view summary"));
    anna.fill("#view-name", "Messe-Kontakte");
    anna.click(&anna.find("#save-view-form button"));
    anna.wait_until("the saved view", || {
        anna.url().contains("view=").then_some(())
    });
    anna.goto(&format!("{base}/organizations"));
    let link = anna.wait_until("the view in the sidebar", || {
        anna.find_all(".views a")
            .into_iter()
            .find(|a| anna.text(a) == "Messe-Kontakte")
    });
    anna.click(&link);
    anna.wait_until("the view's list", || {
        anna.url().contains("/contacts?view=").then_some(())
    });
    assert_eq!(anna.find_all("#table-area tbody tr").len(), 1);
    assert!(anna
        .text_of("#table-area tbody")
        .contains("Erika Mustermann"));

    // Two people edit Erika at once: the second save sees the conflict with both versions.
    let bruno = driver.browser(&profile.join("bruno"));
    sign_in(&bruno, base, "bruno");
    anna.goto(&format!("{detail_url}/edit"));
    bruno.goto(&format!("{detail_url}/edit"));
    bruno.fill("#f-job_title", "Einkauf");
    bruno.click(&bruno.find("#record-form button[type=submit]"));
    bruno.wait_for_text(".notice", "Gespeichert");
    anna.fill("#f-job_title", "Vertrieb");
    anna.click(&anna.find("#record-form button[type=submit]"));
    anna.wait_for_text("#conflict", "inzwischen gespeichert");
    let theirs = anna.text_of("#f-job_title ~ .theirs");
    assert!(theirs.contains("Einkauf"), "{theirs}");
    shot(&anna, "form-conflict-de");
    // Confirming saves Anna's version over Bruno's, knowingly.
    anna.click(&anna.find("#record-form button[type=submit]"));
    anna.wait_for_text(".notice", "Gespeichert");
    assert!(anna.text_of(".facts").contains("Vertrieb"));
    drop(bruno);

    // Bulk delete of the selected row (after a confirmation), then restore from the trash.
    anna.goto(&format!("{base}/contacts?q=Mustermann"));
    anna.click(&anna.find("#table-area tbody input[name=ids]"));
    anna.choose(&anna.find("#bulk-action"), "delete");
    anna.click(&anna.find("#bulk-form button[type=submit]"));
    anna.accept_alert();
    anna.wait_for_text(".notice", "Gespeichert");
    anna.goto(&format!("{base}/trash"));
    anna.wait_for_text("main table", "Erika Mustermann");
    shot(&anna, "trash-de");
    anna.click(&anna.find("main table form button"));
    anna.wait_for_text(".notice", "Wiederhergestellt");
    anna.goto(&detail_url);
    anna.wait_for_text("h1", "Erika Mustermann");

    // Switching to English changes labels and is remembered.
    anna.click(&anna.find(".lang-switch button[value=en]"));
    anna.wait_for_text("h1", "Erika Mustermann");
    assert!(anna.text_of(".detail-grid").contains("Master data"));
    shot(&anna, "detail-en");
    anna.goto(&format!("{base}/contacts"));
    assert_eq!(anna.text_of("h1"), "Contacts");
    shot(&anna, "list-en");
    anna.goto(&format!("{base}/contacts/new"));
    assert!(anna
        .text_of("label[for=f-first_name]")
        .contains("First name"));
    anna.fill("#f-last_name", "Beispiel");
    anna.fill("#f-birthday", "01.01.2999");
    anna.exec(
        "document.getElementById('f-birthday').value = '2999-01-01'",
        vec![],
    );
    anna.click(&anna.find("#record-form button[type=submit]"));
    assert_eq!(
        anna.text_of("#f-birthday-error"),
        ErrorCode::FutureDate.message(Lang::En)
    );
    shot(&anna, "form-errors-en");
}

async fn a_working_day_in_the_browser(store: Store) {
    let actor = Actor::system("test");
    for name in ["anna", "bruno"] {
        add_user(&store, name, Role::User).await;
    }
    let known: ContactData = serde_json::from_value(json!({
        "first_name": "Jürgen", "last_name": "Schmidt", "emails": [{"address": "j.schmidt@example.de"}]
    }))
    .unwrap();
    store.create(&actor, known).await.unwrap();
    in_browser(&store, story).await;
}
both_databases!(a_working_day_in_the_browser);

/// A user of `role` signing in with [`PASSWORD`].
async fn add_user(store: &Store, name: &str, role: Role) -> kartei_store::users::User {
    store
        .add_user(
            &Actor::system("test"),
            name,
            role,
            &hash_password(PASSWORD).unwrap(),
        )
        .await
        .unwrap()
}

/// Serves `store` and runs a browser story against it on a blocking thread, with a
/// fresh profile folder; screenshots come from the SQLite run only, so the two runs
/// do not overwrite each other.
async fn in_browser(
    store: &Store,
    story: impl FnOnce(&str, Option<PathBuf>, &std::path::Path) + Send + 'static,
) {
    let sqlite = store.dialect() == kartei_store::Dialect::Sqlite;
    let base = serve(store.clone()).await;
    let profile = tempdir();
    let shots = sqlite.then(screenshots);
    let dir = profile.clone();
    tokio::task::spawn_blocking(move || story(&base, shots, &dir))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(profile);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kartei-web-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The customer history in the browser: logging a call through the form (with the
/// contact picker), the contact's timeline and purchases, loyalty points, my day with a
/// task ticked off, and moving a deal on the board without a mouse.
fn history_story(base: &str, shots: Option<PathBuf>, profile: &std::path::Path, ids: &HistoryIds) {
    let shot = |b: &Browser, name: &str| {
        if let Some(dir) = &shots {
            b.screenshot(dir, name);
        }
    };
    let driver = Driver::start();
    let b = driver.browser(&profile.join("history"));
    sign_in(&b, base, "anna");

    // Log a call: the contact is picked by name.
    b.goto(&format!("{base}/activities/new"));
    b.choose(&b.find("#f-kind"), "call");
    b.fill("#f-subject", "Nachfrage Angebot");
    b.type_into(&b.find("#f-contact_id"), "Karl Kunde");
    b.wait_until("the picked contact", || {
        let v = b.exec(
            "return document.querySelector('input[name=contact_id]').value",
            vec![],
        );
        v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
    });
    b.choose(&b.find("#f-direction"), "outbound");
    b.fill("#f-duration_minutes", "12");
    b.click_and_wait(&b.find("#record-form button[type=submit]"));
    b.wait_for_text(".notice", "Gespeichert");

    // The contact's page: the call, the order, purchases in one place.
    b.goto(&format!("{base}/contacts/{}", ids.contact));
    b.wait_for_text("#timeline", "Anruf: Nachfrage Angebot");
    assert!(
        b.text_of("#timeline").contains("Bestellung W-1"),
        "{}",
        b.text_of("#timeline")
    );
    assert!(b.text_of("#purchases").contains("1"));
    b.fill("#loyalty-points", "50");
    b.fill("#loyalty-reason", "Willkommensbonus");
    b.click_and_wait(&b.find("#loyalty button"));
    assert_eq!(b.text_of("#loyalty-balance"), "50");
    shot(&b, "contact-history-de");
    // Only orders in the timeline.
    b.goto(&format!(
        "{base}/contacts/{}?kind=order#timeline",
        ids.contact
    ));
    assert!(!b.text_of("#timeline").contains("Anruf"));

    // My day: the open task, ticked off.
    b.goto(&format!("{base}/my-day"));
    b.wait_for_text("#my-tasks", "Muster schicken");
    shot(&b, "my-day-de");
    // Overdue tasks stand in their own group; ticking one off happens in place.
    assert!(b
        .text_of("ol[data-group=overdue]")
        .contains("Muster schicken"));
    b.exec(
        "window.__kartei_same_page = true; window.scrollTo(0, 0);",
        vec![],
    );
    b.click(&b.find("#my-tasks form.tick button"));
    b.wait_until("the ticked task to go", || {
        (!b.text_of("#my-tasks").contains("Muster schicken")).then_some(())
    });
    assert_eq!(
        b.exec("return window.__kartei_same_page === true;", vec![]),
        json!(true),
        "ticking off reloaded the page"
    );
    b.goto(&format!("{base}/my-day"));
    assert!(!b.text_of("main").contains("Muster schicken"));

    // The board: move the deal with the selection on its card (no mouse needed).
    b.goto(&format!("{base}/pipelines/{}/board", ids.pipeline));
    b.wait_for_text(
        &format!("[data-stage='{}']", ids.stages[0]),
        "Kaffeeautomaten",
    );
    shot(&b, "board-de");
    let card = format!("[data-deal='{}']", ids.deal);
    b.choose(
        &b.find(&format!("{card} select")),
        &ids.stages[1].to_string(),
    );
    b.click_and_wait(&b.find(&format!("{card} button")));
    b.wait_for_text(".notice", "Verschoben");
    assert!(b
        .text_of(&format!("[data-stage='{}']", ids.stages[1]))
        .contains("Kaffeeautomaten"));
    b.goto(&format!("{base}/deals/{}", ids.deal));
    assert!(b.text_of("#stage-history").contains("Angebot"));
    // The deal's history names the stages it moved between, not their ids.
    let history = b.text_of("#timeline");
    assert!(
        history.contains("Vertrieb › Erstkontakt") && history.contains("Vertrieb › Angebot"),
        "{history}"
    );
    assert!(!history.contains(&ids.stages[1].to_string()), "{history}");
}

struct HistoryIds {
    contact: uuid::Uuid,
    pipeline: uuid::Uuid,
    stages: Vec<uuid::Uuid>,
    deal: uuid::Uuid,
}

async fn the_customer_history_in_the_browser(store: Store) {
    use kartei_core::activity::ActivityData;
    use kartei_core::commerce::OrderData;
    use kartei_core::deal::{DealData, PipelineData};
    let actor = Actor::system("test");
    let anna = add_user(&store, "anna", Role::User).await;
    let store = store.with_review_days(None);
    let contact = store
        .create(
            &actor,
            serde_json::from_value::<ContactData>(
                json!({"first_name": "Karl", "last_name": "Kunde"}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    store
        .create(&actor, serde_json::from_value::<OrderData>(json!({"number": "W-1", "ordered_on": "2026-10-01", "status": "completed", "contact_id": contact,
            "lines": [{"description": "Bohnen", "quantity": 2, "unit_price_minor": 1890, "vat_rate_bp": 700}]})).unwrap())
        .await
        .unwrap();
    store
        .create(
            &actor,
            serde_json::from_value::<ActivityData>(
                json!({"kind": "task", "subject": "Muster schicken", "contact_id": contact,
            "assignee_id": anna.id, "due_date": "2026-01-01"}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let pipeline = store
        .create(&actor, serde_json::from_value::<PipelineData>(json!({"name": "Vertrieb", "stages": [{"name": "Erstkontakt"}, {"name": "Angebot"}, {"name": "Gewonnen", "won": true}]})).unwrap())
        .await
        .unwrap();
    let stages: Vec<uuid::Uuid> = pipeline.data.stages.iter().filter_map(|s| s.id).collect();
    let deal = store
        .create(&actor, serde_json::from_value::<DealData>(json!({"title": "Kaffeeautomaten", "pipeline_id": pipeline.id, "stage_id": stages[0], "value_minor": 450000, "contact_ids": [contact]})).unwrap())
        .await
        .unwrap()
        .id;
    let ids = HistoryIds {
        contact,
        pipeline: pipeline.id,
        stages,
        deal,
    };
    in_browser(&store, move |base, shots, dir| {
        history_story(base, shots, dir, &ids);
    })
    .await;
}
both_databases!(the_customer_history_in_the_browser);

/// The duplicate review: scan, compare, choose a value, merge, undo.
fn duplicates_story(
    base: &str,
    shots: Option<PathBuf>,
    profile: &std::path::Path,
    keep: uuid::Uuid,
) {
    let driver = Driver::start();
    let b = driver.browser(&profile.join("anna"));
    sign_in(&b, base, "anna");
    b.click_and_wait(&b.find("a[href='/duplicates']"));
    assert!(
        b.text_of("#scan-state").contains("Noch keine Prüfung"),
        "{}",
        b.text_of("#scan-state")
    );
    b.click_and_wait(&b.find("form[action='/duplicates/scan'] button"));
    // The page refreshes itself while the scan runs.
    b.wait_until("the scan result", || b.try_find("#pairs").map(|_| ()));
    let row = b.text_of("#pairs tbody tr");
    assert!(
        row.contains("Jürgen Schmidt") && row.contains("Juergen Schmitt"),
        "{row}"
    );
    assert!(row.contains("gleiche E-Mail-Adresse"), "{row}");
    assert!(!row.contains("Zora"), "{row}");
    if let Some(dir) = &shots {
        b.screenshot(dir, "duplicates-de");
    }
    b.click_and_wait(&b.find("#pairs a.button"));
    // Make the contact that stays the one with the order-less, older record.
    if !b.url().contains(&format!("a={keep}")) {
        b.click_and_wait(&b.find("header .actions a.button"));
    }
    let form = b.text_of("#merge-form");
    assert!(form.contains("Bestellungen"), "{form}");
    // Take the other last name.
    b.click(&b.find("input[name='pick.last_name'][value='other']"));
    if let Some(dir) = &shots {
        b.screenshot(dir, "merge-de");
    }
    b.click_and_wait(&b.find("#merge-button"));
    assert!(
        b.url().contains(&format!("/contacts/{keep}")),
        "{}",
        b.url()
    );
    assert_eq!(b.text_of("p.notice"), "Zusammengeführt.");
    assert!(b.text_of("h1").contains("Schmitt"), "{}", b.text_of("h1"));
    assert!(b.text_of("#merges").contains("Juergen Schmitt"));
    // The order of the merged contact is on the survivor's page now.
    assert!(
        b.text_of("#purchases").contains("1"),
        "{}",
        b.text_of("#purchases")
    );
    b.click_and_wait(&b.find("#merges button"));
    assert_eq!(b.text_of("p.notice"), "Zusammenführung rückgängig gemacht.");
    assert!(b.text_of("h1").contains("Schmidt"), "{}", b.text_of("h1"));
    assert!(b.try_find("#merges").is_none());

    // The data quality report: Zora can be reached neither by e-mail nor by phone.
    b.click_and_wait(&b.find("a[href='/quality']"));
    b.click_and_wait(&b.find("form[action='/quality/run'] button"));
    b.wait_until("the audit", || b.try_find("#quality-findings").map(|_| ()));
    let findings = b.text_of("#quality-findings");
    let unreachable = findings
        .lines()
        .find(|l| l.contains("Weder E-Mail noch Telefon"))
        .unwrap_or_default()
        .to_string();
    assert!(unreachable.contains("Zora Anders"), "{findings}");
    assert!(b.text_of("#quality-fill").contains("Vorname"));
    if let Some(dir) = &shots {
        b.screenshot(dir, "quality-de");
    }
    // Its count links to the filtered list, which shows exactly her.
    b.click_and_wait(&b.find("#quality-findings tbody tr:nth-child(2) a"));
    b.wait_until("the filtered list", || {
        b.try_find("table.records tbody tr").map(|_| ())
    });
    let rows = b.find_all("table.records tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(b.text(&rows[0]).contains("Zora"));

    // An import in the browser: upload, check, import with progress.
    let csv = profile.join("kunden.csv");
    std::fs::write(
        &csv,
        "Vorname;Nachname;E-Mail\nIrma;Import;irma@import.de\nOtto;Ohne;kaputt\n",
    )
    .unwrap();
    b.click_and_wait(&b.find("a[href='/imports']"));
    b.type_into(&b.find("#imp-file"), csv.to_str().unwrap());
    // The page script sends the file with a progress bar, then opens the mapping.
    b.find("#upload-progress");
    b.click_and_wait(&b.find("#upload-form button"));
    b.wait_until("the mapping", || b.try_find("#mapping-form").map(|_| ()));
    // By default Otto is kept without his broken e-mail address.
    b.click_and_wait(&b.find("#check-button"));
    let report = b.text_of("#import-report");
    assert!(
        report.contains("2 neu") && report.contains("0 ungültig") && report.contains("Notizen"),
        "{report}"
    );
    // Strict refuses his row.
    b.click(&b.find("#strict"));
    b.click_and_wait(&b.find("#check-button"));
    let report = b.text_of("#import-report");
    assert!(
        report.contains("1 neu") && report.contains("1 ungültig"),
        "{report}"
    );
    assert!(report.contains("Keine gültige E-Mail-Adresse"), "{report}");
    if let Some(dir) = &shots {
        b.screenshot(dir, "import-check-de");
    }
    b.click_and_wait(&b.find("#run-button"));
    b.wait_until("the import", || {
        b.text_of("#import-progress")
            .contains("Import fertig")
            .then_some(())
    });
    assert!(b.text_of("#import-progress").contains("1 angelegt"));
    b.click_and_wait(&b.find("#import-progress a[href='/contacts']"));
    b.wait_until("the new contact", || {
        b.text_of("table.records").contains("Irma").then_some(())
    });
}

async fn duplicates_are_reviewed_and_merged_in_the_browser(store: Store) {
    use kartei_core::commerce::OrderData;
    let actor = Actor::system("test");
    add_user(&store, "anna", Role::User).await;
    let store = store.with_review_days(None);
    let mut ids = Vec::new();
    for c in [
        json!({"first_name": "Jürgen", "last_name": "Schmidt", "emails": [{"address": "js@example.de"}]}),
        json!({"first_name": "Juergen", "last_name": "Schmitt", "emails": [{"address": "js@example.de"}]}),
        json!({"first_name": "Zora", "last_name": "Anders"}),
    ] {
        let r = store
            .create(&actor, serde_json::from_value::<ContactData>(c).unwrap())
            .await
            .unwrap();
        ids.push(r.id);
    }
    store
        .create(&actor, serde_json::from_value::<OrderData>(json!({"number": "D-1", "ordered_on": "2026-10-01", "status": "completed", "contact_id": ids[1],
            "lines": [{"description": "Bohnen", "quantity": 1, "unit_price_minor": 1890}]})).unwrap())
        .await
        .unwrap();
    // The contact that stays is the older one, without the order.
    let keep = ids[0];
    in_browser(&store, move |base, shots, dir| {
        duplicates_story(base, shots, dir, keep);
    })
    .await;
}
both_databases!(duplicates_are_reviewed_and_merged_in_the_browser);
