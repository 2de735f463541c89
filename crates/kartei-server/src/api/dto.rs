//! What the API sends back: records with their bookkeeping, pages, tags.

use chrono::{DateTime, Utc};
use kartei_core::i18n::Lang;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use kartei_app::json::{RecordOut, TagOut};

#[derive(Debug, Serialize, ToSchema)]
pub struct ListOut<R: ToSchema> {
    pub items: Vec<RecordOut<R>>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// With `total=true` (not for searches): how many records match the filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Quick search: prefix, umlaut-insensitive, typo-tolerant; phone numbers in any notation.
    pub q: Option<String>,
    /// The filter as JSON: conditions `{"field": "city", "op": "eq", "value": "Berlin"}` with
    /// `op` one of eq, ne, lt, le, gt, ge, contains, starts_with, in, is_empty, and
    /// `{"op": "has_tag", "value": "VIP"}`, combined with `{"and": [...]}`, `{"or": [...]}`,
    /// `{"not": {...}}`. Fields: the record's fields and `custom.<key>`.
    #[param(min_length = 1)]
    pub filter: Option<String>,
    /// A sortable field, `-` for descending (`name`, `-created_at`, `custom.key`). Ignored with `q`:
    /// search results come in relevance order.
    #[param(min_length = 1)]
    pub sort: Option<String>,
    /// From the previous page's `next_cursor`.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 25).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// Also count all matches.
    pub total: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Continue after this entry.
    pub before: Option<Uuid>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub entity: String,
    pub record_id: Option<Uuid>,
    /// `create`, `update`, `delete`, `restore`, `purge`, `tag`, `untag`, …
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub items: Vec<AuditOut>,
    /// Pass as `before` for older entries.
    pub next_before: Option<Uuid>,
}

/// Attach a tag by id or by name (created when new).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachTag {
    pub tag_id: Option<Uuid>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DuplicateParams {
    /// The contact being edited, which is not its own duplicate.
    pub exclude: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub code: kartei_core::matching::Reason,
    pub message: String,
}

impl ReasonOut {
    /// Reasons with their messages in the reader's language.
    pub fn list(reasons: Vec<kartei_core::matching::Reason>, lang: Lang) -> Vec<ReasonOut> {
        reasons
            .into_iter()
            .map(|r| ReasonOut {
                code: r,
                message: r.message(lang).to_string(),
            })
            .collect()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateOut {
    /// 0–100; from 40 a possible, from 55 a likely duplicate.
    pub score: u32,
    pub reasons: Vec<ReasonOut>,
    pub contact: RecordOut<kartei_core::contact::ContactData>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesOut {
    pub items: Vec<DuplicateOut>,
}
