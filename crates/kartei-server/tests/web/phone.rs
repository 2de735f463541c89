//! Every main page on a phone (390 × 844) and on a desktop (1440 × 900): nothing
//! scrolls sideways, the menu sits behind a button, lists are cards with tap-to-call
//! and tap-to-mail, the board shows one stage at a time. Screenshots of both sizes
//! land beside the others as `<page>-phone.png` and `<page>-desktop.png`.

use super::{add_user, in_browser, sign_in};
use crate::browser::{Browser, Driver};
use kartei_core::access::Role;
use kartei_core::activity::ActivityData;
use kartei_core::contact::ContactData;
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::organization::OrganizationData;
use kartei_store::{both_databases, Actor, Store};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn data<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

struct Ids {
    contact: uuid::Uuid,
    organization: uuid::Uuid,
    deal: uuid::Uuid,
    pipeline: uuid::Uuid,
    upload: uuid::Uuid,
}

/// The pages a user works with, by the name their screenshot gets.
fn pages(ids: &Ids) -> Vec<(&'static str, String)> {
    vec![
        ("contacts", "/contacts".into()),
        ("contact", format!("/contacts/{}", ids.contact)),
        ("contact-new", "/contacts/new".into()),
        ("contact-edit", format!("/contacts/{}/edit", ids.contact)),
        (
            "mailing",
            "/contacts/mailing?for=email%3Anewsletter".to_string(),
        ),
        ("organizations", "/organizations".into()),
        (
            "organization",
            format!("/organizations/{}", ids.organization),
        ),
        ("deals", "/deals".into()),
        ("deal", format!("/deals/{}", ids.deal)),
        ("board", format!("/pipelines/{}/board", ids.pipeline)),
        ("activities", "/activities".into()),
        ("activity-new", "/activities/new".into()),
        ("my-day", "/my-day".into()),
        ("imports", "/imports".into()),
        ("import-map", format!("/imports/u/{}", ids.upload)),
        ("duplicates", "/duplicates".into()),
        ("quality", "/quality".into()),
        ("trash", "/trash".into()),
        ("account", "/account".into()),
        ("users", "/admin/users".into()),
        ("tags", "/admin/tags".into()),
        ("fields", "/admin/fields".into()),
        ("purposes", "/admin/purposes".into()),
        (
            "not-found",
            "/contacts/00000000-0000-0000-0000-000000000000".into(),
        ),
    ]
}

fn assert_no_sideways_scroll(b: &Browser, page: &str, width: u32) {
    let widths = b.exec(
        "return [document.documentElement.scrollWidth, window.innerWidth];",
        vec![],
    );
    let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert_eq!(
        inner,
        u64::from(width),
        "{page}: the window is not {width} px wide"
    );
    if scroll > inner {
        // Name the innermost elements that reach past the right edge.
        let wide = b.exec(
            "return Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !Array.from(e.children).some(c => c.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right));",
            vec![],
        );
        panic!("{page} scrolls sideways at {width} px: {scroll} > {inner}; too wide: {wide}");
    }
}

