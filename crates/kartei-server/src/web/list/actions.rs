//! What a list does besides showing: saved views, bulk actions on the selected rows
//! and the export of the whole list.

use super::{parse_query, ListState};
use crate::web::error::WebError;
use crate::web::records::WebRecord;
use crate::web::session::{Posted, Session};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use kartei_app::export::{cell_context, Export, ExportError, ExportRequest, Format};
use kartei_core::access::Permission;
use kartei_store::records::Record;
use kartei_store::tags::TagSelector;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

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
    let path = &crate::web::records::page_path(entity);
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
    Ok(Redirect::to(&crate::web::records::page_path(view.entity)).into_response())
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
        .filter(|b| crate::web::session::is_local_path(b))
        .unwrap_or(R::PATH)
        .to_string();
    let with_notice =
        |key: &str| Redirect::to(&crate::web::session::with_notice(&back, key)).into_response();
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
    // The selection's CSV has the export columns, which leave out the consents.
    let ctx = cell_context(&state.store, &records, lang, false).await?;
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

/// The segment a list address names: its own search, filter, sort and columns, or
/// those of the saved view it names when it has none.
pub(super) async fn segment_of(
    state: &AppState,
    session: &Session,
    query: &crate::web::form::FormData,
) -> Result<kartei_core::segment::Segment, WebError> {
    let mut list_state = ListState::from_form(query);
    if let Some(id) = query.get("view").and_then(|v| v.parse::<Uuid>().ok()) {
        let saved = state.store.saved_view(session.user.id, id).await?;
        if list_state == ListState::default() {
            list_state = ListState::from(saved.segment()?);
        }
    }
    list_state.segment().ok_or(WebError::BadRequest)
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
    let segment = segment_of(&state, &session, &query).await?;
    let format = Format::parse(query.get("format").unwrap_or("csv")).ok_or(WebError::BadRequest)?;
    let request = ExportRequest {
        segment,
        format,
        lang: session.lang,
        sensitive: session.may(Permission::ViewSensitive),
        mailing: match query.get("for").filter(|f| !f.is_empty()) {
            Some(f) => Some(kartei_core::consent::parse_target(f).ok_or(WebError::BadRequest)?),
            None => None,
        },
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
