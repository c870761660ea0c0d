//! The workers of the one job queue (`shared::job`): each claims a due job with a lease,
//! runs its handler, and records success or the error (retried with growing pauses, dead
//! after the last attempt). Handlers are idempotent: a job whose worker died mid-run is
//! taken again once its lease ends.

pub mod automation;
pub mod digest;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::db::Db;
use shared::job::queue::{self, ClaimedJob};
use shared::task::TaskId;
use tokio::sync::Notify;

use crate::events::EventBus;

/// How long a claimed job is its worker's; past it another worker may take it again.
const LEASE_SECONDS: i64 = 300;
/// A handler that runs longer than this fails (and is retried).
const HANDLER_TIMEOUT: Duration = Duration::from_secs(240);
/// An idle worker looks for due jobs at least this often.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Done jobs are kept this long for the administrators' page (and their dedup keys).
const KEEP_DONE_DAYS: i64 = 7;

/// What the handlers need.
#[derive(Clone)]
pub struct Workers {
    pub db: Db,
    pub events: EventBus,
    pub digests: Arc<digest::Digests>,
    /// Sends webhook deliveries.
    pub webhooks: Arc<dyn shared::webhook::service::Sender>,
    pub clock: fn() -> DateTime<Utc>,
    /// Names this server's workers in leases (`<instance>-<n>`).
    pub instance: String,
    /// Wakes idle workers when a job is enqueued for now.
    pub wake: Arc<Notify>,
}

impl Workers {
    /// Starts `count` workers, the digest's first tick and the pruning of old done jobs.
    pub fn spawn(self, count: usize) {
        let first_tick = self.clone();
        tokio::spawn(async move {
            if let Err(err) = digest::schedule_tick(&first_tick.db, (first_tick.clock)()).await {
                tracing::warn!(error = %err, "could not schedule the digest");
            }
        });
        for n in 0..count {
            let worker = self.clone();
            let name = format!("{}-{n}", self.instance);
            tokio::spawn(async move { worker.run(name).await });
        }
        let pruner = self;
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                every.tick().await;
                let before = (pruner.clock)() - chrono::Duration::days(KEEP_DONE_DAYS);
                if let Err(err) = queue::prune_done(&pruner.db, before).await {
                    tracing::warn!(error = %err, "pruning done jobs");
                }
                // The API's idempotent answers are replayed for a day only.
                let now = (pruner.clock)();
                if let Err(err) =
                    shared::api_token::service::prune_idempotency(&pruner.db, now).await
                {
                    tracing::warn!(error = %err, "pruning idempotency keys");
                }
                // The audit log keeps what its retention says (the database refuses more).
                if let Err(err) = shared::audit::service::prune(&pruner.db, now).await {
                    tracing::warn!(error = %err, "pruning the audit log");
                }
            }
        });
    }

    async fn run(self, name: String) {
        loop {
            match self.run_one(&name).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(err) => tracing::warn!(worker = name, error = %err, "job queue"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }

    /// Claims and runs one due job; `Ok(false)` when none was due.
    pub async fn run_one(&self, worker: &str) -> Result<bool, shared::AppError> {
        let now = (self.clock)();
        let Some(job) = queue::claim(
            &self.db,
            worker,
            now,
            chrono::Duration::seconds(LEASE_SECONDS),
        )
        .await?
        else {
            return Ok(false);
        };
        let outcome = match tokio::time::timeout(HANDLER_TIMEOUT, self.handle(&job)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("took longer than {} s", HANDLER_TIMEOUT.as_secs())),
        };
        let now = (self.clock)();
        match outcome {
            Ok(()) => {
                queue::complete(&self.db, job.id, worker, now).await?;
            }
            Err(error) => {
                let state = queue::fail(&self.db, job.id, worker, &error, now).await?;
                tracing::warn!(
                    job = job.id.0,
                    kind = job.kind,
                    attempt = job.attempt,
                    state = state.as_str(),
                    error,
                    "job failed"
                );
            }
        }
        Ok(true)
    }

    async fn handle(&self, job: &ClaimedJob) -> Result<(), String> {
        let now = (self.clock)();
        match job.kind.as_str() {
            shared::task::service::REMINDER_JOB => {
                let TaskPayload { task_id } = payload(job)?;
                shared::task::service::send_reminder(&self.db, &self.events, TaskId(task_id), now)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            digest::TICK_JOB => digest::tick(&self.db, now).await.map_err(|e| e.to_string()),
            digest::SEND_JOB => {
                let DigestPayload { user_id, day } = payload(job)?;
                self.digests
                    .send_to(&self.db, shared::user::UserId(user_id), day, now)
                    .await
                    .map_err(|e| e.to_string())
            }
            shared::webhook::service::DISPATCH_JOB => shared::webhook::service::dispatch(
                &self.db,
                self.webhooks.as_ref(),
                &self.events,
                &mut webhook::jitter,
                self.clock,
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
            shared::automation::engine::RUN_JOB => {
                let shared::automation::engine::RunPayload { run_id } = payload(job)?;
                let run = shared::automation::RunId(run_id);
                match shared::automation::engine::execute_run(&self.db, &self.events, run, now)
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(err) => {
                        // Never left queued for good: the last failure ends the run.
                        if job.is_last_attempt() {
                            shared::automation::engine::give_up(
                                &self.db,
                                run,
                                &err.to_string(),
                                now,
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                        }
                        Err(err.to_string())
                    }
                }
            }
            other => Err(format!("no handler for jobs of kind {other:?}")),
        }
    }
}

#[derive(Deserialize)]
struct TaskPayload {
    task_id: i32,
}

#[derive(Deserialize)]
struct DigestPayload {
    user_id: i32,
    day: chrono::NaiveDate,
}

fn payload<T: serde::de::DeserializeOwned>(job: &ClaimedJob) -> Result<T, String> {
    serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad payload: {e}"))
}
