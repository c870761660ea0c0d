//! The ledger's facts held in memory, for the dashboards' scoped copies.
//!
//! A condition on the deal (an employee's or a restricted user's visibility, a filter on
//! the responsible or the amount) or a person whose days are not the organisation's
//! needs the rollups summed again over some deals' facts. In SQL that is a pass over
//! hundreds of thousands of `transition_facts` rows per rollup and request; here it is one
//! pass over a compact array, and only the summed rows (a few thousand) go to the
//! request's temporary tables, where every figure reads them as before.
//!
//! The facts are immutable once written (the ledger is append-only, and a deal never
//! changes pipeline), so the memory only grows: it is loaded once, from the readers, and
//! each dashboard reads the rows added since, by ledger id, inside its own transaction.
//! On PostgreSQL ids are taken before their transactions commit, so an id skipped over is
//! asked for again until it appears or `PENDING_FOR` passes (a rolled-back move).
//! Days are computed from the facts' instants in the reader's zone, so a change of the
//! organisation's zone, which rewrites the stored days, changes nothing here.

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, QueryResult, Statement,
    TransactionTrait,
};
use tokio::sync::RwLock;

use super::rollup::Rollup;
use super::zone::Offsets;
use crate::error::AppError;

/// How long an id skipped by the rows read is asked for again.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// At most this many skipped ids are remembered (the oldest go first).
const PENDING_MAX: usize = 10_000;
/// At the first load, ids skipped this close below the highest are asked for again.
const PENDING_WINDOW: i64 = 10_000;
/// The first load reads the deals' facts this many deals at a time: SQLite's copies of a
/// read's values are freed into the C allocator's arena of the connection's thread, which
/// keeps them (5,000 deals a read kept 430 MB over eight readers at a million moves; 100
/// keep about 60 MB beside the facts' 80 MB).
const LOAD_DEALS: i64 = 100;
/// No instant, no duration.
const NONE: i64 = i64::MIN;

/// What a dashboard needs of the database handle: its connections, and the ledger's facts
/// held in memory beside them (`db::Db` has both).
pub trait FactsSource:
    ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> + Sync
{
    fn facts(&self) -> &FactsMemory;
    /// The readers, for long reads outside a transaction.
    fn readers(&self) -> &DatabaseConnection;
}

/// The facts of the whole ledger, loaded on first use; cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct FactsMemory(Arc<RwLock<Option<Facts>>>);

#[derive(Debug, Default)]
struct Facts {
    rows: Vec<Fact>,
    /// Return reasons, each stored once; a fact's `reason` is its index plus one.
    reasons: Vec<String>,
    reason_ids: HashMap<String, u32>,
    /// The highest ledger id read, and the ids below it not read yet with when they were
    /// first missed.
    max_id: i64,
    pending: BTreeMap<i64, Instant>,
}

/// One `transition_facts` row, without the days (see the module's note).
#[derive(Clone, Copy, Debug)]
struct Fact {
    at: i64,
    prev_entry_at: i64,
    created_at: i64,
    seconds: i64,
    deal_id: i32,
    pipeline_id: i32,
    from_stage_id: i32,
    to_stage_id: i32,
    from_department_id: i32,
    to_department_id: i32,
    actor_user_id: i32,
    worker_user_id: i32,
    bin: i32,
    reason: u32,
    is_return: bool,
    breach: bool,
}

const COLUMNS: &str = "CAST(f.id AS BIGINT), CAST(f.deal_id AS BIGINT), \
    CAST(f.pipeline_id AS BIGINT), CAST(f.from_stage_id AS BIGINT), \
    CAST(f.to_stage_id AS BIGINT), CAST(f.from_department_id AS BIGINT), \
    CAST(f.to_department_id AS BIGINT), CAST(f.actor_user_id AS BIGINT), \
    CAST(f.worker_user_id AS BIGINT), CAST(f.is_return AS BIGINT), CAST(f.breach AS BIGINT), \
    CAST(f.seconds AS BIGINT), CAST(f.bin AS BIGINT), f.reason, CAST(f.at AS BIGINT), \
    CAST(f.prev_entry_at AS BIGINT), CAST(f.created_at AS BIGINT)";

/// What one dashboard's copies count: the pipeline, the period's instants and first day,
/// whether visits keep their day, the reader's clock, and the deals let through (`None`:
/// all).
pub(super) struct Selection<'a> {
    pub(super) pipeline_id: i32,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) first_day: i64,
    /// Whether visits keep their day, or all count under `first_day`.
    pub(super) visits_by_day: bool,
    pub(super) offsets: &'a Offsets,
    pub(super) deals: Option<&'a DealSet>,
}

