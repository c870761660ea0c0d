//! Enqueueing, claiming and finishing jobs. A claim takes a lease: a worker that dies
//! leaves its job `running` until the lease ends, then another worker takes it again, so
//! handlers must be idempotent. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so the
//! workers of several servers never take the same job; on SQLite every write goes through
//! the one writer and a claim is a compare-and-set.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};

use super::entity::jobs;
use super::{JobId, JobState, JobView, JobsPage, backoff_seconds};
use crate::access::Actor;
use crate::error::{AppError, Entity};

/// Attempts before a job is dead, unless the enqueuer says otherwise.
pub const DEFAULT_ATTEMPTS: i32 = 5;
/// Jobs an administrators' page lists at once.
const PAGE: u64 = 100;
/// A stored error is cut to this many characters.
const ERROR_CHARS: usize = 500;

/// Work to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// A job with the same key already enqueued makes this one a no-op.
    pub dedup_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: &str, payload: serde_json::Value, run_at: DateTime<Utc>) -> Self {
        NewJob {
            kind: kind.to_owned(),
            payload,
            run_at,
            dedup_key: None,
            max_attempts: DEFAULT_ATTEMPTS,
        }
    }

    pub fn dedup(mut self, key: String) -> Self {
        self.dedup_key = Some(key);
        self
    }
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// After this attempt fails the job is dead.
    pub max_attempts: i32,
}

impl ClaimedJob {
    /// Whether a failure now is final.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// Enqueues a job (in the caller's transaction when given one). Returns `false` when a
/// job with the same dedup key exists.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    job: NewJob,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let row = jobs::ActiveModel {
        kind: Set(job.kind),
        payload: Set(job.payload.to_string()),
        dedup_key: Set(job.dedup_key),
        state: Set(JobState::Queued.as_str().to_owned()),
        run_at: Set(job.run_at),
        attempts: Set(0),
        max_attempts: Set(Ord::max(job.max_attempts, 1)),
        last_error: Set(None),
        locked_by: Set(None),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = jobs::Entity::insert(row)
        .on_conflict_do_nothing_on([jobs::Column::DedupKey])
        .exec(db)
        .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(_)))
}

/// Takes the next due job for `worker` until `now + lease`: a queued or failed job whose
/// time has come, or a running one whose worker's lease ended. `None` when nothing is due.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<ClaimedJob>, AppError> {
    let until = now + lease;
    let row = match db.get_database_backend() {
        DbBackend::Postgres => {
            let statement = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, \
                 locked_until = $2, updated_at = $3 \
                 WHERE id = (SELECT id FROM jobs \
                   WHERE (state IN ('queued', 'failed') AND run_at <= $3) \
                      OR (state = 'running' AND locked_until < $3) \
                   ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING *",
                [worker.into(), until.into(), now.into()],
            );
            jobs::Entity::find().from_raw_sql(statement).one(db).await?
        }
        _ => {
            let Some(candidate) = jobs::Entity::find()
                .filter(due(now))
                .order_by_asc(jobs::Column::RunAt)
                .order_by_asc(jobs::Column::Id)
                .one(db)
                .await?
            else {
                return Ok(None);
            };
            // The same condition again: whoever changed the row first wins.
            jobs::Entity::update_many()
                .col_expr(jobs::Column::State, Expr::value(JobState::Running.as_str()))
                .col_expr(
                    jobs::Column::Attempts,
                    sea_orm::ExprTrait::add(Expr::col(jobs::Column::Attempts), 1),
                )
                .col_expr(jobs::Column::LockedBy, Expr::value(worker))
                .col_expr(jobs::Column::LockedUntil, Expr::value(until))
                .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
                .filter(jobs::Column::Id.eq(candidate.id))
                .filter(due(now))
                .exec_with_returning(db)
                .await?
                .pop()
        }
    };
    row.map(|row| {
        Ok(ClaimedJob {
            id: JobId(row.id),
            kind: row.kind,
            payload: serde_json::from_str(&row.payload).map_err(|_| AppError::Internal)?,
            attempt: row.attempts,
            max_attempts: row.max_attempts,
        })
    })
    .transpose()
}

fn due(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(
            jobs::Column::State
                .is_in([JobState::Queued.as_str(), JobState::Failed.as_str()])
                .and(jobs::Column::RunAt.lte(now)),
        )
        .add(
            jobs::Column::State
                .eq(JobState::Running.as_str())
                .and(jobs::Column::LockedUntil.lt(now)),
        )
}

