//! The web interface: server-rendered pages (askama templates), one stylesheet and one
//! small script, all embedded in the binary. Pages call the store directly; they share
//! validation, texts of errors and roles with the API.

pub mod account;
pub mod admin;
pub mod consents;
pub mod deals;
pub mod detail;
pub mod duplicates;
pub mod edit;
pub mod error;
pub mod form;
pub mod imports;
pub mod list;
pub mod purposes;
pub mod quality;
pub mod records;
pub mod session;
pub mod timeline;
pub mod trash;
pub mod work;

use crate::auth::{hash_secret, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use error::WebError;
use kartei_app::texts::{self, Tr};
use kartei_core::i18n::Lang;
use records::WebRecord;
use serde::Deserialize;
use session::{guest_lang, is_local_path, lang_cookie, Posted};

const STYLE: &str = include_str!("../../assets/app.css");
const SCRIPT: &str = include_str!("../../assets/app.js");
const ICON: &str = include_str!("../../assets/favicon.svg");

/// Assets are named by content, so they may be cached for long.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    lang: &'static str,
    other_lang: &'static str,
    next: String,
    name: String,
    message: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    notice: Option<String>,
}

fn login_lang(parts_lang: Lang, query_lang: Option<&str>) -> Lang {
    query_lang.and_then(Lang::parse).unwrap_or(parts_lang)
}

async fn login_page(parts: Parts, Query(q): Query<LoginQuery>) -> Response {
    let lang = login_lang(guest_lang(&parts), q.lang.as_deref());
    let page = LoginPage {
        tr: Tr(lang),
        lang: lang.code(),
        other_lang: match lang {
            Lang::De => "en",
            Lang::En => "de",
        },
        next: q
            .next
            .filter(|n| is_local_path(n))
            .unwrap_or_else(|| "/".into()),
        name: String::new(),
        message: None,
        notice: q
            .notice
            .as_deref()
            .and_then(|k| texts::lookup(k, lang))
            .filter(|_| q.notice.as_deref() == Some("login.signed_out")),
    };
    let mut response = Html(page.render().unwrap_or_default()).into_response();
    if q.lang.is_some() {
        if let Ok(v) = lang_cookie(lang, false).parse() {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

async fn login(State(state): State<AppState>, parts: Parts, body: axum::body::Bytes) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let form = form::FormData::new(pairs);
    let lang = guest_lang(&parts);
    let name = form.get("name").unwrap_or("").to_string();
    let next = form
        .get("next")
        .filter(|n| is_local_path(n))
        .unwrap_or("/")
        .to_string();
    let failed = |status: axum::http::StatusCode, message: String| {
        let page = LoginPage {
            tr: Tr(lang),
            lang: lang.code(),
            other_lang: match lang {
                Lang::De => "en",
                Lang::En => "de",
            },
            next: next.clone(),
            name: name.clone(),
            message: Some(message),
            notice: None,
        };
        (status, Html(page.render().unwrap_or_default())).into_response()
    };
    let address = crate::auth::client_address(&parts.extensions);
    match crate::auth::sign_in(&state, &name, form.raw("password"), &address).await {
        Ok(signed_in) => {
            let user_lang = signed_in
                .user
                .language
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(lang);
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            for cookie in [
                signed_in.cookie,
                lang_cookie(user_lang, state.secure_cookies),
            ] {
                if let Ok(v) = cookie.parse() {
                    headers.append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(crate::error::ApiError::TooManyAttempts { retry_after }) => failed(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            Tr(lang)
                .t("login.throttled")
                .replace("{minutes}", &retry_after.div_ceil(60).to_string()),
        ),
        Err(crate::error::ApiError::LoginFailed) => failed(
            axum::http::StatusCode::UNAUTHORIZED,
            Tr(lang).t("login.failed").to_string(),
        ),
        Err(e) => WebError::from(e).into_response(),
    }
}

async fn logout(
    State(state): State<AppState>,
    parts: Parts,
    posted: Posted,
) -> Result<Response, WebError> {
    drop(posted);
    if let Some(token) = crate::auth::cookie_value(&parts, SESSION_COOKIE) {
        state.store.delete_session(&hash_secret(token)).await?;
    }
    let mut response = Redirect::to("/login?notice=login.signed_out").into_response();
    if let Ok(v) =
        format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0").parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Switches the interface language and remembers it for the user.
async fn set_language(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    let lang = form
        .get("lang")
        .and_then(Lang::parse)
        .ok_or(WebError::BadRequest)?;
    state
        .store
        .update_user(
            &session.actor(),
            session.user.id,
            None,
            Some(lang.code().to_string()),
            None,
        )
        .await?;
    let back = form
        .get("_back")
        .filter(|b| is_local_path(b))
        .unwrap_or("/");
    let mut response = Redirect::to(back).into_response();
    if let Ok(v) = lang_cookie(lang, state.secure_cookies).parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The pages of every record kind in [`kartei_core::with_record_kinds`].
macro_rules! kind_pages {
    ($($kind:ident / $module:ident: $data:ty = $name:literal, $collection:literal;)*) => {
        fn kind_routes() -> Router<AppState> {
            Router::new()$(.merge(record_routes::<$data>()))*
        }
    };
}
kartei_core::with_record_kinds!(kind_pages);

fn record_routes<R: WebRecord>() -> Router<AppState> {
    let path = R::PATH;
    Router::new()
        .route(path, get(list::list_page::<R>).post(edit::create::<R>))
        .route(&format!("{path}/rows"), get(list::rows_fragment::<R>))
        .route(&format!("{path}/options"), get(edit::options::<R>))
        .route(&format!("{path}/export"), get(list::export_all::<R>))
        .route(&format!("{path}/bulk"), post(list::bulk::<R>))
        .route(&format!("{path}/new"), get(edit::new_form::<R>))
        .route(
            &format!("{path}/{{id}}"),
            get(detail::detail_page::<R>).post(edit::update::<R>),
        )
        .route(&format!("{path}/{{id}}/edit"), get(edit::edit_form::<R>))
        .route(&format!("{path}/{{id}}/delete"), post(detail::delete::<R>))
        .route(&format!("{path}/{{id}}/tags"), post(detail::add_tag::<R>))
        .route(
            &format!("{path}/{{id}}/tags/{{tag_id}}/remove"),
            post(detail::remove_tag::<R>),
        )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/contacts") }))
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        // Browsers ask for /favicon.ico without being told; the pages name the SVG.
        .route(
            "/assets/favicon.svg",
            get(|| async { asset("image/svg+xml", ICON) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", ICON) }),
        )
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/language", post(set_language))
        .merge(kind_routes())
        .merge(work::routes())
        .merge(consents::routes())
        .merge(purposes::routes())
        .merge(deals::routes())
        .route("/contacts/similar", post(edit::similar))
        .route("/contacts/mailing", get(list::mailing_page))
        .route("/views", post(list::save_view))
        .route("/views/{id}/delete", post(list::delete_view))
        .merge(admin::routes())
        .merge(account::routes())
        .merge(trash::routes())
        .merge(duplicates::routes())
        .merge(quality::routes())
        .merge(imports::routes())
}
