//! The sign-in use case. Failures are stored in the database so that the throttle holds
//! across server instances.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    Set, TransactionSession, TransactionTrait,
};

use super::entity::{sign_in_failures, sign_in_successes};
use super::{FAILURE_WINDOW_SECS, SignIn, throttle};
use crate::error::{AppError, Field};
use crate::limits::{SIGN_IN_EMAIL_CHARS_MAX, SIGN_IN_PASSWORD_CHARS_MAX, check_chars};
#[cfg(test)]
use crate::user::password::verify_password;
use crate::user::password::verify_password_off_thread;
use crate::user::service::{find_by_email, get_user};
use crate::user::{UserView, normalize_email};

/// A valid argon2id hash of a random string, checked when the account does not exist so
/// that unknown e-mails take as long as wrong passwords.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0d4zyGHQVRR7AbBTVbtJBzTiEjs4lJI4yCuxaMbmaQE";

/// An address a person signed in from within this many days is theirs: the account's
/// limit does not lock them out of it.
const KNOWN_ADDRESS_DAYS: i64 = 90;
/// Characters of an address stored (the column's width).
const ADDRESS_CHARS_MAX: usize = 64;

/// Checks credentials for a person signing in from `address`. Unknown e-mail, wrong
/// password and deactivated account all give `InvalidCredentials`. At most ten attempts a
/// minute are checked per account and per address, however many arrive at once (each is
/// counted and recorded in one step before its password is checked); the account's limit
/// does not apply from an address its owner signed in from before.
pub async fn sign_in(
    db: &(impl ConnectionTrait + TransactionTrait),
    cmd: SignIn,
    address: &str,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    let email = normalize_email(&cmd.email);
    // Longer ones belong to nobody; refused before anything is read or stored.
    check_chars(&email, SIGN_IN_EMAIL_CHARS_MAX, Field::Email)?;
    check_chars(&cmd.password, SIGN_IN_PASSWORD_CHARS_MAX, Field::Password)?;
    let address: String = address.chars().take(ADDRESS_CHARS_MAX).collect();
    let attempt = reserve_attempt(db, &email, &address, now).await?;

    let user = find_by_email(db, &email).await?;
    let password_ok = verify_password_off_thread(
        &cmd.password,
        user.as_ref()
            .map_or(DECOY_HASH, |u| u.password_hash.as_str()),
    )
    .await;
    match user {
        Some(user) if password_ok && user.active => {
            record_success(db, attempt, user.id, &address, now).await?;
            get_user(db, crate::user::UserId(user.id)).await
        }
        _ => {
            // The attempt's row stays as the failure. Old rows only matter for the last
            // minute; trim them as we go.
            sign_in_failures::Entity::delete_many()
                .filter(sign_in_failures::Column::At.lt(now - Duration::hours(1)))
                .exec(db)
                .await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Counts the recent attempts for the account and the address and, unless one of them is
/// at the limit, records this one, in one transaction that parallel attempts take in
/// turn (SQLite has one writer; on PostgreSQL the table is locked against other writers
/// until commit). Returns the recorded row, removed again if the password is right.
async fn reserve_attempt(
    db: &impl TransactionTrait,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<i32, AppError> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE sign_in_failures IN SHARE ROW EXCLUSIVE MODE")
            .await?;
    }
    let window_start = now - Duration::seconds(FAILURE_WINDOW_SECS);
    let recent = sign_in_failures::Entity::find()
        .filter(sign_in_failures::Column::At.gt(window_start))
        .filter(
            sign_in_failures::Column::Email
                .eq(email)
                .or(sign_in_failures::Column::Address.eq(address)),
        )
        .all(&txn)
        .await?;
    let by_address: Vec<_> = recent
        .iter()
        .filter(|f| f.address == address)
        .map(|f| f.at)
        .collect();
    throttle(&by_address, now)?;
    if !is_known_address(&txn, email, address, now).await? {
        let by_account: Vec<_> = recent
            .iter()
            .filter(|f| f.email == email)
            .map(|f| f.at)
            .collect();
        throttle(&by_account, now)?;
    }
    let row = sign_in_failures::ActiveModel {
        email: Set(email.to_owned()),
        address: Set(address.to_owned()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// Whether the account's owner signed in from `address` within `KNOWN_ADDRESS_DAYS`.
async fn is_known_address(
    db: &impl ConnectionTrait,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some(user) = find_by_email(db, email).await? else {
        return Ok(false);
    };
    Ok(sign_in_successes::Entity::find()
        .filter(sign_in_successes::Column::UserId.eq(user.id))
        .filter(sign_in_successes::Column::Address.eq(address))
        .filter(sign_in_successes::Column::At.gt(now - Duration::days(KNOWN_ADDRESS_DAYS)))
        .one(db)
        .await?
        .is_some())
}

/// A right password: the attempt no longer counts, and the address is the person's.
async fn record_success(
    db: &impl TransactionTrait,
    attempt: i32,
    user_id: i32,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    sign_in_failures::Entity::delete_by_id(attempt)
        .exec(&txn)
        .await?;
    sign_in_successes::Entity::insert(sign_in_successes::ActiveModel {
        user_id: Set(user_id),
        address: Set(address.to_owned()),
        at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            sign_in_successes::Column::UserId,
            sign_in_successes::Column::Address,
        ])
        .update_column(sign_in_successes::Column::At)
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoy_hash_is_checked_in_full() {
        assert!(argon2::password_hash::PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_password("anything", DECOY_HASH));
    }
}
