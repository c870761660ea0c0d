//! The four daily rollups of the ledger, and their copies for a set of deals.
//!
//! The stored rollups (kept by a trigger on `transitions`) sum every deal. When a
//! condition is on the deal (an employee's or a restricted user's visibility, a filter on
//! the responsible or the amount), or the reader's days are not the organisation's, a
//! dashboard first sums the same keys for the deals it lets through into temporary tables
//! of the same shape, and every figure then reads those: one query per figure either way.
//! The copies are summed in the server's memory (`memory`, the fastest way in general),
//! or in SQL: from one responsible's stored rows (`owner_*`, the same sums per deal
//! responsible) when the conditions come down to one person's deals, as the stored rollup
//! minus the facts of the few deals left out when nearly all pass, or over the facts of the
//! deals let through. `ScopedBy::Fastest` picks per dashboard.
//!
//! The temporary tables live in the dashboard's transaction, which is rolled back at the
//! end: they never outlive one request or reach another connection.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult};

use super::memory::{DealSet, FactsMemory, FactsSource, Selection};
use super::scope::Scope;
use super::zone::organisation_zone;
use crate::access::{Actor, VisibleDeals};
use crate::analytics::AnalyticsFilter;
use crate::error::AppError;
use crate::pipeline::PipelineView;
use crate::time_zone::Zone;

/// One daily rollup: its table and how its rows are made from `transition_facts` (`r`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rollup {
    /// Moves per day, route, actor, previous entry's day and "whose work came back".
    TransitionDays,
    /// Closed visits per day, stage, department, actor and duration bin.
    VisitBins,
    /// Per creation day, the deals that ever entered each stage.
    CohortDays,
    /// Returns per day, department left and reason.
    ReturnReasonDays,
}

impl Rollup {
    pub(super) const ALL: [Rollup; 4] = [
        Rollup::TransitionDays,
        Rollup::VisitBins,
        Rollup::CohortDays,
        Rollup::ReturnReasonDays,
    ];

