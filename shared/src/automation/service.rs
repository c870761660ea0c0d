//! Administrators' use cases on rules: create, edit (a new version when what the rule does
//! changes), switch on and off, list with the last run, read the run log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionSession, TransactionTrait,
};

use super::entity::{automation_rule_versions, automation_rules, automation_runs};
use super::types::{
    Action, Condition, LogEntry, RuleDefinition, RuleId, RuleInput, RuleView, RunId, RunState,
    RunView, TaskAssignee, Trigger, TriggerField, validate,
};
use crate::access::Actor;
use crate::audit::AuditAction;
use crate::custom_field::CustomFieldId;
use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::error::{AppError, Entity, Field, Rule};
use crate::pipeline::{PipelineId, PipelineView, StageId};
use crate::user::UserId;

/// Rules an organisation may keep (the engine reads the enabled ones per event).
const RULES_MAX: u64 = 2_000;
/// Runs a page of the log shows.
pub const RUNS_PAGE: u64 = 50;

/// Creates a rule at version 1 (administrators).
pub async fn create_rule(
    db: &impl TransactionTrait,
    actor: &Actor,
    input: RuleInput,
    now: DateTime<Utc>,
) -> Result<RuleView, AppError> {
    actor.require_admin()?;
    validate(&input)?;
    let txn = db.begin().await?;
    let pipeline = check_references(&txn, &input).await?;
    if automation_rules::Entity::find().count(&txn).await? >= RULES_MAX {
        return Err(AppError::validation(
            Field::Name,
            Rule::TooMany {
                max: RULES_MAX as usize,
            },
        ));
    }
    let row = automation_rules::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        pipeline_id: Set(pipeline.id.0),
        enabled: Set(input.enabled),
        retrigger_self: Set(input.retrigger_self),
        current_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_version(&txn, actor, row.id, 1, &input, now).await?;
    audit(
        &txn,
        actor,
        AuditAction::AutomationRuleCreated,
        row.id,
        &summary(&row.name, row.enabled, 1),
        now,
    )
    .await?;
    let view = view(row, input.definition, &pipeline.name, None);
    txn.commit().await?;
    Ok(view)
}

/// Changes a rule. A change of its name or of what it does makes a new version (runs
/// already started finish on the version they began with); switching it on or off does not.
pub async fn update_rule(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: RuleId,
    input: RuleInput,
    now: DateTime<Utc>,
) -> Result<RuleView, AppError> {
    actor.require_admin()?;
    validate(&input)?;
    let txn = db.begin().await?;
    let row = find(&txn, id).await?;
    let pipeline = check_references(&txn, &input).await?;
    let current = definition_of(&txn, id, row.current_version).await?;
    let name = input.name.trim().to_owned();
    let changed = current != input.definition || name != row.name;
    let version = if changed {
        row.current_version + 1
    } else {
        row.current_version
    };
    if changed {
        insert_version(&txn, actor, row.id, version, &input, now).await?;
    }
    let before = summary(&row.name, row.enabled, row.current_version);
    let mut edit: automation_rules::ActiveModel = row.into();
    edit.name = Set(name);
    edit.pipeline_id = Set(pipeline.id.0);
    edit.enabled = Set(input.enabled);
    edit.retrigger_self = Set(input.retrigger_self);
    edit.current_version = Set(version);
    edit.updated_at = Set(now);
    let row = edit.update(&txn).await?;
    audit_change(&txn, actor, &before, &row, now).await?;
    let last = last_runs(&txn).await?.remove(&row.id);
    let view = view(row, input.definition, &pipeline.name, last);
    txn.commit().await?;
    Ok(view)
}

