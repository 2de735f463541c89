//! The consent ledger of contacts (see [`kartei_core::consent`]): purposes, wordings
//! stored once, events appended in the transaction that also updates the derived state
//! the filter `may_contact` reads.

use crate::db::Tx;
use crate::error::StoreError;
use crate::sql::name;
use crate::{audit, now, Actor, Store};
use chrono::{DateTime, Utc};
use kartei_core::consent::{self, ConsentEvent, ConsentInput, Consents, NewConsent, Purpose};
use kartei_core::contact::ContactData;
use sea_query::{Alias, Expr, Func, JoinType, Order, Query};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

const PURPOSE_COLUMNS: [&str; 5] = [
    "key",
    "name_de",
    "name_en",
    "description_de",
    "description_en",
];

const EVENT_COLUMNS: [&str; 15] = [
    "id",
    "contact_id",
    "channel",
    "purpose",
    "status",
    "basis",
    "source",
    "wording_hash",
    "proof",
    "recorded_by",
    "recorded_by_name",
    "import_id",
    "occurred_at",
    "expires_at",
    "recorded_at",
];

type EventRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<Uuid>,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    Option<i64>,
    Option<String>,
);

/// The proof kept with an event besides its wording, as one JSON object.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct Proof {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    /// The import that recorded it (also a column, for undoing the import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    import: Option<Uuid>,
}

fn decode(r: EventRow) -> Result<ConsentEvent, StoreError> {
    let proof: Proof = serde_json::from_str(&r.8)?;
    Ok(ConsentEvent {
        id: r.0,
        contact_id: r.1,
        channel: r.2,
        purpose: r.3,
        status: r.4,
        basis: r.5,
        source: r.6,
        wording_hash: r.7,
        proof: proof.note,
        ip_address: proof.ip_address,
        user_agent: proof.user_agent,
        recorded_by: r.9,
        recorded_by_name: r.10,
        import_id: proof.import,
        occurred_at: r.11,
        expires_at: r.12,
        recorded_at: r.13,
        wording_version: r.14,
        wording: r.15,
    })
}

