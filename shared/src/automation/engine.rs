//! The engine: `on_event` (the `automation` consumer of the event log) turns an event into
//! runs of the rules it triggers, each with an `automation.run` job; `execute_run` (that
//! job's handler) checks the conditions and does the actions, a segment at a time: the
//! actions up to a `Wait` are one transaction, so a refused action undoes its segment, and a
//! wait is a job due later, which survives a restart. Every action calls the use case a
//! person's would, as `Actor::rule`, whose events carry the chain's depth.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, Set, Statement, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::entity::{automation_rules, automation_runs, automation_turns};
use super::rules::{
    DealFacts, evaluate, fill_placeholders, pick_least_loaded, pick_random, pick_round_robin,
    trigger_matches, value_parts,
};
use super::service::definition_of;
use super::types::{
    Action, AssignStrategy, LogEntry, PLACEHOLDERS, RuleDefinition, RuleId, RunContext, RunId,
    RunState, TaskAssignee, Trigger,
};
use crate::access::Actor;
use crate::custom_field::CustomFieldId;
use crate::deal::public::{ApiCustomValue, ApiDealPatch};
use crate::deal::{DealId, DealView, MoveDeal};
use crate::department::DepartmentId;
use crate::error::{AppError, Entity, Field, Rule};
use crate::event::EventSink;
use crate::event::outbox::StoredEvent;
use crate::job::queue::{NewJob, enqueue};
use crate::pipeline::{PipelineView, StageId};
use crate::timeline::Subject;
use crate::user::UserId;

/// The job that executes (or resumes) a run.
pub const RUN_JOB: &str = "automation.run";

/// The `automation.run` job's payload.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RunPayload {
    pub run_id: i64,
}

/// An enabled rule's current version.
#[derive(Debug, Clone, FromQueryResult)]
struct ActiveRule {
    id: i32,
    retrigger_self: bool,
    current_version: i32,
    definition: String,
}

