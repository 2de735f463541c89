//! The authorization and masking walk: every API operation of the OpenAPI document
//! and every web page a signed-in user can reach by following links (lists, fragments,
//! exports in every format) × every role, against records that hold bank details. It
//! fails on an allow the role table does not grant, on a server error, and on a full
//! IBAN reaching a role that may not see bank details — on SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use kartei_core::access::{Permission, Role};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use support::{web_session_as, Api};

const ROLES: [Role; 4] = [Role::Admin, Role::Manager, Role::User, Role::Readonly];

/// The IBANs of the fixture; the second replaces the first, so history holds both.
const IBANS: [&str; 3] = [
    "DE89370400440532013000",
    "DE02120300000000202051",
    "GB82WEST12345698765432",
];

/// The permission an operation needs, written down apart from the handlers; `None`
/// for what every signed-in user may do with their own account.
fn needs(method: &str, path: &str) -> Option<Permission> {
    use Permission as P;
    if ["/api/v1/session", "/api/v1/tokens", "/api/v1/me"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return None;
    }
    if path.starts_with("/api/v1/users") || path.starts_with("/api/v1/audit") {
        return Some(P::ManageUsers);
    }
    // The access export holds bank details.
    if path.ends_with("/access-export") {
        return Some(P::ViewSensitive);
    }
    // Checking a draft for duplicates reads.
    if method == "GET" || path == "/api/v1/contacts/duplicates" {
        return Some(P::ReadRecords);
    }
    Some(if path.starts_with("/api/v1/custom-fields") {
        P::ManageCustomFields
    } else if path.starts_with("/api/v1/consent-purposes") {
        P::ManagePurposes
    } else if path.starts_with("/api/v1/tags") {
        P::ManageTags
    } else if method == "DELETE" && path.starts_with("/api/v1/trash") {
        P::PurgeTrash
    } else {
        P::WriteRecords
    })
}

/// Every spelling of the fixture's IBANs an answer could carry them in (stored and
/// shown in capitals: the walk searches in small letters, so that the search term an
/// answer repeats is not taken for a leak).
fn leaked(body: &str) -> Option<&'static str> {
    IBANS.into_iter().find(|iban| {
        let spaced: String = iban
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        body.contains(iban) || body.contains(&spaced)
    })
}

/// The records the walk reads: a contact and an organisation with bank details (the
/// contact's changed once), linked work, a contact in the trash; their ids by
/// collection.
async fn fixture(api: &Api, admin: &str) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let id = |r: &support::Reply| r.body["id"].as_str().unwrap().to_string();
    let org = api
        .call(
            admin,
            "POST",
            "/api/v1/organizations",
            Some(json!({"name": "Iban GmbH", "bank": {"iban": IBANS[2], "bic": "WESTGB2L"}})),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{:?}", org.body);
    ids.insert("organizations".to_string(), id(&org));
    let contact = api
        .call(
            admin,
            "POST",
            "/api/v1/contacts",
            Some(json!({"first_name": "Erika", "last_name": "Iban", "organization_id": ids["organizations"],
                "emails": [{"address": "erika@iban.example"}], "bank": {"iban": IBANS[0]}})),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED);
    let contact_id = id(&contact);
    let path = format!("/api/v1/contacts/{contact_id}");
    let changed = api
        .call(
            admin,
            "PATCH",
            &path,
            Some(json!({"bank": {"iban": IBANS[1]}})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    ids.insert("contacts".to_string(), contact_id.clone());
    let gone = api
        .call(
            admin,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Iban", "first_name": "Erik", "bank": {"iban": IBANS[0]}})),
        )
        .await;
    let gone_path = format!("/api/v1/contacts/{}", id(&gone));
    let deleted = api.call(admin, "DELETE", &gone_path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let activity = api
        .call(
            admin,
            "POST",
            "/api/v1/activities",
            Some(json!({"kind": "note", "body": "Ruft zurück", "contact_id": contact_id})),
        )
        .await;
    assert_eq!(activity.status, StatusCode::CREATED, "{:?}", activity.body);
    ids.insert("activities".to_string(), id(&activity));
    ids
}

/// The paths and methods of the OpenAPI document, with path parameters filled from
/// the fixture (an unknown id where the fixture has none).
fn operations(doc: &Value, ids: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let none = uuid::Uuid::nil().to_string();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let collection = path.split('/').nth(3).unwrap_or("");
        let filled = path
            .replace("{id}", ids.get(collection).unwrap_or(&none))
            .replace("{tag_id}", &none)
            .replace("{collection}", "contacts")
            .replace("{address}", "iban%40example.org")
            .replace("{number}", "030-1234567")
            .replace("{position}", "0")
            .replace("{key}", "newsletter");
        assert!(
            !filled.contains('{'),
            "{path}: a path parameter the walk does not fill"
        );
        for method in item.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), filled.clone()));
        }
    }
    ops
}

