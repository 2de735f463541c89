//! The detail page, the "360° view" of one contact or organisation: master data, ways
//! to reach, tags, custom fields, an organisation's people, and the timeline.

use super::error::WebError;
use super::records::WebRecord;
use super::session::{Posted, Session, Shell};
use super::timeline::{self, TimelineEntry};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kartei_app::columns::{custom_cell, custom_label};
use kartei_app::export::cell_context;
use kartei_core::access::Permission;
use kartei_core::contact::ContactData;
use kartei_core::filter::{Filter, Op, Sort};
use kartei_core::record::{Entity, RecordData, Reference};
use kartei_store::list::ListRequest;
use kartei_store::tags::{TagRef, TagSelector};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

pub struct Channel {
    pub kind: String,
    pub text: String,
    pub href: Option<String>,
}

/// A line of a record's master data; names of other records link to them.
pub struct Fact {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
    /// A link out of Kartei (a website), opened in a new tab.
    pub external: bool,
}

/// Where the page of a referenced record is; users have none.
fn reference_target(reference: Reference) -> Option<String> {
    let (entity, id) = match reference {
        Reference::Organization(id) => (Entity::Organization, id),
        Reference::Contact(id) => (Entity::Contact, id),
        Reference::Deal(id) => (Entity::Deal, id),
        Reference::Pipeline(id) => (Entity::Pipeline, id),
        Reference::Product(id) => (Entity::Product, id),
        Reference::ProductCategory(id) => (Entity::ProductCategory, id),
        Reference::Order(id) => (Entity::Order, id),
        Reference::User(_) => return None,
    };
    Some(format!("{}/{id}", super::records::page_path(entity)))
}

/// The master data of a record: its columns, with every other record it points to
/// (organisation, contacts, deal, category …) as a link by name.
async fn facts<R: WebRecord>(
    state: &AppState,
    record: &kartei_store::records::Record<R>,
    ctx: &kartei_app::columns::CellContext,
    lang: kartei_core::i18n::Lang,
) -> Result<Vec<Fact>, WebError> {
    const SHOWN_ELSEWHERE: &[&str] = &[
        "id", "name", "tags", "email", "phone", "mobile", "street", "postcode", "city", "country",
        "consents",
    ];
    // Order lines name their products in the lines table.
    let references: Vec<(&'static str, Reference)> = record
        .data
        .references()
        .into_iter()
        .filter(|(field, _)| *field != "lines")
        .collect();
    let is_reference = |key: &str| {
        references
            .iter()
            .any(|(f, _)| *f == format!("{key}_id") || *f == format!("{key}_ids"))
    };
    let mut facts: Vec<Fact> = R::COLUMNS
        .iter()
        .filter(|c| !SHOWN_ELSEWHERE.contains(&c.key) && !is_reference(c.key))
        .map(|c| {
            let value = (c.value)(record, ctx);
            let website = c.key == "website" && value.starts_with("http");
            Fact {
                label: c.label(lang).to_string(),
                href: website.then(|| value.clone()),
                external: website,
                value,
            }
        })
        .filter(|f| !f.value.is_empty())
        .collect();
    let ids: Vec<Uuid> = references
        .iter()
        .map(|(_, r)| match *r {
            Reference::User(id)
            | Reference::Organization(id)
            | Reference::Contact(id)
            | Reference::Deal(id)
            | Reference::Pipeline(id)
            | Reference::Product(id)
            | Reference::ProductCategory(id)
            | Reference::Order(id) => id,
        })
        .collect();
    let names = state.store.names_of(&ids).await?;
    for ((field, reference), id) in references.into_iter().zip(ids) {
        let value = names.get(&id).cloned().unwrap_or_else(|| id.to_string());
        facts.push(Fact {
            label: kartei_app::texts::field_label(field, lang),
            value,
            href: reference_target(reference),
            external: false,
        });
    }
    Ok(facts)
}

/// The short forms on a contact's, organisation's or deal's page: log a call, note,
/// e-mail, meeting or task, start a deal or a ticket, without leaving the page.
pub struct LogBox {
    /// Hidden fields that link what is logged to this record (and its organisation
    /// or first contact).
    pub activity_links: Vec<(&'static str, Uuid)>,
    pub deal_links: Vec<(&'static str, Uuid)>,
    pub ticket_links: Vec<(&'static str, Uuid)>,
    /// (value, label) of each kind of activity.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub priorities: Vec<(&'static str, &'static str)>,
    pub ticket_priorities: Vec<(&'static str, &'static str)>,
    pub me: Uuid,
    pub users: Vec<(Uuid, String)>,
    /// Stages a new deal can start in; empty on a deal's own page.
    pub stages: Vec<(Uuid, String)>,
}

async fn log_box(
    state: &AppState,
    session: &Session,
    entity: Entity,
    id: Uuid,
    doc: &Value,
) -> Result<Option<LogBox>, WebError> {
    if !session.may(Permission::WriteRecords) {
        return Ok(None);
    }
    let uuid = |key: &str| {
        doc.get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uuid>().ok())
    };
    let first_contact = doc
        .get("contact_ids")
        .and_then(|c| c.get(0))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Uuid>().ok());
    let organization = uuid("organization_id");
    let (contact, organization, deal) = match entity {
        Entity::Contact => (Some(id), organization, None),
        Entity::Organization => (None, Some(id), None),
        Entity::Deal => (first_contact, organization, Some(id)),
        _ => return Ok(None),
    };
    let links = |contact_field: &'static str| {
        let mut links = Vec::new();
        links.extend(contact.map(|c| (contact_field, c)));
        links.extend(organization.map(|o| ("organization_id", o)));
        links
    };
    let mut activity_links = links("contact_id");
    activity_links.extend(deal.map(|d| ("deal_id", d)));
    let tr = session.lang;
    let labels = |codes: &'static [&'static str]| {
        codes
            .iter()
            .map(|c| (*c, kartei_app::texts::option_label(c, tr)))
            .collect::<Vec<_>>()
    };
    let mut users: Vec<(Uuid, String)> = kartei_app::export::user_names(&state.store)
        .await?
        .into_iter()
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    let stages = if entity == Entity::Deal {
        Vec::new()
    } else {
        kartei_app::names::stage_names(&state.store).await?
    };
    Ok(Some(LogBox {
        activity_links,
        deal_links: links("contact_ids[0]"),
        ticket_links: links("contact_id"),
        kinds: labels(&["call", "note", "email", "meeting", "task"]),
        priorities: labels(kartei_core::activity::PRIORITIES),
        ticket_priorities: labels(kartei_core::support::TICKET_PRIORITIES),
        me: session.user.id,
        users,
        stages,
    }))
}

