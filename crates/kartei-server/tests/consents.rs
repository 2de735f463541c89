//! The consent ledger through the API and the contact page, on SQLite and PostgreSQL:
//! events with proof, the state and the `may_contact` filter, the timeline, purposes
//! only admins and managers configure, and the panel's form in German and English.

mod support;

use axum::http::StatusCode;
use kartei_core::access::Role;
use serde_json::json;
use support::{encode, web_session_as, Api};

async fn consents_through_the_api_and_the_page(api: Api) {
    let admin = api.token("admin", Role::Admin).await;
    let user = api.token("user", Role::User).await;
    let reader = api.token("reader", Role::Readonly).await;
    let mut ids = Vec::new();
    for name in ["Ahrens", "Brandt"] {
        let c = api
            .call(
                &admin,
                "POST",
                "/api/v1/contacts",
                Some(json!({"last_name": name})),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED);
        ids.push(c.body["id"].as_str().unwrap().to_string());
    }
    let consent = |status: &str| {
        json!({"channel": "email", "purpose": "newsletter", "status": status,
            "basis": "consent", "source": "web_form",
            "wording": "Ja, ich möchte den Newsletter.",
            "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 Test"})
    };
    let granted = api
        .call(
            &user,
            "POST",
            &format!("/api/v1/contacts/{}/consents", ids[0]),
            Some(consent("granted")),
        )
        .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{:?}", granted.body);
    assert_eq!(granted.body["ip_address"], "203.0.113.7");
    assert_eq!(granted.body["recorded_by_name"], "user");
    assert_eq!(granted.body["wording_version"], 1);
    // Bad input: 422 naming the fields, nothing recorded; a reader may not write.
    let bad = api
        .call(
            &user,
            "POST",
            &format!("/api/v1/contacts/{}/consents", ids[1]),
            Some(
                json!({"channel": "fax", "purpose": "newsletter", "status": "granted",
                "basis": "consent", "source": "api", "occurred_at": "2999-01-01T00:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["channel", "wording", "occurred_at"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let denied = api
        .call(
            &reader,
            "POST",
            &format!("/api/v1/contacts/{}/consents", ids[1]),
            Some(consent("granted")),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let none = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts/{}/consents", ids[1]),
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(none.body["events"], json!([]));

    // The filter finds who may receive the newsletter by e-mail.
    let filter = encode(r#"{"op":"may_contact","value":"email:newsletter"}"#);
    let may = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts?filter={filter}&total=true"),
            None,
        )
        .await;
    assert_eq!(may.status, StatusCode::OK, "{:?}", may.body);
    assert_eq!(may.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(may.body["items"][0]["last_name"], "Ahrens");
    let unknown = encode(r#"{"op":"may_contact","value":"email:lottery"}"#);
    let refused = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts?filter={unknown}"),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Withdrawn: out of the mailing, both events in the state's history and timeline.
    api.call(
        &user,
        "POST",
        &format!("/api/v1/contacts/{}/consents", ids[0]),
        Some(
            json!({"channel": "email", "purpose": "newsletter", "status": "withdrawn",
            "basis": "consent", "source": "api"}),
        ),
    )
    .await;
    let state = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts/{}/consents", ids[0]),
            None,
        )
        .await;
    assert_eq!(state.body["state"][0]["status"], "withdrawn");
    assert_eq!(state.body["events"].as_array().unwrap().len(), 2);
    let may = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts?filter={filter}"),
            None,
        )
        .await;
    assert_eq!(may.body["items"], json!([]));
    // The list's "Consents" column, chosen: Ahrens has none left; a new grant shows.
    api.call(
        &user,
        "POST",
        &format!("/api/v1/contacts/{}/consents", ids[0]),
        Some(
            json!({"channel": "post", "purpose": "product_news", "status": "granted",
            "basis": "legitimate_interest", "source": "api"}),
        ),
    )
    .await;
    let (list_cookie, _) = web_session_as(&api, "lister", Role::Readonly).await;
    let (_, _, html) = api
        .send_form(
            "GET",
            "/contacts?cols=name%2Cconsents",
            &[("cookie", &list_cookie), ("accept-language", "en")],
            None,
        )
        .await;
    let body = &html[html.find("<tbody").unwrap()..html.find("</tbody>").unwrap()];
    assert!(body.contains("Product news · post"), "{body}");
    assert!(
        !body.contains("Newsletter · e-mail"),
        "withdrawn is not shown as permitted"
    );
    let (_, _, csv) = api
        .send_form(
            "GET",
            "/contacts/export?cols=name%2Cconsents&format=csv",
            &[("cookie", &list_cookie), ("accept-language", "de")],
            None,
        )
        .await;
    assert!(
        csv.contains("Einwilligungen") && csv.contains("Produktneuheiten · Post"),
        "{csv}"
    );
    let timeline = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts/{}/timeline?kinds=consent", ids[0]),
            None,
        )
        .await;
    let items = timeline.body["items"].as_array().unwrap();
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["data"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["granted", "withdrawn", "granted"],
        "newest first"
    );
    assert_eq!(items[0]["data"]["purpose"], "product_news");

    // Purposes: everyone reads them; only admins and managers write them.
    let text = json!({"name_de": "Messen", "name_en": "Trade fairs",
        "description_de": "Einladungen zu Messen.", "description_en": "Invitations to trade fairs."});
    let by_user = api
        .call(
            &user,
            "PUT",
            "/api/v1/consent-purposes/fairs",
            Some(text.clone()),
        )
        .await;
    assert_eq!(by_user.status, StatusCode::FORBIDDEN);
    let saved = api
        .call(&admin, "PUT", "/api/v1/consent-purposes/fairs", Some(text))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let bad_key = api
        .call(
            &admin,
            "PUT",
            "/api/v1/consent-purposes/Bad-Key",
            Some(json!({"name_de": "x", "name_en": "x", "description_de": "x", "description_en": "x"})),
        )
        .await;
    assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);
    let purposes = api
        .call(&reader, "GET", "/api/v1/consent-purposes", None)
        .await;
    let keys: Vec<&str> = purposes
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"fairs") && keys.contains(&"newsletter"),
        "{keys:?}"
    );

    // The page: the panel in both languages, and recording a consent by phone.
    let (cookie, csrf) = web_session_as(&api, "clerk", Role::User).await;
    let page = format!("/contacts/{}", ids[1]);
    for (lang, empty, record) in [
        (
            "de",
            "Noch keine Einwilligung erfasst.",
            "Einwilligung erfassen",
        ),
        ("en", "No consent recorded yet.", "Record a consent"),
    ] {
        let (status, _, html) = api
            .send_form(
                "GET",
                &page,
                &[("cookie", &cookie), ("accept-language", lang)],
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(empty), "{lang}");
        assert!(html.contains(record), "{lang}");
        assert!(html.contains("Messen") || html.contains("Trade fairs"));
    }
    let form = format!(
        "_csrf={}&purpose=marketing_calls&channel=phone&status=granted&basis=consent&source=phone&wording={}&proof={}",
        encode(&csrf),
        encode("Darf ich Sie zu Angeboten anrufen? Ja."),
        encode("Anruf am Vormittag")
    );
    let (status, headers, _) = api
        .send_form(
            "POST",
            &format!("/contacts/{}/consents", ids[1]),
            &[("cookie", &cookie)],
            Some(&form),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"]
        .to_str()
        .unwrap()
        .contains("notice=saved.created"));
    // A paper form signed in January, valid until June: recorded with its date, and
    // expired now. A date in the future, or one that is none, is refused.
    let dated = |occurred: &str, expires: &str| {
        format!(
            "_csrf={}&purpose=product_news&channel=post&status=granted&basis=consent&source=paper&wording={}&occurred_on={occurred}&expires_on={expires}",
            encode(&csrf),
            encode("Ja, Produktneuheiten per Post.")
        )
    };
    for (occurred, expires, notice) in [
        ("2026-01-15", "2026-06-30", "saved.created"),
        ("2999-01-01", "", "consent.invalid"),
        ("15.01.2026", "", "consent.invalid"),
    ] {
        let (_, headers, _) = api
            .send_form(
                "POST",
                &format!("/contacts/{}/consents", ids[1]),
                &[("cookie", &cookie)],
                Some(&dated(occurred, expires)),
            )
            .await;
        assert!(
            headers["location"].to_str().unwrap().contains(notice),
            "{occurred}: {headers:?}"
        );
    }
    let paper = api.store.consents(ids[1].parse().unwrap()).await.unwrap();
    let post = paper.state.iter().find(|s| s.channel == "post").unwrap();
    assert_eq!(post.status, "expired");
    assert_eq!(post.since.to_rfc3339(), "2026-01-15T12:00:00+00:00");
    // Without the wording, a grant is refused with the reason and nothing is kept.
    let no_wording = format!(
        "_csrf={}&purpose=newsletter&channel=email&status=granted&basis=consent&source=paper",
        encode(&csrf)
    );
    let (_, headers, _) = api
        .send_form(
            "POST",
            &format!("/contacts/{}/consents", ids[1]),
            &[("cookie", &cookie)],
            Some(&no_wording),
        )
        .await;
    assert!(headers["location"]
        .to_str()
        .unwrap()
        .contains("notice=consent.invalid"));
    let (_, _, html) = api
        .send_form(
            "GET",
            &page,
            &[("cookie", &cookie), ("accept-language", "de")],
            None,
        )
        .await;
    assert!(html.contains("Werbeanrufe"), "the purpose in German");
    assert!(html.contains("erteilt"));
    assert!(html.contains("Anruf am Vormittag"));
    assert!(html.contains("erfasst von clerk"));
    let kept = api
        .call(
            &reader,
            "GET",
            &format!("/api/v1/contacts/{}/consents", ids[1]),
            None,
        )
        .await;
    assert_eq!(kept.body["events"].as_array().unwrap().len(), 2);
    assert!(kept.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["source"] == "phone"));

    // A list for a mailing: Brandt may be called but has no number yet; Ahrens has
    // no consent for calls. Both are left out, each with the reason.
    let mailing = |lang: &'static str, target: &'static str| {
        let api = &api;
        let cookie = cookie.clone();
        async move {
            let (status, _, html) = api
                .send_form(
                    "GET",
                    &format!("/contacts/mailing?for={}", encode(target)),
                    &[("cookie", &cookie), ("accept-language", lang)],
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            html
        }
    };
    let html = mailing("de", "phone:marketing_calls").await;
    assert!(
        html.contains(r#"<span id="mailing-count">0</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"<strong id="mailing-left">2</strong>"#));
    assert!(html.contains("1 ohne Adresse für den Kanal"));
    assert!(html.contains("1 ohne erfasste Einwilligung"));
    let html = mailing("en", "email:newsletter").await;
    assert!(html.contains("1 withdrew their consent"), "{html}");
    let patched = api
        .call(
            &admin,
            "PATCH",
            &format!("/api/v1/contacts/{}", ids[1]),
            Some(json!({"phones": [{"number": "+49 30 1234567"}]})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    let html = mailing("de", "phone:marketing_calls").await;
    assert!(html.contains(r#"<span id="mailing-count">1</span>"#));
    // A searched list counts its matches the same way.
    for (q, count, left) in [("Brandt", 1, 0), ("Ahrens", 0, 1)] {
        let (_, _, html) = api
            .send_form(
                "GET",
                &format!("/contacts/mailing?q={q}&for=phone%3Amarketing_calls"),
                &[("cookie", &cookie)],
                None,
            )
            .await;
        assert!(
            html.contains(&format!(r#"<span id="mailing-count">{count}</span>"#))
                && html.contains(&format!(r#"<strong id="mailing-left">{left}</strong>"#)),
            "{q}: {html}"
        );
    }
    let (status, _, csv) = api
        .send_form(
            "GET",
            "/contacts/export?for=phone%3Amarketing_calls&format=csv",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("Brandt") && !csv.contains("Ahrens"), "{csv}");
    let (status, _, _) = api
        .send_form(
            "GET",
            "/contacts/mailing?for=fax%3Anewsletter",
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Reads one file of a ZIP archive.
fn unzip(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

async fn the_access_export_holds_everything_about_the_person(api: Api) {
    let admin = api.token("admin", Role::Admin).await;
    let user = api.token("user", Role::User).await;
    let contact = api
        .call(
            &admin,
            "POST",
            "/api/v1/contacts",
            Some(json!({"first_name": "Jane", "last_name": "Doe <Smith>", "language": "en",
                "emails": [{"address": "jane@example.org"}], "bank": {"iban": "DE89370400440532013000"}})),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED);
    let id = contact.body["id"].as_str().unwrap().to_string();
    let other = api
        .call(
            &admin,
            "POST",
            "/api/v1/contacts",
            Some(json!({"last_name": "Other"})),
        )
        .await;
    let other_id = other.body["id"].as_str().unwrap().to_string();
    // A note about her, a meeting she attends (linked, not her own), a note about
    // someone else (not hers), a consent.
    for body in [
        json!({"kind": "note", "body": "Called back", "contact_id": id}),
        json!({"kind": "meeting", "subject": "Visit", "starts_at": "2026-11-01T10:00:00Z",
            "ends_at": "2026-11-01T11:00:00Z", "contact_id": other_id, "attendee_contact_ids": [id]}),
        json!({"kind": "note", "body": "Not about Jane", "contact_id": other_id}),
    ] {
        let r = api
            .call(&admin, "POST", "/api/v1/activities", Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    api.call(
        &admin,
        "POST",
        &format!("/api/v1/contacts/{id}/consents"),
        Some(
            json!({"channel": "email", "purpose": "newsletter", "status": "granted",
            "basis": "consent", "source": "web_form", "wording": "Yes, newsletter please.",
            "ip_address": "198.51.100.4"}),
        ),
    )
    .await;
    // Reading her unmasked bank details is logged; a masked read is not, and neither
    // shows on the timeline.
    let contact_id: uuid::Uuid = id.parse().unwrap();
    let reads = |api: &Api| {
        let store = api.store.clone();
        async move {
            store
                .whole_history(contact_id)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "read_sensitive")
                .count()
        }
    };
    assert_eq!(reads(&api).await, 0);
    let masked = api
        .call(&user, "GET", &format!("/api/v1/contacts/{id}"), None)
        .await;
    assert_ne!(masked.body["bank"]["iban"], "DE89370400440532013000");
    assert_eq!(
        reads(&api).await,
        0,
        "a masked read is not a read of bank details"
    );
    let full = api
        .call(&admin, "GET", &format!("/api/v1/contacts/{id}"), None)
        .await;
    assert_eq!(full.body["bank"]["iban"], "DE89370400440532013000");
    assert_eq!(reads(&api).await, 1);
    let path = format!("/api/v1/contacts/{id}/access-export");
    assert_eq!(
        api.call(&user, "GET", &path, None).await.status,
        StatusCode::FORBIDDEN,
        "bank details: not for every role"
    );
    let missing = api
        .call(
            &admin,
            "GET",
            &format!("/api/v1/contacts/{}/access-export", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let (status, headers, bytes) = api
        .get_bytes(&path, &[("authorization", &format!("Bearer {admin}"))])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("access-"));
    let data: serde_json::Value = serde_json::from_str(&unzip(&bytes, "daten.json")).unwrap();
    assert_eq!(data["contact"]["last_name"], "Doe <Smith>");
    assert_eq!(data["contact"]["bank"]["iban"], "DE89370400440532013000");
    let mut kinds: Vec<&str> = data["records"]["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    // Her note, the meeting she attended, and the review task about her new record.
    assert_eq!(kinds, ["meeting", "note", "task"]);
    assert!(!data.to_string().contains("Not about Jane"));
    assert_eq!(data["consents"]["events"][0]["ip_address"], "198.51.100.4");
    assert!(data["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "create"));
    assert!(data["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["kind"] == "user"));
    // The report is in her language, and her name is text, not markup.
    let report = unzip(&bytes, "report.html");
    assert!(report.contains("Access report under Art. 15 GDPR"));
    assert!(report.contains("Doe &lt;Smith&gt;") && !report.contains("Doe <Smith>"));
    assert!(report.contains("Newsletter · e-mail"), "{report}");
    // Handing it out is in the log.
    let timeline = api
        .call(
            &admin,
            "GET",
            &format!("/api/v1/contacts/{id}/timeline?kinds=change"),
            None,
        )
        .await;
    assert!(
        timeline.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["data"]["action"] == "access_export"),
        "{:?}",
        timeline.body
    );
    assert!(
        !timeline.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["data"]["action"] == "read_sensitive"),
        "reads stay off the timeline"
    );
    // The page offers it to those who may see bank details (and logs that they did).
    let (cookie, _) = web_session_as(&api, "boss", Role::Manager).await;
    let (_, _, html) = api
        .send_form(
            "GET",
            &format!("/contacts/{id}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(html.contains("access-export"));
    assert_eq!(reads(&api).await, 2);
    let (status, _, _) = api
        .send_form(
            "GET",
            &format!("/contacts/{id}/access-export"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (cookie, _) = web_session_as(&api, "clerk", Role::User).await;
    let (_, _, html) = api
        .send_form(
            "GET",
            &format!("/contacts/{id}"),
            &[("cookie", &cookie)],
            None,
        )
        .await;
    assert!(!html.contains("access-export"));
}

async fn admins_and_managers_configure_purposes_on_a_page(api: Api) {
    let (clerk, _) = web_session_as(&api, "clerk", Role::User).await;
    let (status, _, _) = api
        .send_form("GET", "/admin/purposes", &[("cookie", &clerk)], None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (cookie, csrf) = web_session_as(&api, "boss", Role::Manager).await;
    for (lang, heading) in [("de", "Einwilligungszwecke"), ("en", "Consent purposes")] {
        let (status, _, html) = api
            .send_form(
                "GET",
                "/admin/purposes",
                &[("cookie", &cookie), ("accept-language", lang)],
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(heading) && html.contains("Werbeanrufe"),
            "{lang}"
        );
    }
    let post = |body: String| {
        let api = &api;
        let cookie = cookie.clone();
        async move {
            api.send_form(
                "POST",
                "/admin/purposes",
                &[("cookie", &cookie), ("accept-language", "de")],
                Some(&body),
            )
            .await
        }
    };
    // A bad key and a missing name: the form comes back with both named, nothing saved.
    let (status, _, html) = post(format!(
        "_csrf={}&key=Messe-2027&name_de=&name_en=Fairs&description_de=Einladungen&description_en=Invitations",
        encode(&csrf)
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Schlüssel:") && html.contains("Name (Deutsch):"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="Messe-2027""#),
        "what was typed stays"
    );
    assert!(!api
        .store
        .consent_purposes()
        .await
        .unwrap()
        .iter()
        .any(|p| p.key == "messe"));
    let (status, headers, _) = post(format!(
        "_csrf={}&key=messe&name_de=Messen&name_en=Fairs&description_de=Einladungen&description_en=Invitations",
        encode(&csrf)
    ))
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    // Renaming keeps the key.
    post(format!(
        "_csrf={}&key=newsletter&name_de=Rundbrief&name_en=Newsletter&description_de=Monatlich.&description_en=Monthly.",
        encode(&csrf)
    ))
    .await;
    let purposes = api.store.consent_purposes().await.unwrap();
    assert!(purposes
        .iter()
        .any(|p| p.key == "messe" && p.name_en == "Fairs"));
    assert!(purposes
        .iter()
        .any(|p| p.key == "newsletter" && p.name_de == "Rundbrief"));
}

api_story!(consents_through_the_api_and_the_page);
api_story!(admins_and_managers_configure_purposes_on_a_page);
api_story!(the_access_export_holds_everything_about_the_person);
