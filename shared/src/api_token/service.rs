//! Use cases on API tokens: create (the secret returned once), list, revoke, and
//! authenticate a call; and the answers kept for `Idempotency-Key`s.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use super::entity::{api_idempotency, api_tokens};
use super::{
    ApiScope, ApiTokenId, ApiTokenView, CreatedApiToken, NewApiToken, RATE_PER_MINUTE_DEFAULT,
    TOKEN_PREFIX, parse_scopes, scopes_text, validate_new_token,
};
use crate::access::{Actor, ActorKind};
use crate::error::{AppError, Entity, Field, Rule};
use crate::user::UserId;
use crate::user::service::get_user;

/// The longest secret looked up; anything longer is not one of ours.
const SECRET_CHARS_MAX: usize = 100;
/// Characters of the secret kept to tell tokens apart.
const HINT_CHARS: usize = 8;
/// The last use is written at most this often per token (a write per call would queue
/// every API call behind SQLite's one writer).
const LAST_USED_EVERY_SECONDS: i64 = 60;
/// How long an `Idempotency-Key`'s first answer is replayed.
pub const IDEMPOTENCY_HOURS: i64 = 24;
/// Characters of an `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_MAX: usize = 255;

/// Who a valid token acts as, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub actor: Actor,
    pub token_id: ApiTokenId,
    pub scopes: Vec<ApiScope>,
    pub rate_per_minute: u32,
}

/// SHA-256 of a text, hex. The secrets are 256 random bits, so a fast hash is safe (no
/// dictionary to try) and lets every call find its token by index.
pub fn sha256_hex(text: &[u8]) -> String {
    Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Creates a token for the creator, or (administrators only) for another active user.
/// Only people create tokens: a token or a rule cannot mint one.
pub async fn create_token(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cmd: NewApiToken,
    now: DateTime<Utc>,
) -> Result<CreatedApiToken, AppError> {
    let ActorKind::User { user_id: creator } = actor.kind else {
        return Err(AppError::Forbidden);
    };
    validate_new_token(&cmd, now)?;
    let owner = cmd.user.unwrap_or(creator);
    if owner != creator {
        actor.require_admin()?;
    }
    let user = get_user(db, owner).await?;
    if !user.active {
        return Err(AppError::validation(Field::Responsible, Rule::UnknownValue));
    }
    let mut scopes = cmd.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let secret = new_secret();
    let row = api_tokens::ActiveModel {
        user_id: Set(owner.0),
        name: Set(cmd.name.trim().to_owned()),
        token_hash: Set(sha256_hex(secret.as_bytes())),
        hint: Set(secret.chars().take(HINT_CHARS).collect()),
        scopes: Set(scopes_text(&scopes)),
        rate_per_minute: Set(cmd.rate_per_minute.unwrap_or(RATE_PER_MINUTE_DEFAULT) as i32),
        created_by_user_id: Set(creator.0),
        created_at: Set(now),
        expires_at: Set(cmd.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::audit::service::record(
        db,
        actor,
        crate::audit::AuditAction::ApiTokenCreated,
        Some(format!("api_token:{}", row.id)),
        &format!("{} for {}: {}", row.name, user.name, row.scopes),
        now,
    )
    .await?;
    Ok(CreatedApiToken {
        token: to_view(row, user.name),
        secret,
    })
}

/// The tokens a person may manage: their own; every token for administrators. Newest
/// first.
pub async fn list_tokens(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<ApiTokenView>, AppError> {
    let ActorKind::User { user_id } = actor.kind else {
        return Err(AppError::Forbidden);
    };
    let mut query = api_tokens::Entity::find().order_by_desc(api_tokens::Column::Id);
    if !actor.is_admin() {
        query = query.filter(api_tokens::Column::UserId.eq(user_id.0));
    }
    let rows = query.all(db).await?;
    let names = crate::user::service::all_user_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let name = names.get(&UserId(row.user_id)).cloned().unwrap_or_default();
            to_view(row, name)
        })
        .collect())
}

/// Revokes a token at once: its next call is 401. Its owner or an administrator; someone
/// else's token looks missing. Revoking twice keeps the first time.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ApiTokenId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let ActorKind::User { user_id } = actor.kind else {
        return Err(AppError::Forbidden);
    };
    let not_found = AppError::NotFound {
        entity: Entity::ApiToken,
    };
    let row = api_tokens::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(not_found.clone())?;
    if row.user_id != user_id.0 && !actor.is_admin() {
        return Err(not_found);
    }
    api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, now.into())
        .filter(api_tokens::Column::Id.eq(id.0))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    crate::audit::service::record(
        db,
        actor,
        crate::audit::AuditAction::ApiTokenRevoked,
        Some(format!("api_token:{}", id.0)),
        &row.name,
        now,
    )
    .await?;
    Ok(())
}

