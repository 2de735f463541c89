//! The binary as a user runs it: the README's commands and the acceptance contract,
//! on SQLite and PostgreSQL.

use kartei::http_client::{encode, HttpClient};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

/// Starts the binary. Linux refuses to execute a file another process still holds open
/// for writing (ETXTBSY); right after the build that can happen briefly, so retry that.
fn spawn(command: &mut Command) -> Child {
    for _ in 0..50 {
        match command.spawn() {
            Ok(child) => return child,
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("cannot run kartei: {e}"),
        }
    }
    panic!("kartei stayed busy")
}

fn kartei(database: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = spawn(
        Command::new(env!("CARGO_BIN_EXE_kartei"))
            .arg("--database")
            .arg(database)
            .args(args)
            .env_remove("KARTEI_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    if let Some(text) = stdin {
        // A command that rejects its arguments exits before reading: a closed pipe here
        // is expected, and the exit status below says what happened.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A running `kartei serve`; stopped when dropped.
struct Server {
    child: Child,
    address: String,
    printed: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database: &str, extra: &[&str]) -> Server {
    let mut child = spawn(
        Command::new(env!("CARGO_BIN_EXE_kartei"))
            .args(["--database", database, "serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.split("http://").nth(1) {
            let address = rest.split_whitespace().next().unwrap().to_string();
            return Server {
                child,
                address,
                printed,
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("kartei serve stopped before listening: {printed:?}");
}

async fn contract(database: String) {
    let (ok, out, err) = kartei(
        &database,
        &[
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("ein sicheres Passwort\n"),
    );
    assert!(ok, "{out}{err}");
    let (ok, _, err) = kartei(
        &database,
        &[
            "user",
            "add",
            "zweiter",
            "--role",
            "chef",
            "--password-stdin",
        ],
        Some("ein sicheres Passwort\n"),
    );
    assert!(!ok && err.contains("invalid value 'chef'"), "{err}");
    let (ok, out, _) = kartei(&database, &["token", "create", "admin"], None);
    assert!(ok);
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("kt_"));
    let (ok, _, err) = kartei(&database, &["seed", "--contacts", "40"], None);
    assert!(ok, "{err}");

    let server = serve(&database, &[]);
    let mut http = HttpClient::connect(&server.address).await.unwrap();
    assert_eq!(
        http.request("GET", "/healthz", &[], None)
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        http.request("GET", "/api/v1/contacts", &[], None)
            .await
            .unwrap()
            .status,
        401
    );
    let auth = format!("Bearer {token}");
    let h = [("Authorization", auth.as_str())];
    let body = r#"{"first_name": "Jörg", "last_name": "Müller", "emails": [{"address": "Joerg@Beispiel.de"}], "phones": [{"number": "030 1234567"}]}"#.as_bytes();
    let created = http
        .request("POST", "/api/v1/contacts", &h, Some(body))
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let c = created.json();
    assert_eq!(
        (c["version"].as_i64(), c["phones"][0]["number"].as_str()),
        (Some(1), Some("+49301234567"))
    );
    let found = http
        .request(
            "GET",
            &format!("/api/v1/contacts?q={}&limit=5", encode("0301234567")),
            &h,
            None,
        )
        .await
        .unwrap()
        .json();
    assert_eq!(found["items"][0]["id"], c["id"]);
    let page = http
        .request("GET", "/api/v1/organizations?limit=2", &h, None)
        .await
        .unwrap()
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string());
    let doc = http
        .request("GET", "/api/openapi.json", &[], None)
        .await
        .unwrap()
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    let docs = http.request("GET", "/api/docs", &[], None).await.unwrap();
    assert!(String::from_utf8_lossy(&docs.body).contains("/api/docs/docs.js"));
}

#[tokio::test]
async fn the_contract_holds_on_sqlite() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    contract(url).await;
}

#[tokio::test]
async fn the_contract_holds_on_postgres() {
    let (url, _scratch) = kartei_store::testing::postgres_url().await;
    contract(url).await;
}

#[tokio::test]
async fn a_demo_start_creates_an_admin_once_and_keeps_the_data() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    let first = serve(&url, &["--demo"]);
    let login = first
        .printed
        .iter()
        .find(|l| l.contains("admin /"))
        .expect("admin login printed")
        .clone();
    let password = login.rsplit(' ').next().unwrap().to_string();
    let mut http = HttpClient::connect(&first.address).await.unwrap();
    let body = format!(r#"{{"name": "admin", "password": "{password}"}}"#);
    let session = http
        .request("POST", "/api/v1/session", &[], Some(body.as_bytes()))
        .await
        .unwrap();
    assert_eq!(session.status, 200, "the printed login works");
    drop(first);
    let second = serve(&url, &["--demo"]);
    assert!(
        !second.printed.iter().any(|l| l.contains("admin /")),
        "no second admin: {:?}",
        second.printed
    );
    let (_, out, _) = kartei(&url, &["token", "create", "admin"], None);
    let auth = format!("Bearer {}", out.lines().last().unwrap());
    let mut http = HttpClient::connect(&second.address).await.unwrap();
    let total = http
        .request(
            "GET",
            "/api/v1/contacts?total=true&limit=1",
            &[("Authorization", &auth)],
            None,
        )
        .await
        .unwrap()
        .json();
    assert_eq!(
        total["total"], 2000,
        "the demo data of the first start is still there, and not doubled"
    );
}

#[tokio::test]
async fn seeding_is_deterministic() {
    let (a, _sa) = kartei_store::testing::sqlite_url();
    let (b, _sb) = kartei_store::testing::sqlite_url();
    for db in [&a, &b] {
        let (ok, _, err) = kartei(db, &["seed", "--contacts", "300", "--seed", "42"], None);
        assert!(ok, "{err}");
    }
    let dump = |url: String| async move {
        let store = kartei_store::Store::open(&url, "DE").await.unwrap();
        let req = kartei_store::list::ListRequest {
            filter: None,
            sort: kartei_core::filter::Sort::parse(
                kartei_core::record::Entity::Contact,
                &[],
                "email",
            )
            .unwrap(),
            cursor: None,
            limit: 500,
            with_total: false,
        };
        let page = store
            .list::<kartei_core::contact::ContactData>(&req)
            .await
            .unwrap();
        store.close().await;
        page.items
            .into_iter()
            .map(|r| {
                (
                    r.data.first_name,
                    r.data.last_name,
                    r.data.emails,
                    r.data.phones,
                    r.data.birthday,
                )
            })
            .collect::<Vec<_>>()
    };
    let (x, y) = (dump(a.clone()).await, dump(b.clone()).await);
    assert_eq!(x.len(), 300);
    assert_eq!(x, y);
    assert!(
        x.iter().any(|c| c
            .1
            .as_deref()
            .is_some_and(|n| n.contains(['ä', 'ö', 'ü', 'ß']))),
        "German names with umlauts"
    );
}

#[test]
fn bad_configuration_is_reported_not_ignored() {
    let (ok, _, err) = kartei(
        "/tmp/never-created.db",
        &["--config", "/nonexistent/kartei.toml", "migrate"],
        None,
    );
    assert!(!ok);
    assert!(err.contains("/nonexistent/kartei.toml"), "{err}");
    assert!(!std::path::Path::new("/tmp/never-created.db").exists());

    let config = std::env::temp_dir().join(format!("kartei-review-{}.toml", std::process::id()));
    std::fs::write(&config, "review_days = 400\n").unwrap();
    let (ok, _, err) = kartei(
        "/tmp/never-created.db",
        &["--config", config.to_str().unwrap(), "migrate"],
        None,
    );
    let _ = std::fs::remove_file(&config);
    assert!(!ok);
    assert!(err.contains("review_days must be 0 to 365"), "{err}");
}

async fn exports(database: String) {
    let (ok, _, err) = kartei(
        &database,
        &["seed", "--contacts", "60", "--seed", "5"],
        None,
    );
    assert!(ok, "{err}");
    let (ok, csv, err) = kartei(&database, &["export", "--format", "csv"], None);
    assert!(ok, "{err}");
    assert!(
        csv.starts_with('\u{feff}'),
        "German CSV starts with a BOM for Excel"
    );
    let lines: Vec<&str> = csv
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        lines[0].starts_with("ID;Anrede;Titel;Vorname;Nachname;Firma;"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with(";Newsletter;Interessen;Kunde seit"),
        "custom fields are columns: {}",
        lines[0]
    );
    assert_eq!(lines.len(), 61);
    assert!(err.contains("exported 60 records"));

    // The command line acts as an administrator unless `--as` names a user.
    let ibans = |json: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["bank"]["iban"].as_str().map(str::to_string))
            .collect()
    };
    let (ok, full, err) = kartei(&database, &["export", "--format", "json"], None);
    assert!(ok, "{err}");
    let full = ibans(&full);
    assert!(
        !full.is_empty() && full.iter().all(|i| !i.contains('*')),
        "{full:?}"
    );
    let (ok, _, err) = kartei(
        &database,
        &[
            "user",
            "add",
            "rita",
            "--role",
            "readonly",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(ok, "{err}");
    let (ok, masked, err) = kartei(
        &database,
        &["export", "--format", "json", "--as", "rita"],
        None,
    );
    assert!(ok, "{err}");
    let masked = ibans(&masked);
    assert_eq!(masked.len(), full.len());
    assert!(masked.iter().all(|i| i.contains("****")), "{masked:?}");
    let (ok, _, err) = kartei(&database, &["export", "--as", "nobody"], None);
    assert!(!ok && err.contains("nobody"), "{err}");

    let filter = r#"{"field":"lifecycle_stage","op":"eq","value":"customer"}"#;
    let (ok, json, _) = kartei(
        &database,
        &[
            "export", "--format", "json", "--lang", "en", "--filter", filter,
        ],
        None,
    );
    assert!(ok);
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(!items.is_empty() && items.len() < 60);
    assert!(items.iter().all(|c| c["lifecycle_stage"] == "customer"));

    let (ok, en_csv, _) = kartei(
        &database,
        &[
            "export",
            "--format",
            "csv",
            "--lang",
            "en",
            "--entity",
            "organization",
        ],
        None,
    );
    assert!(ok);
    assert!(
        en_csv.starts_with("ID,Name,Legal form,"),
        "{}",
        &en_csv[..40]
    );

    // Every kind exports through the one exporter; a kind that is none names them.
    let (ok, activities, err) = kartei(
        &database,
        &["export", "--entity", "activity", "--format", "json"],
        None,
    );
    assert!(ok, "{err}");
    assert!(serde_json::from_str::<Vec<serde_json::Value>>(&activities).is_ok());
    let (ok, _, err) = kartei(&database, &["export", "--entity", "customer"], None);
    assert!(
        !ok && err.contains("contact, organization, activity"),
        "{err}"
    );

    let (ok, cards, _) = kartei(
        &database,
        &["export", "--format", "vcard", "--q", "a"],
        None,
    );
    assert!(ok);
    assert!(cards.matches("BEGIN:VCARD\r\nVERSION:4.0\r\n").count() > 0);
    assert_eq!(
        cards.matches("BEGIN:VCARD").count(),
        cards.matches("END:VCARD").count()
    );

    // A bad filter is an error that leaves no half-written file.
    let out_file = std::env::temp_dir().join(format!("kartei-export-{}.csv", uuid::Uuid::now_v7()));
    let (ok, _, err) = kartei(
        &database,
        &[
            "export",
            "--filter",
            r#"{"field":"shoe","op":"eq","value":1}"#,
            "--output",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok && err.contains("filter.field"), "{err}");
    assert!(!out_file.exists(), "no file is left behind");

    // A shared saved view exports with its filter, sort and columns; a private one is
    // its owner's and not found.
    let store = kartei_store::Store::open(&database, "DE").await.unwrap();
    let actor = kartei_store::Actor::system("t");
    let owner = store
        .add_user(&actor, "vera", kartei_core::access::Role::User, "x")
        .await
        .unwrap();
    let query = serde_json::json!({"filter": filter, "sort": "-city", "cols": ["name", "city"]});
    for (name, shared) in [("Kunden nach Ort", true), ("Meine Kunden", false)] {
        store
            .create_saved_view(
                &actor,
                owner.id,
                kartei_core::record::Entity::Contact,
                name,
                shared,
                &kartei_core::segment::Segment::from_stored(&query.to_string()).unwrap(),
            )
            .await
            .unwrap();
    }
    store.close().await;
    let (ok, csv, err) = kartei(
        &database,
        &["export", "--view", "Kunden nach Ort", "--lang", "en"],
        None,
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Name,City");
    assert_eq!(lines.len() - 1, items.len(), "the view's filter: {csv}");
    let cities: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    let mut descending = cities.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(cities, descending, "the view's sort");
    let (ok, _, err) = kartei(&database, &["export", "--view", "Meine Kunden"], None);
    assert!(
        !ok && err.contains("Kunden nach Ort"),
        "a private view is not exported: {err}"
    );

    // A list for a mailing: only contacts with a granted newsletter consent by e-mail
    // and an address; the others are counted by reason. The seed gave consents; one
    // more contact withdraws. What to expect is read contact by contact.
    let store = kartei_store::Store::open(&database, "DE").await.unwrap();
    let page = store
        .list::<kartei_core::contact::ContactData>(&kartei_store::list::ListRequest {
            filter: None,
            sort: kartei_core::filter::Sort::by_name(),
            cursor: None,
            limit: 60,
            with_total: false,
        })
        .await
        .unwrap();
    let mut states = Vec::new();
    for c in &page.items {
        let consents = store.consents(c.id).await.unwrap();
        let status = consents
            .state
            .iter()
            .find(|s| s.channel == "email" && s.purpose == "newsletter")
            .map(|s| s.status.clone());
        states.push((c.id, !c.data.emails.is_empty(), status));
    }
    let granted = states
        .iter()
        .position(|(_, _, s)| s.as_deref() == Some("granted"))
        .expect("the seed grants newsletters");
    store
        .record_consent(
            &actor,
            states[granted].0,
            kartei_core::consent::ConsentInput {
                channel: "email".into(),
                purpose: "newsletter".into(),
                status: "withdrawn".into(),
                basis: "consent".into(),
                source: "paper".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    states[granted].2 = Some("withdrawn".into());
    store.close().await;
    let expected: Vec<String> = states
        .iter()
        .filter(|(_, email, s)| *email && s.as_deref() == Some("granted"))
        .map(|(id, ..)| id.to_string())
        .collect();
    // (has an e-mail address, the newsletter's status) per contact.
    let count = |f: &dyn Fn(bool, Option<&str>) -> bool| {
        states
            .iter()
            .filter(|(_, email, status)| f(*email, status.as_deref()))
            .count()
    };
    let (ok, json, err) = kartei(
        &database,
        &[
            "export",
            "--format",
            "json",
            "--for",
            "email:newsletter",
            "--lang",
            "en",
        ],
        None,
    );
    assert!(ok, "{err}");
    let exported: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let mut ids: Vec<String> = exported
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(ids, expected_sorted, "{err}");
    assert!(
        err.contains(&format!("exported {} records", expected.len())),
        "{err}"
    );
    assert!(
        err.contains(&format!("Left out: {}", 60 - expected.len())),
        "{err}"
    );
    for (n, words) in [
        (count(&|_, s| s.is_none()), "without a recorded consent"),
        (
            count(&|_, s| s == Some("withdrawn")),
            "withdrew their consent",
        ),
        (
            count(&|email, s| !email && s == Some("granted")),
            "without an address for the channel",
        ),
    ] {
        if n > 0 {
            assert!(err.contains(&format!("{n} {words}")), "{n} {words}: {err}");
        }
    }
    // An access export by e-mail address: a ZIP with the data and the report.
    let with_address = page
        .items
        .iter()
        .find(|c| !c.data.emails.is_empty())
        .unwrap();
    let zip_path = std::env::temp_dir().join(format!("kartei-access-{}.zip", uuid::Uuid::now_v7()));
    let (ok, _, err) = kartei(
        &database,
        &[
            "gdpr",
            "export",
            &with_address.data.emails[0].address,
            "--output",
            zip_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{err}");
    let bytes = std::fs::read(&zip_path).unwrap();
    assert!(bytes.starts_with(b"PK"), "a ZIP archive");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("daten.json"), "names its files");
    std::fs::remove_file(&zip_path).unwrap();
    let (ok, _, err) = kartei(
        &database,
        &["gdpr", "export", "nobody@nowhere.example"],
        None,
    );
    assert!(!ok && err.contains("nobody@nowhere.example"), "{err}");
    let (ok, _, err) = kartei(&database, &["export", "--for", "email:lottery"], None);
    assert!(
        !ok && err.contains("newsletter"),
        "names the configured purposes: {err}"
    );
    let (ok, _, err) = kartei(&database, &["export", "--for", "fax"], None);
    assert!(!ok && err.contains("--for"), "{err}");
}

#[tokio::test]
async fn export_on_sqlite() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    exports(url).await;
}

#[tokio::test]
async fn export_on_postgres() {
    let (url, _scratch) = kartei_store::testing::postgres_url().await;
    exports(url).await;
}

#[test]
fn a_duplicate_scan_prints_csv() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    let dir = std::env::temp_dir().join(format!("kartei-dups-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("crm.csv");
    std::fs::write(
        &file,
        "Quell-ID;Vorname;Nachname;E-Mail\n\
         crm-1;Jürgen;Schmidt;js@example.de\n\
         crm-2;Juergen;Schmitt;js@example.de\n\
         crm-3;Zora;Anders;zora@example.de\n",
    )
    .unwrap();
    let mapping = dir.join("mapping.json");
    std::fs::write(&mapping, r#"{"Quell-ID": "external_id"}"#).unwrap();
    let (ok, _, err) = kartei(
        &url,
        &[
            "import",
            file.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--match-by",
            "none",
        ],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = kartei(
        &url,
        &["duplicates", "--format", "csv", "--lang", "en"],
        None,
    );
    assert!(ok, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("cluster,score,id a,external id a,name a,id b,external id b,name b,reasons")
    );
    let pair = lines.next().unwrap_or_default();
    assert!(
        pair.contains(",crm-1,") && pair.contains(",crm-2,"),
        "{out}"
    );
    assert!(pair.contains("same e-mail address"), "{pair}");
    assert_eq!(lines.next(), None, "{out}");
    assert!(err.contains("likely duplicate pairs"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The id an import reports ("Import <id>: …").
fn import_id(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("Import "))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no import id in {out}"))
        .trim_end_matches(':')
        .to_string()
}

/// An Excel export in Windows-1252 with `;`: umlauts survive, a dry run writes nothing,
/// invalid rows are reported by row and column and written to an error file, valid rows
/// are imported, and a second import updates the contact it matches by e-mail.
async fn imports(database: String) {
    let dir = std::env::temp_dir().join(format!("kartei-import-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kunden.csv");
    let text = "Anrede;Vorname;Nachname;Firma;Straße;Hausnr.;PLZ;Ort;E-Mail;Geburtstag;Notiz\r\n\
Herr;Jörg;Müller;Bäckerei Weiß GmbH;Hauptstraße;5;10115;Berlin;joerg@mueller.de;24.12.1980;\"Zeile 1\r\nZeile 2\"\r\n\
Frau;Änne;Groß;;Lindenweg;2;80331;München;aenne@gross;01.01.1990;\r\n\
;;;;;;;;;31.02.1990;\r\n";
    // Windows-1252: every character of this text is in Latin-1.
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    std::fs::write(&file, bytes).unwrap();
    let errors = dir.join("fehler.csv");
    let f = file.to_str().unwrap();

    // By default a row whose only fault is the e-mail address is imported without it.
    let (ok, out, err) = kartei(&database, &["import", f, "--dry-run"], None);
    assert!(ok, "{err}");
    assert!(out.contains("Prüfung: 2 neu, 0 Aktualisierung, 0 übersprungen (Duplikat), 1 ungültig, 1 neue Organisationen"), "{out}");
    assert!(
        out.contains("ohne einen ungültigen Wert übernommen (in den Notizen): 1"),
        "{out}"
    );
    // Strict: every row with an invalid value is refused.
    let (ok, out, err) = kartei(
        &database,
        &[
            "import",
            f,
            "--dry-run",
            "--strict",
            "--errors",
            errors.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("Windows-1252, delimiter ';'"), "{err}");
    assert!(out.contains("Prüfung: 1 neu, 0 Aktualisierung, 0 übersprungen (Duplikat), 2 ungültig, 1 neue Organisationen"), "{out}");
    assert!(
        out.contains("Zeile 3, E-Mail: Keine gültige E-Mail-Adresse"),
        "{out}"
    );
    assert!(out.contains("Zeile 4, Geburtstag:"), "{out}");
    assert!(out.contains("nichts gespeichert"), "{out}");
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).unwrap(),
        serde_json::json!([]),
        "a dry run writes nothing"
    );
    let error_rows = std::fs::read_to_string(&errors).unwrap();
    assert!(
        error_rows.contains("Änne;Groß") && error_rows.contains(";Fehler\r\n"),
        "{error_rows}"
    );

    let (ok, out, err) = kartei(&database, &["import", f, "--strict"], None);
    assert!(ok, "{err}");
    assert!(out.contains(": 1 angelegt, 0 aktualisiert"), "{out}");
    let first_import = import_id(&out);
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    let contacts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(contacts.as_array().unwrap().len(), 1);
    let c = &contacts[0];
    assert_eq!(
        (c["first_name"].as_str(), c["last_name"].as_str()),
        (Some("Jörg"), Some("Müller"))
    );
    assert_eq!(c["addresses"][0]["street"], "Hauptstraße 5");
    assert_eq!(c["birthday"], "1980-12-24");
    assert_eq!(
        c["notes"], "Zeile 1\nZeile 2",
        "line breaks of notes survive"
    );
    assert_eq!(
        c["needs_check"], true,
        "imported contacts are checked like new ones"
    );
    let (_, orgs, _) = kartei(
        &database,
        &["export", "--entity", "organization", "--format", "json"],
        None,
    );
    assert!(orgs.contains("Bäckerei Weiß GmbH"), "{orgs}");

    // Again, with a new job title: the contact is found by e-mail and updated.
    let again = dir.join("nochmal.csv");
    std::fs::write(&again, "E-Mail,Position\njoerg@mueller.de,Inhaber\n").unwrap();
    let (ok, out, err) = kartei(
        &database,
        &["import", again.to_str().unwrap(), "--lang", "en"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Check: 0 new, 1 update"), "{out}");
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    let contacts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(contacts.as_array().unwrap().len(), 1);
    assert_eq!(contacts[0]["job_title"], "Inhaber");
    assert_eq!(
        contacts[0]["last_name"], "Müller",
        "what the row does not say stays"
    );
    let second_import = import_id(&out);

    // Undo: the update is taken back, then the first import's contact goes to the trash.
    let (ok, out, err) = kartei(&database, &["import", "--undo", &second_import], None);
    assert!(
        ok && out.contains("rückgängig gemacht") && out.contains("1 wiederhergestellt"),
        "{out} {err}"
    );
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    let contacts: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        contacts[0]["job_title"],
        serde_json::Value::Null,
        "{contacts}"
    );
    let (ok, _, _) = kartei(&database, &["import", "--undo", &second_import], None);
    assert!(!ok, "an import is undone once");
    let (ok, _, err) = kartei(&database, &["import", "--undo", &first_import], None);
    assert!(ok, "{err}");
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).unwrap(),
        serde_json::json!([])
    );
    let (ok, list, _) = kartei(&database, &["import", "--list"], None);
    assert!(
        ok && list.matches("rückgängig gemacht").count() == 2,
        "{list}"
    );

    // An import that stopped after its first batch (as after kill -9) resumes there.
    let two = dir.join("zwei.csv");
    let text = "Vorname;Nachname\nAnna;Erst\nBert;Zweit\n";
    std::fs::write(&two, text).unwrap();
    {
        let store = kartei_store::Store::open(&database, "DE").await.unwrap();
        let actor = kartei_store::Actor::system("test");
        let job = store
            .start_import(&actor, "zwei.csv", &kartei_server::auth::hash_secret(text))
            .await
            .unwrap();
        let first: kartei_core::contact::ContactData =
            serde_json::from_value(serde_json::json!({"first_name": "Anna", "last_name": "Erst"}))
                .unwrap();
        let first = store.validator().await.unwrap().check(first).unwrap();
        let mut load = store.begin_bulk(1).await.unwrap();
        store
            .import_batch(
                &actor,
                job.id,
                kartei_store::imports::ImportBatch {
                    creates: vec![first],
                    updates: vec![],
                    on_match: kartei_core::import_match::OnMatch::FillIn,
                    create_consents: Vec::new(),
                    update_consents: Vec::new(),
                    next_row: 1,
                },
                &mut load,
            )
            .await
            .unwrap();
        store.close().await;
    }
    let (ok, out, err) = kartei(
        &database,
        &["import", two.to_str().unwrap(), "--match-by", "none"],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("fort ab Zeile 3"), "{err}");
    assert!(
        out.contains(": 2 angelegt"),
        "the job counts both batches: {out}"
    );
    let (_, json, _) = kartei(&database, &["export", "--format", "json"], None);
    let names: Vec<String> = serde_json::from_str::<serde_json::Value>(&json)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Erst", "Zweit"], "each row once");

    // vCards as a phone exports them; the UID becomes the external id for re-imports.
    let cards = dir.join("kontakte.vcf");
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Cäsar;Carla;;;\r\nFN:Carla Cäsar\r\nTEL;TYPE=CELL:0171 1234567\r\nUID:handy-1\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kaputt\r\nEMAIL:kaputt@\r\nEND:VCARD\r\n";
    std::fs::write(&cards, vcf).unwrap();
    let c = cards.to_str().unwrap();
    let (ok, out, err) = kartei(
        &database,
        &["import", c, "--match-by", "external_id", "--strict"],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("2 vCards"), "{err}");
    assert!(
        out.contains("1 neu")
            && out.contains("1 ungültig")
            && out.contains("Zeile 3, emails[0].address"),
        "{out}"
    );
    let (ok, out, err) = kartei(
        &database,
        &[
            "import",
            c,
            "--match-by",
            "external_id",
            "--dry-run",
            "--strict",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("0 neu, 1 Aktualisierung"),
        "found again by its UID: {out}"
    );
    let (_, json, _) = kartei(
        &database,
        &["export", "--format", "json", "--q", "Cäsar"],
        None,
    );
    let carla = &serde_json::from_str::<serde_json::Value>(&json).unwrap()[0];
    assert_eq!(
        (
            carla["external_id"].as_str(),
            carla["phones"][0]["kind"].as_str()
        ),
        (Some("handy-1"), Some("mobile"))
    );

    // A HubSpot export with the built-in preset: the record id becomes the external id,
    // "Company Name" the organisation. The mapping is saved for the next file.
    let hubspot = dir.join("hubspot.csv");
    std::fs::write(
        &hubspot,
        "Record ID,First Name,Last Name,Email,Company Name,Phone Number\n\
         9001,Hanna,Hubert,hanna@hubert.de,Hubert KG,030 1234567\n",
    )
    .unwrap();
    let (ok, _, err) = kartei(
        &database,
        &[
            "import",
            hubspot.to_str().unwrap(),
            "--preset",
            "hubspot",
            "--save-preset",
            "Mein HubSpot",
            "--match-by",
            "external_id",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("Record ID                    → external_id"),
        "{err}"
    );
    let (_, json, _) = kartei(
        &database,
        &["export", "--format", "json", "--q", "Hubert"],
        None,
    );
    let hanna = &serde_json::from_str::<serde_json::Value>(&json).unwrap()[0];
    assert_eq!(hanna["external_id"], "9001");
    assert_eq!(hanna["phones"][0]["number"], "+49301234567");
    // The saved preset finds her again by the id: an update, not a second Hanna.
    std::fs::write(
        &hubspot,
        "Record ID,First Name,Last Name,Email,Company Name,Phone Number\n\
         9001,Hanna,Hubert,hanna@hubert.de,Hubert KG,030 7654321\n",
    )
    .unwrap();
    let (ok, out, err) = kartei(
        &database,
        &[
            "import",
            hubspot.to_str().unwrap(),
            "--preset",
            "Mein HubSpot",
            "--match-by",
            "external_id",
            "--lang",
            "en",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Check: 0 new, 1 update"), "{out}");
    // An Excel export of chosen columns reads back, and imports again (by e-mail: an
    // update, not a second Hanna); a sheet the workbook lacks is named in the error.
    let book = dir.join("kontakte.xlsx");
    let (ok, _, err) = kartei(
        &database,
        &[
            "export",
            "--format",
            "xlsx",
            "--columns",
            "first_name,last_name,email",
            "--q",
            "Hubert",
            "--output",
            book.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{err}");
    let rows = kartei_formats::xlsx::read_sheet(&std::fs::read(&book).unwrap(), None).unwrap();
    assert_eq!(
        rows,
        [
            ["Vorname", "Nachname", "E-Mail"],
            ["Hanna", "Hubert", "hanna@hubert.de"]
        ]
    );
    let (ok, out, err) = kartei(
        &database,
        &[
            "import",
            book.to_str().unwrap(),
            "--sheet",
            "Kontakte",
            "--dry-run",
            "--lang",
            "en",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("XLSX, sheet \"Kontakte\""), "{err}");
    assert!(out.contains("Check: 0 new, 1 update"), "{out}");
    let (ok, _, err) = kartei(
        &database,
        &["import", book.to_str().unwrap(), "--sheet", "Tabelle2"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("no sheet \"Tabelle2\"; the workbook has Kontakte"),
        "{err}"
    );
    let (ok, _, err) = kartei(&database, &["export", "--columns", "email,shoe_size"], None);
    assert!(!ok);
    assert!(err.contains("unknown column \"shoe_size\""), "{err}");
    // An unknown preset is a clear error and writes nothing.
    let (ok, _, err) = kartei(
        &database,
        &["import", hubspot.to_str().unwrap(), "--preset", "Excel 97"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("no preset \"Excel 97\": built in are pipedrive, hubspot"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn import_on_sqlite() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    imports(url).await;
}

#[tokio::test]
async fn import_on_postgres() {
    let (url, _scratch) = kartei_store::testing::postgres_url().await;
    imports(url).await;
}

/// A file longer than one planning chunk (20,000 rows): a row repeating an earlier
/// row's e-mail stays a new contact in the run as in the check (rows meet the contacts
/// that were there before the import), an organisation named in both chunks is created
/// once, and undo removes all of it.
#[tokio::test]
async fn a_long_import_is_planned_in_chunks() {
    let (database, _scratch) = kartei_store::testing::sqlite_url();
    let dir = std::env::temp_dir().join(format!("kartei-chunks-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lang.csv");
    let mut text = String::from("Vorname;Nachname;Firma;E-Mail\n");
    for i in 0..25_000 {
        let firma = if i % 1000 == 0 { "Gemeinsam GmbH" } else { "" };
        let mail = if i == 24_000 { 10 } else { i };
        text.push_str(&format!("Vor{i};Nach{i};{firma};p{mail}@example.de\n"));
    }
    std::fs::write(&file, text).unwrap();
    let (ok, out, err) = kartei(
        &database,
        &["import", file.to_str().unwrap(), "--lang", "en"],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "Check: 25000 new, 0 update, 0 skipped (duplicate), 0 invalid, 1 new organisations"
        ),
        "{out}"
    );
    assert!(out.contains(": 25000 created, 0 updated"), "{out}");
    let count = |entity: &str| {
        let (ok, json, err) = kartei(
            &database,
            &["export", "--entity", entity, "--format", "json"],
            None,
        );
        assert!(ok, "{err}");
        serde_json::from_str::<serde_json::Value>(&json)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count("contact"), 25_000);
    assert_eq!(count("organization"), 1);
    let id = import_id(&out);
    let (ok, _, err) = kartei(&database, &["import", "--undo", &id], None);
    assert!(ok, "{err}");
    assert_eq!(count("contact"), 0);
    assert_eq!(count("organization"), 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// The load benchmark runs its clients against a server of its own and reports every
/// operation; a short run on a small database answers everything.
fn load_benchmark(url: String) {
    let (ok, out, err) = kartei(
        &url,
        &[
            "bench-load",
            "--contacts",
            "300",
            "--clients",
            "8",
            "--seconds",
            "2",
        ],
        None,
    );
    assert!(ok, "{err}");
    for op in [
        "read by id",
        "quick search",
        "filtered list",
        "read + change",
        "create",
    ] {
        assert!(out.contains(op), "{op} missing: {out}");
    }
    assert!(out.contains("errors: 0"), "{out}");
}

#[test]
fn load_benchmark_on_sqlite() {
    let (url, _scratch) = kartei_store::testing::sqlite_url();
    load_benchmark(url);
}

#[tokio::test]
async fn load_benchmark_on_postgres() {
    let (url, _scratch) = kartei_store::testing::postgres_url().await;
    load_benchmark(url);
}
