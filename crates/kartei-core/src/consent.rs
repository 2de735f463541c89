//! The consent ledger: what a person agreed to (or refused, or withdrew), on which
//! channel, for which purpose, on what lawful basis, with what proof.
//!
//! Events are appended and never changed; the current state of a channel × purpose is
//! the latest event (by when it happened), and a granted consent whose expiry passed
//! counts as expired. Whether a contact may be addressed is [`ConsentState::permits`].

use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

/// The ways a person can be addressed.
pub const CHANNELS: &[&str] = &["email", "phone", "sms", "post", "messenger"];
pub const STATUSES: &[&str] = &["granted", "withdrawn", "refused", "pending"];
/// Art. 6(1) GDPR, letters a–f.
pub const BASES: &[&str] = &[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interest",
];
pub const SOURCES: &[&str] = &[
    "web_form",
    "import",
    "phone",
    "paper",
    "in_person",
    "api",
    "double_opt_in",
];

/// A purpose of processing as admins configure it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Purpose {
    /// Stable key: lower-case letters, digits and `_`, e.g. `newsletter`.
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    pub description_de: String,
    pub description_en: String,
}

impl Purpose {
    pub fn normalise(self) -> Result<Purpose, Vec<FieldError>> {
        let mut check = Checker::default();
        let key = self.key.trim().to_string();
        if !valid_key(&key) {
            check.fail("key", ErrorCode::InvalidKey);
        }
        let mut text = |field: &str, v: String, max: usize| {
            let v = check.text(field, Some(v), max);
            if v.is_none() {
                check.fail(field, ErrorCode::Required);
            }
            v.unwrap_or_default()
        };
        let purpose = Purpose {
            key,
            name_de: text("name_de", self.name_de, 100),
            name_en: text("name_en", self.name_en, 100),
            description_de: text("description_de", self.description_de, 1000),
            description_en: text("description_en", self.description_en, 1000),
        };
        check.finish(purpose)
    }
}

/// A purpose's names and descriptions, as an admin writes them for a key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurposeText {
    pub name_de: String,
    pub name_en: String,
    pub description_de: String,
    pub description_en: String,
}

impl PurposeText {
    pub fn with_key(self, key: &str) -> Purpose {
        Purpose {
            key: key.to_string(),
            name_de: self.name_de,
            name_en: self.name_en,
            description_de: self.description_de,
            description_en: self.description_en,
        }
    }
}

fn valid_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A consent event as a client records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// One of `email`, `phone`, `sms`, `post`, `messenger`.
    pub channel: String,
    /// A configured purpose, e.g. `newsletter`.
    pub purpose: String,
    /// `granted`, `withdrawn`, `refused` or `pending` (waiting for confirmation).
    pub status: String,
    /// The lawful basis (Art. 6(1) GDPR): `consent`, `contract`, `legal_obligation`,
    /// `vital_interests`, `public_task` or `legitimate_interest`.
    pub basis: String,
    /// How it was obtained: `web_form`, `import`, `phone`, `paper`, `in_person`, `api`,
    /// `double_opt_in`.
    pub source: String,
    /// The exact text the person agreed to; required when consent is granted.
    #[serde(default)]
    pub wording: Option<String>,
    /// Further proof: a file name, a note on the call, a form's name.
    #[serde(default)]
    pub proof: Option<String>,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    /// When it happened; now when left out. Not in the future.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    /// When a granted consent ends.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A checked event, ready to be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub channel: String,
    pub purpose: String,
    pub status: String,
    pub basis: String,
    pub source: String,
    pub wording: Option<Wording>,
    pub proof: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The text a person agreed to, named by its SHA-256 so it is stored once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    pub hash: String,
    pub text: String,
}

impl Wording {
    pub fn new(text: String) -> Wording {
        let hash = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Wording { hash, text }
    }
}

/// A clock may run a little ahead of the server's; more than this is a mistake.
const FUTURE_SLACK: Duration = Duration::minutes(5);

