//! Stored sessions: expiry, and ending a user's sessions on deactivation or reset.

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
