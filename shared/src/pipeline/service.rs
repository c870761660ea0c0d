//! Reading pipelines, creating them from templates and editing their allowed moves.
//! Saving an edited pipeline (`crate::deal::service::save_pipeline`) lives with the deals:
//! removing a stage moves its deals, and deals sit above pipelines (a deal reads its
//! pipeline's rules), so that use case is above both.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::{allowed_moves, pipelines, stages};
use super::{AllowedMove, DealField, PipelineId, PipelineView, StageId, StageKind, StageView};
use crate::access::Actor;
use crate::deal::entity::deals;
use crate::department::DepartmentId;
use crate::error::{AppError, Entity, Field, Rule};

/// One stage of a template: name, colour, responsible department (by name), SLA, kind.
pub struct TemplateStage {
    pub name: &'static str,
    pub color: &'static str,
    pub department: Option<&'static str>,
    pub sla_hours: Option<i64>,
    pub required_fields: &'static [DealField],
    pub kind: StageKind,
}

/// Ready-made pipelines an administrator can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    LoanConveyor,
    SalesFunnel,
    ServiceDesk,
    /// Representatives' visits to clients, with a report.
    FieldVisits,
}

impl Template {
    pub const ALL: [Template; 4] = [
        Template::LoanConveyor,
        Template::SalesFunnel,
        Template::ServiceDesk,
        Template::FieldVisits,
    ];

    /// The stable code forms and the API use.
    pub fn code(self) -> &'static str {
        match self {
            Template::LoanConveyor => "loan_conveyor",
            Template::SalesFunnel => "sales_funnel",
            Template::ServiceDesk => "service_desk",
            Template::FieldVisits => "field_visits",
        }
    }

    pub fn parse(code: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn stages(self) -> &'static [TemplateStage] {
        const fn open(
            name: &'static str,
            color: &'static str,
            department: Option<&'static str>,
            sla_hours: Option<i64>,
            required_fields: &'static [DealField],
        ) -> TemplateStage {
            TemplateStage {
                name,
                color,
                department,
                sla_hours,
                required_fields,
                kind: StageKind::Open,
            }
        }
        const fn closed(name: &'static str, color: &'static str, kind: StageKind) -> TemplateStage {
            TemplateStage {
                name,
                color,
                department: None,
                sla_hours: None,
                required_fields: &[],
                kind,
            }
        }
        const LOAN: &[TemplateStage] = &[
            open(
                "Client manager",
                "#2456d6",
                Some("Client managers"),
                Some(24),
                &[],
            ),
            open(
                "Scoring",
                "#7c3aed",
                Some("Scoring"),
                Some(8),
                &[DealField::Amount, DealField::ClientPhone],
            ),
            open(
                "Risk",
                "#d97706",
                Some("Risk"),
                Some(48),
                &[DealField::Amount],
            ),
            open(
                "Credit committee",
                "#0891b2",
                Some("Credit committee"),
                Some(72),
                &[DealField::Amount],
            ),
            open("Servicing", "#059669", Some("Servicing"), Some(48), &[]),
            closed("Issued", "#16a34a", StageKind::Won),
            closed("Rejected", "#dc2626", StageKind::Lost),
            closed("Archive", "#6b7280", StageKind::Archive),
        ];
        const SALES: &[TemplateStage] = &[
            open("New lead", "#2456d6", None, Some(4), &[]),
            open("Qualified", "#7c3aed", None, Some(48), &[]),
            open("Proposal", "#d97706", None, Some(72), &[DealField::Amount]),
            open("Negotiation", "#0891b2", None, None, &[DealField::Amount]),
            closed("Won", "#16a34a", StageKind::Won),
            closed("Lost", "#dc2626", StageKind::Lost),
        ];
        const SERVICE: &[TemplateStage] = &[
            open("New request", "#2456d6", None, Some(2), &[]),
            open("In progress", "#d97706", None, Some(24), &[]),
            open("Waiting for client", "#6b7280", None, None, &[]),
            closed("Resolved", "#16a34a", StageKind::Won),
            closed("Closed without result", "#dc2626", StageKind::Lost),
        ];
        const VISITS: &[TemplateStage] = &[
            open("Visit planned", "#2456d6", None, Some(72), &[]),
            open("Report written", "#7c3aed", None, Some(24), &[]),
            closed("Handed over", "#16a34a", StageKind::Won),
            closed("Cancelled", "#6b7280", StageKind::Lost),
        ];
        match self {
            Template::LoanConveyor => LOAN,
            Template::SalesFunnel => SALES,
            Template::ServiceDesk => SERVICE,
            Template::FieldVisits => VISITS,
        }
    }
}