async fn the_api_walk(api: Api) {
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((
            role,
            api.token(&format!("api-{}", role.as_str()), role).await,
        ));
    }
    let ids = fixture(&api, &tokens[0].1).await;
    let doc = api.send("GET", "/api/openapi.json", &[], None).await.body;
    let ops = operations(&doc, &ids);
    assert!(
        ops.len() > 60,
        "the document lists {} operations",
        ops.len()
    );
    let mut requests = 0;
    let mut seen_in_full = 0;
    for (role, token) in &tokens {
        for (method, path) in &ops {
            let needed = needs(method, path);
            let allowed = needed.is_none_or(|p| role.allows(p));
            // Writes a role may make would change the fixture; other stories cover them.
            if method != "GET" && allowed {
                continue;
            }
            let mut paths = vec![path.clone()];
            // A list: also as a search by the IBAN and by the name.
            if method == "GET" && path.matches('/').count() == 3 {
                paths.push(format!("{path}?q={}", IBANS[0].to_lowercase()));
                paths.push(format!("{path}?q=Iban"));
            }
            for p in paths {
                let body = (method != "GET").then(|| json!({}));
                let reply = api.call(token, method, &p, body).await;
                requests += 1;
                let status = reply.status;
                assert!(
                    !status.is_server_error(),
                    "{} {method} {p}: {status} {:?}",
                    role.as_str(),
                    reply.body
                );
                if !allowed {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{} {method} {p} is not granted by the role table but answered {status}",
                        role.as_str()
                    );
                    continue;
                }
                let text = reply.body.to_string();
                if role.allows(Permission::ViewSensitive) {
                    seen_in_full += usize::from(leaked(&text).is_some());
                } else if let Some(iban) = leaked(&text) {
                    panic!("{} GET {p} shows the IBAN {iban}: {text}", role.as_str());
                }
            }
        }
    }
    assert!(
        seen_in_full >= 4,
        "roles that may see bank details should see them ({seen_in_full} answers did)"
    );
    println!("API walk: {requests} requests");

    // A role that cannot see bank details cannot write them either; what it was shown
    // it may send back unchanged.
    let (_, user) = &tokens[2];
    let contact = format!("/api/v1/contacts/{}", ids["contacts"]);
    let shown = api.call(user, "GET", &contact, None).await.body;
    for (method, path, body) in [
        (
            "PATCH",
            contact.clone(),
            json!({"bank": {"iban": IBANS[2]}}),
        ),
        ("PATCH", contact.clone(), json!({"bank": null})),
        (
            "POST",
            "/api/v1/contacts".to_string(),
            json!({"last_name": "Neu", "bank": {"iban": IBANS[2]}}),
        ),
        (
            "POST",
            format!("{contact}/merge"),
            json!({"other": ids["contacts"], "take_other": ["bank"]}),
        ),
    ] {
        let reply = api.call(user, method, &path, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path} {body}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["type"], "urn:kartei:problem:hidden-field");
    }
    let mut round_trip = shown.clone();
    round_trip["job_title"] = json!("Einkauf");
    for k in ["id", "version", "created_at", "updated_at", "tags"] {
        round_trip.as_object_mut().unwrap().remove(k);
    }
    let saved = api.call(user, "PATCH", &contact, Some(round_trip)).await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let admin_view = api.call(&tokens[0].1, "GET", &contact, None).await.body;
    assert_eq!(
        admin_view["bank"]["iban"], IBANS[1],
        "the IBAN is untouched"
    );
    assert_eq!(admin_view["job_title"], "Einkauf");
}
api_story!(the_api_walk);

