//! Tags and their attachment to contacts and organisations.

use crate::audit;
use crate::db::Tx;
use crate::error::StoreError;
use crate::index::insert_rows;
use crate::sql::{chunk_size, name, qcol};
use crate::{now, Actor, Store};
use kartei_core::record::Entity;
use kartei_core::tag::TagInput;
use kartei_core::text::fold;
use kartei_core::validation::ErrorCode;
use sea_query::{Alias, Expr, JoinType, Order, Query};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A tag as shown on a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRef {
    pub id: Uuid,
    pub name: String,
    pub color: String,
}

/// A tag with how many live records carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub id: Uuid,
    pub name: String,
    pub color: String,
    pub version: i64,
    pub count: i64,
}

/// The tags of each record in `ids`, by name.
pub(crate) async fn tags_of(
    tx: &mut Tx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TagRef>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<TagRef>> = HashMap::new();
    for chunk in ids.chunks(chunk_size(1)) {
        let rows: Vec<(Uuid, Uuid, String, String)> = tx
            .all(
                Query::select()
                    .expr(qcol("rt", "record_id"))
                    .expr(qcol("t", "id"))
                    .expr(qcol("t", "name"))
                    .expr(qcol("t", "color"))
                    .from_as(name("record_tags"), Alias::new("rt"))
                    .join_as(
                        JoinType::InnerJoin,
                        name("tags"),
                        Alias::new("t"),
                        qcol("t", "id").equals((Alias::new("rt"), Alias::new("tag_id"))),
                    )
                    .and_where(qcol("rt", "record_id").is_in(chunk.iter().copied()))
                    .order_by((Alias::new("t"), Alias::new("name_key")), Order::Asc),
            )
            .await?;
        for (record, id, name, color) in rows {
            out.entry(record)
                .or_default()
                .push(TagRef { id, name, color });
        }
    }
    Ok(out)
}

