//! Task reminders: every half minute (and at once on start, catching up whatever fell due
//! while the server was down) each open task that is due and has not been reminded gets a
//! notification for its assignee. Progress lives in the `tasks` table, so a restart neither
//! loses nor repeats a reminder.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::db::Db;
use shared::event::EventSink;

const TICK: Duration = Duration::from_secs(30);

pub async fn run(db: Db, events: impl EventSink, clock: fn() -> DateTime<Utc>) {
    let mut every = tokio::time::interval(TICK);
    loop {
        every.tick().await;
        match shared::task::service::send_due_reminders(&db, &events, clock()).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "task reminders sent"),
            Err(err) => {
                tracing::warn!(error = %err, "the reminder job failed; it tries again shortly")
            }
        }
    }
}
