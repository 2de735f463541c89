//! Drives the real router in-process against a real database.
// Shared by several test crates, each of which uses only part of it.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kartei_core::access::Role;
use kartei_server::auth::{hash_password, hash_secret, new_secret};
use kartei_server::{router, AppState};
use kartei_store::{Actor, Store};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub struct Api {
    pub app: axum::Router,
    pub store: Arc<Store>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Api {
    pub fn new(store: Store) -> Api {
        let store = Arc::new(store);
        Api {
            app: router(AppState::new(store.clone(), false)),
            store,
        }
    }

    /// Adds a user with `role` and returns an API token for them.
    pub async fn token(&self, name: &str, role: Role) -> String {
        let hash = hash_password("correct horse battery").unwrap();
        let user = self
            .store
            .add_user(&Actor::system("test"), name, role, &hash)
            .await
            .unwrap();
        let secret = new_secret("kt_");
        self.store
            .create_api_token(
                &Actor::system("test"),
                user.id,
                "test",
                &hash_secret(&secret),
            )
            .await
            .unwrap();
        secret
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        self.send_from(None, method, path, headers, body).await
    }

    /// A JSON request from a client address (as a served connection would carry it).
    pub async fn send_from(
        &self,
        address: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(a) = address {
            let peer: std::net::SocketAddr = format!("{a}:40000").parse().unwrap();
            req = req.extension(axum::extract::ConnectInfo(peer));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&b).unwrap())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request with a form body (or none); the body comes back as text (HTML).
    pub async fn send_form(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if form.is_some() {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        let body = Body::from(form.unwrap_or("").to_string());
        self.text_reply(req.body(body).unwrap()).await
    }

    /// Sends a request; the answer's status, headers and body as text.
    async fn text_reply(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let (status, headers, bytes) = self.bytes_reply(req).await;
        (status, headers, String::from_utf8_lossy(&bytes).to_string())
    }

    /// Sends a request; the answer's status, headers and body as it came.
    async fn bytes_reply(
        &self,
        req: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    /// A GET with `headers`; the answer's body as bytes (an XLSX file).
    pub async fn get_bytes(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method("GET").uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.bytes_reply(req.body(Body::empty()).unwrap()).await
    }

    /// A request with a body of any type (a multipart upload); the answer as text.
    pub async fn send_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.text_reply(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(method, path, &[("authorization", &auth)], body)
            .await
    }
}

/// Signs in over the web pages; the session cookie and the CSRF token of a page.
pub async fn web_session(api: &Api, name: &str) -> (String, String) {
    web_session_as(api, name, Role::User).await
}

/// Adds a user with `role`, signs them in over the web pages; their session cookie
/// and the CSRF token of a page.
pub async fn web_session_as(api: &Api, name: &str, role: Role) -> (String, String) {
    api.token(name, role).await;
    let (_, headers, _) = api
        .send_form(
            "POST",
            "/login",
            &[],
            Some(&format!(
                "name={name}&password=correct+horse+battery&next=%2Fimports"
            )),
        )
        .await;
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("kartei_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, _, page) = api
        .send_form("GET", "/imports", &[("cookie", &cookie)], None)
        .await;
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    (cookie, csrf)
}

/// Runs an API story on both databases.
#[macro_export]
macro_rules! api_story {
    ($story:ident) => {
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _scratch) = kartei_store::testing::sqlite_store().await;
                super::$story(super::support::Api::new(store)).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, _scratch) = kartei_store::testing::postgres_store().await;
                super::$story(super::support::Api::new(store)).await;
            }
        }
    };
}

/// Percent-encodes everything but letters and digits, for a query value or a form field.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
