//! Outbound webhooks: subscriptions (`webhooks`: a URL, the event types, an optional
//! pipeline, the signing secret and the one it replaced for a day), one delivery per
//! subscription and event (`webhook_deliveries`, in order per record through its `lane`)
//! and every attempt at it (`webhook_attempts`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL,
        description TEXT NOT NULL,
        event_types TEXT NOT NULL,
        pipeline_id INTEGER NULL REFERENCES pipelines (id) ON DELETE CASCADE,
        secret TEXT NOT NULL,
        previous_secret TEXT NULL,
        previous_secret_until TEXT NULL,
        state TEXT NOT NULL,
        state_reason TEXT NULL,
        owner_user_id INTEGER NOT NULL REFERENCES users (id),
        after_event_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )",
    "CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        lane TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TEXT NOT NULL,
        locked_until TEXT NULL,
        last_status INTEGER NULL,
        last_error TEXT NULL,
        created_at TEXT NOT NULL,
        delivered_at TEXT NULL,
        UNIQUE (webhook_id, event_id)
    )",
    "CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempted_at TEXT NOT NULL,
        status INTEGER NULL,
        error TEXT NULL,
        response_excerpt TEXT NOT NULL,
        duration_ms INTEGER NOT NULL
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE webhooks (
        id SERIAL PRIMARY KEY,
        url TEXT NOT NULL,
        description TEXT NOT NULL,
        event_types TEXT NOT NULL,
        pipeline_id INTEGER NULL REFERENCES pipelines (id) ON DELETE CASCADE,
        secret TEXT NOT NULL,
        previous_secret TEXT NULL,
        previous_secret_until TIMESTAMPTZ NULL,
        state TEXT NOT NULL,
        state_reason TEXT NULL,
        owner_user_id INTEGER NOT NULL REFERENCES users (id),
        after_event_id BIGINT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )",
    "CREATE TABLE webhook_deliveries (
        id BIGSERIAL PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id BIGINT NOT NULL,
        event_type TEXT NOT NULL,
        lane TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TIMESTAMPTZ NOT NULL,
        locked_until TIMESTAMPTZ NULL,
        last_status INTEGER NULL,
        last_error TEXT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        delivered_at TIMESTAMPTZ NULL,
        UNIQUE (webhook_id, event_id)
    )",
    "CREATE TABLE webhook_attempts (
        id BIGSERIAL PRIMARY KEY,
        delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempted_at TIMESTAMPTZ NOT NULL,
        status INTEGER NULL,
        error TEXT NULL,
        response_excerpt TEXT NOT NULL,
        duration_ms INTEGER NOT NULL
    )",
];

const BOTH: &[&str] = &[
    // A delivery waits while an earlier one in its lane is unfinished: that question, and
    // the page's newest deliveries, by subscription.
    "CREATE INDEX webhook_deliveries_lane_idx ON webhook_deliveries (webhook_id, lane, id)",
    "CREATE INDEX webhook_deliveries_state_idx ON webhook_deliveries (state, next_at)",
    "CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id)",
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
        for table in ["webhook_attempts", "webhook_deliveries", "webhooks"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
