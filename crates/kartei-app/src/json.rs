//! A record as JSON, the shape the API answers with and the JSON export writes: its
//! fields plus id, version and tags.

use chrono::{DateTime, Utc};
use kartei_core::record::RecordData;
use kartei_store::records::Record;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct TagOut {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`
    pub color: String,
}

/// A contact or organisation: its fields plus id, version and tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOut<R: ToSchema> {
    pub id: Uuid,
    /// Increases with every change; sent as the ETag, expected back in If-Match.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub data: R,
    pub tags: Vec<TagOut>,
}

impl<R: RecordData + ToSchema> RecordOut<R> {
    /// `sensitive`: whether the reader may see bank details unmasked.
    pub fn new(r: Record<R>, sensitive: bool) -> Self {
        RecordOut {
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            data: if sensitive { r.data } else { r.data.masked() },
            tags: r
                .tags
                .into_iter()
                .map(|t| TagOut {
                    id: t.id,
                    name: t.name,
                    color: t.color,
                })
                .collect(),
        }
    }
}
