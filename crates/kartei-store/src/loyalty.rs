//! Loyalty points: an append-only ledger per contact. Points are earned, redeemed or
//! expire; a correction is a new entry, never an edit. The balance is the sum.

use crate::error::StoreError;
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::loyalty::{LoyaltyEntry, LoyaltyInput};
use kartei_core::validation::ErrorCode;
use sea_query::{Expr, Order, Query};
use uuid::Uuid;

type EntryRow = (
    Uuid,
    DateTime<Utc>,
    String,
    i64,
    String,
    Option<Uuid>,
    String,
);

impl Store {
    pub async fn loyalty_balance(&self, contact_id: Uuid) -> Result<i64, StoreError> {
        let mut tx = self.db.read().await?;
        balance(&mut tx, contact_id).await
    }

    /// The newest `limit` entries of a contact's ledger.
    pub async fn loyalty_entries(
        &self,
        contact_id: Uuid,
        limit: u64,
    ) -> Result<Vec<LoyaltyEntry>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<EntryRow> = tx
            .all(
                Query::select()
                    .columns(
                        [
                            "id",
                            "at",
                            "kind",
                            "points",
                            "reason",
                            "order_id",
                            "actor_name",
                        ]
                        .map(name),
                    )
                    .from(name("loyalty_ledger"))
                    .and_where(Expr::col(name("contact_id")).eq(contact_id))
                    .order_by(name("at"), Order::Desc)
                    .order_by(name("id"), Order::Desc)
                    .limit(limit.clamp(1, 500)),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, kind, points, reason, order_id, actor_name)| LoyaltyEntry {
                    id,
                    at,
                    kind,
                    points,
                    reason,
                    order_id,
                    actor_name,
                },
            )
            .collect())
    }

    /// Books points. Redeeming or expiring more than the balance is refused.
    pub async fn add_loyalty(
        &self,
        actor: &Actor,
        contact_id: Uuid,
        input: LoyaltyInput,
    ) -> Result<LoyaltyEntry, StoreError> {
        let booking = input.normalise().map_err(StoreError::Invalid)?;
        let mut tx = self.db.write().await?;
        if crate::records::current_version(
            &mut tx,
            kartei_core::record::Entity::Contact,
            contact_id,
        )
        .await?
        .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let signed = booking.points;
        if signed < 0 && balance(&mut tx, contact_id).await? + signed < 0 {
            return Err(StoreError::field("points", ErrorCode::OutOfRange));
        }
        let entry = LoyaltyEntry {
            id: Uuid::now_v7(),
            at: now(),
            kind: booking.kind,
            points: signed,
            reason: booking.reason,
            order_id: booking.order_id,
            actor_name: actor.name.clone(),
        };
        tx.execute(
            Query::insert()
                .into_table(name("loyalty_ledger"))
                .columns(
                    [
                        "id",
                        "contact_id",
                        "at",
                        "kind",
                        "points",
                        "reason",
                        "order_id",
                        "actor_id",
                        "actor_name",
                    ]
                    .map(name),
                )
                .values_panic([
                    entry.id.into(),
                    contact_id.into(),
                    entry.at.into(),
                    entry.kind.clone().into(),
                    entry.points.into(),
                    entry.reason.clone().into(),
                    entry.order_id.into(),
                    actor.user_id.into(),
                    entry.actor_name.clone().into(),
                ]),
        )
        .await?;
        audit::append(
            &mut tx,
            actor,
            "loyalty",
            Some(entry.id),
            "create",
            None,
            Some(&entry),
        )
        .await?;
        tx.commit().await?;
        Ok(entry)
    }
}

async fn balance(tx: &mut crate::db::Tx, contact_id: Uuid) -> Result<i64, StoreError> {
    let (sum,): (i64,) = tx
        .one(
            Query::select()
                .expr(crate::sql::sum_i64("points"))
                .from(name("loyalty_ledger"))
                .and_where(Expr::col(name("contact_id")).eq(contact_id)),
        )
        .await?;
    Ok(sum)
}
