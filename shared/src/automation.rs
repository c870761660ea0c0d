//! Automation rules: a trigger (something happened to a deal, or it stayed too long in a
//! stage), conditions on the deal, and actions that go through the same use cases as a
//! person's (assign, task, move, comment, notify, set a field, wait). Rules fire from the
//! event log, so a change made by any path triggers them; each firing is a run, logged
//! step by step and executed by the job queue (waits survive restarts).

mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{
    DealFacts, evaluate, fill_placeholders, pick_least_loaded, pick_random, pick_round_robin,
    trigger_matches, value_parts,
};
pub use types::{
    Action, AssignStrategy, CONDITIONS_MAX, Condition, DEPTH_LIMIT_DEFAULT, LogEntry, NAME_MAX,
    NumberOp, PLACEHOLDERS, RuleDefinition, RuleId, RuleInput, RuleView, RunContext, RunId,
    RunState, RunView, TEXT_MAX, TaskAssignee, TextOp, Trigger, TriggerField, ValueDepartment,
    WAIT_MINUTES_MAX, validate,
};
