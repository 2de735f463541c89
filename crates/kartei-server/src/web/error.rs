//! What a page shows when something fails: sign-in for a missing session, else an
//! error page in the reader's language. Invalid form input never gets here; forms show
//! their errors next to the fields.

use crate::error::ApiError;
use askama::Template;
use axum::extract::Request;
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
            ApiError::Forbidden => WebError::Forbidden,
            ApiError::CsrfMismatch => WebError::Csrf,
            ApiError::Unauthorized => WebError::SignIn { next: "/".into() },
            ApiError::BadRequest(_)
            | ApiError::Invalid(_)
            | ApiError::PreconditionFailed { .. }
            | ApiError::Busy => WebError::BadRequest,
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
            WebError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
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
        let message = tr.t(match self {
            WebError::NotFound => "error.not_found",
            WebError::Forbidden => "error.forbidden",
            WebError::Csrf => "error.csrf",
            WebError::BadRequest => "error.bad_request",
            WebError::SignIn { .. } | WebError::Internal => "error.internal",
        });
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

/// Middleware of the web pages: error pages in the language of the reader.
pub async fn localize(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let lang = super::session::guest_lang(&parts);
    let response = next.run(Request::from_parts(parts, body)).await;
    match response.extensions().get::<Arc<WebError>>() {
        Some(error) if lang != Lang::De => error.render(lang),
        _ => response,
    }
}
