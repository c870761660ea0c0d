//! Webhooks against a real HTTP receiver on loopback: deliveries made from the event log
//! arrive once per id, in order per deal, with a valid Standard Webhooks signature, after
//! a receiver that was down for the first attempts comes up; the retry schedule and
//! `Retry-After`; the last failure pauses the subscription and tells its owner, and
//! resuming sends the rest in order; 410 disables; rotation signs with both secrets;
//! subscriptions are for administrators, checked, and private addresses refused.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::deal::service::move_deal;
use shared::error::{Field, Rule};
use shared::event::outbox;
use shared::notification::NotificationKind;
use shared::notification::service::list_notifications;
use shared::outbound::AllowedHosts;
use shared::user::Role;
use shared::webhook::entity::webhook_deliveries;
use shared::webhook::service::{self as webhooks, Sender};
use shared::webhook::signature::verify;
use shared::webhook::{DeliveryState, WebhookInput, WebhookState};
use tokio::net::TcpListener;

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

/// What the receiver does with each request, in turn; `Ok` once the script runs out.
#[derive(Clone, Copy)]
enum Answer {
    Ok,
    Fail(u16),
    RetryAfter(u16, u32),
}

/// A message the receiver accepted.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: serde_json::Value,
    raw: Vec<u8>,
}

#[derive(Clone, Default)]
struct Receiver {
    script: Arc<Mutex<VecDeque<Answer>>>,
    /// The answer once the script is used up.
    then: Arc<Mutex<Option<Answer>>>,
    accepted: Arc<Mutex<Vec<Received>>>,
    requests: Arc<AtomicI64>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> (Receiver, String) {
        let receiver = Receiver {
            script: Arc::new(Mutex::new(script.into())),
            ..Default::default()
        };
        let state = receiver.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move { state.answer(&headers, &body) }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, format!("http://127.0.0.1:{}/hook", addr.port()))
    }

    fn answer(&self, headers: &HeaderMap, body: &[u8]) -> axum::response::Response {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let next = self.script.lock().unwrap().pop_front();
        let answer = next.or(*self.then.lock().unwrap()).unwrap_or(Answer::Ok);
        match answer {
            Answer::Fail(status) => (
                StatusCode::from_u16(status).unwrap(),
                "down for maintenance",
            )
                .into_response(),
            Answer::RetryAfter(status, seconds) => (
                StatusCode::from_u16(status).unwrap(),
                [("retry-after", seconds.to_string())],
                "slow down",
            )
                .into_response(),
            Answer::Ok => {
                let text = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                self.accepted.lock().unwrap().push(Received {
                    id: text("webhook-id"),
                    timestamp: text("webhook-timestamp").parse().unwrap_or_default(),
                    signature: text("webhook-signature"),
                    body: serde_json::from_slice(body).unwrap(),
                    raw: body.to_vec(),
                });
                (StatusCode::NO_CONTENT, "").into_response()
            }
        }
    }

    fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }
}

fn local() -> AllowedHosts {
    AllowedHosts::new(["127.0.0.1"])
}

fn input(url: &str, types: &[&str]) -> WebhookInput {
    WebhookInput {
        url: url.to_owned(),
        description: "Accounting".into(),
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        pipeline_id: None,
    }
}

/// The test's clock: t0 plus an offset each test moves (one clock per test).
macro_rules! clock {
    ($name:ident, $offset:ident) => {
        static $offset: AtomicI64 = AtomicI64::new(0);
        fn $name() -> DateTime<Utc> {
            t0() + Duration::seconds($offset.load(Ordering::SeqCst))
        }
    };
}

fn workers(c: &Conveyor, clock: fn() -> DateTime<Utc>) -> server::jobs::Workers {
    let mut workers = crate::tasks::workers(c.t.db.clone(), clock);
    workers.webhooks = Arc::new(server::jobs::webhook::WebhookSender::new(local()).unwrap());
    workers
}

/// Turns every event so far into deliveries (twice: the second makes none), then runs
/// every job due now.
async fn pump(c: &Conveyor, workers: &server::jobs::Workers, now: DateTime<Utc>) {
    pump_after(c, workers, 0, now).await;
}

