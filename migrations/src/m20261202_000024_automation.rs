//! Automation: rules (`automation_rules`, the current version's number), every version of
//! each (`automation_rule_versions`, append-only: runs name the version they ran), runs
//! with their log (`automation_runs`, one per rule and event), the round robin's last pick
//! per rule and department (`automation_turns`), and on each event how deep in a chain of
//! rules it was made and by which rule (`events.chain_depth`, `events.actor_rule_id`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE automation_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
        enabled INTEGER NOT NULL,
        retrigger_self INTEGER NOT NULL,
        current_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )",
    "CREATE TABLE automation_rule_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_by INTEGER NULL REFERENCES users (id),
        created_at TEXT NOT NULL,
        UNIQUE (rule_id, version)
    )",
    "CREATE TABLE automation_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        rule_version INTEGER NOT NULL,
        event_id INTEGER NULL,
        deal_id INTEGER NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
        trigger TEXT NOT NULL,
        state TEXT NOT NULL,
        depth INTEGER NOT NULL,
        step INTEGER NOT NULL,
        log TEXT NOT NULL,
        context TEXT NOT NULL,
        wait_stage_id INTEGER NULL,
        wait_entered_at TEXT NULL,
        due_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        finished_at TEXT NULL,
        UNIQUE (rule_id, event_id)
    )",
    "CREATE TABLE automation_turns (
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        department_id INTEGER NOT NULL,
        last_user_id INTEGER NOT NULL,
        PRIMARY KEY (rule_id, department_id)
    )",
    "CREATE TRIGGER automation_rule_versions_refuse_update
     BEFORE UPDATE ON automation_rule_versions
     BEGIN SELECT RAISE(ABORT, 'rule versions are append-only'); END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE automation_rules (
        id SERIAL PRIMARY KEY,
        name TEXT NOT NULL,
        pipeline_id INTEGER NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
        enabled BOOLEAN NOT NULL,
        retrigger_self BOOLEAN NOT NULL,
        current_version INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )",
    "CREATE TABLE automation_rule_versions (
        id SERIAL PRIMARY KEY,
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_by INTEGER NULL REFERENCES users (id),
        created_at TIMESTAMPTZ NOT NULL,
        UNIQUE (rule_id, version)
    )",
    "CREATE TABLE automation_runs (
        id BIGSERIAL PRIMARY KEY,
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        rule_version INTEGER NOT NULL,
        event_id BIGINT NULL,
        deal_id INTEGER NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
        trigger TEXT NOT NULL,
        state TEXT NOT NULL,
        depth INTEGER NOT NULL,
        step INTEGER NOT NULL,
        log TEXT NOT NULL,
        context TEXT NOT NULL,
        wait_stage_id INTEGER NULL,
        wait_entered_at TIMESTAMPTZ NULL,
        due_at TIMESTAMPTZ NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ NULL,
        UNIQUE (rule_id, event_id)
    )",
    "CREATE TABLE automation_turns (
        rule_id INTEGER NOT NULL REFERENCES automation_rules (id) ON DELETE CASCADE,
        department_id INTEGER NOT NULL,
        last_user_id INTEGER NOT NULL,
        PRIMARY KEY (rule_id, department_id)
    )",
    "CREATE FUNCTION refuse_rule_version_change() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION 'rule versions are append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER automation_rule_versions_append_only
     BEFORE UPDATE ON automation_rule_versions
     FOR EACH ROW EXECUTE FUNCTION refuse_rule_version_change()",
];

const BOTH: &[&str] = &[
    "ALTER TABLE events ADD COLUMN chain_depth INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE events ADD COLUMN actor_rule_id INTEGER NULL",
    // A rule's (or a token's) comment names it on the timeline, as moves and edits do.
    "ALTER TABLE comments ADD COLUMN author_label TEXT NULL",
    "CREATE INDEX automation_rules_pipeline_idx ON automation_rules (pipeline_id, id)",
    "CREATE INDEX automation_runs_rule_idx ON automation_runs (rule_id, id)",
    "CREATE INDEX automation_runs_deal_idx ON automation_runs (deal_id, id)",
    "CREATE INDEX automation_runs_state_idx ON automation_runs (state, due_at)",
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
            "DROP TABLE IF EXISTS automation_turns",
            "DROP TABLE IF EXISTS automation_runs",
            "DROP TABLE IF EXISTS automation_rule_versions",
            "DROP TABLE IF EXISTS automation_rules",
            "ALTER TABLE events DROP COLUMN actor_rule_id",
            "ALTER TABLE events DROP COLUMN chain_depth",
            "ALTER TABLE comments DROP COLUMN author_label",
        ] {
            db.execute_unprepared(sql).await?;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS refuse_rule_version_change()")
                .await?;
        }
        Ok(())
    }
}
