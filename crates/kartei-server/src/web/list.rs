//! The list pages: choosable columns, sort by header, the filter builder, quick search,
//! keyset paging, saved views and bulk actions on the selected rows.

use super::error::WebError;
use super::form::FormData;
use super::records::WebRecord;
use super::session::{Posted, Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::columns::{custom_cell, custom_label, Column, Columns};
use kartei_app::export::{cell_context, user_names, Export, ExportError, ExportRequest, Format};
use kartei_app::texts::Tr;
use kartei_core::access::Permission;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::fields::{fields, FieldKind};
use kartei_core::filter::{Filter, Sort};
use kartei_core::i18n::Lang;
use kartei_core::segment::Segment;
use kartei_store::list::ListRequest;
use kartei_store::records::Record;
use kartei_store::search::SearchRequest;
use kartei_store::tags::TagSelector;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub const PAGE_SIZE: u64 = 50;

/// What a list shows: the part of the address a saved view keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cols: Vec<String>,
}

impl From<Segment> for ListState {
    fn from(s: Segment) -> ListState {
        ListState {
            q: s.q.clone(),
            filter: s.filter_text(),
            sort: s.sort,
            cols: s.cols,
        }
    }
}

impl ListState {
    /// The state as a segment to save; `None` when its filter is not a filter.
    pub fn segment(&self) -> Option<Segment> {
        let filter = match &self.filter {
            Some(text) => Some(serde_json::from_str(text).ok()?),
            None => None,
        };
        Some(Segment {
            q: self.q.clone(),
            filter,
            sort: self.sort.clone(),
            cols: self.cols.clone(),
        })
    }

    pub fn from_form(form: &FormData) -> ListState {
        ListState {
            q: form.get("q").map(str::to_string),
            filter: form
                .get("filter")
                .filter(|f| *f != "null" && *f != "{}")
                .map(str::to_string),
            sort: form.get("sort").map(str::to_string),
            cols: form
                .all("cols")
                .iter()
                .flat_map(|c| c.split(','))
                .map(str::to_string)
                .collect(),
        }
    }

    /// The address of this state, with `extra` pairs (a cursor, a view) appended.
    pub fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q", q));
        }
        if let Some(f) = &self.filter {
            pairs.push(("filter", f));
        }
        if let Some(s) = &self.sort {
            pairs.push(("sort", s));
        }
        let cols = self.cols.join(",");
        if !cols.is_empty() {
            pairs.push(("cols", &cols));
        }
        pairs.extend_from_slice(extra);
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    }
}

/// A column as the list shows it: built in, or a custom field.
enum Shown<R: 'static> {
    Builtin(&'static Column<R>),
    Custom(CustomFieldDef),
}

pub struct Header {
    pub label: String,
    pub href: Option<String>,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

pub struct Row {
    pub id: Uuid,
    pub href: String,
    pub cells: Vec<Cell>,
}

pub struct Cell {
    pub text: String,
    pub link: bool,
}

/// The table of a list page, also sent alone as the quick search's answer.
pub struct Table {
    pub tr: Tr,
    pub headers: Vec<Header>,
    pub rows: Vec<Row>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    pub error: Vec<String>,
    pub searching: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub shell: Shell,
    pub title: &'static str,
    pub path: &'static str,
    pub new_key: &'static str,
    pub entity: &'static str,
    pub state: ListState,
    pub view: Option<Uuid>,
    pub view_owned: bool,
    pub table: Table,
    pub column_choices: Vec<(String, String, bool)>,
    /// The filter builder's fields, tags and operators, as JSON for the page script.
    pub filter_spec: String,
    /// The whole list as CSV.
    pub export_href: String,
    pub export_xlsx_href: String,
    pub export_json_href: String,
    pub export_vcard_href: Option<String>,
    pub users: Vec<(Uuid, String)>,
    pub can_export: bool,
}

#[derive(Template)]
#[template(path = "rows.html")]
pub struct RowsFragment {
    pub table: Table,
}

fn parse_query(raw: Option<String>) -> Result<FormData, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| WebError::BadRequest)?;
    Ok(FormData::new(pairs))
}

