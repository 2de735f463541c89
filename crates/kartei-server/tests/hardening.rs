//! What an outside test broke, kept fixed: each story replays the request that showed
//! the hole, on SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use kartei_core::access::Role;
use serde_json::json;
use support::{web_session, Api};

/// Sign-in and the language switch send the browser only to paths on this server.
async fn redirects_stay_on_this_server(api: Api) {
    let (cookie, csrf) = web_session(&api, "rita").await;
    for next in [
        "%2F%09%2Fevil.example%2F",
        "%2F%0D%0A%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example%2F",
    ] {
        let (status, headers, _) = api
            .send_form(
                "POST",
                "/login",
                &[],
                Some(&format!(
                    "name=rita&password=correct+horse+battery&next={next}"
                )),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(headers["location"], "/", "{next}");
    }
    let (status, headers, _) = api
        .send_form(
            "POST",
            "/login",
            &[],
            Some("name=rita&password=correct+horse+battery&next=%2Fcontacts%3Fq%3DM%25C3%25BCller"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/contacts?q=M%C3%BCller");

    for back in ["%2F%09%2Fevil.example%2F", "%2F%0D%0A%2Fevil.example"] {
        let (status, headers, _) = api
            .send_form(
                "POST",
                "/language",
                &[("cookie", &cookie)],
                Some(&format!("_csrf={csrf}&lang=en&_back={back}")),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(headers["location"], "/", "{back}");
    }
}
api_story!(redirects_stay_on_this_server);

/// The last administrator cannot be demoted or removed, by themselves or anyone.
async fn there_is_always_an_administrator(api: Api) {
    let ada = api.token("ada", Role::Admin).await;
    let me = api.call(&ada, "GET", "/api/v1/me", None).await;
    let ada_id = me.body["id"].as_str().unwrap().to_string();
    let demote = api
        .call(
            &ada,
            "PATCH",
            &format!("/api/v1/users/{ada_id}"),
            Some(json!({"role": "readonly"})),
        )
        .await;
    assert_eq!(
        demote.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        demote.body
    );
    assert_eq!(
        api.call(&ada, "GET", "/api/v1/me", None).await.body["role"],
        "admin"
    );
    // With a second administrator, either may step down.
    let bob = api.token("bob", Role::Admin).await;
    let demote = api
        .call(
            &bob,
            "PATCH",
            &format!("/api/v1/users/{ada_id}"),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(demote.status, StatusCode::OK, "{:?}", demote.body);
    // Bob is the last one now: nobody can demote him, and a user cannot be made to.
    let bob_id = api.call(&bob, "GET", "/api/v1/me", None).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let demote = api
        .call(
            &bob,
            "PATCH",
            &format!("/api/v1/users/{bob_id}"),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(demote.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ordinary = api
        .call(
            &bob,
            "PATCH",
            &format!("/api/v1/users/{ada_id}"),
            Some(json!({"role": "readonly"})),
        )
        .await;
    assert_eq!(
        ordinary.status,
        StatusCode::OK,
        "demoting a non-admin stays possible"
    );
}
api_story!(there_is_always_an_administrator);

/// A tag name with HTML in it cannot break the list pages' embedded JSON.
async fn a_tag_name_cannot_break_a_page(api: Api) {
    let (cookie, _) = web_session(&api, "tina").await;
    let t = api.token("tom", Role::User).await;
    let made = api
        .call(
            &t,
            "POST",
            "/api/v1/tags",
            Some(json!({"name": "<!--<script>"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    for page in ["/contacts", "/organizations"] {
        let (status, _, html) = api
            .send_form("GET", page, &[("cookie", &cookie)], None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let spec = html
            .split("id=\"filter-spec\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap();
        assert!(!spec.contains('<'), "{page}: {spec}");
        let parsed: serde_json::Value = serde_json::from_str(spec).unwrap();
        assert!(
            parsed.to_string().contains("<!--<script>"),
            "{page}: the tag is still offered"
        );
        assert!(html.contains("id=\"table-area\""), "{page}");
    }
}
api_story!(a_tag_name_cannot_break_a_page);

/// A name that is a spreadsheet formula is exported as text.
async fn formulas_are_exported_as_text(api: Api) {
    let (cookie, _) = web_session(&api, "fritz").await;
    let t = api.token("frida", Role::User).await;
    let made = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({
            "first_name": "+SUM(1+1)*cmd|' /C calc'!A0",
            "last_name": "=HYPERLINK(\"http://evil.example\",\"klick\")"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let (status, _, csv) = api
        .send_form("GET", "/contacts/export", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = csv.lines().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(
        row.contains("\"'=HYPERLINK(") && row.contains("'+SUM(1+1)"),
        "{row}"
    );
    assert!(
        !row.contains(";=HYPERLINK") && !row.contains(";\"=HYPERLINK"),
        "{row}"
    );
}
api_story!(formulas_are_exported_as_text);

/// Numbers out of range get a 422 that names the parameter, never a dropped
/// connection or a silent clamp.
async fn huge_numbers_get_an_answer(api: Api) {
    let t = api.token("nora", Role::Readonly).await;
    for (path, field) in [
        ("/api/v1/duplicates?offset=9223372036854775808", "offset"),
        ("/api/v1/duplicates?offset=100001", "offset"),
        ("/api/v1/duplicates?limit=0", "limit"),
        ("/api/v1/contacts?limit=18446744073709551615", "limit"),
        ("/api/v1/trash?entity=contact&limit=501", "limit"),
    ] {
        let reply = api.call(&t, "GET", path, None).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(reply.body["errors"][0]["field"], field, "{path}");
    }
    let fine = api
        .call(
            &t,
            "GET",
            "/api/v1/duplicates?offset=100000&limit=200",
            None,
        )
        .await;
    assert_eq!(fine.status, StatusCode::OK);
    // A number too large for its type is malformed rather than out of range.
    let malformed = api
        .call(
            &t,
            "GET",
            "/api/v1/duplicates?limit=18446744073709551616",
            None,
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}
api_story!(huge_numbers_get_an_answer);

/// Guessing from one address locks that address, never the name for everyone.
async fn guessing_cannot_lock_out_the_admin(api: Api) {
    api.token("admin", Role::Admin).await;
    let attempt = |address: &'static str, name: String, password: &'static str| {
        let api = &api;
        async move {
            api.send_from(
                Some(address),
                "POST",
                "/api/v1/session",
                &[],
                Some(json!({"name": name, "password": password})),
            )
            .await
            .status
        }
    };
    for _ in 0..6 {
        attempt("203.0.113.7", "admin".into(), "wrong-wrong-wrong").await;
    }
    assert_eq!(
        attempt("203.0.113.7", "admin".into(), "correct horse battery").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address waits"
    );
    assert_eq!(
        attempt("198.51.100.20", "admin".into(), "correct horse battery").await,
        StatusCode::OK,
        "the admin elsewhere signs in"
    );
    // Spraying many names from one address is throttled as well.
    let mut statuses = Vec::new();
    for i in 0..25 {
        statuses.push(attempt("203.0.113.99", format!("name{i}"), "guess-guess-guess").await);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[24], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}
api_story!(guessing_cannot_lock_out_the_admin);

/// A body over the limit gets 413 problem+json that names the limit, not a cut-off.
async fn a_large_body_is_refused_with_413(api: Api) {
    let t = api.token("lena", Role::User).await;
    let big = "x".repeat(10 << 20);
    let reply = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Groß", "notes": big})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("2 MiB"),
        "{:?}",
        reply.body
    );
    let none = api.call(&t, "GET", "/api/v1/contacts", None).await;
    assert_eq!(
        none.body["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was written"
    );
}
api_story!(a_large_body_is_refused_with_413);

/// A request whose queries run past the deadline gets 503 problem+json saying why,
/// with Retry-After, in the reader's language; a page gets a page.
async fn a_query_past_the_deadline_gets_503(api: Api) {
    let t = api.token("timo", Role::User).await;
    let (cookie, _) = web_session(&api, "tara").await;
    let mut state = kartei_server::AppState::new(api.store.clone(), false);
    state.request_deadline = std::time::Duration::ZERO;
    let late = Api {
        app: kartei_server::router(state),
        store: api.store.clone(),
    };
    let auth = format!("Bearer {t}");
    let reply = late
        .send(
            "GET",
            "/api/v1/contacts?q=Meier",
            &[("authorization", &auth), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(reply.header("retry-after"), "10");
    assert_eq!(reply.body["type"], "urn:kartei:problem:timeout");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("30 seconds"),
        "{:?}",
        reply.body
    );
    let (status, _, page) = late
        .send_form("GET", "/contacts?q=Meier", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("30 Sekunden"), "{page}");
    // The same requests within the deadline answer.
    let fine = api.call(&t, "GET", "/api/v1/contacts?q=Meier", None).await;
    assert_eq!(fine.status, StatusCode::OK);
}
api_story!(a_query_past_the_deadline_gets_503);

/// An address over the limit gets 414 with a problem document (API) or a page (web)
/// that names the limit, in the reader's language; one at the limit is answered.
async fn an_overlong_address_gets_414_that_names_the_limit(api: Api) {
    let t = api.token("uwe", Role::User).await;
    let (cookie, _) = web_session(&api, "ulla").await;
    let auth = format!("Bearer {t}");
    let filter = format!("last_name = \"{}\"", "x".repeat(9000));
    let query = serde_urlencoded::to_string([("filter", &filter)]).unwrap();
    let reply = api
        .send(
            "GET",
            &format!("/api/v1/contacts?{query}"),
            &[("authorization", &auth), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::URI_TOO_LONG);
    assert_eq!(reply.header("content-type"), "application/problem+json");
    assert_eq!(reply.body["type"], "urn:kartei:problem:uri-too-long");
    assert!(
        reply.body["detail"].as_str().unwrap().contains("8,192"),
        "{:?}",
        reply.body
    );
    let (status, _, page) = api
        .send_form(
            "GET",
            &format!("/contacts?{query}"),
            &[("cookie", &cookie), ("accept", "text/html")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert!(page.contains("8.192 Zeichen"), "{page}");
    // Just under the limit the address reaches the list, which judges the filter.
    let short = format!(
        "/api/v1/contacts?limit=1&sort={}",
        "y".repeat(kartei_server::MAX_URI - 40)
    );
    let judged = api.call(&t, "GET", &short, None).await;
    assert_eq!(
        judged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        judged.body
    );
    assert_eq!(judged.body["errors"][0]["field"], "sort");
}
api_story!(an_overlong_address_gets_414_that_names_the_limit);

/// Twenty clients adding an e-mail each at once, none with If-Match, keep all twenty:
/// the add works on what the record holds at that moment. Adding one it has changes
/// nothing; removing takes any notation; an address goes by position and If-Match.
async fn single_entries_are_added_and_removed_without_lost_updates(api: Api) {
    let t = api.token("eva", Role::User).await;
    let made = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Viele"})),
        )
        .await;
    let id = made.body["id"].as_str().unwrap().to_string();
    let emails = format!("/api/v1/contacts/{id}/emails");
    let adds = (0..20).map(|i| {
        let body = json!({"address": format!("Nr{i}@Example.org"), "kind": "work"});
        api.call(&t, "POST", &emails, Some(body))
    });
    for reply in futures_util::future::join_all(adds).await {
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    let now = api
        .call(&t, "GET", &format!("/api/v1/contacts/{id}"), None)
        .await;
    let mut held: Vec<&str> = now.body["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["address"].as_str().unwrap())
        .collect();
    held.sort_unstable();
    let mut wanted: Vec<String> = (0..20).map(|i| format!("nr{i}@example.org")).collect();
    wanted.sort_unstable();
    assert_eq!(held, wanted);
    assert_eq!(now.body["version"], 21);

    // Again, in other case: nothing changes, not even the version.
    let again = api
        .call(
            &t,
            "POST",
            &emails,
            Some(json!({"address": "NR3@example.ORG"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["version"], 21);
    // The list is full at 20 (a 21st is an input error, not data).
    let full = api
        .call(
            &t,
            "POST",
            &emails,
            Some(json!({"address": "eins.zu.viel@example.org"})),
        )
        .await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(full.body["errors"][0]["field"], "emails");
    let gone = api
        .call(&t, "DELETE", &format!("{emails}/NR7@EXAMPLE.org"), None)
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert_eq!(gone.body["emails"].as_array().unwrap().len(), 19);
    let twice = api
        .call(&t, "DELETE", &format!("{emails}/nr7@example.org"), None)
        .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    let bad = api
        .call(&t, "POST", &emails, Some(json!({"address": "kein-at"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "address", "{:?}", bad.body);

    // Phones in any notation, on an organisation.
    let org = api
        .call(
            &t,
            "POST",
            "/api/v1/organizations",
            Some(json!({"name": "Telefon AG"})),
        )
        .await;
    let org_id = org.body["id"].as_str().unwrap().to_string();
    let phones = format!("/api/v1/organizations/{org_id}/phones");
    let one = api
        .call(&t, "POST", &phones, Some(json!({"number": "030 1234567"})))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body["phones"][0]["number"], "+49301234567");
    let same = api
        .call(
            &t,
            "POST",
            &phones,
            Some(json!({"number": "+49 30 1234567"})),
        )
        .await;
    assert_eq!(same.body["phones"].as_array().unwrap().len(), 1);
    let off = api
        .call(&t, "DELETE", &format!("{phones}/030-1234567"), None)
        .await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(off.body["phones"], json!([]));

    // Addresses: added unless covered; removed by position only with If-Match.
    let addresses = format!("/api/v1/contacts/{id}/addresses");
    let home = json!({"street": "Hauptstraße 1", "postcode": "10115", "city": "Berlin"});
    let added = api.call(&t, "POST", &addresses, Some(home)).await;
    assert_eq!(added.status, StatusCode::OK, "{:?}", added.body);
    let covered = api
        .call(
            &t,
            "POST",
            &addresses,
            Some(json!({"street": "Hauptstr. 1", "city": "berlin"})),
        )
        .await;
    assert_eq!(covered.body["addresses"].as_array().unwrap().len(), 1);
    let unsafe_remove = api
        .call(&t, "DELETE", &format!("{addresses}/0"), None)
        .await;
    assert_eq!(unsafe_remove.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        unsafe_remove.header("content-type"),
        "application/problem+json"
    );
    let version = covered.body["version"].as_i64().unwrap();
    let auth = format!("Bearer {t}");
    let stale = api
        .send(
            "DELETE",
            &format!("{addresses}/0"),
            &[
                ("authorization", &auth),
                ("if-match", &format!("\"{}\"", version - 1)),
            ],
            None,
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    // Only a version as the ETag was sent names one; the document says so.
    for unlike in ["3", "\"3", "W/3", "\"-1\"", "\"1234567890123456789\""] {
        let refused = api
            .send(
                "DELETE",
                &format!("{addresses}/0"),
                &[("authorization", &auth), ("if-match", unlike)],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{unlike}");
    }
    let removed = api
        .send(
            "DELETE",
            &format!("{addresses}/0"),
            &[
                ("authorization", &auth),
                ("if-match", &format!("\"{version}\"")),
            ],
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["addresses"], json!([]));

    // A reader may not add.
    let reader = api.token("rolf", Role::Readonly).await;
    let refused = api
        .call(
            &reader,
            "POST",
            &emails,
            Some(json!({"address": "x@example.org"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
api_story!(single_entries_are_added_and_removed_without_lost_updates);
