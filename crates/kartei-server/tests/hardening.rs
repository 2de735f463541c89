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

/// Numbers out of range get an answer, never a dropped connection.
async fn huge_numbers_get_an_answer(api: Api) {
    let t = api.token("nora", Role::Readonly).await;
    for path in [
        "/api/v1/duplicates?offset=9223372036854775808",
        "/api/v1/duplicates?offset=18446744073709551615&limit=18446744073709551615",
        "/api/v1/contacts?limit=18446744073709551615",
    ] {
        let reply = api.call(&t, "GET", path, None).await;
        assert!(
            reply.status.is_success() || reply.status.is_client_error(),
            "{path}: {}",
            reply.status
        );
    }
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
