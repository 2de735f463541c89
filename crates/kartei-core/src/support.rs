//! Support tickets and customer feedback (NPS, star ratings, reviews).

use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{
    raw, stamp, swap_id, Context, Entity, IndexValue, RecordData, Reference, SearchKeys,
};
use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const TICKET_STATUSES: &[&str] = &["new", "open", "waiting", "solved", "closed"];
pub const TICKET_PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const TICKET_CHANNELS: &[&str] = &["email", "phone", "web", "chat", "store", "other"];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TicketData {
    pub subject: Option<String>,
    pub description: Option<String>,
    /// `new`, `open`, `waiting`, `solved`, `closed`.
    pub status: Option<String>,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: Option<String>,
    /// `email`, `phone`, `web`, `chat`, `store`, `other`.
    pub channel: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
}

/// The fields lists filter and sort TicketData by, and the index columns behind them.
pub const TICKET_FIELDS: &[FieldSpec] = &[
    NAME,
    f("status", K::Choice(TICKET_STATUSES), false),
    f("priority", K::Choice(TICKET_PRIORITIES), false),
    f("channel", K::Choice(TICKET_CHANNELS), false),
    f("assignee_id", K::Reference, false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("due_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for TicketData {
    const FIELDS: &'static [FieldSpec] = TICKET_FIELDS;
    const ENTITY: Entity = Entity::Ticket;
    const LINKS_CONTACTS: bool = true;
    const REQUIRED: &'static [&'static [&'static str]] = &[&["subject"], &["contact_id"]];

    fn normalise(self, _ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let subject = check.text("subject", self.subject, 300);
        if subject.is_none() {
            check.fail("subject", ErrorCode::Required);
        }
        if self.contact_id.is_none() && self.organization_id.is_none() {
            check.fail("contact_id", ErrorCode::Required);
        }
        let data = TicketData {
            subject,
            description: check.long_text("description", self.description, 50_000),
            status: Some(
                check
                    .choice("status", self.status, TICKET_STATUSES)
                    .unwrap_or_else(|| "new".into()),
            ),
            priority: Some(
                check
                    .choice("priority", self.priority, TICKET_PRIORITIES)
                    .unwrap_or_else(|| "normal".into()),
            ),
            channel: Some(
                check
                    .choice("channel", self.channel, TICKET_CHANNELS)
                    .unwrap_or_else(|| "other".into()),
            ),
            assignee_id: self.assignee_id,
            contact_id: self.contact_id,
            organization_id: self.organization_id,
            due_at: self.due_at,
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("status", raw(self.status.as_ref())),
            ("priority", raw(self.priority.as_ref())),
            ("channel", raw(self.channel.as_ref())),
            ("assignee_id", IndexValue::Uuid(self.assignee_id)),
            ("contact_id", IndexValue::Uuid(self.contact_id)),
            ("organization_id", IndexValue::Uuid(self.organization_id)),
            ("due_at", stamp(self.due_at)),
        ]
    }

    fn sort_text(&self) -> String {
        self.subject.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        keys.add_words(self.subject.as_deref());
        keys
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        let mut refs = Vec::new();
        if let Some(id) = self.contact_id {
            refs.push(("contact_id", Reference::Contact(id)));
        }
        if let Some(id) = self.organization_id {
            refs.push(("organization_id", Reference::Organization(id)));
        }
        if let Some(id) = self.assignee_id {
            refs.push(("assignee_id", Reference::User(id)));
        }
        refs
    }

    fn organization_id(&self) -> Option<Uuid> {
        self.organization_id
    }

    fn contact_id(&self) -> Option<Uuid> {
        self.contact_id
    }

    fn replace_contact(&mut self, from: Uuid, to: Uuid) -> bool {
        swap_id(&mut self.contact_id, from, to)
    }

    fn display_name(&self) -> String {
        self.subject.clone().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FeedbackData {
    pub contact_id: Option<Uuid>,
    /// Net Promoter Score answer, 0–10.
    #[schema(minimum = 0, maximum = 10)]
    pub nps: Option<i64>,
    /// Stars, 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    pub review: Option<String>,
    /// Where it came from: survey, shop review, phone …
    pub source: Option<String>,
    pub given_on: Option<NaiveDate>,
    pub order_id: Option<Uuid>,
}

/// The fields lists filter and sort FeedbackData by, and the index columns behind them.
pub const FEEDBACK_FIELDS: &[FieldSpec] = &[
    NAME,
    f("contact_id", K::Reference, false),
    f("nps", K::Integer, true),
    f("rating", K::Integer, true),
    f("given_on", K::Date, true),
    f("happened_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for FeedbackData {
    const FIELDS: &'static [FieldSpec] = FEEDBACK_FIELDS;
    const ENTITY: Entity = Entity::Feedback;
    const LINKS_CONTACTS: bool = true;
    const REQUIRED: &'static [&'static [&'static str]] =
        &[&["contact_id"], &["nps", "rating", "review"]];

    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        if self.contact_id.is_none() {
            check.fail("contact_id", ErrorCode::Required);
        }
        if self.nps.is_some_and(|n| !(0..=10).contains(&n)) {
            check.fail("nps", ErrorCode::OutOfRange);
        }
        if self.rating.is_some_and(|n| !(1..=5).contains(&n)) {
            check.fail("rating", ErrorCode::OutOfRange);
        }
        let review = check.long_text("review", self.review, 20_000);
        if self.nps.is_none() && self.rating.is_none() && review.is_none() {
            check.fail("nps", ErrorCode::Required);
        }
        let given_on = self.given_on.unwrap_or(ctx.today);
        if given_on > ctx.today {
            check.fail("given_on", ErrorCode::FutureDate);
        }
        let data = FeedbackData {
            contact_id: self.contact_id,
            nps: self.nps,
            rating: self.rating,
            review,
            source: check.text("source", self.source, 100),
            given_on: Some(given_on),
            order_id: self.order_id,
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("contact_id", IndexValue::Uuid(self.contact_id)),
            ("nps", IndexValue::Int(self.nps)),
            ("rating", IndexValue::Int(self.rating)),
            ("given_on", IndexValue::Date(self.given_on)),
            ("happened_at", stamp(crate::record::midnight(self.given_on))),
        ]
    }

    fn sort_text(&self) -> String {
        self.given_on.map(|d| d.to_string()).unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        SearchKeys::default()
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        let mut refs = Vec::new();
        if let Some(id) = self.contact_id {
            refs.push(("contact_id", Reference::Contact(id)));
        }
        if let Some(id) = self.order_id {
            refs.push(("order_id", Reference::Order(id)));
        }
        refs
    }

    fn contact_id(&self) -> Option<Uuid> {
        self.contact_id
    }

    fn replace_contact(&mut self, from: Uuid, to: Uuid) -> bool {
        swap_id(&mut self.contact_id, from, to)
    }

    fn display_name(&self) -> String {
        match (self.nps, self.rating) {
            (Some(n), _) => format!("NPS {n}"),
            (None, Some(r)) => format!("{r}/5"),
            _ => self
                .review
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect(),
        }
    }
}
