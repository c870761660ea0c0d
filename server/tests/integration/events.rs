//! The event log (outbox), its consumers and the live stream; the job queue.

use std::time::Duration;

use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::client::service::create_client;
use shared::client::{ClientDraft, ClientKind, NewClient};
use shared::comment::service::add_comment;
use shared::deal::UpdateDeal;
use shared::deal::service::{move_deal, update_deal};
use shared::event::entity::events;
use shared::event::outbox::{self, StartAt};
use shared::job::JobState;
use shared::job::queue::{self, NewJob};
use shared::task::NewTask;
use shared::task::service::{create_task, set_task_done};
use shared::timeline::Subject;
use shared::user::{Role, UserPatch};
use tower::ServiceExt;

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;
use crate::http::{get, signed_in};
use crate::timeline::comment;

async fn kinds(db: &shared::db::Db) -> Vec<String> {
    outbox::read_after(db, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record.data.kind().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_writes_one_event_and_a_refused_one_none() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let moved = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let returned = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(
            &moved,
            c.stage("Client manager"),
            "Need the income statement",
        ),
        t0(),
    )
    .await
    .unwrap();
    update_deal(
        &c.t.db,
        &(),
        &admin,
        UpdateDeal {
            deal_id: deal.id,
            version: returned.version,
            title: "Mortgage, 3-room flat".into(),
            client_name: Some("Ivan Petrov".into()),
            client_phone: Some("+7 900 000-00-00".into()),
            client_email: None,
            amount: returned.amount.clone(),
            responsible: returned.responsible,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    create_client(
        &c.t.db,
        &admin,
        NewClient {
            client: ClientDraft {
                kind: ClientKind::Company,
                name: "Romashka LLC".into(),
                ..ClientDraft::default()
            },
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    add_comment(
        &c.t.db,
        &(),
        &admin,
        comment(Subject::Deal(deal.id), "Called the client"),
        t0(),
    )
    .await
    .unwrap();
    let task = create_task(
        &c.t.db,
        &admin,
        NewTask {
            title: "Call back".into(),
            due_at: t0() + chrono::Duration::hours(1),
            assignee: None,
            subject: Some(Subject::Deal(deal.id)),
        },
        t0(),
    )
    .await
    .unwrap();
    set_task_done(&c.t.db, &admin, task.id, true, t0())
        .await
        .unwrap();
    let expected = [
        "deal.created",
        "deal.moved",
        "deal.returned",
        "deal.updated",
        "client.created",
        "comment.added",
        "task.created",
        "task.done",
    ];
    assert_eq!(kinds(&c.t.db).await, expected);

    // Refused changes roll back with their events: a stale version, a move the rules
    // forbid.
    let stale = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await;
    assert!(stale.is_err());
    let skipping = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&returned, c.stage("Servicing"), ""),
        t0(),
    )
    .await;
    assert!(skipping.is_err());
    assert_eq!(kinds(&c.t.db).await.len(), expected.len());

    // The public shape: who acted, what the deal looks like now.
    let log = outbox::read_after(&c.t.db, 0, 10).await.unwrap();
    let returned_event = &log[2].record;
    assert_eq!(returned_event.actor.user_id, Some(c.admin.id));
    assert_eq!(returned_event.actor.kind, "user");
    let json = serde_json::to_value(returned_event).unwrap();
    assert_eq!(json["type"], "deal.returned");
    assert_eq!(json["data"]["comment"], "Need the income statement");
    assert_eq!(json["data"]["deal"]["version"], returned.version);
    assert!(log.windows(2).all(|w| w[0].record.id < w[1].record.id));

    // The log is append-only.
    let first = events::Entity::find().one(&c.t.db).await.unwrap().unwrap();
    assert!(
        events::Entity::delete_by_id(first.id)
            .exec(&c.t.db)
            .await
            .is_err()
    );
}

fn later() -> DateTime<Utc> {
    t0() + chrono::Duration::hours(2)
}

#[tokio::test]
async fn a_consumer_resumes_after_a_restart_and_gets_what_was_committed_meanwhile() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    // Committed while no server was running its consumers (the sink wakes nobody).
    let deal = c.deal(&c.admin).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let handle = {
        let seen = seen.clone();
        move |event: outbox::StoredEvent| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(event.record.data.kind().to_owned());
                Ok::<(), String>(())
            }
        }
    };
    let db = c.t.reconnect().await;
    let more = server::events::consume_once(
        &db,
        "test-consumer",
        "server-a",
        StartAt::Beginning,
        later,
        &handle,
    )
    .await
    .unwrap();
    assert!(!more);
    assert_eq!(*seen.lock().unwrap(), ["deal.created"]);

    // Another server cannot read for the same consumer while the lease holds.
    assert!(
        !server::events::consume_once(
            &db,
            "test-consumer",
            "server-b",
            StartAt::Beginning,
            later,
            &handle,
        )
        .await
        .unwrap()
    );
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    // "Restarted": a new connection, the same worker name; only the new event arrives.
    let restarted = c.t.reconnect().await;
    server::events::consume_once(
        &restarted,
        "test-consumer",
        "server-a",
        StartAt::Beginning,
        later,
        &handle,
    )
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["deal.created", "deal.moved"]);

    // A consumer that starts now does not replay the past.
    let fresh = std::sync::Arc::new(std::sync::Mutex::new(0));
    let count = {
        let fresh = fresh.clone();
        move |_| {
            let fresh = fresh.clone();
            async move {
                *fresh.lock().unwrap() += 1;
                Ok::<(), String>(())
            }
        }
    };
    server::events::consume_once(&db, "late", "server-a", StartAt::Latest, later, &count)
        .await
        .unwrap();
    assert_eq!(*fresh.lock().unwrap(), 0);
}

