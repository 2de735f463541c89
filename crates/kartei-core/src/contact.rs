//! A contact: a person, with the master data German CRM practice expects.

use crate::bank::BankDetails;
use crate::channels::{self, Address, EmailEntry, PhoneEntry};
use crate::custom_field::normalise_custom;
use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{raw, text, Context, Entity, IndexValue, RecordData, Reference, SearchKeys};
use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

pub const GENDERS: &[&str] = &["female", "male", "diverse"];
pub const LIFECYCLE_STAGES: &[&str] = &["lead", "prospect", "customer", "former"];
pub const CUSTOMER_TYPES: &[&str] = &["private", "business"];
pub const LEAD_STATUSES: &[&str] = &["new", "contacted", "qualified", "unqualified"];

/// A person's master data, as a client sends it and as it is stored (normalised).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContactData {
    /// "Herr", "Frau", or any form of address.
    pub salutation: Option<String>,
    /// Academic title, e.g. "Dr." or "Prof. Dr.".
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `female`, `male` or `diverse`.
    pub gender: Option<String>,
    pub birthday: Option<NaiveDate>,
    /// ISO 639-1 code of the language to write to the contact in.
    pub language: Option<String>,
    pub emails: Vec<EmailEntry>,
    pub phones: Vec<PhoneEntry>,
    pub addresses: Vec<Address>,
    pub organization_id: Option<Uuid>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    /// `lead`, `prospect`, `customer` or `former`.
    pub lifecycle_stage: Option<String>,
    pub lead_source: Option<String>,
    /// `new`, `contacted`, `qualified` or `unqualified`.
    pub lead_status: Option<String>,
    /// 0–100: how promising the lead is.
    #[schema(minimum = 0, maximum = 100)]
    pub lead_score: Option<i64>,
    /// Set for new contacts until the review task of their owner is done.
    pub needs_check: bool,
    /// The user responsible for this contact.
    pub owner_id: Option<Uuid>,
    pub price_group: Option<String>,
    /// `private` or `business`.
    pub customer_type: Option<String>,
    pub customer_number: Option<String>,
    /// The contact's id in the system it was imported from, to match it on re-import.
    pub external_id: Option<String>,
    /// Sensitive: shown masked to roles without access to bank details.
    pub bank: Option<BankDetails>,
    pub notes: Option<String>,
    /// Values of custom fields by key.
    #[schema(value_type = Object)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

pub(crate) fn normalise_language(check: &mut Checker, value: Option<String>) -> Option<String> {
    check.normalise("language", value, |l| {
        let l = l.to_ascii_lowercase();
        if l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()) {
            Ok(l)
        } else {
            Err(ErrorCode::InvalidLanguage)
        }
    })
}