fn shown_columns<R: Columns>(state: &ListState, defs: &[CustomFieldDef]) -> Vec<Shown<R>> {
    let keys: Vec<&str> = if state.cols.is_empty() {
        R::DEFAULT_COLUMNS.to_vec()
    } else {
        state.cols.iter().map(String::as_str).collect()
    };
    keys.iter()
        .filter_map(|k| match k.strip_prefix("custom.") {
            Some(key) => defs
                .iter()
                .find(|d| d.key == key)
                .map(|d| Shown::Custom(d.clone())),
            None => R::column(k).map(Shown::Builtin),
        })
        .collect()
}

/// Runs the list or search of `list_state` and renders its table.
async fn table<R: WebRecord>(
    state: &AppState,
    session: &Session,
    list_state: &ListState,
    cursor: Option<String>,
    view: Option<Uuid>,
) -> Result<Table, WebError> {
    let tr = Tr(session.lang);
    let lang = session.lang;
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let shown = shown_columns::<R>(list_state, &defs);
    let mut error = Vec::new();
    let filter = match list_state.filter.as_deref() {
        Some(text) => match serde_json::from_str::<Filter>(text) {
            Ok(f) => match f.typed(R::ENTITY, &defs) {
                Ok(t) => Some(t),
                Err(fields) => {
                    error.extend(
                        fields
                            .iter()
                            .map(|e| format!("{}: {}", e.field, e.code.message(lang))),
                    );
                    None
                }
            },
            Err(_) => {
                error.push(
                    kartei_core::validation::ErrorCode::InvalidFilter
                        .message(lang)
                        .to_string(),
                );
                None
            }
        },
        None => None,
    };
    let sort = match list_state.sort.as_deref() {
        Some(s) => match Sort::parse(R::ENTITY, &defs, s) {
            Ok(sort) => sort,
            Err(fields) => {
                error.extend(
                    fields
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.code.message(lang))),
                );
                Sort::by_name()
            }
        },
        None => Sort::by_name(),
    };
    let q = list_state
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let view_id = view.map(|v| v.to_string());
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if let Some(v) = &view_id {
        extra.push(("view", v));
    }
    let headers = shown
        .iter()
        .map(|c| {
            let (label, sort_key) = match c {
                Shown::Builtin(col) => (col.label(lang).to_string(), col.sort.map(str::to_string)),
                Shown::Custom(d) => (
                    custom_label(d, lang).to_string(),
                    d.kind.sortable().then(|| format!("custom.{}", d.key)),
                ),
            };
            let current = list_state.sort.as_deref().unwrap_or("name");
            let (aria_sort, arrow, next) = match sort_key.as_deref() {
                Some(k) if q.is_none() && current == k => ("ascending", "▲", format!("-{k}")),
                Some(k) if q.is_none() && current.strip_prefix('-') == Some(k) => {
                    ("descending", "▼", k.to_string())
                }
                Some(k) => ("none", "", k.to_string()),
                None => ("none", "", String::new()),
            };
            let href = sort_key.map(|_| {
                let mut s = list_state.clone();
                s.sort = Some(next);
                s.href(R::PATH, &extra)
            });
            Header {
                label,
                href,
                aria_sort,
                arrow,
            }
        })
        .collect();
    if !error.is_empty() {
        return Ok(Table {
            tr,
            headers,
            rows: Vec::new(),
            next_href: None,
            first_href: None,
            error,
            searching: q.is_some(),
        });
    }
    let page = match q {
        Some(q) => {
            state
                .store
                .search::<R>(&SearchRequest {
                    q: q.chars().take(200).collect(),
                    filter,
                    cursor: cursor.clone(),
                    limit: PAGE_SIZE,
                })
                .await?
        }
        None => {
            state
                .store
                .list::<R>(&ListRequest {
                    filter,
                    sort,
                    cursor: cursor.clone(),
                    limit: PAGE_SIZE,
                    with_total: false,
                })
                .await?
        }
    };
    let ctx = cell_context(&state.store, &page.items, lang).await?;
    let sensitive = session.may(Permission::ViewSensitive);
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let r = if sensitive {
                r
            } else {
                Record {
                    data: r.data.masked(),
                    ..r
                }
            };
            Row {
                id: r.id,
                href: format!("{}/{}", R::PATH, r.id),
                cells: shown
                    .iter()
                    .map(|c| match c {
                        Shown::Builtin(col) => Cell {
                            text: (col.value)(&r, &ctx),
                            link: col.key == "name",
                        },
                        Shown::Custom(d) => Cell {
                            text: custom_cell(d, r.data.custom().get(&d.key), lang),
                            link: false,
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let next_href = page.next_cursor.map(|c| {
        let mut with_cursor = extra.clone();
        with_cursor.push(("cursor", &c));
        list_state.href(R::PATH, &with_cursor)
    });
    Ok(Table {
        tr,
        headers,
        rows,
        next_href,
        first_href: cursor.map(|_| list_state.href(R::PATH, &extra)),
        error,
        searching: q.is_some(),
    })
}

/// The fields, operators and tags the filter builder offers.
async fn filter_spec<R: WebRecord>(
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
    ]
    .into_iter()
    .map(|op| (op, tr.t(&format!("op.{op}"))))
    .collect();
    let spec = json!({
        "fields": list,
        "tags": tags.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "ops": ops,
        "texts": {
            "add": tr.t("list.add_condition"),
            "remove": tr.t("action.remove"),
            "all": tr.t("list.match_all"),
            "any": tr.t("list.match_any"),
            "match": tr.t("list.match"),
            "yes": tr.t("common.yes"),
            "no": tr.t("common.no"),
        }
    });
    // Inside a <script> element, "</" would end it early.
    Ok(spec.to_string().replace("</", "<\\/"))
}

pub async fn list_page<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let here = match &raw {
        Some(q) => format!("{}?{q}", R::PATH),
        None => R::PATH.to_string(),
    };
    let query = parse_query(raw)?;
    let mut list_state = ListState::from_form(&query);
    let view = match query.get("view") {
        Some(id) => {
            let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
            let saved = state.store.saved_view(session.user.id, id).await?;
            if saved.entity != R::ENTITY {
                return Err(WebError::NotFound);
            }
            let stored = ListState::from(saved.segment()?);
            // What the address says wins over the view (a click on a header re-sorts it).
            if list_state == ListState::default() {
                list_state = stored;
            } else {
                list_state.filter = list_state.filter.or(stored.filter);
                if list_state.cols.is_empty() {
                    list_state.cols = stored.cols;
                }
            }
            Some(saved)
        }
        None => None,
    };
    let cursor = query.get("cursor").map(str::to_string);
    let table = table::<R>(
        &state,
        &session,
        &list_state,
        cursor,
        view.as_ref().map(|v| v.id),
    )
    .await?;
    let shell = Shell::load(&state, &session, R::SECTION, &here, query.get("notice")).await?;
    let lang = session.lang;
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let chosen: Vec<String> = if list_state.cols.is_empty() {
        R::DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect()
    } else {
        list_state.cols.clone()
    };
    let mut column_choices: Vec<(String, String, bool)> = R::COLUMNS
        .iter()
        .filter(|c| c.key != "id")
        .map(|c| {
            (
                c.key.to_string(),
                c.label(lang).to_string(),
                chosen.iter().any(|k| k == c.key),
            )
        })
        .collect();
    column_choices.extend(defs.iter().map(|d| {
        let key = format!("custom.{}", d.key);
        let on = chosen.contains(&key);
        (key, custom_label(d, lang).to_string(), on)
    }));
    let mut users: Vec<(Uuid, String)> = user_names(&state.store).await?.into_iter().collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    let view_id = view.as_ref().map(|v| v.id.to_string());
    let export_extra: Vec<(&str, &str)> = view_id.iter().map(|v| ("view", v.as_str())).collect();
    let export_href = list_state.href(&format!("{}/export", R::PATH), &export_extra);
    let format_href = |format: &str| {
        let mut extra = export_extra.clone();
        extra.push(("format", format));
        list_state.href(&format!("{}/export", R::PATH), &extra)
    };
    let export_xlsx_href = format_href("xlsx");
    let export_json_href = format_href("json");
    let export_vcard_href =
        (R::ENTITY == kartei_core::record::Entity::Contact).then(|| format_href("vcard"));
    let page = ListPage {
        export_href,
        export_xlsx_href,
        export_json_href,
        export_vcard_href,
        filter_spec: filter_spec::<R>(&state, lang, &users).await?,
        title: shell.t(R::TITLE_KEY),
        shell,
        path: R::PATH,
        new_key: R::NEW_KEY,
        entity: R::ENTITY.as_str(),
        view_owned: view
            .as_ref()
            .is_some_and(|v| v.owner_id == session.user.id || session.may(Permission::ManageUsers)),
        view: view.map(|v| v.id),
        state: list_state,
        table,
        column_choices,
        users,
        can_export: session.may(Permission::ReadRecords),
    };
    Ok(Html(page.render()?).into_response())
}

/// The table alone, for the quick search as the user types.
pub async fn rows_fragment<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let query = parse_query(raw)?;
    let list_state = ListState::from_form(&query);
    let table = table::<R>(&state, &session, &list_state, None, None).await?;
    Ok(Html(RowsFragment { table }.render()?).into_response())
}

