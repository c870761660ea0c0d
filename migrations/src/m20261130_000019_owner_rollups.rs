//! The four daily rollups once more, per responsible (`owner_*`): a restricted user's
//! dashboards, an employee's own deals and the filter on the responsible read one
//! person's summed rows instead of summing the facts of every deal they hold
//! (docs/benchmarks.md, "Per responsible"). The key is the stored rollup's with the deal's
//! responsible (0: none) after the pipeline, so one person's period is one range.
//!
//! The rollups' trigger on `transitions` adds each new facts row under the deal's
//! responsible at that moment; a trigger on `deals` moves a deal's facts from the old
//! responsible to the new one when the responsible changes, on every path that changes it.
//! Keys whose sums a move took to zero stay as zero rows, which the readers drop.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use super::m20261130_000017_transition_facts::{replace_trigger, roll_up_facts};
use super::m20261130_000018_local_days::facts_trigger_insert;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One per-responsible rollup: its table, its key after the pipeline and the responsible,
/// each summed column with what one facts row `f` adds to it, and which facts rows count.
struct OwnerRollup {
    table: &'static str,
    key: &'static [&'static str],
    sums: &'static [(&'static str, &'static str)],
    counts: &'static str,
}

const OWNER_ROLLUPS: [OwnerRollup; 4] = [
    OwnerRollup {
        table: "owner_transition_days",
        key: &[
            "day",
            "from_stage_id",
            "to_stage_id",
            "from_department_id",
            "to_department_id",
            "actor_user_id",
            "prev_entry_day",
            "worker_user_id",
        ],
        sums: &[
            ("moves", "1"),
            ("returns", "f.is_return"),
            ("breaches", "f.breach"),
        ],
        counts: "1 = 1",
    },
    OwnerRollup {
        table: "owner_visit_bins",
        key: &[
            "day",
            "from_stage_id",
            "from_department_id",
            "actor_user_id",
            "bin",
        ],
        sums: &[("visits", "1"), ("seconds", "f.seconds")],
        counts: "f.seconds IS NOT NULL",
    },
    OwnerRollup {
        table: "owner_cohort_days",
        key: &["created_day", "to_stage_id"],
        sums: &[("deals", "1")],
        counts: "f.prev_entry_day = -1",
    },
    OwnerRollup {
        table: "owner_return_reason_days",
        key: &["day", "from_department_id", "reason"],
        sums: &[("returns", "1")],
        counts: "f.reason IS NOT NULL",
    },
];

impl OwnerRollup {
    /// Every key column, in the primary key's order.
    fn full_key(&self) -> String {
        let mut key = vec!["pipeline_id", "responsible_user_id"];
        key.extend_from_slice(self.key);
        key.join(", ")
    }

    fn columns(&self) -> String {
        let sums: Vec<&str> = self.sums.iter().map(|(column, _)| *column).collect();
        format!("{}, {}", self.full_key(), sums.join(", "))
    }

    fn create_table(&self, backend: DatabaseBackend) -> String {
        let clustered = match backend {
            DatabaseBackend::Postgres => "",
            _ => " WITHOUT ROWID",
        };
        let columns: Vec<String> = self
            .full_key()
            .split(", ")
            .chain(self.sums.iter().map(|(column, _)| *column))
            .map(|c| {
                let ty = match c {
                    "reason" => "TEXT",
                    c if c.ends_with("_id") => "INTEGER",
                    _ => "BIGINT",
                };
                format!("{c} {ty} NOT NULL")
            })
            .collect();
        format!(
            "CREATE TABLE {} ({}, PRIMARY KEY ({})){clustered}",
            self.table,
            columns.join(", "),
            self.full_key()
        )
    }

    /// The key after the pipeline and the responsible, read from the facts rows `f`.
    fn facts_key(&self) -> String {
        let key: Vec<String> = self.key.iter().map(|k| format!("f.{k}")).collect();
        key.join(", ")
    }

    /// The upsert's tail: a row whose key is there adds its sums to it.
    fn on_conflict_add(&self) -> String {
        let add: Vec<String> = self
            .sums
            .iter()
            .map(|(c, _)| format!("{c} = {table}.{c} + excluded.{c}", table = self.table))
            .collect();
        format!(
            "ON CONFLICT ({}) DO UPDATE SET {}",
            self.full_key(),
            add.join(", ")
        )
    }

    /// `INSERT INTO` the rollup, adding to the rows already there, the sums of the rows
    /// `f` that `facts` (a SELECT) gives: facts rows with the responsible they count under
    /// (`owner`) and whether they add or take away (`sign`, 1 or -1).
    fn add(&self, facts: &str) -> String {
        let key = self.facts_key();
        let sums: Vec<String> = self
            .sums
            .iter()
            .map(|(_, one)| format!("SUM(f.sign * {one})"))
            .collect();
        // The outer SELECT with its WHERE keeps SQLite's parser from reading ON CONFLICT
        // as a join's ON. The rows come in key order, so that two changes of responsible
        // at once lock PostgreSQL's rows in the same order and cannot deadlock.
        format!(
            "INSERT INTO {table} ({columns}) SELECT * FROM (SELECT f.pipeline_id, f.owner, \
             {key}, {sums} FROM ({facts}) f WHERE {counts} GROUP BY f.pipeline_id, f.owner, \
             {key} ORDER BY f.pipeline_id, f.owner, {key}) sums WHERE 1 = 1 {upsert}",
            table = self.table,
            columns = self.columns(),
            sums = sums.join(", "),
            counts = self.counts,
            upsert = self.on_conflict_add(),
        )
    }

