//! A re-import that finds a contact fills it in and never loses what it had: e-mails,
//! phones and addresses of the file are added beside the contact's, values are not
//! overwritten unless "replace" is chosen, every change names the import in the history,
//! and undo puts back exactly the state before. On SQLite and PostgreSQL.

use kartei_app::import::{check, write, Content, Options, Table};
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldInput, CustomKind};
use kartei_core::i18n::Lang;
use kartei_core::import_match::OnMatch;
use kartei_core::record::Entity;
use kartei_store::{both_databases, Actor, Store};
use serde_json::json;
use uuid::Uuid;

fn options(match_by: &str, on_match: OnMatch) -> Options {
    Options {
        match_by: match_by.into(),
        on_match,
        owner: None,
        lang: Lang::De,
        strict: false,
        country: None,
    }
}

async fn heinz(store: &Store, actor: &Actor) -> Uuid {
    store
        .create::<ContactData>(
            actor,
            serde_json::from_value(json!({
                "first_name": "Heinz", "last_name": "Weber", "job_title": "Einkauf",
                "customer_number": "K-1",
                "emails": [{"address": "heinz@weber.de"}, {"address": "h.weber@firma.de"}],
                "phones": [{"number": "+49 30 1234567"}],
                "addresses": [
                    {"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"},
                    {"street": "Nebenweg 2", "postcode": "80331", "city": "München"}
                ]
            }))
            .unwrap(),
        )
        .await
        .unwrap()
        .id
}

/// Checks and writes `file` as `kunden.csv`, matching by e-mail; returns the import's id.
async fn import(store: &Store, actor: &Actor, file: &str, on_match: OnMatch) -> Uuid {
    import_by(store, actor, file, "email", on_match).await
}

async fn import_by(
    store: &Store,
    actor: &Actor,
    file: &str,
    match_by: &str,
    on_match: OnMatch,
) -> Uuid {
    let options = || options(match_by, on_match);
    let table = Table::read(Content::Bytes(file.as_bytes().into()), None).unwrap();
    let defs = store.custom_fields(Some(Entity::Contact)).await.unwrap();
    let targets = table.suggested(&defs);
    let checked = check(store, &table, &targets, &options()).await.unwrap();
    assert_eq!(checked.counts()[3], 0, "{:?}", checked.problems());
    write(
        store,
        actor,
        "kunden.csv",
        &table,
        &checked,
        &options(),
        |_| {},
    )
    .await
    .unwrap()
    .id
}

fn emails(c: &ContactData) -> Vec<&str> {
    c.emails.iter().map(|e| e.address.as_str()).collect()
}

fn places(c: &ContactData) -> Vec<String> {
    c.addresses
        .iter()
        .map(|a| {
            format!(
                "{}|{}|{}",
                a.street.as_deref().unwrap_or(""),
                a.postcode.as_deref().unwrap_or(""),
                a.city.as_deref().unwrap_or("")
            )
        })
        .collect()
}

async fn fill_in_keeps_every_email_and_address_and_undo_restores_them(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let id = heinz(&store, &actor).await;
    let before = store.get::<ContactData>(id).await.unwrap().data;

    // The file of the report: one e-mail he has, and a postcode and city.
    let file = "Vorname;Nachname;E-Mail;PLZ;Ort\nHeinz;Weber;heinz@weber.de;20095;Hamburg\n";
    let table = Table::read(Content::Bytes(file.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);
    let checked = check(&store, &table, &targets, &options("email", OnMatch::FillIn))
        .await
        .unwrap();
    assert_eq!(checked.counts(), [0, 1, 0, 0, 0]);
    // The dry run names the row and the field it changes, old and new.
    let changes = checked.changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].0, 2);
    let fields: Vec<&str> = changes[0].1.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["addresses"]);
    assert_eq!(changes[0].1[0].before, json!(before.addresses));

    let job = import(&store, &actor, file, OnMatch::FillIn).await;
    let after = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(emails(&after), ["heinz@weber.de", "h.weber@firma.de"]);
    assert_eq!(
        places(&after),
        [
            "Hauptstr. 1|10115|Berlin",
            "Nebenweg 2|80331|München",
            "|20095|Hamburg"
        ]
    );
    assert_eq!(after.job_title.as_deref(), Some("Einkauf"));

    // The history names the import, not only who ran it.
    let history = store.history(id, None, 10).await.unwrap();
    let change = history.iter().find(|e| e.action == "update").unwrap();
    let source = change.import.as_ref().expect("the change names its import");
    assert_eq!((source.id, source.file_name.as_str()), (job, "kunden.csv"));
    assert_eq!(change.actor_name, "admin");
    let timeline = store
        .timeline(Entity::Contact, id, &[], None, 10)
        .await
        .unwrap();
    let entry = timeline
        .items
        .iter()
        .find(|i| i.data["action"] == "update")
        .unwrap();
    assert_eq!(entry.data["import"]["file_name"], "kunden.csv");

    // Undo puts back exactly what was there.
    store.undo_import(&actor, job).await.unwrap();
    assert_eq!(store.get::<ContactData>(id).await.unwrap().data, before);
}