fn story(base: &str, shots: Option<PathBuf>, profile: &Path, ids: &Ids) {
    let driver = Driver::start();
    let b = driver.browser(&profile.join("phone"));
    b.resize(390, 844);
    sign_in(&b, base, "anna");
    for (name, path) in pages(ids) {
        b.goto(&format!("{base}{path}"));
        b.find("main");
        assert_no_sideways_scroll(&b, name, 390);
        if let Some(dir) = &shots {
            b.screenshot(dir, &format!("{name}-phone"));
        }
    }

    // The import's choices below the columns, with the strict box, fit the width too.
    b.goto(&format!("{base}/imports/u/{}", ids.upload));
    b.exec(
        "document.getElementById('strict').scrollIntoView({block: 'center'});",
        vec![],
    );
    if let Some(dir) = &shots {
        b.screenshot(dir, "import-map-options-phone");
    }

    // A consent taken on the phone: the panel's form, then the state shows it.
    b.goto(&format!("{base}/contacts/{}#consents", ids.contact));
    b.click(&b.find("#consents summary"));
    b.exec(
        "document.getElementById('consent-purpose').value = 'marketing_calls';\
         document.getElementById('consent-channel').value = 'phone';\
         document.getElementById('consent-source').value = 'phone';",
        vec![],
    );
    b.fill(
        "#consent-wording",
        "Darf ich Sie vormittags mit Angeboten anrufen? – Ja.",
    );
    b.fill("#consent-proof", "Rückruf vom 3. Dezember");
    if let Some(dir) = &shots {
        b.screenshot(dir, "consent-form-phone");
    }
    b.click_and_wait(&b.find("#consents form button"));
    let panel = b.text_of("#consents");
    assert!(panel.contains("Werbeanrufe · Telefon"), "{panel}");
    assert!(panel.contains("Rückruf vom 3. Dezember"), "{panel}");
    assert_no_sideways_scroll(&b, "consents", 390);
    b.exec(
        "document.getElementById('consents').scrollIntoView();",
        vec![],
    );
    if let Some(dir) = &shots {
        b.screenshot(dir, "consent-panel-phone");
    }

    // The menu is behind a button: closed, the navigation is not on the screen.
    b.goto(&format!("{base}/contacts"));
    let nav_shown =
        "return getComputedStyle(document.getElementById('sidebar')).display !== 'none';";
    assert_eq!(b.exec(nav_shown, vec![]), json!(false));
    b.click(&b.find("#menu-button"));
    assert_eq!(b.exec(nav_shown, vec![]), json!(true));
    if let Some(dir) = &shots {
        b.screenshot(dir, "menu-phone");
    }
    b.click_and_wait(&b.find("#sidebar a[href='/organizations']"));
    assert_eq!(b.text_of("h1"), "Organisationen");

    // A list is a stack of cards; the number and the address can be tapped.
    b.goto(&format!("{base}/contacts"));
    let card = b.text_of("table.records tbody");
    assert!(
        card.contains("Friederike Oberhollenzer-Wackernagel"),
        "{card}"
    );
    // Numbers of the home region read nationally; the link dials E.164.
    let number = b.find("table.records a[href='tel:+493012345678']");
    assert_eq!(b.text(&number), "030 12345678");
    assert!(b
        .try_find("table.records a[href='mailto:friederike.oberhollenzer-wackernagel@landwirtschaftskammer-niedersachsen.example']")
        .is_some());
    assert_eq!(
        b.exec(
            "return getComputedStyle(document.querySelector('table.records thead')).display;",
            vec![]
        ),
        json!("none")
    );

    // The board: one stage at a time, the switcher picks another.
    b.goto(&format!("{base}/pipelines/{}/board", ids.pipeline));
    let shown = "return Array.from(document.querySelectorAll('.board-column')).filter(c => getComputedStyle(c).display !== 'none').map(c => c.querySelector('h2').textContent.trim());";
    let first = b.exec(shown, vec![]);
    assert_eq!(first.as_array().map(Vec::len), Some(1), "{first}");
    assert!(
        first[0].as_str().unwrap().starts_with("Erstkontakt"),
        "{first}"
    );
    b.click(&b.find("#stage-switch a:nth-child(2)"));
    let second = b.exec(shown, vec![]);
    assert!(
        second[0].as_str().unwrap().starts_with("Angebot"),
        "{second}"
    );

    // The same pages on a desktop: the sidebar is there, nothing scrolls sideways.
    b.resize(1440, 900);
    for (name, path) in pages(ids) {
        b.goto(&format!("{base}{path}"));
        b.find("main");
        assert_no_sideways_scroll(&b, name, 1440);
        assert_eq!(
            b.exec(nav_shown, vec![]),
            json!(true),
            "{name}: no sidebar on the desktop"
        );
        assert_eq!(
            b.exec("return ['menu-button', 'menu-close'].map(id => document.getElementById(id).getClientRects().length > 0);", vec![]),
            json!([false, false]),
            "{name}: the phone's menu controls show on the desktop"
        );
        if let Some(dir) = &shots {
            b.screenshot(dir, &format!("{name}-desktop"));
        }
    }
}