impl ConsentInput {
    /// Checks every field against the fixed lists and the configured purposes.
    pub fn normalise(
        self,
        purposes: &[String],
        now: DateTime<Utc>,
    ) -> Result<NewConsent, Vec<FieldError>> {
        let mut check = Checker::default();
        let required = |check: &mut Checker, field: &str, v: String, allowed: &[&str]| {
            let v = check.choice(field, Some(v), allowed);
            if v.is_none() {
                check.fail(field, ErrorCode::Required);
            }
            v.unwrap_or_default()
        };
        let channel = required(&mut check, "channel", self.channel, CHANNELS);
        let keys: Vec<&str> = purposes.iter().map(String::as_str).collect();
        let purpose = required(&mut check, "purpose", self.purpose, &keys);
        let status = required(&mut check, "status", self.status, STATUSES);
        let basis = required(&mut check, "basis", self.basis, BASES);
        let source = required(&mut check, "source", self.source, SOURCES);
        let wording = check.long_text("wording", self.wording, 10_000);
        // An import's proof is the file it came from, which rarely holds the text.
        if wording.is_none() && status == "granted" && basis == "consent" && source != "import" {
            check.fail("wording", ErrorCode::Required);
        }
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + FUTURE_SLACK {
            check.fail("occurred_at", ErrorCode::FutureDate);
        }
        if self.expires_at.is_some_and(|e| e <= occurred_at) {
            check.fail("expires_at", ErrorCode::OutOfRange);
        }
        let ip_address = check.text("ip_address", self.ip_address, 45);
        if ip_address
            .as_deref()
            .is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_err())
        {
            check.fail("ip_address", ErrorCode::InvalidType);
        }
        let consent = NewConsent {
            channel,
            purpose,
            status,
            basis,
            source,
            wording: wording.map(Wording::new),
            proof: check.long_text("proof", self.proof, 2000),
            ip_address,
            user_agent: check.text("user_agent", self.user_agent, 500),
            occurred_at,
            expires_at: self.expires_at,
        };
        check.finish(consent)
    }
}

/// A stored event, as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsentEvent {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub channel: String,
    pub purpose: String,
    pub status: String,
    pub basis: String,
    pub source: String,
    /// SHA-256 of the wording, when there is one.
    pub wording_hash: Option<String>,
    /// The wording's version among the texts recorded for this purpose (1, 2 …).
    pub wording_version: Option<i64>,
    pub wording: Option<String>,
    pub proof: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The user who recorded it (a phone consent names who took the call).
    pub recorded_by: Option<Uuid>,
    pub recorded_by_name: String,
    /// The import that recorded it, when one did.
    pub import_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
}

/// A contact's consents: the state per channel × purpose and every event, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Consents {
    pub state: Vec<ConsentState>,
    pub events: Vec<ConsentEvent>,
}

/// The current state of one channel × purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsentState {
    pub channel: String,
    pub purpose: String,
    /// The latest event's status, or `expired` for a granted consent past its expiry.
    pub status: String,
    pub basis: String,
    pub since: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The event the state comes from.
    pub event_id: Uuid,
}

impl ConsentState {
    /// Whether the contact may be addressed on this channel for this purpose.
    pub fn permits(&self) -> bool {
        self.status == "granted"
    }
}

/// The current state per channel × purpose from a contact's events (any order).
pub fn current(events: &[ConsentEvent], now: DateTime<Utc>) -> Vec<ConsentState> {
    let mut latest: Vec<&ConsentEvent> = Vec::new();
    for e in events {
        match latest
            .iter_mut()
            .find(|l| l.channel == e.channel && l.purpose == e.purpose)
        {
            // The later event decides; of two at one moment, the one recorded later
            // (ids are time-ordered).
            Some(l) if (e.occurred_at, e.id) > (l.occurred_at, l.id) => *l = e,
            Some(_) => {}
            None => latest.push(e),
        }
    }
    let mut states: Vec<ConsentState> = latest
        .into_iter()
        .map(|e| ConsentState {
            channel: e.channel.clone(),
            purpose: e.purpose.clone(),
            status: effective_status(&e.status, e.expires_at, now).to_string(),
            basis: e.basis.clone(),
            since: e.occurred_at,
            expires_at: e.expires_at,
            event_id: e.id,
        })
        .collect();
    states.sort_by(|a, b| (&a.channel, &a.purpose).cmp(&(&b.channel, &b.purpose)));
    states
}

