//! What a person sees of their sessions: when each signed in, when it was last used, the
//! browser and the address. Copied out of the session's data when it is saved (at most once
//! a minute), so the list needs no decoding.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "ALTER TABLE sessions ADD COLUMN signed_in_at TEXT NULL",
    "ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NULL",
    "ALTER TABLE sessions ADD COLUMN user_agent TEXT NULL",
    "ALTER TABLE sessions ADD COLUMN address TEXT NULL",
];

const POSTGRES: &[&str] = &[
    "ALTER TABLE sessions ADD COLUMN signed_in_at TIMESTAMPTZ NULL",
    "ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ NULL",
    "ALTER TABLE sessions ADD COLUMN user_agent TEXT NULL",
    "ALTER TABLE sessions ADD COLUMN address TEXT NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let own = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in own {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for column in ["signed_in_at", "last_seen_at", "user_agent", "address"] {
            db.execute_unprepared(&format!("ALTER TABLE sessions DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
