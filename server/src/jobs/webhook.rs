//! Webhooks on the server: the sender (signed POSTs through the checked outbound client),
//! the event-log consumer that turns events into deliveries, and a sweep that wakes
//! deliveries whose job was lost. The rules live in `shared::webhook::service`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use shared::db::Db;
use shared::event::outbox::StartAt;
use shared::webhook::service::{self, Outgoing, Reply, Sender};
use tokio::sync::Notify;

use crate::events::EventBus;
use crate::outbound::{Outbound, OutboundError};

/// The event-log consumer's name (its durable cursor).
const CONSUMER: &str = "webhooks";
/// How often the sweep looks for stalled deliveries, and how long one must have waited.
const SWEEP_EVERY: Duration = Duration::from_secs(10);
const STALLED_SECONDS: i64 = 10;
/// Bytes of an answer read (the attempt log keeps the start of it).
const ANSWER_BYTES: usize = 4 * 1024;

/// Sends deliveries through the checked client.
pub struct WebhookSender {
    http: Outbound,
}

impl WebhookSender {
    /// A sender with the webhook limits: 15 s a call, 4 KB of answer read.
    pub fn new(allowed: shared::outbound::AllowedHosts) -> Result<WebhookSender, reqwest::Error> {
        let limits = crate::outbound::Limits {
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            max_body: ANSWER_BYTES,
        };
        Ok(WebhookSender {
            http: Outbound::with_limits(allowed, limits)?,
        })
    }
}

fn headers(message: &Outgoing) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("webhook-id", message.message_id.clone()),
        ("webhook-timestamp", message.timestamp.to_string()),
        ("webhook-signature", message.signature.clone()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
}

#[async_trait::async_trait]
impl Sender for WebhookSender {
    async fn send(&self, message: &Outgoing) -> Reply {
        let started = Instant::now();
        let result = self
            .http
            .post_bytes(&message.url, headers(message), message.body.clone())
            .await;
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        match result {
            Ok(exchange) => Reply {
                status: Some(exchange.status.as_u16()),
                error: (!exchange.status.is_success())
                    .then(|| OutboundError::Http(exchange.status).to_string()),
                excerpt: String::from_utf8_lossy(&exchange.body).into_owned(),
                retry_after: exchange.retry_after,
                duration_ms,
            },
            Err(error) => Reply {
                status: match &error {
                    OutboundError::Redirect(status) => Some(status.as_u16()),
                    _ => None,
                },
                error: Some(error.to_string()),
                excerpt: String::new(),
                retry_after: None,
                duration_ms,
            },
        }
    }
}

/// A fraction within ±0.1 that spreads retries.
pub fn jitter() -> f64 {
    rand::random::<f64>() * 0.2 - 0.1
}

/// Starts the consumer that turns events into deliveries (waking the job workers when it
/// made some) and the sweep.
pub fn spawn(
    db: Db,
    bus: EventBus,
    wake_workers: Arc<Notify>,
    worker: String,
    clock: fn() -> chrono::DateTime<chrono::Utc>,
) {
    let consumer_db = db.clone();
    tokio::spawn(crate::events::consume(
        db.clone(),
        bus,
        CONSUMER,
        worker,
        StartAt::Latest,
        clock,
        move |event| {
            let db = consumer_db.clone();
            let wake = wake_workers.clone();
            async move {
                let created = service::fan_out(&db, &event, clock())
                    .await
                    .map_err(|e| e.to_string())?;
                if created > 0 {
                    wake.notify_waiters();
                }
                Ok(())
            }
        },
    ));
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            let stalled = chrono::Duration::seconds(STALLED_SECONDS);
            match service::wake_stalled(&db, clock(), stalled).await {
                Ok(false) => {}
                Ok(true) => tracing::info!("woke stalled webhook deliveries"),
                Err(err) => tracing::warn!(error = %err, "webhook sweep"),
            }
        }
    });
}
