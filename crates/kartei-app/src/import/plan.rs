//! Planning rows: what each does (create, update, skip, refuse), checked as it will
//! be written.

use super::*;

/// The plans of some rows, and the organisations they name.
pub(super) struct Planned {
    pub(super) plans: Vec<Plan>,
    pub(super) organizations: HashMap<String, Option<Uuid>>,
    /// Rows (in this chunk) imported without values that failed their rule, with
    /// (column, message) of each.
    pub(super) kept: Vec<(usize, Vec<(String, String)>)>,
    /// The consents each row states, one list per row.
    pub(super) consents: Vec<Vec<kartei_core::import::ImportedConsent>>,
}

/// Plans the drafted rows against the matches found for them. Organisations are looked
/// up by name in one batch; validation needs no database.
pub(super) async fn plan_rows(
    store: &Store,
    table: &Table,
    drafts: Vec<kartei_core::import::RowDraft>,
    targets: &[Target],
    options: &Options,
    validator: &Validator,
    matches: &HashMap<String, Uuid>,
) -> Result<Planned, StoreError> {
    let lang = options.lang;
    let mut plans = Vec::with_capacity(drafts.len());
    let mut kept = Vec::new();
    // Matched contacts as the rows planned so far leave them.
    let mut planned: HashMap<Uuid, ContactData> = HashMap::new();
    let mut org_names: Vec<String> = drafts
        .iter()
        .filter_map(|d| d.organization.clone())
        .collect();
    org_names.sort_unstable();
    org_names.dedup();
    let known_orgs = store.organizations_named(&org_names).await?;
    let organizations: HashMap<String, Option<Uuid>> = org_names
        .into_iter()
        .map(|n| {
            let id = known_orgs.get(&n).copied();
            (n, id)
        })
        .collect();
    let mut consents = Vec::with_capacity(drafts.len());
    for (row, mut draft) in drafts.into_iter().enumerate() {
        consents.push(std::mem::take(&mut draft.consents));
        let column =
            |field: &str| column_of(field, &table.headers, targets).unwrap_or(field.to_string());
        let mut problems: Vec<(String, String)> = Vec::new();
        // Values that fail their rule: set aside into the notes, or (strict) refusing
        // the row.
        let mut aside: Vec<SetAside> = Vec::new();
        for (header, value) in &draft.unreadable {
            if options.strict {
                problems.push((header.clone(), value.code.message(lang).to_string()));
            } else {
                aside.push(value.clone());
            }
        }
        let existing = if problems.is_empty() {
            match_key(&options.match_by, &draft, validator).and_then(|k| matches.get(&k).copied())
        } else {
            None
        };
        let mut contact = draft.contact;
        contact.external_id = draft.external_id.clone();
        contact.owner_id = options.owner;
        if let Some(country) = &options.country {
            for a in contact.addresses.iter_mut().filter(|a| a.country.is_none()) {
                a.country = Some(country.clone());
            }
        }
        let named_org = draft.organization.is_some();
        // A contact that an earlier row of this chunk changes is met as that row leaves
        // it, as the rows will be written: two rows for one customer are checked
        // together (their addresses may be one too many for the contact).
        let current = match existing {
            Some(id) => match planned.get(&id) {
                Some(after) => Some(after.clone()),
                None => {
                    Some(validator.without_deleted_fields(store.get::<ContactData>(id).await?.data))
                }
            },
            None => None,
        };
        let region = store.default_region();
        let check = |contact: &ContactData, aside: &[SetAside]| {
            check_row(
                validator,
                options,
                region,
                current.as_ref(),
                contact,
                aside,
                named_org,
            )
        };
        let mut verdict = check(&contact, &aside);
        if !options.strict && matches!(verdict, Err(StoreError::Invalid(_))) {
            // Which of the row's own values fail (a matched contact's may too, and those
            // are not the row's to drop).
            if let Err(StoreError::Invalid(fields)) =
                validator.check(with_placeholder(contact.clone(), named_org))
            {
                let failing: Vec<_> = fields.iter().map(|f| (f.field.clone(), f.code)).collect();
                if let Some(values) = set_aside(&mut contact, &failing) {
                    aside.extend(values);
                    verdict = check(&contact, &aside);
                }
            }
        }
        keep_in_notes(&mut contact, &aside, lang);
        let valid = match verdict {
            Ok(valid) => Some(valid),
            Err(StoreError::Invalid(fields)) => {
                problems.extend(
                    fields
                        .into_iter()
                        .map(|f| (column(&f.field), f.code.message(lang).to_string())),
                );
                None
            }
            Err(e) => return Err(e),
        };
        let valid = match valid {
            Some(valid) if problems.is_empty() => valid,
            _ => {
                plans.push(Plan::Invalid(problems));
                continue;
            }
        };
        if !aside.is_empty() {
            kept.push((
                row,
                aside
                    .iter()
                    .map(|v| (column(&v.field), kept_message(v, lang)))
                    .collect(),
            ));
        }
        plans.push(match (existing, current) {
            (Some(_), _) if options.on_match == OnMatch::Skip => Plan::Skip,
            (Some(id), Some(current)) => {
                let changes = changes(&current, valid.get());
                planned.insert(id, valid.into_inner());
                Plan::Update(id, Box::new(contact), changes)
            }
            _ => {
                // The placeholder goes; the organisation's id is set when it is written.
                let mut valid = valid;
                valid.set_organization(None);
                Plan::Create(Box::new(valid), draft.organization)
            }
        });
    }

    Ok(Planned {
        plans,
        organizations,
        kept,
        consents,
    })
}

/// A row checked as what it will become: a new contact, or the matched contact
/// (`current`) filled in or overwritten as the options say, with the values set aside
/// in its notes.
pub(super) fn check_row(
    validator: &Validator,
    options: &Options,
    region: &str,
    current: Option<&ContactData>,
    row: &ContactData,
    aside: &[SetAside],
    named_org: bool,
) -> Result<Valid<ContactData>, StoreError> {
    let mut row = row.clone();
    keep_in_notes(&mut row, aside, options.lang);
    match current {
        Some(found) => validator.check(matched_contact(options.on_match, found, &row, region)),
        None => validator.check(with_placeholder(row, named_org)),
    }
}

/// A new organisation gets its id only on the run, so a placeholder stands in for it
/// while checking.
pub(super) fn with_placeholder(mut c: ContactData, named_org: bool) -> ContactData {
    if named_org {
        c.organization_id = Some(Uuid::nil());
    }
    c
}

/// What the report says of a value set aside.
pub(super) fn kept_message(v: &SetAside, lang: Lang) -> String {
    format!(
        "{} {}",
        v.code.message(lang),
        lang.pick(
            "Übernommen ohne diesen Wert; er steht in den Notizen.",
            "Imported without this value; it is in the notes."
        )
    )
}
