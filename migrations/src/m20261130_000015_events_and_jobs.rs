//! The event log (`events`, append-only: the database refuses UPDATE and DELETE), the
//! cursors of its consumers (`event_consumers`) and the one job queue (`jobs`).
//! Open tasks not yet reminded get their reminder job, as new tasks do on creation. The
//! ledger and the field changes name an actor that is not a person (`actor_label`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id BIGINT NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_user_id INTEGER NULL,
        actor_label TEXT NULL,
        occurred_at TEXT NOT NULL,
        audience TEXT NOT NULL,
        payload TEXT NOT NULL
    )",
    "CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events \
     BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events \
     BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TABLE event_consumers (
        name TEXT NOT NULL PRIMARY KEY,
        last_event_id BIGINT NOT NULL,
        leased_by TEXT NULL,
        leased_until TEXT NULL,
        updated_at TEXT NOT NULL
    )",
    "CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        dedup_key TEXT NULL UNIQUE,
        state TEXT NOT NULL,
        run_at TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        last_error TEXT NULL,
        locked_by TEXT NULL,
        locked_until TEXT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id BIGINT NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_user_id INTEGER NULL,
        actor_label TEXT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        audience TEXT NOT NULL,
        payload TEXT NOT NULL
    )",
    // `refuse_history_change()` is the transitions' trigger function.
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events \
     FOR EACH ROW EXECUTE FUNCTION refuse_history_change()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events \
     FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()",
    "CREATE TABLE event_consumers (
        name TEXT NOT NULL PRIMARY KEY,
        last_event_id BIGINT NOT NULL,
        leased_by TEXT NULL,
        leased_until TIMESTAMPTZ NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )",
    "CREATE TABLE jobs (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        dedup_key TEXT NULL UNIQUE,
        state TEXT NOT NULL,
        run_at TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        last_error TEXT NULL,
        locked_by TEXT NULL,
        locked_until TIMESTAMPTZ NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )",
];

const BOTH: &[&str] = &[
    // Who acted when it was not a person: "Rule: …", "API: …", "System".
    "ALTER TABLE transitions ADD COLUMN actor_label TEXT NULL",
    "ALTER TABLE field_changes ADD COLUMN actor_label TEXT NULL",
    "CREATE INDEX events_subject_idx ON events (subject_kind, subject_id)",
    // The workers' question: what is due, by due time.
    "CREATE INDEX jobs_due_idx ON jobs (state, run_at)",
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
        let now = match db.get_database_backend() {
            DbBackend::Postgres => "now()",
            _ => "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
        };
        db.execute_unprepared(&format!(
            "INSERT INTO jobs (kind, payload, dedup_key, state, run_at, attempts, max_attempts, \
             created_at, updated_at) \
             SELECT 'task.reminder', '{{\"task_id\":' || id || '}}', 'task.reminder:' || id, \
             'queued', due_at, 0, 5, {now}, {now} \
             FROM tasks WHERE done_at IS NULL AND reminded_at IS NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["jobs", "event_consumers", "events"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