/// Reads the next server-sent event of a stream, as text.
pub(crate) async fn next_frame(body: &mut axum::body::Body) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(8), body.frame())
            .await
            .expect("an event within 8 s")?
            .unwrap();
        let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
        // Keep-alive comments are not events.
        if !text.starts_with(':') {
            return Some(text);
        }
    }
}

pub(crate) fn postgres_url(t: &crate::harness::TestDb) -> Option<String> {
    Some(t.url.clone()).filter(|url| url.starts_with("postgres"))
}

#[tokio::test]
async fn the_stream_carries_visible_moves_live_across_servers_and_resumes_after_a_gap() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let outsider = c.t.user("olga@bank.ru", Role::Restricted, vec![]).await;
    let mine = c.deal(&c.admin).await;
    let hidden = c.deal(&outsider).await;

    // Two servers on one database: the move goes through A, the board is open on B.
    let bus_a = server::events::EventBus::default();
    let bus_b = server::events::EventBus::default();
    // Started as the server starts them: they have read the log's end when this returns.
    for bus in [&bus_a, &bus_b] {
        server::events::start_dispatcher(c.t.reconnect().await, bus.clone(), postgres_url(&c.t))
            .await
            .unwrap();
    }
    let app_b = c.t.app_with_bus(server::config::Config::default(), bus_b);
    let cookie = signed_in(&app_b, "scorer@bank.ru").await;
    let response = app_b
        .clone()
        .oneshot(get("/api/events", Some(&cookie)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    move_deal(
        &c.t.db,
        &bus_a,
        &admin,
        mv(&hidden, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .ok();
    let hidden_now = shared::deal::service::get_deal(&c.t.db, &admin, hidden.id)
        .await
        .unwrap();
    // The hidden deal entered the scorer's department: they may see it now. Move a deal
    // that stays out of their sight first.
    assert_eq!(hidden_now.stage_id, c.stage("Scoring"));
    let moved = move_deal(
        &c.t.db,
        &bus_a,
        &admin,
        mv(&mine, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let first = next_frame(&mut body).await.unwrap();
    assert!(first.starts_with("event: deal"), "{first}");
    assert!(
        first.contains(&format!("\"deal_id\":{}", hidden.id.0)),
        "{first}"
    );
    let second = next_frame(&mut body).await.unwrap();
    assert!(
        second.contains(&format!("\"deal_id\":{}", mine.id.0)),
        "{second}"
    );
    assert!(
        second.contains(&format!("\"version\":{}", moved.version)),
        "{second}"
    );
    let id_line = second.lines().find(|l| l.starts_with("id:")).unwrap();
    let last_seen: i64 = id_line[3..].trim().parse().unwrap();
    drop(body);

    // Offline for a while: a move out of the department (still visible: it left it) and one
    // the scorer never could see.
    let back = move_deal(
        &c.t.db,
        &bus_a,
        &admin,
        mv(&moved, c.stage("Client manager"), "Missing papers"),
        t0(),
    )
    .await
    .unwrap();
    let invisible = c.deal(&outsider).await;
    assert!(invisible.id.0 > 0);
    let mut request = get("/api/events", Some(&cookie));
    request
        .headers_mut()
        .insert("last-event-id", last_seen.to_string().parse().unwrap());
    let mut body = app_b.clone().oneshot(request).await.unwrap().into_body();
    let missed = next_frame(&mut body).await.unwrap();
    assert!(
        missed.contains(&format!("\"deal_id\":{}", mine.id.0)),
        "{missed}"
    );
    assert!(
        missed.contains(&format!("\"version\":{}", back.version)),
        "{missed}"
    );
    // Nothing about the invisible deal follows; the next event is their notification.
    shared::comment::service::add_comment(
        &c.t.db,
        &bus_a,
        &admin,
        comment(Subject::Deal(hidden.id), "@scorer please check"),
        t0(),
    )
    .await
    .unwrap();
    let next = next_frame(&mut body).await.unwrap();
    assert!(next.starts_with("event: notification"), "{next}");

    // Deactivated: the open stream ends at once.
    shared::user::service::update_user(
        &c.t.db,
        &admin,
        scorer.id,
        UserPatch {
            name: None,
            email: None,
            role: None,
            department_ids: None,
            active: Some(false),
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(next_frame(&mut body).await, None, "the stream ended");
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_again_after_its_lease_and_finished_once() {
    let c = Conveyor::new().await;
    let db = &c.t.db;
    let lease = chrono::Duration::minutes(5);
    assert!(
        queue::enqueue(
            db,
            NewJob::new("test.work", serde_json::json!({"n": 1}), t0()).dedup("work:1".into()),
            t0()
        )
        .await
        .unwrap()
    );
    assert!(
        !queue::enqueue(
            db,
            NewJob::new("test.work", serde_json::json!({"n": 1}), t0()).dedup("work:1".into()),
            t0()
        )
        .await
        .unwrap(),
        "the same key enqueues nothing"
    );
    let first = queue::claim(db, "w1", t0(), lease).await.unwrap().unwrap();
    assert_eq!(first.attempt, 1);
    assert_eq!(first.payload["n"], 1);
    // w1 dies. Within the lease nobody else takes it; after it, w2 does.
    let minute = chrono::Duration::minutes(1);
    assert!(
        queue::claim(db, "w2", t0() + minute, lease)
            .await
            .unwrap()
            .is_none()
    );
    let again = queue::claim(db, "w2", t0() + minute * 6, lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempt), (first.id, 2));
    // The late first worker cannot finish what it no longer holds.
    assert!(
        !queue::complete(db, first.id, "w1", t0() + minute * 7)
            .await
            .unwrap()
    );
    assert!(
        queue::complete(db, first.id, "w2", t0() + minute * 7)
            .await
            .unwrap()
    );
    assert!(
        queue::claim(db, "w3", t0() + minute * 60, lease)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_failing_job_backs_off_then_dies_and_an_admin_runs_it_again() {
    let c = Conveyor::new().await;
    let db = &c.t.db;
    let lease = chrono::Duration::minutes(5);
    let mut job = NewJob::new("test.flaky", serde_json::json!({}), t0());
    job.max_attempts = 3;
    queue::enqueue(db, job, t0()).await.unwrap();
    let s = chrono::Duration::seconds;
    let claimed = queue::claim(db, "w", t0(), lease).await.unwrap().unwrap();
    assert_eq!(
        queue::fail(db, claimed.id, "w", "timeout", t0())
            .await
            .unwrap(),
        JobState::Failed
    );
    assert!(
        queue::claim(db, "w", t0() + s(9), lease)
            .await
            .unwrap()
            .is_none()
    );
    let second = queue::claim(db, "w", t0() + s(10), lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.attempt, 2);
    queue::fail(db, second.id, "w", "timeout", t0() + s(10))
        .await
        .unwrap();
    assert!(
        queue::claim(db, "w", t0() + s(49), lease)
            .await
            .unwrap()
            .is_none()
    );
    let third = queue::claim(db, "w", t0() + s(50), lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        queue::fail(db, third.id, "w", "refused: private address", t0() + s(50))
            .await
            .unwrap(),
        JobState::Dead
    );
    assert!(
        queue::claim(db, "w", t0() + s(100_000), lease)
            .await
            .unwrap()
            .is_none()
    );

    let admin = c.t.actor(&c.admin).await;
    let page = queue::jobs_page(db, &admin, Some(JobState::Dead))
        .await
        .unwrap();
    assert_eq!(page.jobs.len(), 1);
    assert_eq!(
        page.jobs[0].last_error.as_deref(),
        Some("refused: private address")
    );
    assert_eq!(page.jobs[0].attempts, 3);
    let employee = c.t.user("emp@bank.ru", Role::Employee, vec![]).await;
    let employee = c.t.actor(&employee).await;
    assert_eq!(
        queue::jobs_page(db, &employee, None).await.unwrap_err(),
        shared::AppError::Forbidden
    );
    assert_eq!(
        queue::run_again(db, &employee, third.id, t0())
            .await
            .unwrap_err(),
        shared::AppError::Forbidden
    );
    let revived = queue::run_again(db, &admin, third.id, t0() + s(200))
        .await
        .unwrap();
    assert_eq!(revived.state, JobState::Queued);
    assert!(
        queue::run_again(db, &admin, third.id, t0()).await.is_err(),
        "queued already"
    );
    let fourth = queue::claim(db, "w", t0() + s(200), lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fourth.attempt, 1);
}

#[tokio::test]
async fn parallel_workers_take_each_job_once() {
    let c = Conveyor::new().await;
    let db = c.t.db.clone();
    for n in 0..30 {
        queue::enqueue(
            &db,
            NewJob::new("test.n", serde_json::json!({ "n": n }), t0()),
            t0(),
        )
        .await
        .unwrap();
    }
    let mut workers = Vec::new();
    for w in 0..6 {
        let db = if w % 2 == 0 {
            db.clone()
        } else {
            c.t.reconnect().await
        };
        workers.push(tokio::spawn(async move {
            let mut taken = Vec::new();
            let name = format!("w{w}");
            while let Some(job) = queue::claim(&db, &name, t0(), chrono::Duration::minutes(5))
                .await
                .unwrap()
            {
                assert!(queue::complete(&db, job.id, &name, t0()).await.unwrap());
                taken.push(job.id.0);
            }
            taken
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (30, 30), "every job once");
}

fn two_hours_later() -> DateTime<Utc> {
    t0() + chrono::Duration::hours(2)
}

#[tokio::test]
async fn a_task_reminder_is_a_job_that_notifies_once() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let task = create_task(
        &c.t.db,
        &admin,
        NewTask {
            title: "Call back".into(),
            due_at: t0() + chrono::Duration::hours(1),
            assignee: None,
            subject: None,
        },
        t0(),
    )
    .await
    .unwrap();
    let workers = crate::tasks::workers(c.t.db.clone(), two_hours_later);
    assert!(workers.run_one("test-0").await.unwrap());
    assert!(
        !workers.run_one("test-0").await.unwrap(),
        "nothing else is due"
    );
    let unread = shared::notification::service::unread_count(&c.t.db, &admin)
        .await
        .unwrap();
    assert_eq!(unread, 1);
    // Run again by hand (as after a crash): the reminder is not sent twice.
    let reminded = shared::task::service::send_reminder(&c.t.db, &(), task.id, two_hours_later())
        .await
        .unwrap();
    assert!(!reminded);
    let done = shared::job::entity::jobs::Entity::find()
        .count(&c.t.db)
        .await
        .unwrap();
    assert_eq!(done, 1);
}
