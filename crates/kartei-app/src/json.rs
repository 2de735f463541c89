//! A record as JSON, the shape the API answers with and the JSON export writes: its
//! fields plus id, version and tags.

use chrono::{DateTime, Utc};
use kartei_core::record::RecordData;
use kartei_store::records::Record;
use serde::Serialize;
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct TagOut {
    pub id: Uuid,
    pub name: String,
    /// `#rrggbb`
    pub color: String,
}

/// A contact or organisation: its fields plus id, version and tags.
#[derive(Debug, Serialize)]
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

/// The fields every record answer carries beside the record's own.
#[allow(dead_code)]
#[derive(ToSchema)]
struct Envelope {
    id: Uuid,
    /// Increases with every change; sent as the ETag, expected back in If-Match.
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    tags: Vec<TagOut>,
}

/// One object with the envelope's and the record's fields side by side, as it is
/// serialised (an `allOf` of the two would forbid each other's fields, since a record
/// admits no unknown ones). utoipa builds a schema through `compose` wherever a document
/// names `RecordOut<Kind>`; the kind's own schema is read inline here.
impl<R: ToSchema> utoipa::__dev::ComposeSchema for RecordOut<R> {
    fn compose(
        _: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
    ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::RefOr;
        // A derived struct's schema is an object; the fallback never shows.
        let RefOr::T(Schema::Object(mut object)) = Envelope::schema() else {
            return R::schema();
        };
        if let RefOr::T(Schema::Object(fields)) = R::schema() {
            object.description = fields.description;
            object.properties.extend(fields.properties);
            object.required.extend(fields.required);
        }
        object.required.sort();
        object.required.dedup();
        object.additional_properties = Some(Box::new(
            utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
        ));
        RefOr::T(Schema::Object(object))
    }
}

impl<R: ToSchema> ToSchema for RecordOut<R> {
    fn name() -> std::borrow::Cow<'static, str> {
        "RecordOut".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((TagOut::name().into(), TagOut::schema()));
        R::schemas(schemas);
    }
}
