//! Activities: notes, calls, e-mails, meetings and tasks on a contact, organisation or
//! deal. One record kind with the fields of each sort; validation checks what a sort needs.

use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{
    flag, raw, stamp, swap_id, swap_ids, Context, Entity, IndexValue, RecordData, Reference,
    SearchKeys,
};
use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const ACTIVITY_KINDS: &[&str] = &["note", "call", "email", "meeting", "task"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];
pub const CALL_OUTCOMES: &[&str] = &["reached", "no_answer", "voicemail", "busy", "wrong_number"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high"];

/// Whether a field belongs to an activity of `kind`: a call's direction and outcome,
/// a meeting's times and place, a task's due date and assignee. Fields every kind
/// has (subject, text, links) apply to all.
pub fn field_applies(kind: &str, field: &str) -> bool {
    match field {
        "direction" => matches!(kind, "call" | "email"),
        "duration_minutes" | "outcome" => kind == "call",
        "starts_at" | "ends_at" | "all_day" | "location" | "attendee_user_ids" => kind == "meeting",
        "due_date" | "assignee_id" | "priority" | "remind_at" => kind == "task",
        _ => true,
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ActivityData {
    /// `note`, `call`, `email`, `meeting` or `task`.
    pub kind: Option<String>,
    pub subject: Option<String>,
    /// Note text, call notes, e-mail body, meeting agenda, task description.
    pub body: Option<String>,
    /// What the activity is about: at least one of contact, organisation, deal.
    pub contact_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    /// When a note, call or e-mail happened (now when empty).
    pub occurred_at: Option<DateTime<Utc>>,
    /// Calls and e-mails: `inbound` or `outbound`.
    pub direction: Option<String>,
    /// Calls: minutes.
    #[schema(minimum = 0, maximum = 1440)]
    pub duration_minutes: Option<i64>,
    /// Calls: `reached`, `no_answer`, `voicemail`, `busy`, `wrong_number`.
    pub outcome: Option<String>,
    /// Meetings: start and end; `all_day` meetings use the dates only.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub all_day: bool,
    pub location: Option<String>,
    pub attendee_user_ids: Vec<Uuid>,
    pub attendee_contact_ids: Vec<Uuid>,
    /// Tasks: due date, assignee, priority (`low`, `normal`, `high`), done, reminder.
    pub due_date: Option<NaiveDate>,
    pub assignee_id: Option<Uuid>,
    pub priority: Option<String>,
    pub done: bool,
    pub remind_at: Option<DateTime<Utc>>,
    /// Tasks created to check a new contact's data: that contact. Set by the server.
    pub review_of: Option<Uuid>,
}

impl ActivityData {
    /// The time the activity stands at in a timeline.
    pub fn happened_at(&self) -> Option<DateTime<Utc>> {
        match self.kind.as_deref() {
            Some("meeting") => self.starts_at,
            Some("task") => crate::record::midnight(self.due_date).or(self.occurred_at),
            _ => self.occurred_at,
        }
    }
}

/// The fields lists filter and sort ActivityData by, and the index columns behind them.
pub const ACTIVITY_FIELDS: &[FieldSpec] = &[
    NAME,
    f("kind", K::Choice(ACTIVITY_KINDS), false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("deal_id", K::Reference, false),
    f("assignee_id", K::Reference, false),
    f("due_date", K::Date, true),
    f("starts_at", K::Timestamp, true),
    f("happened_at", K::Timestamp, true),
    f("done", K::Boolean, false),
    f("priority", K::Choice(PRIORITIES), false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for ActivityData {
    const FIELDS: &'static [FieldSpec] = ACTIVITY_FIELDS;
    const ENTITY: Entity = Entity::Activity;
    const LINKS_CONTACTS: bool = true;
    const REQUIRED: &'static [&'static [&'static str]] =
        &[&["kind"], &["contact_id", "organization_id", "deal_id"]];

    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let kind = check.choice("kind", self.kind, ACTIVITY_KINDS);
        if kind.is_none() {
            check.fail("kind", ErrorCode::Required);
        }
        if self.contact_id.is_none() && self.organization_id.is_none() && self.deal_id.is_none() {
            check.fail("contact_id", ErrorCode::Required);
        }
        let subject = check.text("subject", self.subject, 300);
        let k = kind.as_deref().unwrap_or("");
        if matches!(k, "email" | "meeting" | "task") && subject.is_none() {
            check.fail("subject", ErrorCode::Required);
        }
        let body = check.long_text("body", self.body, 50_000);
        if k == "note" && body.is_none() {
            check.fail("body", ErrorCode::Required);
        }
        for (field, present) in [
            ("direction", self.direction.is_some()),
            ("duration_minutes", self.duration_minutes.is_some()),
            ("outcome", self.outcome.is_some()),
            ("starts_at", self.starts_at.is_some()),
            ("ends_at", self.ends_at.is_some()),
            ("due_date", self.due_date.is_some()),
            ("assignee_id", self.assignee_id.is_some()),
            ("remind_at", self.remind_at.is_some()),
        ] {
            if present && !field_applies(k, field) {
                check.fail(field, ErrorCode::UnknownField);
            }
        }
        if self
            .duration_minutes
            .is_some_and(|m| !(0..=24 * 60).contains(&m))
        {
            check.fail("duration_minutes", ErrorCode::OutOfRange);
        }
        if k == "meeting" {
            match (self.starts_at, self.ends_at) {
                (None, _) => check.fail("starts_at", ErrorCode::Required),
                (Some(s), Some(e)) if e < s => check.fail("ends_at", ErrorCode::OutOfRange),
                _ => {}
            }
        }
        if self.attendee_user_ids.len() + self.attendee_contact_ids.len() > 100 {
            check.fail("attendee_contact_ids", ErrorCode::OutOfRange);
        }
        // Every activity stands somewhere in the timeline: when it happened, when a
        // meeting starts, when a task is due (or, without a due date, when it was noted).
        let occurred_at = match k {
            "meeting" => self.occurred_at,
            _ => Some(self.occurred_at.unwrap_or(ctx.now)),
        };
        let task = k == "task";
        let data = ActivityData {
            direction: check.choice("direction", self.direction, DIRECTIONS),
            outcome: check.choice("outcome", self.outcome, CALL_OUTCOMES),
            priority: if task {
                Some(
                    check
                        .choice("priority", self.priority, PRIORITIES)
                        .unwrap_or_else(|| "normal".into()),
                )
            } else {
                None
            },
            location: check.text("location", self.location, 300),
            kind,
            subject,
            body,
            contact_id: self.contact_id,
            organization_id: self.organization_id,
            deal_id: self.deal_id,
            occurred_at,
            duration_minutes: self.duration_minutes,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            all_day: self.all_day,
            attendee_user_ids: dedup(self.attendee_user_ids),
            attendee_contact_ids: dedup(self.attendee_contact_ids),
            due_date: self.due_date,
            assignee_id: self.assignee_id,
            done: task && self.done,
            remind_at: self.remind_at,
            review_of: self.review_of,
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("kind", raw(self.kind.as_ref())),
            ("contact_id", IndexValue::Uuid(self.contact_id)),
            ("organization_id", IndexValue::Uuid(self.organization_id)),
            ("deal_id", IndexValue::Uuid(self.deal_id)),
            ("assignee_id", IndexValue::Uuid(self.assignee_id)),
            ("due_date", IndexValue::Date(self.due_date)),
            ("starts_at", stamp(self.starts_at)),
            ("happened_at", stamp(self.happened_at())),
            ("done", flag(self.done)),
            ("priority", raw(self.priority.as_ref())),
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
        if let Some(id) = self.deal_id {
            refs.push(("deal_id", Reference::Deal(id)));
        }
        if let Some(id) = self.assignee_id {
            refs.push(("assignee_id", Reference::User(id)));
        }
        refs.extend(
            self.attendee_user_ids
                .iter()
                .map(|id| ("attendee_user_ids", Reference::User(*id))),
        );
        refs.extend(
            self.attendee_contact_ids
                .iter()
                .map(|id| ("attendee_contact_ids", Reference::Contact(*id))),
        );
        refs
    }

    fn organization_id(&self) -> Option<Uuid> {
        self.organization_id
    }

    fn contact_id(&self) -> Option<Uuid> {
        self.contact_id
    }

    fn replace_contact(&mut self, from: Uuid, to: Uuid) -> bool {
        let a = swap_id(&mut self.contact_id, from, to);
        swap_ids(&mut self.attendee_contact_ids, from, to) | a
    }

    fn display_name(&self) -> String {
        self.subject
            .clone()
            .or_else(|| self.body.as_ref().map(|b| b.chars().take(60).collect()))
            .unwrap_or_default()
    }
}

fn dedup(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}
