//! What the pages of each record kind need to know: its path, its texts and the fields
//! of its form. The pages themselves (list, detail, form) are generic.

use kartei_app::columns::Columns;
use kartei_core::activity::{ActivityData, ACTIVITY_KINDS, CALL_OUTCOMES, DIRECTIONS, PRIORITIES};
use kartei_core::channels::{ADDRESS_KINDS, EMAIL_KINDS, PHONE_KINDS};
use kartei_core::commerce::{
    OrderData, ProductCategoryData, ProductData, CHANNELS, ORDER_STATUSES, PAYMENT_METHODS,
};
use kartei_core::contact::{ContactData, CUSTOMER_TYPES, GENDERS, LEAD_STATUSES, LIFECYCLE_STAGES};
use kartei_core::deal::{DealData, PipelineData};
use kartei_core::organization::OrganizationData;
use kartei_core::record::Entity;
use kartei_core::support::{
    FeedbackData, TicketData, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES,
};
use utoipa::ToSchema;

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Text,
    Textarea,
    /// A list of short texts, one per line.
    Lines,
    Date,
    /// Date and time in the browser's time zone; stored in UTC.
    DateTime,
    Integer,
    /// Minor units shown and typed as an amount (`12,90`).
    Money,
    /// Basis points shown and typed as percent (`19`, `7,5`).
    Percent,
    Bool,
    Choice(&'static [&'static str]),
    /// A user, chosen from the list of users.
    Owner,
    /// Several users (checkboxes).
    Users,
    /// A record searched by name (contacts, organisations, deals, products).
    Pick(Entity),
    /// A record of a small kind chosen from all of them (categories).
    Select(Entity),
    /// A stage of a pipeline (the pipeline follows from it).
    Stage,
    /// Kept as it is (the id of a pipeline stage).
    Hidden,
}

pub type FormSection = (&'static str, &'static [(&'static str, Input)]);

/// A repeated group of a form (e-mails, phones, addresses, order lines, stages).
pub struct GroupSpec {
    pub key: &'static str,
    pub add_key: &'static str,
    pub fields: &'static [(&'static str, Input)],
    /// Fields that a blank row has pre-filled; they alone do not make a row.
    pub filler: &'static [&'static str],
}

use Input as I;

pub const CHANNEL_GROUPS: &[GroupSpec] = &[
    GroupSpec {
        key: "emails",
        add_key: "form.add_email",
        fields: &[("kind", I::Choice(EMAIL_KINDS)), ("address", I::Text)],
        filler: &["kind"],
    },
    GroupSpec {
        key: "phones",
        add_key: "form.add_phone",
        fields: &[("kind", I::Choice(PHONE_KINDS)), ("number", I::Text)],
        filler: &["kind"],
    },
    GroupSpec {
        key: "addresses",
        add_key: "form.add_address",
        fields: &[
            ("kind", I::Choice(ADDRESS_KINDS)),
            ("street", I::Text),
            ("extra", I::Text),
            ("postcode", I::Text),
            ("city", I::Text),
            ("country", I::Text),
        ],
        filler: &["kind", "country"],
    },
];

/// Where the pages of a kind live: `/contacts`, `/product-categories` …
pub fn page_path(entity: Entity) -> String {
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
    /// Fields of the form besides repeated groups, bank details and custom fields.
    const FORM: &'static [FormSection];
    const GROUPS: &'static [GroupSpec] = &[];

    /// The input of a field by its name (the last key of its path).
    fn input_of(field: &str) -> Option<Input> {
        Self::FORM
            .iter()
            .flat_map(|(_, f)| f.iter())
            .chain(Self::GROUPS.iter().flat_map(|g| g.fields.iter()))
            .find(|(name, _)| name.split('[').next() == Some(field))
            .map(|(_, i)| *i)
    }
}

