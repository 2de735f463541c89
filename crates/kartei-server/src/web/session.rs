//! Who is looking at a page: the signed-in user from the session cookie, their language,
//! and the CSRF token every form sends back. Pages without a session redirect to sign-in.

use super::error::WebError;
use crate::auth::{cookie_value, hash_secret, SESSION_COOKIE};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use kartei_app::texts::Tr;
use kartei_core::access::Permission;
use kartei_core::i18n::Lang;
use kartei_store::users::User;
use kartei_store::views::SavedView;
use kartei_store::Actor;

/// Remembers the language for pages shown before sign-in and for error pages.
pub const LANG_COOKIE: &str = "kartei_lang";

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub lang: Lang,
    /// The browser's offset from UTC in minutes (east positive), which the page script
    /// keeps in a cookie; 0 until it has run.
    pub tz_minutes: i32,
}

/// The cookie with the browser's offset from UTC.
pub const TZ_COOKIE: &str = "kartei_tz";

impl Session {
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.name)
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.user.role.allows(permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), WebError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// The language of a request without a user: the language cookie, then Accept-Language.
pub fn guest_lang(parts: &Parts) -> Lang {
    cookie_value(parts, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| crate::error::request_lang(&parts.headers))
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let token =
            cookie_value(parts, SESSION_COOKIE).ok_or(WebError::SignIn { next: next.clone() })?;
        let (user, csrf) = state
            .store
            .session(&hash_secret(token))
            .await?
            .ok_or(WebError::SignIn { next })?;
        let lang = user
            .language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_else(|| guest_lang(parts));
        let tz_minutes = cookie_value(parts, TZ_COOKIE)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|m| m.abs() <= 14 * 60)
            .unwrap_or(0);
        Ok(Session {
            user,
            csrf,
            lang,
            tz_minutes,
        })
    }
}

/// A submitted form (`application/x-www-form-urlencoded`) of a signed-in user whose
/// CSRF token matched.
pub struct Posted {
    pub session: Session,
    pub form: super::form::FormData,
}

/// Forms are small; an upload limit keeps a wrong client from filling memory.
const MAX_FORM_BYTES: usize = 2 << 20;

impl FromRequest<AppState> for Posted {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| WebError::BadRequest)?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::BadRequest)?;
        let form = super::form::FormData::new(pairs);
        // The session cookie rides along on requests other sites make; only our own
        // pages know the token.
        let sent = form.get("_csrf").unwrap_or("");
        if !crate::auth::constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
            return Err(WebError::Csrf);
        }
        Ok(Posted { session, form })
    }
}

/// Notices that say nothing was changed.
const PROBLEM_NOTICES: &[&str] = &[
    "dup.changed_meanwhile",
    "dup.merge_invalid",
    "dup.undo_refused",
    "dup.scan_running",
    "quality.running_already",
    "imp.no_file",
    "imp.unreadable",
    "imp.undo_refused",
    "bulk.nothing_selected",
    "bulk.tag_required",
    "bulk.invalid",
    "tag.invalid",
    "list.view_invalid",
    "conflict.title",
    "loyalty.invalid",
    "consent.invalid",
    "board.no_pipeline",
    "deal.reason_required",
    "user.last_admin",
    "deal.no_closing_stage",
];

/// What the frame of every page shows: navigation, the user's saved views, a notice.
pub struct Shell {
    pub tr: Tr,
    pub lang: Lang,
    pub user_name: String,
    pub csrf: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub views: Vec<SavedView>,
    pub notice: Option<&'static str>,
    /// The notice reports that nothing was done (shown as a problem, not a success).
    pub notice_is_problem: bool,
    pub can_write: bool,
    pub can_admin: bool,
    pub can_manage_tags: bool,
    pub can_manage_fields: bool,
    pub can_manage_purposes: bool,
    /// The page's own path and query, for the language switch to come back to.
    pub here: String,
}

impl Shell {
    pub async fn load(
        state: &AppState,
        session: &Session,
        section: &'static str,
        here: &str,
        notice: Option<&str>,
    ) -> Result<Shell, WebError> {
        let views = state.store.saved_views(session.user.id).await?;
        let tr = Tr(session.lang);
        Ok(Shell {
            tr,
            lang: session.lang,
            user_name: session.user.name.clone(),
            csrf: session.csrf.clone(),
            section,
            views,
            // Only known texts can be shown, so a link cannot put words on our page.
            notice: notice.and_then(|k| kartei_app::texts::lookup(k, session.lang)),
            notice_is_problem: notice.is_some_and(|k| PROBLEM_NOTICES.contains(&k)),
            can_write: session.may(Permission::WriteRecords),
            can_admin: session.may(Permission::ManageUsers),
            can_manage_tags: session.may(Permission::ManageTags),
            can_manage_fields: session.may(Permission::ManageCustomFields),
            can_manage_purposes: session.may(Permission::ManagePurposes),
            here: here.to_string(),
        })
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.tr.t(key)
    }

    /// The navigation entries of everyday work: (path, text key, which is also the section).
    pub fn work_nav(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("/my-day", "nav.my_day"),
            ("/activities", "nav.activities"),
            ("/board", "nav.board"),
            ("/deals", "nav.deals"),
            ("/orders", "nav.orders"),
            ("/products", "nav.products"),
            ("/tickets", "nav.tickets"),
            ("/feedback", "nav.feedback"),
            ("/pipelines", "nav.pipelines"),
            ("/product-categories", "nav.categories"),
        ]
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn view_path(&self, view: &SavedView) -> String {
        format!(
            "{}?view={}",
            super::records::page_path(view.entity),
            view.id
        )
    }
}

/// A `Set-Cookie` value remembering the language (not secret, so readable by scripts).
pub fn lang_cookie(lang: Lang, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{LANG_COOKIE}={}; SameSite=Lax; Path=/; Max-Age=31536000{secure}",
        lang.code()
    )
}

/// `back` with a notice to show (a text key).
pub fn with_notice(back: &str, key: &str) -> String {
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}notice={key}")
}

/// Whether a redirect target given by the client (`next`, `_back`) stays on this
/// server: a path that a browser cannot read as another host. Control characters and
/// whitespace (browsers drop a tab, turning `/\t/evil.example` into
/// `//evil.example`), backslashes (read as slashes) and `//` are refused.
pub fn is_local_path(next: &str) -> bool {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    // What is left must also resolve to a path on this server.
    url::Url::parse("http://kartei.invalid/")
        .and_then(|base| base.join(next))
        .is_ok_and(|u| u.host_str() == Some("kartei.invalid"))
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_on_this_server_are_redirect_targets() {
        for ok in [
            "/",
            "/contacts",
            "/contacts?q=M%C3%BCller&view=1",
            "/deals/1#close",
        ] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "/\t/evil.example/",
            "/\t/evil.example",
            "/\r\n/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/ /evil.example",
            "/\u{b}/evil.example",
            "",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
