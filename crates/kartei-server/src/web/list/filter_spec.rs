//! What the filter builder offers: the fields of a kind with their translated labels,
//! their operators, choices and the tags.

use crate::web::error::WebError;
use crate::web::records::WebRecord;
use crate::AppState;
use kartei_app::columns::custom_label;
use kartei_app::texts::{consent_word, purpose_name, Tr};
use kartei_core::consent::CHANNELS;
use kartei_core::fields::{fields, FieldKind};
use kartei_core::i18n::Lang;
use kartei_core::record::Entity;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The fields, operators and tags the filter builder offers.
pub(super) async fn filter_spec<R: WebRecord>(
    state: &AppState,
    lang: Lang,
    users: &[(Uuid, String)],
) -> Result<String, WebError> {
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let tags = state.store.tag_refs().await?;
    let mut list = Vec::new();
    for f in fields(R::ENTITY) {
        let label = kartei_app::texts::field_label(f.name, lang);
        let (kind, options): (&str, Vec<(String, String)>) = match f.kind {
            FieldKind::Text => ("text", Vec::new()),
            FieldKind::Phone => ("phone", Vec::new()),
            FieldKind::Choice(codes) => (
                "choice",
                codes
                    .iter()
                    .map(|c| {
                        (
                            c.to_string(),
                            kartei_app::texts::option_label(c, lang).to_string(),
                        )
                    })
                    .collect(),
            ),
            FieldKind::Date => ("date", Vec::new()),
            FieldKind::Timestamp => ("timestamp", Vec::new()),
            FieldKind::Integer => ("number", Vec::new()),
            FieldKind::Boolean => ("boolean", Vec::new()),
            FieldKind::Reference if f.name == "owner_id" => (
                "choice",
                users
                    .iter()
                    .map(|(id, n)| (id.to_string(), n.clone()))
                    .collect(),
            ),
            FieldKind::Reference => continue,
        };
        list.push(json!({"name": f.name, "label": label, "kind": kind, "options": options}));
    }
    for d in &defs {
        use kartei_core::custom_field::CustomKind as K;
        let kind = match d.kind {
            K::Text => "text",
            K::Number => "number",
            K::Date => "date",
            K::Boolean => "boolean",
            K::SingleChoice | K::MultiChoice => "choice",
        };
        let options: Vec<(String, String)> = d
            .options
            .iter()
            .map(|o| {
                (
                    o.key.clone(),
                    lang.pick(&o.label_de, &o.label_en).to_string(),
                )
            })
            .collect();
        list.push(json!({"name": format!("custom.{}", d.key), "label": custom_label(d, lang), "kind": kind, "options": options}));
    }
    let tr = Tr(lang);
    let ops: HashMap<&str, &str> = [
        "eq",
        "ne",
        "contains",
        "starts_with",
        "lt",
        "le",
        "gt",
        "ge",
        "is_empty",
        "not_empty",
        "has_tag",
        "not_tag",
        "may_contact",
        "not_may_contact",
    ]
    .into_iter()
    .map(|op| (op, tr.t(&format!("op.{op}"))))
    .collect();
    // Contacts: "may be contacted for" a purpose on a channel.
    let consents: Option<Vec<(String, String)>> = if R::ENTITY == Entity::Contact {
        let purposes = state.store.consent_purposes().await?;
        Some(
            purposes
                .iter()
                .flat_map(|p| {
                    CHANNELS.iter().map(move |c| {
                        (
                            format!("{c}:{}", p.key),
                            format!(
                                "{} · {}",
                                purpose_name(p, lang),
                                consent_word("channel", c, lang)
                            ),
                        )
                    })
                })
                .collect(),
        )
    } else {
        None
    };
    let spec = json!({
        "fields": list,
        "tags": tags.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "consents": consents,
        "ops": ops,
        "texts": {
            "add": tr.t("list.add_condition"),
            "remove": tr.t("action.remove"),
            "all": tr.t("list.match_all"),
            "any": tr.t("list.match_any"),
            "match": tr.t("list.match"),
            "yes": tr.t("common.yes"),
            "no": tr.t("common.no"),
            "consent": tr.t("consent.panel"),
        }
    });
    Ok(script_json(&spec))
}

/// JSON to embed in a page's `<script type="application/json">`: every `<` (and `>`,
/// `&`) written as a JSON escape, so no text in it (`</script>`, `<!--`) can end the
/// element or change how the HTML parser reads it. `JSON.parse` reads it unchanged.
pub fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::script_json;

    #[test]
    fn embedded_json_cannot_end_its_script() {
        let v = serde_json::json!({"tag": "<!--<script>", "x": "</script><b>&amp;"});
        let text = script_json(&v);
        assert!(
            !text.contains('<') && !text.contains('>') && !text.contains('&'),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