/// The grant of a secret sent as a bearer token: `Unauthenticated` for anything that is
/// not a live token of an active user (unknown, revoked, expired), all alike.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<TokenGrant, AppError> {
    if secret.len() > SECRET_CHARS_MAX || !secret.starts_with(TOKEN_PREFIX) {
        return Err(AppError::Unauthenticated);
    }
    let row = api_tokens::Entity::find()
        .filter(api_tokens::Column::TokenHash.eq(sha256_hex(secret.as_bytes())))
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::Unauthenticated);
    }
    let user = match get_user(db, UserId(row.user_id)).await {
        Ok(user) if user.active => user,
        Ok(_) | Err(AppError::NotFound { .. }) => return Err(AppError::Unauthenticated),
        Err(err) => return Err(err),
    };
    let stale = row
        .last_used_at
        .is_none_or(|at| now - at >= Duration::seconds(LAST_USED_EVERY_SECONDS));
    if stale {
        api_tokens::Entity::update_many()
            .col_expr(api_tokens::Column::LastUsedAt, now.into())
            .filter(api_tokens::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(TokenGrant {
        actor: Actor::token(i64::from(row.id), row.name.clone(), &user),
        token_id: ApiTokenId(row.id),
        scopes: parse_scopes(&row.scopes),
        rate_per_minute: u32::try_from(row.rate_per_minute).unwrap_or(1),
    })
}

fn to_view(row: api_tokens::Model, user_name: String) -> ApiTokenView {
    ApiTokenView {
        id: ApiTokenId(row.id),
        name: row.name,
        user_id: UserId(row.user_id),
        user_name,
        hint: row.hint,
        scopes: parse_scopes(&row.scopes),
        rate_per_minute: u32::try_from(row.rate_per_minute).unwrap_or(1),
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

/// What to do with a POST that carries an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// The key is new: run the request, then `finish_idempotent` (or `forget_idempotent`).
    Run,
    /// The same key and request were answered before: send this again.
    Replay { status: u16, body: String },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used with another request.
    Mismatch,
}

/// Checks an `Idempotency-Key`'s shape: 1 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    let visible = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || !visible {
        return Err(AppError::validation(
            Field::IdempotencyKey,
            Rule::TooLong {
                max: IDEMPOTENCY_KEY_MAX,
            },
        ));
    }
    Ok(())
}

/// Claims an idempotency key for a request (by the hash of its method, path and body), or
/// says how the earlier request with that key ends this one. A claim older than a day is
/// dropped first: the key then starts over.
pub async fn begin_idempotent(
    db: &impl ConnectionTrait,
    token: ApiTokenId,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Idempotency, AppError> {
    check_idempotency_key(key)?;
    api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::TokenId.eq(token.0))
        .filter(api_idempotency::Column::Key.eq(key))
        .filter(api_idempotency::Column::CreatedAt.lt(now - Duration::hours(IDEMPOTENCY_HOURS)))
        .exec(db)
        .await?;
    let inserted = api_idempotency::Entity::insert(api_idempotency::ActiveModel {
        token_id: Set(token.0),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(0),
        response: Set(String::new()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            api_idempotency::Column::TokenId,
            api_idempotency::Column::Key,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return Ok(Idempotency::Run);
    }
    let Some(first) = api_idempotency::Entity::find_by_id((token.0, key.to_owned()))
        .one(db)
        .await?
    else {
        // Pruned between the two statements: the key is free again.
        return Ok(Idempotency::InProgress);
    };
    Ok(if first.request_hash != request_hash {
        Idempotency::Mismatch
    } else if first.status == 0 {
        Idempotency::InProgress
    } else {
        Idempotency::Replay {
            status: u16::try_from(first.status).unwrap_or(500),
            body: first.response,
        }
    })
}

/// Keeps a request's answer under its key, for replays.
pub async fn finish_idempotent(
    db: &impl ConnectionTrait,
    token: ApiTokenId,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    api_idempotency::Entity::update_many()
        .col_expr(api_idempotency::Column::Status, i32::from(status).into())
        .col_expr(api_idempotency::Column::Response, body.into())
        .filter(api_idempotency::Column::TokenId.eq(token.0))
        .filter(api_idempotency::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees a key whose request failed on our side, so that a retry runs it again.
pub async fn forget_idempotent(
    db: &impl ConnectionTrait,
    token: ApiTokenId,
    key: &str,
) -> Result<(), AppError> {
    api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::TokenId.eq(token.0))
        .filter(api_idempotency::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops the answers older than a day; returns how many.
pub async fn prune_idempotency(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::CreatedAt.lt(now - Duration::hours(IDEMPOTENCY_HOURS)))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_hashed_to_hex() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn idempotency_keys_are_short_visible_ascii() {
        assert!(check_idempotency_key("order-42:retry").is_ok());
        for bad in ["", "with space", "ключ", &"k".repeat(256)] {
            assert!(check_idempotency_key(bad).is_err(), "{bad}");
        }
    }
}
