//! API errors as RFC 9457 problem+json. Each error maps to one status here, and its
//! text is rendered in the request's language by [`localize`].

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kartei_core::i18n::Lang;
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::StoreError;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub enum ApiError {
    Invalid(Vec<FieldError>),
    BadRequest(BadRequest),
    Unauthorized,
    Forbidden,
    /// The body would change a field the reader's role may not see (bank details).
    HiddenField,
    CsrfMismatch,
    NotFound,
    MethodNotAllowed,
    PreconditionFailed {
        current: i64,
    },
    /// The change is safe only against a known version: If-Match is required.
    PreconditionRequired,
    LoginFailed,
    /// Too many failed sign-ins for this name; try again after this many seconds.
    TooManyAttempts {
        retry_after: u64,
    },
    /// The job asked for runs already.
    Busy,
    /// The request body is over the limit (2 MiB for JSON).
    TooLarge,
    /// The request's address is longer than [`crate::MAX_URI`].
    UriTooLong,
    /// A query of the request ran past [`crate::REQUEST_DEADLINE`] and was stopped.
    Timeout,
    Internal,
}

/// Requests that are malformed rather than invalid.
#[derive(Debug, Clone, Copy)]
pub enum BadRequest {
    Json,
    Query,
    Cursor,
    IfMatch,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::VersionConflict { current } => ApiError::PreconditionFailed { current },
            StoreError::Invalid(fields) => ApiError::Invalid(fields),
            StoreError::InvalidCursor => ApiError::BadRequest(BadRequest::Cursor),
            StoreError::Timeout => {
                tracing::warn!("a query ran past the request's deadline and was stopped");
                ApiError::Timeout
            }
            StoreError::Corrupt(_) | StoreError::Database(_) => {
                tracing::error!(error = %e, "store failure");
                ApiError::Internal
            }
        }
    }
}

