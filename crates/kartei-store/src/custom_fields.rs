//! Custom field definitions.

use crate::audit;
use crate::error::StoreError;
use crate::records::rewrite;
use crate::sql::name;
use crate::{now, Actor, Store};
use kartei_core::contact::ContactData;
use kartei_core::custom_field::{ChoiceOption, CustomFieldDef, CustomFieldInput, CustomKind};
use kartei_core::organization::OrganizationData;
use kartei_core::record::Entity;
use kartei_core::validation::{ErrorCode, FieldError};
use sea_query::{Expr, Order, Query};
use uuid::Uuid;

type DefRow = (Uuid, i64, String, String, String, String, String, String);

const COLUMNS: [&str; 8] = [
    "id",
    "version",
    "entity",
    "field_key",
    "label_de",
    "label_en",
    "kind",
    "options",
];

fn decode(row: DefRow) -> Result<CustomFieldDef, StoreError> {
    let (id, version, entity, key, label_de, label_en, kind, options) = row;
    Ok(CustomFieldDef {
        id,
        version,
        entity: Entity::parse(&entity)
            .ok_or_else(|| StoreError::Corrupt(format!("entity {entity}")))?,
        key,
        label_de,
        label_en,
        kind: CustomKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
        options: serde_json::from_str::<Vec<ChoiceOption>>(&options)?,
    })
}

impl Store {
    /// Definitions for one entity type, or all of them.
    pub async fn custom_fields(
        &self,
        entity: Option<Entity>,
    ) -> Result<Vec<CustomFieldDef>, StoreError> {
        let mut tx = self.db.read().await?;
        let mut q = Query::select();
        q.columns(COLUMNS.map(name))
            .from(name("custom_fields"))
            .order_by(name("created_at"), Order::Asc);
        if let Some(e) = entity {
            q.and_where(Expr::col(name("entity")).eq(e.as_str()));
        }
        let rows: Vec<DefRow> = tx.all(&q).await?;
        rows.into_iter().map(decode).collect()
    }

    pub async fn custom_field(&self, id: Uuid) -> Result<CustomFieldDef, StoreError> {
        self.custom_fields(None)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(StoreError::NotFound)
    }

    pub async fn create_custom_field(
        &self,
        actor: &Actor,
        input: CustomFieldInput,
    ) -> Result<CustomFieldDef, StoreError> {
        let input = input.normalise().map_err(StoreError::Invalid)?;
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.db.write().await?;
        audit::insert_audited(
            &mut tx,
            actor,
            "custom_fields",
            vec![
                ("id", id.into()),
                ("entity", input.entity.as_str().into()),
                ("field_key", input.key.clone().into()),
                ("label_de", input.label_de.clone().into()),
                ("label_en", input.label_en.clone().into()),
                ("kind", input.kind.as_str().into()),
                ("options", serde_json::to_string(&input.options)?.into()),
                ("version", 1i64.into()),
                ("created_at", at.into()),
                ("updated_at", at.into()),
            ],
            "custom_field",
            id,
            &input,
        )
        .await?;
        tx.commit().await?;
        Ok(CustomFieldDef {
            id,
            version: 1,
            entity: input.entity,
            key: input.key,
            label_de: input.label_de,
            label_en: input.label_en,
            kind: input.kind,
            options: input.options,
        })
    }

    /// Changes labels and options. Entity, key and kind are fixed once records use them.
    pub async fn update_custom_field(
        &self,
        actor: &Actor,
        id: Uuid,
        if_match: Option<i64>,
        patch: serde_json::Value,
    ) -> Result<CustomFieldDef, StoreError> {
        let current = self.custom_field(id).await?;
        if if_match.is_some_and(|v| v != current.version) {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let before = CustomFieldInput {
            entity: current.entity,
            key: current.key.clone(),
            label_de: current.label_de.clone(),
            label_en: current.label_en.clone(),
            kind: current.kind,
            options: current.options.clone(),
        };
        let mut document = serde_json::to_value(&before)?;
        kartei_core::merge_patch::apply(&mut document, patch);
        let changed: CustomFieldInput =
            kartei_core::json::from_json(document).map_err(StoreError::Invalid)?;
        let mut fixed = Vec::new();
        if changed.entity != before.entity {
            fixed.push(FieldError::new("entity", ErrorCode::InvalidChoice));
        }
        if changed.key != before.key {
            fixed.push(FieldError::new("key", ErrorCode::InvalidChoice));
        }
        if changed.kind != before.kind {
            fixed.push(FieldError::new("kind", ErrorCode::InvalidChoice));
        }
        if !fixed.is_empty() {
            return Err(StoreError::Invalid(fixed));
        }
        let changed = changed.normalise().map_err(StoreError::Invalid)?;
        let mut tx = self.db.write().await?;
        let n = tx
            .execute(
                Query::update()
                    .table(name("custom_fields"))
                    .values([
                        (name("label_de"), changed.label_de.clone().into()),
                        (name("label_en"), changed.label_en.clone().into()),
                        (
                            name("options"),
                            serde_json::to_string(&changed.options)?.into(),
                        ),
                        (name("version"), Expr::col(name("version")).add(1)),
                        (name("updated_at"), now().into()),
                    ])
                    .and_where(Expr::col(name("id")).eq(id))
                    .and_where(Expr::col(name("version")).eq(current.version)),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: current.version + 1,
            });
        }
        audit::append(
            &mut tx,
            actor,
            "custom_field",
            Some(id),
            "update",
            Some(&before),
            Some(&changed),
        )
        .await?;
        tx.commit().await?;
        Ok(CustomFieldDef {
            version: current.version + 1,
            label_de: changed.label_de,
            label_en: changed.label_en,
            options: changed.options,
            ..current
        })
    }

    /// Deletes a definition, its values in every record and their index rows.
    pub async fn delete_custom_field(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let current = self.custom_field(id).await?;
        let remaining: Vec<CustomFieldDef> = self
            .custom_fields(None)
            .await?
            .into_iter()
            .filter(|d| d.id != id)
            .collect();
        let mut tx = self.db.write().await?;
        // Records drop the value too, so that no stored record holds a field that no
        // longer exists (their next change would fail on it).
        let mut holders = Query::select();
        holders
            .column(name("record_id"))
            .from(name("custom_values"))
            .and_where(Expr::col(name("field_id")).eq(id));
        let holding = crate::sql::qcol("c", "id").in_subquery(holders);
        let key = current.key.clone();
        match current.entity {
            Entity::Contact => {
                rewrite::<ContactData>(&mut tx, holding, &remaining, |_, r| {
                    r.custom.remove(&key);
                })
                .await?
            }
            Entity::Organization => {
                rewrite::<OrganizationData>(&mut tx, holding, &remaining, |_, r| {
                    r.custom.remove(&key);
                })
                .await?
            }
            // Only contacts and organisations have custom fields (checked on creation).
            _ => Vec::new(),
        };
        tx.delete_where("custom_values", "field_id", id).await?;
        tx.delete_where("custom_fields", "id", id).await?;
        audit::append(
            &mut tx,
            actor,
            "custom_field",
            Some(id),
            "delete",
            Some(&current),
            None,
        )
        .await?;
        tx.commit().await
    }
}
