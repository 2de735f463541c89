//! Sales pipelines with ordered stages, and deals moving through them.

use crate::fields::{f, FieldSpec, K, NAME};
use crate::record::{
    raw, swap_ids, text, Context, Entity, IndexValue, RecordData, Reference, SearchKeys,
};
use crate::validation::{Checker, ErrorCode, FieldError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const DEAL_STATUSES: &[&str] = &["open", "won", "lost"];

/// A currency code: three capital letters (ISO 4217).
pub(crate) fn normalise_currency(
    check: &mut Checker,
    field: &str,
    value: Option<String>,
) -> String {
    match check.normalise(field, value, |c| {
        let c = c.to_ascii_uppercase();
        if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) {
            Ok(c)
        } else {
            Err(ErrorCode::InvalidChoice)
        }
    }) {
        Some(c) => c,
        None => "EUR".into(),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Stage {
    /// Assigned by the server when a stage is created; keep it when renaming.
    pub id: Option<Uuid>,
    #[schema(value_type = String, required = true, pattern = r"\S")]
    pub name: Option<String>,
    /// Deals in this stage are won.
    pub won: bool,
    /// Deals in this stage are lost.
    pub lost: bool,
    /// Default probability (0–100) of deals in this stage.
    #[schema(minimum = 0, maximum = 100)]
    pub probability: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineData {
    pub name: Option<String>,
    /// In board order, left to right.
    #[schema(min_items = 1, max_items = 30)]
    pub stages: Vec<Stage>,
    /// Why deals are lost, offered when a deal is closed as lost (with room for free
    /// text). Empty: the usual reasons in the reader's language.
    pub lost_reasons: Vec<String>,
}

/// Why deals are usually lost: text keys, offered when a pipeline names none.
pub const DEFAULT_LOST_REASONS: &[&str] = &[
    "lost.price",
    "lost.competitor",
    "lost.no_need",
    "lost.no_budget",
    "lost.no_response",
    "lost.timing",
];

impl PipelineData {
    /// The stage deals move to when they are won (or lost).
    pub fn closing_stage(&self, won: bool) -> Option<Uuid> {
        self.stages
            .iter()
            .find(|s| if won { s.won } else { s.lost })
            .and_then(|s| s.id)
    }
}

/// A pipeline's stages, as deals are checked against them.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineStages {
    pub id: Uuid,
    pub stages: Vec<Stage>,
}

impl RecordData for PipelineData {
    const FIELDS: &'static [FieldSpec] = crate::fields::NAMED;
    const ENTITY: Entity = Entity::Pipeline;
    const REQUIRED: &'static [&'static [&'static str]] = &[&["name"]];

    fn normalise(self, _ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let name = check.text("name", self.name, 100);
        if name.is_none() {
            check.fail("name", ErrorCode::Required);
        }
        if self.stages.is_empty() || self.stages.len() > 30 {
            check.fail("stages", ErrorCode::OutOfRange);
        }
        let mut stages = Vec::with_capacity(self.stages.len());
        for (i, s) in self.stages.into_iter().enumerate() {
            let name = check.text(&format!("stages[{i}].name"), s.name, 60);
            if name.is_none() {
                check.fail(format!("stages[{i}].name"), ErrorCode::Required);
            }
            if s.won && s.lost {
                check.fail(format!("stages[{i}].lost"), ErrorCode::InvalidChoice);
            }
            let default = if s.won {
                100
            } else if s.lost {
                0
            } else {
                50
            };
            let probability = s.probability.unwrap_or(default);
            if !(0..=100).contains(&probability) {
                check.fail(format!("stages[{i}].probability"), ErrorCode::OutOfRange);
            }
            stages.push(Stage {
                id: Some(s.id.unwrap_or_else(Uuid::now_v7)),
                name,
                won: s.won,
                lost: s.lost,
                probability: Some(probability),
            });
        }
        let mut ids: Vec<Uuid> = stages.iter().filter_map(|s| s.id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() != stages.len() {
            check.fail("stages", ErrorCode::AlreadyExists);
        }
        if self.lost_reasons.len() > 30 {
            check.fail("lost_reasons", ErrorCode::OutOfRange);
        }
        let mut lost_reasons: Vec<String> = Vec::new();
        for (i, reason) in self.lost_reasons.into_iter().enumerate() {
            if let Some(r) = check.text(&format!("lost_reasons[{i}]"), Some(reason), 100) {
                if !lost_reasons.contains(&r) {
                    lost_reasons.push(r);
                }
            }
        }
        check.finish(PipelineData {
            name,
            stages,
            lost_reasons,
        })
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        Vec::new()
    }

    fn sort_text(&self) -> String {
        self.name.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        SearchKeys::default()
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        Vec::new()
    }

    fn display_name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DealData {
    pub title: Option<String>,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    /// Value in minor units (cents) of `currency`.
    pub value_minor: Option<i64>,
    /// ISO 4217; `EUR` when empty.
    pub currency: Option<String>,
    pub expected_close: Option<NaiveDate>,
    /// 0–100; the stage's default when empty.
    #[schema(minimum = 0, maximum = 100)]
    pub probability: Option<i64>,
    pub owner_id: Option<Uuid>,
    /// The people involved; the first is the main contact.
    pub contact_ids: Vec<Uuid>,
    pub organization_id: Option<Uuid>,
    pub lost_reason: Option<String>,
    /// `open`, `won` or `lost`: set from the stage, not by clients.
    pub status: Option<String>,
    pub notes: Option<String>,
}

/// The fields lists filter and sort DealData by, and the index columns behind them.
pub const DEAL_FIELDS: &[FieldSpec] = &[
    NAME,
    f("pipeline_id", K::Reference, false),
    f("stage_id", K::Reference, false),
    f("status", K::Choice(DEAL_STATUSES), false),
    f("value_minor", K::Integer, true),
    f("currency", K::Text, false),
    f("expected_close", K::Date, true),
    f("probability", K::Integer, false),
    f("owner_id", K::Reference, false),
    f("contact_id", K::Reference, false),
    f("organization_id", K::Reference, false),
    f("lost_reason", K::Text, false),
    f("created_at", K::Timestamp, true),
    f("updated_at", K::Timestamp, true),
];

impl RecordData for DealData {
    const FIELDS: &'static [FieldSpec] = DEAL_FIELDS;
    const ENTITY: Entity = Entity::Deal;
    const LINKS_CONTACTS: bool = true;
    const REQUIRED: &'static [&'static [&'static str]] =
        &[&["title"], &["pipeline_id"], &["stage_id"]];

    fn normalise(self, ctx: &Context<'_>) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker::default();
        let title = check.text("title", self.title, 200);
        if title.is_none() {
            check.fail("title", ErrorCode::Required);
        }
        let mut status = None;
        let mut probability = self.probability;
        match (self.pipeline_id, self.stage_id) {
            (Some(p), Some(s)) => match ctx.pipelines.iter().find(|x| x.id == p) {
                Some(pipeline) => match pipeline.stages.iter().find(|x| x.id == Some(s)) {
                    Some(stage) => {
                        status = Some(
                            if stage.won {
                                "won"
                            } else if stage.lost {
                                "lost"
                            } else {
                                "open"
                            }
                            .to_string(),
                        );
                        probability = probability.or(stage.probability);
                    }
                    None => check.fail("stage_id", ErrorCode::UnknownReference),
                },
                None => check.fail("pipeline_id", ErrorCode::UnknownReference),
            },
            (pipeline, stage) => {
                if pipeline.is_none() {
                    check.fail("pipeline_id", ErrorCode::Required);
                }
                if stage.is_none() {
                    check.fail("stage_id", ErrorCode::Required);
                }
            }
        }
        if probability.is_some_and(|p| !(0..=100).contains(&p)) {
            check.fail("probability", ErrorCode::OutOfRange);
        }
        if self.value_minor.is_some_and(|v| v < 0) {
            check.fail("value_minor", ErrorCode::OutOfRange);
        }
        if self.contact_ids.len() > 50 {
            check.fail("contact_ids", ErrorCode::OutOfRange);
        }
        let mut contact_ids = Vec::with_capacity(self.contact_ids.len());
        for id in self.contact_ids {
            if !contact_ids.contains(&id) {
                contact_ids.push(id);
            }
        }
        let data = DealData {
            title,
            pipeline_id: self.pipeline_id,
            stage_id: self.stage_id,
            value_minor: self.value_minor,
            currency: Some(normalise_currency(&mut check, "currency", self.currency)),
            expected_close: self.expected_close,
            probability,
            owner_id: self.owner_id,
            contact_ids,
            organization_id: self.organization_id,
            lost_reason: check.text("lost_reason", self.lost_reason, 500),
            status,
            notes: check.long_text("notes", self.notes, 10_000),
        };
        check.finish(data)
    }

    fn index_values(&self) -> Vec<(&'static str, IndexValue)> {
        vec![
            ("pipeline_id", IndexValue::Uuid(self.pipeline_id)),
            ("stage_id", IndexValue::Uuid(self.stage_id)),
            ("status", raw(self.status.as_ref())),
            ("value_minor", IndexValue::Int(self.value_minor)),
            ("currency", raw(self.currency.as_ref())),
            ("expected_close", IndexValue::Date(self.expected_close)),
            ("probability", IndexValue::Int(self.probability)),
            ("owner_id", IndexValue::Uuid(self.owner_id)),
            (
                "contact_id",
                IndexValue::Uuid(self.contact_ids.first().copied()),
            ),
            ("organization_id", IndexValue::Uuid(self.organization_id)),
            ("lost_reason", text(self.lost_reason.as_ref())),
        ]
    }

    fn sort_text(&self) -> String {
        self.title.clone().unwrap_or_default()
    }

    fn search_keys(&self, _organization_name: Option<&str>) -> SearchKeys {
        let mut keys = SearchKeys::default();
        keys.add_words(self.title.as_deref());
        keys
    }

    fn references(&self) -> Vec<(&'static str, Reference)> {
        let mut refs = Vec::new();
        if let Some(id) = self.organization_id {
            refs.push(("organization_id", Reference::Organization(id)));
        }
        if let Some(id) = self.owner_id {
            refs.push(("owner_id", Reference::User(id)));
        }
        refs.extend(
            self.contact_ids
                .iter()
                .map(|id| ("contact_ids", Reference::Contact(*id))),
        );
        refs
    }

    fn organization_id(&self) -> Option<Uuid> {
        self.organization_id
    }

    fn contact_id(&self) -> Option<Uuid> {
        self.contact_ids.first().copied()
    }

    fn replace_contact(&mut self, from: Uuid, to: Uuid) -> bool {
        swap_ids(&mut self.contact_ids, from, to)
    }

    fn display_name(&self) -> String {
        self.title.clone().unwrap_or_default()
    }
}
