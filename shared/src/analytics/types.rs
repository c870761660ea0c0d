//! Wire types of the analytics dashboards, shared by the page and the server functions
//! (and the REST API to come).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::pipeline::{PipelineId, PipelineView, StageId, StageKind};
use crate::user::UserId;

/// Days in the period when the filter names none: the last 30, today included.
pub const DEFAULT_PERIOD_DAYS: u32 = 30;

/// What the dashboards look at; lives in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsFilter {
    /// `None`: the first pipeline.
    pub pipeline: Option<PipelineId>,
    /// First day of the period (UTC), inclusive; `None`: `DEFAULT_PERIOD_DAYS` before `to`.
    pub from: Option<NaiveDate>,
    /// Last day of the period (UTC), inclusive; `None`: today.
    pub to: Option<NaiveDate>,
    /// Moves into or out of this department's stages.
    pub department: Option<DepartmentId>,
    /// Deals this employee is responsible for.
    pub employee: Option<UserId>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    /// Count the visits still going on, up to now, in the time in stage.
    pub include_open: bool,
    /// How the trends group days.
    pub granularity: Granularity,
}

/// The span of one point of a trend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    /// Weeks start on Monday.
    Week,
    Month,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Granularity::Day, Granularity::Week, Granularity::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Granularity> {
        Granularity::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// One stage of the funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelStage {
    pub stage: StageId,
    pub name: String,
    pub kind: StageKind,
    /// Distinct deals that entered the stage in the period.
    pub entered: u64,
    /// Of the deals created in the period, how many have reached this stage by now
    /// (the base of the conversions).
    pub reached: u64,
    /// Deals that went from this stage to a lost stage in the period.
    pub lost_here: u64,
    /// Deals that went from this stage to an archive stage in the period.
    pub archived_here: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub stages: Vec<FunnelStage>,
    /// Deals created in the period (the cohort `reached` counts from).
    pub created: u64,
}

/// Durations of the visits to one stage or department, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationStats {
    pub visits: u64,
    pub mean: i64,
    pub median: i64,
    pub p90: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTimeRow {
    pub stage: StageId,
    pub name: String,
    pub department: Option<DepartmentId>,
    pub stats: DurationStats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentTime {
    /// `None`: stages without a department.
    pub department: Option<DepartmentId>,
    pub name: String,
    pub stats: DurationStats,
}

/// Returns out of one stage against all the moves out of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReturns {
    pub stage: StageId,
    pub name: String,
    pub exits: u64,
    pub returns: u64,
}

/// Returns from one stage to an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRoute {
    pub from: StageId,
    pub from_name: String,
    pub to: StageId,
    pub to_name: String,
    pub count: u64,
}

/// An employee's part in the returns: how many they sent back and how many of the deals
/// they had passed on came back to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonReturns {
    pub user: UserId,
    pub name: String,
    pub returned: u64,
    pub came_back: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReason {
    pub reason: String,
    pub count: u64,
}

/// Everything the analytics page shows for one filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsView {
    pub pipeline: PipelineView,
    /// The filter as applied: the pipeline and the period filled in.
    pub filter: AnalyticsFilter,
    /// The server's date, for the period presets.
    pub today: NaiveDate,
    pub funnel: Funnel,
    pub time_by_stage: Vec<StageTimeRow>,
    pub time_by_department: Vec<DepartmentTime>,
    pub returns_by_stage: Vec<StageReturns>,
    pub return_routes: Vec<ReturnRoute>,
    pub returns_by_person: Vec<PersonReturns>,
    pub return_reasons: Vec<ReturnReason>,
}

/// An employee's work in the period and their load now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWork {
    pub user: UserId,
    pub name: String,
    /// Deals in an open stage they are responsible for now.
    pub open_now: u64,
    /// Moves they made out of a stage that were not returns (on, won, lost, archived).
    pub passed_on: u64,
    /// Returns for rework they made.
    pub returned: u64,
    /// Returns to a stage they had passed the deal on from.
    pub came_back: u64,
    /// Visits they closed after the stage's SLA had run out.
    pub sla_breaches: u64,
    /// How long the deals they moved had been in the stage they moved them out of.
    pub processing: DurationStats,
}

