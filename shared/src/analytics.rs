//! Analytics over the ledger: the funnel, time in stage per stage and department (every
//! visit counted, open visits up to now on request), returns for rework, people and
//! departments, SLA breaches and trends by day, week or month. Aggregation
//! runs in SQL (`service`), over daily rollups of the ledger kept by a trigger where no
//! condition is on the deal; the arithmetic that needs no database (percentiles from order
//! statistics or duration bins, rates) lives in `rules`, unit-tested.

mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{
    Bin, DurationSummary, bucket_count, bucket_start, buckets, check_period, duration_bin,
    epoch_day, from_epoch_day, percentile, percentile_ranks, rate,
};
pub use types::{
    AnalyticsFilter, AnalyticsView, BREACH_LIST_LEN, BreachedDeal, DEFAULT_PERIOD_DAYS, DaySummary,
    DepartmentTime, DepartmentWork, DurationStats, Funnel, FunnelStage, Granularity, PersonReturns,
    PersonWork, ReturnReason, ReturnRoute, SlaPoint, SlaView, StageReturns, StageSla, StageTimeRow,
    TeamView, TrendPoint, TrendsView,
};