    pub(super) fn table(self) -> &'static str {
        match self {
            Rollup::TransitionDays => "transition_days",
            Rollup::VisitBins => "visit_bins",
            Rollup::CohortDays => "cohort_days",
            Rollup::ReturnReasonDays => "return_reason_days",
        }
    }

    /// The copy for the dashboard's deals.
    pub(super) fn scoped_table(self) -> &'static str {
        match self {
            Rollup::TransitionDays => "scoped_transition_days",
            Rollup::VisitBins => "scoped_visit_bins",
            Rollup::CohortDays => "scoped_cohort_days",
            Rollup::ReturnReasonDays => "scoped_return_reason_days",
        }
    }

    /// The same sums per deal responsible (`responsible_user_id`, 0: none), kept by the
    /// same trigger and moved along when a deal's responsible changes.
    pub(super) fn owner_table(self) -> &'static str {
        match self {
            Rollup::TransitionDays => "owner_transition_days",
            Rollup::VisitBins => "owner_visit_bins",
            Rollup::CohortDays => "owner_cohort_days",
            Rollup::ReturnReasonDays => "owner_return_reason_days",
        }
    }

    /// The day column the period applies to.
    pub(super) fn day(self) -> &'static str {
        match self {
            Rollup::CohortDays => "created_day",
            _ => "day",
        }
    }

    fn key(self) -> &'static [&'static str] {
        match self {
            Rollup::TransitionDays => &[
                "pipeline_id",
                "day",
                "from_stage_id",
                "to_stage_id",
                "from_department_id",
                "to_department_id",
                "actor_user_id",
                "prev_entry_day",
                "worker_user_id",
            ],
            Rollup::VisitBins => &[
                "pipeline_id",
                "day",
                "from_stage_id",
                "from_department_id",
                "actor_user_id",
                "bin",
            ],
            Rollup::CohortDays => &["pipeline_id", "created_day", "to_stage_id"],
            Rollup::ReturnReasonDays => &["pipeline_id", "day", "from_department_id", "reason"],
        }
    }

    /// Each summed column and what one facts row adds to it.
    fn sums(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Rollup::TransitionDays => &[
                ("moves", "1"),
                ("returns", "r.is_return"),
                ("breaches", "r.breach"),
            ],
            Rollup::VisitBins => &[("visits", "1"), ("seconds", "r.seconds")],
            Rollup::CohortDays => &[("deals", "1")],
            Rollup::ReturnReasonDays => &[("returns", "1")],
        }
    }

    /// The scoped copy's table (PostgreSQL takes no parameters in `CREATE TABLE AS`).
    fn create_scoped(self) -> String {
        let columns: Vec<String> = self
            .key()
            .iter()
            .map(|k| {
                let ty = if *k == "reason" { "TEXT" } else { "BIGINT" };
                format!("{k} {ty} NOT NULL")
            })
            .chain(
                self.sums()
                    .iter()
                    .map(|(c, _)| format!("{c} BIGINT NOT NULL")),
            )
            .collect();
        format!(
            "CREATE TEMPORARY TABLE {} ({})",
            self.scoped_table(),
            columns.join(", ")
        )
    }

    /// Which facts rows the rollup counts.
    fn counts(self) -> &'static str {
        match self {
            Rollup::TransitionDays => "1 = 1",
            Rollup::VisitBins => "r.seconds IS NOT NULL",
            Rollup::CohortDays => "r.prev_entry_day = -1",
            Rollup::ReturnReasonDays => "r.reason IS NOT NULL",
        }
    }

    /// The statements that sum the stored rollup and its per-responsible twin again from
    /// every facts row, as the trigger adds them one by one.
    pub(super) fn sum_all_facts(self) -> [String; 4] {
        let key = self.key().join(", ");
        let rest = self.key()[1..].join(", ");
        let facts_rest: Vec<String> = self.key()[1..].iter().map(|k| format!("r.{k}")).collect();
        let facts_rest = facts_rest.join(", ");
        let (columns, sums): (Vec<&str>, Vec<String>) = self
            .sums()
            .iter()
            .map(|(column, one)| (*column, format!("SUM({one})")))
            .unzip();
        let (columns, sums) = (columns.join(", "), sums.join(", "));
        let counts = self.counts();
        [
            format!("DELETE FROM {}", self.table()),
            format!(
                "INSERT INTO {table} ({key}, {columns}) SELECT {key}, {sums} \
                 FROM transition_facts r WHERE {counts} GROUP BY {key}",
                table = self.table(),
            ),
            format!("DELETE FROM {}", self.owner_table()),
            format!(
                "INSERT INTO {table} (pipeline_id, responsible_user_id, {rest}, {columns}) \
                 SELECT r.pipeline_id, COALESCE(d.responsible_user_id, 0), {facts_rest}, \
                 {sums} FROM transition_facts r JOIN deals d ON d.id = r.deal_id \
                 WHERE {counts} GROUP BY r.pipeline_id, COALESCE(d.responsible_user_id, 0), \
                 {facts_rest}",
                table = self.owner_table(),
            ),
        ]
    }
}

/// How the scoped copies are summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopedBy {
    /// The fastest way for the condition: in memory when the dashboard keeps its visits
    /// under one day (`open_dashboard`); else one responsible's stored rows when the
    /// conditions come down to one person's deals, the stored rollup minus the few deals
    /// left out when nearly all pass, or in memory.
    Fastest,
    /// Always in memory, from the facts the server holds (`memory`).
    Memory,
    /// In SQL: from one person's rollups when the conditions come down to the deals of one
    /// responsible (plus, for an employee, the other deals at their department's stages);
    /// otherwise over the deals let through, or by subtraction when more deals pass than
    /// not.
    Smaller,
    /// Always over the deals let through.
    Passing,
    /// Always as the stored rollup minus the deals left out.
    Subtracting,
}

tokio::task_local! {
    /// Overrides `ScopedBy::Fastest` within a task: tests and the benchmark compare the ways.
    pub static SCOPED_BY: ScopedBy;
}

/// Facts rows to add to a copy: the sign they count with ("" or "-") and what appends
/// their ` FROM ... WHERE ...`.
type SignedFacts<'a> = (&'static str, &'a dyn Fn(&mut super::sql::Sql));

/// The deals of one responsible, and the other deals at some stages.
struct Owned {
    responsible: i32,
    also_at_stages: Vec<i32>,
}

/// Deals the dashboard's conditions let through, and all deals.
#[derive(FromQueryResult)]
struct DealCounts {
    passing: Option<i64>,
    total: i64,
}

/// The rollups' copies a dashboard reads. Without `visits_by_day` (the dashboard's figures
/// split visits by stage, department or person, never by day) a copy summed in memory
/// keeps the period's visits under its first day: a fraction of the rows.
pub(super) struct Copies<'r> {
    pub(super) rollups: &'r [Rollup],
    pub(super) visits_by_day: bool,
}

