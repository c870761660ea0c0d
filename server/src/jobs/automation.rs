//! Automation on the server: the `automation` event-log consumer that turns events into
//! runs (`shared::automation::engine::on_event`), waking the job workers that execute them.

use std::sync::Arc;

use shared::automation::engine;
use shared::db::Db;
use shared::event::outbox::StartAt;
use tokio::sync::Notify;

use crate::events::EventBus;

/// The event-log consumer's name (its durable cursor).
const CONSUMER: &str = "automation";

/// Starts the consumer. `depth_limit`: how deep a chain of rules may go.
pub fn spawn(
    db: Db,
    bus: EventBus,
    wake_workers: Arc<Notify>,
    worker: String,
    depth_limit: u8,
    clock: fn() -> chrono::DateTime<chrono::Utc>,
) {
    tokio::spawn(crate::events::consume(
        db.clone(),
        bus,
        CONSUMER,
        worker,
        StartAt::Latest,
        clock,
        move |event| {
            let db = db.clone();
            let wake = wake_workers.clone();
            async move {
                let queued = engine::on_event(&db, &event, depth_limit, clock())
                    .await
                    .map_err(|e| e.to_string())?;
                if queued > 0 {
                    wake.notify_waiters();
                }
                Ok(())
            }
        },
    ));
}
