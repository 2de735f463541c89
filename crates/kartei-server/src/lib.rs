//! Kartei over HTTP: the REST API, its documentation, authentication. Thin: parse,
//! authorise, call the store, render.

pub mod api;
pub mod auth;
pub mod error;
pub mod throttle;
pub mod web;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kartei_app::jobs;
use kartei_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Set the `Secure` flag on cookies (behind HTTPS).
    pub secure_cookies: bool,
    pub login_throttle: Arc<throttle::LoginThrottle>,
    /// Password hashing, one thread per core: a sign-in flood cannot fill memory.
    pub hashing: Arc<auth::Hashing>,
    pub jobs: Arc<jobs::Jobs>,
    /// How long the queries of one request may run (see [`REQUEST_DEADLINE`]).
    pub request_deadline: std::time::Duration,
}

/// The queries of a request are stopped after this long, and as soon as its client has
/// gone: a runaway search cannot keep a core busy for minutes.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

impl AppState {
    pub fn new(store: Arc<Store>, secure_cookies: bool) -> AppState {
        AppState {
            store,
            secure_cookies,
            login_throttle: Arc::default(),
            hashing: Arc::new(auth::Hashing::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            )),
            jobs: Arc::default(),
            request_deadline: REQUEST_DEADLINE,
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        api::openapi_json(),
    )
        .into_response()
}

async fn docs() -> Html<&'static str> {
    Html(include_str!("docs/index.html"))
}

async fn docs_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("docs/docs.js"),
    )
        .into_response()
}

async fn docs_style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("docs/docs.css"),
    )
        .into_response()
}

/// The longest request address answered; longer ones get 414 with a problem document
/// or a page. (The HTTP layer itself refuses addresses over 64 KiB with a bare 414.)
pub const MAX_URI: usize = 8192;

/// Whether the request comes from a browser page rather than an API client.
fn wants_page(request: &Request) -> bool {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    wants_html && !request.uri().path().starts_with("/api/")
}

/// Unknown paths: a page for browsers, a problem document for API clients.
async fn not_found(request: Request) -> Response {
    if wants_page(&request) {
        web::error::WebError::NotFound.into_response()
    } else {
        error::ApiError::NotFound.into_response()
    }
}

/// Addresses over [`MAX_URI`] are refused before any handler parses them.
async fn refuse_long_uris(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length <= MAX_URI {
        next.run(request).await
    } else if wants_page(&request) {
        web::error::WebError::UriTooLong.into_response()
    } else {
        error::ApiError::UriTooLong.into_response()
    }
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::MethodNotAllowed
}

/// Every request's reads run under a deadline; a client that goes away stops them.
async fn with_deadline(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    kartei_store::db::Deadline::after(state.request_deadline)
        .scope(next.run(request))
        .await
}

/// A handler that panics answers 500 problem+json instead of dropping the connection;
/// the panic is logged once.
async fn catch_panics(request: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("a request handler panicked");
            error::ApiError::Internal.into_response()
        }
    }
}

/// Security headers on every response. Pages load only their own scripts and styles.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let ok = response.status() == StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    // Customer data must not linger in shared caches.
    if ok && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
        .route("/api/docs/docs.js", get(docs_script))
        .route("/api/docs/docs.css", get(docs_style))
        .merge(api::routes())
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), with_deadline))
        .layer(middleware::from_fn(refuse_long_uris))
        .layer(middleware::from_fn(error::localize))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::error::localize,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(catch_panics))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then finishes running requests.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
