//! A tower-sessions store over our own `sessions` table: one implementation for SQLite
//! and PostgreSQL, and a `user_id` column so a user's sessions can be ended together.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::db::Db;
use shared::session::service::{self, SessionDevice, StoredSession};
use shared::session::{
    SESSION_ADDRESS, SESSION_RENEWED_AT, SESSION_SIGNED_IN_AT, SESSION_USER_AGENT,
};
use shared::user::UserId;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Error};

/// The session key holding the signed-in user's id.
pub use shared::session::SESSION_USER_ID;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }
}

fn backend(err: shared::AppError) -> Error {
    Error::Backend(err.to_string())
}

fn to_stored(record: &Record) -> session_store::Result<StoredSession> {
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let expires_at = DateTime::<Utc>::from_timestamp(record.expiry_date.unix_timestamp(), 0)
        .ok_or_else(|| Error::Encode("expiry out of range".into()))?;
    let user_id = record
        .data
        .get(SESSION_USER_ID)
        .and_then(serde_json::Value::as_i64)
        .and_then(|id| i32::try_from(id).ok())
        .map(UserId);
    let text = |key: &str| {
        record
            .data
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let moment = |key: &str| {
        record
            .data
            .get(key)
            .and_then(serde_json::Value::as_i64)
            .and_then(|seconds| DateTime::<Utc>::from_timestamp(seconds, 0))
    };
    Ok(StoredSession {
        id: record.id.to_string(),
        user_id,
        data,
        expires_at,
        device: SessionDevice {
            signed_in_at: moment(SESSION_SIGNED_IN_AT),
            last_seen_at: moment(SESSION_RENEWED_AT),
            user_agent: text(SESSION_USER_AGENT),
            address: text(SESSION_ADDRESS),
        },
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A clash of 128-bit random ids is unlikely but handled: draw again.
        loop {
            if service::insert_session(&self.db, to_stored(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates the stored session only. tower-sessions saves a session it loaded (new ones
    /// go through `create`), so a missing row means the session was ended meanwhile (by
    /// sign-out or a password reset in another request): it stays ended.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let saved = service::save_session(&self.db, to_stored(record)?)
            .await
            .map_err(backend)?;
        if !saved {
            tracing::debug!("a session ended while one of its requests ran; not saved again");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        #[expect(clippy::disallowed_methods, reason = "the session store is an adapter")]
        let now = Utc::now();
        let Some(stored) = service::load_session(&self.db, &id.to_string(), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&stored.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(stored.expires_at.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        #[expect(clippy::disallowed_methods, reason = "the session store is an adapter")]
        let now = Utc::now();
        service::delete_session(&self.db, &id.to_string(), now)
            .await
            .map_err(backend)
    }
}
