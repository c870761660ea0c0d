//! The one durable job queue: background work (task reminders, the evening digest, and
//! later webhooks, imports and automation steps) is a row in `jobs`, claimed by one worker
//! at a time with a lease, retried with growing pauses, and listed for administrators.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod queue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobId(pub i64);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its time.
    Queued,
    /// A worker holds it (until its lease ends).
    Running,
    /// Its last attempt failed; it runs again at `run_at`.
    Failed,
    /// It failed every attempt; only "run again" revives it.
    Dead,
    Done,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Failed,
        JobState::Dead,
        JobState::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
            JobState::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether an administrator may run it again now.
    pub fn can_rerun(self) -> bool {
        matches!(self, JobState::Failed | JobState::Dead)
    }
}

/// A job as the administrators' page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The administrators' jobs page: how many are in each state, and the newest of the one
/// state asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsPage {
    pub counts: Vec<(JobState, u64)>,
    pub state: Option<JobState>,
    pub jobs: Vec<JobView>,
}

/// The pause before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
/// 10 s, 40 s, 160 s, ... at most an hour.
pub fn backoff_seconds(attempt: i32) -> i64 {
    let exponent = attempt.clamp(1, 10) - 1;
    (10_i64 << (2 * exponent)).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_fourfold_up_to_an_hour() {
        assert_eq!(backoff_seconds(1), 10);
        assert_eq!(backoff_seconds(2), 40);
        assert_eq!(backoff_seconds(3), 160);
        assert_eq!(backoff_seconds(5), 2560);
        assert_eq!(backoff_seconds(6), 3600);
        assert_eq!(backoff_seconds(i32::MAX), 3600);
        assert_eq!(backoff_seconds(0), 10);
    }

    #[test]
    fn states_read_back() {
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("nope"), None);
    }
}
