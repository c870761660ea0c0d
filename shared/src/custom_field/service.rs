//! Defining custom fields (admins) and reading and writing their values (the deal and
//! client use cases call `save_values` in their own transaction).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::{custom_fields, custom_values};
use super::rules::{Canonical, check_value, checked_draft, display};
use super::{
    CustomFieldDraft, CustomFieldId, CustomFieldKind, CustomFieldRef, CustomFieldView, CustomInput,
    CustomValues, RecordKind,
};
use crate::access::Actor;
use crate::error::{AppError, Entity, Field, Rule};
use crate::pipeline::PipelineId;
use crate::timeline::{FieldChange, Subject};
use crate::user::UserId;
use crate::user::entity::users;

/// Every field, removed ones too, in order (the admin page).
pub async fn list_fields(db: &impl ConnectionTrait) -> Result<Vec<CustomFieldView>, AppError> {
    Ok(custom_fields::Entity::find()
        .order_by_asc(custom_fields::Column::Position)
        .order_by_asc(custom_fields::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(to_view)
        .collect())
}

/// The active fields of records of this kind (and, for deals, pipeline), in order.
pub async fn fields_for(
    db: &impl ConnectionTrait,
    entity: RecordKind,
    pipeline: Option<PipelineId>,
) -> Result<Vec<CustomFieldView>, AppError> {
    Ok(list_fields(db)
        .await?
        .into_iter()
        .filter(|field| field.applies_to(entity, pipeline))
        .collect())
}

/// Creates or edits a field (admins only). The kind and the entity of an existing field
/// are fixed: its values were checked against them.
pub async fn save_field(
    db: &impl ConnectionTrait,
    actor: &Actor,
    draft: CustomFieldDraft,
    now: DateTime<Utc>,
) -> Result<CustomFieldView, AppError> {
    actor.require_admin()?;
    let draft = checked_draft(draft)?;
    if let Some(pipeline) = draft.pipeline_id {
        crate::pipeline::service::load_pipeline(db, pipeline).await?;
    }
    let mut row = match draft.id {
        Some(id) => {
            let existing = find_row(db, id).await?;
            if existing.kind != draft.kind.as_str() {
                return Err(AppError::validation(Field::Kind, Rule::Unchangeable));
            }
            if existing.entity != draft.entity.as_str() {
                return Err(AppError::validation(Field::CustomField, Rule::Unchangeable));
            }
            existing.into()
        }
        None => custom_fields::ActiveModel {
            entity: Set(draft.entity.as_str().to_owned()),
            kind: Set(draft.kind.as_str().to_owned()),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.pipeline_id = Set(draft.pipeline_id.map(|p| p.0));
    row.label = Set(draft.label);
    row.options = Set(draft.options.join("\n"));
    row.currency = Set(draft.currency);
    row.group_name = Set(draft.group);
    row.position = Set(draft.position);
    row.required = Set(draft.required);
    row.help = Set(draft.help);
    let saved = row.save(db).await?;
    let id = saved.id.unwrap();
    let view = to_view(find_row(db, CustomFieldId(id)).await?).ok_or(AppError::Internal)?;
    crate::audit::service::record(
        db,
        actor,
        crate::audit::AuditAction::CustomFieldSaved,
        Some(format!("custom_field:{id}")),
        &format!(
            "{} ({}, {}){}",
            view.label,
            view.entity.as_str(),
            view.kind.as_str(),
            if view.required { ", required" } else { "" }
        ),
        now,
    )
    .await?;
    Ok(view)
}

/// Removes a field from forms, cards, filters and stage requirements (admins only). Its
/// values stay, so the timeline keeps what was recorded.
pub async fn remove_field(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: CustomFieldId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    // The field and the stages that required it change together.
    let txn = db.begin().await?;
    let found = find_row(&txn, id).await?;
    crate::audit::service::record(
        &txn,
        actor,
        crate::audit::AuditAction::CustomFieldRemoved,
        Some(format!("custom_field:{}", id.0)),
        &found.label,
        now,
    )
    .await?;
    let mut row: custom_fields::ActiveModel = found.into();
    row.active = Set(false);
    row.update(&txn).await?;
    // No stage keeps requiring it (the pipeline editor could not show or clear it).
    use crate::pipeline::entity::stages;
    let requiring = stages::Entity::find()
        .filter(stages::Column::RequiredCustomFields.ne(""))
        .all(&txn)
        .await?;
    for stage in requiring {
        let kept: Vec<&str> = stage
            .required_custom_fields
            .split(',')
            .filter(|code| code.parse() != Ok(id.0))
            .collect();
        let kept = kept.join(",");
        if kept != stage.required_custom_fields {
            let mut stage: stages::ActiveModel = stage.into();
            stage.required_custom_fields = Set(kept);
            stage.update(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

async fn find_row(
    db: &impl ConnectionTrait,
    id: CustomFieldId,
) -> Result<custom_fields::Model, AppError> {
    custom_fields::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::CustomField,
        })
}

fn to_view(row: custom_fields::Model) -> Option<CustomFieldView> {
    Some(CustomFieldView {
        id: CustomFieldId(row.id),
        entity: RecordKind::parse(&row.entity)?,
        pipeline_id: row.pipeline_id.map(PipelineId),
        label: row.label,
        kind: CustomFieldKind::parse(&row.kind)?,
        options: row
            .options
            .lines()
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
        currency: row.currency,
        group: row.group_name,
        position: row.position,
        required: row.required,
        help: row.help,
        active: row.active,
    })
}

fn subject_filter(subject: Subject) -> sea_orm::sea_query::SimpleExpr {
    match subject {
        Subject::Deal(deal) => custom_values::Column::DealId.eq(deal.0),
        Subject::Client(client) => custom_values::Column::ClientId.eq(client.0),
    }
}

/// The record's stored values by field.
async fn stored_values(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<HashMap<CustomFieldId, custom_values::Model>, AppError> {
    Ok(custom_values::Entity::find()
        .filter(subject_filter(subject))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (CustomFieldId(row.field_id), row))
        .collect())
}

/// A record's fields and values for its card and form. `pipeline` is the deal's.
pub async fn values_of(
    db: &impl ConnectionTrait,
    subject: Subject,
    pipeline: Option<PipelineId>,
) -> Result<CustomValues, AppError> {
    let fields = fields_for(db, record_kind(subject), pipeline).await?;
    if fields.is_empty() {
        return Ok(CustomValues::default());
    }
    let stored = stored_values(db, subject).await?;
    let values = fields
        .iter()
        .filter_map(|field| Some((field.id, stored.get(&field.id)?.value.clone())))
        .collect();
    let users = if fields.iter().any(|f| f.kind == CustomFieldKind::User) {
        crate::user::service::list_user_names(db).await?
    } else {
        Vec::new()
    };
    Ok(CustomValues {
        fields,
        values,
        users,
    })
}

fn record_kind(subject: Subject) -> RecordKind {
    match subject {
        Subject::Deal(_) => RecordKind::Deal,
        Subject::Client(_) => RecordKind::Client,
    }
}

/// Writes the submitted values of a record's fields, in the caller's transaction, and
/// returns the changes for its timeline. Each value is checked against its field; a value
/// equal to the stored one passes untouched (an option since removed, a colleague since
/// deactivated). Fields not submitted keep their values. Afterwards every required field
/// must have a value. Any refusal is an error and the caller's transaction writes nothing.
pub async fn save_values(
    db: &impl ConnectionTrait,
    subject: Subject,
    pipeline: Option<PipelineId>,
    inputs: &[CustomInput],
) -> Result<Vec<FieldChange>, AppError> {
    crate::limits::check_count(
        inputs.len(),
        crate::limits::CUSTOM_INPUTS_MAX,
        Field::CustomField,
    )?;
    let fields = fields_for(db, record_kind(subject), pipeline).await?;
    if fields.is_empty() && inputs.is_empty() {
        return Ok(Vec::new());
    }
    let mut stored = stored_values(db, subject).await?;
    let mut names: Option<HashMap<UserId, String>> = None;
    let mut changes = Vec::new();
    for input in inputs {
        let Some(field) = fields.iter().find(|field| field.id == input.field) else {
            return Err(AppError::validation(Field::CustomField, Rule::UnknownValue));
        };
        let invalid = |rule| AppError::CustomFieldInvalid {
            field: reference(field),
            rule,
        };
        let new = check_value(field, &input.values).map_err(invalid)?;
        let old = stored.get(&field.id);
        if old.map(|row| &row.value) == new.as_ref().map(|c| &c.text) {
            continue;
        }
        if field.kind == CustomFieldKind::User
            && let Some(Canonical { text, .. }) = &new
        {
            let active = users::Entity::find_by_id(text.parse::<i32>().unwrap_or_default())
                .one(db)
                .await?
                .is_some_and(|user| user.active);
            if !active {
                return Err(invalid(Rule::UnknownValue));
            }
        }
        if names.is_none() && field.kind == CustomFieldKind::User {
            names = Some(crate::user::service::all_user_names(db).await?);
        }
        let shown = |value: &str| {
            // The timeline keeps one text for every reader: moments in UTC, said so.
            display(field, value, crate::time_zone::Zone::UTC, |id| {
                names.as_ref().and_then(|n| n.get(&UserId(id)).cloned())
            })
        };
        changes.push(FieldChange {
            field: Field::CustomField,
            custom: Some(reference(field)),
            old: old.map(|row| shown(&row.value)),
            new: new.as_ref().map(|c| shown(&c.text)),
        });
        match (old, new) {
            (Some(row), Some(new)) => {
                let mut row: custom_values::ActiveModel = row.clone().into();
                row.value = Set(new.text);
                row.number_value = Set(new.number);
                let saved = row.update(db).await?;
                stored.insert(field.id, saved);
            }
            (Some(row), None) => {
                custom_values::Entity::delete_by_id(row.id).exec(db).await?;
                stored.remove(&field.id);
            }
            (None, Some(new)) => {
                let (deal_id, client_id) = match subject {
                    Subject::Deal(deal) => (Some(deal.0), None),
                    Subject::Client(client) => (None, Some(client.0)),
                };
                let saved = custom_values::ActiveModel {
                    field_id: Set(field.id.0),
                    deal_id: Set(deal_id),
                    client_id: Set(client_id),
                    value: Set(new.text),
                    number_value: Set(new.number),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                stored.insert(field.id, saved);
            }
            (None, None) => {}
        }
    }
    if let Some(missing) = fields
        .iter()
        .find(|field| field.required && !stored.contains_key(&field.id))
    {
        return Err(AppError::CustomFieldInvalid {
            field: reference(missing),
            rule: Rule::Required,
        });
    }
    Ok(changes)
}

/// The first of `required` (a stage's list) that is active and has no value on the deal.
pub async fn first_missing(
    db: &impl ConnectionTrait,
    deal: crate::deal::DealId,
    pipeline: PipelineId,
    required: &[CustomFieldId],
) -> Result<Option<CustomFieldRef>, AppError> {
    if required.is_empty() {
        return Ok(None);
    }
    let fields = fields_for(db, RecordKind::Deal, Some(pipeline)).await?;
    let stored = stored_values(db, Subject::Deal(deal)).await?;
    Ok(fields
        .iter()
        .find(|field| required.contains(&field.id) && !stored.contains_key(&field.id))
        .map(reference))
}

/// Labels of every field, removed ones too (the timeline names old changes).
pub async fn labels(db: &impl ConnectionTrait) -> Result<HashMap<CustomFieldId, String>, AppError> {
    Ok(custom_fields::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (CustomFieldId(row.id), row.label))
        .collect())
}

fn reference(field: &CustomFieldView) -> CustomFieldRef {
    CustomFieldRef {
        id: field.id,
        label: field.label.clone(),
    }
}

/// The board's conditions on custom fields, each `deals.id IN (the deals whose value
/// matches)`. A condition on a field that is not an active filterable field of the
/// pipeline is left out (a link kept across a pipeline switch); a bound that does not read
/// as the field's kind (a number, a day) is refused.
pub async fn board_conditions(
    db: &impl ConnectionTrait,
    pipeline: PipelineId,
    filters: &[super::CustomFilter],
) -> Result<Vec<sea_orm::sea_query::SimpleExpr>, AppError> {
    use super::types::FilterShape;
    use sea_orm::sea_query::Query;
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let fields = fields_for(db, RecordKind::Deal, Some(pipeline)).await?;
    let mut conditions = Vec::new();
    for filter in filters {
        let Some((field, shape)) = fields
            .iter()
            .find(|field| field.id == filter.field)
            .and_then(|field| Some((field, field.kind.filter()?)))
        else {
            // Another pipeline's field (the pipeline was switched) or a removed one.
            continue;
        };
        let invalid = |rule| AppError::CustomFieldInvalid {
            field: reference(field),
            rule,
        };
        let mut matching = Query::select()
            .column(custom_values::Column::DealId)
            .from(custom_values::Entity)
            .and_where(custom_values::Column::FieldId.eq(field.id.0))
            .and_where(custom_values::Column::DealId.is_not_null())
            .to_owned();
        match shape {
            FilterShape::Option | FilterShape::User => {
                let Some(wanted) = filter.equals.as_deref() else {
                    continue;
                };
                if field.kind == CustomFieldKind::MultiSelect {
                    // The stored JSON array holds the option as a quoted string.
                    let quoted = serde_json::to_string(wanted).map_err(|_| AppError::Internal)?;
                    let pattern = format!("%{}%", quoted.replace(['%', '_'], ""));
                    matching.and_where(custom_values::Column::Value.like(pattern));
                } else {
                    matching.and_where(custom_values::Column::Value.eq(wanted));
                }
            }
            FilterShape::Range => {
                if filter.min.is_none() && filter.max.is_none() {
                    continue;
                }
                let bound = |text: &Option<String>| -> Result<Option<f64>, AppError> {
                    use rust_decimal::prelude::ToPrimitive;
                    text.as_deref()
                        .map(|t| {
                            super::rules::parse_decimal(t)
                                .and_then(|d| d.to_f64())
                                .ok_or_else(|| invalid(Rule::InvalidNumber))
                        })
                        .transpose()
                };
                if let Some(min) = bound(&filter.min)? {
                    matching.and_where(custom_values::Column::NumberValue.gte(min));
                }
                if let Some(max) = bound(&filter.max)? {
                    matching.and_where(custom_values::Column::NumberValue.lte(max));
                }
            }
            FilterShape::Period => {
                if filter.min.is_none() && filter.max.is_none() {
                    continue;
                }
                let day = |text: &Option<String>| -> Result<Option<chrono::NaiveDate>, AppError> {
                    text.as_deref()
                        .map(|t| t.trim().parse().map_err(|_| invalid(Rule::InvalidDate)))
                        .transpose()
                };
                // Canonical dates and moments sort as text: `2026-11-24` and
                // `2026-11-24T10:00:00Z` both fall within the day `2026-11-24`.
                if let Some(from) = day(&filter.min)? {
                    matching.and_where(
                        custom_values::Column::Value.gte(from.format("%Y-%m-%d").to_string()),
                    );
                }
                if let Some(to) = day(&filter.max)?.and_then(|to| to.succ_opt()) {
                    matching.and_where(
                        custom_values::Column::Value.lt(to.format("%Y-%m-%d").to_string()),
                    );
                }
            }
        }
        conditions.push(crate::deal::entity::deals::Column::Id.in_subquery(matching));
    }
    Ok(conditions)
}
