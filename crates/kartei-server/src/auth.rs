//! Authentication: argon2id passwords, API tokens and browser sessions (stored as
//! SHA-256 hashes), and the one place where roles are checked.

use crate::error::ApiError;
use crate::AppState;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kartei_core::access::{Permission, MIN_PASSWORD_LEN};
use kartei_core::validation::{ErrorCode, FieldError};
use kartei_store::users::User;
use kartei_store::Actor;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "kartei_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FieldError::new("password", ErrorCode::TooShort));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| FieldError::new("password", ErrorCode::InvalidType))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh secret: 32 random bytes, URL-safe, with a prefix that makes leaked tokens
/// easy to recognise in logs and code.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Secrets are random and long, so a fast hash is enough (no salt needed).
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A signed-in user for this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
}

impl CurrentUser {
    /// Fails with 403 unless the user's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.user.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.user.role.allows(permission)
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.name)
    }
}

pub fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError::Unauthorized)?;
            let user = state
                .store
                .api_token_user(&hash_secret(token.trim()))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(CurrentUser { user });
        }
        let session = cookie_value(parts, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
        let (user, csrf) = state
            .store
            .session(&hash_secret(session))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        // Cookies ride along on cross-site requests; a state change must also prove it
        // comes from our own page by echoing the session's CSRF token in a header.
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                return Err(ApiError::CsrfMismatch);
            }
        }
        Ok(CurrentUser { user })
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A successful sign-in: the user, the new session's CSRF token and its cookie.
pub struct SignedIn {
    pub user: User,
    pub csrf: String,
    pub cookie: String,
}

/// The client a request comes from, for throttling: the peer address of the
/// connection (`unknown` when the server runs without one, as in tests).
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// How long a sign-in waits for a free hashing slot before it is told to come back.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

type HashingJob = Box<dyn FnOnce() + Send>;

/// Password hashing on threads of its own, one per core. Each hash takes about 19 MiB;
/// on a fixed set of threads that memory is reused, where on ever new blocking threads
/// each one's allocator would keep its own copy. Work waits for a thread at most
/// [`HASHING_WAIT`].
pub struct Hashing {
    slots: tokio::sync::Semaphore,
    jobs: std::sync::mpsc::Sender<HashingJob>,
}

impl Hashing {
    pub fn new(threads: usize) -> Hashing {
        let (jobs, queue) = std::sync::mpsc::channel::<HashingJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            // A thread that cannot start leaves its slot unused; the others serve.
            let _ = std::thread::Builder::new()
                .name(format!("kartei-hashing-{i}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    // Ends when the state, and with it the sender, is gone.
                    let Ok(job) = job else { return };
                    job();
                });
        }
        Hashing {
            slots: tokio::sync::Semaphore::new(threads),
            jobs,
        }
    }

    /// Runs `work` on a hashing thread; `None` when no thread became free in time.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _slot = tokio::time::timeout(HASHING_WAIT, self.slots.acquire())
            .await
            .ok()?
            .ok()?;
        let (done, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .ok()?;
        answer.await.ok()
    }
}

/// Checks a name and password (throttled per name and address, and per address) and
/// opens a browser session. Unknown names cost the same time as wrong passwords, so
/// names cannot be probed. Password hashing (about 19 MiB each) runs in as many slots
/// as there are cores; a flood waits briefly, then gets 429 with Retry-After.
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password: &str,
    address: &str,
) -> Result<SignedIn, ApiError> {
    let started = std::time::Instant::now();
    if let Some(wait) = state.login_throttle.blocked_for(name, address, started) {
        return Err(ApiError::TooManyAttempts {
            retry_after: wait.as_secs().max(1),
        });
    }
    let found = state.store.user_credentials(name).await?;
    let hash = found
        .as_ref()
        .map_or(dummy_hash(), |(_, h)| h.as_str())
        .to_string();
    let password = password.to_string();
    let Some(verified) = state
        .hashing
        .run(move || verify_password(&password, &hash))
        .await
    else {
        return Err(ApiError::TooManyAttempts { retry_after: 1 });
    };
    let Some((user, _)) = found.filter(|_| verified) else {
        state.login_throttle.failed(name, address, started);
        return Err(ApiError::LoginFailed);
    };
    state.login_throttle.succeeded(name, address);
    let token = new_secret("");
    let csrf = new_secret("");
    state
        .store
        .create_session(
            user.id,
            &hash_secret(&token),
            &csrf,
            chrono::Duration::hours(SESSION_HOURS),
        )
        .await?;
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_HOURS * 3600
    );
    Ok(SignedIn { user, csrf, cookie })
}

/// A hash to verify against when the user does not exist, so that a wrong name takes
/// as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("kartei-dummy-password").unwrap_or_default())
}
