//! The REST API, end to end through the router, on SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use kartei_core::access::Role;
use serde_json::{json, Value};
use support::{web_session, Api};

async fn contacts_round_trip_with_versions(api: Api) {
    let t = api.token("anna", Role::User).await;
    assert_eq!(
        api.send("GET", "/api/v1/contacts", &[], None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.send(
            "GET",
            "/api/v1/contacts",
            &[("authorization", "Bearer kt_wrong")],
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    let created = api
        .call(&t, "POST", "/api/v1/contacts", Some(json!({
            "first_name": "Jürgen", "last_name": "Schmidt",
            "emails": [{"address": "J.Schmidt@Beispiel.DE"}], "phones": [{"number": "030 1234567"}]
        })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(
        created.body["emails"][0]["address"],
        "j.schmidt@beispiel.de"
    );
    assert_eq!(created.body["phones"][0]["number"], "+49301234567");
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/contacts/{id}");

    let read = api.call(&t, "GET", &path, None).await;
    assert_eq!(
        (read.status, read.header("etag")),
        (StatusCode::OK, "\"1\"")
    );

    let found = api
        .call(&t, "GET", "/api/v1/contacts?q=Schmitd&limit=10", None)
        .await;
    assert_eq!(found.body["items"][0]["id"], id.as_str());
    assert!(found.body.get("next_cursor").is_some());

    let auth = format!("Bearer {t}");
    let ok = api
        .send(
            "PATCH",
            &path,
            &[("authorization", &auth), ("if-match", "\"1\"")],
            Some(json!({"job_title": "Einkauf"})),
        )
        .await;
    assert_eq!((ok.status, ok.header("etag")), (StatusCode::OK, "\"2\""));
    let stale = api
        .send(
            "PATCH",
            &path,
            &[("authorization", &auth), ("if-match", "\"1\"")],
            Some(json!({"job_title": "Vertrieb"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(stale.header("content-type"), "application/problem+json");
    assert_eq!(
        api.call(&t, "GET", &path, None).await.body["job_title"],
        "Einkauf"
    );
    let stale_delete = api
        .send(
            "DELETE",
            &path,
            &[("authorization", &auth), ("if-match", "\"1\"")],
            None,
        )
        .await;
    assert_eq!(stale_delete.status, StatusCode::PRECONDITION_FAILED);

    let history = api.call(&t, "GET", &format!("{path}/history"), None).await;
    let actions: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["update", "create"]);
    assert_eq!(history.body["items"][0]["actor_name"], "anna");

    assert_eq!(
        api.call(&t, "DELETE", &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(&t, "GET", &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    let trash = api
        .call(&t, "GET", "/api/v1/trash?entity=contact", None)
        .await;
    assert_eq!(trash.body["items"][0]["name"], "Jürgen Schmidt");
    let restored = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/trash/contacts/{id}/restore"),
            None,
        )
        .await;
    assert_eq!(restored.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.call(&t, "GET", &path, None).await.header("etag"),
        "\"4\""
    );
    // Only admins purge.
    api.call(&t, "DELETE", &path, None).await;
    assert_eq!(
        api.call(&t, "DELETE", &format!("/api/v1/trash/contacts/{id}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
api_story!(contacts_round_trip_with_versions);

async fn invalid_input_gets_every_field_in_the_users_language(api: Api) {
    let t = api.token("ben", Role::Manager).await;
    let auth = format!("Bearer {t}");
    let body = json!({"emails": [{"address": "Anna <anna@x.de>"}], "phones": [{"number": "12"}], "bank": {"iban": "DE00 1234"}});
    let de = api
        .send(
            "POST",
            "/api/v1/contacts",
            &[("authorization", &auth)],
            Some(body.clone()),
        )
        .await;
    assert_eq!(de.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(de.header("content-language"), "de");
    let fields: Vec<&str> = de.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "last_name",
            "emails[0].address",
            "phones[0].number",
            "bank.iban"
        ]
    );
    assert!(de.body["errors"][1]["message"]
        .as_str()
        .unwrap()
        .contains("E-Mail-Adresse"));
    let en = api
        .send(
            "POST",
            "/api/v1/contacts",
            &[
                ("authorization", &auth),
                ("accept-language", "en-GB,en;q=0.9"),
            ],
            Some(body),
        )
        .await;
    assert_eq!(en.header("content-language"), "en");
    assert!(en.body["errors"][1]["message"]
        .as_str()
        .unwrap()
        .contains("e-mail address"));
    assert_eq!(en.body["errors"][1]["code"], "invalid_email");

    let unknown = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "X", "shoe_size": 44})),
        )
        .await;
    assert_eq!(unknown.body["errors"][0]["field"], "shoe_size");
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_field");
    let malformed = api
        .send(
            "POST",
            "/api/v1/contacts",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            None,
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let bad_filter = api.call(&t, "GET", "/api/v1/contacts?filter=%7B%22field%22%3A%22nope%22%2C%22op%22%3A%22eq%22%2C%22value%22%3A1%7D", None).await;
    assert_eq!(bad_filter.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_filter.body["errors"][0]["field"], "filter.field");
    let bad_cursor = api
        .call(&t, "GET", "/api/v1/contacts?cursor=xyz", None)
        .await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
    let bad_limit = api
        .call(&t, "GET", "/api/v1/contacts?limit=100000", None)
        .await;
    assert_eq!(bad_limit.body["errors"][0]["field"], "limit");
    let list = api
        .call(&t, "GET", "/api/v1/contacts?total=true", None)
        .await;
    assert_eq!(list.body["total"], 0, "nothing was written");
}
api_story!(invalid_input_gets_every_field_in_the_users_language);

async fn roles_are_enforced(api: Api) {
    let admin = api.token("root", Role::Admin).await;
    let manager = api.token("mia", Role::Manager).await;
    let user = api.token("udo", Role::User).await;
    let reader = api.token("rita", Role::Readonly).await;
    let body = json!({"last_name": "Iban", "bank": {"iban": "DE89370400440532013000"}});
    assert_eq!(
        api.call(&reader, "POST", "/api/v1/contacts", Some(body.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = api
        .call(&user, "POST", "/api/v1/contacts", Some(body.clone()))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "users may not write bank details"
    );
    let c = api
        .call(&manager, "POST", "/api/v1/contacts", Some(body))
        .await;
    assert_eq!(c.status, StatusCode::CREATED);
    let path = format!("/api/v1/contacts/{}", c.body["id"].as_str().unwrap());
    assert_eq!(
        api.call(&user, "GET", &path, None).await.body["bank"]["iban"],
        "DE******************00",
        "users see bank details masked"
    );
    assert_eq!(
        api.call(&manager, "GET", &path, None).await.body["bank"]["iban"],
        "DE89370400440532013000"
    );
    assert_eq!(
        api.call(&reader, "GET", &path, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.call(&reader, "PATCH", &path, Some(json!({"last_name": "X"})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.call(&manager, "GET", "/api/v1/users", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let new_user = json!({"name": "neu", "role": "user", "password": "lang genug 123"});
    assert_eq!(
        api.call(&user, "POST", "/api/v1/users", Some(new_user.clone()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let created = api
        .call(&admin, "POST", "/api/v1/users", Some(new_user.clone()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(
        api.call(&admin, "POST", "/api/v1/users", Some(new_user))
            .await
            .body["errors"][0]["code"],
        "already_exists"
    );
    let short = api
        .call(
            &admin,
            "POST",
            "/api/v1/users",
            Some(json!({"name": "kurz", "role": "user", "password": "kurz"})),
        )
        .await;
    assert_eq!(short.body["errors"][0]["code"], "too_short");
    let users = api.call(&admin, "GET", "/api/v1/users", None).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 5);
    assert!(
        users.body.to_string().find("argon2").is_none(),
        "hashes never leave the server"
    );
    assert_eq!(
        api.call(&reader, "POST", "/api/v1/custom-fields", Some(json!({})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
api_story!(roles_are_enforced);

async fn browser_sessions_need_the_csrf_token(api: Api) {
    api.token("clara", Role::User).await;
    let wrong = api
        .send(
            "POST",
            "/api/v1/session",
            &[],
            Some(json!({"name": "clara", "password": "falsch falsch"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let nobody = api
        .send(
            "POST",
            "/api/v1/session",
            &[],
            Some(json!({"name": "niemand", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    let login = api
        .send(
            "POST",
            "/api/v1/session",
            &[],
            Some(json!({"name": "clara", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let set_cookie = login.header("set-cookie").to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(
        api.send("GET", "/api/v1/me", &[("cookie", &cookie)], None)
            .await
            .body["name"],
        "clara"
    );
    let body = json!({"last_name": "Cookie"});
    let forged = api
        .send(
            "POST",
            "/api/v1/contacts",
            &[("cookie", &cookie)],
            Some(body.clone()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let fine = api
        .send(
            "POST",
            "/api/v1/contacts",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Some(body),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED);
    assert_eq!(
        api.send(
            "DELETE",
            "/api/v1/session",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.send("GET", "/api/v1/me", &[("cookie", &cookie)], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
api_story!(browser_sessions_need_the_csrf_token);

async fn api_tokens_are_shown_once_and_revocable(api: Api) {
    let t = api.token("dora", Role::User).await;
    let created = api
        .call(
            &t,
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": "Skript"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.call(&secret, "GET", "/api/v1/me", None).await.body["name"],
        "dora"
    );
    let list = api.call(&t, "GET", "/api/v1/tokens", None).await;
    assert!(!list.body.to_string().contains(&secret));
    assert_eq!(
        api.call(&t, "DELETE", &format!("/api/v1/tokens/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(&secret, "GET", "/api/v1/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
api_story!(api_tokens_are_shown_once_and_revocable);

async fn tags_custom_fields_and_organisations(api: Api) {
    let t = api.token("eva", Role::Manager).await;
    let org = api.call(&t, "POST", "/api/v1/organizations", Some(json!({"name": "Müller & Söhne GmbH", "team_size": 12, "website": "mueller-soehne.de"}))).await;
    assert_eq!(org.status, StatusCode::CREATED, "{:?}", org.body);
    assert_eq!(org.body["website"], "https://mueller-soehne.de");
    let org_id = org.body["id"].as_str().unwrap();
    let field = api
        .call(&t, "POST", "/api/v1/custom-fields", Some(json!({"entity": "contact", "key": "branche", "label_de": "Branche", "label_en": "Industry",
            "kind": "single_choice", "options": [{"key": "bau", "label_de": "Bau", "label_en": "Construction"}, {"key": "it", "label_de": "IT", "label_en": "IT"}]})))
        .await;
    assert_eq!(field.status, StatusCode::CREATED, "{:?}", field.body);
    let mut ids = Vec::new();
    for (name, branche) in [("Adam", "it"), ("Berta", "bau"), ("Carl", "it")] {
        let c = api
            .call(&t, "POST", "/api/v1/contacts", Some(json!({"last_name": name, "organization_id": org_id, "custom": {"branche": branche}})))
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
        ids.push(c.body["id"].as_str().unwrap().to_string());
    }
    let bad = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "D", "custom": {"branche": "landwirtschaft"}})),
        )
        .await;
    assert_eq!(bad.body["errors"][0]["field"], "custom.branche");
    let tag = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/contacts/{}/tags", ids[0]),
            Some(json!({"name": "VIP"})),
        )
        .await;
    assert_eq!(tag.status, StatusCode::OK);
    api.call(
        &t,
        "POST",
        &format!("/api/v1/contacts/{}/tags", ids[2]),
        Some(json!({"tag_id": tag.body["id"]})),
    )
    .await;
    let tags = api.call(&t, "GET", "/api/v1/tags", None).await;
    assert_eq!(
        (
            tags.body["items"][0]["name"].as_str(),
            tags.body["items"][0]["count"].as_i64()
        ),
        (Some("VIP"), Some(2))
    );
    let filter = support::encode(
        r#"{"and":[{"op":"has_tag","value":"vip"},{"field":"custom.branche","op":"eq","value":"it"}]}"#,
    );
    let filtered = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts?filter={filter}&sort=-name&total=true"),
            None,
        )
        .await;
    let names: Vec<&str> = filtered.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["last_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Carl", "Adam"]);
    assert_eq!(filtered.body["total"], 2);
    assert_eq!(filtered.body["items"][0]["tags"][0]["name"], "VIP");
    let by_org = api
        .call(&t, "GET", "/api/v1/contacts?q=S%C3%B6hne", None)
        .await;
    assert_eq!(
        by_org.body["items"].as_array().unwrap().len(),
        3,
        "the organisation's name finds its people"
    );
    let detach = api
        .call(
            &t,
            "DELETE",
            &format!(
                "/api/v1/contacts/{}/tags/{}",
                ids[0],
                tag.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(detach.status, StatusCode::NO_CONTENT);
    let orgs = api
        .call(&t, "GET", "/api/v1/organizations?q=mueller", None)
        .await;
    assert_eq!(orgs.body["items"][0]["name"], "Müller & Söhne GmbH");
    assert!(orgs.body.get("next_cursor").is_some());
}
api_story!(tags_custom_fields_and_organisations);

async fn pages_walk_the_whole_list_without_offsets(api: Api) {
    let t = api.token("fritz", Role::User).await;
    for i in 0..30 {
        api.call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": format!("Name{:02}", 29 - i)})),
        )
        .await;
    }
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?limit=7&cursor={c}"),
            None => "/api/v1/contacts?limit=7".to_string(),
        };
        let page = api.call(&t, "GET", &path, None).await;
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["last_name"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (0..30).map(|i| format!("Name{i:02}")).collect();
    assert_eq!(seen, expected);
}
api_story!(pages_walk_the_whole_list_without_offsets);

#[test]
fn the_openapi_document_is_current() {
    let doc: serde_json::Value = serde_json::from_str(&kartei_server::api::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/organizations",
        "/api/v1/tags",
        "/api/v1/custom-fields",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/trash",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

async fn history_of_bulk_loaded_and_unknown_records(api: Api) {
    let t = api.token("gina", Role::User).await;
    let mut load = api.store.begin_bulk(1).await.unwrap();
    let actor = kartei_store::Actor::system("test");
    let batch = vec![serde_json::from_value::<kartei_core::contact::ContactData>(
        json!({"last_name": "Geladen"}),
    )
    .unwrap()];
    let ids = api
        .store
        .bulk_insert(&mut load, &actor, batch)
        .await
        .unwrap();
    api.store.finish_bulk(load).await.unwrap();
    let loaded = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{}/history", ids[0]),
            None,
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK);
    assert_eq!(loaded.body["items"], json!([]));
    let unknown = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{}/history", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
api_story!(history_of_bulk_loaded_and_unknown_records);

async fn repeated_wrong_passwords_block_the_name_for_a_while(api: Api) {
    api.token("hugo", Role::User).await;
    api.token("ida", Role::User).await;
    let attempt = |name: &str, password: &str| json!({"name": name, "password": password});
    for _ in 0..kartei_server::throttle::MAX_FAILURES {
        let r = api
            .send(
                "POST",
                "/api/v1/session",
                &[],
                Some(attempt("hugo", "falsch falsch")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = api
        .send(
            "POST",
            "/api/v1/session",
            &[("accept-language", "en")],
            Some(attempt("Hugo", "correct horse battery")),
        )
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(blocked.header("retry-after").parse::<u64>().unwrap() > 60);
    assert_eq!(blocked.body["title"], "Too many sign-in attempts.");
    let other = api
        .send(
            "POST",
            "/api/v1/session",
            &[],
            Some(attempt("ida", "correct horse battery")),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK, "other users are not affected");
}
api_story!(repeated_wrong_passwords_block_the_name_for_a_while);

async fn malformed_paths_and_methods_get_problem_documents(api: Api) {
    let t = api.token("jan", Role::User).await;
    for (method, path, status) in [
        ("GET", "/api/v1/contacts/not-a-uuid", StatusCode::NOT_FOUND),
        (
            "DELETE",
            "/api/v1/contacts/01a2/tags/xyz",
            StatusCode::NOT_FOUND,
        ),
        ("PUT", "/api/v1/contacts", StatusCode::METHOD_NOT_ALLOWED),
        ("GET", "/api/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let r = api.call(&t, method, path, None).await;
        assert_eq!(r.status, status, "{method} {path}");
        assert_eq!(
            r.header("content-type"),
            "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(r.body["status"], status.as_u16());
    }
}
api_story!(malformed_paths_and_methods_get_problem_documents);

async fn a_draft_shows_likely_duplicates_with_reasons(api: Api) {
    let t = api.token("kai", Role::User).await;
    let existing = api
        .call(&t, "POST", "/api/v1/contacts", Some(json!({"first_name": "Jürgen", "last_name": "Schmidt", "phones": [{"number": "0171 2345678"}]})))
        .await;
    let id = existing.body["id"].as_str().unwrap().to_string();
    let auth = format!("Bearer {t}");
    // Half-typed: the e-mail does not parse yet; the phone in another notation does.
    let draft = json!({"first_name": "Juergen", "last_name": "Schmitt", "emails": [{"address": "juergen@"}], "phones": [{"number": "+49 171 2345678"}]});
    let found = api
        .send(
            "POST",
            "/api/v1/contacts/duplicates",
            &[("authorization", &auth), ("accept-language", "de")],
            Some(draft.clone()),
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    let first = &found.body["items"][0];
    assert_eq!(first["contact"]["id"], id.as_str());
    assert_eq!(first["score"], 90);
    let codes: Vec<&str> = first["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["same_phone", "name_sounds_alike"]);
    assert_eq!(first["reasons"][0]["message"], "gleiche Telefonnummer");
    let editing = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/contacts/duplicates?exclude={id}"),
            Some(draft),
        )
        .await;
    assert_eq!(editing.body["items"], json!([]));
    let nothing = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts/duplicates",
            Some(json!({"first_name": "Zora"})),
        )
        .await;
    assert_eq!(nothing.body["items"], json!([]));
}
api_story!(a_draft_shows_likely_duplicates_with_reasons);

async fn scan_review_merge_and_undo_over_http(api: Api) {
    let t = api.token("kai", Role::User).await;
    let auth = format!("Bearer {t}");
    let keep = api
        .call(&t, "POST", "/api/v1/contacts", Some(json!({"first_name": "Jürgen", "last_name": "Schmidt", "emails": [{"address": "js@example.de"}]})))
        .await;
    let other = api
        .call(&t, "POST", "/api/v1/contacts", Some(json!({"first_name": "Juergen", "last_name": "Schmitt", "emails": [{"address": "JS@example.de"}], "job_title": "Einkauf"})))
        .await;
    api.call(
        &t,
        "POST",
        "/api/v1/contacts",
        Some(json!({"first_name": "Zora", "last_name": "Anders"})),
    )
    .await;
    let (keep_id, other_id) = (
        keep.body["id"].as_str().unwrap().to_string(),
        other.body["id"].as_str().unwrap().to_string(),
    );
    let order = api
        .call(&t, "POST", "/api/v1/orders", Some(json!({"number": "A-7", "ordered_on": "2026-11-02", "status": "paid", "contact_id": other_id,
            "lines": [{"description": "Bohnen", "quantity": 1, "unit_price_minor": 990}]})))
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{:?}", order.body);
    let before = api.call(&t, "GET", "/api/v1/duplicates", None).await;
    assert_eq!(before.body["scan"], Value::Null);
    let found = scan_and_wait(&api, &auth).await;
    assert_eq!(found.body["scan"]["contacts"], 3, "{:?}", found.body);
    let items = found.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{:?}", found.body);
    let pair: Vec<&str> = [&items[0]["a"]["id"], &items[0]["b"]["id"]]
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(pair.contains(&keep_id.as_str()) && pair.contains(&other_id.as_str()));
    assert!(items[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["message"] == "same e-mail address"));

    // A stale version merges nothing; then the merge with a chosen field.
    let path = format!("/api/v1/contacts/{keep_id}/merge");
    let body = json!({"other": other_id, "take_other": ["last_name"]});
    let stale = api
        .send(
            "POST",
            &path,
            &[("authorization", &auth), ("if-match", "\"7\"")],
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{:?}",
        stale.body
    );
    let unknown = api
        .call(&t, "POST", &path, Some(json!({"other": keep_id})))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["errors"][0]["code"], "same_record");
    let merged = api.call(&t, "POST", &path, Some(body)).await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(merged.body["merged_name"], "Juergen Schmitt");
    let survivor = api
        .call(&t, "GET", &format!("/api/v1/contacts/{keep_id}"), None)
        .await;
    assert_eq!(survivor.body["last_name"], "Schmitt");
    assert_eq!(survivor.body["job_title"], "Einkauf");
    let gone = api
        .call(&t, "GET", &format!("/api/v1/contacts/{other_id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let moved = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/orders/{}", order.body["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(moved.body["contact_id"], keep_id.as_str());
    let after = api.call(&t, "GET", "/api/v1/duplicates", None).await;
    assert_eq!(after.body["items"], json!([]));
    let list = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/merges?contact={keep_id}"),
            None,
        )
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    // Undo, once.
    let undo = format!(
        "/api/v1/merges/{}/undo",
        merged.body["id"].as_str().unwrap()
    );
    let undone = api.call(&t, "POST", &undo, None).await;
    assert_eq!(undone.status, StatusCode::OK, "{:?}", undone.body);
    let back = api
        .call(&t, "GET", &format!("/api/v1/contacts/{other_id}"), None)
        .await;
    assert_eq!(back.status, StatusCode::OK);
    let survivor = api
        .call(&t, "GET", &format!("/api/v1/contacts/{keep_id}"), None)
        .await;
    assert_eq!(survivor.body["last_name"], "Schmidt");
    assert_eq!(survivor.body["job_title"], Value::Null);
    let twice = api.call(&t, "POST", &undo, None).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Different people: the pair found again leaves the list, also for later scans.
    assert_eq!(
        scan_and_wait(&api, &auth).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let distinct = api
        .call(
            &t,
            "POST",
            "/api/v1/duplicates/distinct",
            Some(json!({"a": other_id, "b": keep_id})),
        )
        .await;
    assert_eq!(distinct.status, StatusCode::NO_CONTENT);
    let left = api.call(&t, "GET", "/api/v1/duplicates", None).await;
    assert_eq!(left.body["items"], json!([]));
    assert_eq!(scan_and_wait(&api, &auth).await.body["items"], json!([]));
}

/// Starts a duplicate scan and waits (at most 10 s) until its result is there.
async fn scan_and_wait(api: &Api, auth: &str) -> support::Reply {
    let started = api
        .send(
            "POST",
            "/api/v1/duplicates/scan",
            &[("authorization", auth)],
            None,
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED);
    for _ in 0..200 {
        let found = api
            .send(
                "GET",
                "/api/v1/duplicates",
                &[("authorization", auth), ("accept-language", "en")],
                None,
            )
            .await;
        if found.body["running"] == false && found.body["scan"]["finished_at"].is_string() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the duplicate scan did not finish within 10 s");
}
api_story!(scan_review_merge_and_undo_over_http);

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "kartei-test-boundary";
    let mut body = Vec::new();
    for (name, file, value) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn imports_in_the_browser_pages(api: Api) {
    let (cookie, csrf) = web_session(&api, "ina").await;
    let csv =
        "Vorname;Nachname;E-Mail;Kundennummer\nJörg;Müller;joerg@mueller.de;K-1\nÄnne;Groß;kaputt;K-2\n"
            .as_bytes();
    // Without the token nothing is kept.
    let (ctype, body) = multipart(&[
        ("_csrf", None, b"falsch"),
        ("file", Some("kunden.csv"), csv),
    ]);
    let (status, _, _) = api
        .send_raw("/imports/upload", &[("cookie", &cookie)], &ctype, body)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (ctype, body) = multipart(&[
        ("_csrf", None, csrf.as_bytes()),
        ("file", Some("kunden.csv"), csv),
    ]);
    let (status, headers, _) = api
        .send_raw("/imports/upload", &[("cookie", &cookie)], &ctype, body)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/imports/u/"), "{location}");
    // The upload is kept in the database: a restarted server (nothing in memory) still
    // shows its mapping.
    let restarted = Api::new((*api.store).clone());
    let (status, _, page) = restarted
        .send_form(
            "GET",
            &location,
            &[("cookie", &cookie), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The suggestions: Vorname → first name, Kundennummer → customer number.
    assert!(
        page.contains("<option value=\"first_name\" selected>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"customer_number\" selected>"),
        "{page}"
    );
    let path = location.split('?').next().unwrap().to_string();
    // Strict: the row with a broken e-mail address is refused, not kept without it.
    let form = format!("_csrf={csrf}&t0=first_name&t1=last_name&t2=email&t3=external_id&match_by=email&on_match=update&strict=1");
    let (status, _, report) = api
        .send_form(
            "POST",
            &path,
            &[("cookie", &cookie), ("accept-language", "en")],
            Some(&format!("{form}&action=check")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("<strong>1</strong> new"), "{report}");
    assert!(report.contains("<strong>1</strong> invalid"), "{report}");
    assert!(report.contains("Not a valid e-mail address"), "{report}");
    // The invalid rows as CSV, with an error column, in the file's delimiter.
    let (status, headers, errors) = api
        .send_form(
            "POST",
            &path,
            &[("cookie", &cookie), ("accept-language", "en")],
            Some(&format!("{form}&action=errors")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"kunden-errors.csv\""
    );
    let mut lines = errors.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("Vorname;Nachname;E-Mail;Kundennummer;Error")
    );
    let bad = lines.next().unwrap_or_default();
    assert!(
        bad.starts_with("Änne;Groß;kaputt;K-2;E-Mail: Not a valid e-mail address"),
        "{bad}"
    );
    assert_eq!(lines.next(), None);
    // The mapping, saved under a name on the way, is offered for the next upload.
    let (status, _, _) = api
        .send_form(
            "POST",
            &path,
            &[("cookie", &cookie)],
            Some(&format!("{form}&action=check&save_preset=Kundenliste")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, upload_page) = api
        .send_form("GET", "/imports", &[("cookie", &cookie)], None)
        .await;
    assert!(
        upload_page.contains("<option value=\"Kundenliste\">Kundenliste</option>"),
        "{upload_page}"
    );
    // Saved mappings are renamed (a built-in name is refused) and deleted.
    let preset = |body: String| {
        let api = &api;
        let cookie = cookie.clone();
        async move {
            let (status, headers, _) = api
                .send_form(
                    "POST",
                    "/imports/presets",
                    &[("cookie", &cookie)],
                    Some(&body),
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            headers["location"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(
        preset(format!("_csrf={csrf}&from=Kundenliste&to=HubSpot")).await,
        "/imports?notice=imp.preset_taken"
    );
    assert_eq!(
        preset(format!("_csrf={csrf}&from=Kundenliste&to=Kunden+K%C3%B6ln")).await,
        "/imports?notice=imp.preset_renamed"
    );
    let (_, _, upload_page) = api
        .send_form("GET", "/imports", &[("cookie", &cookie)], None)
        .await;
    assert!(
        upload_page.contains("<option value=\"Kunden Köln\">"),
        "{upload_page}"
    );
    assert!(!upload_page.contains("Kundenliste"), "{upload_page}");
    let (status, _, _) = api
        .send_form(
            "POST",
            "/imports/presets",
            &[("cookie", &cookie)],
            Some("_csrf=falsch&from=Kunden+K%C3%B6ln&delete=1"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a forged form changes nothing"
    );
    assert_eq!(
        preset(format!("_csrf={csrf}&from=Kunden+K%C3%B6ln&delete=1")).await,
        "/imports?notice=imp.preset_deleted"
    );
    let (_, _, upload_page) = api
        .send_form("GET", "/imports", &[("cookie", &cookie)], None)
        .await;
    assert!(!upload_page.contains("Kunden Köln"), "{upload_page}");
    let t = api.token("ina-api", Role::User).await;
    assert_eq!(
        api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"],
        json!([]),
        "a check writes nothing"
    );
    let (status, headers, _) = api
        .send_form(
            "POST",
            &path,
            &[("cookie", &cookie)],
            Some(&format!("{form}&action=run")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let progress = headers["location"].to_str().unwrap().to_string();
    let mut done = String::new();
    for _ in 0..200 {
        let (_, _, page) = api
            .send_form(
                "GET",
                &progress,
                &[("cookie", &cookie), ("accept-language", "en")],
                None,
            )
            .await;
        if page.contains("Import done:") {
            done = page;
            break;
        }
        assert!(!page.contains("The import failed"), "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done.contains("1 created, 0 updated"), "{done}");
    // Imported, its file is forgotten.
    let (status, _, _) = Api::new((*api.store).clone())
        .send_form("GET", &location, &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let items = api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["external_id"], "K-1");
    // The list of imports offers undo; undoing trashes what it created.
    let (_, _, list) = api
        .send_form("GET", "/imports", &[("cookie", &cookie)], None)
        .await;
    let job = list
        .split("action=\"/imports/")
        .filter_map(|r| r.split('"').next())
        .find_map(|a| a.strip_suffix("/undo"))
        .unwrap()
        .to_string();
    let (status, _, page) = api
        .send_form(
            "POST",
            &format!("/imports/{job}/undo"),
            &[("cookie", &cookie)],
            Some(&format!("_csrf={csrf}")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"import-undone\"") && page.contains("1 in den Papierkorb gelegt"),
        "{page}"
    );
    assert!(!page.contains("Unverändert gelassen"), "nothing was left");
    assert_eq!(
        api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"],
        json!([])
    );
}
api_story!(imports_in_the_browser_pages);

/// The trash page lists deleted records of every kind, not only people, and restores
/// them.
async fn the_trash_page_holds_every_kind(api: Api) {
    let t = api.token("tim", Role::User).await;
    let (cookie, csrf) = web_session(&api, "tara").await;
    let contact = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Kranz"})),
        )
        .await
        .body["id"]
        .clone();
    let ticket = api
        .call(
            &t,
            "POST",
            "/api/v1/tickets",
            Some(json!({"subject": "Drucker defekt", "contact_id": contact})),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let id = ticket.body["id"].as_str().unwrap().to_string();
    let gone = api
        .call(&t, "DELETE", &format!("/api/v1/tickets/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let (status, _, page) = api
        .send_form("GET", "/trash", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let restore = format!("/trash/ticket/{id}/restore");
    assert!(
        page.contains("Drucker defekt") && page.contains(&restore),
        "{page}"
    );
    let (status, headers, _) = api
        .send_form(
            "POST",
            &restore,
            &[("cookie", &cookie)],
            Some(&format!("_csrf={csrf}")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/trash?notice=trash.restored");
    let back = api
        .call(&t, "GET", &format!("/api/v1/tickets/{id}"), None)
        .await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(back.body["subject"], "Drucker defekt");
}
api_story!(the_trash_page_holds_every_kind);

/// The data-quality audit runs in the background; its report is kept, so a restarted
/// server (nothing in memory) still shows it.
async fn the_quality_report_survives_a_restart(api: Api) {
    let (cookie, csrf) = web_session(&api, "quinn").await;
    let (status, _, _) = api
        .send_form(
            "POST",
            "/quality/run",
            &[("cookie", &cookie)],
            Some(&format!("_csrf={csrf}")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut shown = false;
    for _ in 0..100 {
        let (_, _, page) = api
            .send_form("GET", "/quality", &[("cookie", &cookie)], None)
            .await;
        if page.contains("id=\"quality-findings\"") {
            // A report on the page is a finished audit, not a running one.
            assert!(!page.contains("Prüfung läuft:"), "{page}");
            // No contacts: no field is missing anywhere, so no "contacts without" link.
            assert!(!page.contains("Kontakte ohne"), "{page}");
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown, "the audit finished within 10 s");
    let restarted = Api::new((*api.store).clone());
    let (status, _, page) = restarted
        .send_form("GET", "/quality", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"quality-findings\""), "{page}");
}
api_story!(the_quality_report_survives_a_restart);

/// The web pages: sign-in by form, the session cookie's flags, the CSRF token on every
/// form, the security headers, and the language from Accept-Language.
async fn web_pages_need_a_session_and_the_csrf_token(api: Api) {
    let t = api.token("wera", Role::User).await;
    let (status, headers, _) = api.send_form("GET", "/contacts", &[], None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login?next=%2Fcontacts");

    let (status, _, body) = api
        .send_form(
            "POST",
            "/login",
            &[],
            Some("name=wera&password=falsch&next=%2Fcontacts"),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("Benutzername oder Passwort ist falsch."),
        "{body}"
    );

    let (status, headers, _) = api
        .send_form(
            "POST",
            "/login",
            &[],
            Some("name=wera&password=correct+horse+battery&next=%2Fcontacts"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/contacts");
    let session = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("kartei_session="))
        .unwrap()
        .to_string();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap().to_string();

    let (status, headers, page) = api
        .send_form(
            "GET",
            "/contacts",
            &[("cookie", &cookie), ("accept-language", "en-GB,en")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        page.contains("<h1>Contacts</h1>"),
        "English from Accept-Language"
    );
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    // A form sent without the token (as another site could) is refused and changes nothing.
    let (status, _, _) = api
        .send_form(
            "POST",
            "/contacts",
            &[("cookie", &cookie)],
            Some("last_name=Fremd"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"],
        json!([])
    );
    let (status, headers, _) = api
        .send_form(
            "POST",
            "/contacts",
            &[("cookie", &cookie)],
            Some(&format!("_csrf={csrf}&last_name=Eigen")),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/contacts/"));
    assert_eq!(
        api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"][0]["last_name"],
        "Eigen"
    );

    // The whole list, as filtered, as CSV (English: commas, no byte-order mark).
    let (status, headers, csv) = api
        .send_form(
            "GET",
            "/contacts/export?q=Eigen",
            &[("cookie", &cookie), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(
        csv.starts_with("ID,Salutation,Title,First name,Last name"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(",Eigen,"), "{csv}");
    let (_, _, none) = api
        .send_form("GET", "/contacts/export?filter=%7B%22field%22%3A%22city%22%2C%22op%22%3A%22eq%22%2C%22value%22%3A%22Nirgendwo%22%7D", &[("cookie", &cookie), ("accept-language", "en")], None)
        .await;
    assert_eq!(none.lines().count(), 1, "only the header: {none}");
    // The list's chosen columns, in their order; and the same as an Excel workbook.
    let (_, _, chosen) = api
        .send_form(
            "GET",
            "/contacts/export?q=Eigen&cols=email,last_name",
            &[("cookie", &cookie), ("accept-language", "en")],
            None,
        )
        .await;
    assert!(chosen.starts_with("E-mail,Last name\r\n"), "{chosen}");
    let (status, headers, book) = api
        .send_form(
            "GET",
            "/contacts/export?q=Eigen&format=xlsx",
            &[("cookie", &cookie), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(book.starts_with("PK\u{3}\u{4}"));
    let (status, _, _) = api
        .send_form(
            "GET",
            "/contacts/export?cols=shoe_size",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // JSON (the API's documents) and vCard 4.0 of the same list.
    let (_, headers, json_text) = api
        .send_form(
            "GET",
            "/contacts/export?q=Eigen&format=json",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(headers["content-type"], "application/json");
    let docs: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 1, "{json_text}");
    assert_eq!(docs[0]["last_name"], "Eigen");
    let (_, _, everyone) = api
        .send_form(
            "GET",
            "/contacts/export?format=json",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(
        serde_json::from_str::<serde_json::Value>(&everyone)
            .unwrap()
            .is_array(),
        "{everyone}"
    );
    let (_, headers, cards) = api
        .send_form(
            "GET",
            "/contacts/export?q=Eigen&format=vcard",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/vcard"));
    assert_eq!(cards.matches("BEGIN:VCARD").count(), 1, "{cards}");
    assert!(cards.contains("VERSION:4.0"), "{cards}");
    let (status, _, _) = api
        .send_form(
            "GET",
            "/organizations/export?format=vcard",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Invalid input re-renders the form with the message next to the field; nothing saved.
    let (status, _, page) = api
        .send_form(
            "POST",
            "/contacts",
            &[("cookie", &cookie)],
            Some(&format!(
                "_csrf={csrf}&last_name=X&emails%5B0%5D.address=kaputt"
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"f-emails-0--address-error\""), "{page}");
    assert_eq!(
        api.call(&t, "GET", "/api/v1/contacts", None).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A browser on an unknown page gets a page in its language; an API client a problem.
    let (status, _, page) = api
        .send_form(
            "GET",
            "/nirgendwo",
            &[("accept", "text/html"), ("accept-language", "en")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("does not exist"), "{page}");
    let reply = api.send("GET", "/nirgendwo", &[], None).await;
    assert_eq!(reply.header("content-type"), "application/problem+json");

    let (status, headers, script) = api.send_form("GET", "/assets/app.js", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.contains("filterBuilder"));
}
api_story!(web_pages_need_a_session_and_the_csrf_token);

/// The history collections over HTTP: each is in the OpenAPI document, and a contact's
/// timeline, purchases, loyalty points and a pipeline's board come together.
async fn the_history_of_a_customer_over_http(api: Api) {
    let doc: serde_json::Value = serde_json::from_str(&kartei_server::api::openapi_json()).unwrap();
    for c in [
        "activities",
        "pipelines",
        "deals",
        "products",
        "product-categories",
        "orders",
        "tickets",
        "feedback",
    ] {
        assert!(
            doc["paths"].get(format!("/api/v1/{c}")).is_some(),
            "{c} missing in the OpenAPI document"
        );
    }
    let t = api.token("hanna", Role::User).await;
    let contact = api
        .call(
            &t,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Huber"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();

    let pipeline = api
        .call(&t, "POST", "/api/v1/pipelines", Some(json!({"name": "Neukunden", "stages": [{"name": "Neu"}, {"name": "Gewonnen", "won": true}]})))
        .await;
    assert_eq!(pipeline.status, StatusCode::CREATED, "{:?}", pipeline.body);
    let pid = pipeline.body["id"].as_str().unwrap().to_string();
    let stages: Vec<String> = pipeline.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let deal = api
        .call(&t, "POST", "/api/v1/deals", Some(json!({"title": "Rahmenvertrag", "pipeline_id": pid, "stage_id": stages[0], "value_minor": 990000, "contact_ids": [contact]})))
        .await;
    assert_eq!(deal.status, StatusCode::CREATED, "{:?}", deal.body);
    let did = deal.body["id"].as_str().unwrap().to_string();
    let moved = api
        .call(
            &t,
            "PATCH",
            &format!("/api/v1/deals/{did}"),
            Some(json!({"stage_id": stages[1]})),
        )
        .await;
    assert_eq!(moved.body["status"], "won");
    let visits = api
        .call(&t, "GET", &format!("/api/v1/deals/{did}/stages"), None)
        .await;
    assert_eq!(visits.body.as_array().unwrap().len(), 2);
    let board = api
        .call(&t, "GET", &format!("/api/v1/pipelines/{pid}/board"), None)
        .await;
    assert_eq!(board.body[1]["count"], 1);
    assert_eq!(board.body[1]["sums"][0]["minor"], 990000);

    let product = api.call(&t, "POST", "/api/v1/products", Some(json!({"name": "Espresso", "sku": "ESP-1", "price_minor": 1290, "vat_rate_bp": 700}))).await;
    assert_eq!(product.status, StatusCode::CREATED, "{:?}", product.body);
    let order = api
        .call(&t, "POST", "/api/v1/orders", Some(json!({"number": "W-100", "ordered_on": "2026-10-01", "contact_id": contact,
            "lines": [{"product_id": product.body["id"], "quantity": 2, "unit_price_minor": 1290, "vat_rate_bp": 700}]})))
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{:?}", order.body);
    assert_eq!(order.body["gross_minor"], 2761);
    let bad = api
        .call(
            &t,
            "POST",
            "/api/v1/orders",
            Some(json!({"number": "W-101", "contact_id": contact, "lines": []})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let note = api.call(&t, "POST", "/api/v1/activities", Some(json!({"kind": "call", "contact_id": contact, "direction": "outbound", "duration_minutes": 12, "outcome": "reached"}))).await;
    assert_eq!(note.status, StatusCode::CREATED, "{:?}", note.body);
    assert_eq!(
        api.call(
            &t,
            "POST",
            "/api/v1/tickets",
            Some(json!({"subject": "Mühle defekt", "contact_id": contact}))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.call(
            &t,
            "POST",
            "/api/v1/feedback",
            Some(json!({"contact_id": contact, "nps": 10}))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let earned = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/contacts/{contact}/loyalty"),
            Some(json!({"kind": "earn", "points": 27, "reason": "W-100"})),
        )
        .await;
    assert_eq!(earned.status, StatusCode::CREATED);
    let too_much = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/contacts/{contact}/loyalty"),
            Some(json!({"kind": "redeem", "points": 28, "reason": "Gutschein"})),
        )
        .await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        api.call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{contact}/loyalty"),
            None
        )
        .await
        .body["balance"],
        27
    );
    let purchases = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{contact}/purchases"),
            None,
        )
        .await;
    assert_eq!(
        (
            purchases.body["orders"].clone(),
            purchases.body["revenue"][0]["minor"].clone()
        ),
        (json!(1), json!(2761))
    );

    let timeline = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{contact}/timeline?limit=50"),
            None,
        )
        .await;
    let kinds: std::collections::BTreeSet<String> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "activity", "deal", "order", "ticket", "feedback", "loyalty", "change",
    ] {
        assert!(kinds.contains(k), "{k} missing: {kinds:?}");
    }
    let only = api
        .call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{contact}/timeline?kinds=order"),
            None,
        )
        .await;
    assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.call(
            &t,
            "GET",
            &format!("/api/v1/contacts/{contact}/timeline?kinds=weather"),
            None
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Deleted history goes to the trash like contacts do.
    let tid = note.body["id"].as_str().unwrap();
    assert_eq!(
        api.call(&t, "DELETE", &format!("/api/v1/activities/{tid}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let trash = api
        .call(&t, "GET", "/api/v1/trash?entity=activity", None)
        .await;
    assert_eq!(trash.body["items"][0]["id"], tid);
    assert_eq!(
        api.call(
            &t,
            "POST",
            &format!("/api/v1/trash/activities/{tid}/restore"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
}
api_story!(the_history_of_a_customer_over_http);

/// A saved view is a typed segment: one whose filter does not fit is not saved, and one
/// that can no longer be read is an error, never the whole list exported unfiltered.
async fn a_corrupt_saved_view_never_exports_the_whole_list(api: Api) {
    let (cookie, csrf) = web_session(&api, "vera").await;
    let actor = kartei_store::Actor::system("t");
    for (name, city) in [("Koch", "Köln"), ("Berg", "Berlin")] {
        api.store
            .create::<kartei_core::contact::ContactData>(
                &actor,
                serde_json::from_value(json!({"last_name": name,
                    "addresses": [{"city": city}]}))
                .unwrap(),
            )
            .await
            .unwrap();
    }
    let save = |filter: &str| {
        format!(
            "_csrf={csrf}&entity=contact&name=K%C3%B6lner&filter={}",
            filter
                .replace('%', "%25")
                .replace('{', "%7B")
                .replace('}', "%7D")
                .replace('"', "%22")
                .replace(':', "%3A")
                .replace(',', "%2C")
        )
    };
    // A filter on a field contacts do not have: nothing is saved.
    let (status, headers, _) = api
        .send_form(
            "POST",
            "/views",
            &[("cookie", &cookie)],
            Some(&save(r#"{"field":"shoe","op":"eq","value":1}"#)),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"]
        .to_str()
        .unwrap()
        .contains("notice=list.view_invalid"));
    let user = api.store.user_credentials("vera").await.unwrap().unwrap().0;
    assert!(api.store.saved_views(user.id).await.unwrap().is_empty());

    let (status, headers, _) = api
        .send_form(
            "POST",
            "/views",
            &[("cookie", &cookie)],
            Some(&save(r#"{"field":"city","op":"eq","value":"Köln"}"#)),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers["location"].to_str().unwrap().to_string();
    let view = location.split("view=").nth(1).unwrap().to_string();
    let export = format!("/contacts/export?view={view}");
    let (status, _, csv) = api
        .send_form("GET", &export, &[("cookie", &cookie)], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("Koch") && !csv.contains("Berg"), "{csv}");

    // The stored query breaks (an older binary, a hand edit): an error, not everyone.
    let mut tx = api.store.db().write().await.unwrap();
    tx.raw(r#"UPDATE saved_views SET query = '{"filter":"{kaputt"}'"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for path in [export.as_str(), &format!("/contacts?view={view}")] {
        let (status, _, body) = api
            .send_form("GET", path, &[("cookie", &cookie)], None)
            .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(!body.contains("Berg") && !body.contains("Koch"), "{body}");
    }
}
api_story!(a_corrupt_saved_view_never_exports_the_whole_list);

/// The registry of record kinds: every kind has its documented routes, served, under the
/// collection name the domain gives it, and its trash answers under that name too.
async fn every_record_kind_has_its_documented_routes(api: Api) {
    let t = api.token("rita", Role::Admin).await;
    let (cookie, _) = web_session(&api, "wanda").await;
    let doc: Value = serde_json::from_str(&kartei_server::api::openapi_json()).unwrap();
    let paths = &doc["paths"];
    for entity in kartei_core::record::Entity::ALL {
        let c = entity.collection();
        assert_eq!(
            kartei_core::record::Entity::from_collection(c),
            Some(entity)
        );
        for (path, methods) in [
            (format!("/api/v1/{c}"), &["get", "post"][..]),
            (
                format!("/api/v1/{c}/{{id}}"),
                &["get", "patch", "delete"][..],
            ),
            (format!("/api/v1/{c}/{{id}}/history"), &["get"][..]),
            (format!("/api/v1/{c}/{{id}}/tags"), &["post"][..]),
            (
                format!("/api/v1/{c}/{{id}}/tags/{{tag_id}}"),
                &["delete"][..],
            ),
        ] {
            for m in methods {
                assert_eq!(paths[&path][m]["tags"][0], c, "{m} {path} documented");
            }
        }
        let listed = api.call(&t, "GET", &format!("/api/v1/{c}"), None).await;
        assert_eq!(listed.status, StatusCode::OK, "{c}: {:?}", listed.body);
        assert_eq!(listed.body["items"], json!([]), "{c}");
        let missing = uuid::Uuid::now_v7();
        let trash = api
            .call(
                &t,
                "POST",
                &format!("/api/v1/trash/{c}/{missing}/restore"),
                None,
            )
            .await;
        assert_eq!(trash.status, StatusCode::NOT_FOUND, "{c}: {:?}", trash.body);
        // Its pages: the list and the form for a new one.
        let page = kartei_server::web::records::page_path(entity);
        for path in [page.clone(), format!("{page}/new")] {
            let (status, _, _) = api
                .send_form("GET", &path, &[("cookie", &cookie)], None)
                .await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }
    // A collection no kind has is not a trash either.
    let nothing = api
        .call(
            &t,
            "POST",
            &format!("/api/v1/trash/nothing/{}/restore", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_ne!(nothing.status, StatusCode::OK);
}
api_story!(every_record_kind_has_its_documented_routes);

/// A re-import on the web: the check shows what a found contact would get (old and new),
/// "replace" is offered with a warning, and the contact's history names the import.
async fn a_web_reimport_shows_its_changes_and_names_itself(api: Api) {
    let (cookie, csrf) = web_session(&api, "ilse").await;
    let heinz = api
        .store
        .create::<kartei_core::contact::ContactData>(
            &kartei_store::Actor::system("t"),
            serde_json::from_value(json!({"first_name": "Heinz", "last_name": "Weber",
                "job_title": "Einkauf", "emails": [{"address": "heinz@weber.de"}],
                "addresses": [{"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}]}))
            .unwrap(),
        )
        .await
        .unwrap();
    let csv = "E-Mail;Position;PLZ;Ort\nheinz@weber.de;Vertrieb;20095;Hamburg\n".as_bytes();
    let (ctype, body) = multipart(&[
        ("_csrf", None, csrf.as_bytes()),
        ("file", Some("kunden.csv"), csv),
    ]);
    let (_, headers, _) = api
        .send_raw("/imports/upload", &[("cookie", &cookie)], &ctype, body)
        .await;
    let path = headers["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let form = |on_match: &str, action: &str| {
        format!("_csrf={csrf}&t0=email&t1=job_title&t2=postcode&t3=city&match_by=email&on_match={on_match}&action={action}")
    };
    let send = |body: String| {
        let (api, cookie, path) = (&api, cookie.clone(), path.clone());
        async move {
            api.send_form("POST", &path, &[("cookie", &cookie)], Some(&body))
                .await
        }
    };
    let (status, _, page) = send(form("fill_in", "check")).await;
    assert_eq!(status, StatusCode::OK);
    let changes = page
        .split("id=\"import-changes\"")
        .nth(1)
        .expect("the changes are listed")
        .split("</table>")
        .next()
        .unwrap()
        .to_string();
    assert!(changes.contains("Hauptstr. 1 10115 Berlin"), "{changes}");
    assert!(changes.contains("20095 Hamburg"), "{changes}");
    assert!(
        !changes.contains("Vertrieb"),
        "fill in keeps his job title: {changes}"
    );
    assert!(!page.contains("id=\"replace-warning\""), "{page}");
    let (_, _, page) = send(form("replace", "check")).await;
    assert!(page.contains("id=\"replace-warning\""), "{page}");
    assert!(page.contains("Vertrieb"), "{page}");

    let (status, headers, _) = send(form("fill_in", "run")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let progress = headers["location"].to_str().unwrap().to_string();
    let mut done = false;
    for _ in 0..200 {
        let (_, _, page) = api
            .send_form("GET", &progress, &[("cookie", &cookie)], None)
            .await;
        if page.contains("Import fertig:") {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done, "the import finished");
    let (_, _, detail) = api
        .send_form(
            "GET",
            &format!("/contacts/{}", heinz.id),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    let today = kartei_store::now().format("%d.%m.%Y").to_string();
    assert!(
        detail.contains(&format!("durch Import kunden.csv vom {today} (ilse)")),
        "{detail}"
    );
}
api_story!(a_web_reimport_shows_its_changes_and_names_itself);

/// Kartei has an icon of its own, served without a session, named by every page.
async fn pages_name_the_icon_and_it_is_served(api: Api) {
    for path in ["/favicon.ico", "/assets/favicon.svg"] {
        let (status, headers, body) = api.send_form("GET", path, &[], None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers["content-type"], "image/svg+xml", "{path}");
        assert!(body.starts_with("<svg"), "{body}");
    }
    let (_, _, login) = api.send_form("GET", "/login", &[], None).await;
    assert!(
        login.contains("rel=\"icon\" href=\"/assets/favicon.svg\""),
        "{login}"
    );
    let (cookie, _) = web_session(&api, "fina").await;
    for path in ["/contacts", "/nowhere"] {
        let (_, _, page) = api
            .send_form(
                "GET",
                path,
                &[("cookie", &cookie), ("accept", "text/html")],
                None,
            )
            .await;
        assert!(
            page.contains("rel=\"icon\" href=\"/assets/favicon.svg\""),
            "{path}"
        );
    }
}
api_story!(pages_name_the_icon_and_it_is_served);
