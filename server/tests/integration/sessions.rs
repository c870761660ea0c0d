//! Stored sessions: expiry, and ending a user's sessions on deactivation or reset; the
//! sessions list (browser, address, last seen) and ending one, which closes its stream.

use chrono::Duration;
use rand::rngs::OsRng;
use shared::access::Actor;
use shared::session::service::{self, StoredSession};
use shared::user::{Role, UserId, UserPatch, service as users};

use crate::harness::{TestDb, t0};

fn session(id: &str, user: Option<UserId>, minutes: i64) -> StoredSession {
    StoredSession {
        id: id.into(),
        user_id: user,
        data: "{}".into(),
        expires_at: t0() + Duration::minutes(minutes),
        device: Default::default(),
    }
}

#[tokio::test]
async fn expired_sessions_are_not_loaded_and_get_swept() {
    let t = TestDb::new().await;
    service::insert_session(&t.db, session("live", None, 30))
        .await
        .unwrap();
    service::insert_session(&t.db, session("stale", None, -1))
        .await
        .unwrap();
    assert!(
        service::load_session(&t.db, "live", t0())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        service::load_session(&t.db, "stale", t0())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        service::delete_expired_sessions(&t.db, t0()).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn an_id_is_inserted_once_and_saved_many_times() {
    let t = TestDb::new().await;
    assert!(
        service::insert_session(&t.db, session("abc", None, 30))
            .await
            .unwrap()
    );
    assert!(
        !service::insert_session(&t.db, session("abc", None, 30))
            .await
            .unwrap()
    );
    let mut changed = session("abc", None, 60);
    changed.data = r#"{"k":1}"#.into();
    assert!(service::save_session(&t.db, changed.clone()).await.unwrap());
    assert_eq!(
        service::load_session(&t.db, "abc", t0()).await.unwrap(),
        Some(changed)
    );
}

#[tokio::test]
async fn deactivating_or_resetting_ends_the_users_sessions() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let boris = t.user("boris@bank.ru", Role::Employee, vec![]).await;
    for (id, user) in [("a1", anna.id), ("a2", anna.id), ("b1", boris.id)] {
        service::insert_session(&t.db, session(id, Some(user), 30))
            .await
            .unwrap();
    }
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
    assert!(
        service::load_session(&t.db, "a1", t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        service::load_session(&t.db, "a2", t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        service::load_session(&t.db, "b1", t0())
            .await
            .unwrap()
            .is_some()
    );
    users::reset_password(
        &t.db,
        &Actor::system(),
        boris.id,
        "new-password-1",
        &mut OsRng,
        t0(),
    )
    .await
    .unwrap();
    assert!(
        service::load_session(&t.db, "b1", t0())
            .await
            .unwrap()
            .is_none()
    );
}

const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
const LAPTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";

/// A page view from a browser: the request that records the session's browser.
fn browse(cookie: &str, agent: &str) -> axum::http::Request<axum::body::Body> {
    let mut request = crate::http::get("/board", Some(cookie));
    request
        .headers_mut()
        .insert(axum::http::header::USER_AGENT, agent.parse().unwrap());
    request
}

fn call_fn(path: &str, body: &str, cookie: &str) -> axum::http::Request<axum::body::Body> {
    crate::http::post_form(path, body, Some(cookie), Some(crate::http::ORIGIN))
}

#[tokio::test]
async fn people_list_their_sessions_and_end_one_which_closes_its_stream_at_once() {
    use axum::http::StatusCode;
    use tower::ServiceExt;

    use crate::http::{send, signed_in};
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    t.user("boris@bank.ru", Role::Employee, vec![]).await;
    t.user("root@bank.ru", Role::Admin, vec![]).await;
    let bus = server::events::EventBus::default();
    server::events::start_dispatcher(
        t.reconnect().await,
        bus.clone(),
        crate::events::postgres_url(&t),
    )
    .await
    .unwrap();
    let app = t.app_with_bus(server::config::Config::default(), bus);
    let phone = signed_in(&app, "anna@bank.ru").await;
    let laptop = signed_in(&app, "anna@bank.ru").await;
    let boris = signed_in(&app, "boris@bank.ru").await;
    for (cookie, agent) in [(&phone, PHONE), (&laptop, LAPTOP), (&boris, LAPTOP)] {
        assert_eq!(
            send(&app, browse(cookie, agent)).await.status,
            StatusCode::OK
        );
    }

    // Anna sees her two sessions, this one first, with their browsers; not Boris's.
    let listed = send(&app, call_fn("/api/list_sessions", "", &laptop)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let sessions = listed.json();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true);
    assert_eq!(sessions[0]["device"], "Firefox on Linux");
    assert_eq!(sessions[1]["current"], false);
    assert_eq!(sessions[1]["device"], "Chrome on Android");
    assert!(sessions[1]["last_seen_at"].is_string());
    assert!(sessions[1]["signed_in_at"].is_string());
    assert!(
        !listed.body.contains(phone.split('=').nth(1).unwrap()),
        "the list never shows a session's secret id"
    );
    let phone_handle = sessions[1]["handle"].as_str().unwrap().to_owned();

    // Boris cannot end Anna's session, nor can a made-up or oversized handle.
    for (handle, cookie) in [
        (phone_handle.as_str(), &boris),
        ("0123456789abcdef0123456789abcdef", &laptop),
        (&"f".repeat(10_000), &laptop),
    ] {
        let refused = send(
            &app,
            call_fn("/api/end_session", &format!("handle={handle}"), cookie),
        )
        .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    }
    assert_eq!(
        send(&app, browse(&phone, PHONE)).await.status,
        StatusCode::OK
    );

    // The phone's live stream is open; ending its session from the laptop closes it.
    let stream = app
        .clone()
        .oneshot(crate::http::get("/api/events", Some(&phone)))
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut body = stream.into_body();
    let ended = send(
        &app,
        call_fn(
            "/api/end_session",
            &format!("handle={phone_handle}"),
            &laptop,
        ),
    )
    .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    assert_eq!(
        crate::events::next_frame(&mut body).await,
        None,
        "the ended session's stream closed"
    );
    let after = send(&app, browse(&phone, PHONE)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), Some("/login"));
    assert_eq!(
        send(&app, browse(&laptop, LAPTOP)).await.status,
        StatusCode::OK
    );

    // An administrator sees everyone's sessions and ends Boris's.
    let root = signed_in(&app, "root@bank.ru").await;
    let all = send(&app, call_fn("/api/list_sessions", "", &root))
        .await
        .json();
    let all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 3, "{all:?}");
    let boris_handle = all
        .iter()
        .find(|s| s["user_name"].as_str().unwrap().contains("boris"))
        .map(|s| s["handle"].as_str().unwrap().to_owned())
        .expect("Boris's session is listed");
    let ended = send(
        &app,
        call_fn("/api/end_session", &format!("handle={boris_handle}"), &root),
    )
    .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    let refused = send(&app, call_fn("/api/list_sessions", "", &boris)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // Without a session the list is 401.
    let anonymous = send(
        &app,
        crate::http::post_form("/api/list_sessions", "", None, Some(crate::http::ORIGIN)),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
