//! Loyalty points: the entries of a contact's ledger and their checks.

use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const LOYALTY_KINDS: &[&str] = &["earn", "redeem", "expire"];

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LoyaltyEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `earn`, `redeem` or `expire`.
    pub kind: String,
    /// Signed: positive when earned, negative when redeemed or expired.
    pub points: i64,
    pub reason: String,
    pub order_id: Option<Uuid>,
    pub actor_name: String,
}

/// A new ledger entry as a client sends it; `points` is positive for every kind.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoyaltyInput {
    /// `earn`, `redeem` or `expire`.
    #[schema(value_type = String, required = true)]
    pub kind: Option<String>,
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 10000000)]
    pub points: Option<i64>,
    #[schema(value_type = String, required = true, pattern = r"\S")]
    pub reason: Option<String>,
    pub order_id: Option<Uuid>,
}

/// A checked entry: kind, signed points, reason.
pub struct Booking {
    pub kind: String,
    pub points: i64,
    pub reason: String,
    pub order_id: Option<Uuid>,
}

impl LoyaltyInput {
    pub fn normalise(self) -> Result<Booking, Vec<FieldError>> {
        let mut check = Checker::default();
        let kind = check.choice("kind", self.kind, LOYALTY_KINDS);
        if kind.is_none() {
            check.fail("kind", ErrorCode::Required);
        }
        let points = self.points.unwrap_or(0);
        if !(1..=10_000_000).contains(&points) {
            check.fail("points", ErrorCode::OutOfRange);
        }
        let reason = check.text("reason", self.reason, 300);
        if reason.is_none() {
            check.fail("reason", ErrorCode::Required);
        }
        let kind = kind.unwrap_or_default();
        // Out of range is refused above; saturating keeps i64::MIN from overflowing here.
        let points = if kind == "earn" {
            points
        } else {
            points.saturating_neg()
        };
        check.finish(Booking {
            kind,
            points,
            reason: reason.unwrap_or_default(),
            order_id: self.order_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_out_of_range_are_refused_without_overflow() {
        for points in [i64::MIN, -1, 0, 10_000_001, i64::MAX] {
            let input = LoyaltyInput {
                kind: Some("redeem".into()),
                points: Some(points),
                reason: Some("Gutschein".into()),
                order_id: None,
            };
            let Err(errors) = input.normalise() else {
                panic!("{points} points were taken");
            };
            assert_eq!(errors[0].field, "points", "{points}");
        }
    }
}