async fn purpose_keys(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = tx
        .all(
            Query::select()
                .column(name("key"))
                .from(name("consent_purposes")),
        )
        .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// A filter that names a purpose nobody configured is an error, not an empty list.
pub(crate) async fn check_purposes(
    tx: &mut Tx,
    filter: Option<&kartei_core::filter::TypedFilter>,
) -> Result<(), StoreError> {
    let named = filter.map(|f| f.consent_purposes()).unwrap_or_default();
    if named.is_empty() {
        return Ok(());
    }
    let known = purpose_keys(tx).await?;
    if named.iter().all(|p| known.iter().any(|k| k == p)) {
        Ok(())
    } else {
        Err(StoreError::field(
            "filter",
            kartei_core::validation::ErrorCode::InvalidFilter,
        ))
    }
}

/// Every event of the contacts, newest first, with their wordings.
async fn events_of(tx: &mut Tx, contacts: &[Uuid]) -> Result<Vec<ConsentEvent>, StoreError> {
    let mut q = Query::select();
    for c in EVENT_COLUMNS.into_iter().filter(|c| *c != "import_id") {
        q.column((Alias::new("e"), name(c)));
    }
    let rows: Vec<EventRow> = tx
        .all(
            q.columns([
                (Alias::new("w"), name("version")),
                (Alias::new("w"), name("text")),
            ])
            .from_as(name("consent_events"), Alias::new("e"))
            .join_as(
                JoinType::LeftJoin,
                name("consent_wordings"),
                Alias::new("w"),
                Expr::col((Alias::new("w"), name("hash")))
                    .equals((Alias::new("e"), name("wording_hash"))),
            )
            .and_where(Expr::col((Alias::new("e"), name("contact_id"))).is_in(contacts.to_vec()))
            .order_by((Alias::new("e"), name("occurred_at")), Order::Desc)
            .order_by((Alias::new("e"), name("id")), Order::Desc),
        )
        .await?;
    rows.into_iter().map(decode).collect()
}

/// Rewrites the derived state of `contact` from its events (after an event, a merge or
/// its undo).
pub(crate) async fn refresh_state(tx: &mut Tx, contact: Uuid) -> Result<(), StoreError> {
    refresh_states(tx, &[contact]).await
}

/// [`refresh_state`] for many contacts, a few statements per chunk of them.
async fn refresh_states(tx: &mut Tx, contacts: &[Uuid]) -> Result<(), StoreError> {
    const STATE: [&str; 6] = [
        "contact_id",
        "channel",
        "purpose",
        "status",
        "expires_at",
        "event_id",
    ];
    for chunk in contacts.chunks(500) {
        let events = events_of(tx, chunk).await?;
        tx.execute(
            Query::delete()
                .from_table(name("consent_state"))
                .and_where(Expr::col(name("contact_id")).is_in(chunk.to_vec())),
        )
        .await?;
        let mut values = Vec::new();
        for &contact in chunk {
            let own: Vec<ConsentEvent> = events
                .iter()
                .filter(|e| e.contact_id == contact)
                .cloned()
                .collect();
            // The raw latest status is stored; expiry is compared when the filter runs.
            for s in consent::current(&own, DateTime::<Utc>::MIN_UTC) {
                values.extend([
                    contact.into(),
                    s.channel.into(),
                    s.purpose.into(),
                    s.status.into(),
                    s.expires_at.into(),
                    s.event_id.into(),
                ]);
            }
        }
        for rows in values.chunks(crate::sql::chunk_size(STATE.len()) * STATE.len()) {
            tx.insert_values("consent_state", &STATE, rows.to_vec(), false)
                .await?;
        }
    }
    Ok(())
}

/// Stores a wording once, numbered among the wordings of its purpose.
async fn keep_wording(
    tx: &mut Tx,
    purpose: &str,
    wording: &consent::Wording,
) -> Result<(), StoreError> {
    let known: Option<(String,)> = tx
        .optional(
            Query::select()
                .column(name("hash"))
                .from(name("consent_wordings"))
                .and_where(Expr::col(name("hash")).eq(wording.hash.as_str())),
        )
        .await?;
    if known.is_some() {
        return Ok(());
    }
    let (count,): (i64,) = tx
        .one(
            Query::select()
                .expr(Func::count(Expr::col(name("hash"))))
                .from(name("consent_wordings"))
                .and_where(Expr::col(name("purpose")).eq(purpose)),
        )
        .await?;
    tx.execute(
        Query::insert()
            .into_table(name("consent_wordings"))
            .columns(["hash", "purpose", "version", "text", "created_at"].map(name))
            .values_panic([
                wording.hash.clone().into(),
                purpose.into(),
                (count + 1).into(),
                wording.text.clone().into(),
                now().into(),
            ]),
    )
    .await?;
    Ok(())
}

/// An event's row in `consent_events` (see [`EVENT_COLUMNS`]).
fn event_values(
    id: Uuid,
    contact: Uuid,
    c: &NewConsent,
    actor: &Actor,
    recorded_at: DateTime<Utc>,
) -> Result<Vec<sea_query::Value>, StoreError> {
    let proof = Proof {
        note: c.proof.clone(),
        ip_address: c.ip_address.clone(),
        user_agent: c.user_agent.clone(),
        import: actor.import,
    };
    Ok(vec![
        id.into(),
        contact.into(),
        c.channel.clone().into(),
        c.purpose.clone().into(),
        c.status.clone().into(),
        c.basis.clone().into(),
        c.source.clone().into(),
        c.wording.as_ref().map(|w| w.hash.clone()).into(),
        serde_json::to_string(&proof)?.into(),
        actor.user_id.into(),
        actor.name.clone().into(),
        actor.import.into(),
        c.occurred_at.into(),
        c.expires_at.into(),
        recorded_at.into(),
    ])
}

/// Appends a checked event for `contact` in `tx`, with its audit entry, and updates the
/// derived state.
pub(crate) async fn append(
    tx: &mut Tx,
    actor: &Actor,
    contact: Uuid,
    c: NewConsent,
) -> Result<Uuid, StoreError> {
    if let Some(w) = &c.wording {
        keep_wording(tx, &c.purpose, w).await?;
    }
    let id = Uuid::now_v7();
    let values = event_values(id, contact, &c, actor, now())?;
    tx.insert_values("consent_events", &EVENT_COLUMNS, values, false)
        .await?;
    refresh_state(tx, contact).await?;
    // About the event (the contact's timeline shows the event itself).
    audit::append(
        tx,
        actor,
        "consent",
        Some(id),
        "create",
        None,
        Some(&json!({
            "contact_id": contact,
            "channel": c.channel,
            "purpose": c.purpose,
            "status": c.status,
            "basis": c.basis,
            "source": c.source,
        })),
    )
    .await?;
    Ok(id)
}

/// Records the consents an import's rows state for their contacts, in the batch's
/// transaction; `actor` names the import.
pub(crate) async fn import_consents(
    tx: &mut Tx,
    actor: &Actor,
    rows: Vec<(Uuid, Vec<ConsentInput>)>,
) -> Result<(), StoreError> {
    if rows.iter().all(|(_, c)| c.is_empty()) {
        return Ok(());
    }
    let purposes = purpose_keys(tx).await?;
    let at = now();
    for (contact, inputs) in rows {
        for input in inputs {
            let c = input
                .normalise(&purposes, at)
                .map_err(StoreError::Invalid)?;
            append(tx, actor, contact, c).await?;
        }
    }
    Ok(())
}

/// Takes back the consents an import recorded (when the import is undone).
pub(crate) async fn undo_import(tx: &mut Tx, job: Uuid) -> Result<(), StoreError> {
    let contacts: Vec<(Uuid,)> = tx
        .all(
            Query::select()
                .distinct()
                .column(name("contact_id"))
                .from(name("consent_events"))
                .and_where(Expr::col(name("import_id")).eq(job)),
        )
        .await?;
    tx.delete_where("consent_events", "import_id", job).await?;
    let contacts: Vec<Uuid> = contacts.into_iter().map(|(c,)| c).collect();
    refresh_states(tx, &contacts).await
}

impl Store {
    /// Records checked events for many contacts at once (demo data, benchmarks, a
    /// campaign's list): each event with its proof, the derived state of every contact
    /// named, and one audit entry per chunk. Contacts must exist; nothing else checks
    /// them here.
    pub async fn record_consents_in_bulk(
        &self,
        actor: &Actor,
        events: Vec<(Uuid, NewConsent)>,
    ) -> Result<usize, StoreError> {
        let width = EVENT_COLUMNS.len();
        let mut written = 0;
        let mut wordings = std::collections::HashSet::new();
        for chunk in events.chunks(crate::sql::chunk_size(width)) {
            let mut tx = self.db.write().await?;
            let mut values = Vec::with_capacity(chunk.len() * width);
            let mut contacts: Vec<Uuid> = Vec::with_capacity(chunk.len());
            let at = now();
            for (contact, c) in chunk {
                if let Some(w) = c.wording.as_ref().filter(|w| !wordings.contains(&w.hash)) {
                    keep_wording(&mut tx, &c.purpose, w).await?;
                    wordings.insert(w.hash.clone());
                }
                values.extend(event_values(Uuid::now_v7(), *contact, c, actor, at)?);
                contacts.push(*contact);
            }
            tx.insert_values("consent_events", &EVENT_COLUMNS, values, false)
                .await?;
            contacts.sort_unstable();
            contacts.dedup();
            refresh_states(&mut tx, &contacts).await?;
            audit::append(
                &mut tx,
                actor,
                "consent",
                None,
                "bulk",
                None,
                Some(&json!({"events": chunk.len(), "contacts": contacts.len()})),
            )
            .await?;
            tx.commit().await?;
            written += chunk.len();
        }
        Ok(written)
    }

    /// The configured purposes, by key.
    pub async fn consent_purposes(&self) -> Result<Vec<Purpose>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(String, String, String, String, String)> = tx
            .all(
                Query::select()
                    .columns(PURPOSE_COLUMNS.map(name))
                    .from(name("consent_purposes"))
                    .order_by(name("key"), Order::Asc),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Purpose {
                key: r.0,
                name_de: r.1,
                name_en: r.2,
                description_de: r.3,
                description_en: r.4,
            })
            .collect())
    }

    /// Adds a purpose, or changes the names and descriptions of one with its key.
    pub async fn save_consent_purpose(
        &self,
        actor: &Actor,
        purpose: Purpose,
    ) -> Result<Purpose, StoreError> {
        let p = purpose.normalise().map_err(StoreError::Invalid)?;
        let mut tx = self.db.write().await?;
        let known = purpose_keys(&mut tx).await?.contains(&p.key);
        let values = [
            p.key.clone().into(),
            p.name_de.clone().into(),
            p.name_en.clone().into(),
            p.description_de.clone().into(),
            p.description_en.clone().into(),
        ];
        if known {
            tx.execute(
                Query::update()
                    .table(name("consent_purposes"))
                    .values(
                        PURPOSE_COLUMNS
                            .into_iter()
                            .skip(1)
                            .map(name)
                            .zip(values.into_iter().skip(1)),
                    )
                    .and_where(Expr::col(name("key")).eq(p.key.as_str())),
            )
            .await?;
        } else {
            tx.execute(
                Query::insert()
                    .into_table(name("consent_purposes"))
                    .columns(PURPOSE_COLUMNS.map(name))
                    .values_panic(values),
            )
            .await?;
        }
        audit::append(
            &mut tx,
            actor,
            "consent_purpose",
            None,
            if known { "update" } else { "create" },
            None,
            Some(&p),
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Records a consent event for a live contact.
    pub async fn record_consent(
        &self,
        actor: &Actor,
        contact: Uuid,
        input: ConsentInput,
    ) -> Result<ConsentEvent, StoreError> {
        let mut tx = self.db.write().await?;
        crate::records::live::<ContactData>(&mut tx, contact).await?;
        let purposes = purpose_keys(&mut tx).await?;
        let c = input
            .normalise(&purposes, now())
            .map_err(StoreError::Invalid)?;
        let id = append(&mut tx, actor, contact, c).await?;
        let event = events_of(&mut tx, &[contact])
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(event)
    }

    /// A contact's consents: the state now and the history.
    pub async fn consents(&self, contact: Uuid) -> Result<Consents, StoreError> {
        let mut tx = self.db.read().await?;
        crate::records::live::<ContactData>(&mut tx, contact).await?;
        let events = events_of(&mut tx, &[contact]).await?;
        Ok(Consents {
            state: consent::current(&events, now()),
            events,
        })
    }

    /// How the live contacts `filter` selects stand for a mailing on `channel` for
    /// `purpose`, counted by reason: `reachable` (granted, unexpired, with a value in
    /// `address_column`), `none` (no event), `withdrawn`, `refused`, `pending`,
    /// `expired`, `no_address`. One grouped query.
    pub async fn consent_breakdown(
        &self,
        filter: Option<&kartei_core::filter::TypedFilter>,
        channel: &str,
        purpose: &str,
        address_column: &str,
    ) -> Result<HashMap<String, u64>, StoreError> {
        use crate::filter::{restrict, IndexUse, RECORD};
        use crate::sql::qcol;
        let mut tx = self.db.read().await?;
        check_purposes(&mut tx, filter).await?;
        let status = || qcol("cs", "status");
        let expires = || qcol("cs", "expires_at");
        let reason = Expr::case(status().is_null(), "none")
            .case(
                status()
                    .eq("granted")
                    .and(expires().is_not_null())
                    .and(expires().lte(now())),
                "expired",
            )
            .case(
                status()
                    .eq("granted")
                    .and(qcol(RECORD, address_column).is_null()),
                "no_address",
            )
            .case(status().eq("granted"), "reachable")
            .finally(status());
        let mut q = Query::select();
        q.expr_as(reason, Alias::new("reason"))
            .expr(Expr::cust("COUNT(*)"))
            .from_as(name("contacts"), Alias::new(RECORD))
            .join_as(
                JoinType::LeftJoin,
                name("consent_state"),
                Alias::new("cs"),
                qcol("cs", "contact_id")
                    .equals((Alias::new(RECORD), Alias::new("id")))
                    .and(qcol("cs", "channel").eq(channel))
                    .and(qcol("cs", "purpose").eq(purpose)),
            )
            .group_by_col(Alias::new("reason"));
        restrict(&mut q, filter, IndexUse::Free);
        let rows: Vec<(String, i64)> = tx.all(&q).await?;
        Ok(rows
            .into_iter()
            .map(|(r, n)| (r, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// What each of the contacts may be addressed for now: (channel, purpose) of every
    /// granted, unexpired consent, by contact (for a list's or an export's column).
    pub async fn granted_consents(
        &self,
        contacts: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<(String, String)>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
        if contacts.is_empty() {
            return Ok(out);
        }
        let mut tx = self.db.read().await?;
        let at = now();
        for chunk in contacts.chunks(500) {
            let rows: Vec<(Uuid, String, String, Option<DateTime<Utc>>)> = tx
                .all(
                    Query::select()
                        .columns(["contact_id", "channel", "purpose", "expires_at"].map(name))
                        .from(name("consent_state"))
                        .and_where(Expr::col(name("status")).eq("granted"))
                        .and_where(Expr::col(name("contact_id")).is_in(chunk.to_vec()))
                        .order_by(name("purpose"), Order::Asc)
                        .order_by(name("channel"), Order::Asc),
                )
                .await?;
            for (id, channel, purpose, expires) in rows {
                if expires.is_none_or(|e| e > at) {
                    out.entry(id).or_default().push((channel, purpose));
                }
            }
        }
        Ok(out)
    }

    /// The state of one channel × purpose for many contacts (for lists and exports):
    /// the effective status by contact; contacts without an event are absent.
    pub async fn consent_status(
        &self,
        contacts: &[Uuid],
        channel: &str,
        purpose: &str,
    ) -> Result<HashMap<Uuid, String>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut out = HashMap::new();
        let at = now();
        for chunk in contacts.chunks(crate::sql::chunk_size(1)) {
            let rows: Vec<(Uuid, String, Option<DateTime<Utc>>)> = tx
                .all(
                    Query::select()
                        .columns(["contact_id", "status", "expires_at"].map(name))
                        .from(name("consent_state"))
                        .and_where(Expr::col(name("channel")).eq(channel))
                        .and_where(Expr::col(name("purpose")).eq(purpose))
                        .and_where(Expr::col(name("contact_id")).is_in(chunk.to_vec())),
                )
                .await?;
            for (id, status, expires) in rows {
                out.insert(
                    id,
                    consent::effective_status(&status, expires, at).to_string(),
                );
            }
        }
        Ok(out)
    }
}
