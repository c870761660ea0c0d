//! From the event log to the people and programs that follow it.
//!
//! - The dispatcher reads the `events` table in id order and fans each new event out to
//!   the open streams of this process. It is woken by the services of this process after
//!   they commit, by PostgreSQL's NOTIFY from every server on the same database, and by a
//!   timer; each wake-up only makes it read the table, so a missed one loses nothing.
//! - `GET /api/events` (server-sent events) sends a signed-in person what they may see:
//!   deals (`deal`, with the event id so a browser that reconnects with `Last-Event-ID`
//!   gets what it missed), their notifications, and `reload` when too much was missed.
//!   When their access changes (deactivated, signed out, new role) the stream checks the
//!   session again, and ends or narrows.
//! - A consumer (automation, webhooks) reads the log after its own durable cursor, with a
//!   lease so one server at a time reads for it; a restart resumes where it stopped.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::Deserialize;
use shared::AppError;
use shared::access::Actor;
use shared::db::Db;
use shared::event::outbox::{self, StartAt, StoredEvent};
use shared::event::{EventData, EventSink, LiveDeal};
use shared::session::Identity;
use tokio::sync::{Notify, broadcast};
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;

/// The dispatcher reads the table at least this often (other processes on SQLite, a
/// PostgreSQL listener that is reconnecting).
const POLL: Duration = Duration::from_secs(2);
/// Events read per query.
const BATCH: u64 = 500;
/// A browser that missed more than this many events reloads its page instead.
const RESUME_MAX: u64 = 1000;

/// The in-process side of the event log: wakes the dispatcher, fans events out.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<StoredEvent>>,
    wake: Arc<Notify>,
}

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        EventBus {
            sender,
            wake: Arc::new(Notify::new()),
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.sender.subscribe()
    }
}

impl EventSink for EventBus {
    fn appended(&self) {
        self.wake.notify_one();
    }
}

/// Starts the dispatcher for this process in the background, from where the log ends when
/// this returns: every event committed afterwards reaches the open streams in id order.
/// The server starts it before it listens, so no stream can miss an event in between.
pub async fn start_dispatcher(
    db: Db,
    bus: EventBus,
    postgres_url: Option<String>,
) -> Result<(), shared::AppError> {
    let last = outbox::last_id(&db).await?;
    tokio::spawn(dispatch_after(db, bus, postgres_url, last));
    Ok(())
}

/// Feeds the bus with every event after `last`, woken by this process' commits, by
/// PostgreSQL's NOTIFY and by a timer.
async fn dispatch_after(db: Db, bus: EventBus, postgres_url: Option<String>, mut last: i64) {
    if let Some(url) = postgres_url {
        tokio::spawn(listen_postgres(url, bus.wake.clone()));
    }
    loop {
        tokio::select! {
            () = bus.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
        loop {
            let batch = match outbox::read_after(&db, last, BATCH).await {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(error = %err, "the event dispatcher failed to read the log");
                    break;
                }
            };
            let full = batch.len() as u64 == BATCH;
            for event in batch {
                last = event.record.id;
                // No subscribers is not an error: nobody has a page open.
                let _ = bus.sender.send(Arc::new(event));
            }
            if !full {
                break;
            }
        }
    }
}

/// Wakes the dispatcher on every NOTIFY of the event channel, reconnecting after errors.
async fn listen_postgres(url: String, wake: Arc<Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(outbox::CHANNEL).await {
                Ok(()) => {
                    // Whatever was appended while the listener was away is read now.
                    wake.notify_one();
                    while listener.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
                Err(err) => tracing::warn!(error = %err, "LISTEN failed"),
            },
            Err(err) => tracing::warn!(error = %err, "the event listener cannot connect"),
        }
        tokio::time::sleep(POLL).await;
    }
}

#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// The last event the page knew of when it was rendered.
    after: Option<i64>,
}

/// `GET /api/events`: the signed-in person's live stream.
pub async fn stream(
    State(state): State<AppState>,
    identity: Option<Extension<Identity>>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let Some(Extension(identity)) = identity else {
        return ApiError(AppError::Unauthenticated).into_response();
    };
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query.after)
        .filter(|id| *id >= 0);
    // Subscribe before reading what was missed, so nothing falls between the two.
    let receiver = state.events.subscribe();
    let missed = match last_seen {
        Some(after) => match outbox::read_after(&state.db, after, RESUME_MAX + 1).await {
            Ok(missed) => Some(missed),
            Err(err) => return ApiError(err).into_response(),
        },
        None => None,
    };
    let follower = Follower {
        db: state.db.clone(),
        session_id: session.id().map(|id| id.to_string()),
        actor: identity.actor,
        last_sent: last_seen.unwrap_or(0),
    };
    Sse::new(live_events(receiver, missed, follower))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// One open stream: who listens, and the last event it sent.
struct Follower {
    db: Db,
    session_id: Option<String>,
    actor: Actor,
    last_sent: i64,
}

