//! Sends the evening digests on the job queue: a tick job every minute enqueues one send
//! job per digest due (`shared::digest::service::due_recipients`), which goes by e-mail
//! through SMTP and to the person's messenger webhook; a failed delivery is retried with
//! growing pauses, then logged as failed. Every delivery is logged, and the day is marked
//! sent either way so nobody gets it twice.

use std::time::Duration;

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared::AppError;
use shared::db::Db;
use shared::digest::Channel;
use shared::digest::service::{DueDigest, digest_of, due_recipients, mark_sent, record_delivery};
use shared::job::queue::{NewJob, enqueue};
use shared::user::UserId;

use crate::config::Config;
use crate::outbound::Outbound;

/// How often the tick looks for due digests.
const TICK: Duration = Duration::from_secs(60);
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// How many times a delivery is tried and the pause before the second try; each further
/// pause is four times the one before.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_pause: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            first_pause: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// A plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// Plain text, for a relay on the same host or a test server.
    None,
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, String)>,
    pub from: Mailbox,
}

impl Smtp {
    /// The SMTP settings of the configuration; `None` without a host.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Smtp>> {
        let Some(host) = config.smtp_host.clone() else {
            return Ok(None);
        };
        let security = match config.smtp_security.as_str() {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "none" => Security::None,
            other => anyhow::bail!("smtp_security must be tls, starttls or none, not {other:?}"),
        };
        Ok(Some(Smtp {
            host,
            port: config.smtp_port,
            security,
            credentials: config
                .smtp_username
                .clone()
                .zip(config.smtp_password.clone()),
            from: config
                .smtp_from
                .parse()
                .map_err(|e| anyhow::anyhow!("smtp_from {:?}: {e}", config.smtp_from))?,
        }))
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let builder = match self.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &self.host,
            )),
        }
        .map_err(|e| e.to_string())?
        .port(self.port)
        .timeout(Some(SEND_TIMEOUT));
        Ok(match &self.credentials {
            Some((user, password)) => builder
                .credentials(Credentials::new(user.clone(), password.clone()))
                .build(),
            None => builder.build(),
        })
    }
}

/// Delivers digests by e-mail and messenger webhook.
pub struct Digests {
    smtp: Option<Smtp>,
    http: Outbound,
    retry: Retry,
}

impl Digests {
    /// Webhooks are called through `http`, the checked client for typed URLs.
    pub fn new(smtp: Option<Smtp>, http: Outbound, retry: Retry) -> Digests {
        Digests { smtp, http, retry }
    }

    /// Sends every digest due at `now` in turn; answers how many went out (or were given
    /// up on). The server does this through the job queue instead (`TICK_JOB`, one
    /// `SEND_JOB` per recipient), so that one slow recipient delays nobody else.
    pub async fn send_due(&self, db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
        let due = due_recipients(db, now).await?;
        for (user, day) in &due {
            self.send_to(db, *user, *day, now).await?;
        }
        Ok(due.len())
    }

    /// Sends `user`'s digest of `day` by each channel they chose, logs every delivery and
    /// marks the day sent either way, so nobody gets it twice.
    pub async fn send_to(
        &self,
        db: &Db,
        user: UserId,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let Some(digest) = digest_of(db, user, day, now).await? else {
            return Ok(());
        };
        if digest.settings.by_email {
            let (outcome, attempts) = self.email(&digest).await;
            log_outcome(&digest, Channel::Email, &outcome, attempts);
            record_delivery(db, user, day, Channel::Email, outcome, attempts, now).await?;
        }
        if let Some(url) = &digest.settings.messenger_url {
            let (outcome, attempts) = self.messenger(url, &digest).await;
            log_outcome(&digest, Channel::Messenger, &outcome, attempts);
            record_delivery(db, user, day, Channel::Messenger, outcome, attempts, now).await?;
        }
        mark_sent(db, user, day).await?;
        Ok(())
    }

    async fn email(&self, digest: &DueDigest) -> (Result<(), String>, u32) {
        let Some(smtp) = &self.smtp else {
            return (Err("no SMTP server is configured".to_owned()), 0);
        };
        let message = digest
            .user
            .email
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())
            .and_then(|to| {
                Message::builder()
                    .from(smtp.from.clone())
                    .to(to)
                    .subject(digest.text.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(digest.text.body.clone())
                    .map_err(|e| e.to_string())
            });
        let (message, transport) = match (message, smtp.transport()) {
            (Ok(message), Ok(transport)) => (message, transport),
            (Err(e), _) | (_, Err(e)) => return (Err(e), 0),
        };
        with_retries(self.retry, || async {
            transport
                .send(message.clone())
                .await
                .map(|_| ())
                .map_err(|e| Failure {
                    transient: !e.is_permanent(),
                    error: e.to_string(),
                })
        })
        .await
    }

