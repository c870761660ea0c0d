//! API tokens (`api_tokens`: only a hash of the secret is kept, with its scopes, expiry,
//! rate limit and last use) and the answers to POSTs sent with an `Idempotency-Key`
//! (`api_idempotency`, kept 24 hours, replayed for the same key and body).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        scopes TEXT NOT NULL,
        rate_per_minute INTEGER NOT NULL,
        created_by_user_id INTEGER NOT NULL REFERENCES users (id),
        created_at TEXT NOT NULL,
        expires_at TEXT NULL,
        last_used_at TEXT NULL,
        revoked_at TEXT NULL
    )",
    "CREATE TABLE api_idempotency (
        token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (token_id, key)
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE api_tokens (
        id SERIAL PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        scopes TEXT NOT NULL,
        rate_per_minute INTEGER NOT NULL,
        created_by_user_id INTEGER NOT NULL REFERENCES users (id),
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NULL,
        last_used_at TIMESTAMPTZ NULL,
        revoked_at TIMESTAMPTZ NULL
    )",
    "CREATE TABLE api_idempotency (
        token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (token_id, key)
    )",
];

const BOTH: &[&str] = &[
    "CREATE INDEX api_tokens_user_idx ON api_tokens (user_id)",
    // The hourly prune's question: which answers are older than a day.
    "CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let own = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in own.iter().chain(BOTH) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["api_idempotency", "api_tokens"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
