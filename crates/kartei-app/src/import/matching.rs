//! How rows find the contacts they already are: by a column, or by the duplicate
//! score.

use super::*;

/// How `match_by` finds existing contacts: by a column of theirs, or by the duplicate
/// score.
pub(super) enum Matching {
    Column(MatchColumn),
    Score,
    Nothing,
}

impl Matching {
    pub(super) fn of(match_by: &str) -> Matching {
        match match_by {
            "email" => Matching::Column(MatchColumn::Email),
            "external_id" => Matching::Column(MatchColumn::ExternalId),
            "customer_number" => Matching::Column(MatchColumn::CustomerNumber),
            "score" => Matching::Score,
            other => match other.strip_prefix("custom.") {
                Some(key) => Matching::Column(MatchColumn::Custom(key.to_string())),
                None => Matching::Nothing,
            },
        }
    }
}

/// The ways rows can find existing contacts, as `match_by` names them: e-mail, external
/// id, customer number, a contact custom field (`custom.KEY`), the duplicate score
/// (the best candidate scoring as a likely duplicate), or not at all (`none`).
pub fn match_by_choices(defs: &[CustomFieldDef]) -> Vec<String> {
    let mut choices: Vec<String> = ["email", "external_id", "customer_number"]
        .map(str::to_string)
        .to_vec();
    choices.extend(
        defs.iter()
            .filter(|d| d.entity == Entity::Contact && d.kind != CustomKind::MultiChoice)
            .map(|d| format!("custom.{}", d.key)),
    );
    choices.extend(["score", "none"].map(str::to_string));
    choices
}

/// The existing contacts the drafts match, by match key; values are looked up in large
/// batches, the duplicate score row by row.
pub(super) async fn matches_of(
    store: &Store,
    options: &Options,
    validator: &Validator,
    drafts: &[kartei_core::import::RowDraft],
) -> Result<HashMap<String, Uuid>, StoreError> {
    let keys: Vec<String> = drafts
        .iter()
        .filter_map(|d| match_key(&options.match_by, d, validator))
        .collect();
    let column = match Matching::of(&options.match_by) {
        Matching::Column(column) => column,
        Matching::Score => return score_matches(store, keys).await,
        Matching::Nothing => return Ok(HashMap::new()),
    };
    let mut matches = store.contacts_by(column.clone(), &keys).await?;
    if column == MatchColumn::ExternalId {
        // A contact merged away lives on in its survivor.
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !matches.contains_key(*k))
            .cloned()
            .collect();
        for (k, id) in store.merged_external_ids(&missing).await? {
            matches.entry(k).or_insert(id);
        }
    }
    Ok(matches)
}

/// For each checked contact (as its match key, the contact in JSON), the existing
/// contact that is most likely the same person, if one scores as a likely duplicate.
pub(super) async fn score_matches(
    store: &Store,
    keys: Vec<String>,
) -> Result<HashMap<String, Uuid>, StoreError> {
    let mut matches = HashMap::new();
    for key in keys {
        if matches.contains_key(&key) {
            continue;
        }
        let contact: ContactData = serde_json::from_str(&key)?;
        let best = store.likely_duplicates(&contact, None, 1).await?;
        if let Some((found, score)) = best.first() {
            if score.score >= LIKELY_FROM {
                matches.insert(key, found.id);
            }
        }
    }
    Ok(matches)
}

/// The value a row is matched by: its first e-mail address, its external id, customer
/// number or custom field value, or for the duplicate score the row's contact as checked
/// (in JSON; a row that fails the check matches nothing).
pub(super) fn match_key(
    match_by: &str,
    d: &kartei_core::import::RowDraft,
    validator: &Validator,
) -> Option<String> {
    let text = |v: Option<&String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match Matching::of(match_by) {
        Matching::Column(MatchColumn::Email) => d
            .contact
            .emails
            .first()
            .map(|e| e.address.trim().to_lowercase()),
        Matching::Column(MatchColumn::ExternalId) => d.external_id.clone(),
        Matching::Column(MatchColumn::CustomerNumber) => text(d.contact.customer_number.as_ref()),
        Matching::Column(MatchColumn::Custom(key)) => match d.contact.custom.get(&key) {
            Some(Value::String(v)) => text(Some(v)),
            _ => None,
        },
        Matching::Score => {
            let checked = validator.check(d.contact.clone()).ok()?;
            serde_json::to_string(checked.get()).ok()
        }
        Matching::Nothing => None,
    }
}