/// The job succeeded. `false` when `worker` no longer held it (its lease ended and
/// another worker took it).
pub async fn complete(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = jobs::Entity::update_many()
        .col_expr(jobs::Column::State, Expr::value(JobState::Done.as_str()))
        .col_expr(jobs::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            jobs::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(held_by(id, worker))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The attempt failed with `error`: the job runs again after its back-off, or is dead
/// after its last attempt.
pub async fn fail(
    db: &impl ConnectionTrait,
    id: JobId,
    worker: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<JobState, AppError> {
    let Some(job) = jobs::Entity::find_by_id(id.0).one(db).await? else {
        return Err(AppError::NotFound {
            entity: Entity::Job,
        });
    };
    let (state, run_at) = if job.attempts >= job.max_attempts {
        (JobState::Dead, job.run_at)
    } else {
        (
            JobState::Failed,
            now + Duration::seconds(backoff_seconds(job.attempts)),
        )
    };
    let error: String = error.chars().take(ERROR_CHARS).collect();
    jobs::Entity::update_many()
        .col_expr(jobs::Column::State, Expr::value(state.as_str()))
        .col_expr(jobs::Column::RunAt, Expr::value(run_at))
        .col_expr(jobs::Column::LastError, Expr::value(Some(error)))
        .col_expr(jobs::Column::LockedBy, Expr::value(None::<String>))
        .col_expr(
            jobs::Column::LockedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(held_by(id, worker))
        .exec(db)
        .await?;
    Ok(state)
}

fn held_by(id: JobId, worker: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(jobs::Column::Id.eq(id.0))
        .add(jobs::Column::State.eq(JobState::Running.as_str()))
        .add(jobs::Column::LockedBy.eq(worker))
}

/// Forgets done jobs finished before `before` (their dedup keys with them).
pub async fn prune_done(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, AppError> {
    let result = jobs::Entity::delete_many()
        .filter(jobs::Column::State.eq(JobState::Done.as_str()))
        .filter(jobs::Column::UpdatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The administrators' jobs page: counts per state and the newest jobs of `state` (of
/// every state but done when `None`).
pub async fn jobs_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    state: Option<JobState>,
) -> Result<JobsPage, AppError> {
    actor.require_admin()?;
    let mut counts = Vec::new();
    for each in JobState::ALL {
        let count = jobs::Entity::find()
            .filter(jobs::Column::State.eq(each.as_str()))
            .count(db)
            .await?;
        counts.push((each, count));
    }
    let query = match state {
        Some(state) => jobs::Entity::find().filter(jobs::Column::State.eq(state.as_str())),
        None => jobs::Entity::find().filter(jobs::Column::State.ne(JobState::Done.as_str())),
    };
    let rows = query
        .order_by_desc(jobs::Column::UpdatedAt)
        .order_by_desc(jobs::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?;
    Ok(JobsPage {
        counts,
        state,
        jobs: rows.into_iter().map(view).collect(),
    })
}

/// An administrator runs a failed or dead job again now, with a fresh set of attempts.
pub async fn run_again(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: JobId,
    now: DateTime<Utc>,
) -> Result<JobView, AppError> {
    actor.require_admin()?;
    let updated = jobs::Entity::update_many()
        .col_expr(jobs::Column::State, Expr::value(JobState::Queued.as_str()))
        .col_expr(jobs::Column::RunAt, Expr::value(now))
        .col_expr(jobs::Column::Attempts, Expr::value(0))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
        .filter(jobs::Column::Id.eq(id.0))
        .filter(jobs::Column::State.is_in([JobState::Failed.as_str(), JobState::Dead.as_str()]))
        .exec_with_returning(db)
        .await?;
    match updated.into_iter().next() {
        Some(row) => Ok(view(row)),
        None => match jobs::Entity::find_by_id(id.0).one(db).await? {
            // Queued, running or done: nothing to run again.
            Some(_) => Err(AppError::Conflict { current_version: 0 }),
            None => Err(AppError::NotFound {
                entity: Entity::Job,
            }),
        },
    }
}

fn view(row: jobs::Model) -> JobView {
    JobView {
        id: JobId(row.id),
        kind: row.kind,
        state: JobState::parse(&row.state).unwrap_or(JobState::Dead),
        run_at: row.run_at,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
