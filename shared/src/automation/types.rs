//! The rule model, shared by the editor, the engine and (later) the API, and the bounds a
//! rule must keep before anything is stored.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::custom_field::CustomFieldId;
use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::error::{AppError, Field, Rule};
use crate::pipeline::{PipelineId, StageId};
use crate::user::UserId;

/// A rule's name, in characters.
pub const NAME_MAX: usize = 100;
/// A task title, a comment, a notification, a value, in characters.
pub const TEXT_MAX: usize = 2_000;
/// Conditions in one rule, counting every nested one.
pub const CONDITIONS_MAX: usize = 50;
/// How deep `all` / `any` / `not` may nest.
const NESTING_MAX: usize = 5;
/// Actions in one rule.
const ACTIONS_MAX: usize = 20;
/// Ids one condition may list.
const IDS_MAX: usize = 100;
/// The longest wait, time in stage or task delay: a year.
pub const WAIT_MINUTES_MAX: u32 = 365 * 24 * 60;
/// A rule chain stops when an event is this many rule runs deep.
pub const DEPTH_LIMIT_DEFAULT: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleId(pub i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunId(pub i64);

/// What starts a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A deal was created in the rule's pipeline.
    DealCreated,
    /// A deal entered a stage (by a move, a return, or created in it); any stage when
    /// `stage_id` is empty.
    StageEntered { stage_id: Option<StageId> },
    /// A deal left a stage; any stage when `stage_id` is empty.
    StageLeft { stage_id: Option<StageId> },
    /// A field changed; to a value when `to` is set (a multi-select: the value ticked).
    FieldChanged {
        field: TriggerField,
        to: Option<String>,
    },
    /// A deal stayed in a stage longer than `minutes`, or than the stage's SLA when empty.
    TimeInStage {
        stage_id: StageId,
        minutes: Option<u32>,
    },
    /// A task on a deal came due while still open.
    TaskDue,
}

/// A field a trigger watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TriggerField {
    Title,
    Amount,
    Responsible,
    Client,
    Custom(CustomFieldId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberOp {
    Lt,
    Lte,
    Eq,
    Gte,
    Gt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOp {
    /// The whole value (one of a multi-select's alone), ignoring case.
    Equals,
    /// A part of the text, ignoring case.
    Contains,
    /// One of a multi-select's values (or the value itself).
    Includes,
    IsEmpty,
    IsSet,
}

/// A test on the deal; a rule runs its actions when all of its conditions hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    All {
        of: Vec<Condition>,
    },
    Any {
        of: Vec<Condition>,
    },
    Not {
        of: Box<Condition>,
    },
    StageIn {
        stage_ids: Vec<StageId>,
    },
    /// The department of the deal's stage.
    DepartmentIn {
        department_ids: Vec<DepartmentId>,
    },
    ResponsibleIn {
        user_ids: Vec<UserId>,
    },
    Unassigned,
    Amount {
        op: NumberOp,
        value: Decimal,
    },
    Title {
        op: TextOp,
        value: String,
    },
    HasClient,
    MinutesInStage {
        op: NumberOp,
        minutes: u32,
    },
    Custom {
        field_id: CustomFieldId,
        op: TextOp,
        value: String,
    },
}

/// How `Assign` picks among a department's active members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignStrategy {
    Random,
    /// In turn, by the last one this rule picked in the department (kept in the database,
    /// so fair across restarts).
    RoundRobin,
    /// The fewest open deals.
    LeastLoaded,
}

/// Whom a task or a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "user_id", rename_all = "snake_case")]
pub enum TaskAssignee {
    /// The deal's responsible at that step.
    Responsible,
    User(UserId),
    /// The main manager an earlier `PickMain` of the run chose.
    Main,
}

/// The department that takes one value of a multi-select field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueDepartment {
    pub value: String,
    pub department_id: DepartmentId,
}

