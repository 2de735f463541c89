//! Users, browser sessions and API tokens. Secrets arrive here already hashed.

use crate::audit;
use crate::error::StoreError;
use crate::sql::name;
use crate::{now, Actor, Store};
use chrono::{DateTime, Duration, Utc};
use kartei_core::access::{normalise_user_name, Role};
use kartei_core::validation::ErrorCode;
use sea_query::{Alias, Expr, JoinType, Order, Query, SimpleExpr};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub language: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

type UserRow = (Uuid, String, String, Option<String>, i64, DateTime<Utc>);
/// A user row followed by one more text column (password hash or CSRF token).
type UserRowWith = (
    Uuid,
    String,
    String,
    Option<String>,
    i64,
    DateTime<Utc>,
    String,
);
type TokenRow = (
    Uuid,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);
const USER_COLUMNS: [&str; 6] = ["id", "name", "role", "language", "version", "created_at"];

fn decode(row: UserRow) -> Result<User, StoreError> {
    let (id, user_name, role, language, version, created_at) = row;
    let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
    Ok(User {
        id,
        name: user_name,
        role,
        language,
        version,
        created_at,
    })
}

/// The user behind a secret: `users` joined with the credential `table` (sessions or
/// API tokens, alias `k`) on its `token_hash`. Callers add columns and conditions of `k`.
fn user_by_secret(table: &str, token_hash: &str) -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.exprs(user_columns("u"))
        .from_as(name(table), Alias::new("k"))
        .join_as(
            JoinType::InnerJoin,
            name("users"),
            Alias::new("u"),
            Expr::col((Alias::new("u"), Alias::new("id")))
                .equals((Alias::new("k"), Alias::new("user_id"))),
        )
        .and_where(Expr::col((Alias::new("k"), Alias::new("token_hash"))).eq(token_hash));
    q
}

fn user_columns(alias: &str) -> Vec<SimpleExpr> {
    USER_COLUMNS
        .iter()
        .map(|c| Expr::col((Alias::new(alias), Alias::new(*c))).into())
        .collect()
}

/// Only this often is a token's last use written, so reads stay reads.
const LAST_USED_RESOLUTION_MINUTES: i64 = 10;

