//! The evening digest end to end: settings saved and checked, the job sends each due
//! digest once to a real SMTP server and a real HTTP webhook on loopback (both small
//! sinks below), retries a failing webhook, logs every delivery, and each digest counts
//! only what its recipient may see. The ledger is the analytics "week": on Tue 24th (UTC)
//! B went CM -> Scoring at 15:00 (past CM's 24h SLA) and back to CM at 18:00.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use server::jobs::digest::{Digests, Retry, Security, Smtp};
use server::outbound::Outbound;
use shared::AppError;
use shared::access::Actor;
use shared::digest::service::{digest_page, save_settings};
use shared::digest::{Channel, DigestSettings};
use shared::error::{Field, Rule};
use shared::outbound::AllowedHosts;
use shared::user::service::{get_user, set_time_zone};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::analytics::week;

/// A mail server that accepts everything and keeps each message's DATA.
struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                kept.lock().unwrap().push(data.take().unwrap());
                                write.write_all(b"250 queued\r\n").await.unwrap();
                            } else {
                                body.push_str(&line);
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.unwrap();
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        SmtpSink { port, messages }
    }

    fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

/// A webhook that keeps every JSON body and answers the statuses queued, then 200.
#[derive(Clone, Default)]
struct Hook {
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    answers: Arc<Mutex<VecDeque<StatusCode>>>,
}

