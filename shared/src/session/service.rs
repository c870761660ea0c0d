//! Reading and writing stored sessions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};

use super::entity::sessions;
use crate::access::Actor;
use crate::error::AppError;
use crate::user::UserId;

/// A session as stored: opaque data plus the signed-in user, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    pub user_id: Option<UserId>,
    pub data: String,
    pub expires_at: DateTime<Utc>,
}

/// Inserts a new session; `false` when the id is already taken.
pub async fn insert_session(
    db: &impl ConnectionTrait,
    session: StoredSession,
) -> Result<bool, AppError> {
    let result = sessions::Entity::insert(to_active(session))
        .on_conflict(
            OnConflict::column(sessions::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(result == 1)
}

/// Updates a stored session; `false` when there is none with this id. Never inserts: a
/// session ended by sign-out, deactivation or a password reset stays ended even when a
/// request of it that was already running saves it afterwards.
pub async fn save_session(
    db: &impl ConnectionTrait,
    session: StoredSession,
) -> Result<bool, AppError> {
    let result = sessions::Entity::update_many()
        .col_expr(
            sessions::Column::UserId,
            Expr::value(session.user_id.map(|u| u.0)),
        )
        .col_expr(sessions::Column::Data, Expr::value(session.data))
        .col_expr(sessions::Column::ExpiresAt, Expr::value(session.expires_at))
        .filter(sessions::Column::Id.eq(session.id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The session with this id, unless it has expired.
pub async fn load_session(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredSession>, AppError> {
    Ok(sessions::Entity::find_by_id(id.to_owned())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|row| StoredSession {
            id: row.id,
            user_id: row.user_id.map(UserId),
            data: row.data,
            expires_at: row.expires_at,
        }))
}

/// Ends a session (sign-out); the user's open live streams check again who they are.
pub async fn delete_session(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let Some(session) = sessions::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    sessions::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if let Some(user) = session.user_id {
        access_changed(&txn, &Actor::system(), UserId(user), now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends every session of a user (deactivation, password reset).
pub async fn delete_user_sessions(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<u64, AppError> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id.0))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes sessions past their expiry; run periodically.
pub async fn delete_expired_sessions(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

fn to_active(session: StoredSession) -> sessions::ActiveModel {
    sessions::ActiveModel {
        id: Set(session.id),
        user_id: Set(session.user_id.map(|u| u.0)),
        data: Set(session.data),
        expires_at: Set(session.expires_at),
    }
}

/// Tells the user's open live streams to check again who they are: a deactivated user,
/// one whose session ended or whose role or departments changed stops hearing what they
/// may no longer see. It lives with the sessions (below `user`): ending a session and
/// changing a user's role, departments or active flag both call it.
pub(crate) async fn access_changed(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    crate::event::outbox::append(
        db,
        actor,
        now,
        crate::event::EventData::UserAccessChanged { user_id: user },
        crate::event::Audience::User { user_id: user },
    )
    .await?;
    Ok(())
}
