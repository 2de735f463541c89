//! The user's own page: interface language, password, API tokens.

use super::admin::NoticeQuery;
use super::error::WebError;
use super::session::{Posted, Session, Shell};
use crate::auth::{hash_password, hash_secret, new_secret, verify_password};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use kartei_store::users::ApiToken;
use kartei_store::StoreError;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    shell: Shell,
    tokens: Vec<ApiToken>,
    /// A token just created, shown this once.
    new_token: Option<String>,
    password_error: Option<String>,
    token_error: Option<String>,
}

async fn page(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    new_token: Option<String>,
    password_error: Option<String>,
    token_error: Option<String>,
) -> Result<Response, WebError> {
    let shell = Shell::load(state, session, "account", "/account", notice).await?;
    let failed = password_error.is_some() || token_error.is_some();
    let page = AccountPage {
        shell,
        tokens: state.store.api_tokens(session.user.id).await?,
        new_token,
        password_error,
        token_error,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn account(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    page(&state, &session, q.notice.as_deref(), None, None, None).await
}

async fn change_password(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    let t = |k| kartei_app::texts::Tr(session.lang).t(k).to_string();
    let Some((_, hash)) = state.store.user_credentials(&session.user.name).await? else {
        return Err(WebError::NotFound);
    };
    let current = form.raw("current").to_string();
    let checked = state
        .hashing
        .run(move || verify_password(&current, &hash))
        .await;
    if checked.is_none() {
        return page(&state, &session, None, None, Some(t("account.busy")), None).await;
    }
    if checked != Some(true) {
        return page(
            &state,
            &session,
            None,
            None,
            Some(t("account.wrong_password")),
            None,
        )
        .await;
    }
    if form.raw("new") != form.raw("repeat") {
        return page(
            &state,
            &session,
            None,
            None,
            Some(t("account.mismatch")),
            None,
        )
        .await;
    }
    let hash = match hash_password(form.raw("new")) {
        Ok(h) => h,
        Err(e) => {
            return page(
                &state,
                &session,
                None,
                None,
                Some(e.code.message(session.lang).to_string()),
                None,
            )
            .await
        }
    };
    // Changing the password ends every session, this one too: sign in again.
    state
        .store
        .update_user(&session.actor(), session.user.id, None, None, Some(hash))
        .await?;
    Ok(Redirect::to("/login?notice=login.signed_out").into_response())
}

async fn create_token(
    State(state): State<AppState>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    let secret = new_secret("kt_");
    match state
        .store
        .create_api_token(
            &session.actor(),
            session.user.id,
            form.get("name").unwrap_or(""),
            &hash_secret(&secret),
        )
        .await
    {
        Ok(_) => page(&state, &session, None, Some(secret), None, None).await,
        Err(StoreError::Invalid(fields)) => {
            let message = fields
                .first()
                .map(|f| f.code.message(session.lang).to_string());
            page(&state, &session, None, None, None, message).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    state
        .store
        .revoke_api_token(&session.actor(), session.user.id, id)
        .await?;
    Ok(Redirect::to("/account?notice=saved.created").into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}