impl Hook {
    async fn start() -> (Hook, String) {
        let hook = Hook::default();
        let app = axum::Router::new()
            .route(
                "/bot/sendMessage",
                axum::routing::post(
                    |State(hook): State<Hook>, Json(body): Json<serde_json::Value>| async move {
                        hook.bodies.lock().unwrap().push(body);
                        hook.answers
                            .lock()
                            .unwrap()
                            .pop_front()
                            .unwrap_or(StatusCode::OK)
                    },
                ),
            )
            .with_state(hook.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/bot/sendMessage", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (hook, url)
    }

    fn fail_next(&self, times: usize) {
        let mut answers = self.answers.lock().unwrap();
        answers.extend(std::iter::repeat_n(
            StatusCode::INTERNAL_SERVER_ERROR,
            times,
        ));
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

fn none() -> AllowedHosts {
    AllowedHosts::default()
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

fn evening(url: Option<String>) -> DigestSettings {
    DigestSettings {
        enabled: true,
        send_at: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        by_email: true,
        messenger_url: url,
        messenger_chat_id: Some("42".into()),
    }
}

/// The sinks listen on loopback, which the administrator has to allow.
fn loopback_allowed() -> AllowedHosts {
    AllowedHosts::new(["127.0.0.1"])
}

fn digests(smtp: Option<&SmtpSink>) -> Digests {
    digests_allowing(smtp, loopback_allowed())
}

fn digests_allowing(smtp: Option<&SmtpSink>, allowed: AllowedHosts) -> Digests {
    Digests::new(
        smtp.map(|sink| Smtp {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: Security::None,
            credentials: None,
            from: "Konveyer <crm@bank.ru>".parse().unwrap(),
        }),
        Outbound::new(allowed).unwrap(),
        Retry {
            attempts: 3,
            first_pause: Duration::from_millis(10),
        },
    )
}

#[tokio::test]
async fn the_evening_digest_goes_once_by_mail_and_webhook_and_retries() {
    let w = week().await;
    let db = &w.c.t.db;
    let sink = SmtpSink::start().await;
    let (hook, url) = Hook::start().await;
    let job = digests(Some(&sink));
    let manager = w.c.t.actor(&w.manager).await;
    save_settings(
        db,
        &manager,
        evening(Some(url)),
        &loopback_allowed(),
        at(24, 9, 0),
    )
    .await
    .unwrap();

    // 17:59: not yet. 19:00: the day's digest, by e-mail and to the webhook.
    assert_eq!(job.send_due(db, at(24, 17, 59)).await.unwrap(), 0);
    assert_eq!(job.send_due(db, at(24, 19, 0)).await.unwrap(), 1);
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("To: manager@bank.ru"), "{mail}");
    assert!(
        mail.contains("Subject: Konveyer 2026-11-24: 1 passed on, 1 returned, 0 past SLA"),
        "{mail}"
    );
    for line in [
        "New deals: 0",
        "Passed on: 1",
        "Returned for rework: 1",
        "SLA breaches today: 1",
    ] {
        assert!(mail.contains(line), "{line} in {mail}");
    }
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["chat_id"], "42");
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .contains("Returned for rework: 1")
    );

    // Later the same evening nothing goes again.
    assert_eq!(job.send_due(db, at(24, 19, 5)).await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1);

    // Thursday: B has been in CM since Tuesday 18:00, 24.5h past its SLA. The webhook
    // fails twice and takes the third try.
    hook.fail_next(2);
    assert_eq!(job.send_due(db, at(26, 18, 30)).await.unwrap(), 1);
    assert_eq!(hook.bodies().len(), 1 + 3);
    let mail = &sink.messages()[1];
    assert!(mail.contains("Past their SLA now: 1"), "{mail}");
    assert!(
        mail.contains(
            "- Mortgage, 2-room flat (Loans, Client manager): 24 h past the SLA, manager"
        ),
        "{mail}"
    );

    // Friday: the webhook is down; three tries, then the failure is logged and the day
    // is not tried again.
    hook.fail_next(3);
    assert_eq!(job.send_due(db, at(27, 18, 0)).await.unwrap(), 1);
    assert_eq!(job.send_due(db, at(27, 18, 1)).await.unwrap(), 0);
    let page = digest_page(db, &manager, at(27, 18, 2)).await.unwrap();
    let log: Vec<(String, Channel, bool, u32)> = page
        .deliveries
        .iter()
        .map(|d| (d.day.to_string(), d.channel, d.delivered, d.attempts))
        .collect();
    assert_eq!(
        log[..4],
        [
            ("2026-11-27".to_owned(), Channel::Messenger, false, 3),
            ("2026-11-27".to_owned(), Channel::Email, true, 1),
            ("2026-11-26".to_owned(), Channel::Messenger, true, 3),
            ("2026-11-26".to_owned(), Channel::Email, true, 1),
        ]
    );
    assert_eq!(
        page.deliveries[0].error.as_deref(),
        Some("the webhook answered 500 Internal Server Error")
    );
    assert_eq!(page.settings.messenger_chat_id.as_deref(), Some("42"));
}

#[tokio::test]
async fn each_digest_counts_what_its_recipient_may_see_and_needs_a_mail_server() {
    let w = week().await;
    let db = &w.c.t.db;
    // The scorer may see none of the week's deals now: an empty day. No SMTP server is
    // configured: the e-mail is logged as not delivered, without tries.
    let scorer = w.c.t.actor(&w.scorer).await;
    save_settings(db, &scorer, evening(None), &none(), at(24, 9, 0))
        .await
        .unwrap();
    let job = digests(None);
    assert_eq!(job.send_due(db, at(24, 19, 0)).await.unwrap(), 1);
    let page = digest_page(db, &scorer, at(24, 19, 1)).await.unwrap();
    assert_eq!(page.deliveries.len(), 1);
    let delivery = &page.deliveries[0];
    assert_eq!(
        (delivery.channel, delivery.delivered, delivery.attempts),
        (Channel::Email, false, 0)
    );
    assert_eq!(
        delivery.error.as_deref(),
        Some("no SMTP server is configured")
    );
    assert!(
        page.preview.body.contains("Passed on: 0"),
        "{}",
        page.preview.body
    );

    // The manager's preview of the same day counts B's moves.
    let manager = w.c.t.actor(&w.manager).await;
    let page = digest_page(db, &manager, at(24, 19, 0)).await.unwrap();
    assert!(page.preview.body.contains("Passed on: 1"));
    assert!(!page.settings.enabled, "nothing saved yet: the defaults");
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let w = week().await;
    let db = &w.c.t.db;
    let manager = w.c.t.actor(&w.manager).await;
    save_settings(db, &manager, evening(None), &none(), at(24, 9, 0))
        .await
        .unwrap();
    for (settings, field, rule) in [
        (
            evening(Some("telegram.org/bot".into())),
            Field::MessengerUrl,
            Rule::InvalidUrl,
        ),
        (
            evening(Some("http://127.0.0.1:8080/bot/sendMessage".into())),
            Field::MessengerUrl,
            Rule::PrivateAddress,
        ),
        (
            evening(Some("http://localhost/bot".into())),
            Field::MessengerUrl,
            Rule::PrivateAddress,
        ),
        (
            DigestSettings {
                by_email: false,
                ..evening(None)
            },
            Field::Channel,
            Rule::Required,
        ),
    ] {
        assert_eq!(
            save_settings(db, &manager, settings, &none(), at(24, 10, 0)).await,
            Err(AppError::validation(field, rule))
        );
    }
    let page = digest_page(db, &manager, at(24, 10, 0)).await.unwrap();
    assert_eq!(page.settings, evening(None));
    // Only a signed-in person has settings.
    assert_eq!(
        save_settings(db, &Actor::system(), evening(None), &none(), at(24, 10, 0)).await,
        Err(AppError::Forbidden)
    );
}

#[tokio::test]
async fn the_digest_goes_at_the_hour_of_the_person_own_time_zone() {
    let w = week().await;
    let db = &w.c.t.db;
    let sink = SmtpSink::start().await;
    let job = digests(Some(&sink));
    let manager = w.c.t.actor(&w.manager).await;
    save_settings(db, &manager, evening(None), &none(), at(24, 9, 0))
        .await
        .unwrap();
    // A zone nobody knows is refused and changes nothing.
    assert_eq!(
        set_time_zone(db, &manager, "Europe/Atlantis", at(24, 9, 0)).await,
        Err(AppError::validation(Field::TimeZone, Rule::UnknownValue))
    );
    assert_eq!(get_user(db, w.manager.id).await.unwrap().time_zone, "UTC");
    assert_eq!(
        set_time_zone(db, &manager, " Asia/Novosibirsk ", at(24, 9, 0)).await,
        Ok("Asia/Novosibirsk".to_owned())
    );
    // 18:00 in Novosibirsk (UTC+7) is 11:00 UTC.
    assert_eq!(job.send_due(db, at(24, 10, 59)).await.unwrap(), 0);
    assert_eq!(job.send_due(db, at(24, 11, 0)).await.unwrap(), 1);
    let page = digest_page(db, &manager, at(24, 11, 1)).await.unwrap();
    assert_eq!(page.time_zone, "Asia/Novosibirsk");
    assert_eq!(page.deliveries[0].day.to_string(), "2026-11-24");
    // Only a signed-in person has a zone of their own.
    assert_eq!(
        set_time_zone(db, &Actor::system(), "Europe/Moscow", at(24, 12, 0)).await,
        Err(AppError::Unauthenticated)
    );
}

#[tokio::test]
async fn a_webhook_into_the_server_network_is_refused_and_logged() {
    let w = week().await;
    let db = &w.c.t.db;
    let (hook, url) = Hook::start().await;
    let manager = w.c.t.actor(&w.manager).await;
    // Saved while the administrator allowed loopback; the server now runs without that.
    save_settings(
        db,
        &manager,
        DigestSettings {
            by_email: false,
            ..evening(Some(url))
        },
        &loopback_allowed(),
        at(24, 9, 0),
    )
    .await
    .unwrap();
    let job = digests_allowing(None, none());
    assert_eq!(job.send_due(db, at(24, 19, 0)).await.unwrap(), 1);
    assert!(hook.bodies().is_empty(), "nothing reached the webhook");
    let page = digest_page(db, &manager, at(24, 19, 1)).await.unwrap();
    assert_eq!(page.deliveries.len(), 1);
    let delivery = &page.deliveries[0];
    assert_eq!(
        (delivery.channel, delivery.delivered),
        (Channel::Messenger, false)
    );
    assert_eq!(delivery.error.as_deref(), Some("refused: private address"));
    assert_eq!(delivery.attempts, 1, "a refusal is not tried again");
}