/// Switches a rule on or off (no new version).
pub async fn set_enabled(
    db: &impl TransactionTrait,
    actor: &Actor,
    id: RuleId,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let row = find(&txn, id).await?;
    let before = summary(&row.name, row.enabled, row.current_version);
    let mut edit: automation_rules::ActiveModel = row.into();
    edit.enabled = Set(enabled);
    edit.updated_at = Set(now);
    let row = edit.update(&txn).await?;
    audit_change(&txn, actor, &before, &row, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Every rule with its last run, by pipeline and id (administrators).
pub async fn list_rules(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<RuleView>, AppError> {
    actor.require_admin()?;
    let rows = automation_rules::Entity::find()
        .order_by_asc(automation_rules::Column::PipelineId)
        .order_by_asc(automation_rules::Column::Id)
        .all(db)
        .await?;
    let pipelines: HashMap<i32, String> = crate::pipeline::service::list_pipelines(db)
        .await?
        .into_iter()
        .map(|(id, name)| (id.0, name))
        .collect();
    let mut last = last_runs(db).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let definition = definition_of(db, RuleId(row.id), row.current_version).await?;
        let pipeline = pipelines.get(&row.pipeline_id).cloned().unwrap_or_default();
        let last = last.remove(&row.id);
        views.push(view(row, definition, &pipeline, last));
    }
    Ok(views)
}

/// One rule (administrators).
pub async fn get_rule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: RuleId,
) -> Result<RuleView, AppError> {
    actor.require_admin()?;
    let row = find(db, id).await?;
    let definition = definition_of(db, id, row.current_version).await?;
    let pipeline = crate::pipeline::service::load_pipeline(db, PipelineId(row.pipeline_id)).await?;
    let last = last_runs(db).await?.remove(&row.id);
    Ok(view(row, definition, &pipeline.name, last))
}

/// Which runs the log shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunFilter {
    pub rule_id: Option<RuleId>,
    pub deal_id: Option<DealId>,
    pub state: Option<RunState>,
    /// Runs older than this one (the next page).
    pub before: Option<RunId>,
}

/// A page of runs, newest first (administrators).
pub async fn list_runs(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &RunFilter,
) -> Result<Vec<RunView>, AppError> {
    actor.require_admin()?;
    let mut query = automation_runs::Entity::find();
    if let Some(rule) = filter.rule_id {
        query = query.filter(automation_runs::Column::RuleId.eq(rule.0));
    }
    if let Some(deal) = filter.deal_id {
        query = query.filter(automation_runs::Column::DealId.eq(deal.0));
    }
    if let Some(state) = filter.state {
        query = query.filter(automation_runs::Column::State.eq(state.as_str()));
    }
    if let Some(before) = filter.before {
        query = query.filter(automation_runs::Column::Id.lt(before.0));
    }
    let rows = query
        .order_by_desc(automation_runs::Column::Id)
        .limit(RUNS_PAGE)
        .all(db)
        .await?;
    run_views(db, rows).await
}

/// Runs with their rules' names and their deals' titles.
pub(super) async fn run_views(
    db: &impl ConnectionTrait,
    rows: Vec<automation_runs::Model>,
) -> Result<Vec<RunView>, AppError> {
    let names: HashMap<i32, String> = automation_rules::Entity::find()
        .filter(automation_rules::Column::Id.is_in(rows.iter().map(|r| r.rule_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let titles = crate::timeline::service::subject_names(
        db,
        rows.iter()
            .map(|r| crate::timeline::Subject::Deal(DealId(r.deal_id))),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| RunView {
            id: RunId(row.id),
            rule_id: RuleId(row.rule_id),
            rule_name: names.get(&row.rule_id).cloned().unwrap_or_default(),
            rule_version: row.rule_version,
            deal_id: DealId(row.deal_id),
            deal_title: titles
                .get(&crate::timeline::Subject::Deal(DealId(row.deal_id)))
                .cloned()
                .unwrap_or_default(),
            trigger: row.trigger,
            state: RunState::parse(&row.state).unwrap_or(RunState::Failed),
            depth: u8::try_from(row.depth).unwrap_or(u8::MAX),
            log: serde_json::from_str::<Vec<LogEntry>>(&row.log).unwrap_or_default(),
            created_at: row.created_at,
            finished_at: row.finished_at,
        })
        .collect())
}

async fn find(db: &impl ConnectionTrait, id: RuleId) -> Result<automation_rules::Model, AppError> {
    automation_rules::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::AutomationRule,
        })
}