/// What a run's steps picked, for its later steps (kept across waits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunContext {
    /// People picked by `PickPerValue`, each with the values they take.
    #[serde(default)]
    pub picked: Vec<(UserId, Vec<String>)>,
    #[serde(default)]
    pub main: Option<UserId>,
    /// Deals `CreateDeals` made.
    #[serde(default)]
    pub created: Vec<DealId>,
}

/// The words a text of a rule may hold, filled in when it runs: the source deal's title,
/// its client, the people picked (with what they take), the main manager, the deal's
/// newest comment and its responsible.
pub const PLACEHOLDERS: [&str; 6] = [
    "{deal}",
    "{client}",
    "{managers}",
    "{main}",
    "{comment}",
    "{responsible}",
];

/// One step of a rule; every one goes through the use case a person's action would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Makes a department's member responsible, skipping inactive users and, with a cap,
    /// those with that many open deals or more.
    Assign {
        department_id: DepartmentId,
        strategy: AssignStrategy,
        cap: Option<u32>,
    },
    CreateTask {
        title: String,
        due_minutes: u32,
        assignee: TaskAssignee,
        /// On the deal this run made for the main manager instead of the rule's deal.
        #[serde(default)]
        on_main_deal: bool,
    },
    /// Moves the deal; the stage rules apply as to anyone.
    Move {
        stage_id: StageId,
        comment: String,
    },
    Comment {
        text: String,
    },
    Notify {
        to: TaskAssignee,
        text: String,
    },
    /// Sets a custom field (several values for a multi-select; none clears it).
    SetField {
        field_id: CustomFieldId,
        values: Vec<String>,
    },
    /// For each value ticked in a multi-select field, picks a person in the department that
    /// takes that value (one person per department; the deal's responsible is unchanged).
    PickPerValue {
        field_id: CustomFieldId,
        departments: Vec<ValueDepartment>,
        strategy: AssignStrategy,
    },
    /// Picks the main manager at random among the people the run picked.
    PickMain,
    /// Makes one deal in a pipeline for each person the run picked (their responsible, the
    /// same client), with `note` as its first comment; both texts take the placeholders.
    CreateDeals {
        pipeline_id: PipelineId,
        title: String,
        note: String,
    },
    /// Goes on with the next action after a pause.
    Wait {
        minutes: u32,
    },
    Stop,
}

impl Action {
    /// The stable name of the action's kind (`assign`, `create_task`...).
    pub fn code(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::PickPerValue { .. } => "pick_per_value",
            Action::PickMain => "pick_main",
            Action::CreateDeals { .. } => "create_deals",
            Action::CreateTask { .. } => "create_task",
            Action::Move { .. } => "move",
            Action::Comment { .. } => "comment",
            Action::Notify { .. } => "notify",
            Action::SetField { .. } => "set_field",
            Action::Wait { .. } => "wait",
            Action::Stop => "stop",
        }
    }
}

/// What a rule does, as one version stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDefinition {
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

/// A rule as the editor sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub pipeline_id: PipelineId,
    pub enabled: bool,
    /// Whether the rule's own changes may trigger it again (off by default).
    #[serde(default)]
    pub retrigger_self: bool,
    pub definition: RuleDefinition,
}