/// Opens a dashboard: one transaction, so that every figure reads one snapshot and the
/// rollups' copies for the actor's deals live in it and go with its rollback, and the
/// scope over it with the `copies` filled.
pub(super) async fn open_dashboard<'a>(
    db: &impl FactsSource,
    actor: &'a Actor,
    pipeline: &'a PipelineView,
    filter: &'a AnalyticsFilter,
    zone: Zone,
    now: DateTime<Utc>,
    copies: Copies<'_>,
) -> Result<(DatabaseTransaction, Scope<'a>), AppError> {
    let mut scope = Scope::new(
        db.get_database_backend(),
        actor,
        pipeline,
        filter,
        zone,
        now,
    )?;
    let by = SCOPED_BY.try_with(|by| *by).unwrap_or(ScopedBy::Fastest);
    if matches!(by, ScopedBy::Fastest | ScopedBy::Memory) {
        // Before the transaction: on SQLite it holds the one writer.
        db.facts().ensure_loaded(db.readers()).await?;
    }
    let txn = db.begin().await?;
    scope.own_days = !scope.days.agree_with(organisation_zone(&txn).await?);
    scope.visits_by_day = copies.visits_by_day;
    scope
        .scope_rollups(&txn, db.facts(), by, copies.rollups)
        .await?;
    Ok((txn, scope))
}