/// `pump` for the events after `after` only (as the consumer sees each event once).
async fn pump_after(c: &Conveyor, workers: &server::jobs::Workers, after: i64, now: DateTime<Utc>) {
    for event in outbox::read_after(&c.t.db, after, 10_000).await.unwrap() {
        webhooks::fan_out(&c.t.db, &event, now).await.unwrap();
        assert_eq!(webhooks::fan_out(&c.t.db, &event, now).await.unwrap(), 0);
    }
    while workers.run_one("test").await.unwrap() {}
}

async fn states(c: &Conveyor) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for row in webhook_deliveries::Entity::find()
        .all(&c.t.db)
        .await
        .unwrap()
    {
        *counts.entry(row.state).or_insert(0) += 1;
    }
    counts
}

clock!(ordered_clock, ORDERED);

#[tokio::test]
async fn deliveries_arrive_once_in_order_signed_after_the_receiver_comes_up() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    // Down for the first four requests.
    let (receiver, url) = Receiver::start(vec![Answer::Fail(503); 4]).await;
    let created = webhooks::create_webhook(
        &c.t.db,
        &admin,
        input(
            &url,
            &["deal.created", "deal.moved", "deal.returned", "deal.won"],
        ),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    let secret = created.secret.clone();

    // Two deals, each created, moved on and sent back.
    let mut deals = Vec::new();
    for _ in 0..2 {
        let deal = c.deal(&c.admin).await;
        let on = move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&deal, c.stage("Scoring"), ""),
            t0(),
        )
        .await
        .unwrap();
        let back = move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&on, c.stage("Client manager"), "Need the income statement"),
            t0(),
        )
        .await
        .unwrap();
        deals.push(back);
    }
    let workers = workers(&c, ordered_clock);
    pump(&c, &workers, ordered_clock()).await;
    assert_eq!(
        states(&c).await.values().sum::<u64>(),
        6,
        "3 events x 2 deals"
    );
    assert!(receiver.accepted().is_empty(), "the receiver is down");

    // The schedule: 5 s, then 5 min, ... until everything is through.
    for step in [6, 310, 1900] {
        ORDERED.fetch_add(step, Ordering::SeqCst);
        pump(&c, &workers, ordered_clock()).await;
    }
    assert_eq!(
        states(&c).await.get("delivered"),
        Some(&6),
        "{:?}",
        states(&c).await
    );
    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 6, "each event once");
    let mut ids: Vec<&str> = accepted.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 6, "one id per event");
    for message in &accepted {
        assert!(
            verify(
                &secret,
                &message.id,
                message.timestamp,
                &message.raw,
                &message.signature
            ),
            "{message:?}"
        );
        assert_eq!(message.body["schema"], 1);
    }
    for deal in &deals {
        let seen: Vec<(i64, String)> = accepted
            .iter()
            .filter(|m| m.body["data"]["deal"]["id"] == deal.id.0)
            .map(|m| {
                (
                    m.body["id"].as_i64().unwrap(),
                    m.body["type"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let types: Vec<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            types,
            ["deal.created", "deal.moved", "deal.returned"],
            "in order"
        );
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    }
    // The failed attempts are in the log, with what the receiver said.
    let listed = webhooks::list_deliveries(&c.t.db, &admin, created.webhook.id)
        .await
        .unwrap();
    let retried: Vec<_> = listed.iter().filter(|d| d.attempts > 1).collect();
    assert!(!retried.is_empty());
    for delivery in retried {
        let failed = delivery.attempt_log.last().unwrap();
        assert_eq!(failed.status, Some(503));
        assert_eq!(failed.excerpt, "down for maintenance");
        assert_eq!(delivery.attempt_log.first().unwrap().status, Some(204));
    }

    // A move into the won stage goes as deal.won; resend repeats its webhook-id.
    let deal = &deals[0];
    let issued = c.stage("Issued");
    let won = move_deal(&c.t.db, &(), &admin, mv(deal, issued, ""), t0())
        .await
        .unwrap();
    pump(&c, &workers, ordered_clock()).await;
    let last = receiver.accepted().last().unwrap().clone();
    assert_eq!(last.body["type"], "deal.won");
    assert_eq!(last.body["data"]["deal"]["version"], won.version);
    let delivery = webhook_deliveries::Entity::find()
        .all(&c.t.db)
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|d| d.id)
        .unwrap();
    webhooks::resend(
        &c.t.db,
        &admin,
        &(),
        shared::webhook::DeliveryId(delivery.id),
        ordered_clock(),
    )
    .await
    .unwrap();
    pump(&c, &workers, ordered_clock()).await;
    assert_eq!(receiver.accepted().len(), 8);
    assert_eq!(
        receiver.accepted().last().unwrap().id,
        last.id,
        "the same webhook-id"
    );
}

clock!(failing_clock, FAILING);

#[tokio::test]
async fn the_last_failure_pauses_and_tells_the_owner_and_resume_sends_the_rest_in_order() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let (receiver, url) = Receiver::start(Vec::new()).await;
    *receiver.then.lock().unwrap() = Some(Answer::Fail(500));
    let created = webhooks::create_webhook(
        &c.t.db,
        &admin,
        input(&url, &["deal.created", "deal.moved"]),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    let deal = c.deal(&c.admin).await;
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let workers = workers(&c, failing_clock);
    pump(&c, &workers, failing_clock()).await;
    // Ten attempts over about three days; the second delivery waits behind the first.
    for _ in 0..12 {
        FAILING.fetch_add(25 * 3600, Ordering::SeqCst);
        pump(&c, &workers, failing_clock()).await;
    }
    assert_eq!(
        receiver.requests.load(Ordering::SeqCst),
        10,
        "ten attempts, then it stops"
    );
    let states_now = states(&c).await;
    assert_eq!(states_now.get("failed"), Some(&1), "{states_now:?}");
    assert_eq!(states_now.get("pending"), Some(&1), "the next one waits");
    let paused = webhooks::get_webhook(&c.t.db, &admin, created.webhook.id)
        .await
        .unwrap();
    assert_eq!(paused.state, WebhookState::Paused);
    assert!(paused.state_reason.is_some());
    let told = list_notifications(&c.t.db, &admin).await.unwrap();
    assert!(
        told.items
            .iter()
            .any(|n| n.kind == NotificationKind::WebhookStopped && n.text == url),
        "{told:?}"
    );

    // Back up and resumed: the waiting one goes; resending the failed one goes too.
    *receiver.then.lock().unwrap() = Some(Answer::Ok);
    webhooks::resume_webhook(&c.t.db, &admin, &(), created.webhook.id, failing_clock())
        .await
        .unwrap();
    pump(&c, &workers, failing_clock()).await;
    let types: Vec<String> = receiver
        .accepted()
        .iter()
        .map(|m| m.body["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["deal.moved"]);
    let failed = webhook_deliveries::Entity::find()
        .all(&c.t.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.state == DeliveryState::Failed.as_str())
        .unwrap();
    webhooks::resend(
        &c.t.db,
        &admin,
        &(),
        shared::webhook::DeliveryId(failed.id),
        failing_clock(),
    )
    .await
    .unwrap();
    pump(&c, &workers, failing_clock()).await;
    assert_eq!(receiver.accepted().len(), 2);
    assert_eq!(states(&c).await.get("delivered"), Some(&2));
}

clock!(pipeline_clock, PIPELINE);

#[tokio::test]
async fn a_subscription_for_one_pipeline_gets_only_its_events_and_can_be_changed() {
    use shared::pipeline::service::{Template, create_from_template};
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let sales = create_from_template(
        &c.t.db,
        &shared::access::Actor::system(),
        "Sales",
        Template::SalesFunnel,
        &[],
        t0(),
    )
    .await
    .unwrap();
    let (loans_hook, loans_url) = Receiver::start(Vec::new()).await;
    let (sales_hook, sales_url) = Receiver::start(Vec::new()).await;
    let for_loans = WebhookInput {
        pipeline_id: Some(c.pipeline.id),
        ..input(&loans_url, &["deal.created", "deal.moved"])
    };
    webhooks::create_webhook(&c.t.db, &admin, for_loans, &local(), t0())
        .await
        .unwrap();
    let for_sales = WebhookInput {
        pipeline_id: Some(sales),
        ..input(&sales_url, &["deal.created"])
    };
    let sales_webhook = webhooks::create_webhook(&c.t.db, &admin, for_sales, &local(), t0())
        .await
        .unwrap();
    let unknown = WebhookInput {
        pipeline_id: Some(shared::pipeline::PipelineId(9999)),
        ..input(&sales_url, &["deal.created"])
    };
    assert!(matches!(
        webhooks::create_webhook(&c.t.db, &admin, unknown, &local(), t0()).await,
        Err(AppError::NotFound { .. })
    ));

    let deal = c.deal(&c.admin).await;
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let workers = workers(&c, pipeline_clock);
    pump(&c, &workers, pipeline_clock()).await;
    let types: Vec<String> = loans_hook
        .accepted()
        .iter()
        .map(|m| m.body["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, ["deal.created", "deal.moved"]);
    assert!(sales_hook.accepted().is_empty(), "another pipeline's deal");

    // Changed to every pipeline and moves: the next move reaches it.
    let seen = outbox::last_id(&c.t.db).await.unwrap();
    let changed = webhooks::update_webhook(
        &c.t.db,
        &admin,
        sales_webhook.webhook.id,
        input(&sales_url, &["deal.moved", "deal.returned"]),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(changed.pipeline_id, None);
    assert_eq!(changed.event_types, ["deal.moved", "deal.returned"]);
    let current = shared::deal::service::get_deal(&c.t.db, &admin, deal.id)
        .await
        .unwrap();
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&current, c.stage("Client manager"), "Missing the passport"),
        t0(),
    )
    .await
    .unwrap();
    pump_after(&c, &workers, seen, pipeline_clock()).await;
    let got: Vec<String> = sales_hook
        .accepted()
        .iter()
        .map(|m| m.body["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ["deal.returned"]);
    assert_eq!(
        sales_hook.accepted()[0].body["data"]["comment"],
        "Missing the passport"
    );
}

clock!(gone_clock, GONE);

#[tokio::test]
async fn gone_disables_and_retry_after_is_honoured() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let (gone, gone_url) = Receiver::start(vec![Answer::Fail(410)]).await;
    let (busy, busy_url) = Receiver::start(vec![Answer::RetryAfter(429, 3600)]).await;
    let gone_hook = webhooks::create_webhook(
        &c.t.db,
        &admin,
        input(&gone_url, &["deal.created"]),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    webhooks::create_webhook(
        &c.t.db,
        &admin,
        input(&busy_url, &["deal.created"]),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    c.deal(&c.admin).await;
    let workers = workers(&c, gone_clock);
    pump(&c, &workers, gone_clock()).await;
    let disabled = webhooks::get_webhook(&c.t.db, &admin, gone_hook.webhook.id)
        .await
        .unwrap();
    assert_eq!(disabled.state, WebhookState::Disabled);
    assert_eq!(disabled.failed, 1);
    // Asked to wait an hour: not after 5 s, nor 10 minutes, but after the hour.
    for step in [6, 600] {
        GONE.fetch_add(step, Ordering::SeqCst);
        pump(&c, &workers, gone_clock()).await;
        assert!(busy.accepted().is_empty(), "after {step} s");
    }
    GONE.fetch_add(3600, Ordering::SeqCst);
    pump(&c, &workers, gone_clock()).await;
    assert_eq!(busy.accepted().len(), 1);
    // A disabled subscription gets nothing new.
    c.deal(&c.admin).await;
    pump(&c, &workers, gone_clock()).await;
    assert_eq!(gone.requests.load(Ordering::SeqCst), 1);
    assert_eq!(busy.accepted().len(), 2);
}

#[tokio::test]
async fn subscriptions_are_for_administrators_checked_and_rotated() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let manager = c.t.user("m@bank.ru", Role::Manager, vec![]).await;
    let manager = c.t.actor(&manager).await;
    let (receiver, url) = Receiver::start(Vec::new()).await;
    let before = shared::webhook::entity::webhooks::Entity::find()
        .count(&c.t.db)
        .await
        .unwrap();

    assert_eq!(
        webhooks::create_webhook(
            &c.t.db,
            &manager,
            input(&url, &["deal.created"]),
            &local(),
            t0()
        )
        .await
        .err(),
        Some(AppError::Forbidden)
    );
    for (bad, field, rule) in [
        (
            input(&url, &["deal.created"]),
            Field::WebhookUrl,
            Rule::PrivateAddress,
        ),
        (
            input("http://169.254.169.254/latest", &["deal.created"]),
            Field::WebhookUrl,
            Rule::PrivateAddress,
        ),
        (
            input("https://example.com/", &["nope"]),
            Field::EventTypes,
            Rule::UnknownValue,
        ),
        (
            input("javascript:alert(1)", &["deal.created"]),
            Field::WebhookUrl,
            Rule::InvalidUrl,
        ),
    ] {
        // Without the configuration's allowance, loopback is refused.
        assert_eq!(
            webhooks::create_webhook(&c.t.db, &admin, bad, &AllowedHosts::default(), t0())
                .await
                .err(),
            Some(AppError::validation(field, rule))
        );
    }
    assert_eq!(
        shared::webhook::entity::webhooks::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        before,
        "nothing stored"
    );

    let created = webhooks::create_webhook(
        &c.t.db,
        &admin,
        input(&url, &["deal.created"]),
        &local(),
        t0(),
    )
    .await
    .unwrap();
    let id = created.webhook.id;
    assert_eq!(
        webhooks::list_webhooks(&c.t.db, &manager).await.err(),
        Some(AppError::Forbidden)
    );
    assert_eq!(
        webhooks::reveal_secret(&c.t.db, &manager, id).await.err(),
        Some(AppError::Forbidden)
    );
    assert_eq!(
        webhooks::reveal_secret(&c.t.db, &admin, id).await.unwrap(),
        created.secret
    );

    // A test send reaches the receiver, signed.
    let sender = server::jobs::webhook::WebhookSender::new(local()).unwrap();
    let tested = webhooks::send_test(&c.t.db, &admin, &sender, id, t0())
        .await
        .unwrap();
    assert_eq!((tested.status, tested.error), (Some(204), None));
    let test = receiver.accepted().pop().unwrap();
    assert_eq!(test.body["type"], "webhook.test");
    assert!(verify(
        &created.secret,
        &test.id,
        test.timestamp,
        &test.raw,
        &test.signature
    ));

    // After a rotation both secrets sign for a day, then only the new one.
    let rotated = webhooks::rotate_secret(&c.t.db, &admin, id, t0())
        .await
        .unwrap();
    assert_ne!(rotated.secret, created.secret);
    webhooks::send_test(&c.t.db, &admin, &sender, id, t0() + Duration::hours(1))
        .await
        .unwrap();
    let both = receiver.accepted().pop().unwrap();
    assert_eq!(both.signature.split(' ').count(), 2);
    assert!(verify(
        &created.secret,
        &both.id,
        both.timestamp,
        &both.raw,
        &both.signature
    ));
    assert!(verify(
        &rotated.secret,
        &both.id,
        both.timestamp,
        &both.raw,
        &both.signature
    ));
    webhooks::send_test(&c.t.db, &admin, &sender, id, t0() + Duration::hours(25))
        .await
        .unwrap();
    let later = receiver.accepted().pop().unwrap();
    assert!(!verify(
        &created.secret,
        &later.id,
        later.timestamp,
        &later.raw,
        &later.signature
    ));
    assert!(verify(
        &rotated.secret,
        &later.id,
        later.timestamp,
        &later.raw,
        &later.signature
    ));

    // A sender that refuses private addresses reports it, in our words.
    let strict = server::jobs::webhook::WebhookSender::new(AllowedHosts::default()).unwrap();
    let refused = webhooks::send_test(&c.t.db, &admin, &strict, id, t0())
        .await
        .unwrap();
    assert_eq!(refused.status, None);
    assert_eq!(refused.error.as_deref(), Some("refused: private address"));

    // Deleting takes the deliveries with it; another id is 404.
    webhooks::delete_webhook(&c.t.db, &admin, id, t0())
        .await
        .unwrap();
    assert!(matches!(
        webhooks::get_webhook(&c.t.db, &admin, id).await,
        Err(AppError::NotFound { .. })
    ));
    let _: &dyn Sender = &sender;
}