pub(crate) fn encode_fields(fields: &[DealField]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_fields(codes: &str) -> Vec<DealField> {
    codes.split(',').filter_map(DealField::parse).collect()
}

pub(crate) fn to_stage_view(stage: stages::Model) -> StageView {
    StageView {
        id: StageId(stage.id),
        pipeline_id: PipelineId(stage.pipeline_id),
        required_fields: decode_fields(&stage.required_fields),
        required_custom_fields: stage
            .required_custom_fields
            .split(',')
            .filter_map(|id| id.parse().ok().map(crate::custom_field::CustomFieldId))
            .collect(),
        kind: StageKind::parse(&stage.kind).unwrap_or_default(),
        name: stage.name,
        color: stage.color,
        position: stage.position,
        department_id: stage.department_id.map(DepartmentId),
        sla_seconds: stage.sla_seconds,
    }
}

/// Refuses a pipeline name another pipeline (other than `except`) already has.
pub(crate) async fn ensure_name_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<PipelineId>,
) -> Result<(), AppError> {
    let mut same_name = pipelines::Entity::find().filter(pipelines::Column::Name.eq(name));
    if let Some(except) = except {
        same_name = same_name.filter(pipelines::Column::Id.ne(except.0));
    }
    if same_name.one(db).await?.is_some() {
        return Err(AppError::Duplicate {
            entity: Entity::Pipeline,
            field: Field::Name,
        });
    }
    Ok(())
}

/// Creates a pipeline from a template; stage departments are matched by name among
/// `departments` (unmatched ones stay without a department). Administrators only.
pub async fn create_from_template(
    db: &impl TransactionTrait,
    actor: &Actor,
    name: &str,
    template: Template,
    departments: &[(DepartmentId, String)],
    now: DateTime<Utc>,
) -> Result<PipelineId, AppError> {
    actor.require_admin()?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    let txn = db.begin().await?;
    ensure_name_free(&txn, name, None).await?;
    let pipeline = pipelines::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (position, stage) in template.stages().iter().enumerate() {
        let department_id = stage
            .department
            .and_then(|wanted| departments.iter().find(|(_, name)| name == wanted))
            .map(|(id, _)| id.0);
        stages::ActiveModel {
            pipeline_id: Set(pipeline.id),
            name: Set(stage.name.to_owned()),
            color: Set(stage.color.to_owned()),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            department_id: Set(department_id),
            sla_seconds: Set(stage.sla_hours.map(|hours| hours * 3600)),
            required_fields: Set(encode_fields(stage.required_fields)),
            required_custom_fields: Set(String::new()),
            kind: Set(stage.kind.as_str().to_owned()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(PipelineId(pipeline.id))
}

/// Every pipeline's id and name, oldest first.
pub async fn list_pipelines(
    db: &impl ConnectionTrait,
) -> Result<Vec<(PipelineId, String)>, AppError> {
    Ok(pipelines::Entity::find()
        .order_by_asc(pipelines::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (PipelineId(p.id), p.name))
        .collect())
}

/// A pipeline with its stages in order and its move matrix.
pub async fn load_pipeline(
    db: &impl ConnectionTrait,
    id: PipelineId,
) -> Result<PipelineView, AppError> {
    let pipeline =
        pipelines::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .ok_or(AppError::NotFound {
                entity: Entity::Pipeline,
            })?;
    let stages = stages::Entity::find()
        .filter(stages::Column::PipelineId.eq(id.0))
        .order_by_asc(stages::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(to_stage_view)
        .collect();
    let allowed_moves = allowed_moves::Entity::find()
        .filter(allowed_moves::Column::PipelineId.eq(id.0))
        .all(db)
        .await?
        .into_iter()
        .map(|m| AllowedMove {
            from: StageId(m.from_stage_id),
            to: StageId(m.to_stage_id),
        })
        .collect();
    Ok(PipelineView {
        id,
        name: pipeline.name,
        stages,
        allowed_moves,
    })
}

/// How many deals each stage of a pipeline holds now (stages without deals are left out).
pub async fn stage_deal_counts(
    db: &impl ConnectionTrait,
    id: PipelineId,
) -> Result<Vec<(StageId, u64)>, AppError> {
    use sea_orm::QuerySelect;
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        stage_id: i32,
        deals: i64,
    }
    Ok(deals::Entity::find()
        .select_only()
        .column(deals::Column::StageId)
        .column_as(deals::Column::Id.count(), "deals")
        .filter(deals::Column::PipelineId.eq(id.0))
        .group_by(deals::Column::StageId)
        .into_model::<Row>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (StageId(row.stage_id), u64::try_from(row.deals).unwrap_or(0)))
        .collect())
}

/// Replaces a pipeline's move matrix (a pair named twice counts once); an empty list
/// restores the default rule.
pub async fn set_allowed_moves(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: PipelineId,
    moves: &[AllowedMove],
) -> Result<(), AppError> {
    actor.require_admin()?;
    crate::limits::check_count(moves.len(), crate::limits::MOVES_MAX, Field::Stage)?;
    let txn = db.begin().await?;
    let pipeline = load_pipeline(&txn, id).await?;
    if moves.iter().any(|m| {
        pipeline.stage(m.from).is_none() || pipeline.stage(m.to).is_none() || m.from == m.to
    }) {
        return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
    }
    allowed_moves::Entity::delete_many()
        .filter(allowed_moves::Column::PipelineId.eq(id.0))
        .exec(&txn)
        .await?;
    // The matrix is a set: a pair named twice is stored once (it was a 500, the second
    // insert breaking the key).
    let unique: std::collections::BTreeSet<(i32, i32)> =
        moves.iter().map(|m| (m.from.0, m.to.0)).collect();
    let rows: Vec<_> = unique
        .into_iter()
        .map(|(from, to)| allowed_moves::ActiveModel {
            pipeline_id: Set(id.0),
            from_stage_id: Set(from),
            to_stage_id: Set(to),
        })
        .collect();
    if !rows.is_empty() {
        allowed_moves::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}