/// The definition a rule's version stores.
pub(super) async fn definition_of(
    db: &impl ConnectionTrait,
    id: RuleId,
    version: i32,
) -> Result<RuleDefinition, AppError> {
    let row = automation_rule_versions::Entity::find()
        .filter(automation_rule_versions::Column::RuleId.eq(id.0))
        .filter(automation_rule_versions::Column::Version.eq(version))
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    serde_json::from_str(&row.definition).map_err(|_| AppError::Internal)
}

async fn insert_version(
    db: &impl ConnectionTrait,
    actor: &Actor,
    rule_id: i32,
    version: i32,
    input: &RuleInput,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    automation_rule_versions::ActiveModel {
        rule_id: Set(rule_id),
        version: Set(version),
        name: Set(input.name.trim().to_owned()),
        definition: Set(serde_json::to_string(&input.definition).map_err(|_| AppError::Internal)?),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct LastRun {
    rule_id: i32,
    state: String,
    created_at: DateTime<Utc>,
}

/// Each rule's newest run.
async fn last_runs(
    db: &impl ConnectionTrait,
) -> Result<HashMap<i32, (RunState, DateTime<Utc>)>, AppError> {
    let backend = db.get_database_backend();
    let sql = "SELECT rule_id, state, created_at FROM automation_runs \
               WHERE id IN (SELECT MAX(id) FROM automation_runs GROUP BY rule_id)";
    let rows = LastRun::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.rule_id,
                (
                    RunState::parse(&r.state).unwrap_or(RunState::Failed),
                    r.created_at,
                ),
            )
        })
        .collect())
}

fn view(
    row: automation_rules::Model,
    definition: RuleDefinition,
    pipeline_name: &str,
    last_run: Option<(RunState, DateTime<Utc>)>,
) -> RuleView {
    RuleView {
        id: RuleId(row.id),
        name: row.name,
        pipeline_id: PipelineId(row.pipeline_id),
        pipeline_name: pipeline_name.to_owned(),
        enabled: row.enabled,
        retrigger_self: row.retrigger_self,
        version: row.current_version,
        definition,
        last_run,
        updated_at: row.updated_at,
    }
}

fn summary(name: &str, enabled: bool, version: i32) -> String {
    format!("{name} v{version} ({})", if enabled { "on" } else { "off" })
}

/// Records a rule's change as "before -> after" in the audit log.
async fn audit_change(
    db: &impl ConnectionTrait,
    actor: &Actor,
    before: &str,
    row: &automation_rules::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let after = summary(&row.name, row.enabled, row.current_version);
    audit(
        db,
        actor,
        AuditAction::AutomationRuleChanged,
        row.id,
        &format!("{before} -> {after}"),
        now,
    )
    .await
}

async fn audit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    id: i32,
    details: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    crate::audit::service::record(
        db,
        actor,
        action,
        Some(format!("automation_rule:{id}")),
        details,
        now,
    )
    .await
}

