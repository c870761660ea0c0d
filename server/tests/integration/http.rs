//! The HTTP surface through the real router: health, security headers, sessions, the
//! Origin check, sign-in and sign-out over server functions.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use shared::access::Actor;
use shared::user::{Role, UserPatch, service as users};
use tower::ServiceExt;

use crate::harness::{PASSWORD, TestDb, t0};

pub(crate) const HOST: &str = "127.0.0.1:3000";
pub(crate) const ORIGIN: &str = "http://127.0.0.1:3000";

pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("konveyer_session="))
            .map(str::to_owned)
    }

    pub(crate) fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub(crate) fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

pub(crate) fn post_form(
    path: &str,
    body: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

/// Signs in over the server function and returns the `name=value` session cookie.
async fn sign_in(app: &Router, email: &str, password: &str, cookie: Option<&str>) -> Reply {
    let body = format!("email={}&password={}", email.replace('@', "%40"), password);
    send(app, post_form("/api/sign_in", &body, cookie, Some(ORIGIN))).await
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

pub(crate) async fn signed_in(app: &Router, email: &str) -> String {
    let reply = sign_in(app, email, PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    cookie_pair(&reply.session_cookie().expect("a session cookie"))
}

#[tokio::test]
async fn healthz_answers_200_with_the_database_and_503_without() {
    let t = TestDb::new().await;
    let app = t.app();
    let reply = send(&app, get("/healthz", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["database"], "ok");
    t.db.clone().close().await.unwrap();
    let reply = send(&app, get("/healthz", None)).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_csp_nonce_matches_the_script() {
    let t = TestDb::new().await;
    let reply = send(&t.app(), get("/login", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let csp = reply.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("'wasm-unsafe-eval'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        reply.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the header's nonce"
    );
    assert!(reply.body.contains("Sign in to Konveyer"));
}

#[tokio::test]
async fn signed_out_page_views_are_sent_to_sign_in() {
    let t = TestDb::new().await;
    let app = t.app();
    for page in ["/", "/board", "/admin/users"] {
        let reply = send(&app, get(page, None)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(reply.location(), Some("/login"));
    }
}

#[tokio::test]
async fn sign_in_sets_a_fresh_http_only_lax_cookie_and_opens_the_app() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let reply = sign_in(&app, "anna@bank.ru", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let set_cookie = reply.session_cookie().unwrap();
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain http in development");
    let cookie = cookie_pair(&set_cookie);
    let board = send(&app, get("/board", Some(&cookie))).await;
    assert_eq!(board.status, StatusCode::OK);
    let login = send(&app, get("/login", Some(&cookie))).await;
    assert_eq!(login.location(), Some("/board"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app_with(server::config::Config {
        public_url: Some("https://crm.example.com".into()),
        ..Default::default()
    });
    let reply = sign_in(&app, "anna@bank.ru", PASSWORD, None).await;
    assert!(reply.session_cookie().unwrap().contains("Secure"));
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let first = signed_in(&app, "anna@bank.ru").await;
    let again = sign_in(&app, "anna@bank.ru", PASSWORD, Some(&first)).await;
    let second = cookie_pair(&again.session_cookie().unwrap());
    assert_ne!(first, second);
    let stale = send(&app, get("/board", Some(&first))).await;
    assert_eq!(stale.location(), Some("/login"), "the old id is gone");
    assert_eq!(
        send(&app, get("/board", Some(&second))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_oversize_server_function_body_is_refused_with_413_before_it_is_read() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let huge = format!(
        "email=anna%40bank.ru&password={}",
        "x".repeat(server::REQUEST_BODY_LIMIT + 1)
    );
    // A client that says the length (as browsers and curl do) is refused before any of the
    // body is read.
    let mut request = post_form("/api/sign_in", &huge, None, Some(ORIGIN));
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, huge.len().into());
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.session_cookie().is_none(), "nothing was signed in");
    // One that streams without a length is cut off at the limit and refused all the same.
    let reply = send(&app, post_form("/api/sign_in", &huge, None, Some(ORIGIN))).await;
    assert!(
        reply.status.is_client_error(),
        "{}: {}",
        reply.status,
        reply.body
    );
    assert!(reply.session_cookie().is_none(), "nothing was signed in");
    // The same request at a normal size still works.
    let reply = sign_in(&app, "anna@bank.ru", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn wrong_password_is_401_then_429_after_ten_failures() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    for _ in 0..10 {
        let reply = sign_in(&app, "anna@bank.ru", "wrong-password", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["kind"], "invalid_credentials");
        assert!(reply.session_cookie().is_none());
    }
    let reply = sign_in(&app, "anna@bank.ru", PASSWORD, None).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.json()["kind"], "rate_limited");
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_signs_nobody_in() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let body = format!("email=anna%40bank.ru&password={PASSWORD}");
    let reply = send(
        &app,
        post_form("/api/sign_in", &body, None, Some("https://evil.example")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["code"], "request.cross_origin");
    assert!(reply.session_cookie().is_none());

    let mut sneaky = post_form("/api/sign_in", &body, None, None);
    sneaky
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&app, sneaky).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let cookie = signed_in(&app, "anna@bank.ru").await;
    let reply = send(
        &app,
        post_form("/api/sign_out", "", Some(&cookie), Some(ORIGIN)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Replaying the old cookie (as a thief would) no longer works.
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login")
    );
}

#[tokio::test]
async fn a_deactivated_user_loses_the_live_session() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let cookie = signed_in(&app, "anna@bank.ru").await;
    users::update_user(
        &t.db,
        &Actor::system(),
        anna.id,
        UserPatch {
            active: Some(false),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login")
    );
}

#[tokio::test]
async fn sessions_end_after_the_absolute_timeout() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    // A negative lifetime makes every session already too old.
    let app = t.app_with(server::config::Config {
        session_absolute_hours: -1,
        ..Default::default()
    });
    let cookie = signed_in(&app, "anna@bank.ru").await;
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login")
    );
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app_with(server::config::Config {
        session_idle_minutes: 0,
        ..Default::default()
    });
    let cookie = signed_in(&app, "anna@bank.ru").await;
    assert_eq!(
        send(&app, get("/board", Some(&cookie))).await.location(),
        Some("/login")
    );
}

#[tokio::test]
async fn activity_keeps_a_session_alive() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app();
    let cookie = signed_in(&app, "anna@bank.ru").await;
    let board = send(&app, get("/board", Some(&cookie))).await;
    assert_eq!(board.status, StatusCode::OK);
    let renewed = board
        .session_cookie()
        .expect("the idle deadline is renewed");
    assert!(renewed.contains("Max-Age=7200"), "{renewed}");
    // Within the minute the deadline is not moved again: no write, no new cookie.
    let again = send(&app, get("/board", Some(&cookie))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.session_cookie().is_none());
    // Assets are served without touching the session.
    let asset = send(&app, get("/favicon.svg", Some(&cookie))).await;
    assert!(asset.session_cookie().is_none());
}

#[tokio::test]
async fn admin_server_functions_refuse_other_roles() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    t.user("admin@bank.ru", Role::Admin, vec![]).await;
    let app = t.app();
    let anna = signed_in(&app, "anna@bank.ru").await;
    let reply = send(
        &app,
        post_form("/api/list_users", "", Some(&anna), Some(ORIGIN)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["kind"], "forbidden");
    let anonymous = send(&app, post_form("/api/list_users", "", None, Some(ORIGIN))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let admin = signed_in(&app, "admin@bank.ru").await;
    let reply = send(
        &app,
        post_form("/api/list_users", "", Some(&admin), Some(ORIGIN)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn malformed_json_to_a_server_function_changes_nothing() {
    let t = TestDb::new().await;
    t.user("admin@bank.ru", Role::Admin, vec![]).await;
    let app = t.app();
    let admin = signed_in(&app, "admin@bank.ru").await;
    let request = Request::post("/api/create_user")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &admin)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"user": {"name": 5"#))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["kind"], "malformed");
    assert_eq!(
        users::list_users(&t.db, &Actor::system())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_throttle_counts_per_client() {
    t_proxy(true).await;
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forged_forwarded_for_is_ignored() {
    t_proxy(false).await;
}

async fn t_proxy(trust_proxy: bool) {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let app = t.app_with(server::config::Config {
        trust_proxy,
        ..Default::default()
    });
    let attempt = |email: String, password: &'static str, client: &'static str| {
        let body = format!("email={}&password={password}", email.replace('@', "%40"));
        let mut request = post_form("/api/sign_in", &body, None, Some(ORIGIN));
        request.headers_mut().insert(
            "x-forwarded-for",
            format!("10.9.9.9, {client}").parse().unwrap(),
        );
        request
    };
    for i in 0..10 {
        let reply = send(
            &app,
            attempt(format!("guess{i}@bank.ru"), "whatever1", "203.0.113.7"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let same_client = send(
        &app,
        attempt(
            "anna@bank.ru".into(),
            "correct-horse-battery",
            "203.0.113.7",
        ),
    )
    .await;
    assert_eq!(same_client.status, StatusCode::TOO_MANY_REQUESTS);
    let other_client = send(
        &app,
        attempt(
            "anna@bank.ru".into(),
            "correct-horse-battery",
            "198.51.100.2",
        ),
    )
    .await;
    let expected = if trust_proxy {
        StatusCode::OK
    } else {
        StatusCode::TOO_MANY_REQUESTS
    };
    assert_eq!(
        other_client.status, expected,
        "a forged header must not escape the throttle"
    );
}