impl Scope<'_> {
    /// Fills the scoped copies of `rollups` for the deals the conditions let through (none
    /// when no condition is on the deal: the stored rollups serve). Run it inside the
    /// dashboard's transaction, before the figures.
    async fn scope_rollups(
        &mut self,
        db: &impl ConnectionTrait,
        memory: &FactsMemory,
        by: ScopedBy,
        rollups: &[Rollup],
    ) -> Result<(), AppError> {
        if !self.narrows_deals() && !self.own_days {
            return Ok(());
        }
        let filled = match by {
            // Visits under one day: few rows to write, whatever the condition.
            ScopedBy::Fastest if !self.visits_by_day => {
                self.rollups_from_memory(db, memory, rollups, false).await
            }
            ScopedBy::Fastest => {
                // One responsible's deals: their rows are stored summed.
                match self.owned().filter(|o| o.also_at_stages.is_empty()) {
                    Some(owned) => {
                        self.fill(db, rollups, |r| self.rollup_of_owner(r, &owned))
                            .await
                    }
                    None => self.rollups_from_memory(db, memory, rollups, true).await,
                }
            }
            ScopedBy::Memory => self.rollups_from_memory(db, memory, rollups, false).await,
            ScopedBy::Smaller => match self.owned() {
                Some(owned) => {
                    self.fill(db, rollups, |r| self.rollup_of_owner(r, &owned))
                        .await
                }
                None => self.rollups_in_sql(db, by, rollups).await,
            },
            ScopedBy::Passing | ScopedBy::Subtracting => self.rollups_in_sql(db, by, rollups).await,
        };
        filled?;
        self.scoped = true;
        Ok(())
    }

    /// Creates the scoped copy of each of `rollups` and fills it with the statement `sql`
    /// writes for it.
    async fn fill(
        &self,
        db: &impl ConnectionTrait,
        rollups: &[Rollup],
        sql: impl Fn(Rollup) -> super::sql::Sql,
    ) -> Result<(), AppError> {
        for rollup in rollups {
            db.execute_unprepared(&rollup.create_scoped()).await?;
            db.execute_raw(sql(*rollup).statement()).await?;
        }
        Ok(())
    }

    /// The copies summed in SQL over the facts of the deals let through, or as the stored
    /// rollup minus the facts of those left out (`Smaller`: whichever side has fewer deals).
    async fn rollups_in_sql(
        &self,
        db: &impl ConnectionTrait,
        by: ScopedBy,
        rollups: &[Rollup],
    ) -> Result<(), AppError> {
        let mut sql = self.sql();
        sql.push("SELECT SUM(CASE WHEN ");
        self.deal_condition(&mut sql);
        sql.push(" THEN 1 ELSE 0 END) AS passing, COUNT(*) AS total FROM deals d");
        let counts = DealCounts::find_by_statement(sql.statement())
            .one(db)
            .await?
            .unwrap_or(DealCounts {
                passing: None,
                total: 0,
            });
        let passing = counts.passing.unwrap_or_default();
        // Reading the facts of the deals left out and subtracting them from the stored
        // rollup costs about as much per deal as reading those let through.
        // The stored rollups count the organisation's days: another person's days are
        // summed from the facts.
        let subtract = !self.own_days
            && match by {
                ScopedBy::Subtracting => true,
                ScopedBy::Passing => false,
                _ => passing > counts.total - passing,
            };
        if subtract {
            self.fill(db, rollups, |r| self.rollup_minus_left_out(r))
                .await
        } else {
            self.fill(db, rollups, |r| self.rollup_of_passing(r)).await
        }
    }

    /// The copies summed in memory over the facts of the deals the conditions let through
    /// (read here, in the transaction, as one list of ids). With `fastest`, when nearly
    /// every deal passes, the stored rollup minus the few left out is cheaper in SQL.
    async fn rollups_from_memory(
        &self,
        db: &impl ConnectionTrait,
        memory: &FactsMemory,
        rollups: &[Rollup],
        fastest: bool,
    ) -> Result<(), AppError> {
        let deals = if self.narrows_deals() {
            let (deals, total) = self.deals_let_through(db).await?;
            if fastest && !self.own_days && deals.len() * 5 > total * 4 {
                return self
                    .fill(db, rollups, |r| self.rollup_minus_left_out(r))
                    .await;
            }
            Some(deals)
        } else {
            None
        };
        let selection = Selection {
            pipeline_id: self.pipeline.id.0,
            start: self.start.timestamp(),
            end: self.end.timestamp(),
            first_day: self.days().0,
            visits_by_day: self.visits_by_day,
            offsets: &self.days.offsets,
            deals: deals.as_ref(),
        };
        let summed = memory.sum(db, &selection, rollups).await?;
        for rollup in rollups {
            db.execute_unprepared(&rollup.create_scoped()).await?;
            for statement in summed.insert_statements(self.backend, *rollup) {
                match statement.values {
                    // Nothing bound: run as written, not prepared and cached.
                    None => db.execute_unprepared(&statement.sql).await?,
                    Some(_) => db.execute_raw(statement).await?,
                };
            }
        }
        Ok(())
    }

    /// The pipeline's deals the conditions let through, and how many deals it has: one
    /// row, the ids as text (one value to decode rather than a row per deal).
    async fn deals_let_through(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<(DealSet, usize), AppError> {
        let mut sql = self.sql();
        sql.push(match self.backend {
            sea_orm::DbBackend::Postgres => "SELECT string_agg(CASE WHEN ",
            _ => "SELECT group_concat(CASE WHEN ",
        });
        self.deal_condition(&mut sql);
        sql.push(match self.backend {
            sea_orm::DbBackend::Postgres => " THEN CAST(d.id AS TEXT) END, ',')",
            _ => " THEN d.id END)",
        });
        sql.push(", CAST(COUNT(*) AS BIGINT) FROM deals d WHERE d.pipeline_id = ")
            .bind(self.pipeline.id.0);
        let Some(row) = db.query_one_raw(sql.statement()).await? else {
            return Ok((DealSet::default(), 0));
        };
        let ids = row
            .try_get_by_index::<Option<String>>(0)?
            .unwrap_or_default();
        let total = usize::try_from(row.try_get_by_index::<i64>(1)?).unwrap_or_default();
        let mut deals = DealSet::default();
        for id in ids.split(',').filter(|id| !id.is_empty()) {
            deals.insert(id.parse().map_err(|_| AppError::Internal)?);
        }
        Ok((deals, total))
    }

    /// The one responsible whose deals the conditions let through, with the stages whose
    /// other deals they let through too; none when the conditions say more than that, or
    /// when the person's days are not the ones the rollups count.
    fn owned(&self) -> Option<Owned> {
        if self.own_days || self.amount_min.is_some() || self.amount_max.is_some() {
            return None;
        }
        let employee = self.filter.employee.map(|user| user.0);
        let only = |responsible: i32| Owned {
            responsible,
            also_at_stages: Vec::new(),
        };
        match self.actor.visible_deals(self.pipeline) {
            VisibleDeals::All => employee.map(only),
            VisibleDeals::Responsible { user_id } => employee
                .is_none_or(|e| e == user_id.0)
                .then(|| only(user_id.0)),
            VisibleDeals::StagesOrResponsible { stage_ids, user_id } => match employee {
                None => Some(Owned {
                    responsible: user_id.0,
                    also_at_stages: stage_ids.iter().map(|s| s.0).collect(),
                }),
                Some(e) if e == user_id.0 => Some(only(e)),
                // Someone else's deals at the person's stages: a few deals' facts.
                Some(_) => None,
            },
        }
    }

    /// The responsible's stored rows, plus the facts of the other deals at the stages.
    fn rollup_of_owner(&self, rollup: Rollup, owned: &Owned) -> super::sql::Sql {
        let others_at_stages = |sql: &mut super::sql::Sql| {
            self.facts_of(sql, rollup, |sql| {
                sql.in_list("d.stage_id", &owned.also_at_stages)
                    .push(" AND COALESCE(d.responsible_user_id, 0) <> ")
                    .bind(owned.responsible);
            });
        };
        self.stored_with_facts(
            rollup,
            rollup.owner_table(),
            |sql| {
                sql.push(" AND r.responsible_user_id = ")
                    .bind(owned.responsible);
            },
            (!owned.also_at_stages.is_empty()).then_some(("", &others_at_stages as _)),
        )
    }

    /// `INSERT INTO` the scoped copy the rows of the stored `table` in the period (`narrow`
    /// appends conditions on them) and the facts rows `facts` reads, each counted with
    /// `sign` ("" or "-"), summed by key. Keys summed to zero are dropped: the stored
    /// rollups have none, and the figures sum what is left.
    fn stored_with_facts(
        &self,
        rollup: Rollup,
        table: &str,
        narrow: impl FnOnce(&mut super::sql::Sql),
        facts: Option<SignedFacts<'_>>,
    ) -> super::sql::Sql {
        let mut sql = self.fill_scoped(rollup);
        let key = rollup.key().join(", ");
        let columns: Vec<&str> = rollup.sums().iter().map(|(column, _)| *column).collect();
        let sums: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect();
        sql.push(&format!("{key}, {} FROM (SELECT ", sums.join(", ")));
        self.key_of(&mut sql, rollup);
        sql.push(&format!(", {}", columns.join(", ")));
        self.period_of(&mut sql, rollup, table);
        narrow(&mut sql);
        if let Some((sign, read_facts)) = facts {
            let each: Vec<String> = rollup
                .sums()
                .iter()
                .map(|(column, one)| format!(", {sign}({one}) AS {column}"))
                .collect();
            sql.push(" UNION ALL SELECT ");
            self.key_of(&mut sql, rollup);
            sql.push(&each.concat());
            read_facts(&mut sql);
        }
        let first = columns.first().copied().unwrap_or("moves");
        sql.push(&format!(") parts GROUP BY {key} HAVING SUM({first}) <> 0"));
        sql
    }

    /// `INSERT INTO` the scoped copy `SELECT `.
    fn fill_scoped(&self, rollup: Rollup) -> super::sql::Sql {
        let mut sql = self.sql();
        sql.push(&format!("INSERT INTO {} SELECT ", rollup.scoped_table()));
        sql
    }

    /// The key columns of a row `r` of the rollup or of the facts, named as the rollup's.
    /// The copy serves one period, so the day of a deal's previous entry only needs to say
    /// whether it fell before the period: fewer, larger groups, summed faster.
    fn key_of(&self, sql: &mut super::sql::Sql, rollup: Rollup) {
        for (i, column) in rollup.key().iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let (first, _) = self.days();
            match *column {
                "prev_entry_day" if self.own_days => {
                    sql.push("CASE WHEN r.prev_entry_at IS NULL OR r.prev_entry_at < ")
                        .bind(self.start.timestamp())
                        .push(" THEN -1 ELSE ")
                        .bind(first)
                        .push(" END AS prev_entry_day");
                }
                "prev_entry_day" => {
                    sql.push("CASE WHEN r.prev_entry_day < ")
                        .bind(first)
                        .push(" THEN -1 ELSE ")
                        .bind(first)
                        .push(" END AS prev_entry_day");
                }
                "day" | "created_day" => {
                    sql.push(&format!("{} AS {column}", self.facts_day(column)));
                }
                _ => {
                    sql.push(&format!("r.{column}"));
                }
            }
        }
    }

    /// `GROUP BY` the key, by position.
    fn group_by_key(sql: &mut super::sql::Sql, rollup: Rollup) {
        let positions: Vec<String> = (1..=rollup.key().len()).map(|i| i.to_string()).collect();
        sql.push(&format!(" GROUP BY {}", positions.join(", ")));
    }

    /// The rollup summed over the facts of the deals the conditions let through.
    fn rollup_of_passing(&self, rollup: Rollup) -> super::sql::Sql {
        let mut sql = self.fill_scoped(rollup);
        self.key_of(&mut sql, rollup);
        let sums: Vec<String> = rollup
            .sums()
            .iter()
            .map(|(column, one)| format!(", CAST(SUM({one}) AS BIGINT) AS {column}"))
            .collect();
        sql.push(&sums.concat());
        self.facts_of_deals(&mut sql, rollup, true);
        Self::group_by_key(&mut sql, rollup);
        sql
    }

    /// The stored rollup minus the facts of the deals the conditions leave out.
    fn rollup_minus_left_out(&self, rollup: Rollup) -> super::sql::Sql {
        let left_out = |sql: &mut super::sql::Sql| self.facts_of_deals(sql, rollup, false);
        self.stored_with_facts(rollup, rollup.table(), |_| {}, Some(("-", &left_out)))
    }

    /// ` FROM {table} r WHERE` the pipeline and the rollup's period.
    pub(super) fn period_of(&self, sql: &mut super::sql::Sql, rollup: Rollup, table: &str) {
        sql.push(&format!(" FROM {table} r WHERE "));
        self.in_period(sql, rollup);
    }

    /// `r.pipeline_id = ? AND` the rollup's day column within the period.
    fn in_period(&self, sql: &mut super::sql::Sql, rollup: Rollup) {
        let (first, last) = self.days();
        sql.push("r.pipeline_id = ")
            .bind(self.pipeline.id.0)
            .push(&format!(" AND r.{} >= ", rollup.day()))
            .bind(first)
            .push(&format!(" AND r.{} <= ", rollup.day()))
            .bind(last);
    }

    /// ` FROM deals d JOIN transition_facts r ... WHERE` the facts the rollup counts, in the
    /// pipeline and the period, of the deals the conditions let through (`passing`) or
    /// leave out. The deals lead: their facts are clustered by deal.
    pub(super) fn facts_of_deals(&self, sql: &mut super::sql::Sql, rollup: Rollup, passing: bool) {
        self.facts_of(sql, rollup, |sql| {
            if passing {
                self.deal_condition(sql);
            } else {
                // A condition that is unknown (an amount that is not set) lets the deal out.
                sql.push("NOT COALESCE(");
                self.deal_condition(sql);
                sql.push(", FALSE)");
            }
        });
    }

    /// ` FROM deals d JOIN transition_facts r ... WHERE` the facts the rollup counts, in the
    /// pipeline and the period, of the deals `deals` (a condition on `d`) selects.
    fn facts_of(
        &self,
        sql: &mut super::sql::Sql,
        rollup: Rollup,
        deals: impl FnOnce(&mut super::sql::Sql),
    ) {
        let join = match self.backend {
            // SQLite keeps the written join order with CROSS JOIN.
            sea_orm::DbBackend::Sqlite => " CROSS JOIN ",
            _ => " JOIN ",
        };
        sql.push(&format!(
            " FROM deals d{join}transition_facts r ON r.deal_id = d.id WHERE "
        ));
        deals(sql);
        sql.push(" AND ");
        if self.own_days {
            // The period's instants in the person's zone.
            let at = match rollup.day() {
                "created_day" => "r.created_at",
                _ => "r.at",
            };
            sql.push("r.pipeline_id = ")
                .bind(self.pipeline.id.0)
                .push(&format!(" AND {at} >= "))
                .bind(self.start.timestamp())
                .push(&format!(" AND {at} < "))
                .bind(self.end.timestamp());
        } else {
            self.in_period(sql, rollup);
        }
        sql.push(&format!(" AND {}", rollup.counts()));
    }

    /// A facts row's `day` or `created_day` in the person's days: as stored, or from its
    /// instant when the person's days are not the organisation's.
    pub(super) fn facts_day(&self, column: &str) -> String {
        match (self.own_days, column) {
            (true, "created_day") => self.local_day("r.created_at"),
            (true, _) => self.local_day("r.at"),
            (false, _) => format!("r.{column}"),
        }
    }
}