/// A rule as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: RuleId,
    pub name: String,
    pub pipeline_id: PipelineId,
    pub pipeline_name: String,
    pub enabled: bool,
    pub retrigger_self: bool,
    /// The current version; editing makes a new one.
    pub version: i32,
    pub definition: RuleDefinition,
    pub last_run: Option<(RunState, DateTime<Utc>)>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Waiting for a worker, or for a `Wait` or time-in-stage moment.
    Queued,
    Done,
    /// Its conditions did not hold (or the deal left the stage before its time came).
    Skipped,
    /// An action was refused or the run failed on every attempt; nothing of its last
    /// step was kept.
    Failed,
    /// The event was too deep in a chain of rules.
    Halted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Done => "done",
            RunState::Skipped => "skipped",
            RunState::Failed => "failed",
            RunState::Halted => "halted",
        }
    }

    pub fn parse(text: &str) -> Option<RunState> {
        [
            RunState::Queued,
            RunState::Done,
            RunState::Skipped,
            RunState::Failed,
            RunState::Halted,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    pub fn finished(self) -> bool {
        self != RunState::Queued
    }
}

/// One line of a run's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEntry {
    /// A top-level condition and whether it held.
    Condition { index: usize, passed: bool },
    /// An action done, with what it changed in words of the record ("Anna Petrova",
    /// "Scoring", a task's title).
    Action {
        index: usize,
        /// The action's `Action::code`.
        #[serde(default)]
        action: String,
        done: String,
        at: DateTime<Utc>,
    },
    /// The run sleeps until `until`.
    Waiting { index: usize, until: DateTime<Utc> },
    /// An action was refused; the step's changes were undone.
    Refused {
        index: usize,
        #[serde(default)]
        action: String,
        error: AppError,
    },
    /// The deal left the stage (or re-entered it) before its time in stage was up.
    LeftStage,
    /// The event that triggered the run was `depth` rules deep.
    DepthLimit { depth: u8 },
    /// The run failed on its last attempt for a reason outside the rule.
    Crashed { message: String },
    /// A dry run: nothing was kept.
    DryRun,
}

/// A run as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: RunId,
    pub rule_id: RuleId,
    pub rule_name: String,
    pub rule_version: i32,
    pub deal_id: DealId,
    pub deal_title: String,
    /// What triggered it (`deal.moved`, `time_in_stage`...).
    pub trigger: String,
    pub state: RunState,
    pub depth: u8,
    pub log: Vec<LogEntry>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Checks a rule's shape and bounds (the ids are checked against the database by the
/// service). O(size of the rule), before any work.
pub fn validate(input: &RuleInput) -> Result<(), AppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    too_long(Field::Name, name, NAME_MAX)?;
    let definition = &input.definition;
    match &definition.trigger {
        Trigger::FieldChanged { to: Some(to), .. } => too_long(Field::Trigger, to, TEXT_MAX)?,
        Trigger::TimeInStage {
            minutes: Some(minutes),
            ..
        } => minutes_in_range(Field::Trigger, *minutes)?,
        _ => {}
    }
    let mut count = 0;
    for condition in &definition.conditions {
        check_condition(condition, 1, &mut count)?;
    }
    if definition.actions.is_empty() {
        return Err(AppError::validation(Field::Actions, Rule::Required));
    }
    if definition.actions.len() > ACTIONS_MAX {
        return Err(AppError::validation(
            Field::Actions,
            Rule::TooMany { max: ACTIONS_MAX },
        ));
    }
    for action in &definition.actions {
        check_action(action)?;
    }
    Ok(())
}

fn check_condition(condition: &Condition, depth: usize, count: &mut usize) -> Result<(), AppError> {
    *count += 1;
    if *count > CONDITIONS_MAX {
        return Err(AppError::validation(
            Field::Conditions,
            Rule::TooMany {
                max: CONDITIONS_MAX,
            },
        ));
    }
    if depth > NESTING_MAX {
        return Err(AppError::validation(
            Field::Conditions,
            Rule::TooBig {
                max: NESTING_MAX as u64,
            },
        ));
    }
    let ids = |len: usize| {
        if len == 0 {
            Err(AppError::validation(Field::Conditions, Rule::Required))
        } else if len > IDS_MAX {
            Err(AppError::validation(
                Field::Conditions,
                Rule::TooMany { max: IDS_MAX },
            ))
        } else {
            Ok(())
        }
    };
    match condition {
        Condition::All { of } | Condition::Any { of } => {
            if of.is_empty() {
                return Err(AppError::validation(Field::Conditions, Rule::Required));
            }
            for inner in of {
                check_condition(inner, depth + 1, count)?;
            }
            Ok(())
        }
        Condition::Not { of } => check_condition(of, depth + 1, count),
        Condition::StageIn { stage_ids } => ids(stage_ids.len()),
        Condition::DepartmentIn { department_ids } => ids(department_ids.len()),
        Condition::ResponsibleIn { user_ids } => ids(user_ids.len()),
        Condition::Title { value, .. } | Condition::Custom { value, .. } => {
            too_long(Field::Conditions, value, TEXT_MAX)
        }
        Condition::MinutesInStage { minutes, .. } => {
            if *minutes > WAIT_MINUTES_MAX {
                Err(AppError::validation(
                    Field::Conditions,
                    Rule::TooBig {
                        max: u64::from(WAIT_MINUTES_MAX),
                    },
                ))
            } else {
                Ok(())
            }
        }
        Condition::Amount { value, .. } => {
            if value.is_sign_negative() {
                Err(AppError::validation(Field::Conditions, Rule::InvalidAmount))
            } else {
                Ok(())
            }
        }
        Condition::Unassigned | Condition::HasClient => Ok(()),
    }
}

