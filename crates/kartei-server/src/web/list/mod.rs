//! The list pages: choosable columns, sort by header, the filter builder, quick search,
//! keyset paging, saved views and bulk actions on the selected rows.

mod actions;
mod filter_spec;
mod mailing;
mod table;

pub use actions::{bulk, delete_view, export_all, save_view};
use filter_spec::filter_spec;
pub use mailing::mailing_page;
use table::table;
pub use table::Table;

use crate::web::error::WebError;
use crate::web::form::FormData;
use crate::web::records::WebRecord;
use crate::web::session::{Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use kartei_app::columns::custom_label;
use kartei_app::export::user_names;
use kartei_core::access::Permission;
use kartei_core::segment::Segment;
use serde::{Deserialize, Serialize};
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
    /// Contacts: the list for a mailing.
    pub mailing_href: Option<String>,
    pub export_xlsx_href: String,
    pub export_json_href: String,
    pub export_vcard_href: Option<String>,
    pub users: Vec<(Uuid, String)>,
    pub can_export: bool,
    /// Contacts: the short form beside the full one, owned by the reader by default.
    pub quick_add: bool,
    pub me: Uuid,
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
        R::DEFAULT_COLUMNS
            .iter()
            .map(std::string::ToString::to_string)
            .collect()
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
    let mailing_href = (R::ENTITY == kartei_core::record::Entity::Contact)
        .then(|| list_state.href("/contacts/mailing", &export_extra));
    let page = ListPage {
        mailing_href,
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
        quick_add: R::ENTITY == kartei_core::record::Entity::Contact
            && session.may(Permission::WriteRecords),
        me: session.user.id,
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
