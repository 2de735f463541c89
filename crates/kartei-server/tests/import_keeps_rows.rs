//! An import keeps a row whose only fault is one bad optional value (an impossible birth
//! date, a mistyped e-mail address, a postcode that is none): the contact is imported
//! without that value, which goes into its notes as written, and it is marked "needs
//! check"; the report and the error file list what was left out. A row without a name
//! is still refused, and "strict" refuses every row with a bad value. On SQLite and
//! PostgreSQL.

use kartei_app::import::{check, write, Content, Options, Table};
use kartei_core::contact::ContactData;
use kartei_core::filter::Sort;
use kartei_core::i18n::Lang;
use kartei_core::import_match::OnMatch;
use kartei_store::list::ListRequest;
use kartei_store::{both_databases, Actor, Store};

const FILE: &str = "Vorname;Nachname;E-Mail;Geburtstag;PLZ;Ort\n\
    Anna;Weber;anna@@beispiel;1955-11-92;10115;Berlin\n\
    Bernd;Kaiser;bernd@beispiel.de;01.02.1970;1011;Berlin\n\
    ;;;01.01.1980;;Hamburg\n\
    Carla;Lind;carla@beispiel.de;19800229;80331;München\n";

fn options(strict: bool) -> Options {
    Options {
        match_by: "email".into(),
        on_match: OnMatch::FillIn,
        owner: None,
        lang: Lang::De,
        strict,
        country: None,
    }
}

async fn contacts(store: &Store) -> Vec<ContactData> {
    store
        .list::<ContactData>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit: 100,
            with_total: false,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.data)
        .collect()
}

async fn a_row_with_one_bad_value_is_kept_without_it(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let table = Table::read(Content::Bytes(FILE.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);

    // Strict: every row with a bad value is refused, as before.
    let strict = check(&store, &table, &targets, &options(true))
        .await
        .unwrap();
    assert_eq!(strict.counts(), [1, 0, 0, 3, 0], "{:?}", strict.problems());
    assert_eq!(strict.kept_without_values(), 0);

    let checked = check(&store, &table, &targets, &options(false))
        .await
        .unwrap();
    // Anna, Bernd and Carla are new; the row without any name is refused.
    assert_eq!(
        checked.counts(),
        [3, 0, 0, 1, 0],
        "{:?}",
        checked.problems()
    );
    assert_eq!(checked.kept_without_values(), 2);
    let problems = checked.problems();
    let listed: Vec<(usize, &str)> = problems
        .iter()
        .map(|(row, column, _)| (*row, column.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (2, "Geburtstag"),
            (2, "E-Mail"),
            (3, "PLZ"),
            (4, "Nachname")
        ]
    );
    assert!(
        problems[0].2.contains("Notizen"),
        "the report says where the value went: {}",
        problems[0].2
    );
    let errors = checked.errors_csv(&table, Lang::De).unwrap();
    assert!(errors.contains("anna@@beispiel") && errors.contains("1011"));
    assert_eq!(errors.lines().count(), 4, "header and three rows: {errors}");

    write(
        &store,
        &actor,
        "kunden.csv",
        &table,
        &checked,
        &options(false),
        |_| {},
    )
    .await
    .unwrap();
    let all = contacts(&store).await;
    let named = |last: &str| {
        all.iter()
            .find(|c| c.last_name.as_deref() == Some(last))
            .unwrap_or_else(|| panic!("{last} was not imported: {all:?}"))
    };
    let anna = named("Weber");
    assert!(anna.emails.is_empty());
    assert_eq!(anna.birthday, None);
    assert_eq!(anna.addresses[0].postcode.as_deref(), Some("10115"));
    assert_eq!(
        anna.notes.as_deref(),
        Some("Geburtstag laut Import: 1955-11-92\nE-Mail laut Import: anna@@beispiel")
    );
    assert!(anna.needs_check);
    let bernd = named("Kaiser");
    assert_eq!(bernd.addresses[0].postcode, None);
    assert_eq!(bernd.addresses[0].city.as_deref(), Some("Berlin"));
    assert_eq!(bernd.notes.as_deref(), Some("PLZ laut Import: 1011"));
    assert_eq!(bernd.emails[0].address, "bernd@beispiel.de");
    let carla = named("Lind");
    assert_eq!(
        carla.birthday.map(|d| d.to_string()).as_deref(),
        Some("1980-02-29")
    );
    assert_eq!(carla.notes, None);
    assert!(!carla.needs_check, "a clean row is not marked");
    assert_eq!(all.len(), 3);
}

both_databases!(a_row_with_one_bad_value_is_kept_without_it);

/// A file of Austrian customers names no country: with the file's country its
/// four-digit postcodes are right; without it they are taken for ones of the home
/// region (Germany here), which they are not, and set aside.
async fn a_file_can_say_its_country(store: Store) {
    let store = store.with_review_days(None);
    let actor = Actor::system("admin");
    let file = "Vorname;Nachname;Straße;PLZ;Ort\nAnna;Huber;Stephansplatz 1;1010;Wien\n";
    let table = Table::read(Content::Bytes(file.as_bytes().into()), None).unwrap();
    let targets = table.suggested(&[]);
    let german = check(&store, &table, &targets, &options(false))
        .await
        .unwrap();
    assert_eq!(german.kept_without_values(), 1, "{:?}", german.problems());
    let austrian = Options {
        country: Some("AT".into()),
        ..options(false)
    };
    let checked = check(&store, &table, &targets, &austrian).await.unwrap();
    assert_eq!(checked.counts(), [1, 0, 0, 0, 0]);
    assert_eq!(checked.kept_without_values(), 0);
    write(
        &store,
        &actor,
        "wien.csv",
        &table,
        &checked,
        &austrian,
        |_| {},
    )
    .await
    .unwrap();
    let anna = &contacts(&store).await[0];
    assert_eq!(anna.addresses[0].country.as_deref(), Some("AT"));
    assert_eq!(anna.addresses[0].postcode.as_deref(), Some("1010"));
}

both_databases!(a_file_can_say_its_country);
