//! Two real server processes (the `konveyer` binary) on loopback behind one PostgreSQL
//! database: a move made through one reaches a board open on the other, and their job
//! workers share the queue without running a job twice. On SQLite the test is skipped:
//! there, one process owns the database file.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::{StatusCode, header};
use chrono::TimeZone;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use shared::deal::DealView;
use shared::job::JobState;
use shared::job::entity::jobs;
use shared::notification::entity::notifications;
use shared::task::NewTask;
use shared::task::entity::tasks;
use shared::task::service::{REMINDER_JOB, create_task};
use shared::user::Role;
use tokio::time::Instant;

use crate::conveyor::{Conveyor, mv};
use crate::harness::{PASSWORD, t0};

/// A server process started by the test, killed when it is dropped (also on a failure).
struct ServerProcess {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    /// Its data folder, which also holds its log.
    dir: PathBuf,
}

impl ServerProcess {
    /// Starts `konveyer serve --no-demo` on a free loopback port over `database_url`.
    fn start(name: &'static str, database_url: &str) -> ServerProcess {
        let dir = std::env::temp_dir().join(format!(
            "konveyer_two_servers_{}_{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let addr = free_loopback_addr();
        let log = File::create(dir.join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_konveyer"))
            .args(["serve", "--no-demo"])
            // Only what this test sets: no KONVEYER_* or LEPTOS_* of the caller's shell, and
            // a working folder without a konveyer.toml.
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("KONVEYER_DATA_DIR", &dir)
            .env("KONVEYER_ADDR", addr.to_string())
            .env("KONVEYER_DB_POOL", "8")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("starting server {name}: {err}"));
        ServerProcess {
            name,
            child,
            addr,
            dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The `Origin` a browser showing this server's pages sends.
    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Waits until `GET /healthz` answers 200; fails at once if the process exits.
    async fn wait_healthy(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "server {} exited with {status} before it answered:\n{}",
                    self.name,
                    self.log()
                );
            }
            let health = client
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            if health.is_ok_and(|reply| reply.status() == StatusCode::OK) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server {} did not answer /healthz within 90 s:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether `worker` (a `locked_by` value, `<host>-<pid>-<n>`) is one of this process's.
    fn owns(&self, worker: &str) -> bool {
        worker
            .rsplit_once('-')
            .and_then(|(instance, _)| instance.rsplit_once('-'))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
            == Some(self.child.id())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- server {} log ---\n{}", self.name, self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback address nobody listens on right now.
fn free_loopback_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Signs in over the server function, as the sign-in page does; returns `name=value`.
async fn sign_in(client: &reqwest::Client, server: &ServerProcess, email: &str) -> String {
    let reply = client
        .post(server.url("/api/sign_in"))
        .header(header::ORIGIN, server.origin())
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={PASSWORD}",
            email.replace('@', "%40")
        ))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(
        reply.status(),
        StatusCode::OK,
        "signing in on {}",
        server.name
    );
    reply
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("konveyer_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// One server-sent event.
#[derive(Debug)]
struct SseEvent {
    event: String,
    data: String,
}

/// An open `GET /api/events` stream, read event by event.
struct EventStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl EventStream {
    /// The next event (keep-alive comments skipped); `None` when the stream ended. Fails
    /// when nothing arrives before `deadline`.
    async fn next(&mut self, deadline: Instant) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(block).unwrap();
                let mut event = SseEvent {
                    event: "message".to_owned(),
                    data: String::new(),
                };
                let mut fields = false;
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event.event = name.trim().to_owned();
                        fields = true;
                    } else if let Some(data) = line.strip_prefix("data:") {
                        event.data.push_str(data.trim());
                        fields = true;
                    }
                }
                if fields {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .expect("the next event in time")
                .unwrap()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

/// Reminders in the batch both servers' workers take from the queue: more than their
/// workers together (4 each), so some are left for a second round.
const REMINDERS: usize = 24;

#[tokio::test]
async fn a_move_through_one_server_reaches_the_others_board_and_their_workers_run_each_job_once() {
    let c = Conveyor::new().await;
    if !c.t.url.starts_with("postgres") {
        eprintln!(
            "two_servers: skipped on SQLite (one process owns the file); \
             set TEST_DATABASE_URL to a PostgreSQL server to run it"
        );
        return;
    }
    let started = Instant::now();
    let admin = c.t.actor(&c.admin).await;
    c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
        .await;
    let deal = c.deal(&c.admin).await;
    // The reminders are enqueued now but fall due only when the test says so (below).
    let never = chrono::Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let mut titles = Vec::new();
    for n in 0..REMINDERS {
        let title = format!("Reminder {n:02}");
        create_task(
            &c.t.db,
            &admin,
            NewTask {
                title: title.clone(),
                due_at: never,
                assignee: None,
                subject: None,
            },
            t0(),
        )
        .await
        .unwrap();
        titles.push(title);
    }

    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut a = ServerProcess::start("A", &c.t.url);
    let mut b = ServerProcess::start("B", &c.t.url);
    a.wait_healthy(&client).await;
    b.wait_healthy(&client).await;
    eprintln!(
        "two_servers: A (pid {}) on {}, B (pid {}) on {}, both up after {:?}",
        a.child.id(),
        a.addr,
        b.child.id(),
        b.addr,
        started.elapsed()
    );

    // The board is open on B: its live stream.
    let scorer = sign_in(&client, &b, "scorer@bank.ru").await;
    // No overall timeout on the request: it would end the stream too.
    let response = tokio::time::timeout(
        Duration::from_secs(30),
        client
            .get(b.url("/api/events"))
            .header(header::COOKIE, &scorer)
            .send(),
    )
    .await
    .expect("B opens the stream within 30 s")
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut stream = EventStream {
        response,
        buffer: Vec::new(),
    };

    // The move goes through A, as A's board sends it.
    let mover = sign_in(&client, &a, "admin@bank.ru").await;
    let reply = client
        .post(a.url("/api/move_deal"))
        .header(header::COOKIE, &mover)
        .header(header::ORIGIN, a.origin())
        .header(header::ACCEPT, "application/json")
        .json(&serde_json::json!({ "cmd": mv(&deal, c.stage("Scoring"), "") }))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    let moved_at = Instant::now();
    assert_eq!(reply.status(), StatusCode::OK, "moving the deal through A");
    let moved: DealView = reply.json().await.unwrap();
    assert_eq!(moved.stage_id, c.stage("Scoring"));
    assert!(moved.version > deal.version);

    let deadline = moved_at + Duration::from_secs(10);
    let mut others = Vec::new();
    let live = loop {
        let event = stream.next(deadline).await.expect("B's stream stays open");
        if event.event == "deal" {
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            if data["deal_id"] == deal.id.0 {
                break data;
            }
        }
        others.push(event);
    };
    assert_eq!(
        live["version"], moved.version,
        "B shows the deal at the version A's move made (after {others:?})"
    );
    assert_eq!(live["stage_id"], c.stage("Scoring").0);
    eprintln!(
        "two_servers: B's stream had the move made through A within {:?} of A's answer",
        moved_at.elapsed()
    );
    drop(stream);

    // The job queue. The reminders' tasks are locked by this test, so a worker that takes a
    // reminder waits inside its job while holding it: once every worker of both servers
    // has polled, each holds one, which shows who takes part.
    let hold = c.t.db.begin().await.unwrap();
    let locked = tasks::Entity::find()
        .lock_exclusive()
        .all(&hold)
        .await
        .unwrap();
    assert_eq!(locked.len(), REMINDERS);
    let reminders = || jobs::Entity::find().filter(jobs::Column::Kind.eq(REMINDER_JOB));
    let released = jobs::Entity::update_many()
        .col_expr(jobs::Column::RunAt, Expr::value(t0()))
        .filter(jobs::Column::Kind.eq(REMINDER_JOB))
        .exec(&c.t.db)
        .await
        .unwrap();
    assert_eq!(released.rows_affected, REMINDERS as u64);
    let deadline = Instant::now() + Duration::from_secs(30);
    let holders = loop {
        let holders: Vec<String> = reminders()
            .filter(jobs::Column::State.eq(JobState::Running.as_str()))
            .all(&c.t.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|job| job.locked_by)
            .collect();
        if holders.iter().any(|w| a.owns(w)) && holders.iter().any(|w| b.owns(w)) {
            break holders;
        }
        assert!(
            Instant::now() < deadline,
            "the workers of both servers hold a reminder within 30 s; held by {holders:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        holders.iter().all(|w| a.owns(w) || b.owns(w)),
        "only the two servers' workers hold jobs: {holders:?}"
    );
    let mut unique = holders.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        holders.len(),
        "one job per worker: {holders:?}"
    );
    eprintln!(
        "two_servers: reminders held at once by {} of A's and {} of B's workers",
        holders.iter().filter(|w| a.owns(w)).count(),
        holders.iter().filter(|w| b.owns(w)).count()
    );
    hold.rollback().await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        let all = reminders().all(&c.t.db).await.unwrap();
        if all.iter().all(|job| job.state == JobState::Done.as_str()) {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "every reminder done within 60 s: {:?}",
            all.iter()
                .map(|job| (job.id, &job.state, job.attempts, &job.last_error))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.len(), REMINDERS);
    for job in &done {
        // Every claim counts an attempt: a job taken by two workers would show two.
        assert_eq!(
            (job.attempts, job.last_error.as_deref()),
            (1, None),
            "job {} ran once and succeeded",
            job.id
        );
    }
    let mut notified: Vec<String> = notifications::Entity::find()
        .filter(notifications::Column::Kind.eq("task_due"))
        .all(&c.t.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| {
            assert_eq!(n.user_id, c.admin.id.0, "the reminder goes to the assignee");
            n.text
        })
        .collect();
    notified.sort();
    assert_eq!(notified, titles, "one notification per reminder");
    eprintln!(
        "two_servers: {REMINDERS} reminders done once each; the test took {:?}",
        started.elapsed()
    );
}
