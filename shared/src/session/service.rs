//! Reading and writing stored sessions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionSession,
    TransactionTrait,
};

use super::entity::sessions;
use super::{SessionView, describe_user_agent};
use crate::access::Actor;
use crate::error::AppError;
use crate::user::UserId;
use crate::user::entity::users;

/// A session as stored: opaque data plus the signed-in user, if any, and what the
/// sessions list shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    pub user_id: Option<UserId>,
    pub data: String,
    pub expires_at: DateTime<Utc>,
    pub device: SessionDevice,
}

/// What the sessions list shows of a session, copied out of its data when it is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionDevice {
    pub signed_in_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub user_agent: Option<String>,
    pub address: Option<String>,
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
        .col_expr(
            sessions::Column::SignedInAt,
            Expr::value(session.device.signed_in_at),
        )
        .col_expr(
            sessions::Column::LastSeenAt,
            Expr::value(session.device.last_seen_at),
        )
        .col_expr(
            sessions::Column::UserAgent,
            Expr::value(session.device.user_agent),
        )
        .col_expr(
            sessions::Column::Address,
            Expr::value(session.device.address),
        )
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
            device: SessionDevice {
                signed_in_at: row.signed_in_at,
                last_seen_at: row.last_seen_at,
                user_agent: row.user_agent,
                address: row.address,
            },
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
        signed_in_at: Set(session.device.signed_in_at),
        last_seen_at: Set(session.device.last_seen_at),
        user_agent: Set(session.device.user_agent),
        address: Set(session.device.address),
    }
}

/// The name a session goes by in the sessions list: a hash of its id, so the page never
/// shows the id itself (which is the cookie's secret).
pub fn session_handle(id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.as_bytes())
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The live signed-in sessions the actor may see, most recently used first: a person's own;
/// an administrator's, everyone's. `current` is the asking request's session id.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    current: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<SessionView>, AppError> {
    let me = actor.user_id().ok_or(AppError::Forbidden)?;
    let mut query = sessions::Entity::find()
        .filter(sessions::Column::ExpiresAt.gt(now))
        .filter(sessions::Column::UserId.is_not_null());
    if !actor.is_admin() {
        query = query.filter(sessions::Column::UserId.eq(me.0));
    }
    // At most this many rows are listed: an organisation's live sessions, not a history.
    let rows = query.limit(SESSIONS_LISTED).all(db).await?;
    let user_ids: Vec<i32> = rows.iter().filter_map(|row| row.user_id).collect();
    let names: std::collections::HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.name))
        .collect();
    let mut views: Vec<SessionView> = rows
        .into_iter()
        .filter_map(|row| {
            let user_id = row.user_id?;
            Some(SessionView {
                handle: session_handle(&row.id),
                user_id: UserId(user_id),
                user_name: names.get(&user_id).cloned().unwrap_or_default(),
                signed_in_at: row.signed_in_at,
                last_seen_at: row.last_seen_at,
                device: row.user_agent.as_deref().and_then(describe_user_agent),
                address: row.address,
                current: current == Some(row.id.as_str()),
            })
        })
        .collect();
    views.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.last_seen_at.cmp(&a.last_seen_at))
            .then(a.user_name.cmp(&b.user_name))
    });
    Ok(views)
}

/// The most sessions the list shows.
pub const SESSIONS_LISTED: u64 = 500;

/// Ends the session going by `handle`: one of the actor's own, or anyone's for an
/// administrator; any other is `NotFound`. Its open live streams close at once.
pub async fn end_session(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    handle: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let me = actor.user_id().ok_or(AppError::Forbidden)?;
    let not_found = AppError::NotFound {
        entity: crate::error::Entity::Session,
    };
    if handle.len() != 32 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found);
    }
    let mut query = sessions::Entity::find().filter(sessions::Column::UserId.is_not_null());
    if !actor.is_admin() {
        query = query.filter(sessions::Column::UserId.eq(me.0));
    }
    let ids: Vec<String> = query
        .select_only()
        .column(sessions::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let id = ids
        .into_iter()
        .find(|id| session_handle(id) == handle)
        .ok_or(not_found)?;
    let owner: Option<i32> = sessions::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .and_then(|row| row.user_id);
    delete_session(db, &id, now).await?;
    crate::audit::service::record(
        db,
        actor,
        crate::audit::AuditAction::SessionEnded,
        owner.map(|user| format!("user:{user}")),
        "",
        now,
    )
    .await
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
