//! `/admin/automation`: the rules with on/off, version and last run, and the newest runs;
//! `/admin/automation/new` and `/admin/automation/:id`: the form editor (trigger,
//! conditions matched all or any, actions in order, chosen from lists), a test run on a
//! deal that keeps nothing, and the rule's run log.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::automation::{
    Action, AssignStrategy, Condition, LogEntry, NumberOp, RuleDefinition, RuleId, RuleInput,
    RuleView, RunState, RunView, TaskAssignee, TextOp, Trigger, TriggerField, ValueDepartment,
};
use shared::custom_field::{CustomFieldId, CustomFieldView, RecordKind};
use shared::department::DepartmentId;
use shared::pipeline::{PipelineId, PipelineView, StageId};
use shared::user::UserId;

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

/// What the editor chooses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorData {
    pub rule: Option<RuleView>,
    pub pipelines: Vec<PipelineView>,
    pub departments: Vec<(DepartmentId, String)>,
    pub users: Vec<(UserId, String)>,
    pub fields: Vec<CustomFieldView>,
    /// The rule's newest runs.
    pub runs: Vec<RunView>,
}

#[server(prefix = "/api", endpoint = "load_automation")]
pub async fn load_automation() -> Result<(Vec<RuleView>, Vec<RunView>), AppError> {
    use crate::backend::{db, identity};
    use shared::automation::service;
    let actor = identity()?.actor;
    let db = db()?;
    let rules = service::list_rules(&db, &actor).await?;
    let runs = service::list_runs(&db, &actor, &service::RunFilter::default()).await?;
    Ok((rules, runs))
}

#[server(prefix = "/api", endpoint = "load_rule_editor")]
pub async fn load_rule_editor(id: Option<RuleId>) -> Result<EditorData, AppError> {
    use crate::backend::{db, identity};
    use shared::automation::service;
    let actor = identity()?.actor;
    actor.require_admin()?;
    let db = db()?;
    let (rule, runs) = match id {
        Some(id) => (
            Some(service::get_rule(&db, &actor, id).await?),
            service::list_runs(
                &db,
                &actor,
                &service::RunFilter {
                    rule_id: Some(id),
                    ..Default::default()
                },
            )
            .await?,
        ),
        None => (None, Vec::new()),
    };
    let mut pipelines = Vec::new();
    for (id, _) in shared::pipeline::service::list_pipelines(&db).await? {
        pipelines.push(shared::pipeline::service::load_pipeline(&db, id).await?);
    }
    let departments = shared::department::service::list_departments(&db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let users = shared::user::service::list_user_names(&db).await?;
    let fields = shared::custom_field::service::list_fields(&db)
        .await?
        .into_iter()
        .filter(|f| f.active && f.entity == RecordKind::Deal)
        .collect();
    Ok(EditorData {
        rule,
        pipelines,
        departments,
        users,
        fields,
        runs,
    })
}

#[server(prefix = "/api", endpoint = "save_rule", input = server_fn::codec::Json)]
pub async fn save_rule(id: Option<RuleId>, input: RuleInput) -> Result<RuleView, AppError> {
    use crate::backend::{db, identity, now};
    use shared::automation::service;
    let actor = identity()?.actor;
    let db = db()?;
    match id {
        Some(id) => service::update_rule(&db, &actor, id, input, now()).await,
        None => service::create_rule(&db, &actor, input, now()).await,
    }
}

#[server(prefix = "/api", endpoint = "switch_rule")]
pub async fn switch_rule(id: RuleId, enabled: bool) -> Result<(), AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::automation::service::set_enabled(&db()?, &actor, id, enabled, now()).await
}

#[server(prefix = "/api", endpoint = "test_rule")]
pub async fn test_rule(id: RuleId, deal_id: i32) -> Result<Vec<LogEntry>, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::automation::engine::dry_run(&db()?, &actor, id, shared::deal::DealId(deal_id), now())
        .await
}

type I18n = leptos_i18n::I18nContext<Locale>;

fn state_label(i18n: I18n, state: RunState) -> String {
    match state {
        RunState::Queued => t_string!(i18n, automation.state_queued),
        RunState::Done => t_string!(i18n, automation.state_done),
        RunState::Skipped => t_string!(i18n, automation.state_skipped),
        RunState::Failed => t_string!(i18n, automation.state_failed),
        RunState::Halted => t_string!(i18n, automation.state_halted),
    }
    .to_string()
}

fn trigger_kind(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::DealCreated => "deal_created",
        Trigger::StageEntered { .. } => "stage_entered",
        Trigger::StageLeft { .. } => "stage_left",
        Trigger::FieldChanged { .. } => "field_changed",
        Trigger::TimeInStage { .. } => "time_in_stage",
        Trigger::TaskDue => "task_due",
    }
}

fn trigger_label(i18n: I18n, kind: &str) -> String {
    match kind {
        "stage_entered" => t_string!(i18n, automation.t_stage_entered),
        "stage_left" => t_string!(i18n, automation.t_stage_left),
        "field_changed" => t_string!(i18n, automation.t_field_changed),
        "time_in_stage" => t_string!(i18n, automation.t_time_in_stage),
        "task_due" => t_string!(i18n, automation.t_task_due),
        _ => t_string!(i18n, automation.t_deal_created),
    }
    .to_string()
}

const TRIGGER_KINDS: [&str; 6] = [
    "deal_created",
    "stage_entered",
    "stage_left",
    "field_changed",
    "time_in_stage",
    "task_due",
];

fn new_trigger(kind: &str, first_stage: StageId) -> Trigger {
    match kind {
        "stage_entered" => Trigger::StageEntered { stage_id: None },
        "stage_left" => Trigger::StageLeft { stage_id: None },
        "field_changed" => Trigger::FieldChanged {
            field: TriggerField::Responsible,
            to: None,
        },
        "time_in_stage" => Trigger::TimeInStage {
            stage_id: first_stage,
            minutes: Some(60),
        },
        "task_due" => Trigger::TaskDue,
        _ => Trigger::DealCreated,
    }
}

const CONDITION_KINDS: [&str; 9] = [
    "stage_in",
    "department_in",
    "responsible_in",
    "unassigned",
    "amount",
    "title",
    "has_client",
    "minutes_in_stage",
    "custom",
];

fn condition_kind(condition: &Condition) -> &'static str {
    match condition {
        Condition::Not { of } => condition_kind(of),
        Condition::All { .. } | Condition::Any { .. } => "group",
        Condition::StageIn { .. } => "stage_in",
        Condition::DepartmentIn { .. } => "department_in",
        Condition::ResponsibleIn { .. } => "responsible_in",
        Condition::Unassigned => "unassigned",
        Condition::Amount { .. } => "amount",
        Condition::Title { .. } => "title",
        Condition::HasClient => "has_client",
        Condition::MinutesInStage { .. } => "minutes_in_stage",
        Condition::Custom { .. } => "custom",
    }
}