impl Follower {
    /// What this event means to this person: `Some(sse)` to send, `None` to skip;
    /// `Err(())` when the stream must end (their session ended, or they were deactivated).
    async fn message(&mut self, event: &StoredEvent) -> Result<Option<Event>, ()> {
        let id = event.record.id;
        if id <= self.last_sent {
            return Ok(None);
        }
        self.last_sent = id;
        if let EventData::UserAccessChanged { user_id } = &event.record.data {
            if self.actor.user_id() == Some(*user_id) {
                self.actor = self.recheck().await.ok_or(())?;
            }
            return Ok(None);
        }
        if !event.audience.includes(&self.actor) {
            return Ok(None);
        }
        let sse = match &event.record.data {
            EventData::NotificationCreated { .. } => {
                Event::default().event("notification").data("{}")
            }
            data => {
                let Some(deal) = data.changed_deal() else {
                    return Ok(None);
                };
                let live = LiveDeal {
                    event_id: id,
                    deal_id: deal.id,
                    pipeline_id: deal.pipeline_id,
                    stage_id: deal.stage_id,
                    version: deal.version,
                };
                Event::default()
                    .event("deal")
                    .data(serde_json::to_string(&live).unwrap_or_default())
            }
        };
        Ok(Some(sse.id(id.to_string())))
    }

    /// Who the session's person is now; `None` when the session or the person is gone.
    async fn recheck(&self) -> Option<Actor> {
        let session_id = self.session_id.as_deref()?;
        #[expect(clippy::disallowed_methods, reason = "the stream is an adapter")]
        let now = chrono::Utc::now();
        let session = shared::session::service::load_session(&self.db, session_id, now)
            .await
            .ok()??;
        let user = session.user_id?;
        let (actor, _) = shared::user::service::load_actor(&self.db, user)
            .await
            .ok()??;
        Some(actor)
    }
}

fn live_events(
    receiver: broadcast::Receiver<Arc<StoredEvent>>,
    missed: Option<Vec<StoredEvent>>,
    follower: Follower,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let reload = Event::default().event("reload").data("{}");
    // Too much missed: the page reloads whole instead of replaying a long backlog.
    let (backlog, first) = match missed {
        Some(missed) if missed.len() as u64 > RESUME_MAX => (Vec::new(), Some(reload)),
        Some(missed) => (missed, None),
        None => (Vec::new(), None),
    };
    let state = (receiver, backlog.into_iter(), first, follower);
    futures::stream::unfold(
        state,
        |(mut receiver, mut backlog, mut first, mut follower)| async move {
            if let Some(event) = first.take() {
                return Some((Ok(event), (receiver, backlog, None, follower)));
            }
            loop {
                let event = match backlog.next() {
                    Some(event) => Arc::new(event),
                    None => match receiver.recv().await {
                        Ok(event) => event,
                        // This stream fell behind the bus: the page reloads what it shows.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let reload = Event::default().event("reload").data("{}");
                            return Some((Ok(reload), (receiver, backlog, None, follower)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                };
                match follower.message(&event).await {
                    Ok(Some(sse)) => {
                        return Some((Ok(sse), (receiver, backlog, None, follower)));
                    }
                    Ok(None) => continue,
                    Err(()) => return None,
                }
            }
        },
    )
}

/// Runs a consumer of the event log: `handle` is called with each event after the
/// consumer's cursor, in id order, and the cursor advances after each success. A failure
/// is retried (after a pause) before anything later; handlers must be idempotent, since a
/// server that dies between handling and advancing hands the event over again.
pub async fn consume<F, Fut>(
    db: Db,
    bus: EventBus,
    name: &'static str,
    worker: String,
    start: StartAt,
    clock: fn() -> chrono::DateTime<chrono::Utc>,
    handle: F,
) where
    F: Fn(StoredEvent) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut receiver = bus.subscribe();
    loop {
        match consume_once(&db, name, &worker, start, clock, &handle).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(err) => tracing::warn!(consumer = name, error = %err, "event consumer"),
        }
        tokio::select! {
            _ = receiver.recv() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Leases the consumer, handles one batch and advances the cursor. `Ok(true)` when a
/// full batch was handled (more may wait).
pub async fn consume_once<F, Fut>(
    db: &Db,
    name: &str,
    worker: &str,
    start: StartAt,
    clock: fn() -> chrono::DateTime<chrono::Utc>,
    handle: &F,
) -> Result<bool, String>
where
    F: Fn(StoredEvent) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    const LEASE_SECONDS: i64 = 60;
    const CONSUMER_BATCH: u64 = 100;
    let now = clock();
    let Some(cursor) = outbox::lease_consumer(
        db,
        name,
        worker,
        start,
        now,
        now + chrono::Duration::seconds(LEASE_SECONDS),
    )
    .await
    .map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    let batch = outbox::read_after(db, cursor, CONSUMER_BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let full = batch.len() as u64 == CONSUMER_BATCH;
    for event in batch {
        let id = event.record.id;
        handle(event).await?;
        if !outbox::advance_consumer(db, name, worker, id, clock())
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(false);
        }
    }
    Ok(full)
}