/// Deal ids as a bit set.
#[derive(Debug, Default)]
pub(super) struct DealSet {
    words: Vec<u64>,
    len: usize,
}

impl DealSet {
    pub(super) fn insert(&mut self, id: i64) {
        let Ok(id) = usize::try_from(id) else { return };
        let word = id / 64;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let bit = 1 << (id % 64);
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.len += 1;
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn contains(&self, id: i32) -> bool {
        usize::try_from(id).is_ok_and(|id| {
            self.words
                .get(id / 64)
                .is_some_and(|word| word & (1 << (id % 64)) != 0)
        })
    }
}

/// The rollups summed in memory, keyed as `Rollup::key` with the sums of `Rollup::sums`;
/// a return's reason is its index in `reasons`.
#[derive(Debug, Default)]
pub(super) struct Summed {
    transition_days: FxHashMap<[i64; 9], [i64; 3]>,
    visit_bins: FxHashMap<[i64; 6], [i64; 2]>,
    cohort_days: FxHashMap<[i64; 3], [i64; 1]>,
    return_reason_days: FxHashMap<[i64; 4], [i64; 1]>,
    reasons: Vec<String>,
}

impl Summed {
    /// The statements that write the rollup's rows into its scoped copy. SQLite takes
    /// rows written in (`VALUES`, numbers and quoted reasons, a few thousand rows a
    /// statement: one parse each); PostgreSQL parses long `VALUES` lists slowly (tens of
    /// milliseconds per thousand rows) and takes each column as one bound array instead.
    pub(super) fn insert_statements(&self, backend: DbBackend, rollup: Rollup) -> Vec<Statement> {
        let reason = |index: i64| {
            usize::try_from(index)
                .ok()
                .and_then(|i| self.reasons.get(i))
                .map_or("", String::as_str)
        };
        let text_column = (rollup == Rollup::ReturnReasonDays).then_some(3);
        match rollup {
            Rollup::TransitionDays => {
                rows_into(backend, rollup, &self.transition_days, text_column, reason)
            }
            Rollup::VisitBins => rows_into(backend, rollup, &self.visit_bins, text_column, reason),
            Rollup::CohortDays => {
                rows_into(backend, rollup, &self.cohort_days, text_column, reason)
            }
            Rollup::ReturnReasonDays => rows_into(
                backend,
                rollup,
                &self.return_reason_days,
                text_column,
                reason,
            ),
        }
    }
}

/// `INSERT INTO` the scoped copy the `rows` (key, then sums); the column `text_column`
/// holds an index that `text` turns into the text stored.
fn rows_into<'a, const K: usize, const S: usize>(
    backend: DbBackend,
    rollup: Rollup,
    rows: &FxHashMap<[i64; K], [i64; S]>,
    text_column: Option<usize>,
    text: impl Fn(i64) -> &'a str,
) -> Vec<Statement> {
    use std::fmt::Write;
    const ROWS: usize = 5_000;
    let table = rollup.scoped_table();
    if rows.is_empty() {
        return Vec::new();
    }
    if backend == DbBackend::Postgres {
        let mut columns = vec![String::from("{"); K + S];
        for (key, sums) in rows {
            for (j, value) in key.iter().chain(sums.iter()).enumerate() {
                let column = &mut columns[j];
                if column.len() > 1 {
                    column.push(',');
                }
                if text_column == Some(j) {
                    let quoted = text(*value).replace('\\', "\\\\").replace('"', "\\\"");
                    let _ = write!(column, "\"{quoted}\"");
                } else {
                    let _ = write!(column, "{value}");
                }
            }
        }
        let arrays: Vec<String> = (1..=K + S)
            .map(|j| {
                let ty = if text_column == Some(j - 1) {
                    "TEXT"
                } else {
                    "BIGINT"
                };
                format!("CAST(${j} AS {ty}[])")
            })
            .collect();
        let values: Vec<sea_orm::Value> = columns
            .into_iter()
            .map(|mut column| {
                column.push('}');
                column.into()
            })
            .collect();
        return vec![Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO {table} SELECT * FROM unnest({})",
                arrays.join(", ")
            ),
            values,
        )];
    }
    let rows: Vec<(&[i64; K], &[i64; S])> = rows.iter().collect();
    rows.chunks(ROWS)
        .map(|chunk| {
            let mut sql = format!("INSERT INTO {table} VALUES ");
            for (i, (key, sums)) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for (j, value) in key.iter().chain(sums.iter()).enumerate() {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    if text_column == Some(j) {
                        let _ = write!(sql, "'{}'", text(*value).replace('\'', "''"));
                    } else {
                        let _ = write!(sql, "{value}");
                    }
                }
                sql.push(')');
            }
            Statement::from_string(backend, sql)
        })
        .collect()
}

