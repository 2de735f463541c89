//! Likely duplicates of a contact: candidates that share a blocking key
//! (`match_keys`), scored and explained by kartei-core.

use crate::error::StoreError;
use crate::records::{decode_all, select_records, Record, RecordRow};
use crate::sql::{name, qcol};
use crate::Store;
use kartei_core::contact::ContactData;
use kartei_core::matching::{score, MatchScore};
use kartei_core::record::{Entity, RecordData};
use sea_query::{Expr, Query};
use uuid::Uuid;

/// Below this score a shared key is coincidence (namesakes, a shared office phone).
pub const LIKELY_FROM: u32 = 40;
/// A very common name yields many candidates; this many are looked at.
const MAX_CANDIDATES: u64 = 200;

impl Store {
    /// Live contacts that are likely the same person as `draft`, best first.
    pub async fn likely_duplicates(
        &self,
        draft: &ContactData,
        exclude: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<(Record<ContactData>, MatchScore)>, StoreError> {
        let keys = draft.match_keys();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut candidates = Query::select();
        candidates
            .distinct()
            .column(name("record_id"))
            .from(name("match_keys"))
            .and_where(Expr::col(name("key")).is_in(keys));
        if let Some(id) = exclude {
            candidates.and_where(Expr::col(name("record_id")).ne(id));
        }
        candidates.limit(MAX_CANDIDATES);
        let mut q = select_records(Entity::Contact);
        q.and_where(qcol("c", "id").in_subquery(candidates))
            .and_where(qcol("c", "deleted_at").is_null());
        let mut tx = self.db.read().await?;
        let rows: Vec<RecordRow> = tx.all(&q).await?;
        let records: Vec<Record<ContactData>> = decode_all(&mut tx, rows).await?;
        let mut scored: Vec<(Record<ContactData>, MatchScore)> = records
            .into_iter()
            .map(|r| {
                let s = score(draft, &r.data);
                (r, s)
            })
            .filter(|(_, s)| s.score >= LIKELY_FROM)
            .collect();
        scored.sort_by(|a, b| {
            b.1.score
                .cmp(&a.1.score)
                .then_with(|| a.0.data.sort_name().cmp(&b.0.data.sort_name()))
        });
        scored.truncate(limit);
        Ok(scored)
    }
}
