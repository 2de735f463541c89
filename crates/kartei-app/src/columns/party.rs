//! The columns of people and organisations.

use super::*;

impl Columns for ContactData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 24>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            view("name", "Name", "Name", Some("name"), |r, _| {
                r.data.display_name()
            }),
            col("salutation", "Anrede", "Salutation", None, |r, _| {
                s(&r.data.salutation)
            }),
            col("title", "Titel", "Title", None, |r, _| s(&r.data.title)),
            col(
                "first_name",
                "Vorname",
                "First name",
                Some("first_name"),
                |r, _| s(&r.data.first_name),
            ),
            col("last_name", "Nachname", "Last name", None, |r, _| {
                s(&r.data.last_name)
            }),
            col("organization", "Firma", "Organisation", None, |r, c| {
                r.data
                    .organization_id
                    .and_then(|o| c.organizations.get(&o).cloned())
                    .unwrap_or_default()
            }),
            col("job_title", "Position", "Job title", None, |r, _| {
                s(&r.data.job_title)
            }),
            col("email", "E-Mail", "E-mail", Some("email"), |r, _| {
                first_email(&r.data.emails)
            }),
            col("phone", "Telefon", "Phone", None, |r, _| {
                r.data
                    .phones
                    .iter()
                    .find(|p| p.kind.as_deref() != Some("mobile"))
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
            col("mobile", "Mobil", "Mobile", None, |r, _| {
                r.data
                    .phones
                    .iter()
                    .find(|p| p.kind.as_deref() == Some("mobile"))
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
        ],
        &party_address(),
        &[
            col(
                "birthday",
                "Geburtstag",
                "Birthday",
                Some("birthday"),
                |r, c| date(r.data.birthday, c.lang),
            ),
            col(
                "lifecycle_stage",
                "Phase",
                "Lifecycle stage",
                None,
                |r, c| code(&r.data.lifecycle_stage, c),
            ),
            col("lead_source", "Quelle", "Lead source", None, |r, _| {
                s(&r.data.lead_source)
            }),
            view("consents", "Einwilligungen", "Consents", None, |r, c| {
                c.consents.get(&r.id).cloned().unwrap_or_default()
            }),
        ],
        &party_tail(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "organization", "email", "phone", "city", "tags"];

    fn vcard(r: &Record<Self>, ctx: &CellContext) -> Option<String> {
        let org = r
            .data
            .organization_id
            .and_then(|o| ctx.organizations.get(&o));
        let tags: Vec<String> = r.tags.iter().map(|t| t.name.clone()).collect();
        Some(kartei_formats::vcard::contact(
            r.id,
            &r.data,
            org.map(String::as_str),
            &tags,
            r.updated_at,
        ))
    }
}

impl Columns for OrganizationData {
    const COLUMNS: &'static [Column<Self>] = &concat::<Self, 18>(&[
        &[
            col("id", "ID", "ID", None, |r, _| r.id.to_string()),
            col("name", "Name", "Name", Some("name"), |r, _| s(&r.data.name)),
            col("legal_form", "Rechtsform", "Legal form", None, |r, _| {
                s(&r.data.legal_form)
            }),
            col(
                "industry",
                "Branche",
                "Industry",
                Some("industry"),
                |r, _| s(&r.data.industry),
            ),
            col(
                "team_size",
                "Mitarbeiter",
                "Team size",
                Some("team_size"),
                |r, c| {
                    r.data
                        .team_size
                        .map(|n| crate::format::integer(n, c.lang))
                        .unwrap_or_default()
                },
            ),
            col("website", "Website", "Website", None, |r, _| {
                s(&r.data.website)
            }),
            col("email", "E-Mail", "E-mail", None, |r, _| {
                first_email(&r.data.emails)
            }),
            col("phone", "Telefon", "Phone", None, |r, _| {
                r.data
                    .phones
                    .first()
                    .map(|p| p.number.clone())
                    .unwrap_or_default()
            }),
        ],
        &party_address(),
        &[view(
            "lifecycle_stage",
            "Phase",
            "Lifecycle stage",
            None,
            |r, c| code(&r.data.lifecycle_stage, c),
        )],
        &party_tail(),
    ]);
    const DEFAULT_COLUMNS: &'static [&'static str] =
        &["name", "industry", "email", "phone", "city", "tags"];
}
