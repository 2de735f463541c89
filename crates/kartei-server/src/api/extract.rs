//! Request parts every API handler reads the same way.

use crate::error::{ApiError, BadRequest};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON object body. Malformed JSON is a 400; a body of the wrong shape is a 422 with
/// the failing field (see [`kartei_core::json::from_json`]).
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::BadRequest(BadRequest::Json)
            }
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v @ Value::Object(_)) => Ok(JsonBody(v)),
            _ => Err(ApiError::BadRequest(BadRequest::Json)),
        }
    }
}

impl JsonBody {
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        kartei_core::json::from_json(self.0).map_err(ApiError::Invalid)
    }
}

/// The version an `If-Match` header names (`"3"` or `W/"3"`, as the ETag was sent);
/// `None` without the header, for an empty one or for `*`. Anything else is a 400.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value
            .to_str()
            .map_err(|_| ApiError::BadRequest(BadRequest::IfMatch))?
            .trim();
        if text == "*" || text.is_empty() {
            return Ok(IfMatch(None));
        }
        let digits = text
            .strip_prefix("W/")
            .unwrap_or(text)
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|d| (1..=18).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()));
        digits
            .and_then(|d| d.parse::<i64>().ok())
            .map(|v| IfMatch(Some(v)))
            .ok_or(ApiError::BadRequest(BadRequest::IfMatch))
    }
}

/// Query parameters; a malformed one is a 400 problem.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(QueryParams)
            .map_err(|_| ApiError::BadRequest(BadRequest::Query))
    }
}

/// Path parameters. An id that does not parse cannot name a record: 404, as a problem
/// document like every other error.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| PathParams(v))
            .map_err(|_| ApiError::NotFound)
    }
}

pub fn etag(version: i64) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// A numeric parameter within its documented range (`default` when not sent); outside
/// it a 422 that names the parameter, never a silent clamp.
pub fn within(
    field: &str,
    sent: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ApiError> {
    let value = sent.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::Invalid(vec![
            kartei_core::validation::FieldError::new(
                field,
                kartei_core::validation::ErrorCode::OutOfRange,
            ),
        ]))
    }
}