fn condition_label(i18n: I18n, kind: &str) -> String {
    match kind {
        "stage_in" => t_string!(i18n, automation.c_stage_in),
        "department_in" => t_string!(i18n, automation.c_department_in),
        "responsible_in" => t_string!(i18n, automation.c_responsible_in),
        "unassigned" => t_string!(i18n, automation.c_unassigned),
        "amount" => t_string!(i18n, automation.c_amount),
        "title" => t_string!(i18n, automation.c_title),
        "has_client" => t_string!(i18n, automation.c_has_client),
        "minutes_in_stage" => t_string!(i18n, automation.c_minutes_in_stage),
        "custom" => t_string!(i18n, automation.c_custom),
        _ => t_string!(i18n, automation.c_group),
    }
    .to_string()
}

fn new_condition(kind: &str, data: &Choices) -> Condition {
    match kind {
        "department_in" => Condition::DepartmentIn {
            department_ids: data.departments.first().map(|d| d.0).into_iter().collect(),
        },
        "responsible_in" => Condition::ResponsibleIn {
            user_ids: data.users.first().map(|u| u.0).into_iter().collect(),
        },
        "unassigned" => Condition::Unassigned,
        "amount" => Condition::Amount {
            op: NumberOp::Gte,
            value: Decimal::new(100_000, 0),
        },
        "title" => Condition::Title {
            op: TextOp::Contains,
            value: String::new(),
        },
        "has_client" => Condition::HasClient,
        "minutes_in_stage" => Condition::MinutesInStage {
            op: NumberOp::Gt,
            minutes: 60,
        },
        "custom" => Condition::Custom {
            field_id: data.fields.first().map_or(CustomFieldId(0), |f| f.id),
            op: TextOp::Includes,
            value: String::new(),
        },
        _ => Condition::StageIn {
            stage_ids: data.stages.first().map(|s| s.0).into_iter().collect(),
        },
    }
}

const ACTION_KINDS: [&str; 11] = [
    "assign",
    "pick_per_value",
    "pick_main",
    "create_deals",
    "create_task",
    "move",
    "comment",
    "notify",
    "set_field",
    "wait",
    "stop",
];

fn action_kind(action: &Action) -> &'static str {
    action.code()
}

fn action_label(i18n: I18n, kind: &str) -> String {
    match kind {
        "assign" => t_string!(i18n, automation.a_assign),
        "pick_per_value" => t_string!(i18n, automation.a_pick_per_value),
        "pick_main" => t_string!(i18n, automation.a_pick_main),
        "create_deals" => t_string!(i18n, automation.a_create_deals),
        "create_task" => t_string!(i18n, automation.a_create_task),
        "move" => t_string!(i18n, automation.a_move),
        "comment" => t_string!(i18n, automation.a_comment),
        "notify" => t_string!(i18n, automation.a_notify),
        "set_field" => t_string!(i18n, automation.a_set_field),
        "wait" => t_string!(i18n, automation.a_wait),
        _ => t_string!(i18n, automation.a_stop),
    }
    .to_string()
}

fn new_action(kind: &str, data: &Choices) -> Action {
    match kind {
        "create_task" => Action::CreateTask {
            title: String::new(),
            due_minutes: 60,
            assignee: TaskAssignee::Responsible,
            on_main_deal: false,
        },
        "move" => Action::Move {
            stage_id: data
                .stages
                .get(1)
                .or(data.stages.first())
                .map_or(StageId(0), |s| s.0),
            comment: String::new(),
        },
        "comment" => Action::Comment {
            text: String::new(),
        },
        "notify" => Action::Notify {
            to: TaskAssignee::Responsible,
            text: String::new(),
        },
        "set_field" => Action::SetField {
            field_id: data.fields.first().map_or(CustomFieldId(0), |f| f.id),
            values: Vec::new(),
        },
        "wait" => Action::Wait { minutes: 60 },
        "stop" => Action::Stop,
        "pick_per_value" => {
            let field = data
                .fields
                .iter()
                .find(|f| f.kind == shared::custom_field::CustomFieldKind::MultiSelect)
                .or(data.fields.first());
            Action::PickPerValue {
                field_id: field.map_or(CustomFieldId(0), |f| f.id),
                departments: Vec::new(),
                strategy: AssignStrategy::Random,
            }
        }
        "pick_main" => Action::PickMain,
        "create_deals" => Action::CreateDeals {
            pipeline_id: data.pipelines.first().map_or(PipelineId(0), |p| p.0),
            title: "{client}".to_owned(),
            note: String::new(),
        },
        _ => Action::Assign {
            department_id: data.departments.first().map_or(DepartmentId(0), |d| d.0),
            strategy: AssignStrategy::RoundRobin,
            cap: None,
        },
    }
}

fn number_op(code: &str) -> NumberOp {
    match code {
        "lt" => NumberOp::Lt,
        "lte" => NumberOp::Lte,
        "eq" => NumberOp::Eq,
        "gt" => NumberOp::Gt,
        _ => NumberOp::Gte,
    }
}

fn number_op_code(op: NumberOp) -> &'static str {
    match op {
        NumberOp::Lt => "lt",
        NumberOp::Lte => "lte",
        NumberOp::Eq => "eq",
        NumberOp::Gte => "gte",
        NumberOp::Gt => "gt",
    }
}

fn text_op(code: &str) -> TextOp {
    match code {
        "equals" => TextOp::Equals,
        "contains" => TextOp::Contains,
        "is_empty" => TextOp::IsEmpty,
        "is_set" => TextOp::IsSet,
        _ => TextOp::Includes,
    }
}

fn text_op_code(op: TextOp) -> &'static str {
    match op {
        TextOp::Equals => "equals",
        TextOp::Contains => "contains",
        TextOp::Includes => "includes",
        TextOp::IsEmpty => "is_empty",
        TextOp::IsSet => "is_set",
    }
}

fn text_op_label(i18n: I18n, op: &str) -> String {
    match op {
        "equals" => t_string!(i18n, automation.op_equals),
        "contains" => t_string!(i18n, automation.op_contains),
        "is_empty" => t_string!(i18n, automation.op_is_empty),
        "is_set" => t_string!(i18n, automation.op_is_set),
        _ => t_string!(i18n, automation.op_includes),
    }
    .to_string()
}

/// The lists the rows choose from, for the rule's pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
struct Choices {
    pipelines: Vec<(PipelineId, String)>,
    stages: Vec<(StageId, String)>,
    departments: Vec<(DepartmentId, String)>,
    users: Vec<(UserId, String)>,
    fields: Vec<CustomFieldView>,
}