async fn each_list_gains_only_what_it_lacks(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let id = heinz(&store, &actor).await;
    // E-mails: his own in other letters is his.
    // Phones: his number in national notation is his; a mobile is added.
    // Addresses: "Hauptstraße 1, berlin" is Hauptstr. 1 in Berlin.
    let same = "E-Mail;Telefon;Straße;PLZ;Ort\n\
        H.Weber@Firma.de;030 1234567;Hauptstraße 1;10115;berlin\n";
    let table = Table::read(Content::Bytes(same.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);
    let opts = options("email", OnMatch::FillIn);
    let checked = check(&store, &table, &targets, &opts).await.unwrap();
    // Found, and nothing to change.
    assert_eq!(
        checked.counts(),
        [0, 1, 0, 0, 0],
        "{:?}",
        checked.problems()
    );
    assert!(checked.changes().is_empty());
    // A new e-mail, a new mobile and a new street, found by his customer number.
    let file = "Kundennummer;E-Mail;Telefon;Mobil;Straße;PLZ;Ort\n\
        K-1;heinz@privat.de;030 1234567;0171 5551234;Hauptstraße 1;10115;berlin\n";
    import_by(&store, &actor, file, "customer_number", OnMatch::FillIn).await;
    let after = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(
        emails(&after),
        ["heinz@weber.de", "h.weber@firma.de", "heinz@privat.de"]
    );
    let phones: Vec<&str> = after.phones.iter().map(|p| p.number.as_str()).collect();
    assert_eq!(phones, ["+49301234567", "+491715551234"]);
    assert_eq!(
        places(&after),
        ["Hauptstr. 1|10115|Berlin", "Nebenweg 2|80331|München"]
    );
    let other = "Kundennummer;Straße;PLZ;Ort\nK-1;Ring 3;10115;Berlin\n";
    import_by(&store, &actor, other, "customer_number", OnMatch::FillIn).await;
    let after = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(
        places(&after),
        [
            "Hauptstr. 1|10115|Berlin",
            "Nebenweg 2|80331|München",
            "Ring 3|10115|Berlin"
        ]
    );

    // The same file again changes nothing.
    let table = Table::read(Content::Bytes(file.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);
    let opts = options("customer_number", OnMatch::FillIn);
    let again = check(&store, &table, &targets, &opts).await.unwrap();
    assert_eq!(again.counts(), [0, 1, 0, 0, 0]);
    assert!(again.changes().is_empty());
}

async fn replace_overwrites_only_when_chosen(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    store
        .create_custom_field(
            &actor,
            CustomFieldInput {
                entity: Entity::Contact,
                key: "groesse".into(),
                label_de: "Größe".into(),
                label_en: "Size".into(),
                kind: CustomKind::Text,
                options: vec![],
            },
        )
        .await
        .unwrap();
    let id = heinz(&store, &actor).await;
    let before = store.get::<ContactData>(id).await.unwrap().data;
    let file = "E-Mail;Position;Größe;PLZ;Ort\nheinz@weber.de;Vertrieb;XL;20095;Hamburg\n";

    // Fill in keeps his job title and adds the custom value; undo takes it out again.
    let job = import(&store, &actor, file, OnMatch::FillIn).await;
    let filled = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(filled.job_title.as_deref(), Some("Einkauf"));
    assert_eq!(filled.custom.get("groesse"), Some(&json!("XL")));
    store.undo_import(&actor, job).await.unwrap();
    assert_eq!(store.get::<ContactData>(id).await.unwrap().data, before);

    // Replace takes the file's values, and the file's address list.
    import(&store, &actor, file, OnMatch::Replace).await;
    let replaced = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(replaced.job_title.as_deref(), Some("Vertrieb"));
    assert_eq!(places(&replaced), ["|20095|Hamburg"]);
    assert_eq!(emails(&replaced), ["heinz@weber.de"]);
}

both_databases!(fill_in_keeps_every_email_and_address_and_undo_restores_them);
both_databases!(each_list_gains_only_what_it_lacks);
both_databases!(replace_overwrites_only_when_chosen);

/// A contact holding a value of a custom field deleted since is filled in like any
/// other: the old value is not checked again, nothing fails.
async fn a_deleted_custom_field_does_not_stop_a_reimport(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let field = store
        .create_custom_field(
            &actor,
            CustomFieldInput {
                entity: Entity::Contact,
                key: "altnummer".into(),
                label_de: "Altnummer".into(),
                label_en: "Old number".into(),
                kind: CustomKind::Text,
                options: vec![],
            },
        )
        .await
        .unwrap();
    let id = heinz(&store, &actor).await;
    store
        .update::<ContactData>(&actor, id, None, json!({"custom": {"altnummer": "A-1"}}))
        .await
        .unwrap();
    store.delete_custom_field(&actor, field.id).await.unwrap();
    import(
        &store,
        &actor,
        "E-Mail;Abteilung\nheinz@weber.de;Nord\n",
        OnMatch::FillIn,
    )
    .await;
    let after = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(after.department.as_deref(), Some("Nord"));
}

both_databases!(a_deleted_custom_field_does_not_stop_a_reimport);

/// Two rows for one customer are checked together, as they will be written: the third
/// address of a file may be one too many for the contact, and then that row is refused,
/// not the whole import. A row the check let pass that no longer fits when it is written
/// (a colleague added an address meanwhile) is reported and not written; the import
/// goes on.
async fn rows_for_one_contact_are_checked_together(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let id = heinz(&store, &actor).await;
    let street =
        |i: usize| json!({"street": format!("Weg {i}"), "postcode": "10115", "city": "Berlin"});
    let addresses: Vec<serde_json::Value> = (1..=18).map(street).collect();
    store
        .update::<ContactData>(&actor, id, None, json!({ "addresses": addresses }))
        .await
        .unwrap();
    let file = "E-Mail;Straße;PLZ;Ort\n\
        heinz@weber.de;Allee 1;20095;Hamburg\n\
        heinz@weber.de;Allee 2;20095;Hamburg\n\
        heinz@weber.de;Allee 3;20095;Hamburg\n";
    let table = Table::read(Content::Bytes(file.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);
    let options = options("email", OnMatch::FillIn);
    let checked = check(&store, &table, &targets, &options).await.unwrap();
    assert_eq!(
        checked.counts(),
        [0, 2, 0, 1, 0],
        "{:?}",
        checked.problems()
    );
    assert_eq!(checked.problems()[0].0, 4, "{:?}", checked.problems());

    let addresses: Vec<serde_json::Value> = (1..=19).map(street).collect();
    store
        .update::<ContactData>(&actor, id, None, json!({ "addresses": addresses }))
        .await
        .unwrap();
    let refused = std::sync::Mutex::new(Vec::new());
    let job = write(
        &store,
        &actor,
        "kunden.csv",
        &table,
        &checked,
        &options,
        |p| {
            if let kartei_app::import::Progress::Refused(row, _) = p {
                refused.lock().unwrap().push(row);
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(*refused.lock().unwrap(), [3]);
    assert_eq!(job.updated, 1);
    let after = store.get::<ContactData>(id).await.unwrap().data;
    assert_eq!(after.addresses.len(), 20);
    assert!(places(&after).contains(&"Allee 1|20095|Hamburg".to_string()));
}
both_databases!(rows_for_one_contact_are_checked_together);
