//! The fields of a kind's form, built from its form table, with the names of what
//! they link.

use super::*;
use crate::web::error::WebError;
use crate::web::records::{Input, WebRecord};
use crate::AppState;
use kartei_app::columns::custom_label;
use kartei_app::export::user_names;
use kartei_app::texts::{field_label, Tr};
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{CustomFieldDef, CustomKind};
use kartei_core::record::Entity;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub(super) fn build<R: WebRecord>(
    src: &Sources<'_>,
    lookups: &Lookups,
    sensitive: bool,
) -> (Vec<Section>, Vec<Group>) {
    let lang = src.lang;
    let tr = Tr(lang);
    let mut sections: Vec<Section> = R::FORM
        .iter()
        .map(|(title, fields)| Section {
            key: title,
            title: tr.t(title),
            fields: fields
                .iter()
                .map(|(name, input)| {
                    src.input(
                        name,
                        field_label(name.split('[').next().unwrap_or(name), lang),
                        *input,
                        lookups,
                    )
                })
                .collect(),
        })
        .collect();
    if sensitive && R::SENSITIVE.contains(&"bank") {
        sections.push(Section {
            key: "detail.bank",
            title: tr.t("detail.bank"),
            fields: ["iban", "bic", "account_holder"]
                .iter()
                .map(|k| {
                    src.input(
                        &format!("bank.{k}"),
                        field_label(k, lang),
                        Input::Text,
                        lookups,
                    )
                })
                .collect(),
        });
    }
    let defs: Vec<&CustomFieldDef> = lookups
        .defs
        .iter()
        .filter(|d| d.entity == R::ENTITY)
        .collect();
    if !defs.is_empty() {
        sections.push(Section {
            key: "detail.custom",
            title: tr.t("detail.custom"),
            fields: defs
                .iter()
                .map(|d| {
                    let name = format!("custom.{}", d.key);
                    let label = custom_label(d, lang).to_string();
                    let options = || -> Vec<(String, String, bool)> {
                        let chosen: Vec<String> = match at(src.mine, &name) {
                            Some(Value::Array(items)) => {
                                items.iter().map(|i| as_text(Some(i))).collect()
                            }
                            other => vec![as_text(other)],
                        };
                        d.options
                            .iter()
                            .map(|o| {
                                (
                                    o.key.clone(),
                                    lang.pick(&o.label_de, &o.label_en).to_string(),
                                    chosen.contains(&o.key),
                                )
                            })
                            .collect()
                    };
                    let mut f = src.input(&name, label, Input::Text, lookups);
                    match d.kind {
                        CustomKind::Text => {}
                        CustomKind::Number => f.input = "decimal",
                        CustomKind::Date => f.input = "date",
                        CustomKind::Boolean => {
                            f.input = "select";
                            f.options = [("true", "common.yes"), ("false", "common.no")]
                                .iter()
                                .map(|(v, k)| (v.to_string(), tr.t(k).to_string(), f.value == *v))
                                .collect();
                        }
                        CustomKind::SingleChoice => {
                            f.input = "select";
                            f.options = options();
                        }
                        CustomKind::MultiChoice => {
                            f.input = "checks";
                            f.options = options();
                        }
                    }
                    f
                })
                .collect(),
        });
    }
    let groups = R::GROUPS
        .iter()
        .map(|g| {
            let count = at(src.mine, g.key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            // One empty row more than filled, to type into without a script.
            let rows = (0..=count)
                .map(|i| {
                    g.fields
                        .iter()
                        .map(|(part, input)| {
                            let mut f = src.input(
                                &format!("{}[{i}].{part}", g.key),
                                field_label(part, lang),
                                *input,
                                lookups,
                            );
                            if *part == "kind" {
                                f.label = tr.t("form.kind").to_string();
                                f.required = true;
                            }
                            f
                        })
                        .collect()
                })
                .collect();
            Group {
                key: g.key,
                title: field_label(g.key, lang),
                add_label: tr.t(g.add_key),
                rows,
            }
        })
        .collect();
    (sections, groups)
}

/// Display names of the records a form links to.
pub(super) async fn linked_names(
    state: &AppState,
    docs: &[&Value],
    inputs: fn(&str) -> Option<Input>,
) -> Result<HashMap<Uuid, String>, WebError> {
    let mut wanted: Vec<(Entity, Uuid)> = Vec::new();
    fn walk(
        v: &Value,
        key: &str,
        inputs: fn(&str) -> Option<Input>,
        out: &mut Vec<(Entity, Uuid)>,
    ) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(v, k, inputs, out);
                }
            }
            Value::Array(items) => {
                for i in items {
                    walk(i, key, inputs, out);
                }
            }
            Value::String(s) => {
                if let (Some(Input::Pick(e)), Ok(id)) = (inputs(key), s.parse::<Uuid>()) {
                    out.push((e, id));
                }
            }
            _ => {}
        }
    }
    for d in docs {
        walk(d, "", inputs, &mut wanted);
    }
    let of = |e: Entity| -> Vec<Uuid> { wanted.iter().filter(|w| w.0 == e).map(|w| w.1).collect() };
    let store = &state.store;
    let mut names = store
        .organization_display_names(&of(Entity::Organization))
        .await?;
    names.extend(
        store
            .display_names::<ContactData>(&of(Entity::Contact))
            .await?,
    );
    names.extend(
        store
            .display_names::<kartei_core::deal::DealData>(&of(Entity::Deal))
            .await?,
    );
    names.extend(
        store
            .display_names::<kartei_core::commerce::ProductData>(&of(Entity::Product))
            .await?,
    );
    Ok(names)
}

pub(super) async fn lookups<R: WebRecord>(
    state: &AppState,
    docs: &[&Value],
) -> Result<Lookups, WebError> {
    let uses = |want: fn(&Input) -> bool| -> bool {
        R::FORM
            .iter()
            .flat_map(|(_, f)| f.iter())
            .chain(R::GROUPS.iter().flat_map(|g| g.fields.iter()))
            .any(|(_, i)| want(i))
    };
    let categories = if uses(|i| matches!(i, Input::Select(_))) {
        kartei_app::names::all_names::<kartei_core::commerce::ProductCategoryData>(&state.store)
            .await?
    } else {
        Vec::new()
    };
    let stages = if uses(|i| matches!(i, Input::Stage)) {
        kartei_app::names::stage_names(&state.store).await?
    } else {
        Vec::new()
    };
    Ok(Lookups {
        users: user_names(&state.store).await?,
        names: linked_names(state, docs, R::input_of).await?,
        categories,
        stages,
        defs: state.store.custom_fields(Some(R::ENTITY)).await?,
    })
}
