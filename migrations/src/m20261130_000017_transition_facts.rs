//! One row of derived facts per ledger row (`transition_facts`), clustered by deal, so that
//! the dashboards of a set of deals (an employee's or a restricted user's visibility, a
//! filter on the responsible or the amount) sum those deals' rows instead of reading the
//! whole ledger with a correlated lookup per row (docs/benchmarks.md, "Analytics for
//! every role"). The facts are what the daily rollups key and sum, computed once when the
//! ledger row is written: the UTC day, the route with 0 for "none", the day the deal last
//! entered the same stage before (-1: never), for a return whose work came back, the SLA
//! breach (with the SLA at move time), the visit's seconds and duration bin, the day the
//! deal was created and a return's reason. The rollups' trigger now writes the facts row
//! first and adds it to the rollups from there, so each derived value is computed once.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

// The bins and days mean what they meant when the rollups were first stored.
use super::m20261124_000006_analytics_rollups::{bin_sql, day_sql};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A return's reason is kept to this many characters (as in the reasons' rollup).
pub(crate) const REASON_CHARS: usize = 200;

const COLUMNS: &str = "deal_id, id, pipeline_id, day, from_stage_id, to_stage_id, \
    from_department_id, to_department_id, actor_user_id, prev_entry_day, worker_user_id, \
    is_return, breach, seconds, bin, created_day, reason";

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
         reason TEXT, PRIMARY KEY (deal_id, id)){clustered}"
    )
}

/// The facts of the ledger rows `t` (`NEW` in the trigger), as a SELECT list in `COLUMNS`
/// order.
fn facts(backend: DatabaseBackend, t: &str) -> String {
    let day = day_sql(backend, &format!("{t}.at"));
    let prev_entry_day = format!(
        "COALESCE((SELECT {} FROM transitions p WHERE p.deal_id = {t}.deal_id \
         AND p.to_stage_id = {t}.to_stage_id AND p.id < {t}.id ORDER BY p.id DESC LIMIT 1), -1)",
        day_sql(backend, "p.at")
    );
    // A return's "worker": who last passed the deal on out of the stage it returns to.
    let worker = format!(
        "CASE WHEN {t}.is_return THEN COALESCE((SELECT w.actor_user_id FROM transitions w \
         WHERE w.deal_id = {t}.deal_id AND w.from_stage_id = {t}.to_stage_id AND w.id < {t}.id \
         ORDER BY w.id DESC LIMIT 1), 0) ELSE 0 END"
    );
    let created_day = format!(
        "COALESCE((SELECT {} FROM transitions c WHERE c.deal_id = {t}.deal_id \
         AND c.from_stage_id IS NULL ORDER BY c.id LIMIT 1), {day})",
        day_sql(backend, "c.at")
    );
    let seconds = format!("{t}.seconds_in_from");
    let visit = format!("{t}.from_stage_id IS NOT NULL AND {seconds} IS NOT NULL");
    format!(
        "{t}.deal_id, {t}.id, {t}.pipeline_id, {day}, COALESCE({t}.from_stage_id, 0), \
         {t}.to_stage_id, COALESCE({t}.from_department_id, 0), \
         COALESCE({t}.to_department_id, 0), COALESCE({t}.actor_user_id, 0), \
         {prev_entry_day}, {worker}, CASE WHEN {t}.is_return THEN 1 ELSE 0 END, \
         CASE WHEN {seconds} > (SELECT s.sla_seconds FROM stages s \
         WHERE s.id = {t}.from_stage_id) THEN 1 ELSE 0 END, \
         CASE WHEN {visit} THEN {seconds} END, CASE WHEN {visit} THEN {bin} END, \
         {created_day}, CASE WHEN {t}.is_return AND TRIM({t}.comment) <> '' \
         THEN SUBSTR(LOWER(TRIM({t}.comment)), 1, {REASON_CHARS}) END",
        bin = bin_sql(&seconds)
    )
}