impl Store {
    pub async fn add_user(
        &self,
        actor: &Actor,
        user_name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let user_name = normalise_user_name(user_name).map_err(|c| StoreError::field("name", c))?;
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.db.write().await?;
        audit::insert_audited(
            &mut tx,
            actor,
            "users",
            vec![
                ("id", id.into()),
                ("name", user_name.clone().into()),
                ("password_hash", password_hash.into()),
                ("role", role.as_str().into()),
                ("version", 1i64.into()),
                ("created_at", at.into()),
                ("updated_at", at.into()),
            ],
            "user",
            id,
            &serde_json::json!({"name": user_name, "role": role}),
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            id,
            name: user_name,
            role,
            language: None,
            version: 1,
            created_at: at,
        })
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<UserRow> = tx
            .all(
                Query::select()
                    .columns(USER_COLUMNS.map(name))
                    .from(name("users"))
                    .order_by(name("name"), Order::Asc),
            )
            .await?;
        rows.into_iter().map(decode).collect()
    }

    pub async fn user(&self, id: Uuid) -> Result<User, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<UserRow> = tx
            .optional(
                Query::select()
                    .columns(USER_COLUMNS.map(name))
                    .from(name("users"))
                    .and_where(Expr::col(name("id")).eq(id)),
            )
            .await?;
        decode(row.ok_or(StoreError::NotFound)?)
    }

    /// A user and their password hash, for signing in.
    pub async fn user_credentials(
        &self,
        user_name: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<UserRowWith> = tx
            .optional(
                Query::select()
                    .columns(USER_COLUMNS.map(name))
                    .column(name("password_hash"))
                    .from(name("users"))
                    .and_where(Expr::col(name("name")).eq(user_name.trim())),
            )
            .await?;
        row.map(|(id, n, role, lang, version, created, hash)| {
            Ok((decode((id, n, role, lang, version, created))?, hash))
        })
        .transpose()
    }

    /// Changes a user's role, language or password hash (`None` leaves it as it is).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: Uuid,
        role: Option<Role>,
        language: Option<String>,
        password_hash: Option<String>,
    ) -> Result<User, StoreError> {
        let mut tx = self.db.write().await?;
        let was_admin: Option<(String,)> = tx
            .optional(
                Query::select()
                    .column(name("role"))
                    .from(name("users"))
                    .and_where(Expr::col(name("id")).eq(id)),
            )
            .await?;
        let was_admin = was_admin.is_some_and(|(r,)| r == Role::Admin.as_str());
        let mut values: Vec<(Alias, SimpleExpr)> = vec![
            (name("version"), Expr::col(name("version")).add(1)),
            (name("updated_at"), now().into()),
        ];
        if let Some(r) = role {
            values.push((name("role"), r.as_str().into()));
        }
        if let Some(l) = &language {
            values.push((name("language"), l.clone().into()));
        }
        let password_changed = password_hash.is_some();
        if let Some(h) = password_hash {
            values.push((name("password_hash"), h.into()));
        }
        let n = tx
            .execute(
                Query::update()
                    .table(name("users"))
                    .values(values)
                    .and_where(Expr::col(name("id")).eq(id)),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // Checked inside the transaction, so two admins demoting each other at once
        // cannot both succeed.
        if was_admin && role.is_some_and(|r| r != Role::Admin) && admins(&mut tx).await? == 0 {
            return Err(StoreError::field("role", ErrorCode::LastAdmin));
        }
        if password_changed {
            // A new password ends every session that knew the old one.
            tx.delete_where("sessions", "user_id", id).await?;
        }
        let after = serde_json::json!({"role": role, "language": language, "password_changed": password_changed});
        audit::append(
            &mut tx,
            actor,
            "user",
            Some(id),
            "update",
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn delete_user(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let user = self.user(id).await?;
        let mut tx = self.db.write().await?;
        tx.delete_where("users", "id", id).await?;
        if user.role == Role::Admin && admins(&mut tx).await? == 0 {
            return Err(StoreError::field("role", ErrorCode::LastAdmin));
        }
        let before = serde_json::json!({"name": user.name, "role": user.role});
        audit::append(
            &mut tx,
            actor,
            "user",
            Some(id),
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await
    }

    pub async fn create_session(
        &self,
        user_id: Uuid,
        token_hash: &str,
        csrf_token: &str,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        let at = now();
        let mut tx = self.db.write().await?;
        // Expired sessions are cleared whenever someone signs in.
        tx.execute(
            Query::delete()
                .from_table(name("sessions"))
                .and_where(Expr::col(name("expires_at")).lt(at)),
        )
        .await?;
        tx.execute(
            Query::insert()
                .into_table(name("sessions"))
                .columns(
                    [
                        "token_hash",
                        "user_id",
                        "csrf_token",
                        "created_at",
                        "expires_at",
                    ]
                    .map(name),
                )
                .values_panic([
                    token_hash.into(),
                    user_id.into(),
                    csrf_token.into(),
                    at.into(),
                    (at + lifetime).into(),
                ]),
        )
        .await?;
        tx.commit().await
    }

    /// The user of a live session and its CSRF token.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut q = user_by_secret("sessions", token_hash);
        q.expr(Expr::col((Alias::new("k"), Alias::new("csrf_token"))))
            .and_where(Expr::col((Alias::new("k"), Alias::new("expires_at"))).gt(now()));
        let row: Option<UserRowWith> = tx.optional(&q).await?;
        row.map(|(id, n, role, lang, version, created, csrf)| {
            Ok((decode((id, n, role, lang, version, created))?, csrf))
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        tx.execute(
            Query::delete()
                .from_table(name("sessions"))
                .and_where(Expr::col(name("token_hash")).eq(token_hash)),
        )
        .await?;
        tx.commit().await
    }

    pub async fn create_api_token(
        &self,
        actor: &Actor,
        user_id: Uuid,
        token_name: &str,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError> {
        let token_name = token_name.trim();
        if token_name.is_empty() || token_name.chars().count() > 100 {
            return Err(StoreError::field(
                "name",
                if token_name.is_empty() {
                    ErrorCode::Required
                } else {
                    ErrorCode::TooLong
                },
            ));
        }
        self.user(user_id).await?;
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.db.write().await?;
        audit::insert_audited(
            &mut tx,
            actor,
            "api_tokens",
            vec![
                ("id", id.into()),
                ("user_id", user_id.into()),
                ("name", token_name.into()),
                ("token_hash", token_hash.into()),
                ("created_at", at.into()),
            ],
            "api_token",
            id,
            &serde_json::json!({"token": token_name, "user_id": user_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(ApiToken {
            id,
            name: token_name.to_string(),
            created_at: at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// The user a live (not revoked) API token belongs to.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut q = user_by_secret("api_tokens", token_hash);
        q.expr(Expr::col((Alias::new("k"), Alias::new("id"))))
            .expr(Expr::col((Alias::new("k"), Alias::new("last_used_at"))))
            .and_where(Expr::col((Alias::new("k"), Alias::new("revoked_at"))).is_null());
        type Row = (
            Uuid,
            String,
            String,
            Option<String>,
            i64,
            DateTime<Utc>,
            Uuid,
            Option<DateTime<Utc>>,
        );
        let row: Option<Row> = tx.optional(&q).await?;
        drop(tx);
        let Some((id, n, role, lang, version, created, token_id, last_used)) = row else {
            return Ok(None);
        };
        let at = now();
        if last_used.is_none_or(|t| at - t > Duration::minutes(LAST_USED_RESOLUTION_MINUTES)) {
            let mut tx = self.db.write().await?;
            tx.execute(
                Query::update()
                    .table(name("api_tokens"))
                    .value(name("last_used_at"), at)
                    .and_where(Expr::col(name("id")).eq(token_id)),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(Some(decode((id, n, role, lang, version, created))?))
    }

    pub async fn api_tokens(&self, user_id: Uuid) -> Result<Vec<ApiToken>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<TokenRow> = tx
            .all(
                Query::select()
                    .columns(["id", "name", "created_at", "last_used_at", "revoked_at"].map(name))
                    .from(name("api_tokens"))
                    .and_where(Expr::col(name("user_id")).eq(user_id))
                    .order_by(name("id"), Order::Asc),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, created_at, last_used_at, revoked_at)| ApiToken {
                    id,
                    name,
                    created_at,
                    last_used_at,
                    revoked_at,
                },
            )
            .collect())
    }

    pub async fn revoke_api_token(
        &self,
        actor: &Actor,
        user_id: Uuid,
        token_id: Uuid,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        let n = tx
            .execute(
                Query::update()
                    .table(name("api_tokens"))
                    .value(name("revoked_at"), now())
                    .and_where(Expr::col(name("id")).eq(token_id))
                    .and_where(Expr::col(name("user_id")).eq(user_id))
                    .and_where(Expr::col(name("revoked_at")).is_null()),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append::<()>(
            &mut tx,
            actor,
            "api_token",
            Some(token_id),
            "revoke",
            None,
            None,
        )
        .await?;
        tx.commit().await
    }
}

/// How many administrators there are (as the transaction sees it).
async fn admins(tx: &mut crate::db::Tx) -> Result<i64, StoreError> {
    let (n,): (i64,) = tx
        .one(
            Query::select()
                .expr(Expr::col(name("id")).count())
                .from(name("users"))
                .and_where(Expr::col(name("role")).eq(Role::Admin.as_str())),
        )
        .await?;
    Ok(n)
}
