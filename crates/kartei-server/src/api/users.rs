//! Users (admins only), one's own API tokens, and browser sign-in.

use super::extract::{JsonBody, PathParams};
use crate::auth::{hash_password, hash_secret, new_secret, CurrentUser, SESSION_COOKIE};
use crate::error::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use kartei_core::access::{Permission, Role};
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::users::{ApiToken, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// `de` or `en`; the browser's language when unset.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            name: u.name,
            role: u.role,
            language: u.language,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserOut>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(pattern = r"\S")]
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<Role>,
    pub language: Option<String>,
    pub password: Option<String>,
}

fn language(l: Option<String>) -> Result<Option<String>, ApiError> {
    match l.as_deref() {
        None => Ok(None),
        Some("de" | "en") => Ok(l),
        Some(_) => Err(ApiError::Invalid(vec![FieldError::new(
            "language",
            ErrorCode::InvalidLanguage,
        )])),
    }
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = UserList), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<UserList>, ApiError> {
    user.require(Permission::ManageUsers)?;
    Ok(Json(UserList {
        items: s.store.users().await?.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(s): State<AppState>,
    user: CurrentUser,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    user.require(Permission::ManageUsers)?;
    let new: NewUser = body.parse()?;
    let hash = hash_password(&new.password).map_err(|e| ApiError::Invalid(vec![e]))?;
    let created = s
        .store
        .add_user(&user.actor(), &new.name, new.role, &hash)
        .await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(created))))
}

/// Changes a user's role, language or password. Users may change their own language
/// and password; everything else needs an admin.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserChange, params(("id" = Uuid, Path)),
    responses((status = 200, body = UserOut), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
    body: JsonBody,
) -> Result<Json<UserOut>, ApiError> {
    let change: UserChange = body.parse()?;
    if id != user.user.id || change.role.is_some() {
        user.require(Permission::ManageUsers)?;
    }
    let hash = change
        .password
        .as_deref()
        .map(hash_password)
        .transpose()
        .map_err(|e| ApiError::Invalid(vec![e]))?;
    let updated = s
        .store
        .update_user(
            &user.actor(),
            id,
            change.role,
            language(change.language)?,
            hash,
        )
        .await?;
    Ok(Json(updated.into()))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::ManageUsers)?;
    if id == user.user.id {
        // Removing oneself could leave no admin; another admin must do it.
        return Err(ApiError::Forbidden);
    }
    s.store.delete_user(&user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserOut), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(user: CurrentUser) -> Json<UserOut> {
    Json(user.user.into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenOut {
    #[serde(flatten)]
    pub token: TokenOut,
    /// The secret: shown this once, stored only as a hash.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. "Newsletter sync".
    #[schema(pattern = r"\S")]
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = TokenList)))]
pub async fn tokens(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList {
        items: s
            .store
            .api_tokens(user.user.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// Creates an API token for the signed-in user.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = NewTokenOut), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_token(
    State(s): State<AppState>,
    user: CurrentUser,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let new: NewToken = body.parse()?;
    let secret = new_secret("kt_");
    let token = s
        .store
        .create_api_token(
            &user.actor(),
            user.user.id,
            &new.name,
            &hash_secret(&secret),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenOut {
            token: token.into(),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(s): State<AppState>,
    user: CurrentUser,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    s.store
        .revoke_api_token(&user.actor(), user.user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    pub user: UserOut,
    /// Send back as `X-CSRF-Token` on every state-changing request made with the session cookie.
    pub csrf_token: String,
}

/// Signs in with name and password; sets an HttpOnly session cookie. After 5 failed
/// attempts for a name from one address within 15 minutes, or 20 from one address for
/// any names, that address gets 429 until the window has passed; a flood of sign-ins
/// beyond what the server can check at once gets 429 with Retry-After too.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Login,
    responses((status = 200, body = SessionOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn login(
    State(s): State<AppState>,
    extensions: axum::http::Extensions,
    body: JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let login: Login = body.parse()?;
    let address = crate::auth::client_address(&extensions);
    let signed_in = crate::auth::sign_in(&s, &login.name, &login.password, &address).await?;
    Ok((
        [(header::SET_COOKIE, signed_in.cookie)],
        Json(SessionOut {
            user: signed_in.user.into(),
            csrf_token: signed_in.csrf,
        }),
    ))
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn logout(
    State(s): State<AppState>,
    request: axum::extract::Request,
) -> Result<impl IntoResponse, ApiError> {
    let (mut parts, _) = request.into_parts();
    // Only a valid session (with its CSRF token) can end itself.
    <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &s)
        .await?;
    if let Some(token) = crate::auth::cookie_value(&parts, SESSION_COOKIE) {
        s.store.delete_session(&hash_secret(token)).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]))
}