impl FactsMemory {
    /// Loads every facts row once, from `readers` (outside any transaction: on SQLite the
    /// dashboard's transaction holds the one writer, which moves wait for).
    pub async fn ensure_loaded(&self, readers: &DatabaseConnection) -> Result<(), AppError> {
        if self.0.read().await.is_some() {
            return Ok(());
        }
        let mut facts = self.0.write().await;
        if facts.is_some() {
            return Ok(());
        }
        let started = Instant::now();
        let mut loaded = Facts::default();
        let mut ids = Vec::new();
        let backend = readers.get_database_backend();
        let last_deal = readers
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT CAST(MAX(deal_id) AS BIGINT) FROM transition_facts",
            ))
            .await?
            .map(|row| row.try_get_by_index::<Option<i64>>(0))
            .transpose()?
            .flatten()
            .unwrap_or_default();
        // A range of deals at a time (the facts are clustered by deal): the rows of one
        // read are held at once. A move committed meanwhile into a range already read has
        // an id below the highest read: the window of pending ids below catches it.
        for first in (0..=last_deal).step_by(LOAD_DEALS as usize) {
            let rows = readers
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT {COLUMNS} FROM transition_facts f WHERE f.deal_id >= {first} \
                         AND f.deal_id < {}",
                        first + LOAD_DEALS
                    ),
                ))
                .await?;
            for row in rows {
                ids.push(loaded.add(&row)?);
            }
        }
        ids.sort_unstable();
        loaded.max_id = ids.last().copied().unwrap_or_default();
        let now = Instant::now();
        let mut expected = loaded.max_id - PENDING_WINDOW;
        for id in ids
            .iter()
            .filter(|id| **id > loaded.max_id - PENDING_WINDOW)
        {
            for missing in (expected + 1).max(1)..*id {
                loaded.pending.insert(missing, now);
            }
            expected = *id;
        }
        loaded.rows.shrink_to_fit();
        tracing::info!(
            rows = loaded.rows.len(),
            ms = started.elapsed().as_millis() as u64,
            "analytics facts loaded into memory"
        );
        *facts = Some(loaded);
        Ok(())
    }

    /// Reads the facts added since the last read (inside the dashboard's transaction) and
    /// sums `rollups` over `selection`.
    pub(super) async fn sum(
        &self,
        db: &impl ConnectionTrait,
        selection: &Selection<'_>,
        rollups: &[Rollup],
    ) -> Result<Summed, AppError> {
        let mut guard = self.0.write().await;
        let facts = guard.get_or_insert_with(Facts::default);
        facts.read_new(db).await?;
        let facts = guard.downgrade();
        let facts = facts.as_ref().ok_or(AppError::Internal)?;
        Ok(facts.sum(selection, rollups))
    }
}