macro_rules! web_record {
    ($data:ty, $path:literal, $title:literal, $new:literal, $edit:literal) => {
        const PATH: &'static str = $path;
        const TITLE_KEY: &'static str = $title;
        const SECTION: &'static str = $title;
        const NEW_KEY: &'static str = $new;
        const EDIT_KEY: &'static str = $edit;
    };
}

impl WebRecord for ContactData {
    web_record!(
        ContactData,
        "/contacts",
        "nav.contacts",
        "contact.new",
        "contact.edit"
    );
    const GROUPS: &'static [GroupSpec] = CHANNEL_GROUPS;
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
                ("organization_id", I::Pick(Entity::Organization)),
                ("job_title", I::Text),
                ("department", I::Text),
            ],
        ),
        (
            "form.sales",
            &[
                ("lifecycle_stage", I::Choice(LIFECYCLE_STAGES)),
                ("lead_source", I::Text),
                ("lead_status", I::Choice(LEAD_STATUSES)),
                ("owner_id", I::Owner),
                ("needs_check", I::Bool),
                ("notes", I::Textarea),
            ],
        ),
        (
            "form.codes",
            &[
                ("customer_number", I::Text),
                ("customer_type", I::Choice(CUSTOMER_TYPES)),
                ("price_group", I::Text),
                ("lead_score", I::Integer),
            ],
        ),
    ];
}

impl WebRecord for OrganizationData {
    web_record!(
        OrganizationData,
        "/organizations",
        "nav.organizations",
        "organization.new",
        "organization.edit"
    );
    const GROUPS: &'static [GroupSpec] = CHANNEL_GROUPS;
    const FORM: &'static [FormSection] = &[
        (
            "detail.master",
            &[
                ("name", I::Text),
                ("legal_form", I::Text),
                ("industry", I::Text),
                ("team_size", I::Integer),
                ("website", I::Text),
            ],
        ),
        (
            "form.sales",
            &[
                ("lifecycle_stage", I::Choice(LIFECYCLE_STAGES)),
                ("owner_id", I::Owner),
                ("notes", I::Textarea),
            ],
        ),
        (
            "form.codes",
            &[
                ("customer_number", I::Text),
                ("customer_type", I::Choice(CUSTOMER_TYPES)),
                ("price_group", I::Text),
                ("vat_id", I::Text),
            ],
        ),
    ];
}

impl WebRecord for ActivityData {
    web_record!(
        ActivityData,
        "/activities",
        "nav.activities",
        "activity.new",
        "activity.edit"
    );
    const FORM: &'static [FormSection] = &[
        (
            "detail.master",
            &[
                ("kind", I::Choice(ACTIVITY_KINDS)),
                ("subject", I::Text),
                ("body", I::Textarea),
                ("contact_id", I::Pick(Entity::Contact)),
                ("organization_id", I::Pick(Entity::Organization)),
                ("deal_id", I::Pick(Entity::Deal)),
                ("occurred_at", I::DateTime),
            ],
        ),
        (
            "activity.call_email",
            &[
                ("direction", I::Choice(DIRECTIONS)),
                ("duration_minutes", I::Integer),
                ("outcome", I::Choice(CALL_OUTCOMES)),
            ],
        ),
        (
            "activity.meeting",
            &[
                ("starts_at", I::DateTime),
                ("ends_at", I::DateTime),
                ("all_day", I::Bool),
                ("location", I::Text),
                ("attendee_user_ids", I::Users),
            ],
        ),
        (
            "activity.task",
            &[
                ("due_date", I::Date),
                ("assignee_id", I::Owner),
                ("priority", I::Choice(PRIORITIES)),
                ("remind_at", I::DateTime),
                ("done", I::Bool),
            ],
        ),
    ];
}