async fn every_page_on_a_phone_and_a_desktop(store: Store) {
    let actor = Actor::system("test");
    let anna = add_user(&store, "anna", Role::Admin).await;
    let store = store.with_review_days(None);
    let organization = store
        .create(
            &actor,
            data::<OrganizationData>(json!({
            "name": "Landwirtschaftskammer Niedersachsen Beratungsgesellschaft mbH",
            "website": "https://www.landwirtschaftskammer-niedersachsen.example/beratung/kontakt",
            "emails": [{"address": "info@landwirtschaftskammer-niedersachsen.example"}]})),
        )
        .await
        .unwrap()
        .id;
    let contact = store
        .create(&actor, data::<ContactData>(json!({
            "first_name": "Friederike", "last_name": "Oberhollenzer-Wackernagel",
            "organization_id": organization, "job_title": "Leiterin Fördermittelberatung und Projektentwicklung",
            "emails": [{"address": "friederike.oberhollenzer-wackernagel@landwirtschaftskammer-niedersachsen.example"}],
            "phones": [{"number": "+493012345678"}, {"number": "+4915112345678", "kind": "mobile"}],
            "addresses": [{"street": "Mars-la-Tour-Straße 1-13", "postcode": "26121", "city": "Oldenburg (Oldenburg)"}],
            "notes": "Möchte Angebote nur per Post; Rückruf bitte vormittags zwischen neun und elf Uhr."})))
        .await
        .unwrap()
        .id;
    for (first, last) in [("Karl", "Kunde"), ("Ünal", "Öztürk"), ("Jo", "Li")] {
        store
            .create(
                &actor,
                data::<ContactData>(json!({"first_name": first, "last_name": last})),
            )
            .await
            .unwrap();
    }
    let pipeline = store
        .create(&actor, data::<PipelineData>(json!({"name": "Vertrieb", "stages": [
            {"name": "Erstkontakt"}, {"name": "Angebot"}, {"name": "Verhandlung"}, {"name": "Gewonnen", "won": true}]})))
        .await
        .unwrap();
    let stages: Vec<uuid::Uuid> = pipeline.data.stages.iter().filter_map(|s| s.id).collect();
    let deal = store
        .create(
            &actor,
            data::<DealData>(
                json!({"title": "Beratungsvertrag Fördermittel Stallumbau 2027",
            "pipeline_id": pipeline.id, "stage_id": stages[0], "value_minor": 125_000_000,
            "contact_ids": [contact], "organization_id": organization}),
            ),
        )
        .await
        .unwrap()
        .id;
    store
        .create(
            &actor,
            data::<DealData>(json!({"title": "Wartung", "pipeline_id": pipeline.id,
            "stage_id": stages[1], "value_minor": 90000})),
        )
        .await
        .unwrap();
    store
        .create(
            &actor,
            data::<ActivityData>(json!({"kind": "task",
            "subject": "Unterlagen für den Förderantrag zusammenstellen und prüfen lassen",
            "contact_id": contact, "assignee_id": anna.id, "due_date": "2026-01-01"})),
        )
        .await
        .unwrap();
    // A consent with a long wording and proof from a web form, for the panel.
    store
        .record_consent(
            &actor,
            contact,
            kartei_core::consent::ConsentInput {
                channel: "email".into(),
                purpose: "newsletter".into(),
                status: "granted".into(),
                basis: "consent".into(),
                source: "web_form".into(),
                wording: Some("Ja, ich möchte den monatlichen Newsletter der Landwirtschaftskammer mit Hinweisen zu Förderprogrammen per E-Mail erhalten. Die Einwilligung kann ich jederzeit widerrufen.".into()),
                ip_address: Some("2001:db8:85a3::8a2e:370:7334".into()),
                user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A file waiting for its mapping.
    let upload = uuid::Uuid::now_v7();
    store
        .save_import_upload(
            upload,
            anna.id,
            &kartei_store::imports::StoredUpload {
                file_name: "kunden-aus-dem-alten-warenwirtschaftssystem.csv".into(),
                sheet: None,
                content: "Anrede;Vorname;Nachname;E-Mail-Adresse geschäftlich;Geburtstag\n\
                    Frau;Friederike;Oberhollenzer;f.oberhollenzer@@beispiel;1955-11-92\n"
                    .as_bytes()
                    .to_vec(),
            },
        )
        .await
        .unwrap();
    let ids = Ids {
        contact,
        organization,
        deal,
        pipeline: pipeline.id,
        upload,
    };
    in_browser(&store, move |base, shots, dir| {
        story(base, shots, dir, &ids);
    })
    .await;
}
both_databases!(every_page_on_a_phone_and_a_desktop);