pub struct Person {
    pub href: String,
    pub name: String,
    pub job: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
pub struct DetailPage {
    pub shell: Shell,
    pub path: &'static str,
    pub id: Uuid,
    pub version: i64,
    pub name: String,
    pub subtitle: String,
    pub facts: Vec<Fact>,
    /// The page of the organisation the subtitle names.
    pub subtitle_href: Option<String>,
    pub emails: Vec<Channel>,
    pub phones: Vec<Channel>,
    pub addresses: Vec<Channel>,
    pub custom: Vec<(String, String)>,
    pub bank: Vec<(String, String)>,
    pub bank_masked: bool,
    pub notes: Option<String>,
    pub tags: Vec<TagRef>,
    pub all_tags: Vec<String>,
    pub people: Option<Vec<Person>>,
    pub people_href: String,
    pub timeline: Vec<TimelineEntry>,
    pub timeline_kinds: Vec<(&'static str, &'static str, bool)>,
    pub timeline_all_current: bool,
    pub older_href: Option<String>,
    pub bulk_created: bool,
    /// Contacts: what they bought, and their loyalty points.
    pub purchases: Option<Vec<(String, String)>>,
    pub loyalty: Option<(i64, Vec<kartei_core::loyalty::LoyaltyEntry>)>,
    /// Contacts: what they may be addressed for, with the history.
    pub consents: Option<super::consents::ConsentPanel>,
    /// Contacts: contacts merged into this one (not undone), newest first.
    pub merges: Vec<kartei_store::merge::Merge>,
    /// Deals: the stages entered, with times.
    pub stage_visits: Vec<(String, String)>,
    /// Orders: lines (description, quantity, unit price, discount, VAT, net) and totals.
    pub lines: Vec<[String; 6]>,
    pub totals: Vec<(String, String)>,
    /// Pipelines: the board.
    pub board_href: Option<String>,
    /// Contacts, organisations and deals: the short forms to log and start things.
    pub log: Option<LogBox>,
    /// Open deals: closing them as won or lost.
    pub close: Option<super::deals::CloseBox>,
    /// The page itself, for the short forms to come back to.
    pub here: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct DetailQuery {
    pub notice: Option<String>,
    /// Show only this kind of timeline entry.
    pub kind: Option<String>,
    /// Continue the timeline here (a cursor, or an entry id).
    pub before: Option<String>,
}

fn kind_label(kind: &str, lang: kartei_core::i18n::Lang) -> String {
    kartei_app::texts::option_label(kind, lang).to_string()
}

pub async fn detail_page<R: WebRecord>(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, WebError> {
    session.require(Permission::ReadRecords)?;
    let lang = session.lang;
    let record = state.store.get::<R>(id).await?;
    let sensitive = session.may(Permission::ViewSensitive);
    let record = if sensitive {
        record
    } else {
        kartei_store::records::Record {
            data: record.data.masked(),
            ..record
        }
    };
    let here = format!("{}/{}", R::PATH, id);
    let shell = Shell::load(&state, &session, R::SECTION, &here, query.notice.as_deref()).await?;
    // The consent panel shows the consents; the master data leaves them out.
    let ctx = cell_context(&state.store, std::slice::from_ref(&record), lang, false).await?;
    let facts = facts(&state, &record, &ctx, lang).await?;
    let doc = serde_json::to_value(&record.data).unwrap_or(Value::Null);
    let list = |key: &str| {
        doc.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let emails = list("emails")
        .iter()
        .map(|e| Channel {
            kind: kind_label(&text(e, "kind"), lang),
            href: Some(format!("mailto:{}", text(e, "address"))),
            text: text(e, "address"),
        })
        .collect();
    let phones = list("phones")
        .iter()
        .map(|p| Channel {
            kind: kind_label(&text(p, "kind"), lang),
            href: Some(format!("tel:{}", text(p, "number"))),
            text: kartei_core::phone::display(&text(p, "number"), state.store.default_region()),
        })
        .collect();
    let addresses = list("addresses")
        .iter()
        .map(|a| {
            let lines: Vec<String> = [
                text(a, "street"),
                text(a, "extra"),
                format!("{} {}", text(a, "postcode"), text(a, "city"))
                    .trim()
                    .to_string(),
                text(a, "country"),
            ]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
            Channel {
                kind: kind_label(&text(a, "kind"), lang),
                text: lines.join(", "),
                href: None,
            }
        })
        .collect();
    let defs = state.store.custom_fields(Some(R::ENTITY)).await?;
    let custom = defs
        .iter()
        .map(|d| {
            (
                custom_label(d, lang).to_string(),
                custom_cell(d, record.data.custom().get(&d.key), lang),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if sensitive {
        let shown = kartei_store::subject::sensitive_filled(&record.data);
        if !shown.is_empty() {
            state
                .store
                .log_sensitive_read(&session.actor(), R::ENTITY, id, &shown)
                .await?;
        }
    }
    let bank_doc = doc.get("bank").cloned().unwrap_or(Value::Null);
    let bank = ["iban", "bic", "account_holder"]
        .iter()
        .map(|k| (kartei_app::texts::field_label(k, lang), text(&bank_doc, k)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let (people, people_href) = if R::ENTITY == Entity::Organization {
        let filter = Filter::Condition {
            field: Some("organization_id".into()),
            op: Op::Eq,
            value: json!(id.to_string()),
        };
        let typed = filter
            .clone()
            .typed(Entity::Contact, &[])
            .map_err(|_| WebError::Internal)?;
        let page = state
            .store
            .list::<ContactData>(&ListRequest {
                filter: Some(typed),
                sort: Sort::by_name(),
                cursor: None,
                limit: 50,
                with_total: false,
            })
            .await?;
        let people = page
            .items
            .into_iter()
            .map(|p| Person {
                href: format!("/contacts/{}", p.id),
                name: p.data.display_name(),
                job: p.data.job_title.unwrap_or_default(),
            })
            .collect();
        let href = format!(
            "/contacts?{}",
            serde_urlencoded::to_string([(
                "filter",
                serde_json::to_string(&filter).unwrap_or_default()
            )])
            .unwrap_or_default()
        );
        (Some(people), href)
    } else {
        (None, String::new())
    };
    let subtitle = match record.data.organization_id() {
        Some(org) if R::ENTITY == Entity::Contact => {
            ctx.organizations.get(&org).cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let (timeline, older) = timeline::load(
        &state,
        R::ENTITY,
        id,
        (lang, session.tz_minutes),
        query.kind.as_deref(),
        query.before.as_deref(),
    )
    .await?;
    let older_href = older.map(|before| {
        let mut pairs = vec![("before", before)];
        if let Some(k) = &query.kind {
            pairs.push(("kind", k.clone()));
        }
        format!(
            "{here}?{}#timeline",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let timeline_kinds = if R::ENTITY.is_party() {
        timeline::KINDS
            .iter()
            .map(|(k, label)| (*k, shell.t(label), query.kind.as_deref() == Some(*k)))
            .collect()
    } else {
        Vec::new()
    };
    let extras = extras::<R>(
        &state,
        id,
        &doc,
        lang,
        session.may(Permission::ViewSensitive),
    )
    .await?;
    let log = log_box(&state, &session, R::ENTITY, id, &doc).await?;
    let close = match serde_json::from_value::<kartei_core::deal::DealData>(doc.clone()) {
        Ok(deal) if R::ENTITY == Entity::Deal && session.may(Permission::WriteRecords) => {
            super::deals::close_box(&state, &deal, record.version, lang).await?
        }
        _ => None,
    };
    let page = DetailPage {
        log,
        close,
        here: here.clone(),
        purchases: extras.purchases,
        loyalty: extras.loyalty,
        consents: extras.consents,
        merges: extras.merges,
        stage_visits: extras.stage_visits,
        lines: extras.lines,
        totals: extras.totals,
        board_href: (R::ENTITY == Entity::Pipeline).then(|| format!("/pipelines/{id}/board")),
        path: R::PATH,
        id,
        version: record.version,
        name: record.data.display_name(),
        subtitle_href: (!subtitle.is_empty())
            .then(|| record.data.organization_id())
            .flatten()
            .map(|o| format!("/organizations/{o}")),
        subtitle,
        facts,
        emails,
        phones,
        addresses,
        custom,
        bank,
        bank_masked: !sensitive,
        notes: ["notes", "body", "description", "review"]
            .iter()
            .find_map(|k| doc.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        all_tags: state
            .store
            .tag_refs()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        tags: record.tags,
        people,
        people_href,
        bulk_created: timeline.is_empty() && query.before.is_none() && query.kind.is_none(),
        timeline,
        timeline_all_current: query.kind.is_none(),
        timeline_kinds,
        older_href,
        shell,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Default)]
struct Extras {
    purchases: Option<Vec<(String, String)>>,
    loyalty: Option<(i64, Vec<kartei_core::loyalty::LoyaltyEntry>)>,
    consents: Option<super::consents::ConsentPanel>,
    merges: Vec<kartei_store::merge::Merge>,
    stage_visits: Vec<(String, String)>,
    lines: Vec<[String; 6]>,
    totals: Vec<(String, String)>,
}

/// What the page of a kind shows besides its fields.
async fn extras<R: WebRecord>(
    state: &AppState,
    id: Uuid,
    doc: &Value,
    lang: kartei_core::i18n::Lang,
    can_export: bool,
) -> Result<Extras, WebError> {
    let tr = kartei_app::texts::Tr(lang);
    let money = |m: i64, cur: &str| kartei_app::format::money(m, cur, lang);
    let mut x = Extras::default();
    match R::ENTITY {
        Entity::Contact => {
            let p = state.store.purchases(id).await?;
            x.purchases = Some(vec![
                (
                    tr.t("summary.orders").to_string(),
                    kartei_app::format::integer(p.orders, lang),
                ),
                (
                    tr.t("summary.revenue").to_string(),
                    if p.revenue.is_empty() {
                        money(0, "EUR")
                    } else {
                        p.revenue
                            .iter()
                            .map(|(c, m)| money(*m, c))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    },
                ),
                (
                    tr.t("summary.first").to_string(),
                    kartei_app::format::date(p.first, lang),
                ),
                (
                    tr.t("summary.last").to_string(),
                    kartei_app::format::date(p.last, lang),
                ),
            ]);
            x.loyalty = Some((
                state.store.loyalty_balance(id).await?,
                state.store.loyalty_entries(id, 5).await?,
            ));
            x.consents = Some(super::consents::panel(state, id, lang, can_export).await?);
            x.merges = state
                .store
                .merges(Some(id))
                .await?
                .into_iter()
                .filter(|m| m.undone_at.is_none())
                .collect();
        }
        Entity::Deal => {
            let names: std::collections::HashMap<Uuid, String> =
                kartei_app::names::stage_names(&state.store)
                    .await?
                    .into_iter()
                    .collect();
            x.stage_visits = state
                .store
                .stage_history(id)
                .await?
                .into_iter()
                .map(|v| {
                    (
                        names.get(&v.stage_id).cloned().unwrap_or_default(),
                        v.entered_at.to_rfc3339(),
                    )
                })
                .collect();
        }
        Entity::Order => {
            let order: kartei_core::commerce::OrderData =
                serde_json::from_value(doc.clone()).map_err(|_| WebError::Internal)?;
            let cur = order.currency.clone().unwrap_or_else(|| "EUR".into());
            let products: Vec<Uuid> = order.lines.iter().filter_map(|l| l.product_id).collect();
            let names = state
                .store
                .display_names::<kartei_core::commerce::ProductData>(&products)
                .await?;
            let pct = |bp: Option<i64>| {
                bp.map(|b| kartei_app::format::percent_bp(b, lang))
                    .unwrap_or_default()
            };
            x.lines = order
                .lines
                .iter()
                .map(|l| {
                    [
                        l.description
                            .clone()
                            .or_else(|| l.product_id.and_then(|p| names.get(&p).cloned()))
                            .unwrap_or_default(),
                        l.quantity
                            .map(|q| kartei_app::format::integer(q, lang))
                            .unwrap_or_default(),
                        l.unit_price_minor
                            .map(|m| money(m, &cur))
                            .unwrap_or_default(),
                        pct(l.discount_bp),
                        pct(l.vat_rate_bp),
                        l.net_minor.map(|m| money(m, &cur)).unwrap_or_default(),
                    ]
                })
                .collect();
            x.totals = [
                ("field.net_minor", order.net_minor),
                ("field.vat_minor", order.vat_minor),
                ("field.gross_minor", order.gross_minor),
            ]
            .iter()
            .map(|(k, v)| {
                (
                    tr.t(k).to_string(),
                    v.map(|m| money(m, &cur)).unwrap_or_default(),
                )
            })
            .collect();
        }
        _ => {}
    }
    Ok(x)
}

pub async fn add_tag<R: WebRecord>(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let back = format!("{}/{}", R::PATH, id);
    let Some(name) = form.get("tag") else {
        return Ok(Redirect::to(&back).into_response());
    };
    match state
        .store
        .attach_tag(
            &session.actor(),
            R::ENTITY,
            &[id],
            TagSelector::Name(name.to_string()),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(kartei_store::StoreError::Invalid(_)) => {
            Ok(Redirect::to(&format!("{back}?notice=tag.invalid")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_tag<R: WebRecord>(
    State(state): State<AppState>,
    Path((id, tag_id)): Path<(Uuid, Uuid)>,
    Posted { session, .. }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    state
        .store
        .detach_tag(&session.actor(), R::ENTITY, &[id], tag_id)
        .await?;
    Ok(Redirect::to(&format!("{}/{}", R::PATH, id)).into_response())
}

pub async fn delete<R: WebRecord>(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Posted { session, form }: Posted,
) -> Result<Response, WebError> {
    session.require(Permission::WriteRecords)?;
    let version = form.get("_version").and_then(|v| v.parse().ok());
    match state
        .store
        .delete(&session.actor(), R::ENTITY, id, version)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{}?notice=saved.deleted", R::PATH)).into_response()),
        // Changed meanwhile: show the current state rather than delete unseen changes.
        Err(kartei_store::StoreError::VersionConflict { .. }) => {
            Ok(Redirect::to(&format!("{}/{}?notice=conflict.title", R::PATH, id)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
