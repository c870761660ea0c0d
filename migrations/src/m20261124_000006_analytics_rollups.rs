//! Daily rollups of the ledger for the dashboards (docs/benchmarks.md, "Analytics at
//! 1,000,000 transitions"): a dashboard over a month of a busy conveyor reads a few
//! thousand summed rows instead of every move. A trigger on `transitions` keeps them, so
//! every path that writes the ledger (moves, stage removal, imports, the benchmark's bulk
//! load) feeds them in the same transaction; existing history is summed once here.
//!
//! - `transition_days`: moves per day, route (stages and departments at the time), actor,
//!   the day the deal last entered the same target stage before (-1: never), so that
//!   "distinct deals entering a stage in a period" is a sum of the entries whose previous
//!   entry fell before the period, and for a return whose work came back (who last passed
//!   the deal on out of the stage it returns to). Returns and SLA breaches (with the SLA
//!   at move time).
//! - `visit_bins`: closed visits per day, stage left, department, actor and duration bin
//!   (exact below 64 s, then 32 bins per doubling, each under 3.2% wide), with the exact
//!   sum of seconds per bin: percentiles within a bin's width, means exact.
//! - `cohort_days`: per creation day, how many of the deals created that day have ever
//!   entered each stage.
//! - `return_reason_days`: returns per day, department left and reason (trimmed, lower
//!   case, its first 200 characters).
//!
//! Days are days since 1970-01-01 (UTC). "None" (no previous stage, department or actor)
//! is stored as 0 so that the keys can be primary keys on both engines.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The lower bound of a duration's bin: `seconds` itself below 64, else `seconds` rounded
/// down to 1/32 of the power of two below it. `shared::analytics::rules::duration_bin` is
/// the same in Rust; this copy stays as it is so that the stored bins never change meaning.
pub(crate) fn bin_sql(seconds: &str) -> String {
    let mut sql = format!("CASE WHEN {seconds} < 64 THEN {seconds}");
    for exponent in 6..62 {
        let width = 1_i64 << (exponent - 5);
        let upper = 1_i64 << (exponent + 1);
        sql.push_str(&format!(
            " WHEN {seconds} < {upper} THEN ({seconds} / {width}) * {width}"
        ));
    }
    sql.push_str(&format!(" ELSE {seconds} END"));
    sql
}

/// Days since 1970-01-01 of a timestamp column, in the backend's dialect.
pub(crate) fn day_sql(backend: DatabaseBackend, at: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("CAST(CAST({at} AT TIME ZONE 'UTC' AS DATE) - DATE '1970-01-01' AS BIGINT)")
        }
        _ => format!("CAST(julianday(date({at})) - 2440587.5 AS INTEGER)"),
    }
}

/// A return's reason is kept to this many characters in the rollup (a key column: long
/// comments would overflow PostgreSQL's index entries).
const REASON_CHARS: usize = 200;

/// One rollup: its table, key and summed columns, and the SELECT list that computes them
/// for one ledger row `t` (`NEW` in the trigger).
struct Rollup {
    table: &'static str,
    key: &'static str,
    sums: &'static [&'static str],
    row: String,
    /// Which ledger rows count.
    condition: String,
}