/// Creates the runs an event triggers, with their jobs, in one transaction. An event made
/// by a rule does not trigger that rule again unless it says so; an event `depth_limit`
/// rules deep records a halted run instead. Returns the runs queued.
pub async fn on_event(
    db: &(impl TransactionTrait + ConnectionTrait),
    event: &StoredEvent,
    depth_limit: u8,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    // Deal events, and a task on a deal coming due (its deal read at that moment).
    let task_deal = match &event.record.data {
        crate::event::EventData::TaskDue {
            subject: Some(Subject::Deal(id)),
            ..
        } => Some(*id),
        _ => None,
    };
    let deal = match (event.record.data.changed_deal(), task_deal) {
        (Some(deal), _) => deal.clone(),
        (None, Some(id)) => match crate::deal::service::get_deal(db, &Actor::system(), id).await {
            Ok(view) => crate::event::DealData::from(&view),
            Err(AppError::NotFound { .. }) => return Ok(0),
            Err(error) => return Err(error),
        },
        (None, None) => return Ok(0),
    };
    // Which rules the event starts is read first (on SQLite from a reader): most events
    // start none, and then the writer is not taken at all.
    let mut started = Vec::new();
    for rule in active_rules(db, deal.pipeline_id.0).await? {
        let Ok(definition) = serde_json::from_str::<RuleDefinition>(&rule.definition) else {
            tracing::warn!(
                rule = rule.id,
                "an automation rule's definition does not read"
            );
            continue;
        };
        if !trigger_matches(&definition.trigger, &event.record.data) {
            continue;
        }
        if event.rule_id == Some(rule.id) && !rule.retrigger_self {
            continue;
        }
        started.push((rule, definition));
    }
    if started.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    let mut pipeline: Option<PipelineView> = None;
    let mut queued = 0;
    for (rule, definition) in started {
        let halted = event.chain_depth >= depth_limit;
        let mut due_at = now;
        let mut wait = (None, None);
        let mut trigger = event.record.data.kind().to_owned();
        if let Trigger::TimeInStage { stage_id, minutes } = definition.trigger {
            let seconds = match minutes {
                Some(minutes) => i64::from(minutes) * 60,
                None => {
                    if pipeline.is_none() {
                        pipeline = Some(
                            crate::pipeline::service::load_pipeline(&txn, deal.pipeline_id).await?,
                        );
                    }
                    let sla = pipeline
                        .as_ref()
                        .and_then(|p| p.stage(stage_id))
                        .and_then(|s| s.sla_seconds);
                    let Some(sla) = sla else { continue };
                    sla
                }
            };
            due_at = deal.stage_entered_at + Duration::seconds(seconds);
            wait = (Some(stage_id.0), Some(deal.stage_entered_at));
            trigger = "time_in_stage".to_owned();
        }
        let (state, log) = if halted {
            (
                RunState::Halted,
                vec![LogEntry::DepthLimit {
                    depth: event.chain_depth,
                }],
            )
        } else {
            (RunState::Queued, Vec::new())
        };
        let inserted = automation_runs::Entity::insert(automation_runs::ActiveModel {
            rule_id: Set(rule.id),
            rule_version: Set(rule.current_version),
            event_id: Set(Some(event.record.id)),
            deal_id: Set(deal.id.0),
            trigger: Set(trigger),
            state: Set(state.as_str().to_owned()),
            depth: Set(i32::from(event.chain_depth) + 1),
            step: Set(0),
            log: Set(encode(&log)?),
            context: Set("{}".to_owned()),
            wait_stage_id: Set(wait.0),
            wait_entered_at: Set(wait.1),
            due_at: Set(due_at),
            created_at: Set(now),
            finished_at: Set(halted.then_some(now)),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                automation_runs::Column::RuleId,
                automation_runs::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 0 || halted {
            if halted {
                tracing::warn!(
                    rule = rule.id,
                    event = event.record.id,
                    depth = event.chain_depth,
                    "an automation chain stopped at its depth limit"
                );
            }
            continue;
        }
        let run = automation_runs::Entity::find()
            .filter(automation_runs::Column::RuleId.eq(rule.id))
            .filter(automation_runs::Column::EventId.eq(event.record.id))
            .one(&txn)
            .await?
            .ok_or(AppError::Internal)?;
        schedule(&txn, run.id, 0, due_at, now).await?;
        queued += 1;
    }
    txn.commit().await?;
    Ok(queued)
}

async fn schedule(
    db: &impl ConnectionTrait,
    run_id: i64,
    step: i32,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(RunPayload { run_id }).map_err(|_| AppError::Internal)?;
    enqueue(
        db,
        NewJob::new(RUN_JOB, payload, at).dedup(format!("{RUN_JOB}:{run_id}:{step}")),
        now,
    )
    .await?;
    Ok(())
}

async fn active_rules(
    db: &impl ConnectionTrait,
    pipeline_id: i32,
) -> Result<Vec<ActiveRule>, AppError> {
    let backend = db.get_database_backend();
    let (enabled, placeholder) = match backend {
        DbBackend::Postgres => ("TRUE", "$1"),
        _ => ("1", "?"),
    };
    let sql = format!(
        "SELECT r.id, r.retrigger_self, r.current_version, v.definition \
         FROM automation_rules r JOIN automation_rule_versions v \
           ON v.rule_id = r.id AND v.version = r.current_version \
         WHERE r.enabled = {enabled} AND r.pipeline_id = {placeholder} ORDER BY r.id"
    );
    Ok(
        ActiveRule::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [pipeline_id.into()],
        ))
        .all(db)
        .await?,
    )
}

