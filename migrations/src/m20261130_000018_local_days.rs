//! Days in the organisation's time zone. The rollups and the facts counted UTC days, so a
//! move at 23:30 in Moscow (20:30 UTC) fell on the right day but one at 01:30 fell on the
//! day before. Now the trigger counts the day in the zone named in `analytics_zone`, whose
//! offsets from UTC (one row per change of the zone's clocks) are in
//! `analytics_zone_offsets`; an empty table is UTC, which is what both start with, so the
//! stored days keep their meaning until an administrator picks the organisation's zone
//! (`shared::analytics::zone` then rewrites the days and the rollups in one transaction).
//!
//! Each facts row also keeps its instants (seconds since 1970-01-01 UTC): the move, the
//! deal's previous entry into the same stage (none: NULL) and the deal's creation, so that
//! a person in another zone gets dashboards counted in their own days from the facts.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use super::m20261124_000006_analytics_rollups::bin_sql;
use super::m20261130_000017_transition_facts::{REASON_CHARS, replace_trigger, roll_up_facts};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "deal_id, id, pipeline_id, day, from_stage_id, to_stage_id, \
    from_department_id, to_department_id, actor_user_id, prev_entry_day, worker_user_id, \
    is_return, breach, seconds, bin, created_day, reason, at, prev_entry_at, created_at";

/// Seconds since 1970-01-01 UTC of a timestamp column, in the backend's dialect.
pub(crate) fn epoch_sql(backend: DatabaseBackend, at: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {at})) AS BIGINT)"),
        _ => format!("CAST(strftime('%s', {at}) AS INTEGER)"),
    }
}

/// The organisation's day (days since 1970-01-01) of an instant in epoch seconds: the
/// offset in force at that instant, or none before the first change the table holds.
/// `shared::analytics::zone` writes the same expression when the zone changes.
pub(crate) fn local_day_sql(epoch: &str) -> String {
    format!(
        "(({epoch}) + COALESCE((SELECT o.offset_seconds FROM analytics_zone_offsets o \
         WHERE o.since <= ({epoch}) ORDER BY o.since DESC LIMIT 1), 0)) / 86400"
    )
}

fn create_table(backend: DatabaseBackend) -> String {
    let (bool_type, clustered) = match backend {
        DatabaseBackend::Postgres => ("SMALLINT", ""),
        _ => ("INTEGER", " WITHOUT ROWID"),
    };
    format!(
        "CREATE TABLE transition_facts (\
         deal_id INTEGER NOT NULL, id INTEGER NOT NULL, pipeline_id INTEGER NOT NULL, \
         day BIGINT NOT NULL, from_stage_id INTEGER NOT NULL, to_stage_id INTEGER NOT NULL, \
         from_department_id INTEGER NOT NULL, to_department_id INTEGER NOT NULL, \
         actor_user_id INTEGER NOT NULL, prev_entry_day BIGINT NOT NULL, \
         worker_user_id INTEGER NOT NULL, is_return {bool_type} NOT NULL, \
         breach {bool_type} NOT NULL, seconds BIGINT, bin BIGINT, created_day BIGINT NOT NULL, \
         reason TEXT, at BIGINT NOT NULL, prev_entry_at BIGINT, created_at BIGINT NOT NULL, \
         PRIMARY KEY (deal_id, id)){clustered}"
    )
}

