//! A list for a mailing: the contact list as it is filtered, searched or saved, narrowed
//! to those who may be addressed on a channel for a purpose. The page says how many
//! that are, how many were left out and why, and offers the downloads.

use super::actions::segment_of;
use super::parse_query;
use crate::web::error::WebError;
use crate::web::session::{Session, Shell};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use kartei_app::export::{Export, ExportError, ExportRequest, Format};
use kartei_app::texts::{consent_word, purpose_name};
use kartei_core::access::Permission;
use kartei_core::consent::{parse_target, CHANNELS};
use kartei_core::contact::ContactData;
use std::sync::Arc;

pub struct Tally {
    pub target: String,
    pub count: usize,
    pub left_out: usize,
    /// (reason in words, how many)
    pub reasons: Vec<(String, usize)>,
    /// (label, address) of the downloads.
    pub downloads: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "mailing.html")]
pub struct MailingPage {
    pub shell: Shell,
    /// The list's address parameters, kept for the form and the downloads.
    pub keep: Vec<(String, String)>,
    pub back: String,
    /// (value, label, chosen)
    pub choices: Vec<(String, String, bool)>,
    pub tally: Option<Tally>,
}

pub async fn mailing_page(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let query = parse_query(raw.clone())?;
    let segment = segment_of(&state, &session, &query).await?;
    let lang = session.lang;
    let tr = kartei_app::texts::Tr(lang);
    let keep: Vec<(String, String)> = ["q", "filter", "sort", "cols", "view"]
        .into_iter()
        .flat_map(|k| {
            query
                .all(k)
                .into_iter()
                .map(move |v| (k.to_string(), v.to_string()))
        })
        .collect();
    let chosen = match query.get("for").filter(|f| !f.is_empty()) {
        Some(f) => Some(parse_target(f).ok_or(WebError::BadRequest)?),
        None => None,
    };
    let purposes = state.store.consent_purposes().await?;
    let chosen_ref = chosen.as_ref();
    let choices = purposes
        .iter()
        .flat_map(|p| {
            CHANNELS.iter().map(move |c| {
                let value = format!("{c}:{}", p.key);
                let on = chosen_ref.is_some_and(|(ch, pu)| ch == c && *pu == p.key);
                (
                    value,
                    format!(
                        "{} · {}",
                        purpose_name(p, lang),
                        consent_word("channel", c, lang)
                    ),
                    on,
                )
            })
        })
        .collect();
    let href = |path: &str, extra: &[(&str, &str)]| {
        let mut pairs: Vec<(&str, &str)> =
            keep.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.extend_from_slice(extra);
        let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    };
    let tally = match chosen {
        None => None,
        Some((channel, purpose)) => {
            let target = format!("{channel}:{purpose}");
            let request = ExportRequest {
                segment,
                format: Format::Csv,
                lang,
                sensitive: false,
                mailing: Some((channel, purpose)),
            };
            let mut export =
                match Export::<ContactData>::open(Arc::clone(&state.store), request).await {
                    Ok(e) => e,
                    Err(ExportError::Invalid(_)) => return Err(WebError::BadRequest),
                    Err(ExportError::Store(e)) => return Err(e.into()),
                };
            let count = export.tally().await?;
            let reasons: Vec<(String, usize)> = export
                .left_out()
                .await?
                .into_iter()
                .map(|(why, n)| (tr.t(&format!("mailing.left.{why}")).to_string(), n))
                .collect();
            let downloads = [
                ("csv", "list.export_all"),
                ("xlsx", "list.export_xlsx"),
                ("vcard", "list.export_vcard"),
            ]
            .into_iter()
            .map(|(format, key)| {
                (
                    tr.t(key).to_string(),
                    href(
                        "/contacts/export",
                        &[("for", target.as_str()), ("format", format)],
                    ),
                )
            })
            .collect();
            Some(Tally {
                left_out: reasons.iter().map(|(_, n)| n).sum(),
                target,
                count,
                reasons,
                downloads,
            })
        }
    };
    let here = href("/contacts/mailing", &[]);
    let shell = Shell::load(&state, &session, "nav.contacts", &here, None).await?;
    let page = MailingPage {
        shell,
        back: href("/contacts", &[]),
        keep,
        choices,
        tally,
    };
    Ok(Html(page.render()?).into_response())
}
