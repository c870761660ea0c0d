//! The sign-in use case. Failures are stored in the database so that the throttle holds
//! across server instances.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
};

use super::entity::sign_in_failures;
use super::{FAILURE_WINDOW_SECS, SignIn, throttle};
use crate::error::AppError;
#[cfg(test)]
use crate::user::password::verify_password;
use crate::user::password::verify_password_off_thread;
use crate::user::service::{find_by_email, get_user};
use crate::user::{UserView, normalize_email};

/// A valid argon2id hash of a random string, checked when the account does not exist so
/// that unknown e-mails take as long as wrong passwords.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0d4zyGHQVRR7AbBTVbtJBzTiEjs4lJI4yCuxaMbmaQE";

/// Checks credentials for a person signing in from `address`. Unknown e-mail, wrong
/// password and deactivated account all give `InvalidCredentials`; ten failures within a
/// minute for the account or the address give `RateLimited`.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    cmd: SignIn,
    address: &str,
    now: DateTime<Utc>,
) -> Result<UserView, AppError> {
    let email = normalize_email(&cmd.email);
    let window_start = now - Duration::seconds(FAILURE_WINDOW_SECS);
    let recent = sign_in_failures::Entity::find()
        .filter(sign_in_failures::Column::At.gt(window_start))
        .filter(
            sign_in_failures::Column::Email
                .eq(email.as_str())
                .or(sign_in_failures::Column::Address.eq(address)),
        )
        .all(db)
        .await?;
    let by_account: Vec<_> = recent
        .iter()
        .filter(|f| f.email == email)
        .map(|f| f.at)
        .collect();
    let by_address: Vec<_> = recent
        .iter()
        .filter(|f| f.address == address)
        .map(|f| f.at)
        .collect();
    throttle(&by_account, now)?;
    throttle(&by_address, now)?;

    let user = find_by_email(db, &email).await?;
    let password_ok = verify_password_off_thread(
        &cmd.password,
        user.as_ref()
            .map_or(DECOY_HASH, |u| u.password_hash.as_str()),
    )
    .await;
    match user {
        Some(user) if password_ok && user.active => {
            get_user(db, crate::user::UserId(user.id)).await
        }
        _ => {
            sign_in_failures::ActiveModel {
                email: Set(email),
                address: Set(address.chars().take(64).collect()),
                at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            // Old rows only matter for the last minute; trim them as we go.
            sign_in_failures::Entity::delete_many()
                .filter(sign_in_failures::Column::At.lt(now - Duration::hours(1)))
                .exec(db)
                .await?;
            Err(AppError::InvalidCredentials)
        }
    }
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