/// A granted consent past its expiry is `expired`; any other status stands.
pub fn effective_status(
    status: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> &str {
    if status == "granted" && expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else {
        status
    }
}

/// A channel and purpose as written on the command line and in filters:
/// `email:newsletter`.
pub fn parse_target(text: &str) -> Option<(String, String)> {
    let (channel, purpose) = text.trim().split_once(':')?;
    (CHANNELS.contains(&channel) && valid_key(purpose))
        .then(|| (channel.to_string(), purpose.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap()
    }

    fn input(status: &str) -> ConsentInput {
        ConsentInput {
            channel: "email".into(),
            purpose: "newsletter".into(),
            status: status.into(),
            basis: "consent".into(),
            source: "paper".into(),
            wording: Some("Ja, ich möchte den Newsletter.".into()),
            ..ConsentInput::default()
        }
    }

    fn purposes() -> Vec<String> {
        vec!["newsletter".into(), "product_news".into()]
    }

    fn event(status: &str, day: u32, expires: Option<u32>) -> ConsentEvent {
        ConsentEvent {
            id: Uuid::now_v7(),
            contact_id: Uuid::nil(),
            channel: "email".into(),
            purpose: "newsletter".into(),
            status: status.into(),
            basis: "consent".into(),
            source: "paper".into(),
            wording_hash: None,
            wording_version: None,
            wording: None,
            proof: None,
            ip_address: None,
            user_agent: None,
            recorded_by: None,
            recorded_by_name: String::new(),
            import_id: None,
            occurred_at: at(day),
            expires_at: expires.map(at),
            recorded_at: at(day),
        }
    }

    #[test]
    fn a_valid_event_is_accepted_and_its_wording_hashed() {
        let c = input("granted").normalise(&purposes(), at(10)).unwrap();
        assert_eq!(c.occurred_at, at(10));
        let w = c.wording.unwrap();
        assert_eq!(w.hash.len(), 64);
        assert_eq!(w.hash, Wording::new(w.text.clone()).hash);
        assert_ne!(w.hash, Wording::new("Nein.".into()).hash);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let wrong = ConsentInput {
            channel: "fax".into(),
            purpose: "lottery".into(),
            status: "maybe".into(),
            basis: String::new(),
            source: "api".into(),
            ip_address: Some("not an ip".into()),
            occurred_at: Some(at(20)),
            expires_at: Some(at(19)),
            ..ConsentInput::default()
        };
        let errors = wrong.normalise(&purposes(), at(10)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "channel",
            "purpose",
            "status",
            "basis",
            "ip_address",
            "occurred_at",
            "expires_at",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn granted_consent_needs_its_wording_but_a_withdrawal_does_not() {
        let mut no_text = input("granted");
        no_text.wording = None;
        let errors = no_text.clone().normalise(&purposes(), at(10)).unwrap_err();
        assert_eq!(errors[0].field, "wording");
        no_text.status = "withdrawn".into();
        assert!(no_text.normalise(&purposes(), at(10)).is_ok());
    }

    #[test]
    fn the_latest_event_decides_and_expiry_ends_a_grant() {
        let events = [
            event("granted", 1, None),
            event("withdrawn", 5, None),
            event("granted", 3, None),
        ];
        let state = current(&events, at(10));
        assert_eq!(state.len(), 1);
        assert_eq!(state[0].status, "withdrawn");
        assert!(!state[0].permits());

        let events = [event("withdrawn", 1, None), event("granted", 2, Some(8))];
        assert!(current(&events, at(7))[0].permits());
        assert_eq!(current(&events, at(8))[0].status, "expired");
    }

    #[test]
    fn targets_name_a_channel_and_a_purpose() {
        assert_eq!(
            parse_target("email:newsletter"),
            Some(("email".into(), "newsletter".into()))
        );
        assert_eq!(parse_target("fax:newsletter"), None);
        assert_eq!(parse_target("email"), None);
    }
}