    /// Sums every facts row under its deal's responsible (the table must be empty).
    fn backfill(&self) -> String {
        self.add(
            "SELECT f.*, COALESCE(d.responsible_user_id, 0) AS owner, 1 AS sign \
             FROM transition_facts f JOIN deals d ON d.id = f.deal_id",
        )
    }

    /// Adds the facts row of the ledger row `NEW` under its deal's responsible. One row:
    /// a plain upsert, as the stored rollups' (grouping one row costs a sort per move).
    fn add_new_facts(&self) -> String {
        let ones: Vec<&str> = self.sums.iter().map(|(_, one)| *one).collect();
        format!(
            "INSERT INTO {table} ({columns}) SELECT f.pipeline_id, \
             COALESCE((SELECT d.responsible_user_id FROM deals d WHERE d.id = NEW.deal_id), 0), \
             {key}, {ones} FROM transition_facts f WHERE f.deal_id = NEW.deal_id \
             AND f.id = NEW.id AND {counts} {upsert}",
            table = self.table,
            columns = self.columns(),
            key = self.facts_key(),
            ones = ones.join(", "),
            counts = self.counts,
            upsert = self.on_conflict_add(),
        )
    }

    /// Moves the facts of the deal `NEW` from its old responsible to its new one, in one
    /// statement so that the rows are locked in one order.
    fn rekey(&self) -> String {
        self.add(
            "SELECT f.*, COALESCE(OLD.responsible_user_id, 0) AS owner, -1 AS sign \
             FROM transition_facts f WHERE f.deal_id = NEW.id UNION ALL \
             SELECT f.*, COALESCE(NEW.responsible_user_id, 0) AS owner, 1 AS sign \
             FROM transition_facts f WHERE f.deal_id = NEW.id",
        )
    }
}

/// The statements of the trigger on `transitions`: the facts row, the stored rollups,
/// then the per-responsible ones.
fn transitions_trigger_body(backend: DatabaseBackend) -> String {
    let mut statements = vec![facts_trigger_insert(backend)];
    statements.extend(roll_up_facts());
    statements.extend(OWNER_ROLLUPS.iter().map(OwnerRollup::add_new_facts));
    statements.join("; ")
}

fn rekey_statements() -> String {
    let statements: Vec<String> = OWNER_ROLLUPS.iter().map(OwnerRollup::rekey).collect();
    statements.join("; ")
}

const RESPONSIBLE_CHANGED: &str =
    "COALESCE(OLD.responsible_user_id, 0) <> COALESCE(NEW.responsible_user_id, 0)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for rollup in &OWNER_ROLLUPS {
            db.execute_unprepared(&rollup.create_table(backend)).await?;
            db.execute_unprepared(&rollup.backfill()).await?;
        }
        replace_trigger(db, backend, &transitions_trigger_body(backend)).await?;
        let body = rekey_statements();
        match backend {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION rekey_owner_rollups() RETURNS trigger AS $$ \
                     BEGIN {body}; RETURN NULL; END; $$ LANGUAGE plpgsql"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER deals_rekey_owner_rollups AFTER UPDATE OF \
                     responsible_user_id ON deals FOR EACH ROW WHEN ({RESPONSIBLE_CHANGED}) \
                     EXECUTE FUNCTION rekey_owner_rollups()"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER deals_rekey_owner_rollups AFTER UPDATE OF \
                     responsible_user_id ON deals WHEN {RESPONSIBLE_CHANGED} BEGIN {body}; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER deals_rekey_owner_rollups ON deals")
                .await?;
            db.execute_unprepared("DROP FUNCTION rekey_owner_rollups()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER deals_rekey_owner_rollups")
                .await?;
        }
        // Migration 18's trigger: the facts row and the stored rollups.
        let mut statements = vec![facts_trigger_insert(backend)];
        statements.extend(roll_up_facts());
        replace_trigger(db, backend, &statements.join("; ")).await?;
        for rollup in OWNER_ROLLUPS.iter().rev() {
            db.execute_unprepared(&format!("DROP TABLE {}", rollup.table))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rekey_takes_from_the_old_responsible_what_it_gives_the_new_one() {
        let rekey = OWNER_ROLLUPS[0].rekey();
        assert!(rekey.contains("COALESCE(OLD.responsible_user_id, 0) AS owner, -1 AS sign"));
        assert!(rekey.contains("COALESCE(NEW.responsible_user_id, 0) AS owner, 1 AS sign"));
        assert!(rekey.contains("SUM(f.sign * 1), SUM(f.sign * f.is_return)"));
        assert!(rekey.contains("ORDER BY f.pipeline_id, f.owner, f.day"));
        assert!(rekey.ends_with("breaches = owner_transition_days.breaches + excluded.breaches"));
    }

    #[test]
    fn a_move_adds_its_one_row_without_grouping() {
        let add = OWNER_ROLLUPS[1].add_new_facts();
        assert!(add.starts_with(
            "INSERT INTO owner_visit_bins (pipeline_id, responsible_user_id, day, \
             from_stage_id, from_department_id, actor_user_id, bin, visits, seconds) \
             SELECT f.pipeline_id, COALESCE((SELECT d.responsible_user_id FROM deals d \
             WHERE d.id = NEW.deal_id), 0), f.day,"
        ));
        assert!(add.contains("f.bin, 1, f.seconds FROM transition_facts f"));
        assert!(!add.contains("GROUP BY"));
    }

    #[test]
    fn each_table_is_keyed_by_pipeline_then_responsible() {
        for rollup in &OWNER_ROLLUPS {
            let create = rollup.create_table(DatabaseBackend::Sqlite);
            assert!(
                create.contains("PRIMARY KEY (pipeline_id, responsible_user_id, "),
                "{create}"
            );
            assert!(create.ends_with(" WITHOUT ROWID"));
        }
    }
}
