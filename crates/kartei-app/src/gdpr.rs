//! Answering an access request (Art. 15 GDPR) and a portability request (Art. 20): one
//! ZIP with everything Kartei holds about a person as JSON (machine-readable, the API's
//! shapes) and a readable report in the person's language that a clerk can hand over.
//! Handing it out is logged.

use crate::json::RecordOut;
use crate::texts::{consent_word, field_label, purpose_name, Tr};
use kartei_core::contact::ContactData;
use kartei_core::i18n::Lang;
use kartei_core::record::{Entity, RecordData};
use kartei_store::{Actor, Store, StoreError};
use serde_json::{json, Map, Value};
use std::fmt::Write;
use uuid::Uuid;

/// The archive and the name to save it under.
pub struct AccessExport {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The language of the report: the person's, else German.
    pub lang: Lang,
}

/// Everything about one contact: master data (bank details unmasked: it is the
/// person's own), the records that link it, loyalty points, consents with their proof,
/// the change history and where the data came from.
pub async fn access_export(
    store: &Store,
    actor: &Actor,
    contact: Uuid,
) -> Result<AccessExport, StoreError> {
    let record = store.get::<ContactData>(contact).await?;
    let lang = record
        .data
        .language
        .as_deref()
        .and_then(|l| Lang::parse(&l.to_lowercase()))
        .unwrap_or(Lang::De);
    let organization = match record.data.organization_id {
        Some(id) => store.organization_display_names(&[id]).await?.remove(&id),
        None => None,
    };
    let mut records = Map::new();
    macro_rules! linking {
        ($($kind:ident / $table:ident: $data:ty = $name:literal, $collection:literal;)*) => {
            $(if <$data as RecordData>::LINKS_CONTACTS {
                let found = store.records_linking::<$data>(contact).await?;
                let items: Vec<Value> = found
                    .into_iter()
                    .map(|r| serde_json::to_value(RecordOut::new(r, true)))
                    .collect::<Result<_, _>>()?;
                records.insert($collection.to_string(), Value::Array(items));
            })*
        };
    }
    kartei_core::with_record_kinds!(linking);
    let consents = store.consents(contact).await?;
    let loyalty = store.loyalty_entries(contact, 500).await?;
    let history = store.whole_history(contact).await?;
    let mut sources: Vec<Value> = Vec::new();
    for e in &history {
        let source = match (&e.import, e.action.as_str()) {
            (Some(i), _) => json!({"kind": "import", "file": i.file_name, "at": i.started_at}),
            (None, "create") => json!({"kind": "user", "name": e.actor_name, "at": e.at}),
            _ => continue,
        };
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    for e in consents.events.iter().filter(|e| e.source == "web_form") {
        sources.push(json!({"kind": "web_form", "at": e.occurred_at, "ip_address": e.ip_address}));
    }
    let exported_at = kartei_store::now();
    let contact_json = serde_json::to_value(RecordOut::new(record.clone(), true))?;
    let data = json!({
        "exported_at": exported_at,
        "contact": contact_json,
        "organization": organization,
        "records": records,
        "loyalty": loyalty,
        "consents": consents,
        "history": history,
        "sources": sources,
    });
    let purposes = store.consent_purposes().await?;
    let report = report(&data, &record.data, &purposes, lang);
    let json_text = serde_json::to_string_pretty(&data)?;
    let bytes = kartei_formats::xlsx::archive(&[
        ("daten.json", json_text.as_bytes()),
        (report_name(lang), report.as_bytes()),
    ]);
    let counts: Map<String, Value> = records
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.as_array().map_or(0, Vec::len))))
        .collect();
    store
        .log_access_export(
            actor,
            contact,
            &json!({"records": counts, "consent_events": consents.events.len(), "history": history.len()}),
        )
        .await?;
    Ok(AccessExport {
        file_name: format!(
            "{}-{contact}-{}.zip",
            lang.pick("auskunft", "access"),
            exported_at.format("%Y-%m-%d")
        ),
        bytes,
        lang,
    })
}

fn report_name(lang: Lang) -> &'static str {
    lang.pick("auskunft.html", "report.html")
}

/// Text for HTML: `<`, `>`, `&` and quotes escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value in words: text as it is, lists and objects as their parts.
fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(plain)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .values()
            .map(plain)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The readable report: master data, consents, records by kind, origin.