/// Executes a run from where it stands (a job's handler; doing it twice does nothing more).
/// An action refused by a use case ends the run `failed` with its error and undoes the
/// actions of its segment; an error outside the rule (the database) is returned, for the
/// job to try again (`give_up` after the last attempt).
pub async fn execute_run(
    db: &(impl TransactionTrait<Transaction = DatabaseTransaction> + ConnectionTrait),
    events: &impl EventSink,
    run_id: RunId,
    now: DateTime<Utc>,
) -> Result<RunState, AppError> {
    let Some(run) = automation_runs::Entity::find_by_id(run_id.0)
        .one(db)
        .await?
    else {
        return Err(AppError::NotFound {
            entity: Entity::AutomationRule,
        });
    };
    let state = RunState::parse(&run.state).unwrap_or(RunState::Failed);
    if state.finished() {
        return Ok(state);
    }
    let rule = automation_rules::Entity::find_by_id(run.rule_id)
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    let definition = definition_of(db, RuleId(run.rule_id), run.rule_version).await?;
    let depth = u8::try_from(run.depth).unwrap_or(u8::MAX);
    let actor = Actor::rule(i64::from(rule.id), rule.name.clone(), depth);
    let mut log: Vec<LogEntry> = serde_json::from_str(&run.log).unwrap_or_default();
    let mut context: RunContext = serde_json::from_str(&run.context).unwrap_or_default();
    let deal_id = DealId(run.deal_id);
    let step = usize::try_from(run.step).unwrap_or(0);

    if step == 0 {
        let checked = check_start(db, &actor, &run, &definition, &mut log, now).await;
        match checked {
            Ok(true) => {}
            Ok(false) => return finish(db, &run, RunState::Skipped, &log, now).await,
            Err(error) if retryable(&error) => return Err(error),
            Err(error) => {
                log.push(LogEntry::Crashed {
                    message: error.to_string(),
                });
                return finish(db, &run, RunState::Failed, &log, now).await;
            }
        }
    }
    let txn = db.begin().await?;
    let kept = log.len();
    let mut segment = Run {
        actor: &actor,
        definition: &definition,
        deal_id,
        log: &mut log,
        context: &mut context,
        now,
    };
    let outcome = segment.perform_from(&txn, step).await;
    match outcome {
        Ok(Segment::Waiting { next, until }) => {
            let mut edit: automation_runs::ActiveModel = run.into();
            edit.step = Set(i32::try_from(next).unwrap_or(i32::MAX));
            edit.due_at = Set(until);
            edit.log = Set(encode(&log)?);
            edit.context = Set(serde_json::to_string(&context).map_err(|_| AppError::Internal)?);
            let run = edit.update(&txn).await?;
            schedule(&txn, run.id, run.step, until, now).await?;
            txn.commit().await?;
            events.appended();
            Ok(RunState::Queued)
        }
        Ok(Segment::Finished) => {
            let mut run = run;
            run.context = serde_json::to_string(&context).map_err(|_| AppError::Internal)?;
            let state = finish(&txn, &run, RunState::Done, &log, now).await?;
            txn.commit().await?;
            events.appended();
            Ok(state)
        }
        Err((index, error)) if !retryable(&error) => {
            txn.rollback().await?;
            log.truncate(kept);
            log.push(LogEntry::Refused {
                index,
                action: code_at(&definition, index),
                error,
            });
            finish(db, &run, RunState::Failed, &log, now).await
        }
        Err((_, error)) => Err(error),
    }
}

/// Whether a run may start: a time-in-stage run's deal is still in the stage since the same
/// moment, and every top-level condition holds (each outcome logged).
async fn check_start(
    db: &impl ConnectionTrait,
    actor: &Actor,
    run: &automation_runs::Model,
    definition: &RuleDefinition,
    log: &mut Vec<LogEntry>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let deal = crate::deal::service::get_deal(db, actor, DealId(run.deal_id)).await?;
    if let (Some(stage), Some(entered)) = (run.wait_stage_id, run.wait_entered_at)
        && (deal.stage_id != StageId(stage) || deal.stage_entered_at != entered)
    {
        log.push(LogEntry::LeftStage);
        return Ok(false);
    }
    let facts = facts_of(db, &deal, now).await?;
    Ok(conditions_hold(definition, &facts, log))
}

