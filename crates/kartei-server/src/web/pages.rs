//! Helpers the pages of several kinds share: names of small kinds for selects.

use super::error::WebError;
use crate::AppState;
use kartei_core::deal::PipelineData;
use kartei_core::filter::Sort;
use kartei_core::record::RecordData;
use kartei_store::list::ListRequest;
use uuid::Uuid;

/// Every live record of a small kind (categories, pipelines) as (id, name), by name.
pub async fn all_names<R: RecordData>(state: &AppState) -> Result<Vec<(Uuid, String)>, WebError> {
    let page = state
        .store
        .list::<R>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit: 500,
            with_total: false,
        })
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|r| (r.id, r.data.display_name()))
        .collect())
}

/// Every stage of every pipeline as (stage id, "Pipeline › Stage").
pub async fn stage_names(state: &AppState) -> Result<Vec<(Uuid, String)>, WebError> {
    Ok(pipelines(state)
        .await?
        .into_iter()
        .flat_map(|(_, p)| {
            let pipeline = p.name.clone().unwrap_or_default();
            p.stages.into_iter().filter_map(move |s| {
                Some((
                    s.id?,
                    format!("{pipeline} › {}", s.name.unwrap_or_default()),
                ))
            })
        })
        .collect())
}

pub async fn pipelines(state: &AppState) -> Result<Vec<(Uuid, PipelineData)>, WebError> {
    let page = state
        .store
        .list::<PipelineData>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit: 100,
            with_total: false,
        })
        .await?;
    Ok(page.items.into_iter().map(|r| (r.id, r.data)).collect())
}