/// The facts of the ledger rows `t` (`NEW` in the trigger), as a SELECT list in `COLUMNS`
/// order.
fn facts(backend: DatabaseBackend, t: &str) -> String {
    let at = epoch_sql(backend, &format!("{t}.at"));
    let prev_entry_at = format!(
        "(SELECT {} FROM transitions p WHERE p.deal_id = {t}.deal_id \
         AND p.to_stage_id = {t}.to_stage_id AND p.id < {t}.id ORDER BY p.id DESC LIMIT 1)",
        epoch_sql(backend, "p.at")
    );
    let created_at = format!(
        "COALESCE((SELECT {} FROM transitions c WHERE c.deal_id = {t}.deal_id \
         AND c.from_stage_id IS NULL ORDER BY c.id LIMIT 1), {at})",
        epoch_sql(backend, "c.at")
    );
    // A return's "worker": who last passed the deal on out of the stage it returns to.
    let worker = format!(
        "CASE WHEN {t}.is_return THEN COALESCE((SELECT w.actor_user_id FROM transitions w \
         WHERE w.deal_id = {t}.deal_id AND w.from_stage_id = {t}.to_stage_id AND w.id < {t}.id \
         ORDER BY w.id DESC LIMIT 1), 0) ELSE 0 END"
    );
    let seconds = format!("{t}.seconds_in_from");
    let visit = format!("{t}.from_stage_id IS NOT NULL AND {seconds} IS NOT NULL");
    format!(
        "{t}.deal_id, {t}.id, {t}.pipeline_id, {day}, COALESCE({t}.from_stage_id, 0), \
         {t}.to_stage_id, COALESCE({t}.from_department_id, 0), \
         COALESCE({t}.to_department_id, 0), COALESCE({t}.actor_user_id, 0), \
         COALESCE({prev_entry_day}, -1), {worker}, CASE WHEN {t}.is_return THEN 1 ELSE 0 END, \
         CASE WHEN {seconds} > (SELECT s.sla_seconds FROM stages s \
         WHERE s.id = {t}.from_stage_id) THEN 1 ELSE 0 END, \
         CASE WHEN {visit} THEN {seconds} END, CASE WHEN {visit} THEN {bin} END, \
         {created_day}, CASE WHEN {t}.is_return AND TRIM({t}.comment) <> '' \
         THEN SUBSTR(LOWER(TRIM({t}.comment)), 1, {REASON_CHARS}) END, \
         {at}, {prev_entry_at}, {created_at}",
        day = local_day_sql(&at),
        prev_entry_day = local_day_sql(&prev_entry_at),
        created_day = local_day_sql(&created_at),
        bin = bin_sql(&seconds)
    )
}

/// The trigger's first statement: the facts row of the ledger row `NEW`.
pub(crate) fn facts_trigger_insert(backend: DatabaseBackend) -> String {
    format!(
        "INSERT INTO transition_facts ({COLUMNS}) SELECT {}",
        facts(backend, "NEW")
    )
}

fn trigger_body(backend: DatabaseBackend) -> String {
    let mut statements = vec![facts_trigger_insert(backend)];
    statements.extend(roll_up_facts());
    statements.join("; ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for sql in [
            "CREATE TABLE analytics_zone (id INTEGER NOT NULL PRIMARY KEY, \
             name TEXT NOT NULL)",
            "INSERT INTO analytics_zone (id, name) VALUES (1, 'UTC')",
            "CREATE TABLE analytics_zone_offsets (since BIGINT NOT NULL PRIMARY KEY, \
             offset_seconds BIGINT NOT NULL)",
            "DROP TABLE transition_facts",
        ] {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(&create_table(backend)).await?;
        // The days come out as before (UTC): the rollups summed from them stay right.
        db.execute_unprepared(&format!(
            "INSERT INTO transition_facts ({COLUMNS}) SELECT {} FROM transitions t",
            facts(backend, "t")
        ))
        .await?;
        replace_trigger(db, backend, &trigger_body(backend)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // Migration 17's facts (UTC days, no instants) and trigger; its `up` builds both.
        db.execute_unprepared("DROP TABLE transition_facts").await?;
        db.execute_unprepared("DROP TABLE analytics_zone_offsets")
            .await?;
        db.execute_unprepared("DROP TABLE analytics_zone").await?;
        super::m20261130_000017_transition_facts::Migration
            .up(manager)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_select_list_names_every_column_once() {
        // One value per column: the SELECT list splits into as many top-level items.
        let select = facts(DatabaseBackend::Postgres, "t");
        let mut depth = 0;
        let mut items = 1;
        for c in select.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => items += 1,
                _ => {}
            }
        }
        assert_eq!(items, COLUMNS.split(',').count());
    }
}