/// The same-origin links of a page, `&amp;` decoded.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//") && !h.starts_with("/assets/"))
        .collect()
}

/// A page's place in the walk: its path and the names of its query parameters (the
/// export format by value), so that every sort order of a list counts once.
fn shape(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let path = path.split('#').next().unwrap_or(path);
    let keys: BTreeSet<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            if k == "format" {
                format!("{k}={v}")
            } else {
                k.to_string()
            }
        })
        .collect();
    format!("{path}?{}", keys.into_iter().collect::<Vec<_>>().join("&"))
}

async fn the_web_walk(api: Api) {
    let admin = api.token("web-owner", Role::Admin).await;
    let ids = fixture(&api, &admin).await;
    let mut pages_read = 0;
    for role in ROLES {
        let (cookie, csrf) = web_session_as(&api, &format!("web-{}", role.as_str()), role).await;
        let headers = [("cookie", cookie.as_str())];
        let contact = format!("/contacts/{}", ids["contacts"]);
        let mut queue: VecDeque<String> = [
            "/contacts".to_string(),
            contact.clone(),
            format!("{contact}/edit"),
            format!("/contacts/rows?q={}", IBANS[0].to_lowercase()),
            "/contacts/rows?q=Iban".to_string(),
            format!("/organizations/{}", ids["organizations"]),
            "/organizations/rows?q=Iban".to_string(),
            "/contacts/export?format=xlsx".to_string(),
            "/organizations/export?format=xlsx".to_string(),
            "/my-day".to_string(),
            "/trash".to_string(),
            "/duplicates".to_string(),
        ]
        .into();
        let mut seen = BTreeSet::new();
        let mut full = 0;
        while let Some(href) = queue.pop_front() {
            if !seen.insert(shape(&href)) || seen.len() > 400 {
                continue;
            }
            let (status, head, bytes) = api.get_bytes(&href, &headers).await;
            pages_read += 1;
            assert!(
                !status.is_server_error(),
                "{} GET {href}: {status}",
                role.as_str()
            );
            let xlsx = head
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.contains("spreadsheetml"));
            let text = if xlsx {
                kartei_formats::xlsx::read_sheet(&bytes, None)
                    .unwrap()
                    .concat()
                    .join("\n")
            } else {
                String::from_utf8_lossy(&bytes).to_string()
            };
            if role.allows(Permission::ViewSensitive) {
                full += usize::from(leaked(&text).is_some());
            } else if let Some(iban) = leaked(&text) {
                panic!("{} GET {href} shows the IBAN {iban}", role.as_str());
            }
            if !xlsx {
                queue.extend(links(&text));
            }
        }
        assert!(
            seen.len() > 40,
            "{} reached only {} pages: {seen:?}",
            role.as_str(),
            seen.len()
        );
        for needed in [
            "/export?",
            "format=xlsx",
            "format=vcard",
            "format=json",
            "/rows?",
        ] {
            assert!(
                seen.iter().any(|s| s.contains(needed)),
                "{}: the walk never reached {needed}",
                role.as_str()
            );
        }
        if role.allows(Permission::ViewSensitive) {
            assert!(
                full >= 3,
                "{} should see bank details ({full} pages did)",
                role.as_str()
            );
        }
        // A form posted with bank details by a role that may not see them saves
        // without them.
        if role.allows(Permission::WriteRecords) {
            let (status, head, _) = api
                .send_form(
                    "POST",
                    "/contacts",
                    &headers,
                    Some(&format!(
                        "_csrf={csrf}&last_name=Formular&bank.iban={}",
                        IBANS[2]
                    )),
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{}", role.as_str());
            let id = head["location"].to_str().unwrap()[10..46].to_string();
            let saved = api
                .call(&admin, "GET", &format!("/api/v1/contacts/{id}"), None)
                .await;
            assert_eq!(
                saved.body["bank"]["iban"].as_str() == Some(IBANS[2]),
                role.allows(Permission::ViewSensitive),
                "{}: {:?}",
                role.as_str(),
                saved.body
            );
        }
    }
    println!("web walk: {pages_read} pages");
}
api_story!(the_web_walk);