fn check_action(action: &Action) -> Result<(), AppError> {
    match action {
        Action::CreateTask {
            title, due_minutes, ..
        } => {
            required_text(Field::Title, title)?;
            if *due_minutes > WAIT_MINUTES_MAX {
                return Err(AppError::validation(
                    Field::DueAt,
                    Rule::TooBig {
                        max: u64::from(WAIT_MINUTES_MAX),
                    },
                ));
            }
            Ok(())
        }
        Action::Move { comment, .. } => too_long(Field::Comment, comment, TEXT_MAX),
        Action::Comment { text } | Action::Notify { text, .. } => {
            required_text(Field::Comment, text)
        }
        Action::SetField { values, .. } => {
            if values.len() > crate::limits::CUSTOM_INPUTS_MAX {
                return Err(AppError::validation(
                    Field::CustomField,
                    Rule::TooMany {
                        max: crate::limits::CUSTOM_INPUTS_MAX,
                    },
                ));
            }
            values
                .iter()
                .try_for_each(|value| too_long(Field::CustomField, value, TEXT_MAX))
        }
        Action::Wait { minutes } => {
            if *minutes == 0 {
                return Err(AppError::validation(Field::Actions, Rule::MustBePositive));
            }
            minutes_in_range(Field::Actions, *minutes)
        }
        Action::Assign { cap, .. } => match cap {
            Some(0) => Err(AppError::validation(Field::Actions, Rule::MustBePositive)),
            _ => Ok(()),
        },
        Action::PickPerValue { departments, .. } => {
            if departments.is_empty() {
                return Err(AppError::validation(Field::Departments, Rule::Required));
            }
            if departments.len() > IDS_MAX {
                return Err(AppError::validation(
                    Field::Departments,
                    Rule::TooMany { max: IDS_MAX },
                ));
            }
            departments
                .iter()
                .try_for_each(|d| too_long(Field::CustomField, &d.value, TEXT_MAX))
        }
        Action::CreateDeals { title, note, .. } => {
            required_text(Field::Title, title)?;
            too_long(Field::Comment, note, TEXT_MAX)
        }
        Action::PickMain | Action::Stop => Ok(()),
    }
}

fn minutes_in_range(field: Field, minutes: u32) -> Result<(), AppError> {
    if minutes == 0 {
        Err(AppError::validation(field, Rule::MustBePositive))
    } else if minutes > WAIT_MINUTES_MAX {
        Err(AppError::validation(
            field,
            Rule::TooBig {
                max: u64::from(WAIT_MINUTES_MAX),
            },
        ))
    } else {
        Ok(())
    }
}

fn required_text(field: Field, text: &str) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::validation(field, Rule::Required));
    }
    too_long(field, text, TEXT_MAX)
}

fn too_long(field: Field, text: &str, max: usize) -> Result<(), AppError> {
    // Counting stops past the bound: a huge text costs no more than a long one.
    if text.chars().nth(max).is_some() {
        Err(AppError::validation(field, Rule::TooLong { max }))
    } else {
        Ok(())
    }
}