/// A problem detail (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem; stable across languages.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Every failing field, for status 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For status 412: the version the record is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field in the request, e.g. `emails[0].address`.
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::LoginFailed => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden | ApiError::HiddenField | ApiError::CsrfMismatch => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Busy => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong => StatusCode::URI_TOO_LONG,
            ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn texts(&self, lang: Lang) -> (&'static str, &'static str, Option<&'static str>) {
        match self {
            ApiError::Invalid(_) => (
                "validation",
                lang.pick("Die Eingaben sind ungültig.", "The input is invalid."),
                Some(lang.pick("Bitte die markierten Felder korrigieren; es wurde nichts gespeichert.", "Please correct the fields listed; nothing was saved.")),
            ),
            ApiError::BadRequest(kind) => (
                "bad-request",
                lang.pick("Die Anfrage ist fehlerhaft.", "The request is malformed."),
                Some(match kind {
                    BadRequest::Json => lang.pick("Der Inhalt ist kein gültiges JSON-Objekt.", "The body is not a valid JSON object."),
                    BadRequest::Query => lang.pick("Ein Parameter in der Adresse ist ungültig.", "A query parameter is invalid."),
                    BadRequest::Cursor => lang.pick("Der Cursor passt nicht zu dieser Liste.", "The cursor does not belong to this list."),
                    BadRequest::IfMatch => lang.pick("If-Match muss eine Version als ETag enthalten.", "If-Match must hold a version ETag."),
                }),
            ),
            ApiError::Unauthorized => (
                "unauthorized",
                lang.pick("Anmeldung erforderlich.", "Authentication required."),
                Some(lang.pick("Bitte anmelden oder ein API-Token senden (Authorization: Bearer …).", "Sign in or send an API token (Authorization: Bearer …).")),
            ),
            ApiError::LoginFailed => (
                "login-failed",
                lang.pick("Anmeldung fehlgeschlagen.", "Sign-in failed."),
                Some(lang.pick("Name oder Passwort ist falsch.", "The name or password is wrong.")),
            ),
            ApiError::TooManyAttempts { .. } => (
                "too-many-attempts",
                lang.pick("Zu viele Anmeldeversuche.", "Too many sign-in attempts."),
                Some(lang.pick(
                    "Anmeldungen von hier sind vorübergehend gesperrt oder der Server ist ausgelastet. Bitte nach der in Retry-After genannten Zeit erneut versuchen.",
                    "Sign-ins from here are blocked for a while, or the server is busy. Please try again after the time in Retry-After.",
                )),
            ),
            ApiError::Forbidden => (
                "forbidden",
                lang.pick("Keine Berechtigung.", "Not allowed."),
                Some(lang.pick("Ihre Rolle erlaubt diese Aktion nicht.", "Your role does not allow this action.")),
            ),
            ApiError::HiddenField => (
                "hidden-field",
                lang.pick("Keine Berechtigung für Bankdaten.", "Not allowed to change bank details."),
                Some(lang.pick("Ihre Rolle darf Bankdaten weder sehen noch ändern; bitte `bank` weglassen oder unverändert zurücksenden. Es wurde nichts gespeichert.", "Your role may neither see nor change bank details; leave out `bank` or send it back unchanged. Nothing was saved.")),
            ),
            ApiError::CsrfMismatch => (
                "csrf",
                lang.pick("Sicherheitsprüfung fehlgeschlagen.", "Security check failed."),
                Some(lang.pick("Der CSRF-Token fehlt oder ist falsch; bitte die Seite neu laden.", "The CSRF token is missing or wrong; please reload the page.")),
            ),
            ApiError::NotFound => ("not-found", lang.pick("Nicht gefunden.", "Not found."), None),
            ApiError::MethodNotAllowed => (
                "method-not-allowed",
                lang.pick("Diese Methode ist hier nicht erlaubt.", "This method is not allowed here."),
                None,
            ),
            ApiError::PreconditionFailed { .. } => (
                "version-conflict",
                lang.pick("Der Datensatz wurde inzwischen geändert.", "The record has changed meanwhile."),
                Some(lang.pick("Bitte neu laden und die Änderung erneut anwenden; es wurde nichts gespeichert.", "Please reload and apply your change again; nothing was saved.")),
            ),
            ApiError::PreconditionRequired => (
                "if-match-required",
                lang.pick("If-Match fehlt.", "If-Match is missing."),
                Some(lang.pick("Diese Änderung nennt einen Eintrag nach seiner Position; bitte die gelesene Version als If-Match senden, damit eine Änderung inzwischen nicht einen anderen Eintrag trifft.", "This change names an entry by its position; please send the version read as If-Match, so that a change meanwhile cannot hit another entry.")),
            ),
            ApiError::Busy => (
                "busy",
                lang.pick("Läuft bereits.", "Already running."),
                Some(lang.pick("Diese Aufgabe läuft schon; bitte warten, bis sie fertig ist.", "This job is running already; please wait until it has finished.")),
            ),
            ApiError::TooLarge => (
                "too-large",
                lang.pick("Der Inhalt ist zu groß.", "The body is too large."),
                Some(lang.pick("Höchstens 2 MiB JSON je Anfrage; große Datenmengen bitte über den Import.", "At most 2 MiB of JSON per request; please send large amounts through the import.")),
            ),
            ApiError::UriTooLong => (
                "uri-too-long",
                lang.pick("Die Adresse ist zu lang.", "The address is too long."),
                Some(lang.pick("Höchstens 8.192 Zeichen je Adresse; bitte den Filter kürzen oder die Liste über Gespeicherte Ansichten filtern.", "At most 8,192 characters per address; please shorten the filter or filter the list through a saved view.")),
            ),
            ApiError::Timeout => (
                "timeout",
                lang.pick("Die Abfrage dauerte zu lange.", "The query took too long."),
                Some(lang.pick(
                    "Sie wurde nach 30 Sekunden abgebrochen; es wurde nichts geändert. Bitte die Suche oder den Filter eingrenzen oder es gleich noch einmal versuchen (läuft gerade ein großer Import?).",
                    "It was stopped after 30 seconds; nothing was changed. Please narrow the search or filter, or try again shortly (is a large import running?).",
                )),
            ),
            ApiError::Internal => (
                "internal",
                lang.pick("Interner Fehler.", "Internal error."),
                Some(lang.pick("Es wurde nichts gespeichert. Details stehen im Server-Protokoll.", "Nothing was saved. Details are in the server log.")),
            ),
        }
    }

    pub fn problem(&self, lang: Lang) -> Problem {
        let (kind, title, detail) = self.texts(lang);
        Problem {
            kind: format!("urn:kartei:problem:{kind}"),
            title: title.to_string(),
            status: self.status().as_u16(),
            detail: detail.map(str::to_string),
            errors: match self {
                ApiError::Invalid(fields) => fields
                    .iter()
                    .map(|f| ProblemField {
                        field: f.field.clone(),
                        code: f.code,
                        message: f.code.message(lang).to_string(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            current_version: match self {
                ApiError::PreconditionFailed { current } => Some(*current),
                _ => None,
            },
        }
    }

    fn render(&self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.problem(lang)).unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.code()),
        );
        if matches!(self, ApiError::Unauthorized) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyAttempts { retry_after } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if matches!(self, ApiError::Timeout) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        }
        if let ApiError::PreconditionFailed { current } = self {
            if let Ok(v) = HeaderValue::from_str(&format!("\"{current}\"")) {
                headers.insert(header::ETAG, v);
            }
        }
        response
    }
}

impl IntoResponse for ApiError {
    /// Rendered in German here; [`localize`] renders it again in the request's language.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::De);
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// The request's language: `Accept-Language`, German when absent.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::De, Lang::from_accept_language)
}

/// Middleware: renders problems in the language the client asked for.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let response = next.run(request).await;
    match response.extensions().get::<Arc<ApiError>>() {
        Some(error) if lang != Lang::De => error.render(lang),
        _ => response,
    }
}