fn choices_for(data: &EditorData, pipeline: PipelineId) -> Choices {
    Choices {
        pipelines: data
            .pipelines
            .iter()
            .map(|p| (p.id, p.name.clone()))
            .collect(),
        stages: data
            .pipelines
            .iter()
            .find(|p| p.id == pipeline)
            .map(|p| p.stages.iter().map(|s| (s.id, s.name.clone())).collect())
            .unwrap_or_default(),
        departments: data.departments.clone(),
        users: data.users.clone(),
        fields: data
            .fields
            .iter()
            .filter(|f| f.applies_to(RecordKind::Deal, Some(pipeline)))
            .cloned()
            .collect(),
    }
}

/// A line of a run's log in words.
fn log_line(i18n: I18n, entry: &LogEntry, actions: Option<&[Action]>) -> String {
    let action_name = |index: usize, code: &str| {
        if !code.is_empty() {
            return action_label(i18n, code);
        }
        actions
            .and_then(|a| a.get(index))
            .map(|a| action_label(i18n, action_kind(a)))
            .unwrap_or_else(|| t_string!(i18n, automation.action).to_string())
    };
    match entry {
        LogEntry::Condition { index, passed } => t_string!(
            i18n,
            automation.l_condition,
            n = index + 1,
            result = if *passed {
                t_string!(i18n, automation.passed).to_string()
            } else {
                t_string!(i18n, automation.not_passed).to_string()
            }
        )
        .to_string(),
        LogEntry::Action {
            index,
            action,
            done,
            ..
        } => format!(
            "{}. {}{}",
            index + 1,
            action_name(*index, action),
            if done.is_empty() {
                String::new()
            } else {
                format!(": {done}")
            }
        ),
        LogEntry::Waiting { index, until } => format!(
            "{}. {}",
            index + 1,
            t_string!(i18n, automation.l_waiting, until = moment(*until))
        ),
        LogEntry::Refused {
            index,
            action,
            error,
        } => format!(
            "{}. {} — {}: {}",
            index + 1,
            action_name(*index, action),
            t_string!(i18n, automation.l_refused),
            error_message(i18n, error)
        ),
        LogEntry::LeftStage => t_string!(i18n, automation.l_left_stage).to_string(),
        LogEntry::DepthLimit { depth } => {
            t_string!(i18n, automation.l_depth, depth = *depth).to_string()
        }
        LogEntry::Crashed { message } => {
            format!("{}: {message}", t_string!(i18n, automation.l_crashed))
        }
        LogEntry::DryRun => t_string!(i18n, automation.l_dry).to_string(),
    }
}

