//! The audit log: who did what to the organisation's settings and access, when and from
//! where. Append-only by the database itself, as the transitions are: an UPDATE is refused
//! always, a DELETE unless the row is older than the retention an administrator set
//! (`audit_settings`, at least 30 days), which is how the pruner removes old rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        actor_user_id INTEGER NULL,
        actor_label TEXT NULL,
        address TEXT NULL,
        target TEXT NULL,
        details TEXT NOT NULL
    )",
    "CREATE TABLE audit_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        retention_days INTEGER NOT NULL CHECK (retention_days >= 30)
    )",
    "CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_refuse_delete BEFORE DELETE ON audit_log
     WHEN julianday(OLD.at) > julianday('now')
        - (SELECT retention_days FROM audit_settings WHERE id = 1)
     BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        action TEXT NOT NULL,
        actor_user_id INTEGER NULL,
        actor_label TEXT NULL,
        address TEXT NULL,
        target TEXT NULL,
        details TEXT NOT NULL
    )",
    "CREATE TABLE audit_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        retention_days INTEGER NOT NULL CHECK (retention_days >= 30)
    )",
    "CREATE FUNCTION refuse_audit_change() RETURNS trigger AS $$
     BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - make_interval(days =>
            (SELECT retention_days FROM audit_settings WHERE id = 1)) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only';
     END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change()",
];

const BOTH: &[&str] = &[
    "INSERT INTO audit_settings (id, retention_days) VALUES (1, 365)",
    "CREATE INDEX audit_log_at_idx ON audit_log (at, id)",
    "CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, id)",
    "CREATE INDEX audit_log_action_idx ON audit_log (action, id)",
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
        for sql in [
            "DROP TABLE IF EXISTS audit_log",
            "DROP TABLE IF EXISTS audit_settings",
            "DROP FUNCTION IF EXISTS refuse_audit_change()",
        ] {
            if sql.contains("FUNCTION") && db.get_database_backend() != DbBackend::Postgres {
                continue;
            }
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