/// Evaluates the top-level conditions, logging each outcome.
fn conditions_hold(
    definition: &RuleDefinition,
    facts: &DealFacts,
    log: &mut Vec<LogEntry>,
) -> bool {
    let mut passed = true;
    for (index, condition) in definition.conditions.iter().enumerate() {
        let holds = evaluate(condition, facts);
        log.push(LogEntry::Condition {
            index,
            passed: holds,
        });
        passed &= holds;
    }
    passed
}

/// Ends a run that failed on its last attempt for a reason outside the rule.
pub async fn give_up(
    db: &impl ConnectionTrait,
    run_id: RunId,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(run) = automation_runs::Entity::find_by_id(run_id.0)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if RunState::parse(&run.state).is_some_and(RunState::finished) {
        return Ok(());
    }
    let mut log: Vec<LogEntry> = serde_json::from_str(&run.log).unwrap_or_default();
    log.push(LogEntry::Crashed {
        message: message.chars().take(500).collect(),
    });
    finish(db, &run, RunState::Failed, &log, now).await?;
    Ok(())
}

/// What a rule would do to a deal now, without keeping any of it: the conditions'
/// outcomes and each action's result, then everything is rolled back (administrators).
pub async fn dry_run(
    db: &(impl TransactionTrait<Transaction = DatabaseTransaction> + ConnectionTrait),
    actor: &Actor,
    rule_id: RuleId,
    deal_id: DealId,
    now: DateTime<Utc>,
) -> Result<Vec<LogEntry>, AppError> {
    actor.require_admin()?;
    let rule = automation_rules::Entity::find_by_id(rule_id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::AutomationRule,
        })?;
    let definition = definition_of(db, rule_id, rule.current_version).await?;
    let rule_actor = Actor::rule(i64::from(rule.id), rule.name.clone(), 1);
    let txn = db.begin().await?;
    let deal = crate::deal::service::get_deal(&txn, actor, deal_id).await?;
    let facts = facts_of(&txn, &deal, now).await?;
    let mut log = vec![LogEntry::DryRun];
    if conditions_hold(&definition, &facts, &mut log) {
        let mut step = 0;
        let mut context = RunContext::default();
        let mut segment = Run {
            actor: &rule_actor,
            definition: &definition,
            deal_id,
            log: &mut log,
            context: &mut context,
            now,
        };
        loop {
            match segment.perform_from(&txn, step).await {
                // A dry run does not wait: it shows the rest at once.
                Ok(Segment::Waiting { next, .. }) => step = next,
                Ok(Segment::Finished) => break,
                Err((index, error)) => {
                    segment.log.push(LogEntry::Refused {
                        index,
                        action: code_at(&definition, index),
                        error,
                    });
                    break;
                }
            }
        }
    }
    txn.rollback().await?;
    Ok(log)
}

fn code_at(definition: &RuleDefinition, index: usize) -> String {
    definition
        .actions
        .get(index)
        .map_or("", Action::code)
        .to_owned()
}

enum Segment {
    Waiting { next: usize, until: DateTime<Utc> },
    Finished,
}

/// A run's segment under way: who acts, what the rule does, and what it logged and picked.
struct Run<'a> {
    actor: &'a Actor,
    definition: &'a RuleDefinition,
    deal_id: DealId,
    log: &'a mut Vec<LogEntry>,
    context: &'a mut RunContext,
    now: DateTime<Utc>,
}

