//! An organisation: a company, association or authority that people belong to.

use crate::bank::BankDetails;
use crate::channels::{self, Address, EmailEntry, PhoneEntry};
use crate::contact::{CUSTOMER_TYPES, LIFECYCLE_STAGES};
use crate::custom_field::normalise_custom;
use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{raw, text, Context, Entity, IndexValue, RecordData, Reference, SearchKeys};
use crate::validation::{Checker, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrganizationData {
    pub name: Option<String>,
    /// Legal form, e.g. "GmbH", "AG", "e.K.".
    pub legal_form: Option<String>,
    pub industry: Option<String>,
    /// Number of employees.
    #[schema(minimum = 0, maximum = 10000000)]
    pub team_size: Option<i64>,
    pub website: Option<String>,
    pub vat_id: Option<String>,
    pub customer_number: Option<String>,
    pub emails: Vec<EmailEntry>,
    pub phones: Vec<PhoneEntry>,
    pub addresses: Vec<Address>,
    pub owner_id: Option<Uuid>,
    /// `lead`, `prospect`, `customer` or `former`.
    pub lifecycle_stage: Option<String>,
    pub price_group: Option<String>,
    /// `private` or `business`.
    pub customer_type: Option<String>,
    pub bank: Option<BankDetails>,
    pub notes: Option<String>,
    #[schema(value_type = Object)]
    pub custom: BTreeMap<String, serde_json::Value>,
}

fn normalise_website(url: &str) -> Result<String, ErrorCode> {
    let with_scheme = if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    let host = with_scheme
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    let ok = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == ':')
        && !url.contains(char::is_whitespace);
    if ok {
        Ok(with_scheme)
    } else {
        Err(ErrorCode::InvalidUrl)
    }
}

/// The fields lists filter and sort OrganizationData by, and the index columns behind them.
pub const ORGANIZATION_FIELDS: &[FieldSpec] = &[
    NAME,
    f("legal_form", K::Text, false),
    f("industry", K::Text, true),
    f("team_size", K::Integer, true),
    f("website", K::Text, false),
    f("email", K::Text, false),
    f("phone", K::Phone, false),
    f("city", K::Text, true),
    f("postcode", K::Text, true),
    f("country", K::Text, false),
    f("owner_id", K::Reference, false),
    f("lifecycle_stage", K::Choice(LIFECYCLE_STAGES), false),
    f("price_group", K::Text, false),
    f("customer_type", K::Choice(CUSTOMER_TYPES), false),
    f("customer_number", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl channels::HasChannels for OrganizationData {
    fn channels(&mut self) -> channels::Channels<'_> {
        channels::Channels {
            emails: &mut self.emails,
            phones: &mut self.phones,
            addresses: &mut self.addresses,
        }
    }
}

impl RecordData for OrganizationData {
    const FIELDS: &'static [FieldSpec] = ORGANIZATION_FIELDS;
    const SENSITIVE: &'static [&'static str] = &["bank"];
    const ENTITY: Entity = Entity::Organization;
    const REQUIRED: &'static [&'static [&'static str]] = &[&["name"]];

    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let name = check.text("name", self.name, 200);
        if name.is_none() {
            check.fail("name", ErrorCode::Required);
        }
        if self
            .team_size
            .is_some_and(|n| !(0..=10_000_000).contains(&n))
        {
            check.fail("team_size", ErrorCode::OutOfRange);
        }
        let data = OrganizationData {
            name,
            legal_form: check.text("legal_form", self.legal_form, 50),
            industry: check.text("industry", self.industry, 100),
            team_size: self.team_size,
            website: check.normalise("website", self.website, normalise_website),
            vat_id: check
                .text("vat_id", self.vat_id, 20)
                .map(|v| v.replace(' ', "").to_uppercase()),
            customer_number: check.text("customer_number", self.customer_number, 50),
            emails: channels::normalise_emails(&mut check, self.emails),
            phones: channels::normalise_phones(&mut check, self.phones, ctx.default_region),
            addresses: channels::normalise_addresses(
                &mut check,
                self.addresses,
                ctx.default_region,
            ),
            owner_id: self.owner_id,
            lifecycle_stage: check.choice(
                "lifecycle_stage",
                self.lifecycle_stage,
                LIFECYCLE_STAGES,
            ),
            price_group: check.text("price_group", self.price_group, 50),
            customer_type: check.choice("customer_type", self.customer_type, CUSTOMER_TYPES),
            bank: self.bank.and_then(|b| b.normalise(&mut check)),
            notes: check.long_text("notes", self.notes, 10_000),
            custom: normalise_custom(
                &mut check,
                Entity::Organization,
                self.custom,
                ctx.custom_fields,
            ),
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        let mut values = vec![
            ("legal_form", text(self.legal_form.as_ref())),
            ("industry", text(self.industry.as_ref())),
            ("team_size", IndexValue::Int(self.team_size)),
            ("website", text(self.website.as_ref())),
            ("owner_id", IndexValue::Uuid(self.owner_id)),
            ("lifecycle_stage", raw(self.lifecycle_stage.as_ref())),
            ("price_group", text(self.price_group.as_ref())),
            ("customer_type", raw(self.customer_type.as_ref())),
            ("customer_number", text(self.customer_number.as_ref())),
        ];
        values.extend(channels::index_values(
            &self.emails,
            &self.phones,
            &self.addresses,
        ));
        values
    }

    fn sort_text(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        keys.add_name(self.name.as_deref());
        channels::add_search_keys(&mut keys, &self.emails, &self.phones, &self.addresses);
        if let Some(n) = &self.customer_number {
            keys.tokens.insert(crate::text::fold(n));
        }
        keys
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        self.owner_id
            .map(|id| ("owner_id", Reference::User(id)))
            .into_iter()
            .collect()
    }

    fn custom(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.custom
    }

    fn custom_mut(&mut self) -> Option<&mut BTreeMap<String, serde_json::Value>> {
        Some(&mut self.custom)
    }

    fn masked(mut self) -> Self {
        self.bank = self.bank.map(BankDetails::masked);
        self
    }

    fn display_name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }
}