/// A department's work in the period (moves out of and back into its stages) and its
/// load now (deals in its stages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentWork {
    /// `None`: stages without a department.
    pub department: Option<DepartmentId>,
    pub name: String,
    pub open_now: u64,
    pub in_breach_now: u64,
    pub passed_on: u64,
    /// Returns for rework sent from its stages.
    pub returned: u64,
    /// Returns for rework that came back into its stages.
    pub came_back: u64,
    pub sla_breaches: u64,
    /// Time in its stages, every visit counted.
    pub processing: DurationStats,
}

/// The people and departments dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub pipeline: PipelineView,
    pub filter: AnalyticsFilter,
    pub today: NaiveDate,
    /// Days in the period, the base of the per-day throughput.
    pub days: u32,
    pub people: Vec<PersonWork>,
    pub departments: Vec<DepartmentWork>,
}

/// SLA figures of one stage (only stages with an SLA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSla {
    pub stage: StageId,
    pub name: String,
    pub department: Option<DepartmentId>,
    pub sla_seconds: i64,
    /// Visits that ended in the period.
    pub closed_visits: u64,
    /// Of those, how many ran over the SLA.
    pub breaches: u64,
    /// Deals in the stage now whose SLA has run out.
    pub in_breach_now: u64,
}

/// Breaches of visits that ended in one span of the period, in total and per department
/// (`None`: stages without a department).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPoint {
    pub start: NaiveDate,
    pub closed_visits: u64,
    pub breaches: u64,
    pub by_department: Vec<(Option<DepartmentId>, u64)>,
}

/// A deal whose stage SLA has run out, as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachedDeal {
    pub deal: DealId,
    pub title: String,
    pub stage: StageId,
    pub stage_name: String,
    pub responsible: Option<String>,
    pub entered_at: DateTime<Utc>,
    /// Seconds past the SLA.
    pub overdue: i64,
}

/// The SLA dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaView {
    pub pipeline: PipelineView,
    pub filter: AnalyticsFilter,
    pub today: NaiveDate,
    pub stages: Vec<StageSla>,
    /// Departments with an SLA stage; names in `pipeline` order of first appearance.
    pub departments: Vec<(Option<DepartmentId>, String)>,
    pub over_time: Vec<SlaPoint>,
    /// The deals longest past their SLA, most overdue first.
    pub in_breach: Vec<BreachedDeal>,
    /// All deals in breach now (the list shows at most `BREACH_LIST_LEN`).
    pub in_breach_total: u64,
}

/// The most overdue deals the SLA dashboard lists.
pub const BREACH_LIST_LEN: usize = 25;

/// Each figure over one span of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub start: NaiveDate,
    /// Deals created.
    pub created: u64,
    /// Moves out of a stage that were not returns.
    pub passed_on: u64,
    pub returns: u64,
    pub won: u64,
    pub lost: u64,
    pub sla_breaches: u64,
    /// Visits that ended in the span.
    pub time_in_stage: DurationStats,
}

/// The trends dashboard: a point per day, week or month of the period, empty ones too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendsView {
    pub pipeline: PipelineView,
    pub filter: AnalyticsFilter,
    pub today: NaiveDate,
    pub points: Vec<TrendPoint>,
}

/// What happened in a span of time over every pipeline a person may see, and what is
/// stuck now: the figures of the evening digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySummary {
    pub created: u64,
    /// Moves out of a stage that were not returns.
    pub passed_on: u64,
    pub returns: u64,
    pub won: u64,
    pub lost: u64,
    /// Visits that ended in the span after their SLA had run out.
    pub sla_breaches: u64,
    /// Deals past their stage's SLA now.
    pub in_breach_now: u64,
    /// The most overdue of them, with their pipeline's name.
    pub stuck: Vec<(String, BreachedDeal)>,
}