impl Run<'_> {
    /// Does the actions from `step` up to a wait, a stop or the end, logging each.
    async fn perform_from(
        &mut self,
        txn: &DatabaseTransaction,
        step: usize,
    ) -> Result<Segment, (usize, AppError)> {
        let now = self.now;
        for (index, action) in self.definition.actions.iter().enumerate().skip(step) {
            match action {
                Action::Wait { minutes } => {
                    let until = now + Duration::minutes(i64::from(*minutes));
                    self.log.push(LogEntry::Waiting { index, until });
                    return Ok(Segment::Waiting {
                        next: index + 1,
                        until,
                    });
                }
                Action::Stop => {
                    self.log.push(LogEntry::Action {
                        index,
                        action: action.code().to_owned(),
                        done: String::new(),
                        at: now,
                    });
                    return Ok(Segment::Finished);
                }
                action => {
                    let done = perform(txn, self.actor, action, self.deal_id, self.context, now)
                        .await
                        .map_err(|error| (index, error))?;
                    self.log.push(LogEntry::Action {
                        index,
                        action: action.code().to_owned(),
                        done,
                        at: now,
                    });
                }
            }
        }
        Ok(Segment::Finished)
    }
}

/// One action through its use case; returns what it changed, in words.
async fn perform(
    txn: &DatabaseTransaction,
    actor: &Actor,
    action: &Action,
    deal_id: DealId,
    context: &mut RunContext,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    // Each action sees what the ones before it changed.
    let deal = crate::deal::service::get_deal(txn, actor, deal_id).await?;
    let subject = Subject::Deal(deal_id);
    match action {
        Action::Assign {
            department_id,
            strategy,
            cap,
        } => {
            let rule_id = actor.rule_chain().map_or(0, |(rule, _)| rule);
            let user = pick_assignee(
                txn,
                i32::try_from(rule_id).unwrap_or(0),
                department_id.0,
                *strategy,
                *cap,
            )
            .await?;
            let patch = ApiDealPatch {
                responsible_id: Some(Some(user.0)),
                ..ApiDealPatch::default()
            };
            let view = crate::deal::service::update_deal(
                txn,
                &(),
                actor,
                patch.over(&deal, deal.version),
                now,
            )
            .await?;
            Ok(view.responsible_name.unwrap_or_default())
        }
        Action::CreateTask {
            title,
            due_minutes,
            assignee,
            on_main_deal,
        } => {
            let assignee = whom(&deal, *assignee, context)?;
            let title = fill(txn, &deal, context, title).await?;
            let subject = if *on_main_deal {
                main_deal(txn, actor, context).await?
            } else {
                subject
            };
            let task = crate::task::service::create_task(
                txn,
                actor,
                crate::task::NewTask {
                    title,
                    due_at: now + Duration::minutes(i64::from(*due_minutes)),
                    assignee: Some(assignee),
                    subject: Some(subject),
                },
                now,
            )
            .await?;
            Ok(format!("{} ({})", task.title, task.assignee_name))
        }
        Action::Move { stage_id, comment } => {
            let view = crate::deal::service::move_deal(
                txn,
                &(),
                actor,
                MoveDeal {
                    deal_id,
                    to_stage: *stage_id,
                    version: deal.version,
                    comment: fill(txn, &deal, context, comment).await?,
                },
                now,
            )
            .await?;
            let pipeline = crate::pipeline::service::load_pipeline(txn, view.pipeline_id).await?;
            Ok(pipeline
                .stage(view.stage_id)
                .map(|s| s.name.clone())
                .unwrap_or_default())
        }
        Action::Comment { text } => {
            crate::comment::service::add_comment(
                txn,
                &(),
                actor,
                crate::comment::NewComment {
                    subject,
                    text: fill(txn, &deal, context, text).await?,
                },
                now,
            )
            .await?;
            Ok(String::new())
        }
        Action::Notify { to, text } => {
            let user = whom(&deal, *to, context)?;
            crate::user::service::ensure_assignable(txn, user).await?;
            let text = fill(txn, &deal, context, text).await?;
            crate::notification::service::notify(
                txn,
                user,
                crate::notification::service::Notice {
                    kind: crate::notification::NotificationKind::Automation,
                    subject: Some(subject),
                    comment_id: None,
                    actor: None,
                    text: &text,
                },
                now,
            )
            .await?;
            Ok(name_of(txn, user).await?)
        }
        Action::PickPerValue {
            field_id,
            departments,
            strategy,
        } => {
            use crate::custom_field::entity::custom_values;
            let stored = custom_values::Entity::find()
                .filter(custom_values::Column::DealId.eq(deal_id.0))
                .filter(custom_values::Column::FieldId.eq(field_id.0))
                .one(txn)
                .await?
                .map(|row| row.value)
                .unwrap_or_default();
            let ticked = if stored.trim().is_empty() {
                Vec::new()
            } else {
                value_parts(&stored)
            };
            let rule_id = actor
                .rule_chain()
                .map_or(0, |(rule, _)| i32::try_from(rule).unwrap_or(0));
            // One person per department, whatever number of its values were ticked.
            let mut taken: Vec<(DepartmentId, UserId)> = Vec::new();
            for value in ticked {
                let wanted = value.trim().to_lowercase();
                let Some(mapping) = departments
                    .iter()
                    .find(|d| d.value.trim().to_lowercase() == wanted)
                else {
                    continue;
                };
                let user = match taken.iter().find(|(d, _)| *d == mapping.department_id) {
                    Some((_, user)) => *user,
                    None => {
                        let user =
                            pick_assignee(txn, rule_id, mapping.department_id.0, *strategy, None)
                                .await?;
                        taken.push((mapping.department_id, user));
                        user
                    }
                };
                match context.picked.iter_mut().find(|(u, _)| *u == user) {
                    Some((_, values)) => values.push(value),
                    None => context.picked.push((user, vec![value])),
                }
            }
            if context.picked.is_empty() {
                return Err(AppError::validation(Field::CustomField, Rule::Required));
            }
            fill(txn, &deal, context, "{managers}").await
        }
        Action::PickMain => {
            let people: Vec<UserId> = context.picked.iter().map(|(user, _)| *user).collect();
            let main = pick_random(&people, rand::random())
                .ok_or(AppError::validation(Field::Responsible, Rule::Required))?;
            context.main = Some(main);
            name_of(txn, main).await
        }
        Action::CreateDeals {
            pipeline_id,
            title,
            note,
        } => {
            if context.picked.is_empty() {
                return Err(AppError::validation(Field::Responsible, Rule::Required));
            }
            let title = fill(txn, &deal, context, title).await?;
            let note = fill(txn, &deal, context, note).await?;
            let mut made = Vec::new();
            for (user, _) in context.picked.clone() {
                let created = crate::deal::service::create_deal(
                    txn,
                    &(),
                    actor,
                    crate::deal::NewDeal {
                        pipeline_id: *pipeline_id,
                        title: title.clone(),
                        client_name: None,
                        client_phone: None,
                        client_email: None,
                        amount: None,
                        responsible: Some(user),
                        client: deal.client.as_ref().map(|c| crate::client::ClientId(c.id)),
                        custom: Vec::new(),
                    },
                    now,
                )
                .await?;
                if !note.trim().is_empty() {
                    crate::comment::service::add_comment(
                        txn,
                        &(),
                        actor,
                        crate::comment::NewComment {
                            subject: Subject::Deal(created.id),
                            text: note.clone(),
                        },
                        now,
                    )
                    .await?;
                }
                made.push(format!(
                    "#{} {}",
                    created.id.0,
                    created.responsible_name.unwrap_or_default()
                ));
                context.created.push(created.id);
            }
            Ok(made.join(", "))
        }
        Action::SetField { field_id, values } => {
            let patch = ApiDealPatch {
                custom: vec![ApiCustomValue {
                    field_id: field_id.0,
                    values: values.clone(),
                }],
                ..ApiDealPatch::default()
            };
            crate::deal::service::update_deal(
                txn,
                &(),
                actor,
                patch.over(&deal, deal.version),
                now,
            )
            .await?;
            Ok(values.join(", "))
        }
        Action::Wait { .. } | Action::Stop => Ok(String::new()),
    }
}

