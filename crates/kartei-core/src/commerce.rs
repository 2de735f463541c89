//! Products in a category tree, and orders with lines and computed totals. Money is in
//! minor units with an ISO 4217 code; VAT rates and discounts in basis points
//! (1900 = 19 %), so that no amount is ever a float.

use crate::deal::normalise_currency;
use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{
    flag, raw, stamp, swap_id, text, Context, Entity, IndexValue, RecordData, Reference, SearchKeys,
};
use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const ORDER_STATUSES: &[&str] = &[
    "open",
    "paid",
    "shipped",
    "completed",
    "cancelled",
    "returned",
];
pub const CHANNELS: &[&str] = &["shop", "store", "phone", "other"];
pub const PAYMENT_METHODS: &[&str] =
    &["invoice", "card", "paypal", "direct_debit", "cash", "other"];
/// Orders in these states count as revenue.
pub const REVENUE_STATUSES: &[&str] = &["open", "paid", "shipped", "completed"];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProductCategoryData {
    pub name: Option<String>,
    /// The category above this one; none for a top-level category.
    pub parent_id: Option<Uuid>,
}

/// The fields lists filter and sort ProductCategoryData by, and the index columns behind them.
pub const CATEGORY_FIELDS: &[FieldSpec] = &[
    NAME,
    f("parent_id", K::Reference, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for ProductCategoryData {
    const FIELDS: &'static [FieldSpec] = CATEGORY_FIELDS;
    const ENTITY: Entity = Entity::ProductCategory;
    const REQUIRED: &'static [&'static [&'static str]] = &[&["name"]];

    fn normalise(self, _ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let name = check.text("name", self.name, 100);
        if name.is_none() {
            check.fail("name", ErrorCode::Required);
        }
        check.finish(ProductCategoryData {
            name,
            parent_id: self.parent_id,
        })
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![("parent_id", IndexValue::Uuid(self.parent_id))]
    }

    fn sort_text(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        SearchKeys::default()
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        self.parent_id
            .map(|id| vec![("parent_id", Reference::ProductCategory(id))])
            .unwrap_or_default()
    }

    fn display_name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProductData {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub category_id: Option<Uuid>,
    /// Net price in minor units of `currency`.
    #[schema(minimum = 0)]
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    /// VAT in basis points: 1900 = 19 %, 700 = 7 %.
    #[schema(minimum = 0, maximum = 10000)]
    pub vat_rate_bp: Option<i64>,
    /// Inactive products are kept for old orders but not sold.
    pub active: Option<bool>,
    pub description: Option<String>,
}

/// The fields lists filter and sort ProductData by, and the index columns behind them.
pub const PRODUCT_FIELDS: &[FieldSpec] = &[
    NAME,
    f("sku", K::Text, true),
    f("category_id", K::Reference, false),
    f("price_minor", K::Integer, true),
    f("active", K::Boolean, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for ProductData {
    const FIELDS: &'static [FieldSpec] = PRODUCT_FIELDS;
    const ENTITY: Entity = Entity::Product;
    const REQUIRED: &'static [&'static [&'static str]] = &[&["name"]];

    fn normalise(self, _ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let name = check.text("name", self.name, 200);
        if name.is_none() {
            check.fail("name", ErrorCode::Required);
        }
        if self.price_minor.is_some_and(|p| p < 0) {
            check.fail("price_minor", ErrorCode::OutOfRange);
        }
        let vat = self.vat_rate_bp.unwrap_or(1900);
        if !(0..=10_000).contains(&vat) {
            check.fail("vat_rate_bp", ErrorCode::OutOfRange);
        }
        let currency = normalise_currency(&mut check, "currency", self.currency);
        check.finish(ProductData {
            sku: check_sku(self.sku),
            name,
            category_id: self.category_id,
            price_minor: self.price_minor,
            currency: Some(currency),
            vat_rate_bp: Some(vat),
            active: Some(self.active.unwrap_or(true)),
            description: crate::text::clean_lines(self.description),
        })
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("sku", text(self.sku.as_ref())),
            ("category_id", IndexValue::Uuid(self.category_id)),
            ("price_minor", IndexValue::Int(self.price_minor)),
            ("active", flag(self.active.unwrap_or(true))),
        ]
    }

    fn sort_text(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        keys.add_words(self.name.as_deref());
        if let Some(sku) = &self.sku {
            keys.tokens.insert(crate::text::fold(sku));
        }
        keys
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        self.category_id
            .map(|id| vec![("category_id", Reference::ProductCategory(id))])
            .unwrap_or_default()
    }

    fn display_name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }
}

fn check_sku(sku: Option<String>) -> Option<String> {
    crate::text::clean(sku).map(|s| s.chars().take(64).collect())
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrderLine {
    pub product_id: Option<Uuid>,
    /// What was sold; the product's name when empty.
    pub description: Option<String>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: Option<i64>,
    /// Net unit price in minor units.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 100000000000_i64)]
    pub unit_price_minor: Option<i64>,
    /// Discount in basis points (1000 = 10 %).
    #[schema(minimum = 0, maximum = 10000)]
    pub discount_bp: Option<i64>,
    #[schema(minimum = 0, maximum = 10000)]
    pub vat_rate_bp: Option<i64>,
    /// Computed: net amount of the line after discount.
    pub net_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrderData {
    pub number: Option<String>,
    pub ordered_on: Option<NaiveDate>,
    /// `open`, `paid`, `shipped`, `completed`, `cancelled`, `returned`.
    pub status: Option<String>,
    /// `shop`, `store`, `phone`, `other`.
    pub channel: Option<String>,
    pub payment_method: Option<String>,
    pub currency: Option<String>,
    pub contact_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<OrderLine>,
    /// Computed totals (minor units): net, VAT and gross.
    pub net_minor: Option<i64>,
    pub vat_minor: Option<i64>,
    pub gross_minor: Option<i64>,
    pub notes: Option<String>,
}

/// Rounds half away from zero: `amount * bp / 10000`.
fn share(amount: i64, bp: i64) -> i64 {
    let x = i128::from(amount) * i128::from(bp);
    let q = x / 10_000;
    let r = x % 10_000;
    let rounded = if r.abs() * 2 >= 10_000 {
        q + x.signum()
    } else {
        q
    };
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The fields lists filter and sort OrderData by, and the index columns behind them.
pub const ORDER_FIELDS: &[FieldSpec] = &[
    NAME,
    f("number", K::Text, true),
    f("ordered_on", K::Date, true),
    f("status", K::Choice(ORDER_STATUSES), false),
    f("channel", K::Choice(CHANNELS), false),
    f("currency", K::Text, false),
    f("gross_minor", K::Integer, true),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("happened_at", K::Timestamp, true),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for OrderData {
    const FIELDS: &'static [FieldSpec] = ORDER_FIELDS;
    const ENTITY: Entity = Entity::Order;
    const LINKS_CONTACTS: bool = true;
    const REQUIRED: &'static [&'static [&'static str]] =
        &[&["number"], &["ordered_on"], &["contact_id"]];

    fn normalise(self, _ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let number = check.text("number", self.number, 50);
        if number.is_none() {
            check.fail("number", ErrorCode::Required);
        }
        if self.ordered_on.is_none() {
            check.fail("ordered_on", ErrorCode::Required);
        }
        if self.contact_id.is_none() && self.organization_id.is_none() {
            check.fail("contact_id", ErrorCode::Required);
        }
        if self.lines.is_empty() || self.lines.len() > 500 {
            check.fail("lines", ErrorCode::OutOfRange);
        }
        let (mut net, mut vat) = (0i64, 0i64);
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.into_iter().enumerate() {
            let quantity = l.quantity.unwrap_or(1);
            if !(1..=1_000_000).contains(&quantity) {
                check.fail(format!("lines[{i}].quantity"), ErrorCode::OutOfRange);
            }
            let Some(unit) = l.unit_price_minor else {
                check.fail(format!("lines[{i}].unit_price_minor"), ErrorCode::Required);
                continue;
            };
            if !(0..=100_000_000_000).contains(&unit) {
                check.fail(
                    format!("lines[{i}].unit_price_minor"),
                    ErrorCode::OutOfRange,
                );
            }
            let discount = l.discount_bp.unwrap_or(0);
            if !(0..=10_000).contains(&discount) {
                check.fail(format!("lines[{i}].discount_bp"), ErrorCode::OutOfRange);
            }
            let rate = l.vat_rate_bp.unwrap_or(1900);
            if !(0..=10_000).contains(&rate) {
                check.fail(format!("lines[{i}].vat_rate_bp"), ErrorCode::OutOfRange);
            }
            if l.product_id.is_none() && crate::text::clean(l.description.clone()).is_none() {
                check.fail(format!("lines[{i}].description"), ErrorCode::Required);
            }
            let gross_line = unit.saturating_mul(quantity.clamp(0, 1_000_000));
            let line_net = gross_line - share(gross_line, discount.clamp(0, 10_000));
            net = net.saturating_add(line_net);
            vat = vat.saturating_add(share(line_net, rate.clamp(0, 10_000)));
            lines.push(OrderLine {
                product_id: l.product_id,
                description: check.text(&format!("lines[{i}].description"), l.description, 300),
                quantity: Some(quantity),
                unit_price_minor: Some(unit),
                discount_bp: Some(discount),
                vat_rate_bp: Some(rate),
                net_minor: Some(line_net),
            });
        }
        let data = OrderData {
            number,
            ordered_on: self.ordered_on,
            status: Some(
                check
                    .choice("status", self.status, ORDER_STATUSES)
                    .unwrap_or_else(|| "open".into()),
            ),
            channel: Some(
                check
                    .choice("channel", self.channel, CHANNELS)
                    .unwrap_or_else(|| "other".into()),
            ),
            payment_method: check.choice("payment_method", self.payment_method, PAYMENT_METHODS),
            currency: Some(normalise_currency(&mut check, "currency", self.currency)),
            contact_id: self.contact_id,
            organization_id: self.organization_id,
            lines,
            net_minor: Some(net),
            vat_minor: Some(vat),
            gross_minor: Some(net.saturating_add(vat)),
            notes: check.long_text("notes", self.notes, 10_000),
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("number", text(self.number.as_ref())),
            ("ordered_on", IndexValue::Date(self.ordered_on)),
            ("status", raw(self.status.as_ref())),
            ("channel", raw(self.channel.as_ref())),
            ("currency", raw(self.currency.as_ref())),
            ("gross_minor", IndexValue::Int(self.gross_minor)),
            ("contact_id", IndexValue::Uuid(self.contact_id)),
            ("organization_id", IndexValue::Uuid(self.organization_id)),
            (
                "happened_at",
                stamp(crate::record::midnight(self.ordered_on)),
            ),
        ]
    }

    fn sort_text(&self) -> String {
        self.number.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        if let Some(n) = &self.number {
            keys.tokens.insert(crate::text::fold(n));
        }
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
        refs.extend(
            self.lines
                .iter()
                .filter_map(|l| l.product_id)
                .map(|id| ("lines", Reference::Product(id))),
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
        swap_id(&mut self.contact_id, from, to)
    }

    fn display_name(&self) -> String {
        self.number.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context<'static> {
        Context {
            default_region: "DE",
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            now: chrono::DateTime::UNIX_EPOCH,
            custom_fields: &[],
            pipelines: &[],
        }
    }

    #[test]
    fn order_totals_are_computed_in_minor_units() {
        let order: OrderData = serde_json::from_value(json!({
            "number": "A-1", "ordered_on": "2026-11-01", "contact_id": Uuid::nil(),
            "lines": [
                {"description": "Kaffee", "quantity": 3, "unit_price_minor": 999, "vat_rate_bp": 700},
                {"description": "Mühle", "quantity": 1, "unit_price_minor": 4999, "discount_bp": 1000}
            ]
        }))
        .unwrap();
        let o = order.normalise(&ctx()).unwrap();
        // 3 × 9.99 = 29.97 (7 % = 2.10); 49.99 − 10 % = 44.99 (19 % = 8.55)
        assert_eq!(o.lines[0].net_minor, Some(2997));
        assert_eq!(o.lines[1].net_minor, Some(4499));
        assert_eq!(
            (o.net_minor, o.vat_minor, o.gross_minor),
            (Some(7496), Some(1065), Some(8561))
        );
        assert_eq!(o.status.as_deref(), Some("open"));
    }

    #[test]
    fn an_order_needs_lines_with_prices() {
        let order: OrderData = serde_json::from_value(json!({
            "number": "A-2", "ordered_on": "2026-11-01", "contact_id": Uuid::nil(),
            "lines": [{"description": "x", "quantity": 0}]
        }))
        .unwrap();
        let fields: Vec<String> = order
            .normalise(&ctx())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert!(
            fields.contains(&"lines[0].quantity".to_string()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"lines[0].unit_price_minor".to_string()),
            "{fields:?}"
        );
    }
}