/// The rollups' upserts of the facts row `f` of `NEW`: the same keys and sums as
/// `m20261124_000006_analytics_rollups` computed from the ledger row.
pub(crate) fn roll_up_facts() -> Vec<String> {
    let facts_of_new = "FROM transition_facts f WHERE f.deal_id = NEW.deal_id AND f.id = NEW.id";
    vec![
        format!(
            "INSERT INTO transition_days (pipeline_id, day, from_stage_id, to_stage_id, \
             from_department_id, to_department_id, actor_user_id, prev_entry_day, \
             worker_user_id, moves, returns, breaches) SELECT f.pipeline_id, f.day, \
             f.from_stage_id, f.to_stage_id, f.from_department_id, f.to_department_id, \
             f.actor_user_id, f.prev_entry_day, f.worker_user_id, 1, f.is_return, f.breach \
             {facts_of_new} ON CONFLICT (pipeline_id, day, from_stage_id, to_stage_id, \
             from_department_id, to_department_id, actor_user_id, prev_entry_day, \
             worker_user_id) DO UPDATE SET moves = transition_days.moves + excluded.moves, \
             returns = transition_days.returns + excluded.returns, \
             breaches = transition_days.breaches + excluded.breaches"
        ),
        format!(
            "INSERT INTO visit_bins (pipeline_id, day, from_stage_id, from_department_id, \
             actor_user_id, bin, visits, seconds) SELECT f.pipeline_id, f.day, \
             f.from_stage_id, f.from_department_id, f.actor_user_id, f.bin, 1, f.seconds \
             {facts_of_new} AND f.seconds IS NOT NULL ON CONFLICT (pipeline_id, day, \
             from_stage_id, from_department_id, actor_user_id, bin) DO UPDATE SET \
             visits = visit_bins.visits + excluded.visits, \
             seconds = visit_bins.seconds + excluded.seconds"
        ),
        format!(
            "INSERT INTO cohort_days (pipeline_id, created_day, to_stage_id, deals) \
             SELECT f.pipeline_id, f.created_day, f.to_stage_id, 1 {facts_of_new} \
             AND f.prev_entry_day = -1 ON CONFLICT (pipeline_id, created_day, to_stage_id) \
             DO UPDATE SET deals = cohort_days.deals + excluded.deals"
        ),
        format!(
            "INSERT INTO return_reason_days (pipeline_id, day, from_department_id, reason, \
             returns) SELECT f.pipeline_id, f.day, f.from_department_id, f.reason, 1 \
             {facts_of_new} AND f.reason IS NOT NULL ON CONFLICT (pipeline_id, day, \
             from_department_id, reason) DO UPDATE SET \
             returns = return_reason_days.returns + excluded.returns"
        ),
    ]
}

fn trigger_body(backend: DatabaseBackend) -> String {
    let mut statements = vec![format!(
        "INSERT INTO transition_facts ({COLUMNS}) SELECT {}",
        facts(backend, "NEW")
    )];
    statements.extend(roll_up_facts());
    statements.join("; ")
}

/// Makes `body` what the rollups' trigger on `transitions` runs for each new ledger row.
pub(crate) async fn replace_trigger(
    db: &SchemaManagerConnection<'_>,
    backend: DatabaseBackend,
    body: &str,
) -> Result<(), DbErr> {
    match backend {
        DatabaseBackend::Postgres => {
            // The trigger `transitions_roll_up` calls this function: replacing it is enough.
            db.execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION roll_up_transition() RETURNS trigger AS $$ \
                 BEGIN {body}; RETURN NULL; END; $$ LANGUAGE plpgsql"
            ))
            .await?;
        }
        _ => {
            db.execute_unprepared("DROP TRIGGER transitions_roll_up")
                .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER transitions_roll_up AFTER INSERT ON transitions \
                 BEGIN {body}; END"
            ))
            .await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        db.execute_unprepared(&create_table(backend)).await?;
        db.execute_unprepared(&format!(
            "INSERT INTO transition_facts ({COLUMNS}) SELECT {} FROM transitions t",
            facts(backend, "t")
        ))
        .await?;
        replace_trigger(db, backend, &trigger_body(backend)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        // Back to migration 6's trigger, which computes each rollup from the ledger row. On
        // PostgreSQL the trigger stays and calls that migration's function again.
        let previous = super::m20261124_000006_analytics_rollups::create_trigger(backend);
        if backend != DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER transitions_roll_up")
                .await?;
        }
        if let Some(sql) = previous.first() {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("DROP TABLE transition_facts").await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_facts_select_list_names_every_column_once() {
        // One value per column: the SELECT list splits into as many top-level items.
        let select = facts(DatabaseBackend::Sqlite, "t");
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