/// Saves the list's current state as a view.
pub async fn save_view(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let entity = form
        .get("entity")
        .and_then(kartei_core::record::Entity::parse)
        .ok_or(WebError::BadRequest)?;
    let list_state = ListState::from_form(&form);
    let path = &super::records::page_path(entity);
    let invalid =
        || Redirect::to(&list_state.href(path, &[("notice", "list.view_invalid")])).into_response();
    let Some(segment) = list_state.segment() else {
        return Ok(invalid());
    };
    let name = form.get("name").unwrap_or("");
    match state
        .store
        .create_saved_view(
            &session.actor(),
            session.user.id,
            entity,
            name,
            form.get("shared") == Some("on"),
            &segment,
        )
        .await
    {
        Ok(view) => Ok(Redirect::to(&format!("{path}?view={}", view.id)).into_response()),
        // A blank or too long name, or a filter that does not fit: back to the list,
        // which keeps its state.
        Err(kartei_store::StoreError::Invalid(_)) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_view(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    let view = state.store.saved_view(session.user.id, id).await?;
    state
        .store
        .delete_saved_view(
            &session.actor(),
            session.user.id,
            id,
            session.may(Permission::ManageUsers),
        )
        .await?;
    Ok(Redirect::to(&super::records::page_path(view.entity)).into_response())
}

/// Tag, untag, assign an owner, export or delete the selected rows: all or nothing.
pub async fn bulk<R: WebRecord>(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    let ids: Vec<Uuid> = form
        .all("ids")
        .iter()
        .map(|s| s.parse().map_err(|_| WebError::BadRequest))
        .collect::<Result<_, _>>()?;
    let back = form
        .get("_back")
        .filter(|b| super::session::is_local_path(b))
        .unwrap_or(R::PATH)
        .to_string();
    let with_notice =
        |key: &str| Redirect::to(&super::session::with_notice(&back, key)).into_response();
    if ids.is_empty() {
        return Ok(with_notice("bulk.nothing_selected"));
    }
    let actor = session.actor();
    let action = form.get("action").unwrap_or("");
    if action == "export" {
        session.require(Permission::ReadRecords)?;
        return export_csv::<R>(&state, &session, &ids).await;
    }
    session.require(Permission::WriteRecords)?;
    let result = match action {
        "tag" => match form.get("tag") {
            Some(tag) => state
                .store
                .attach_tag(&actor, R::ENTITY, &ids, TagSelector::Name(tag.to_string()))
                .await
                .map(|_| ()),
            None => return Ok(with_notice("bulk.tag_required")),
        },
        "untag" => {
            let Some(tag) = form.get("tag") else {
                return Ok(with_notice("bulk.tag_required"));
            };
            let key = kartei_core::text::fold(tag);
            match state
                .store
                .tag_refs()
                .await?
                .into_iter()
                .find(|t| kartei_core::text::fold(&t.name) == key)
            {
                Some(t) => state
                    .store
                    .detach_tag(&actor, R::ENTITY, &ids, t.id)
                    .await
                    .map(|_| ()),
                None => Ok(()),
            }
        }
        "owner" => {
            let owner = form
                .get("owner")
                .map(str::parse::<Uuid>)
                .transpose()
                .map_err(|_| WebError::BadRequest)?;
            state
                .store
                .update_many::<R>(&actor, &ids, &json!({ "owner_id": owner }))
                .await
        }
        "delete" => state.store.delete_many(&actor, R::ENTITY, &ids).await,
        _ => return Err(WebError::BadRequest),
    };
    match result {
        Ok(()) => Ok(with_notice("saved.created")),
        Err(kartei_store::StoreError::Invalid(_)) => Ok(with_notice("bulk.invalid")),
        Err(e) => Err(e.into()),
    }
}

async fn export_csv<R: WebRecord>(
    state: &AppState,
    session: &Session,
    ids: &[Uuid],
) -> Result<Response, WebError> {
    let lang = session.lang;
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        records.push(state.store.get::<R>(*id).await?);
    }
    if !session.may(Permission::ViewSensitive) {
        records = records
            .into_iter()
            .map(|r| Record {
                data: r.data.masked(),
                ..r
            })
            .collect();
    }
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let ctx = cell_context(&state.store, &records, lang).await?;
    let mut out = kartei_app::columns::csv_header::<R>(&defs, lang);
    for r in &records {
        out.push_str(&kartei_app::columns::csv_row(r, &defs, &ctx));
    }
    let name = format!(
        "{}-{}.csv",
        R::ENTITY.table(),
        kartei_store::now().format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response())
}

/// The whole list as it is filtered, searched and sorted, in the list's chosen columns
/// (all exported ones when none are chosen), in the format asked for (`format=csv`,
/// `xlsx`, `json`, `vcard`), streamed page by page so that any size works.
pub async fn export_all<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let query = parse_query(raw)?;
    let mut list_state = ListState::from_form(&query);
    if let Some(id) = query.get("view").and_then(|v| v.parse::<Uuid>().ok()) {
        let saved = state.store.saved_view(session.user.id, id).await?;
        if list_state == ListState::default() {
            list_state = ListState::from(saved.segment()?);
        }
    }
    let segment = list_state.segment().ok_or(WebError::BadRequest)?;
    let format = Format::parse(query.get("format").unwrap_or("csv")).ok_or(WebError::BadRequest)?;
    let request = ExportRequest {
        segment,
        format,
        lang: session.lang,
        sensitive: session.may(Permission::ViewSensitive),
    };
    let mut export = match Export::<R>::open(Arc::clone(&state.store), request).await {
        Ok(e) => e,
        Err(ExportError::Invalid(_)) => return Err(WebError::BadRequest),
        Err(ExportError::Store(e)) => return Err(e.into()),
    };
    let headers = [
        (header::CONTENT_TYPE, format.content_type().to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", export.file_name()),
        ),
    ];
    // The opening, each page, then the closing; a failed page breaks the download off
    // visibly instead of ending it as if complete.
    let stream = futures_util::stream::unfold(Some((export.opening(), export)), |step| async {
        let (opening, mut export) = step?;
        if !opening.is_empty() {
            return Some((Ok(opening), Some((Vec::new(), export))));
        }
        match export.next_page().await {
            Ok(Some(page)) => Some((Ok(page), Some((Vec::new(), export)))),
            Ok(None) => Some((Ok(export.closing()), None)),
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    Ok((headers, axum::body::Body::from_stream(stream)).into_response())
}