impl WebRecord for PipelineData {
    web_record!(
        PipelineData,
        "/pipelines",
        "nav.pipelines",
        "pipeline.new",
        "pipeline.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[("name", I::Text), ("lost_reasons", I::Lines)],
    )];
    const GROUPS: &'static [GroupSpec] = &[GroupSpec {
        key: "stages",
        add_key: "form.add_stage",
        fields: &[
            ("id", I::Hidden),
            ("name", I::Text),
            ("probability", I::Integer),
            ("won", I::Bool),
            ("lost", I::Bool),
        ],
        filler: &["id"],
    }];
}

impl WebRecord for DealData {
    web_record!(DealData, "/deals", "nav.deals", "deal.new", "deal.edit");
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("title", I::Text),
            ("stage_id", I::Stage),
            ("value_minor", I::Money),
            ("currency", I::Text),
            ("expected_close", I::Date),
            ("probability", I::Integer),
            ("owner_id", I::Owner),
            ("organization_id", I::Pick(Entity::Organization)),
            ("contact_ids[0]", I::Pick(Entity::Contact)),
            ("lost_reason", I::Text),
            ("notes", I::Textarea),
        ],
    )];
}

impl WebRecord for ProductCategoryData {
    web_record!(
        ProductCategoryData,
        "/product-categories",
        "nav.categories",
        "category.new",
        "category.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("name", I::Text),
            ("parent_id", I::Select(Entity::ProductCategory)),
        ],
    )];
}

impl WebRecord for ProductData {
    web_record!(
        ProductData,
        "/products",
        "nav.products",
        "product.new",
        "product.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("name", I::Text),
            ("sku", I::Text),
            ("category_id", I::Select(Entity::ProductCategory)),
            ("price_minor", I::Money),
            ("currency", I::Text),
            ("vat_rate_bp", I::Percent),
            ("active", I::Bool),
            ("description", I::Textarea),
        ],
    )];
}

impl WebRecord for OrderData {
    web_record!(
        OrderData,
        "/orders",
        "nav.orders",
        "order.new",
        "order.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("number", I::Text),
            ("ordered_on", I::Date),
            ("status", I::Choice(ORDER_STATUSES)),
            ("channel", I::Choice(CHANNELS)),
            ("payment_method", I::Choice(PAYMENT_METHODS)),
            ("currency", I::Text),
            ("contact_id", I::Pick(Entity::Contact)),
            ("organization_id", I::Pick(Entity::Organization)),
            ("notes", I::Textarea),
        ],
    )];
    const GROUPS: &'static [GroupSpec] = &[GroupSpec {
        key: "lines",
        add_key: "form.add_line",
        fields: &[
            ("product_id", I::Pick(Entity::Product)),
            ("description", I::Text),
            ("quantity", I::Integer),
            ("unit_price_minor", I::Money),
            ("discount_bp", I::Percent),
            ("vat_rate_bp", I::Percent),
        ],
        filler: &[],
    }];
}

impl WebRecord for TicketData {
    web_record!(
        TicketData,
        "/tickets",
        "nav.tickets",
        "ticket.new",
        "ticket.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("subject", I::Text),
            ("description", I::Textarea),
            ("status", I::Choice(TICKET_STATUSES)),
            ("priority", I::Choice(TICKET_PRIORITIES)),
            ("channel", I::Choice(TICKET_CHANNELS)),
            ("assignee_id", I::Owner),
            ("contact_id", I::Pick(Entity::Contact)),
            ("organization_id", I::Pick(Entity::Organization)),
            ("due_at", I::DateTime),
        ],
    )];
}

impl WebRecord for FeedbackData {
    web_record!(
        FeedbackData,
        "/feedback",
        "nav.feedback",
        "feedback.new",
        "feedback.edit"
    );
    const FORM: &'static [FormSection] = &[(
        "detail.master",
        &[
            ("contact_id", I::Pick(Entity::Contact)),
            ("nps", I::Integer),
            ("rating", I::Integer),
            ("review", I::Textarea),
            ("source", I::Text),
            ("given_on", I::Date),
        ],
    )];
}
