//! The completeness audit of all contacts, in one pass over the table: fill rates,
//! values that no longer pass validation, and contacts with findings (see
//! [`kartei_core::quality`]), each with the first few examples.

use crate::error::StoreError;
use crate::sql::name;
use crate::Store;
use chrono::{DateTime, Utc};
use kartei_core::contact::ContactData;
use kartei_core::quality::{fills, findings, Finding, FILL_FIELDS};
use kartei_core::record::RecordData;
use sea_query::{Expr, Query};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How many example contacts a finding keeps.
pub const EXAMPLES: usize = 20;

/// Contacts that share one finding: how many, and the first few (id, name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub count: i64,
    pub examples: Vec<(Uuid, String)>,
}

impl Group {
    fn add(&mut self, id: Uuid, name: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push((id, name()));
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub contacts: i64,
    /// Per field of [`FILL_FIELDS`], how many contacts fill it.
    pub filled: Vec<(String, i64)>,
    /// Per field (top-level name), contacts whose stored value fails today's rules.
    pub invalid: BTreeMap<String, Group>,
    pub findings: BTreeMap<Finding, Group>,
    pub needs_check: i64,
}

impl Store {
    /// Audits all live contacts. `progress` hears how many were read.
    pub async fn quality_report(
        &self,
        progress: impl Fn(usize),
    ) -> Result<QualityReport, StoreError> {
        let defs = self.custom_fields(None).await?;
        let ctx = self.context(&defs, &[]);
        let mut report = QualityReport {
            filled: FILL_FIELDS
                .iter()
                .map(|(f, _)| ((*f).to_string(), 0))
                .collect(),
            ..QualityReport::default()
        };
        let mut after: Option<Uuid> = None;
        loop {
            let rows = self.contact_documents(after).await?;
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            for (id, data) in rows {
                let c: ContactData = serde_json::from_str(&data)?;
                report.contacts += 1;
                for (slot, on) in report.filled.iter_mut().zip(fills(&c)) {
                    slot.1 += i64::from(on);
                }
                if c.needs_check {
                    report.needs_check += 1;
                }
                for f in findings(&c) {
                    report
                        .findings
                        .entry(f)
                        .or_default()
                        .add(id, || c.display_name());
                }
                if let Err(errors) = c.clone().normalise(&ctx) {
                    let mut fields: Vec<String> = errors
                        .iter()
                        .map(|e| {
                            e.field
                                .split(['[', '.'])
                                .next()
                                .unwrap_or(&e.field)
                                .to_string()
                        })
                        .collect();
                    fields.dedup();
                    for field in fields {
                        report
                            .invalid
                            .entry(field)
                            .or_default()
                            .add(id, || c.display_name());
                    }
                }
            }
            after = Some(last);
            progress(report.contacts as usize);
        }
        Ok(report)
    }

    /// Keeps `report` as the last audit, finished at `at` (the one before is replaced).
    pub async fn save_quality_report(
        &self,
        at: DateTime<Utc>,
        report: &QualityReport,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(report)?;
        let mut tx = self.db.write().await?;
        tx.execute(Query::delete().from_table(name("quality_reports")))
            .await?;
        tx.execute(
            Query::insert()
                .into_table(name("quality_reports"))
                .columns(["id", "finished_at", "report"].map(name))
                .values_panic([1i64.into(), at.into(), json.into()]),
        )
        .await?;
        tx.commit().await
    }

    /// The last audit kept, and when it finished.
    pub async fn last_quality_report(
        &self,
    ) -> Result<Option<(DateTime<Utc>, QualityReport)>, StoreError> {
        let mut tx = self.db.read().await?;
        let row: Option<(DateTime<Utc>, String)> = tx
            .optional(
                Query::select()
                    .columns(["finished_at", "report"].map(name))
                    .from(name("quality_reports"))
                    .and_where(Expr::col(name("id")).eq(1i64)),
            )
            .await?;
        row.map(|(at, json)| Ok((at, serde_json::from_str(&json)?)))
            .transpose()
    }
}
