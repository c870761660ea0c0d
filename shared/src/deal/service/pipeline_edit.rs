//! Saving an edited pipeline, with the deals of removed stages moved. It lives here, with
//! the deals and above `pipeline`, because it writes both: the deal use cases read their
//! pipeline (`pipeline::service::load_pipeline`), so a pipeline use case that called back
//! into the deals would close a circle.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use super::to_views;
use crate::access::Actor;
use crate::deal::entity::deals;
use crate::error::{AppError, Field, Rule};
use crate::event::outbox::{append, deal_audience};
use crate::event::{DealData, EventData, EventSink};
use crate::pipeline::entity::{allowed_moves, pipelines, stages};
use crate::pipeline::service::{encode_fields, ensure_name_free, load_pipeline, to_stage_view};
use crate::pipeline::{PipelineDraft, PipelineView, StageView, check_draft};
use crate::transition::entity::transitions;

/// Saves an edited pipeline in one transaction: renames it, updates, reorders, adds and
/// removes stages. The deals of a removed stage move where `draft.removals` says, each with
/// its transition in the ledger; a removed stage that still holds deals and has no
/// destination is refused with `StageNotEmpty`. History keeps the old stage names, since
/// every transition stores the names of its time. Administrators only.
pub async fn save_pipeline(
    db: &impl TransactionTrait,
    events: &impl EventSink,
    actor: &Actor,
    draft: &PipelineDraft,
    now: DateTime<Utc>,
) -> Result<PipelineView, AppError> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let current = load_pipeline(&txn, draft.id).await?;
    let removed = check_draft(&current, draft)?;
    let removed_count = removed.len();
    let name = draft.name.trim();
    ensure_name_free(&txn, name, Some(draft.id)).await?;
    // A stage may require only the active deal fields of this pipeline.
    let fields = crate::custom_field::service::fields_for(
        &txn,
        crate::custom_field::RecordKind::Deal,
        Some(draft.id),
    )
    .await?;
    let unknown = draft
        .stages
        .iter()
        .flat_map(|stage| &stage.required_custom_fields)
        .any(|id| !fields.iter().any(|field| field.id == *id));
    if unknown {
        return Err(AppError::validation(Field::CustomField, Rule::UnknownValue));
    }
    // Kept and new stages first, so that removed stages' deals have somewhere to go.
    let mut saved = Vec::with_capacity(draft.stages.len());
    for (position, stage) in draft.stages.iter().enumerate() {
        let mut row = stages::ActiveModel {
            pipeline_id: Set(draft.id.0),
            name: Set(stage.name.trim().to_owned()),
            color: Set(stage.color.to_lowercase()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            department_id: Set(stage.department_id.map(|d| d.0)),
            sla_seconds: Set(stage.sla_seconds),
            required_fields: Set(encode_fields(&stage.required_fields)),
            required_custom_fields: Set(stage
                .required_custom_fields
                .iter()
                .map(|id| id.0.to_string())
                .collect::<Vec<_>>()
                .join(",")),
            kind: Set(stage.kind.as_str().to_owned()),
            ..Default::default()
        };
        let model = match stage.id {
            Some(id) => {
                row.id = Set(id.0);
                row.update(&txn).await?
            }
            None => row.insert(&txn).await?,
        };
        saved.push(to_stage_view(model));
    }
    let mut moved = 0;
    for id in removed {
        let Some(stage) = current.stage(id) else {
            continue;
        };
        let holds = deals::Entity::find()
            .filter(deals::Column::StageId.eq(id.0))
            .count(&txn)
            .await?;
        if holds > 0 {
            let destination = draft
                .removals
                .iter()
                .find(|r| r.stage == id)
                .and_then(|r| saved.iter().find(|s| s.id == r.move_deals_to))
                .ok_or_else(|| AppError::StageNotEmpty {
                    stage: stage.name.clone(),
                    deals: holds,
                })?;
            let comment = format!("Stage \"{}\" removed", stage.name);
            moved += relocate_stage_deals(&txn, stage, destination, actor, &comment, now).await?;
        }
        allowed_moves::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(allowed_moves::Column::FromStageId.eq(id.0))
                    .add(allowed_moves::Column::ToStageId.eq(id.0)),
            )
            .exec(&txn)
            .await?;
        stages::Entity::delete_by_id(id.0).exec(&txn).await?;
    }
    pipelines::ActiveModel {
        id: Set(draft.id.0),
        name: Set(name.to_owned()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let pipeline = load_pipeline(&txn, draft.id).await?;
    let stage_names: Vec<&str> = pipeline.stages.iter().map(|s| s.name.as_str()).collect();
    crate::audit::service::record(
        &txn,
        actor,
        crate::audit::AuditAction::PipelineSaved,
        Some(format!("pipeline:{}", draft.id.0)),
        &format!(
            "{}: {}; {} stage(s) removed, {moved} deal(s) moved",
            pipeline.name,
            stage_names.join(" > "),
            removed_count
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    if moved > 0 {
        events.appended();
    }
    Ok(pipeline)
}

/// Moves every deal of `from` to `to` because an administrator removes `from`: each deal
/// gets its transition in the ledger (the same facts as a move), a new version and a new
/// stage entry time and its `deal.moved` event. Runs inside the caller's transaction;
/// returns how many deals moved.
async fn relocate_stage_deals(
    txn: &impl ConnectionTrait,
    from: &StageView,
    to: &StageView,
    actor: &Actor,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let moved = deals::Entity::find()
        .filter(deals::Column::StageId.eq(from.id.0))
        .all(txn)
        .await?;
    if moved.is_empty() {
        return Ok(0);
    }
    for chunk in moved.chunks(500) {
        let rows = chunk.iter().map(|deal| transitions::ActiveModel {
            deal_id: Set(deal.id),
            pipeline_id: Set(deal.pipeline_id),
            from_stage_id: Set(Some(from.id.0)),
            to_stage_id: Set(to.id.0),
            from_stage_name: Set(Some(from.name.clone())),
            to_stage_name: Set(to.name.clone()),
            from_department_id: Set(from.department_id.map(|d| d.0)),
            to_department_id: Set(to.department_id.map(|d| d.0)),
            actor_user_id: Set(actor.user_id().map(|u| u.0)),
            actor_label: Set(actor.label()),
            at: Set(now),
            comment: Set(comment.to_owned()),
            is_return: Set(false),
            seconds_in_from: Set(Some((now - deal.stage_entered_at).num_seconds().max(0))),
            ..Default::default()
        });
        transitions::Entity::insert_many(rows).exec(txn).await?;
    }
    deals::Entity::update_many()
        .col_expr(deals::Column::StageId, Expr::value(to.id.0))
        .col_expr(deals::Column::StageEnteredAt, Expr::value(now))
        .col_expr(deals::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            deals::Column::Version,
            sea_orm::ExprTrait::add(Expr::col(deals::Column::Version), 1),
        )
        .filter(deals::Column::StageId.eq(from.id.0))
        .exec(txn)
        .await?;
    let views = to_views(txn, moved).await?;
    for view in &views {
        append(
            txn,
            actor,
            now,
            EventData::DealMoved {
                deal: DealData {
                    stage_id: to.id,
                    stage_entered_at: now,
                    version: view.version + 1,
                    ..DealData::from(view)
                },
                from_stage_id: from.id,
                comment: comment.to_owned(),
            },
            deal_audience([view.responsible], [from.department_id, to.department_id]),
        )
        .await?;
    }
    Ok(views.len())
}
