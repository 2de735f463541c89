//! Names of the small kinds that other records point to (pipelines and their stages,
//! product categories), for selects, cells and exports.

use kartei_core::deal::PipelineData;
use kartei_core::filter::Sort;
use kartei_core::record::RecordData;
use kartei_store::list::ListRequest;
use kartei_store::{Store, StoreError};
use uuid::Uuid;

/// Every live record of a small kind (categories, pipelines) as (id, name), by name.
pub async fn all_names<R: RecordData>(store: &Store) -> Result<Vec<(Uuid, String)>, StoreError> {
    Ok(all::<R>(store, 500)
        .await?
        .into_iter()
        .map(|(id, r)| (id, r.display_name()))
        .collect())
}

/// Every stage of every pipeline as (stage id, "Pipeline › Stage").
pub async fn stage_names(store: &Store) -> Result<Vec<(Uuid, String)>, StoreError> {
    Ok(pipelines(store)
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

/// The live pipelines, by name.
pub async fn pipelines(store: &Store) -> Result<Vec<(Uuid, PipelineData)>, StoreError> {
    all::<PipelineData>(store, 100).await
}

async fn all<R: RecordData>(store: &Store, limit: u64) -> Result<Vec<(Uuid, R)>, StoreError> {
    let page = store
        .list::<R>(&ListRequest {
            filter: None,
            sort: Sort::by_name(),
            cursor: None,
            limit,
            with_total: false,
        })
        .await?;
    Ok(page.items.into_iter().map(|r| (r.id, r.data)).collect())
}