/// The fields lists filter and sort ContactData by, and the index columns behind them.
pub const CONTACT_FIELDS: &[FieldSpec] = &[
    NAME,
    f("first_name", K::Text, true),
    f("last_name", K::Text, false),
    f("gender", K::Choice(GENDERS), false),
    f("birthday", K::Date, true),
    f("language", K::Text, false),
    f("email", K::Text, true),
    f("phone", K::Phone, false),
    f("city", K::Text, true),
    f("postcode", K::Text, true),
    f("country", K::Text, false),
    f("organization_id", K::Reference, false),
    f("job_title", K::Text, false),
    f("lifecycle_stage", K::Choice(LIFECYCLE_STAGES), false),
    f("lead_source", K::Text, false),
    f("lead_status", K::Choice(LEAD_STATUSES), false),
    f("lead_score", K::Integer, true),
    f("needs_check", K::Boolean, false),
    f("owner_id", K::Reference, false),
    f("price_group", K::Text, false),
    f("customer_type", K::Choice(CUSTOMER_TYPES), false),
    f("customer_number", K::Text, false),
    f("external_id", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl channels::HasChannels for ContactData {
    fn channels(&mut self) -> channels::Channels<'_> {
        channels::Channels {
            emails: &mut self.emails,
            phones: &mut self.phones,
            addresses: &mut self.addresses,
        }
    }
}

impl RecordData for ContactData {
    const FIELDS: &'static [FieldSpec] = CONTACT_FIELDS;
    const SENSITIVE: &'static [&'static str] = &["bank"];
    const ENTITY: Entity = Entity::Contact;
    const REQUIRED: &'static [&'static [&'static str]] =
        &[&["last_name", "first_name", "organization_id"]];

    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let first_name = check.text("first_name", self.first_name, 100);
        let last_name = check.text("last_name", self.last_name, 100);
        if first_name.is_none() && last_name.is_none() && self.organization_id.is_none() {
            check.fail("last_name", ErrorCode::NameRequired);
        }
        if self.lead_score.is_some_and(|s| !(0..=100).contains(&s)) {
            check.fail("lead_score", ErrorCode::OutOfRange);
        }
        if let Some(b) = self.birthday {
            if b > ctx.today {
                check.fail("birthday", ErrorCode::FutureDate);
            } else if b.year() < 1880 {
                check.fail("birthday", ErrorCode::OutOfRange);
            }
        }
        let data = ContactData {
            salutation: check.text("salutation", self.salutation, 50),
            title: check.text("title", self.title, 50),
            first_name,
            last_name,
            gender: check.choice("gender", self.gender, GENDERS),
            birthday: self.birthday,
            language: normalise_language(&mut check, self.language),
            emails: channels::normalise_emails(&mut check, self.emails),
            phones: channels::normalise_phones(&mut check, self.phones, ctx.default_region),
            addresses: channels::normalise_addresses(
                &mut check,
                self.addresses,
                ctx.default_region,
            ),
            organization_id: self.organization_id,
            job_title: check.text("job_title", self.job_title, 100),
            department: check.text("department", self.department, 100),
            lifecycle_stage: check.choice(
                "lifecycle_stage",
                self.lifecycle_stage,
                LIFECYCLE_STAGES,
            ),
            lead_source: check.text("lead_source", self.lead_source, 100),
            lead_status: check.choice("lead_status", self.lead_status, LEAD_STATUSES),
            lead_score: self.lead_score,
            needs_check: self.needs_check,
            owner_id: self.owner_id,
            price_group: check.text("price_group", self.price_group, 50),
            customer_type: check.choice("customer_type", self.customer_type, CUSTOMER_TYPES),
            customer_number: check.text("customer_number", self.customer_number, 50),
            external_id: check.text("external_id", self.external_id, 200),
            bank: self.bank.and_then(|b| b.normalise(&mut check)),
            notes: check.long_text("notes", self.notes, 10_000),
            custom: normalise_custom(&mut check, Entity::Contact, self.custom, ctx.custom_fields),
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        let mut values = vec![
            ("first_name", text(self.first_name.as_ref())),
            ("last_name", text(self.last_name.as_ref())),
            ("gender", raw(self.gender.as_ref())),
            ("birthday", IndexValue::Date(self.birthday)),
            ("language", raw(self.language.as_ref())),
            ("organization_id", IndexValue::Uuid(self.organization_id)),
            ("job_title", text(self.job_title.as_ref())),
            ("lifecycle_stage", raw(self.lifecycle_stage.as_ref())),
            ("lead_source", text(self.lead_source.as_ref())),
            ("lead_status", raw(self.lead_status.as_ref())),
            ("lead_score", IndexValue::Int(self.lead_score)),
            ("needs_check", crate::record::flag(self.needs_check)),
            ("owner_id", IndexValue::Uuid(self.owner_id)),
            ("price_group", text(self.price_group.as_ref())),
            ("customer_type", raw(self.customer_type.as_ref())),
            ("customer_number", text(self.customer_number.as_ref())),
            ("external_id", text(self.external_id.as_ref())),
        ];
        values.extend(channels::index_values(
            &self.emails,
            &self.phones,
            &self.addresses,
        ));
        values
    }

    fn sort_text(&self) -> String {
        let last = self.last_name.as_deref().unwrap_or("");
        let first = self.first_name.as_deref().unwrap_or("");
        format!("{last} {first}")
    }

    fn search_keys(&self, organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        keys.add_name(self.first_name.as_deref());
        keys.add_name(self.last_name.as_deref());
        keys.add_words(organization_name);
        channels::add_search_keys(&mut keys, &self.emails, &self.phones, &self.addresses);
        if let Some(n) = &self.customer_number {
            keys.tokens.insert(crate::text::fold(n));
        }
        keys
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        let mut refs = Vec::new();
        if let Some(id) = self.organization_id {
            refs.push(("organization_id", Reference::Organization(id)));
        }
        if let Some(id) = self.owner_id {
            refs.push(("owner_id", Reference::User(id)));
        }
        refs
    }

    fn custom(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.custom
    }

    fn custom_mut(&mut self) -> Option<&mut BTreeMap<String, serde_json::Value>> {
        Some(&mut self.custom)
    }

    fn organization_id(&self) -> Option<Uuid> {
        self.organization_id
    }

    fn masked(mut self) -> Self {
        self.bank = self.bank.map(BankDetails::masked);
        self
    }

    fn match_keys(&self) -> Vec<String> {
        crate::matching::contact_keys(self)
    }

    fn display_name(&self) -> String {
        let parts = [
            self.title.as_deref(),
            self.first_name.as_deref(),
            self.last_name.as_deref(),
        ];
        parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}
