//! The database schema, one file per change. Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_org;
mod m20261123_000002_create_sessions;
mod m20261123_000003_create_conveyor;
mod m20261124_000004_board_indexes;
mod m20261124_000005_digests;
mod m20261124_000006_analytics_rollups;
mod m20261124_000007_conclusions;
mod m20261124_000008_clients;
mod m20261124_000009_timeline;
mod m20261124_000010_tasks;
mod m20261124_000011_documents;
mod m20261124_000012_custom_fields;
mod m20261124_000013_document_categories;
mod m20261124_000014_user_time_zone;
mod m20261130_000015_events_and_jobs;
mod m20261130_000016_create_sign_in_successes;
mod m20261130_000017_transition_facts;
mod m20261130_000018_local_days;
mod m20261130_000019_owner_rollups;
mod m20261201_000020_api_tokens;
mod m20261201_000021_webhooks;
mod m20261201_000022_session_devices;
mod m20261201_000023_audit_log;
mod m20261202_000024_automation;

/// Applies every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_org::Migration),
            Box::new(m20261123_000002_create_sessions::Migration),
            Box::new(m20261123_000003_create_conveyor::Migration),
            Box::new(m20261124_000004_board_indexes::Migration),
            Box::new(m20261124_000005_digests::Migration),
            Box::new(m20261124_000006_analytics_rollups::Migration),
            Box::new(m20261124_000007_conclusions::Migration),
            Box::new(m20261124_000008_clients::Migration),
            Box::new(m20261124_000009_timeline::Migration),
            Box::new(m20261124_000010_tasks::Migration),
            Box::new(m20261124_000011_documents::Migration),
            Box::new(m20261124_000012_custom_fields::Migration),
            Box::new(m20261124_000013_document_categories::Migration),
            Box::new(m20261124_000014_user_time_zone::Migration),
            Box::new(m20261130_000015_events_and_jobs::Migration),
            Box::new(m20261130_000016_create_sign_in_successes::Migration),
            Box::new(m20261130_000017_transition_facts::Migration),
            Box::new(m20261130_000018_local_days::Migration),
            Box::new(m20261130_000019_owner_rollups::Migration),
            Box::new(m20261201_000020_api_tokens::Migration),
            Box::new(m20261201_000021_webhooks::Migration),
            Box::new(m20261201_000022_session_devices::Migration),
            Box::new(m20261201_000023_audit_log::Migration),
            Box::new(m20261202_000024_automation::Migration),
        ]
    }
}