#[component]
fn RunList(runs: Vec<RunView>, show_rule: bool) -> impl IntoView {
    let i18n = use_i18n();
    if runs.is_empty() {
        return view! { <p class="muted">{t!(i18n, automation.no_runs)}</p> }.into_any();
    }
    view! {
        <ul class="run-list">
            {runs.into_iter().map(|run| {
                let state = run.state;
                let deal_href = format!("/deals/{}", run.deal_id.0);
                let rule_href = format!("/admin/automation/{}", run.rule_id.0);
                let lines: Vec<String> = run.log.iter().map(|e| log_line(i18n, e, None)).collect();
                view! {
                    <li class="run-row" data-testid="run-row" data-state=state.as_str()>
                        <div class="run-main">
                            <span class="badge" class:badge-ok=state == RunState::Done
                                class:badge-off=matches!(state, RunState::Failed | RunState::Halted)>
                                {move || state_label(i18n, state)}
                            </span>
                            {show_rule.then(|| view! { <a href=rule_href.clone()>{run.rule_name.clone()}</a> })}
                            <a href=deal_href>{run.deal_title.clone()}</a>
                            <span class="muted small">{moment(run.created_at)}</span>
                        </div>
                        <div class="muted small">
                            <code>{run.trigger.clone()}</code>
                            " · v" {run.rule_version}
                            " · " {t!(i18n, automation.depth, depth = run.depth)}
                        </div>
                        {(!lines.is_empty()).then(|| view! {
                            <ul class="run-log small">
                                {lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                            </ul>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn RuleRow(rule: RuleView, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let switch = ServerAction::<SwitchRule>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            reload.run(());
        }
    });
    let error = Signal::derive(move || switch.value().get().and_then(Result::err));
    let id = rule.id;
    let enabled = rule.enabled;
    let href = format!("/admin/automation/{}", id.0);
    let trigger = trigger_label(i18n, trigger_kind(&rule.definition.trigger));
    view! {
        <li class="rule-row" data-testid="rule-row">
            <div class="rule-main">
                <a class="rule-name" href=href>{rule.name.clone()}</a>
                <span class="badge" class:badge-ok=enabled class:badge-off=!enabled>
                    {if enabled { t_string!(i18n, automation.on) } else { t_string!(i18n, automation.off) }}
                </span>
            </div>
            <div class="muted small rule-facts">
                <span>{rule.pipeline_name.clone()}</span>
                <span>{trigger}</span>
                <span>{t!(i18n, automation.actions_count, count = rule.definition.actions.len())}</span>
                <span>"v" {rule.version}</span>
                <span>{match rule.last_run {
                    Some((state, at)) => format!("{}: {} ({})", t_string!(i18n, automation.last_run), state_label(i18n, state), moment(at)),
                    None => t_string!(i18n, automation.never_run).to_string(),
                }}</span>
            </div>
            <button type="button" class="btn btn-small" disabled=move || switch.pending().get()
                on:click=move |_| { switch.dispatch(SwitchRule { id, enabled: !enabled }); }>
                {if enabled { t_string!(i18n, automation.switch_off) } else { t_string!(i18n, automation.switch_on) }}
            </button>
            <FormError error />
        </li>
    }
}

#[component]
pub fn AutomationPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(move || refresh.get(), |_| load_automation());
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, automation.title)}</h2>
            <a class="btn btn-primary" href="/admin/automation/new">{t!(i18n, automation.new_rule)}</a>
        </div>
        <p class="muted">{t!(i18n, automation.intro)}</p>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok((rules, runs)) => view! {
                    <section class="card">
                        <h2>{t!(i18n, automation.rules)}</h2>
                        {if rules.is_empty() {
                            view! { <p class="muted">{t!(i18n, automation.none)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="rule-list">
                                    {rules.into_iter().map(|rule| view! { <RuleRow rule reload /> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                    <section class="card">
                        <div class="toolbar">
                            <h2>{t!(i18n, automation.runs)}</h2>
                            <button type="button" class="btn btn-small" on:click=move |_| reload.run(())>"↻"</button>
                        </div>
                        <RunList runs show_rule=true />
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn RuleEditorPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .map(RuleId)
    });
    let refresh = RwSignal::new(0_u32);
    let data = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| load_rule_editor(id),
    );
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <div class="toolbar">
            <a href="/admin/automation">{t!(i18n, automation.back)}</a>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || data.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(data) => view! { <RuleEditor data reload /> }.into_any(),
            })}
        </Transition>
    }
}

/// The editor's conditions: leaves (each may be negated), matched all or any.
fn split_conditions(conditions: &[Condition]) -> (bool, Vec<Condition>) {
    match conditions {
        [Condition::Any { of }] => (true, of.clone()),
        _ => (false, conditions.to_vec()),
    }
}

#[component]
fn RuleEditor(data: EditorData, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let existing = data.rule.clone();
    let rule_id = existing.as_ref().map(|r| r.id);
    let first_pipeline = data.pipelines.first().map_or(PipelineId(0), |p| p.id);
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    );
    let pipeline = RwSignal::new(existing.as_ref().map_or(first_pipeline, |r| r.pipeline_id));
    let enabled = RwSignal::new(existing.as_ref().is_none_or(|r| r.enabled));
    let retrigger = RwSignal::new(existing.as_ref().is_some_and(|r| r.retrigger_self));
    let trigger = RwSignal::new(
        existing
            .as_ref()
            .map_or(Trigger::DealCreated, |r| r.definition.trigger.clone()),
    );
    let (any_mode, leaves) = existing
        .as_ref()
        .map(|r| split_conditions(&r.definition.conditions))
        .unwrap_or_default();
    let match_any = RwSignal::new(any_mode);
    let conditions = RwSignal::new(leaves);
    let actions = RwSignal::new(
        existing
            .as_ref()
            .map(|r| r.definition.actions.clone())
            .unwrap_or_default(),
    );
    let source = StoredValue::new(data.clone());
    let choices = Memo::new(move |_| source.with_value(|d| choices_for(d, pipeline.get())));
    let pipeline_options = data
        .pipelines
        .iter()
        .map(|p| (p.id, p.name.clone()))
        .collect::<Vec<_>>();

    let save = ServerAction::<SaveRule>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(rule)) = save.value().get() {
            saved.set(true);
            if rule_id.is_none() {
                navigate(
                    &format!("/admin/automation/{}", rule.id.0),
                    Default::default(),
                );
            } else {
                reload.run(());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let leaves = conditions.get_untracked();
        let conditions = if match_any.get_untracked() && !leaves.is_empty() {
            vec![Condition::Any { of: leaves }]
        } else {
            leaves
        };
        save.dispatch(SaveRule {
            id: rule_id,
            input: RuleInput {
                name: name.get_untracked(),
                pipeline_id: pipeline.get_untracked(),
                enabled: enabled.get_untracked(),
                retrigger_self: retrigger.get_untracked(),
                definition: RuleDefinition {
                    trigger: trigger.get_untracked(),
                    conditions,
                    actions: actions.get_untracked(),
                },
            },
        });
    };
    let condition_count = Memo::new(move |_| conditions.with(Vec::len));
    let action_count = Memo::new(move |_| actions.with(Vec::len));
    let runs = data.runs.clone();
    let actions_now = data.rule.as_ref().map(|r| r.definition.actions.clone());

    view! {
        <form class="card form rule-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, automation.editor).to_string()>
            <h2>{if rule_id.is_some() { t_string!(i18n, automation.edit_rule) } else { t_string!(i18n, automation.new_rule) }}
                {existing.as_ref().map(|r| format!(" · v{}", r.version))}</h2>
            <div class="field-row">
                <label class="field">
                    <span>{t!(i18n, automation.name)}</span>
                    <input type="text" name="rule_name" maxlength="100" required
                        prop:value=move || name.get() on:change=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, automation.pipeline)}</span>
                    <select name="pipeline" on:change=move |ev| {
                        if let Ok(id) = event_target_value(&ev).parse() {
                            pipeline.set(PipelineId(id));
                        }
                    }>
                        {pipeline_options.into_iter().map(|(id, label)| view! {
                            <option value=id.0.to_string() selected=move || pipeline.get() == id>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="field-row">
                <label class="check">
                    <input type="checkbox" name="enabled" prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                    {t!(i18n, automation.enabled)}
                </label>
                <label class="check">
                    <input type="checkbox" name="retrigger" prop:checked=move || retrigger.get()
                        on:change=move |ev| retrigger.set(event_target_checked(&ev)) />
                    {t!(i18n, automation.retrigger)}
                </label>
            </div>

            <fieldset class="rule-part">
                <legend>{t!(i18n, automation.when)}</legend>
                <TriggerEditor trigger choices />
            </fieldset>

            <fieldset class="rule-part">
                <legend>{t!(i18n, automation.conditions)}</legend>
                <label class="field">
                    <span>{t!(i18n, automation.match_label)}</span>
                    <select name="match" on:change=move |ev| match_any.set(event_target_value(&ev) == "any")>
                        <option value="all" selected=move || !match_any.get()>{t!(i18n, automation.match_all)}</option>
                        <option value="any" selected=move || match_any.get()>{t!(i18n, automation.match_any)}</option>
                    </select>
                </label>
                <ol class="rule-rows">
                    {move || (0..condition_count.get()).map(|index| view! {
                        <ConditionRow index conditions choices />
                    }).collect_view()}
                </ol>
                <button type="button" class="btn btn-small" data-testid="add-condition"
                    on:click=move |_| {
                        let condition = choices.with(|c| new_condition("stage_in", c));
                        conditions.update(|list| list.push(condition));
                    }>
                    {t!(i18n, automation.add_condition)}
                </button>
            </fieldset>

            <fieldset class="rule-part">
                <legend>{t!(i18n, automation.then)}</legend>
                <ol class="rule-rows">
                    {move || (0..action_count.get()).map(|index| view! {
                        <ActionRow index actions choices />
                    }).collect_view()}
                </ol>
                <button type="button" class="btn btn-small" data-testid="add-action"
                    on:click=move |_| {
                        let action = choices.with(|c| new_action("assign", c));
                        actions.update(|list| list.push(action));
                    }>
                    {t!(i18n, automation.add_action)}
                </button>
            </fieldset>

            <FormError error />
            {move || saved.get().then(|| view! { <p class="muted" role="status">{t!(i18n, automation.saved)}</p> })}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>
                    {t!(i18n, automation.save)}
                </button>
            </div>
        </form>
        {rule_id.map(|id| view! {
            <TestRun id actions=actions_now.clone().unwrap_or_default() />
            <section class="card">
                <div class="toolbar">
                    <h2>{t!(i18n, automation.runs)}</h2>
                    <button type="button" class="btn btn-small" on:click=move |_| reload.run(())>"↻"</button>
                </div>
                <RunList runs=runs.clone() show_rule=false />
            </section>
        })}
    }
}

/// A `<select>` over id/label pairs; `none` adds an empty choice first.
fn id_select(
    name: &'static str,
    options: Vec<(i32, String)>,
    current: Option<i32>,
    none: Option<String>,
    set: impl Fn(Option<i32>) + 'static,
) -> AnyView {
    view! {
        <select name=name on:change=move |ev| set(event_target_value(&ev).parse().ok())>
            {none.map(|label| view! { <option value="" selected=current.is_none()>{label}</option> })}
            {options.into_iter().map(|(id, label)| view! {
                <option value=id.to_string() selected=current == Some(id)>{label}</option>
            }).collect_view()}
        </select>
    }
    .into_any()
}

/// Checkboxes over id/label pairs.
fn id_checks(
    name: &'static str,
    options: Vec<(i32, String)>,
    chosen: Vec<i32>,
    set: impl Fn(Vec<i32>) + Clone + 'static,
) -> AnyView {
    let chosen = StoredValue::new(chosen);
    view! {
        <div class="check-list">
            {options.into_iter().map(|(id, label)| {
                let set = set.clone();
                view! {
                    <label class="check">
                        <input type="checkbox" name=name value=id.to_string()
                            prop:checked=chosen.with_value(|c| c.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update_value(|c| {
                                    c.retain(|x| *x != id);
                                    if on { c.push(id); }
                                });
                                set(chosen.get_value());
                            } />
                        {label}
                    </label>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

fn stage_options(choices: &Choices) -> Vec<(i32, String)> {
    choices
        .stages
        .iter()
        .map(|(id, name)| (id.0, name.clone()))
        .collect()
}

fn field_options(choices: &Choices) -> Vec<(i32, String)> {
    choices
        .fields
        .iter()
        .map(|f| (f.id.0, f.label.clone()))
        .collect()
}

fn minutes_input(
    name: &'static str,
    value: Option<u32>,
    set: impl Fn(Option<u32>) + 'static,
) -> AnyView {
    view! {
        <input type="number" name=name min="1" max="525600" inputmode="numeric"
            prop:value=value.map(|m| m.to_string()).unwrap_or_default()
            on:change=move |ev| set(event_target_value(&ev).trim().parse().ok()) />
    }
    .into_any()
}

#[component]
fn TriggerEditor(trigger: RwSignal<Trigger>, choices: Memo<Choices>) -> impl IntoView {
    let i18n = use_i18n();
    let kind = Memo::new(move |_| trigger.with(trigger_kind));
    view! {
        <label class="field">
            <span>{t!(i18n, automation.trigger)}</span>
            <select name="trigger" on:change=move |ev| {
                let first = choices.with(|c| c.stages.first().map_or(StageId(0), |s| s.0));
                trigger.set(new_trigger(&event_target_value(&ev), first));
            }>
                {TRIGGER_KINDS.iter().map(|code| view! {
                    <option value=*code selected=move || kind.get() == *code>{move || trigger_label(i18n, code)}</option>
                }).collect_view()}
            </select>
        </label>
        {move || {
            let current = trigger.get();
            let c = choices.get();
            match current {
                Trigger::DealCreated | Trigger::TaskDue => ().into_any(),
                Trigger::StageEntered { stage_id } | Trigger::StageLeft { stage_id } => {
                    let entered = matches!(current, Trigger::StageEntered { .. });
                    view! {
                        <label class="field">
                            <span>{t!(i18n, automation.stage)}</span>
                            {id_select("trigger_stage", stage_options(&c), stage_id.map(|s| s.0),
                                Some(t_string!(i18n, automation.any_stage).to_string()),
                                move |id| trigger.set(if entered {
                                    Trigger::StageEntered { stage_id: id.map(StageId) }
                                } else {
                                    Trigger::StageLeft { stage_id: id.map(StageId) }
                                }))}
                        </label>
                    }.into_any()
                }
                Trigger::FieldChanged { field, to } => {
                    let code = match field {
                        TriggerField::Title => "title".to_owned(),
                        TriggerField::Amount => "amount".to_owned(),
                        TriggerField::Responsible => "responsible".to_owned(),
                        TriggerField::Client => "client".to_owned(),
                        TriggerField::Custom(id) => format!("custom:{}", id.0),
                    };
                    let builtins = [
                        ("title", t_string!(i18n, fields.title).to_string()),
                        ("amount", t_string!(i18n, fields.amount).to_string()),
                        ("responsible", t_string!(i18n, fields.responsible).to_string()),
                        ("client", t_string!(i18n, fields.client).to_string()),
                    ];
                    let custom: Vec<(String, String)> = c.fields.iter()
                        .map(|f| (format!("custom:{}", f.id.0), f.label.clone())).collect();
                    let to_now = to.clone();
                    view! {
                        <div class="field-row">
                            <label class="field">
                                <span>{t!(i18n, automation.field)}</span>
                                <select name="trigger_field" on:change=move |ev| {
                                    let value = event_target_value(&ev);
                                    let field = match value.as_str() {
                                        "title" => TriggerField::Title,
                                        "amount" => TriggerField::Amount,
                                        "client" => TriggerField::Client,
                                        other => other.strip_prefix("custom:")
                                            .and_then(|id| id.parse().ok())
                                            .map_or(TriggerField::Responsible, |id| TriggerField::Custom(CustomFieldId(id))),
                                    };
                                    trigger.update(|t| if let Trigger::FieldChanged { field: f, .. } = t { *f = field; });
                                }>
                                    {builtins.into_iter().map(|(value, label)| {
                                        let selected = code == value;
                                        view! { <option value=value selected=selected>{label}</option> }
                                    }).collect_view()}
                                    {custom.into_iter().map(|(value, label)| {
                                        let selected = code == value;
                                        view! { <option value=value selected=selected>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label class="field">
                                <span>{t!(i18n, automation.to_value)}</span>
                                <input type="text" name="trigger_to" maxlength="2000"
                                    placeholder=move || t_string!(i18n, automation.any_value).to_string()
                                    prop:value=to_now.unwrap_or_default()
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        let value = (!value.trim().is_empty()).then_some(value);
                                        trigger.update(|t| if let Trigger::FieldChanged { to, .. } = t { *to = value; });
                                    } />
                            </label>
                        </div>
                    }.into_any()
                }
                Trigger::TimeInStage { stage_id, minutes } => view! {
                    <div class="field-row">
                        <label class="field">
                            <span>{t!(i18n, automation.stage)}</span>
                            {id_select("trigger_stage", stage_options(&c), Some(stage_id.0), None,
                                move |id| trigger.update(|t| if let (Trigger::TimeInStage { stage_id, .. }, Some(id)) = (t, id) { *stage_id = StageId(id); }))}
                        </label>
                        <label class="field">
                            <span>{t!(i18n, automation.minutes)}</span>
                            {minutes_input("trigger_minutes", minutes,
                                move |m| trigger.update(|t| if let Trigger::TimeInStage { minutes, .. } = t { *minutes = m; }))}
                            <small class="muted">{t!(i18n, automation.minutes_sla)}</small>
                        </label>
                    </div>
                }.into_any(),
            }
        }}
    }
}

#[component]
fn ConditionRow(
    index: usize,
    conditions: RwSignal<Vec<Condition>>,
    choices: Memo<Choices>,
) -> impl IntoView {
    let i18n = use_i18n();
    let current = Memo::new(move |_| conditions.with(|list| list.get(index).cloned()));
    let set = move |condition: Condition| {
        conditions.update(|list| {
            if let Some(slot) = list.get_mut(index) {
                *slot = condition;
            }
        });
    };
    // The leaf inside a negation.
    let negated = Memo::new(move |_| matches!(current.get(), Some(Condition::Not { .. })));
    let set_leaf = move |leaf: Condition| {
        if negated.get_untracked() {
            set(Condition::Not { of: Box::new(leaf) });
        } else {
            set(leaf);
        }
    };
    let kind = Memo::new(move |_| current.get().map_or("stage_in", |c| condition_kind(&c)));
    view! {
        <li class="rule-row-edit" data-testid="condition-row">
            <div class="rule-row-head">
                <select name="condition_kind" aria-label=move || t_string!(i18n, automation.condition).to_string()
                    on:change=move |ev| {
                        let leaf = choices.with(|c| new_condition(&event_target_value(&ev), c));
                        set_leaf(leaf);
                    }>
                    {CONDITION_KINDS.iter().map(|code| view! {
                        <option value=*code selected=move || kind.get() == *code>{move || condition_label(i18n, code)}</option>
                    }).collect_view()}
                    {move || (kind.get() == "group").then(|| view! { <option value="group" selected=true>{condition_label(i18n, "group")}</option> })}
                </select>
                <label class="check">
                    <input type="checkbox" name="negate" prop:checked=move || negated.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let Some(condition) = current.get_untracked() else { return };
                            let leaf = match condition { Condition::Not { of } => *of, other => other };
                            set(if on { Condition::Not { of: Box::new(leaf) } } else { leaf });
                        } />
                    {t!(i18n, automation.negate)}
                </label>
                <button type="button" class="btn btn-small btn-danger-ghost"
                    on:click=move |_| conditions.update(|list| { if index < list.len() { list.remove(index); } })>
                    {t!(i18n, automation.remove)}
                </button>
            </div>
            {move || {
                let c = choices.get();
                let leaf = match current.get() {
                    Some(Condition::Not { of }) => *of,
                    Some(other) => other,
                    None => return ().into_any(),
                };
                match leaf {
                    Condition::StageIn { stage_ids } => id_checks("condition_stage", stage_options(&c),
                        stage_ids.iter().map(|s| s.0).collect(),
                        move |ids| set_leaf(Condition::StageIn { stage_ids: ids.into_iter().map(StageId).collect() })),
                    Condition::DepartmentIn { department_ids } => id_checks("condition_department",
                        c.departments.iter().map(|(id, n)| (id.0, n.clone())).collect(),
                        department_ids.iter().map(|d| d.0).collect(),
                        move |ids| set_leaf(Condition::DepartmentIn { department_ids: ids.into_iter().map(DepartmentId).collect() })),
                    Condition::ResponsibleIn { user_ids } => id_checks("condition_user",
                        c.users.iter().map(|(id, n)| (id.0, n.clone())).collect(),
                        user_ids.iter().map(|u| u.0).collect(),
                        move |ids| set_leaf(Condition::ResponsibleIn { user_ids: ids.into_iter().map(UserId).collect() })),
                    Condition::Amount { op, value } => view! {
                        <div class="field-row">
                            <NumberOpSelect op set=Callback::new(move |op| set_leaf(Condition::Amount { op, value })) />
                            <input type="text" name="condition_amount" inputmode="decimal" prop:value=value.to_string()
                                on:change=move |ev| {
                                    if let Ok(value) = event_target_value(&ev).trim().replace(',', ".").parse::<Decimal>() {
                                        set_leaf(Condition::Amount { op, value });
                                    }
                                } />
                        </div>
                    }.into_any(),
                    Condition::MinutesInStage { op, minutes } => view! {
                        <div class="field-row">
                            <NumberOpSelect op set=Callback::new(move |op| set_leaf(Condition::MinutesInStage { op, minutes })) />
                            {minutes_input("condition_minutes", Some(minutes), move |m| set_leaf(Condition::MinutesInStage { op, minutes: m.unwrap_or(1) }))}
                        </div>
                    }.into_any(),
                    Condition::Title { op, value } => {
                        let text = value.clone();
                        view! {
                            <div class="field-row">
                                <TextOpSelect op set=Callback::new(move |op| set_leaf(Condition::Title { op, value: value.clone() })) />
                                <input type="text" name="condition_text" maxlength="2000" prop:value=text.clone()
                                    on:change=move |ev| set_leaf(Condition::Title { op, value: event_target_value(&ev) }) />
                            </div>
                        }.into_any()
                    }
                    Condition::Custom { field_id, op, value } => {
                        let text = value.clone();
                        view! {
                            <div class="field-row">
                                {id_select("condition_field", field_options(&c), Some(field_id.0), None, {
                                    let value = value.clone();
                                    move |id| if let Some(id) = id {
                                        set_leaf(Condition::Custom { field_id: CustomFieldId(id), op, value: value.clone() });
                                    }
                                })}
                                <TextOpSelect op set=Callback::new(move |op| set_leaf(Condition::Custom { field_id, op, value: value.clone() })) />
                                <input type="text" name="condition_text" maxlength="2000" prop:value=text.clone()
                                    on:change=move |ev| set_leaf(Condition::Custom { field_id, op, value: event_target_value(&ev) }) />
                            </div>
                        }.into_any()
                    }
                    Condition::Unassigned | Condition::HasClient | Condition::All { .. } | Condition::Any { .. } | Condition::Not { .. } => ().into_any(),
                }
            }}
        </li>
    }
}

#[component]
fn NumberOpSelect(op: NumberOp, set: Callback<NumberOp>) -> impl IntoView {
    let current = number_op_code(op);
    view! {
        <select name="number_op" on:change=move |ev| set.run(number_op(&event_target_value(&ev)))>
            {[("lt", "<"), ("lte", "≤"), ("eq", "="), ("gte", "≥"), ("gt", ">")].into_iter().map(|(code, sign)| view! {
                <option value=code selected=current == code>{sign}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
fn TextOpSelect(op: TextOp, set: Callback<TextOp>) -> impl IntoView {
    let i18n = use_i18n();
    let current = text_op_code(op);
    view! {
        <select name="text_op" on:change=move |ev| set.run(text_op(&event_target_value(&ev)))>
            {["includes", "equals", "contains", "is_empty", "is_set"].into_iter().map(|code| view! {
                <option value=code selected=current == code>{move || text_op_label(i18n, code)}</option>
            }).collect_view()}
        </select>
    }
}

fn assignee_select(
    i18n: I18n,
    users: &[(UserId, String)],
    who: TaskAssignee,
    set: impl Fn(TaskAssignee) + 'static,
) -> AnyView {
    let current = match who {
        TaskAssignee::Responsible => String::new(),
        TaskAssignee::Main => "main".to_owned(),
        TaskAssignee::User(user) => user.0.to_string(),
    };
    view! {
        <select name="assignee" on:change=move |ev| {
            let value = event_target_value(&ev);
            set(if value == "main" {
                TaskAssignee::Main
            } else {
                value.parse().ok().map_or(TaskAssignee::Responsible, |id| TaskAssignee::User(UserId(id)))
            });
        }>
            <option value="" selected=current.is_empty()>{t_string!(i18n, automation.the_responsible).to_string()}</option>
            <option value="main" selected=current == "main">{t_string!(i18n, automation.the_main).to_string()}</option>
            {users.iter().map(|(id, name)| {
                let value = id.0.to_string();
                let selected = value == current;
                view! { <option value=value selected=selected>{name.clone()}</option> }
            }).collect_view()}
        </select>
    }
    .into_any()
}

#[component]
fn ActionRow(
    index: usize,
    actions: RwSignal<Vec<Action>>,
    choices: Memo<Choices>,
) -> impl IntoView {
    let i18n = use_i18n();
    let current = Memo::new(move |_| actions.with(|list| list.get(index).cloned()));
    let set = move |action: Action| {
        actions.update(|list| {
            if let Some(slot) = list.get_mut(index) {
                *slot = action;
            }
        });
    };
    let kind = Memo::new(move |_| current.get().map_or("assign", |a| action_kind(&a)));
    view! {
        <li class="rule-row-edit" data-testid="action-row">
            <div class="rule-row-head">
                <select name="action_kind" aria-label=move || t_string!(i18n, automation.action).to_string()
                    on:change=move |ev| {
                        let action = choices.with(|c| new_action(&event_target_value(&ev), c));
                        set(action);
                    }>
                    {ACTION_KINDS.iter().map(|code| view! {
                        <option value=*code selected=move || kind.get() == *code>{move || action_label(i18n, code)}</option>
                    }).collect_view()}
                </select>
                <button type="button" class="btn btn-small" aria-label=move || t_string!(i18n, automation.up).to_string()
                    disabled=index == 0
                    on:click=move |_| actions.update(|list| if index > 0 && index < list.len() { list.swap(index - 1, index); })>"↑"</button>
                <button type="button" class="btn btn-small" aria-label=move || t_string!(i18n, automation.down).to_string()
                    on:click=move |_| actions.update(|list| if index + 1 < list.len() { list.swap(index, index + 1); })>"↓"</button>
                <button type="button" class="btn btn-small btn-danger-ghost"
                    on:click=move |_| actions.update(|list| { if index < list.len() { list.remove(index); } })>
                    {t!(i18n, automation.remove)}
                </button>
            </div>
            {move || {
                let c = choices.get();
                let Some(action) = current.get() else { return ().into_any() };
                match action {
                    Action::Assign { department_id, strategy, cap } => view! {
                        <div class="field-row">
                            <label class="field">
                                <span>{t!(i18n, automation.department)}</span>
                                {id_select("assign_department", c.departments.iter().map(|(id, n)| (id.0, n.clone())).collect(),
                                    Some(department_id.0), None,
                                    move |id| if let Some(id) = id { set(Action::Assign { department_id: DepartmentId(id), strategy, cap }); })}
                            </label>
                            <label class="field">
                                <span>{t!(i18n, automation.strategy)}</span>
                                <select name="assign_strategy" on:change=move |ev| {
                                    let strategy = match event_target_value(&ev).as_str() {
                                        "random" => AssignStrategy::Random,
                                        "least_loaded" => AssignStrategy::LeastLoaded,
                                        _ => AssignStrategy::RoundRobin,
                                    };
                                    set(Action::Assign { department_id, strategy, cap });
                                }>
                                    <option value="round_robin" selected=strategy == AssignStrategy::RoundRobin>{t!(i18n, automation.round_robin)}</option>
                                    <option value="random" selected=strategy == AssignStrategy::Random>{t!(i18n, automation.random)}</option>
                                    <option value="least_loaded" selected=strategy == AssignStrategy::LeastLoaded>{t!(i18n, automation.least_loaded)}</option>
                                </select>
                            </label>
                            <label class="field">
                                <span>{t!(i18n, automation.cap)}</span>
                                {minutes_input("assign_cap", cap, move |cap| set(Action::Assign { department_id, strategy, cap }))}
                            </label>
                        </div>
                    }.into_any(),
                    Action::CreateTask { title, due_minutes, assignee, on_main_deal } => {
                        let title_now = title.clone();
                        let title_for_due = title.clone();
                        let title_for_who = title.clone();
                        let title_for_main = title.clone();
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.task_title)}</span>
                                    <input type="text" name="task_title" maxlength="2000" prop:value=title_now
                                        on:change=move |ev| set(Action::CreateTask { title: event_target_value(&ev), due_minutes, assignee, on_main_deal }) />
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.due_minutes)}</span>
                                    {minutes_input("task_due", Some(due_minutes), move |m| set(Action::CreateTask { title: title_for_due.clone(), due_minutes: m.unwrap_or(0), assignee, on_main_deal }))}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.assignee)}</span>
                                    {assignee_select(i18n, &c.users, assignee, move |who| set(Action::CreateTask { title: title_for_who.clone(), due_minutes, assignee: who, on_main_deal }))}
                                </label>
                            </div>
                            <label class="check">
                                <input type="checkbox" name="on_main_deal" prop:checked=on_main_deal
                                    on:change=move |ev| set(Action::CreateTask { title: title_for_main.clone(), due_minutes, assignee, on_main_deal: event_target_checked(&ev) }) />
                                {t!(i18n, automation.on_main_deal)}
                            </label>
                        }.into_any()
                    }
                    Action::Move { stage_id, comment } => {
                        let comment_now = comment.clone();
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.stage)}</span>
                                    {id_select("move_stage", stage_options(&c), Some(stage_id.0), None,
                                        move |id| if let Some(id) = id { set(Action::Move { stage_id: StageId(id), comment: comment.clone() }); })}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.comment)}</span>
                                    <input type="text" name="move_comment" maxlength="2000" prop:value=comment_now
                                        on:change=move |ev| set(Action::Move { stage_id, comment: event_target_value(&ev) }) />
                                </label>
                            </div>
                        }.into_any()
                    }
                    Action::Comment { text } => view! {
                        <label class="field">
                            <span>{t!(i18n, automation.text)}</span>
                            <textarea name="comment_text" maxlength="2000" rows="2" prop:value=text
                                on:change=move |ev| set(Action::Comment { text: event_target_value(&ev) })></textarea>
                        </label>
                    }.into_any(),
                    Action::Notify { to, text } => {
                        let text_now = text.clone();
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.whom)}</span>
                                    {assignee_select(i18n, &c.users, to, move |who| set(Action::Notify { to: who, text: text.clone() }))}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.text)}</span>
                                    <input type="text" name="notify_text" maxlength="2000" prop:value=text_now
                                        on:change=move |ev| set(Action::Notify { to, text: event_target_value(&ev) }) />
                                </label>
                            </div>
                        }.into_any()
                    }
                    Action::SetField { field_id, values } => {
                        let values_now = values.join(", ");
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.field)}</span>
                                    {id_select("set_field", field_options(&c), Some(field_id.0), None,
                                        move |id| if let Some(id) = id { set(Action::SetField { field_id: CustomFieldId(id), values: values.clone() }); })}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.values)}</span>
                                    <input type="text" name="set_values" maxlength="2000" prop:value=values_now
                                        on:change=move |ev| set(Action::SetField {
                                            field_id,
                                            values: event_target_value(&ev).split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect(),
                                        }) />
                                </label>
                            </div>
                        }.into_any()
                    }
                    Action::PickPerValue { field_id, departments, strategy } => {
                        let options = c.fields.iter().find(|f| f.id == field_id).map(|f| f.options.clone()).unwrap_or_default();
                        let department_options: Vec<(i32, String)> = c.departments.iter().map(|(id, n)| (id.0, n.clone())).collect();
                        let mapping = StoredValue::new(departments.clone());
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.field)}</span>
                                    {id_select("pick_field", field_options(&c), Some(field_id.0), None,
                                        move |id| if let Some(id) = id { set(Action::PickPerValue { field_id: CustomFieldId(id), departments: Vec::new(), strategy }); })}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.strategy)}</span>
                                    <select name="pick_strategy" on:change=move |ev| {
                                        let strategy = match event_target_value(&ev).as_str() {
                                            "round_robin" => AssignStrategy::RoundRobin,
                                            "least_loaded" => AssignStrategy::LeastLoaded,
                                            _ => AssignStrategy::Random,
                                        };
                                        set(Action::PickPerValue { field_id, departments: mapping.get_value(), strategy });
                                    }>
                                        <option value="random" selected=strategy == AssignStrategy::Random>{t!(i18n, automation.random)}</option>
                                        <option value="round_robin" selected=strategy == AssignStrategy::RoundRobin>{t!(i18n, automation.round_robin)}</option>
                                        <option value="least_loaded" selected=strategy == AssignStrategy::LeastLoaded>{t!(i18n, automation.least_loaded)}</option>
                                    </select>
                                </label>
                            </div>
                            <p class="muted small">{t!(i18n, automation.per_value_hint)}</p>
                            <div class="value-departments">
                                {options.into_iter().map(|value| {
                                    let current = departments.iter().find(|d| d.value == value).map(|d| d.department_id.0);
                                    let label = value.clone();
                                    view! {
                                        <label class="field">
                                            <span>{label}</span>
                                            {id_select("value_department", department_options.clone(), current,
                                                Some("—".to_owned()),
                                                move |id| {
                                                    let mut list = mapping.get_value();
                                                    list.retain(|d| d.value != value);
                                                    if let Some(id) = id {
                                                        list.push(ValueDepartment { value: value.clone(), department_id: DepartmentId(id) });
                                                    }
                                                    set(Action::PickPerValue { field_id, departments: list, strategy });
                                                })}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Action::PickMain => view! { <p class="muted small">{t!(i18n, automation.pick_main_hint)}</p> }.into_any(),
                    Action::CreateDeals { pipeline_id, title, note } => {
                        let title_now = title.clone();
                        let note_now = note.clone();
                        let title_for_pipeline = title.clone();
                        let note_for_pipeline = note.clone();
                        let note_for_title = note.clone();
                        view! {
                            <div class="field-row">
                                <label class="field">
                                    <span>{t!(i18n, automation.pipeline)}</span>
                                    {id_select("deals_pipeline", c.pipelines.iter().map(|(id, n)| (id.0, n.clone())).collect(),
                                        Some(pipeline_id.0), None,
                                        move |id| if let Some(id) = id { set(Action::CreateDeals { pipeline_id: PipelineId(id), title: title_for_pipeline.clone(), note: note_for_pipeline.clone() }); })}
                                </label>
                                <label class="field">
                                    <span>{t!(i18n, automation.deal_title)}</span>
                                    <input type="text" name="deals_title" maxlength="200" prop:value=title_now
                                        on:change=move |ev| set(Action::CreateDeals { pipeline_id, title: event_target_value(&ev), note: note_for_title.clone() }) />
                                </label>
                            </div>
                            <label class="field">
                                <span>{t!(i18n, automation.deal_note)}</span>
                                <textarea name="deals_note" maxlength="2000" rows="3" prop:value=note_now
                                    on:change=move |ev| set(Action::CreateDeals { pipeline_id, title: title.clone(), note: event_target_value(&ev) })></textarea>
                            </label>
                            <p class="muted small">{t!(i18n, automation.placeholders, list = shared::automation::PLACEHOLDERS.join(" "))}</p>
                        }.into_any()
                    }
                    Action::Wait { minutes } => view! {
                        <label class="field">
                            <span>{t!(i18n, automation.minutes)}</span>
                            {minutes_input("wait_minutes", Some(minutes), move |m| set(Action::Wait { minutes: m.unwrap_or(0) }))}
                        </label>
                    }.into_any(),
                    Action::Stop => ().into_any(),
                }
            }}
        </li>
    }
}