/// Every stage, department, person and custom field the rule names must exist (stages in
/// the rule's pipeline, fields for its deals). Returns the pipeline.
async fn check_references(
    db: &impl ConnectionTrait,
    input: &RuleInput,
) -> Result<PipelineView, AppError> {
    let pipeline = crate::pipeline::service::load_pipeline(db, input.pipeline_id).await?;
    let definition = &input.definition;
    let mut names = Names::default();
    match &definition.trigger {
        Trigger::StageEntered { stage_id } | Trigger::StageLeft { stage_id } => {
            names.stages.extend(stage_id.iter().copied());
        }
        Trigger::TimeInStage { stage_id, minutes } => {
            names.stages.push(*stage_id);
            // Without its own duration the rule waits for the stage's SLA, which must exist.
            let sla = pipeline.stage(*stage_id).and_then(|s| s.sla_seconds);
            if minutes.is_none() && pipeline.stage(*stage_id).is_some() && sla.is_none() {
                return Err(AppError::validation(Field::Sla, Rule::Required));
            }
        }
        Trigger::FieldChanged {
            field: TriggerField::Custom(id),
            ..
        } => names.fields.push(*id),
        Trigger::DealCreated | Trigger::FieldChanged { .. } | Trigger::TaskDue => {}
    }
    for condition in &definition.conditions {
        names.condition(condition);
    }
    for action in &definition.actions {
        names.action(action);
    }
    if names.stages.iter().any(|s| pipeline.stage(*s).is_none()) {
        return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
    }
    let departments: Vec<DepartmentId> = crate::department::service::list_departments(db)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    if names.departments.iter().any(|d| !departments.contains(d)) {
        return Err(AppError::validation(Field::Departments, Rule::UnknownValue));
    }
    let users: Vec<UserId> = crate::user::service::list_user_names(db)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if names.users.iter().any(|u| !users.contains(u)) {
        return Err(AppError::validation(Field::Responsible, Rule::UnknownValue));
    }
    let fields: Vec<CustomFieldId> = crate::custom_field::service::fields_for(
        db,
        crate::custom_field::RecordKind::Deal,
        Some(pipeline.id),
    )
    .await?
    .into_iter()
    .map(|f| f.id)
    .collect();
    if names.fields.iter().any(|f| !fields.contains(f)) {
        return Err(AppError::validation(Field::CustomField, Rule::UnknownValue));
    }
    if !names.pipelines.is_empty() {
        let all: Vec<PipelineId> = crate::pipeline::service::list_pipelines(db)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if names.pipelines.iter().any(|p| !all.contains(p)) {
            return Err(AppError::validation(Field::Pipeline, Rule::UnknownValue));
        }
    }
    Ok(pipeline)
}

/// The records a rule names.
#[derive(Default)]
struct Names {
    stages: Vec<StageId>,
    departments: Vec<DepartmentId>,
    users: Vec<UserId>,
    fields: Vec<CustomFieldId>,
    /// Pipelines other deals are made in.
    pipelines: Vec<PipelineId>,
}

impl Names {
    fn condition(&mut self, condition: &Condition) {
        match condition {
            Condition::All { of } | Condition::Any { of } => {
                of.iter().for_each(|c| self.condition(c));
            }
            Condition::Not { of } => self.condition(of),
            Condition::StageIn { stage_ids } => self.stages.extend(stage_ids),
            Condition::DepartmentIn { department_ids } => self.departments.extend(department_ids),
            Condition::ResponsibleIn { user_ids } => self.users.extend(user_ids),
            Condition::Custom { field_id, .. } => self.fields.push(*field_id),
            Condition::Unassigned
            | Condition::Amount { .. }
            | Condition::Title { .. }
            | Condition::HasClient
            | Condition::MinutesInStage { .. } => {}
        }
    }

    fn action(&mut self, action: &Action) {
        match action {
            Action::Assign { department_id, .. } => self.departments.push(*department_id),
            Action::CreateTask { assignee, .. } | Action::Notify { to: assignee, .. } => {
                if let TaskAssignee::User(user) = assignee {
                    self.users.push(*user);
                }
            }
            Action::Move { stage_id, .. } => self.stages.push(*stage_id),
            Action::SetField { field_id, .. } => self.fields.push(*field_id),
            Action::PickPerValue {
                field_id,
                departments,
                ..
            } => {
                self.fields.push(*field_id);
                self.departments
                    .extend(departments.iter().map(|d| d.department_id));
            }
            Action::CreateDeals { pipeline_id, .. } => self.pipelines.push(*pipeline_id),
            Action::Comment { .. } | Action::PickMain | Action::Wait { .. } | Action::Stop => {}
        }
    }
}