    async fn messenger(&self, url: &str, digest: &DueDigest) -> (Result<(), String>, u32) {
        let mut payload = serde_json::json!({
            "text": format!("{}\n\n{}", digest.text.subject, digest.text.body),
        });
        if let Some(chat_id) = &digest.settings.messenger_chat_id {
            payload["chat_id"] = serde_json::Value::String(chat_id.clone());
        }
        with_retries(self.retry, || async {
            self.http
                .post_json(url, &payload)
                .await
                .map(|_| ())
                .map_err(|e| Failure {
                    transient: e.is_transient(),
                    error: e.to_string(),
                })
        })
        .await
    }
}

fn log_outcome(digest: &DueDigest, channel: Channel, outcome: &Result<(), String>, attempts: u32) {
    match outcome {
        Ok(()) => tracing::info!(
            user = digest.user.id.0,
            day = %digest.day,
            channel = channel.as_str(),
            attempts,
            "digest delivered"
        ),
        Err(error) => tracing::warn!(
            user = digest.user.id.0,
            day = %digest.day,
            channel = channel.as_str(),
            attempts,
            error,
            "digest not delivered"
        ),
    }
}

/// A delivery that failed, and whether trying again could help.
struct Failure {
    error: String,
    transient: bool,
}

/// Tries `send` up to `retry.attempts` times while it fails in a way that could pass
/// (a refused address or a 4xx answer is not tried again); answers the last outcome and
/// the tries made.
async fn with_retries<F, Fut>(retry: Retry, mut send: F) -> (Result<(), String>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let mut pause = retry.first_pause;
    let last = retry.attempts.max(1);
    for attempt in 1..=last {
        match send().await {
            Ok(()) => return (Ok(()), attempt),
            Err(failure) if !failure.transient || attempt == last => {
                return (Err(failure.error), attempt);
            }
            Err(_) => {}
        }
        tokio::time::sleep(pause).await;
        pause = pause.saturating_mul(4);
    }
    (Err("not tried".to_owned()), 0)
}

/// The job that looks for due digests, once a minute.
pub const TICK_JOB: &str = "digest.tick";
/// The job that sends one person's digest of one day (payload `{"user_id", "day"}`).
pub const SEND_JOB: &str = "digest.send";

/// The tick at `now`: a send job for each digest due, and the next tick a minute later.
pub async fn tick(db: &Db, now: DateTime<Utc>) -> Result<(), AppError> {
    for (user, day) in due_recipients(db, now).await? {
        enqueue(
            db,
            NewJob::new(
                SEND_JOB,
                serde_json::json!({ "user_id": user.0, "day": day.to_string() }),
                now,
            )
            .dedup(format!("{SEND_JOB}:{}:{day}", user.0)),
            now,
        )
        .await?;
    }
    schedule_tick(db, now + chrono::Duration::seconds(TICK.as_secs() as i64)).await
}

/// Enqueues the tick of the minute `at` falls in (once, whichever server asks first).
pub async fn schedule_tick(db: &Db, at: DateTime<Utc>) -> Result<(), AppError> {
    let minute = at.format("%Y-%m-%dT%H:%M").to_string();
    enqueue(
        db,
        NewJob::new(TICK_JOB, serde_json::json!({}), at).dedup(format!("{TICK_JOB}:{minute}")),
        at,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_delivery_is_tried_again_then_given_up() {
        let retry = Retry {
            attempts: 3,
            first_pause: Duration::from_millis(1),
        };
        let failing = |error: &str, transient| Failure {
            error: error.to_owned(),
            transient,
        };
        let mut calls = 0;
        let (outcome, attempts) = with_retries(retry, || {
            calls += 1;
            let outcome = if calls == 2 {
                Ok(())
            } else {
                Err(failing("busy", true))
            };
            async move { outcome }
        })
        .await;
        assert_eq!((outcome, attempts), (Ok(()), 2));
        let (outcome, attempts) =
            with_retries(retry, || async { Err::<(), _>(failing("down", true)) }).await;
        assert_eq!((outcome, attempts), (Err("down".to_owned()), 3));
    }

    #[tokio::test]
    async fn a_refusal_is_not_tried_again() {
        let retry = Retry {
            attempts: 3,
            first_pause: Duration::from_millis(1),
        };
        let mut calls = 0;
        let (outcome, attempts) = with_retries(retry, || {
            calls += 1;
            async {
                Err::<(), _>(Failure {
                    error: "refused: private address".to_owned(),
                    transient: false,
                })
            }
        })
        .await;
        assert_eq!(
            (outcome, attempts, calls),
            (Err("refused: private address".to_owned()), 1, 1)
        );
    }
}
