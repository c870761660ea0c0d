//! Signing in: credentials, deactivation, the throttle.

use chrono::Duration;
use shared::AppError;
use shared::access::Actor;
use shared::auth::SignIn;
use shared::auth::service::sign_in;
use shared::user::{Role, UserPatch, service as users};

use crate::harness::{PASSWORD, TestDb, t0};

fn creds(email: &str, password: &str) -> SignIn {
    SignIn {
        email: email.into(),
        password: password.into(),
    }
}

#[tokio::test]
async fn correct_password_signs_in_ignoring_email_case() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let signed_in = sign_in(&t.db, creds("  ANNA@Bank.ru ", PASSWORD), "10.0.0.1", t0())
        .await
        .unwrap();
    assert_eq!(signed_in.id, anna.id);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_give_the_same_error() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    let wrong = sign_in(&t.db, creds("anna@bank.ru", "nope-nope"), "10.0.0.1", t0()).await;
    let unknown = sign_in(&t.db, creds("nobody@bank.ru", PASSWORD), "10.0.0.1", t0()).await;
    assert_eq!(wrong, Err(AppError::InvalidCredentials));
    assert_eq!(unknown, Err(AppError::InvalidCredentials));
    assert_eq!(
        wrong.unwrap_err().to_string(),
        unknown.unwrap_err().to_string()
    );
}

#[tokio::test]
async fn deactivated_user_cannot_sign_in() {
    let t = TestDb::new().await;
    let anna = t.user("anna@bank.ru", Role::Employee, vec![]).await;
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
        sign_in(&t.db, creds("anna@bank.ru", PASSWORD), "10.0.0.1", t0()).await,
        Err(AppError::InvalidCredentials)
    );
}

#[tokio::test]
async fn ten_failures_for_an_account_lock_it_for_a_minute() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    for i in 0..10 {
        // Different addresses: the account limit applies on its own.
        let address = format!("10.0.0.{i}");
        let attempt = sign_in(&t.db, creds("anna@bank.ru", "wrong-pass"), &address, t0()).await;
        assert_eq!(attempt, Err(AppError::InvalidCredentials));
    }
    // Even the right password is refused while locked.
    let locked = sign_in(
        &t.db,
        creds("anna@bank.ru", PASSWORD),
        "10.0.1.1",
        t0() + Duration::seconds(5),
    )
    .await;
    assert!(
        matches!(locked, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs == 55)
    );
    let later = sign_in(
        &t.db,
        creds("anna@bank.ru", PASSWORD),
        "10.0.1.1",
        t0() + Duration::seconds(61),
    )
    .await;
    assert!(later.is_ok());
}

#[tokio::test]
async fn ten_failures_from_an_address_lock_that_address() {
    let t = TestDb::new().await;
    t.user("anna@bank.ru", Role::Employee, vec![]).await;
    for i in 0..10 {
        let email = format!("guess{i}@bank.ru");
        let _ = sign_in(&t.db, creds(&email, "whatever1"), "203.0.113.9", t0()).await;
    }
    let from_same = sign_in(&t.db, creds("anna@bank.ru", PASSWORD), "203.0.113.9", t0()).await;
    assert!(matches!(from_same, Err(AppError::RateLimited { .. })));
    let from_elsewhere =
        sign_in(&t.db, creds("anna@bank.ru", PASSWORD), "198.51.100.1", t0()).await;
    assert!(from_elsewhere.is_ok());
}
