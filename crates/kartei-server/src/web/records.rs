//! What the pages of contacts and organisations need to know about each kind: its
//! path, its texts and the fields of its form. The pages themselves are generic.

use crate::columns::Columns;
use kartei_core::channels::{ADDRESS_KINDS, EMAIL_KINDS, PHONE_KINDS};
use kartei_core::contact::{ContactData, CUSTOMER_TYPES, GENDERS, LIFECYCLE_STAGES};
use kartei_core::organization::OrganizationData;
use utoipa::ToSchema;

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Textarea,
    Date,
    Integer,
    Choice(&'static [&'static str]),
    /// A user, chosen from the list of users.
    Owner,
    /// An organisation, searched by name.
    Organization,
}

pub type FormSection = (&'static str, &'static [(&'static str, Input)]);

/// The repeated groups of a form: e-mails, phones, addresses, with their fields.
pub const GROUPS: &[(&str, &str, &[&str], &[&str])] = &[
    ("emails", "form.add_email", &["address"], EMAIL_KINDS),
    ("phones", "form.add_phone", &["number"], PHONE_KINDS),
    (
        "addresses",
        "form.add_address",
        &["street", "extra", "postcode", "city", "country"],
        ADDRESS_KINDS,
    ),
];

/// Where the pages of a kind live: `/contacts`, `/product-categories` …
pub fn page_path(entity: kartei_core::record::Entity) -> String {
    format!("/{}", entity.collection())
}

pub trait WebRecord: Columns + ToSchema {
    /// Where its pages live, e.g. `/contacts`.
    const PATH: &'static str;
    /// The text key of the list's title.
    const TITLE_KEY: &'static str;
    /// The navigation entry its pages belong to.
    const SECTION: &'static str;
    const NEW_KEY: &'static str;
    const EDIT_KEY: &'static str;
    /// Fields of the form besides e-mails, phones, addresses, bank and custom fields.
    const FORM: &'static [FormSection];
}

use Input as I;

impl WebRecord for ContactData {
    const PATH: &'static str = "/contacts";
    const TITLE_KEY: &'static str = "nav.contacts";
    const SECTION: &'static str = "contacts";
    const NEW_KEY: &'static str = "contact.new";
    const EDIT_KEY: &'static str = "contact.edit";
    const FORM: &'static [FormSection] = &[
        (
            "detail.master",
            &[
                ("salutation", I::Text),
                ("title", I::Text),
                ("first_name", I::Text),
                ("last_name", I::Text),
                ("gender", I::Choice(GENDERS)),
                ("birthday", I::Date),
                ("language", I::Text),
                ("organization_id", I::Organization),
                ("job_title", I::Text),
                ("department", I::Text),
            ],
        ),
        (
            "form.sales",
            &[
                ("lifecycle_stage", I::Choice(LIFECYCLE_STAGES)),
                ("lead_source", I::Text),
                ("owner_id", I::Owner),
                ("price_group", I::Text),
                ("customer_type", I::Choice(CUSTOMER_TYPES)),
                ("customer_number", I::Text),
                ("notes", I::Textarea),
            ],
        ),
    ];
}

impl WebRecord for OrganizationData {
    const PATH: &'static str = "/organizations";
    const TITLE_KEY: &'static str = "nav.organizations";
    const SECTION: &'static str = "organizations";
    const NEW_KEY: &'static str = "organization.new";
    const EDIT_KEY: &'static str = "organization.edit";
    const FORM: &'static [FormSection] = &[
        (
            "detail.master",
            &[
                ("name", I::Text),
                ("legal_form", I::Text),
                ("industry", I::Text),
                ("team_size", I::Integer),
                ("website", I::Text),
                ("vat_id", I::Text),
            ],
        ),
        (
            "form.sales",
            &[
                ("lifecycle_stage", I::Choice(LIFECYCLE_STAGES)),
                ("owner_id", I::Owner),
                ("price_group", I::Text),
                ("customer_type", I::Choice(CUSTOMER_TYPES)),
                ("customer_number", I::Text),
                ("notes", I::Textarea),
            ],
        ),
    ];
}