fn report(
    data: &Value,
    contact: &ContactData,
    purposes: &[kartei_core::consent::Purpose],
    lang: Lang,
) -> String {
    let tr = Tr(lang);
    let title = lang.pick(
        "Auskunft nach Art. 15 DSGVO",
        "Access report under Art. 15 GDPR",
    );
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.4}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}}</style>\
         </head><body><h1>{title}</h1><p>{}: {}<br>{}: {}</p>",
        lang.pick("de", "en"),
        lang.pick("Person", "Person"),
        escape(&contact.display_name()),
        lang.pick("Erstellt am", "Created on"),
        escape(&crate::format::timestamp(kartei_store::now(), lang)),
    );
    let _ = write!(
        h,
        "<h2>{}</h2><table>",
        lang.pick("Stammdaten", "Master data")
    );
    if let Some(map) = data["contact"].as_object() {
        for (key, value) in map {
            let text = plain(value);
            if text.is_empty() || key == "version" {
                continue;
            }
            let _ = write!(
                h,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(&field_label(key, lang)),
                escape(&text)
            );
        }
    }
    if let Some(org) = data["organization"].as_str() {
        let _ = write!(
            h,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&field_label("organization_id", lang)),
            escape(org)
        );
    }
    h.push_str("</table>");
    let _ = write!(h, "<h2>{}</h2>", tr.t("consent.panel"));
    let events = data["consents"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if events.is_empty() {
        let _ = write!(h, "<p>{}</p>", tr.t("consent.none"));
    } else {
        h.push_str("<table>");
        for e in &events {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            let purpose = purposes
                .iter()
                .find(|p| p.key == s("purpose"))
                .map_or_else(|| s("purpose"), |p| purpose_name(p, lang).to_string());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{} · {}</td><td>{}</td><td>{} · {}</td><td>{}</td></tr>",
                escape(&s("occurred_at")),
                escape(&purpose),
                escape(&consent_word("channel", &s("channel"), lang)),
                escape(&consent_word("status", &s("status"), lang)),
                escape(&consent_word("basis", &s("basis"), lang)),
                escape(&consent_word("source", &s("source"), lang)),
                escape(
                    &[s("wording"), s("proof")]
                        .into_iter()
                        .filter(|x| !x.is_empty())
                        .collect::<Vec<_>>()
                        .join(" – ")
                ),
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<h2>{}</h2><ul>",
        lang.pick("Weitere gespeicherte Daten", "Other data kept")
    );
    if let Some(records) = data["records"].as_object() {
        for (collection, items) in records {
            let n = items.as_array().map_or(0, Vec::len);
            let label = Entity::ALL
                .into_iter()
                .find(|e| e.collection() == collection.as_str())
                .map_or_else(
                    || collection.clone(),
                    |e| tr.t(&format!("entity.{}", e.as_str())).to_string(),
                );
            let _ = write!(h, "<li>{}: {n}</li>", escape(&label));
        }
    }
    let _ = write!(
        h,
        "<li>{}: {}</li><li>{}: {}</li></ul>",
        tr.t("loyalty.title"),
        data["loyalty"].as_array().map_or(0, Vec::len),
        lang.pick(
            "Einträge im Änderungsprotokoll",
            "Entries in the change log"
        ),
        data["history"].as_array().map_or(0, Vec::len),
    );
    let _ = write!(
        h,
        "<h2>{}</h2><ul>",
        lang.pick("Herkunft der Daten", "Where the data came from")
    );
    for s in data["sources"].as_array().cloned().unwrap_or_default() {
        let line = match s["kind"].as_str() {
            Some("import") => format!(
                "{} {}",
                lang.pick("Import der Datei", "Import of the file"),
                plain(&s["file"])
            ),
            Some("user") => format!(
                "{} {}",
                lang.pick("Erfasst von", "Entered by"),
                plain(&s["name"])
            ),
            Some("web_form") => lang.pick("Webformular", "Web form").to_string(),
            _ => plain(&s),
        };
        let _ = write!(
            h,
            "<li>{} ({})</li>",
            escape(&line),
            escape(&plain(&s["at"]))
        );
    }
    let _ = write!(
        h,
        "</ul><p>{}</p></body></html>",
        lang.pick(
            "Alle Angaben vollständig und maschinenlesbar: daten.json in diesem Archiv.",
            "Everything in full and machine-readable: daten.json in this archive.",
        )
    );
    h
}
