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

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
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
/// The first load reads the deals' facts this many deals at a time.
const LOAD_DEALS: i64 = 5_000;
/// No instant, no duration.
const NONE: i64 = i64::MIN;

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
/// the reader's clock, and the deals let through (`None`: all).
pub(super) struct Selection<'a> {
    pub(super) pipeline_id: i32,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) first_day: i64,
    pub(super) offsets: &'a Offsets,
    pub(super) deals: Option<&'a DealSet>,
}

/// Deal ids as a bit set.
#[derive(Debug, Default)]
pub(super) struct DealSet(Vec<u64>);

impl DealSet {
    pub(super) fn insert(&mut self, id: i64) {
        let Ok(id) = usize::try_from(id) else { return };
        let word = id / 64;
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (id % 64);
    }

    fn contains(&self, id: i32) -> bool {
        usize::try_from(id).is_ok_and(|id| {
            self.0
                .get(id / 64)
                .is_some_and(|word| word & (1 << (id % 64)) != 0)
        })
    }
}

/// A rollup's rows summed in memory: key columns and sums, in the rollup's column order
/// (`Rollup::key` then `Rollup::sums`); the reason of a return is apart (text).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Summed {
    pub(super) rows: HashMap<Vec<i64>, Vec<i64>>,
    pub(super) reasons: Vec<String>,
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
        // read are held at once.
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
    ) -> Result<Vec<(Rollup, Summed)>, AppError> {
        let mut guard = self.0.write().await;
        let facts = guard.get_or_insert_with(Facts::default);
        facts.read_new(db).await?;
        let facts = guard.downgrade();
        let facts = facts.as_ref().ok_or(AppError::Internal)?;
        Ok(rollups
            .iter()
            .map(|rollup| (*rollup, facts.sum(selection, *rollup)))
            .collect())
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

    /// `rollup` summed over the facts `selection` lets through, keyed as `Rollup::key`
    /// (the pipeline first; the previous entry's day only says whether it fell before the
    /// period, as `Scope::key_of` writes it).
    fn sum(&self, selection: &Selection<'_>, rollup: Rollup) -> Summed {
        let mut summed = Summed {
            rows: HashMap::new(),
            reasons: self.reasons.clone(),
        };
        let pipeline = i64::from(selection.pipeline_id);
        let in_period = |at: i64| at >= selection.start && at < selection.end;
        let day = |at: i64| selection.offsets.local_day(at);
        for fact in &self.rows {
            if fact.pipeline_id != selection.pipeline_id
                || selection
                    .deals
                    .is_some_and(|deals| !deals.contains(fact.deal_id))
            {
                continue;
            }
            let (key, sums): (Vec<i64>, [i64; 3]) = match rollup {
                Rollup::TransitionDays if in_period(fact.at) => {
                    let before = fact.prev_entry_at == NONE || fact.prev_entry_at < selection.start;
                    (
                        vec![
                            pipeline,
                            day(fact.at),
                            fact.from_stage_id.into(),
                            fact.to_stage_id.into(),
                            fact.from_department_id.into(),
                            fact.to_department_id.into(),
                            fact.actor_user_id.into(),
                            if before { -1 } else { selection.first_day },
                            fact.worker_user_id.into(),
                        ],
                        [1, fact.is_return.into(), fact.breach.into()],
                    )
                }
                Rollup::VisitBins if in_period(fact.at) && fact.seconds != NONE => (
                    vec![
                        pipeline,
                        day(fact.at),
                        fact.from_stage_id.into(),
                        fact.from_department_id.into(),
                        fact.actor_user_id.into(),
                        fact.bin.into(),
                    ],
                    [1, fact.seconds, 0],
                ),
                Rollup::CohortDays if in_period(fact.created_at) && fact.prev_entry_at == NONE => (
                    vec![pipeline, day(fact.created_at), fact.to_stage_id.into()],
                    [1, 0, 0],
                ),
                Rollup::ReturnReasonDays if in_period(fact.at) && fact.reason != 0 => (
                    vec![
                        pipeline,
                        day(fact.at),
                        fact.from_department_id.into(),
                        i64::from(fact.reason) - 1,
                    ],
                    [1, 0, 0],
                ),
                _ => continue,
            };
            let width = rollup.sums_len();
            let entry = summed.rows.entry(key).or_insert_with(|| vec![0; width]);
            for (total, add) in entry.iter_mut().zip(sums) {
                *total += add;
            }
        }
        summed
    }
}

/// The statements that write `summed` into the rollup's scoped copy, a chunk of rows each
/// (integers written in, reasons bound).
pub(super) fn insert_statements(
    backend: DbBackend,
    rollup: Rollup,
    summed: &Summed,
) -> Vec<Statement> {
    const ROWS: usize = 500;
    let rows: Vec<(&Vec<i64>, &Vec<i64>)> = summed.rows.iter().collect();
    rows.chunks(ROWS)
        .map(|chunk| {
            let mut sql = super::sql::Sql::new(backend);
            sql.push(&format!("INSERT INTO {} VALUES ", rollup.scoped_table()));
            for (i, (key, sums)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, value) in key.iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    if rollup == Rollup::ReturnReasonDays && j == 3 {
                        let reason = usize::try_from(*value)
                            .ok()
                            .and_then(|i| summed.reasons.get(i))
                            .cloned()
                            .unwrap_or_default();
                        sql.bind(reason);
                    } else {
                        sql.push(&value.to_string());
                    }
                }
                for value in sums.iter() {
                    sql.push(&format!(", {value}"));
                }
                sql.push(")");
            }
            sql.statement()
        })
        .collect()
}
