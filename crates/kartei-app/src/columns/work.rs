//! The columns of activities, pipelines, deals, products, orders, tickets and feedback.

use super::*;

impl Columns for ActivityData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Betreff", "Subject", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("kind", "Art", "Type", None, |r, c| code(&r.data.kind, c)),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col(
                "happened_at",
                "Zeitpunkt",
                "When",
                Some("happened_at"),
                |r, c| when(r.data.happened_at(), c),
            ),
            col("due_date", "Fällig", "Due", Some("due_date"), |r, c| {
                day(r.data.due_date, c)
            }),
            col("assignee", "Zuständig", "Assignee", None, |r, c| {
                user(r.data.assignee_id, c)
            }),
            col("done", "Erledigt", "Done", None, |r, c| {
                if r.data.kind.as_deref() == Some("task") {
                    yes(r.data.done, c)
                } else {
                    String::new()
                }
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "kind", "contact", "happened_at", "assignee", "done"];
}

impl Columns for PipelineData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 5>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("stages", "Phasen", "Stages", None, |r, _| {
                r.data
                    .stages
                    .iter()
                    .filter_map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(" → ")
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &["name", "stages"];
}

impl Columns for DealData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 13>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Titel", "Title", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("stage", "Phase", "Stage", None, |r, c| {
                c.name(r.data.stage_id)
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("value", "Wert", "Value", Some("value_minor"), |r, c| {
                money(r.data.value_minor, &r.data.currency, c)
            }),
            col(
                "probability",
                "Wahrscheinlichkeit",
                "Probability",
                None,
                |r, _| {
                    r.data
                        .probability
                        .map(|p| format!("{p} %"))
                        .unwrap_or_default()
                },
            ),
            col(
                "expected_close",
                "Abschluss erwartet",
                "Expected close",
                Some("expected_close"),
                |r, c| day(r.data.expected_close, c),
            ),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_ids.first().copied())
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("owner", "Betreuer", "Owner", None, |r, c| {
                user(r.data.owner_id, c)
            }),
            col(
                "lost_reason",
                "Verlustgrund",
                "Lost reason",
                None,
                |r, _| s(&r.data.lost_reason),
            ),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &[
        "name",
        "stage",
        "value",
        "expected_close",
        "contact",
        "owner",
    ];
}

impl Columns for ProductCategoryData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 5>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("parent", "Übergeordnet", "Parent", None, |r, c| {
                c.name(r.data.parent_id)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &["name", "parent"];
}

impl Columns for ProductData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 9>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("sku", "Artikelnummer", "SKU", Some("sku"), |r, _| {
                s(&r.data.sku)
            }),
            col("category", "Kategorie", "Category", None, |r, c| {
                c.name(r.data.category_id)
            }),
            col(
                "price",
                "Preis (netto)",
                "Price (net)",
                Some("price_minor"),
                |r, c| money(r.data.price_minor, &r.data.currency, c),
            ),
            col("vat", "USt.", "VAT", None, |r, c| {
                r.data
                    .vat_rate_bp
                    .map(|b| crate::format::percent_bp(b, c.lang))
                    .unwrap_or_default()
            }),
            col("active", "Aktiv", "Active", None, |r, c| {
                yes(r.data.active.unwrap_or(true), c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "sku", "category", "price", "active"];
}

impl Columns for OrderData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Nummer", "Number", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("ordered_on", "Datum", "Date", Some("ordered_on"), |r, c| {
                day(r.data.ordered_on, c)
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("channel", "Kanal", "Channel", None, |r, c| {
                code(&r.data.channel, c)
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("net", "Netto", "Net", None, |r, c| {
                money(r.data.net_minor, &r.data.currency, c)
            }),
            col("gross", "Brutto", "Gross", Some("gross_minor"), |r, c| {
                money(r.data.gross_minor, &r.data.currency, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "ordered_on", "status", "contact", "gross"];
}

impl Columns for TicketData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 11>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Betreff", "Subject", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("status", "Status", "Status", None, |r, c| {
                code(&r.data.status, c)
            }),
            col("priority", "Priorität", "Priority", None, |r, c| {
                code(&r.data.priority, c)
            }),
            col("channel", "Kanal", "Channel", None, |r, c| {
                code(&r.data.channel, c)
            }),
            col("assignee", "Zuständig", "Assignee", None, |r, c| {
                user(r.data.assignee_id, c)
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                c.name(r.data.organization_id)
            }),
            col("due_at", "Fällig", "Due", Some("due_at"), |r, c| {
                when(r.data.due_at, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] = &[
        "name",
        "status",
        "priority",
        "assignee",
        "contact",
        "created_at",
    ];
}

impl Columns for FeedbackData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 10>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Eintrag", "Entry", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("contact", "Kontakt", "Contact", None, |r, c| {
                c.name(r.data.contact_id)
            }),
            col("nps", "NPS", "NPS", Some("nps"), |r, c| num(r.data.nps, c)),
            col("rating", "Sterne", "Stars", Some("rating"), |r, c| {
                num(r.data.rating, c)
            }),
            col("review", "Bewertung", "Review", None, |r, _| {
                r.data
                    .review
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect()
            }),
            col("source", "Quelle", "Source", None, |r, _| s(&r.data.source)),
            col("given_on", "Datum", "Date", Some("given_on"), |r, c| {
                day(r.data.given_on, c)
            }),
        ],
        &stamps!(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "contact", "nps", "rating", "review", "given_on"];
}