fn rollups(backend: DatabaseBackend, t: &str) -> [Rollup; 4] {
    let day = day_sql(backend, &format!("{t}.at"));
    let earlier_entry = format!(
        "FROM transitions p WHERE p.deal_id = {t}.deal_id AND p.to_stage_id = {t}.to_stage_id \
         AND p.id < {t}.id"
    );
    let prev_entry_day = format!(
        "COALESCE((SELECT {} {earlier_entry} ORDER BY p.id DESC LIMIT 1), -1)",
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
    [
        Rollup {
            table: "transition_days",
            key: "pipeline_id, day, from_stage_id, to_stage_id, from_department_id, \
                  to_department_id, actor_user_id, prev_entry_day, worker_user_id",
            sums: &["moves", "returns", "breaches"],
            row: format!(
                "{t}.pipeline_id AS pipeline_id, {day} AS day, \
                 COALESCE({t}.from_stage_id, 0) AS from_stage_id, {t}.to_stage_id AS to_stage_id, \
                 COALESCE({t}.from_department_id, 0) AS from_department_id, \
                 COALESCE({t}.to_department_id, 0) AS to_department_id, \
                 COALESCE({t}.actor_user_id, 0) AS actor_user_id, \
                 {prev_entry_day} AS prev_entry_day, {worker} AS worker_user_id, 1 AS moves, \
                 CASE WHEN {t}.is_return THEN 1 ELSE 0 END AS returns, \
                 CASE WHEN {t}.seconds_in_from > (SELECT s.sla_seconds FROM stages s \
                 WHERE s.id = {t}.from_stage_id) THEN 1 ELSE 0 END AS breaches"
            ),
            condition: "1 = 1".to_owned(),
        },
        Rollup {
            table: "visit_bins",
            key: "pipeline_id, day, from_stage_id, from_department_id, actor_user_id, bin",
            sums: &["visits", "seconds"],
            row: format!(
                "{t}.pipeline_id AS pipeline_id, {day} AS day, {t}.from_stage_id AS from_stage_id, \
                 COALESCE({t}.from_department_id, 0) AS from_department_id, \
                 COALESCE({t}.actor_user_id, 0) AS actor_user_id, {} AS bin, 1 AS visits, \
                 {t}.seconds_in_from AS seconds",
                bin_sql(&format!("{t}.seconds_in_from"))
            ),
            condition: format!("{t}.from_stage_id IS NOT NULL AND {t}.seconds_in_from IS NOT NULL"),
        },
        Rollup {
            table: "cohort_days",
            key: "pipeline_id, created_day, to_stage_id",
            sums: &["deals"],
            row: format!(
                "{t}.pipeline_id AS pipeline_id, {created_day} AS created_day, \
                 {t}.to_stage_id AS to_stage_id, 1 AS deals"
            ),
            condition: format!("NOT EXISTS (SELECT 1 {earlier_entry})"),
        },
        Rollup {
            table: "return_reason_days",
            key: "pipeline_id, day, from_department_id, reason",
            sums: &["returns"],
            row: format!(
                "{t}.pipeline_id AS pipeline_id, {day} AS day, \
                 COALESCE({t}.from_department_id, 0) AS from_department_id, \
                 SUBSTR(LOWER(TRIM({t}.comment)), 1, {REASON_CHARS}) AS reason, 1 AS returns"
            ),
            condition: format!("{t}.is_return AND TRIM({t}.comment) <> ''"),
        },
    ]
}

impl Rollup {
    fn columns(&self) -> String {
        format!("{}, {}", self.key, self.sums.join(", "))
    }

    fn create_table(&self, clustered: &str) -> String {
        let columns: Vec<String> = self
            .key
            .split(", ")
            .chain(self.sums.iter().copied())
            .map(|c| {
                let ty = match c.trim() {
                    "reason" => "TEXT",
                    c if c.ends_with("_id") => "INTEGER",
                    _ => "BIGINT",
                };
                format!("{} {ty} NOT NULL", c.trim())
            })
            .collect();
        format!(
            "CREATE TABLE {} ({}, PRIMARY KEY ({})){clustered}",
            self.table,
            columns.join(", "),
            self.key
        )
    }

    /// Adds the row `NEW` (the rollup was built with `t = "NEW"`).
    fn upsert(&self) -> String {
        let add: Vec<String> = self
            .sums
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}", table = self.table))
            .collect();
        format!(
            "INSERT INTO {} ({}) SELECT {} WHERE {} ON CONFLICT ({}) DO UPDATE SET {}",
            self.table,
            self.columns(),
            self.row,
            self.condition,
            self.key,
            add.join(", ")
        )
    }

    /// Sums the whole ledger (the rollup was built with `t = "t"`).
    fn backfill(&self) -> String {
        let sums: Vec<String> = self.sums.iter().map(|c| format!("SUM({c})")).collect();
        format!(
            "INSERT INTO {table} ({columns}) SELECT {key}, {sums} FROM \
             (SELECT {row} FROM transitions t WHERE {condition}) r GROUP BY {key}",
            table = self.table,
            columns = self.columns(),
            key = self.key,
            sums = sums.join(", "),
            row = self.row,
            condition = self.condition,
        )
    }
}

pub(crate) fn create_trigger(backend: DatabaseBackend) -> Vec<String> {
    let body: Vec<String> = rollups(backend, "NEW").iter().map(Rollup::upsert).collect();
    let body = body.join("; ");
    match backend {
        DatabaseBackend::Postgres => vec![
            format!(
                "CREATE OR REPLACE FUNCTION roll_up_transition() RETURNS trigger AS $$ \
                 BEGIN {body}; RETURN NULL; END; $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER transitions_roll_up AFTER INSERT ON transitions \
             FOR EACH ROW EXECUTE FUNCTION roll_up_transition()"
                .to_owned(),
        ],
        _ => vec![format!(
            "CREATE TRIGGER transitions_roll_up AFTER INSERT ON transitions BEGIN {body}; END"
        )],
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        // SQLite keeps each table in its key's order: a period is one contiguous range.
        let clustered = if backend == DatabaseBackend::Sqlite {
            " WITHOUT ROWID"
        } else {
            ""
        };
        for rollup in rollups(backend, "t") {
            db.execute_unprepared(&rollup.create_table(clustered))
                .await?;
            db.execute_unprepared(&rollup.backfill()).await?;
        }
        // Returns are a small share of the ledger; their reasons and "whose work came
        // back" read only them.
        db.execute_unprepared(
            "CREATE INDEX transitions_returns_idx ON transitions (pipeline_id, at) WHERE is_return",
        )
        .await?;
        for sql in create_trigger(backend) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS transitions_roll_up ON transitions")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS roll_up_transition()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS transitions_roll_up")
                .await?;
        }
        for sql in [
            "DROP INDEX IF EXISTS transitions_returns_idx",
            "DROP TABLE IF EXISTS return_reason_days",
            "DROP TABLE IF EXISTS cohort_days",
            "DROP TABLE IF EXISTS visit_bins",
            "DROP TABLE IF EXISTS transition_days",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_exact_below_64_seconds_then_32_per_doubling() {
        let ladder = bin_sql("s");
        assert!(ladder.starts_with("CASE WHEN s < 64 THEN s WHEN s < 128 THEN (s / 2) * 2"));
        assert!(ladder.contains("WHEN s < 4096 THEN (s / 64) * 64"));
    }
}
