//! The table of a list page: the shown columns and the rows of a list or search.

use super::{ListState, PAGE_SIZE};
use crate::web::error::WebError;
use crate::web::records::WebRecord;
use crate::web::session::Session;
use crate::AppState;
use kartei_app::columns::{custom_cell, custom_label, Column, Columns};
use kartei_app::export::cell_context;
use kartei_app::texts::Tr;
use kartei_core::access::Permission;
use kartei_core::custom_field::CustomFieldDef;
use kartei_core::filter::{Filter, Sort};
use kartei_store::list::ListRequest;
use kartei_store::records::Record;
use kartei_store::search::SearchRequest;
use uuid::Uuid;

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
    /// The column's name, shown beside the value when the row is a card on a phone.
    pub label: String,
    /// The record's own page for its name, `mailto:` or `tel:` for an address or number.
    pub href: Option<String>,
    /// The name that heads the row's card on a phone.
    pub lead: bool,
}

impl Cell {
    fn new(key: &str, text: String, label: &str, record_href: &str, region: &str) -> Cell {
        let (text, href) = match key {
            "name" => (text, Some(record_href.to_string())),
            _ if text.is_empty() => (text, None),
            "email" => {
                let href = format!("mailto:{text}");
                (text, Some(href))
            }
            // Numbers are stored as E.164, which is what a phone dials.
            "phone" | "mobile" => (
                kartei_core::phone::display(&text, region),
                Some(format!("tel:{text}")),
            ),
            _ => (text, None),
        };
        Cell {
            text,
            label: label.to_string(),
            href,
            lead: key == "name",
        }
    }
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
    /// "128 Treffer", "mehr als 1.000 Treffer".
    pub count: String,
}

/// Lists and searches count exactly up to here, then say "more than".
pub const COUNT_CAP: u64 = 1000;

fn count_text(count: kartei_store::list::Count, tr: Tr) -> String {
    let n = kartei_app::format::integer(i64::try_from(count.n).unwrap_or(i64::MAX), tr.0);
    let key = match (count.more, count.n) {
        (true, _) => "list.count_more",
        (false, 1) => "list.count_one",
        (false, _) => "list.count",
    };
    tr.t(key).replace("{n}", &n)
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
pub(super) async fn table<R: WebRecord>(
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
    let headers: Vec<Header> = shown
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
            count: String::new(),
        });
    }
    let count = match q {
        Some(q) => {
            state
                .store
                .search_count::<R>(q, filter.as_ref(), COUNT_CAP)
                .await?
        }
        None => {
            state
                .store
                .count_up_to::<R>(filter.as_ref(), COUNT_CAP)
                .await?
        }
    };
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
    let with_consents = shown
        .iter()
        .any(|c| matches!(c, Shown::Builtin(b) if b.key == "consents"));
    let ctx = cell_context(&state.store, &page.items, lang, with_consents).await?;
    let sensitive = session.may(Permission::ViewSensitive);
    let region = state.store.default_region();
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
            let href = format!("{}/{}", R::PATH, r.id);
            let cells = shown
                .iter()
                .zip(&headers)
                .map(|(c, h)| match c {
                    Shown::Builtin(col) => {
                        Cell::new(col.key, (col.value)(&r, &ctx), &h.label, &href, region)
                    }
                    Shown::Custom(d) => Cell::new(
                        "custom",
                        custom_cell(d, r.data.custom().get(&d.key), lang),
                        &h.label,
                        &href,
                        region,
                    ),
                })
                .collect();
            Row {
                id: r.id,
                href,
                cells,
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
        count: count_text(count, tr),
    })
}