fn whom(deal: &DealView, who: TaskAssignee, context: &RunContext) -> Result<UserId, AppError> {
    match who {
        TaskAssignee::User(user) => Ok(user),
        TaskAssignee::Main => context
            .main
            .ok_or(AppError::validation(Field::Responsible, Rule::Required)),
        TaskAssignee::Responsible => deal
            .responsible
            .ok_or(AppError::validation(Field::Responsible, Rule::Required)),
    }
}

/// The deal the run made for its main manager.
async fn main_deal(
    txn: &DatabaseTransaction,
    actor: &Actor,
    context: &RunContext,
) -> Result<Subject, AppError> {
    let main = context
        .main
        .ok_or(AppError::validation(Field::Responsible, Rule::Required))?;
    for id in &context.created {
        let deal = crate::deal::service::get_deal(txn, actor, *id).await?;
        if deal.responsible == Some(main) {
            return Ok(Subject::Deal(*id));
        }
    }
    Err(AppError::validation(Field::Responsible, Rule::Required))
}

async fn name_of(db: &impl ConnectionTrait, user: UserId) -> Result<String, AppError> {
    Ok(crate::user::entity::users::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// A rule's text with its placeholders filled from the deal and what the run picked.
async fn fill(
    db: &impl ConnectionTrait,
    deal: &DealView,
    context: &RunContext,
    template: &str,
) -> Result<String, AppError> {
    if !PLACEHOLDERS.iter().any(|p| template.contains(p)) {
        return Ok(template.to_owned());
    }
    let names: HashMap<UserId, String> = crate::user::service::list_user_names(db)
        .await?
        .into_iter()
        .collect();
    let name = |user: UserId| names.get(&user).cloned().unwrap_or_default();
    let comment = if template.contains("{comment}") {
        use crate::timeline::entity::comments;
        use sea_orm::{QueryOrder, QuerySelect};
        comments::Entity::find()
            .filter(comments::Column::DealId.eq(deal.id.0))
            .order_by_desc(comments::Column::Id)
            .limit(1)
            .one(db)
            .await?
            .map(|c| c.text)
            .unwrap_or_default()
    } else {
        String::new()
    };
    let managers = context
        .picked
        .iter()
        .map(|(user, values)| {
            if values.is_empty() {
                name(*user)
            } else {
                format!("{} ({})", name(*user), values.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok(fill_placeholders(
        template,
        |placeholder| match placeholder {
            "{deal}" => format!("#{} {}", deal.id.0, deal.title),
            "{client}" => deal
                .client
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            "{managers}" => managers.clone(),
            "{main}" => context.main.map(name).unwrap_or_default(),
            "{comment}" => comment.clone(),
            "{responsible}" => deal.responsible_name.clone().unwrap_or_default(),
            _ => String::new(),
        },
    ))
}

#[derive(FromQueryResult)]
struct Load {
    user_id: i32,
    open: i64,
}

/// Picks a department's active member by the strategy, leaving out those at the cap.
async fn pick_assignee(
    txn: &DatabaseTransaction,
    rule_id: i32,
    department_id: i32,
    strategy: AssignStrategy,
    cap: Option<u32>,
) -> Result<UserId, AppError> {
    use crate::user::entity::{user_departments, users};
    let members: Vec<i32> = user_departments::Entity::find()
        .filter(user_departments::Column::DepartmentId.eq(department_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let active: Vec<UserId> = users::Entity::find()
        .filter(users::Column::Id.is_in(members))
        .filter(users::Column::Active.eq(true))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| UserId(u.id))
        .collect();
    let loads = if cap.is_some() || strategy == AssignStrategy::LeastLoaded {
        open_deals(txn, &active).await?
    } else {
        HashMap::new()
    };
    let load = |user: &UserId| loads.get(user).copied().unwrap_or(0);
    let candidates: Vec<UserId> = active
        .iter()
        .copied()
        .filter(|user| cap.is_none_or(|cap| load(user) < u64::from(cap)))
        .collect();
    let nobody = || AppError::validation(Field::Departments, Rule::NobodyAvailable);
    match strategy {
        AssignStrategy::Random => pick_random(&candidates, rand::random()).ok_or_else(nobody),
        AssignStrategy::LeastLoaded => {
            let loaded: Vec<(UserId, u64)> = candidates.iter().map(|u| (*u, load(u))).collect();
            pick_least_loaded(&loaded).ok_or_else(nobody)
        }
        AssignStrategy::RoundRobin => {
            let last = automation_turns::Entity::find_by_id((rule_id, department_id))
                .one(txn)
                .await?
                .map(|turn| UserId(turn.last_user_id));
            let user = pick_round_robin(&candidates, last).ok_or_else(nobody)?;
            automation_turns::Entity::insert(automation_turns::ActiveModel {
                rule_id: Set(rule_id),
                department_id: Set(department_id),
                last_user_id: Set(user.0),
            })
            .on_conflict(
                OnConflict::columns([
                    automation_turns::Column::RuleId,
                    automation_turns::Column::DepartmentId,
                ])
                .update_column(automation_turns::Column::LastUserId)
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
            Ok(user)
        }
    }
}

/// Open deals (in stages of kind open) per person.
async fn open_deals(
    db: &impl ConnectionTrait,
    users: &[UserId],
) -> Result<HashMap<UserId, u64>, AppError> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = users.iter().map(|u| u.0.to_string()).collect();
    // The ids are our own integers, not input: formatted in, not bound.
    let sql = format!(
        "SELECT d.responsible_user_id AS user_id, COUNT(*) AS open FROM deals d \
         JOIN stages s ON s.id = d.stage_id \
         WHERE s.kind = 'open' AND d.responsible_user_id IN ({}) \
         GROUP BY d.responsible_user_id",
        ids.join(", ")
    );
    let rows = Load::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (UserId(row.user_id), u64::try_from(row.open).unwrap_or(0)))
        .collect())
}

/// What conditions read of the deal.
async fn facts_of(
    db: &impl ConnectionTrait,
    deal: &DealView,
    now: DateTime<Utc>,
) -> Result<DealFacts, AppError> {
    use crate::custom_field::entity::custom_values;
    let pipeline = crate::pipeline::service::load_pipeline(db, deal.pipeline_id).await?;
    let custom = custom_values::Entity::find()
        .filter(custom_values::Column::DealId.eq(deal.id.0))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (CustomFieldId(row.field_id), row.value))
        .collect();
    Ok(DealFacts {
        stage_id: deal.stage_id,
        department_id: pipeline.stage(deal.stage_id).and_then(|s| s.department_id),
        responsible: deal.responsible,
        amount: deal.amount.as_ref().map(|m| m.amount),
        title: deal.title.clone(),
        has_client: deal.client.is_some(),
        minutes_in_stage: (now - deal.stage_entered_at).num_minutes(),
        custom,
    })
}

/// A version race with a person or the database: worth another attempt.
fn retryable(error: &AppError) -> bool {
    matches!(error, AppError::Internal | AppError::Conflict { .. })
}

async fn finish(
    db: &impl ConnectionTrait,
    run: &automation_runs::Model,
    state: RunState,
    log: &[LogEntry],
    now: DateTime<Utc>,
) -> Result<RunState, AppError> {
    let mut edit: automation_runs::ActiveModel = run.clone().into();
    edit.state = Set(state.as_str().to_owned());
    edit.log = Set(encode(log)?);
    edit.finished_at = Set(Some(now));
    edit.update(db).await?;
    Ok(state)
}

fn encode(log: &[LogEntry]) -> Result<String, AppError> {
    serde_json::to_string(log).map_err(|_| AppError::Internal)
}
