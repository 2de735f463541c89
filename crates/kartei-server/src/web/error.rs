//! What a page shows when something fails: sign-in for a missing session, else an
//! error page in the reader's language. Invalid form input never gets here; forms show
//! their errors next to the fields.

use super::session::{Session, Shell};
use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::texts::Tr;
use kartei_core::i18n::Lang;
use kartei_store::StoreError;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum WebError {
    /// No valid session: sign in, then come back to `next`.
    SignIn {
        next: String,
    },
    NotFound,
    Forbidden,
    Csrf,
    BadRequest,
    /// The address is longer than [`crate::MAX_URI`].
    UriTooLong,
    /// A query ran past the request's deadline.
    Timeout,
    Internal,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound => WebError::NotFound,
            ApiError::Forbidden | ApiError::HiddenField => WebError::Forbidden,
            ApiError::CsrfMismatch => WebError::Csrf,
            ApiError::Unauthorized => WebError::SignIn { next: "/".into() },
            ApiError::BadRequest(_)
            | ApiError::Invalid(_)
            | ApiError::PreconditionFailed { .. }
            | ApiError::PreconditionRequired
            | ApiError::TooLarge
            | ApiError::Busy => WebError::BadRequest,
            ApiError::UriTooLong => WebError::UriTooLong,
            ApiError::Timeout => WebError::Timeout,
            ApiError::MethodNotAllowed
            | ApiError::LoginFailed
            | ApiError::TooManyAttempts { .. }
            | ApiError::Internal => WebError::Internal,
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template failure");
        WebError::Internal
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    lang: &'static str,
    status: u16,
    message: &'static str,
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest => StatusCode::BAD_REQUEST,
            WebError::UriTooLong => StatusCode::URI_TOO_LONG,
            WebError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message_key(&self) -> &'static str {
        match self {
            WebError::NotFound => "error.not_found",
            WebError::Forbidden => "error.forbidden",
            WebError::Csrf => "error.csrf",
            WebError::BadRequest => "error.bad_request",
            WebError::UriTooLong => "error.uri_too_long",
            WebError::Timeout => "error.timeout",
            WebError::SignIn { .. } | WebError::Internal => "error.internal",
        }
    }

    fn render(&self, lang: Lang) -> Response {
        if let WebError::SignIn { next } = self {
            let target = format!(
                "/login?next={}",
                serde_urlencoded::to_string([("", next)])
                    .unwrap_or_default()
                    .trim_start_matches('=')
            );
            return Redirect::to(&target).into_response();
        }
        let tr = Tr(lang);
        let message = tr.t(self.message_key());
        let page = ErrorPage {
            tr,
            lang: lang.code(),
            status: self.status().as_u16(),
            message,
        };
        let body = page.render().unwrap_or_else(|_| message.to_string());
        let mut response = (self.status(), Html(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.code()),
        );
        response
    }
}

impl IntoResponse for WebError {
    /// Rendered in German here; [`localize`] renders it again in the reader's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::De);
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// An error page inside the frame of every page, for a signed-in reader: the
/// navigation stays, so a wrong link is not a dead end.
#[derive(Template)]
#[template(path = "error_framed.html")]
struct FramedErrorPage {
    shell: Shell,
    status: u16,
    message: &'static str,
}

impl WebError {
    async fn render_framed(&self, state: &AppState, mut probe: Parts) -> Option<Response> {
        if matches!(self, WebError::SignIn { .. }) || probe.uri.path().starts_with("/api/") {
            return None;
        }
        let session = Session::from_request_parts(&mut probe, state).await.ok()?;
        let here = probe.uri.path_and_query().map_or("/", |p| p.as_str());
        let shell = Shell::load(state, &session, "", here, None).await.ok()?;
        let message = shell.t(self.message_key());
        let page = FramedErrorPage {
            shell,
            status: self.status().as_u16(),
            message,
        };
        let body = page.render().ok()?;
        let mut response = (self.status(), Html(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(session.lang.code()),
        );
        Some(response)
    }
}

/// Middleware of the web pages: error pages in the language of the reader, inside the
/// page frame when the reader is signed in.
pub async fn localize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let lang = super::session::guest_lang(&parts);
    // What the session lookup needs, kept aside while the request runs.
    let (mut probe, ()) = Request::new(()).into_parts();
    probe.uri = parts.uri.clone();
    probe.headers = parts.headers.clone();
    let response = next.run(Request::from_parts(parts, body)).await;
    let Some(error) = response.extensions().get::<Arc<WebError>>().cloned() else {
        return response;
    };
    if let Some(framed) = error.render_framed(&state, probe).await {
        return framed;
    }
    if lang == Lang::De {
        response
    } else {
        error.render(lang)
    }
}
