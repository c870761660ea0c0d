//! Bounds on every input: each class a security probe found, refused with a clear error
//! before any work, and nothing changed. Lists and texts (tags, ids, custom conditions,
//! searches), periods, page numbers, the sign-in throttle under parallel attempts, calls
//! without a session, caching of signed-in responses, and sessions that stay ended.

use std::str::FromStr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Days, Duration};
use rand::rngs::OsRng;
use sea_orm::{EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::access::Actor;
use shared::analytics::{AnalyticsFilter, Granularity};
use shared::auth::SignIn;
use shared::auth::entity::sign_in_failures;
use shared::board::BoardFilter;
use shared::client::service::{create_client, get_client, update_client};
use shared::client::{ClientDraft, NewClient, UpdateClient};
use shared::custom_field::{CustomFieldId, CustomFilter};
use shared::error::{Field, Rule};
use shared::limits;
use shared::notification::NotificationKind;
use shared::notification::service::{Notice, mark_read, notify, unread_count};
use shared::user::{Role, service as users};
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore};

use crate::conveyor::Conveyor;
use crate::harness::{PASSWORD, TestDb, t0};
use crate::http::{HOST, ORIGIN, get, send, signed_in};

fn post_json(path: &str, body: &serde_json::Value, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

fn invalid(field: Field, rule: Rule) -> Result<(), AppError> {
    Err(AppError::validation(field, rule))
}

// 1. Tags: bounded in number and length before any work, de-duplicated in one pass.

#[tokio::test]
async fn thousands_of_tags_are_refused_before_any_work_and_change_nothing() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let draft = |tags: Vec<String>| ClientDraft {
        name: "Anna Petrova".into(),
        tags,
        ..ClientDraft::default()
    };
    let client = create_client(
        &c.t.db,
        &admin,
        NewClient {
            client: draft(vec!["vip".into()]),
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let too_many = AppError::validation(
        Field::Tags,
        Rule::TooMany {
            max: limits::TAGS_MAX,
        },
    );
    // 5,000 copies of one tag used to be de-duplicated (quadratically) down to one and
    // accepted; 5,000 distinct ones were all compared before the count was checked.
    let copies = vec!["VIP".to_owned(); 5_000];
    let distinct: Vec<String> = (0..5_000).map(|n| format!("tag{n}")).collect();
    for tags in [copies, distinct] {
        let started = std::time::Instant::now();
        let result = update_client(
            &c.t.db,
            &admin,
            UpdateClient {
                id: client.id,
                version: client.version,
                client: draft(tags),
                allow_duplicate: false,
                custom: Vec::new(),
            },
            t0(),
        )
        .await;
        assert_eq!(result.err(), Some(too_many.clone()));
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "refused without the work: {:?}",
            started.elapsed()
        );
    }
    // One over-long tag among a few is refused too.
    let long = update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: client.id,
            version: client.version,
            client: draft(vec!["ok".into(), "x".repeat(100_000)]),
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await;
    assert_eq!(
        long.err(),
        Some(AppError::validation(
            Field::Tags,
            Rule::TooLong {
                max: limits::TAG_CHARS_MAX
            }
        ))
    );
    let stored = get_client(&c.t.db, &admin, client.id).await.unwrap();
    assert_eq!(stored.tags, vec!["vip"]);
    assert_eq!(stored.version, client.version);
    // Twenty distinct tags, duplicates in any case dropped, still pass.
    let mut tags: Vec<String> = (0..20).map(|n| format!("t{n}")).collect();
    tags.extend((0..20).map(|n| format!("#T{n}")));
    let saved = update_client(
        &c.t.db,
        &admin,
        UpdateClient {
            id: client.id,
            version: client.version,
            client: draft(tags),
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(saved.tags.len(), 20);
}

// 2. Analytics: periods and bucket counts.

#[tokio::test]
async fn a_period_past_five_years_is_refused_by_every_dashboard() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let today = t0().date_naive();
    let filter = |days: u64| AnalyticsFilter {
        pipeline: Some(c.pipeline.id),
        from: Some(today - Days::new(days - 1)),
        to: Some(today),
        granularity: Granularity::Day,
        ..AnalyticsFilter::default()
    };
    let two_centuries = filter(200 * 365);
    let refused = Err::<(), _>(AppError::validation(
        Field::Period,
        Rule::PeriodTooLong {
            max_days: limits::PERIOD_DAYS_MAX,
        },
    ));
    use shared::analytics::service as analytics;
    assert_eq!(
        analytics::load_trends(&c.t.db, &admin, &two_centuries, t0())
            .await
            .map(|_| ()),
        refused
    );
    assert_eq!(
        analytics::load_sla(&c.t.db, &admin, &two_centuries, t0())
            .await
            .map(|_| ()),
        refused
    );
    assert_eq!(
        analytics::load_analytics(&c.t.db, &admin, &two_centuries, t0())
            .await
            .map(|_| ()),
        refused
    );
    assert_eq!(
        analytics::load_team(&c.t.db, &admin, &two_centuries, t0())
            .await
            .map(|_| ()),
        refused
    );
    // Five years by the day is the most a trend may have, and it is answered.
    let five_years = filter(limits::PERIOD_DAYS_MAX);
    let trends = analytics::load_trends(&c.t.db, &admin, &five_years, t0())
        .await
        .unwrap();
    assert!(trends.points.len() as u64 <= limits::BUCKETS_MAX);

    // Over HTTP the refusal is a 422 with a small body.
    let app = c.t.app();
    let cookie = signed_in(&app, "admin@bank.ru").await;
    let reply = send(
        &app,
        post_json(
            "/api/load_trends",
            &serde_json::json!({ "filter": two_centuries }),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.len() < 1_000);
}

// 3. Lists of ids.

#[tokio::test]
async fn marking_forty_thousand_notifications_read_is_refused_and_marks_nothing() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    notify(
        &t.db,
        anna.id,
        Notice {
            kind: NotificationKind::Mention,
            subject: None,
            comment_id: None,
            actor: None,
            text: "hello",
        },
        t0(),
    )
    .await
    .unwrap();
    let actor = t.actor(&anna).await;
    let many: Vec<i32> = (1..=40_000).collect();
    assert_eq!(
        mark_read(&t.db, &actor, Some(many.clone()), t0()).await,
        Err(AppError::validation(
            Field::Notifications,
            Rule::TooMany {
                max: limits::IDS_MAX
            }
        ))
    );
    assert_eq!(unread_count(&t.db, &actor).await.unwrap(), 1);
    let app = t.app();
    let cookie = signed_in(&app, "anna@bank.ru").await;
    let reply = send(
        &app,
        post_json(
            "/api/mark_notifications_read",
            &serde_json::json!({ "ids": many }),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(unread_count(&t.db, &actor).await.unwrap(), 1);
    // The bound itself is accepted.
    let most: Vec<i32> = (1..=i32::try_from(limits::IDS_MAX).unwrap()).collect();
    assert_eq!(mark_read(&t.db, &actor, Some(most), t0()).await, Ok(0));
}

// 4. Page numbers and offsets.

#[tokio::test]
async fn huge_page_numbers_and_offsets_are_refused_without_a_panic() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let cookie = signed_in(&app, "admin@bank.ru").await;
    for page in [u64::MAX, limits::PAGE_MAX + 1] {
        let reply = send(
            &app,
            post_json(
                "/api/list_clients",
                &serde_json::json!({ "filter": { "page": page } }),
                Some(&cookie),
            ),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert_eq!(reply.json()["field"], "page");
    }
    let reply = send(
        &app,
        post_json(
            "/api/list_clients",
            &serde_json::json!({ "filter": { "page": limits::PAGE_MAX } }),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // The page itself, with the number in its URL, renders (with the error) rather than
    // dropping the connection.
    let page = send(
        &app,
        get(&format!("/clients?page={}", u64::MAX), Some(&cookie)),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);

    let stage = c.pipeline.stages[0].id;
    for offset in [u64::MAX, limits::OFFSET_MAX + 1] {
        let reply = send(
            &app,
            post_json(
                "/api/load_column_page",
                &serde_json::json!({
                    "pipeline": c.pipeline.id,
                    "stage": stage,
                    "filter": BoardFilter::default(),
                    "offset": offset,
                }),
                Some(&cookie),
            ),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
    }
}

// 5. The sign-in throttle.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_wrong_passwords_get_at_most_ten_checks() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let db = t.db.clone();
        attempts.spawn(async move {
            shared::auth::service::sign_in(
                &db,
                SignIn {
                    email: "anna@bank.ru".into(),
                    password: "wrong-password".into(),
                },
                "203.0.113.5",
                t0(),
            )
            .await
        });
    }
    let (mut checked, mut limited) = (0, 0);
    while let Some(result) = attempts.join_next().await {
        match result.unwrap() {
            Err(AppError::InvalidCredentials) => checked += 1,
            Err(AppError::RateLimited { .. }) => limited += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((checked, limited), (10, 30));
    assert_eq!(
        sign_in_failures::Entity::find().count(&t.db).await.unwrap(),
        10
    );
}

#[tokio::test]
async fn a_flood_for_an_account_does_not_lock_out_its_owners_known_address() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let attempt = |password: &str, address: &str, seconds: i64| {
        let db = t.db.clone();
        let cmd = SignIn {
            email: "anna@bank.ru".into(),
            password: password.into(),
        };
        let address = address.to_owned();
        async move {
            shared::auth::service::sign_in(&db, cmd, &address, t0() + Duration::seconds(seconds))
                .await
        }
    };
    let _ = tracing_subscriber::fmt().try_init();
    let first = attempt(PASSWORD, "10.0.0.5", 0).await;
    assert!(first.is_ok(), "{first:?}");
    for i in 0..20 {
        let _ = attempt("guess-guess", &format!("198.51.100.{i}"), 10).await;
    }
    assert!(
        attempt(PASSWORD, "10.0.0.5", 20).await.is_ok(),
        "the owner's address is not locked by the account's limit"
    );
    assert!(matches!(
        attempt(PASSWORD, "10.0.0.6", 20).await,
        Err(AppError::RateLimited { .. })
    ));
    // The address's own limit still holds there.
    for _ in 0..10 {
        let _ = attempt("guess-guess", "10.0.0.5", 30).await;
    }
    assert!(matches!(
        attempt(PASSWORD, "10.0.0.5", 31).await,
        Err(AppError::RateLimited { .. })
    ));
}

#[tokio::test]
async fn an_over_long_e_mail_at_sign_in_is_refused_and_not_stored() {
    let t = TestDb::new().await;
    let result = shared::auth::service::sign_in(
        &t.db,
        SignIn {
            email: format!("{}@bank.ru", "a".repeat(100_000)),
            password: "whatever-1".into(),
        },
        "203.0.113.5",
        t0(),
    )
    .await;
    assert_eq!(
        result.map(|_| ()),
        invalid(
            Field::Email,
            Rule::TooLong {
                max: limits::SIGN_IN_EMAIL_CHARS_MAX
            }
        )
    );
    assert_eq!(
        sign_in_failures::Entity::find().count(&t.db).await.unwrap(),
        0
    );
}

// 6. No session, no call: 401 before the body is read.

#[tokio::test]
async fn calls_without_a_session_get_401_before_their_body_is_read() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    for path in [
        "/api/create_client",
        "/api/list_clients",
        "/api/mark_notifications_read",
        "/api/current_user",
        "/api/set_locale",
        "/api/no_such_function",
    ] {
        // A body that does not parse: a 400 would mean it was read.
        let request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"client": {"name": 5"#))
            .unwrap();
        let reply = send(&app, request).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.json()["code"], "auth.unauthenticated", "{path}");
    }
    // Signing in stays open (a wrong password is its own 401), and so does signing out.
    let sign_in = Request::post("/api/sign_in")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("email=anna%40bank.ru&password=nope-nope"))
        .unwrap();
    let wrong = send(&app, sign_in).await;
    assert_eq!(wrong.json()["kind"], "invalid_credentials");
    let out = send(
        &app,
        post_json("/api/sign_out", &serde_json::json!({}), None),
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
}

// 7. Signed-in responses are not cached.

#[tokio::test]
async fn signed_in_pages_data_and_files_are_marked_no_store() {
    let c = Conveyor::new().await;
    let app = c.t.app();
    let cookie = signed_in(&app, "admin@bank.ru").await;
    let no_store = |reply: &crate::http::Reply| {
        reply
            .headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store"))
    };
    for page in ["/board", "/clients", "/analytics"] {
        let reply = send(&app, get(page, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert!(no_store(&reply), "{page}");
    }
    let reply = send(
        &app,
        post_json(
            "/api/list_clients",
            &serde_json::json!({ "filter": { "page": 0 } }),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(no_store(&reply));
    let deal = c.deal(&c.admin).await;
    let document = crate::documents::upload_pdf(&app, &c.t.db, &cookie, deal.id).await;
    let reply = send(&app, get(&format!("/files/{document}"), Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(no_store(&reply));
    // Assets stay cacheable.
    let asset = send(&app, get("/favicon.svg", Some(&cookie))).await;
    assert!(!no_store(&asset));
}

// 8. Search texts and custom conditions.

#[tokio::test]
async fn long_searches_and_too_many_custom_conditions_are_refused() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    use shared::board::service::load_board;
    let long_search = BoardFilter {
        search: Some("x".repeat(limits::SEARCH_CHARS_MAX + 1)),
        ..BoardFilter::default()
    };
    let too_long = Some(AppError::validation(
        Field::Search,
        Rule::TooLong {
            max: limits::SEARCH_CHARS_MAX,
        },
    ));
    assert_eq!(
        load_board(&c.t.db, &admin, c.pipeline.id, &long_search, t0())
            .await
            .err(),
        too_long
    );
    let conditions = |n: i32, value: String| BoardFilter {
        custom: (0..n)
            .map(|id| CustomFilter {
                field: CustomFieldId(id),
                equals: Some(value.clone()),
                min: None,
                max: None,
            })
            .collect(),
        ..BoardFilter::default()
    };
    assert_eq!(
        load_board(
            &c.t.db,
            &admin,
            c.pipeline.id,
            &conditions(10_000, "a".into()),
            t0()
        )
        .await
        .err(),
        Some(AppError::validation(
            Field::CustomField,
            Rule::TooMany {
                max: limits::CUSTOM_FILTERS_MAX
            }
        ))
    );
    assert_eq!(
        load_board(
            &c.t.db,
            &admin,
            c.pipeline.id,
            &conditions(1, "a".repeat(100_000)),
            t0()
        )
        .await
        .err(),
        Some(AppError::validation(
            Field::CustomField,
            Rule::TooLong {
                max: limits::FILTER_VALUE_CHARS_MAX
            }
        ))
    );
    assert!(
        load_board(
            &c.t.db,
            &admin,
            c.pipeline.id,
            &conditions(3, "a".into()),
            t0()
        )
        .await
        .is_ok()
    );
    assert_eq!(
        shared::client::service::search_companies(&c.t.db, &admin, &"x".repeat(10_000))
            .await
            .err(),
        too_long
    );
    let app = c.t.app();
    let cookie = signed_in(&app, "admin@bank.ru").await;
    let reply = send(
        &app,
        post_json(
            "/api/list_clients",
            &serde_json::json!({ "filter": { "search": "x".repeat(10_000), "page": 0 } }),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["field"], "search");
}

// 9. An ended session stays ended.

/// The session of `cookie` as a request that was already running holds it: loaded before
/// the session ended, saved after.
async fn in_flight(t: &TestDb, cookie: &str) -> Session {
    let id = cookie.split_once('=').unwrap().1;
    let store = Arc::new(server::sessions::DbSessionStore::new(t.db.clone()));
    let session = Session::new(Some(Id::from_str(id).unwrap()), store, None);
    assert!(
        session
            .get::<i32>(server::sessions::SESSION_USER_ID)
            .await
            .unwrap()
            .is_some(),
        "loaded while signed in"
    );
    session
}

#[tokio::test]
async fn a_request_in_flight_does_not_bring_back_a_session_ended_by_sign_out_or_reset() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();

    // Sign-out while another request of the session runs.
    let cookie = signed_in(&app, "anna@bank.ru").await;
    let running = in_flight(&t, &cookie).await;
    let reply = send(
        &app,
        post_json("/api/sign_out", &serde_json::json!({}), Some(&cookie)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    running.insert("renewed_at", 1).await.unwrap();
    running.save().await.unwrap();
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login"),
        "the ended session stays ended"
    );

    // A password reset while a request runs.
    let cookie = signed_in(&app, "anna@bank.ru").await;
    let running = in_flight(&t, &cookie).await;
    users::reset_password(
        &t.db,
        &Actor::system(),
        anna.id,
        "new-password-1",
        &mut OsRng,
        t0(),
    )
    .await
    .unwrap();
    running.insert("renewed_at", 2).await.unwrap();
    running.save().await.unwrap();
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login")
    );
    let store = server::sessions::DbSessionStore::new(t.db.clone());
    let id = Id::from_str(cookie.split_once('=').unwrap().1).unwrap();
    assert!(store.load(&id).await.unwrap().is_none());
}