impl Facts {
    /// Adds one row read with `COLUMNS`; returns its ledger id.
    fn add(&mut self, row: &QueryResult) -> Result<i64, AppError> {
        let int = |i: usize| -> Result<i64, AppError> { Ok(row.try_get_by_index::<i64>(i)?) };
        let opt = |i: usize| -> Result<i64, AppError> {
            Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(NONE))
        };
        let small = |i: usize| -> Result<i32, AppError> {
            i32::try_from(int(i)?).map_err(|_| AppError::Internal)
        };
        let reason = match row.try_get_by_index::<Option<String>>(13)? {
            None => 0,
            Some(text) => match self.reason_ids.get(&text) {
                Some(id) => *id,
                None => {
                    self.reasons.push(text.clone());
                    let id = u32::try_from(self.reasons.len()).map_err(|_| AppError::Internal)?;
                    self.reason_ids.insert(text, id);
                    id
                }
            },
        };
        self.rows.push(Fact {
            deal_id: small(1)?,
            pipeline_id: small(2)?,
            from_stage_id: small(3)?,
            to_stage_id: small(4)?,
            from_department_id: small(5)?,
            to_department_id: small(6)?,
            actor_user_id: small(7)?,
            worker_user_id: small(8)?,
            is_return: int(9)? != 0,
            breach: int(10)? != 0,
            seconds: opt(11)?,
            bin: i32::try_from(opt(12)?).unwrap_or(0),
            reason,
            at: int(14)?,
            prev_entry_at: opt(15)?,
            created_at: int(16)?,
        });
        int(0)
    }

    /// The rows the ledger gained since the last read, and those skipped then.
    async fn read_new(&mut self, db: &impl ConnectionTrait) -> Result<(), AppError> {
        let backend = db.get_database_backend();
        let now = Instant::now();
        self.pending
            .retain(|_, missed| now.duration_since(*missed) < PENDING_FOR);
        while self.pending.len() > PENDING_MAX {
            self.pending.pop_first();
        }
        let from = format!(
            "SELECT {COLUMNS} FROM transitions t JOIN transition_facts f \
             ON f.deal_id = t.deal_id AND f.id = t.id WHERE "
        );
        let mut statements = vec![format!("{from}t.id > {}", self.max_id)];
        let pending: Vec<String> = self.pending.keys().map(i64::to_string).collect();
        for chunk in pending.chunks(500) {
            statements.push(format!("{from}t.id IN ({})", chunk.join(", ")));
        }
        let mut ids = Vec::new();
        for sql in statements {
            for row in db
                .query_all_raw(Statement::from_string(backend, sql))
                .await?
            {
                ids.push(self.add(&row)?);
            }
        }
        ids.sort_unstable();
        let mut expected = self.max_id;
        for id in ids {
            if self.pending.remove(&id).is_none() {
                for missing in expected + 1..id {
                    self.pending.insert(missing, now);
                }
                expected = expected.max(id);
            }
        }
        self.max_id = expected;
        Ok(())
    }

    /// `rollups` summed over the facts `selection` lets through, in one pass, keyed as
    /// `Rollup::key` (the pipeline first; the previous entry's day only says whether it
    /// fell before the period, as `Scope::key_of` writes it).
    fn sum(&self, selection: &Selection<'_>, rollups: &[Rollup]) -> Summed {
        let mut summed = Summed {
            reasons: self.reasons.clone(),
            ..Summed::default()
        };
        let wants = |rollup| rollups.contains(&rollup);
        let (transitions, visits, cohorts, reasons) = (
            wants(Rollup::TransitionDays),
            wants(Rollup::VisitBins),
            wants(Rollup::CohortDays),
            wants(Rollup::ReturnReasonDays),
        );
        let pipeline = i64::from(selection.pipeline_id);
        let in_period = |at: i64| at >= selection.start && at < selection.end;
        for fact in &self.rows {
            if fact.pipeline_id != selection.pipeline_id
                || selection
                    .deals
                    .is_some_and(|deals| !deals.contains(fact.deal_id))
            {
                continue;
            }
            if cohorts && fact.prev_entry_at == NONE && in_period(fact.created_at) {
                let day = selection.offsets.local_day(fact.created_at);
                summed
                    .cohort_days
                    .entry([pipeline, day, fact.to_stage_id.into()])
                    .or_default()[0] += 1;
            }
            if !in_period(fact.at) {
                continue;
            }
            let day = selection.offsets.local_day(fact.at);
            if transitions {
                let before = fact.prev_entry_at == NONE || fact.prev_entry_at < selection.start;
                let sums = summed
                    .transition_days
                    .entry([
                        pipeline,
                        day,
                        fact.from_stage_id.into(),
                        fact.to_stage_id.into(),
                        fact.from_department_id.into(),
                        fact.to_department_id.into(),
                        fact.actor_user_id.into(),
                        if before { -1 } else { selection.first_day },
                        fact.worker_user_id.into(),
                    ])
                    .or_default();
                sums[0] += 1;
                sums[1] += i64::from(fact.is_return);
                sums[2] += i64::from(fact.breach);
            }
            if visits && fact.seconds != NONE {
                let sums = summed
                    .visit_bins
                    .entry([
                        pipeline,
                        if selection.visits_by_day {
                            day
                        } else {
                            selection.first_day
                        },
                        fact.from_stage_id.into(),
                        fact.from_department_id.into(),
                        fact.actor_user_id.into(),
                        fact.bin.into(),
                    ])
                    .or_default();
                sums[0] += 1;
                sums[1] += fact.seconds;
            }
            if reasons && fact.reason != 0 {
                summed
                    .return_reason_days
                    .entry([
                        pipeline,
                        day,
                        fact.from_department_id.into(),
                        i64::from(fact.reason) - 1,
                    ])
                    .or_default()[0] += 1;
            }
        }
        summed
    }
}