impl Store {
    /// Every tag with its colour, by name, without counting (cheap at any size).
    pub async fn tag_refs(&self) -> Result<Vec<TagRef>, StoreError> {
        let mut tx = self.db.read().await?;
        let rows: Vec<(Uuid, String, String)> = tx
            .all(
                Query::select()
                    .columns(["id", "name", "color"].map(name))
                    .from(name("tags"))
                    .order_by(name("name_key"), Order::Asc),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, color)| TagRef { id, name, color })
            .collect())
    }

    pub async fn list_tags(&self) -> Result<Vec<Tag>, StoreError> {
        self.tags_with_counts(None).await
    }

    pub async fn tag(&self, id: Uuid) -> Result<Tag, StoreError> {
        self.tags_with_counts(Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// All tags, or the one with `id`, with their live-record counts. One tag counts only
    /// its own rows, so renaming it does not count every tag of a million records.
    async fn tags_with_counts(&self, id: Option<Uuid>) -> Result<Vec<Tag>, StoreError> {
        let mut tx = self.db.read().await?;
        let live = |alias: &str| {
            qcol(alias, "id")
                .equals((Alias::new("rt"), Alias::new("record_id")))
                .and(Expr::col((Alias::new(alias), Alias::new("deleted_at"))).is_null())
        };
        let mut q = Query::select();
        if let Some(id) = id {
            q.and_where(qcol("t", "id").eq(id));
        }
        let rows: Vec<(Uuid, String, String, i64, i64, i64)> = tx
            .all(
                q.expr(qcol("t", "id"))
                    .expr(qcol("t", "name"))
                    .expr(qcol("t", "color"))
                    .expr(qcol("t", "version"))
                    .expr(qcol("c", "id").count())
                    .expr(qcol("o", "id").count())
                    .from_as(name("tags"), Alias::new("t"))
                    .join_as(
                        JoinType::LeftJoin,
                        name("record_tags"),
                        Alias::new("rt"),
                        qcol("rt", "tag_id").equals((Alias::new("t"), Alias::new("id"))),
                    )
                    .join_as(
                        JoinType::LeftJoin,
                        name("contacts"),
                        Alias::new("c"),
                        live("c"),
                    )
                    .join_as(
                        JoinType::LeftJoin,
                        name("organizations"),
                        Alias::new("o"),
                        live("o"),
                    )
                    .group_by_columns([
                        (Alias::new("t"), Alias::new("id")),
                        (Alias::new("t"), Alias::new("name")),
                        (Alias::new("t"), Alias::new("color")),
                        (Alias::new("t"), Alias::new("version")),
                        (Alias::new("t"), Alias::new("name_key")),
                    ])
                    .order_by((Alias::new("t"), Alias::new("name_key")), Order::Asc),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, color, version, c, o)| Tag {
                id,
                name,
                color,
                version,
                count: c + o,
            })
            .collect())
    }

    pub async fn create_tag(&self, actor: &Actor, input: TagInput) -> Result<Tag, StoreError> {
        let (tag_name, color) = input.normalise().map_err(StoreError::Invalid)?;
        let mut tx = self.db.write().await?;
        let id = create_tag_in(&mut tx, actor, &tag_name, &color).await?;
        tx.commit().await?;
        Ok(Tag {
            id,
            name: tag_name,
            color,
            version: 1,
            count: 0,
        })
    }

    /// Renames or recolours a tag; fields missing from `patch` keep their value.
    pub async fn update_tag(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        patch: TagInput,
    ) -> Result<Tag, StoreError> {
        let current = self.tag(id).await?;
        if if_match.is_some_and(|v| v != current.version) {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let merged = TagInput {
            name: patch.name.or(Some(current.name.clone())),
            color: patch.color.or(Some(current.color.clone())),
        };
        let (tag_name, color) = merged.normalise().map_err(StoreError::Invalid)?;
        let mut tx = self.db.write().await?;
        let changed = tx
            .execute(
                Query::update()
                    .table(name("tags"))
                    .values([
                        (name("name"), tag_name.clone().into()),
                        (name("name_key"), fold(&tag_name).into()),
                        (name("color"), color.clone().into()),
                        (name("version"), Expr::col(name("version")).add(1)),
                        (name("updated_at"), now().into()),
                    ])
                    .and_where(Expr::col(name("id")).eq(id))
                    .and_where(Expr::col(name("version")).eq(current.version)),
            )
            .await
            .map_err(StoreError::taken)?;
        if changed == 0 {
            return Err(StoreError::VersionConflict {
                current: current.version + 1,
            });
        }
        let before = serde_json::json!({"name": current.name, "color": current.color});
        let after = serde_json::json!({"name": tag_name, "color": color});
        audit::append(
            &mut tx,
            actor,
            "tag",
            Some(id),
            "update",
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(Tag {
            id,
            name: tag_name,
            color,
            version: current.version + 1,
            count: current.count,
        })
    }

    /// Deletes a tag and removes it from every record.
    pub async fn delete_tag(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let current = self.tag(id).await?;
        let mut tx = self.db.write().await?;
        tx.delete_where("record_tags", "tag_id", id).await?;
        tx.delete_where("tags", "id", id).await?;
        let before = serde_json::json!({"name": current.name, "color": current.color});
        audit::append(
            &mut tx,
            actor,
            "tag",
            Some(id),
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await
    }

    /// Attaches a tag, given by id or by name (created when new), to live records: all
    /// of them, or none when one is not found.
    pub async fn attach_tag(
        &self,
        actor: &Actor,
        entity: Entity,
        record_ids: &[Uuid],
        tag: TagSelector,
    ) -> Result<TagRef, StoreError> {
        let mut tx = self.db.write().await?;
        for record_id in record_ids {
            if crate::records::current_version(&mut tx, entity, *record_id)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound);
            }
        }
        let tag = match tag {
            TagSelector::Id(id) => find_tag(&mut tx, Expr::col(name("id")).eq(id))
                .await?
                .ok_or_else(|| StoreError::field("tag_id", ErrorCode::UnknownReference))?,
            TagSelector::Name(tag_name) => {
                let (tag_name, color) = TagInput {
                    name: Some(tag_name),
                    color: None,
                }
                .normalise()
                .map_err(StoreError::Invalid)?;
                match find_tag(&mut tx, Expr::col(name("name_key")).eq(fold(&tag_name))).await? {
                    Some(t) => t,
                    None => {
                        let id = create_tag_in(&mut tx, actor, &tag_name, &color).await?;
                        TagRef {
                            id,
                            name: tag_name,
                            color,
                        }
                    }
                }
            }
        };
        let rows: Vec<Vec<sea_query::Value>> = record_ids
            .iter()
            .map(|record_id| vec![tag.id.into(), (*record_id).into()])
            .collect();
        insert_rows(
            &mut tx,
            "record_tags",
            &["tag_id", "record_id"],
            rows.into_iter(),
            true,
        )
        .await?;
        let after = serde_json::json!({"tag": tag.name});
        for record_id in record_ids {
            audit::append(
                &mut tx,
                actor,
                entity.as_str(),
                Some(*record_id),
                "tag",
                None,
                Some(&after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(tag)
    }

    /// Removes a tag from live records that carry it; returns how many did. Records
    /// without the tag are left alone; an unknown record fails the whole call.
    pub async fn detach_tag(
        &self,
        actor: &Actor,
        entity: Entity,
        record_ids: &[Uuid],
        tag_id: Uuid,
    ) -> Result<u64, StoreError> {
        let mut tx = self.db.write().await?;
        let tag = find_tag(&mut tx, Expr::col(name("id")).eq(tag_id))
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = serde_json::json!({"tag": tag.name});
        let mut removed = 0;
        for record_id in record_ids {
            if crate::records::current_version(&mut tx, entity, *record_id)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound);
            }
            let n = tx
                .execute(
                    Query::delete()
                        .from_table(name("record_tags"))
                        .and_where(Expr::col(name("tag_id")).eq(tag_id))
                        .and_where(Expr::col(name("record_id")).eq(*record_id)),
                )
                .await?;
            if n > 0 {
                removed += n;
                audit::append(
                    &mut tx,
                    actor,
                    entity.as_str(),
                    Some(*record_id),
                    "untag",
                    Some(&before),
                    None,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(removed)
    }
}

/// Which tag to attach.
#[derive(Debug, Clone)]
pub enum TagSelector {
    Id(Uuid),
    Name(String),
}

async fn find_tag(
    tx: &mut Tx,
    condition: sea_query::SimpleExpr,
) -> Result<Option<TagRef>, StoreError> {
    let row: Option<(Uuid, String, String)> = tx
        .optional(
            Query::select()
                .columns([name("id"), name("name"), name("color")])
                .from(name("tags"))
                .and_where(condition),
        )
        .await?;
    Ok(row.map(|(id, name, color)| TagRef { id, name, color }))
}

pub(crate) async fn create_tag_in(
    tx: &mut Tx,
    actor: &Actor,
    tag_name: &str,
    color: &str,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let at = now();
    audit::insert_audited(
        tx,
        actor,
        "tags",
        vec![
            ("id", id.into()),
            ("name", tag_name.into()),
            ("name_key", fold(tag_name).into()),
            ("color", color.into()),
            ("version", 1i64.into()),
            ("created_at", at.into()),
            ("updated_at", at.into()),
        ],
        "tag",
        id,
        &serde_json::json!({"name": tag_name, "color": color}),
    )
    .await?;
    Ok(id)
}