#[component]
fn TestRun(id: RuleId, actions: Vec<Action>) -> impl IntoView {
    let i18n = use_i18n();
    let deal = RwSignal::new(String::new());
    let test = ServerAction::<TestRule>::new();
    let error = Signal::derive(move || test.value().get().and_then(Result::err));
    let actions = StoredValue::new(actions);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(deal_id) = deal.get_untracked().trim().parse() {
            test.dispatch(TestRule { id, deal_id });
        }
    };
    view! {
        <form class="card form rule-test" novalidate on:submit=submit>
            <h2>{t!(i18n, automation.test_run)}</h2>
            <p class="muted small">{t!(i18n, automation.test_note)}</p>
            <div class="field-row">
                <label class="field">
                    <span>{t!(i18n, automation.deal_number)}</span>
                    <input type="number" name="deal_id" min="1" inputmode="numeric"
                        prop:value=move || deal.get() on:input=move |ev| deal.set(event_target_value(&ev)) />
                </label>
                <div class="form-actions">
                    <button type="submit" class="btn" disabled=move || test.pending().get()>{t!(i18n, automation.run_test)}</button>
                </div>
            </div>
            <FormError error />
            {move || test.value().get().and_then(Result::ok).map(|log| view! {
                <ul class="run-log" data-testid="test-log">
                    {log.iter().map(|entry| view! {
                        <li>{actions.with_value(|a| log_line(i18n, entry, Some(a)))}</li>
                    }).collect_view()}
                </ul>
            })}
        </form>
    }
}
