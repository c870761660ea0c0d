//! The filter resolved once (pipeline, period, deal conditions) and the SQL of the two
//! sources a figure reads: the daily rollups, or the ledger joined with the deals.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult};

use super::rollup::Rollup;
use super::sql::Sql;
use super::zone::{LocalDays, epoch_sql, zone_of};
use crate::access::{Actor, DealScope, VisibleDeals};
use crate::analytics::rules::epoch_day;
use crate::analytics::{AnalyticsFilter, DEFAULT_PERIOD_DAYS, Granularity};
use crate::deal::{Money, to_minor};
use crate::department::DepartmentId;
use crate::error::{AppError, Field, Rule};
use crate::pipeline::service::{list_pipelines, load_pipeline};
use crate::pipeline::{PipelineView, StageKind, StageView};
use crate::time_zone::Zone;
use crate::user::UserId;

/// The filter with the pipeline and the period filled in, the pipeline it names, and the
/// zone whose days the period counts (the person's).
pub(super) struct Resolved {
    pub(super) pipeline: PipelineView,
    pub(super) filter: AnalyticsFilter,
    pub(super) today: NaiveDate,
    pub(super) zone: Zone,
}

pub(super) async fn resolve(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<Resolved, AppError> {
    let zone = zone_of(db, actor).await?;
    let today = zone.local(now).date();
    let to = filter.to.unwrap_or(today);
    let from = match filter.from {
        Some(from) => from,
        None => to
            .checked_sub_days(chrono::Days::new(u64::from(DEFAULT_PERIOD_DAYS - 1)))
            .ok_or(AppError::validation(Field::Period, Rule::PeriodReversed))?,
    };
    crate::analytics::rules::check_period(from, to, filter.granularity)?;
    let pipeline_id = match filter.pipeline {
        Some(id) => id,
        None => list_pipelines(db)
            .await?
            .first()
            .map(|(id, _)| *id)
            .ok_or(AppError::NotFound {
                entity: crate::error::Entity::Pipeline,
            })?,
    };
    Ok(Resolved {
        pipeline: load_pipeline(db, pipeline_id).await?,
        filter: AnalyticsFilter {
            pipeline: Some(pipeline_id),
            from: Some(from),
            to: Some(to),
            ..filter.clone()
        },
        today,
        zone,
    })
}

pub(super) async fn department_names(
    db: &impl ConnectionTrait,
) -> Result<HashMap<DepartmentId, String>, AppError> {
    Ok(crate::department::service::list_departments(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// Everyone who ever acted, deactivated people included: history keeps their names.
pub(super) async fn people_names(
    db: &impl ConnectionTrait,
) -> Result<HashMap<UserId, String>, AppError> {
    Ok(crate::user::entity::users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (UserId(u.id), u.name))
        .collect())
}

pub(super) fn department_key(key: Option<i64>) -> Option<DepartmentId> {
    key.and_then(|id| i32::try_from(id).ok()).map(DepartmentId)
}

pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// The filter, resolved once: the period bounds and the deal-level conditions.
pub(super) struct Scope<'a> {
    pub(super) backend: DbBackend,
    pub(super) actor: &'a Actor,
    pub(super) pipeline: &'a PipelineView,
    pub(super) filter: &'a AnalyticsFilter,
    /// The period's days in the person's zone; `start..end` its instants (the digest sets
    /// its own).
    pub(super) days: LocalDays,
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    pub(super) now: DateTime<Utc>,
    pub(super) amount_min: Option<i64>,
    pub(super) amount_max: Option<i64>,
    /// Durations are read exactly from the ledger up to this many visits, from the
    /// duration bins above it.
    pub(super) exact_visits: u64,
    /// Whether the figures read the rollups' copies for the deals the conditions let
    /// through (`rollup::scope_rollups`) rather than the stored rollups.
    pub(super) scoped: bool,
    /// Whether the person's days are not the organisation's, which the stored rollups
    /// count: the copies are then summed from the facts' instants in the person's days.
    pub(super) own_days: bool,
    /// Whether the figures split the visits by day (`rollup::open_dashboard`).
    pub(super) visits_by_day: bool,
}

/// Up to this many visits in a period, percentiles are exact (a sort over the ledger's
/// rows, tens of milliseconds); above it they come from the rollup's duration bins.
pub const EXACT_VISITS: u64 = 20_000;

tokio::task_local! {
    /// Overrides `EXACT_VISITS` within a task: tests read a small ledger through the bins.
    pub static EXACT_VISITS_LIMIT: u64;
}

impl<'a> Scope<'a> {
    pub(super) fn new(
        backend: DbBackend,
        actor: &'a Actor,
        pipeline: &'a PipelineView,
        filter: &'a AnalyticsFilter,
        zone: Zone,
        now: DateTime<Utc>,
    ) -> Result<Scope<'a>, AppError> {
        let (first, last) = (
            filter.from.unwrap_or_default(),
            filter.to.unwrap_or_default(),
        );
        if last.succ_opt().is_none() {
            return Err(AppError::validation(Field::Period, Rule::PeriodReversed));
        }
        let days = LocalDays::new(zone, first, last);
        let minor = |amount| {
            to_minor(&Money {
                amount,
                currency: String::new(),
            })
        };
        Ok(Scope {
            backend,
            actor,
            pipeline,
            filter,
            start: days.start,
            end: days.end,
            days,
            now,
            amount_min: filter.amount_min.map(minor).transpose()?,
            amount_max: filter.amount_max.map(minor).transpose()?,
            exact_visits: EXACT_VISITS_LIMIT
                .try_with(|limit| *limit)
                .unwrap_or(EXACT_VISITS),
            scoped: false,
            own_days: false,
            visits_by_day: true,
        })
    }

    /// `FROM` the rollup (its copy for the deals the conditions let through, once filled)
    /// `r WHERE` the pipeline and the period's days; callers append ` AND ...`.
    pub(super) fn rollup(&self, sql: &mut Sql, rollup: Rollup) {
        let table = if self.scoped {
            rollup.scoped_table()
        } else {
            rollup.table()
        };
        self.period_of(sql, rollup, table);
    }

    /// The period's first and last day, as days since 1970-01-01.
    pub(super) fn days(&self) -> (i64, i64) {
        let day = |d: Option<NaiveDate>| d.map(epoch_day).unwrap_or_default();
        (day(self.filter.from), day(self.filter.to))
    }

    /// The department filter on a rollup's `from` or `to` side.
    pub(super) fn rollup_department(&self, sql: &mut Sql, side: &str) {
        if let Some(department) = self.filter.department {
            sql.push(&format!(" AND r.{side}_department_id = "))
                .bind(department.0);
        }
    }

    pub(super) fn sql(&self) -> Sql {
        Sql::new(self.backend)
    }

    /// Whether any condition is on the deal (visibility short of all, responsible, amount).
    pub(super) fn narrows_deals(&self) -> bool {
        self.actor.deal_scope() != DealScope::All
            || self.filter.employee.is_some()
            || self.amount_min.is_some()
            || self.amount_max.is_some()
    }

    /// Conditions on the `deals` row aliased `d`: visibility, responsible, amount. Starts
    /// with ` AND` when not empty.
    pub(super) fn deal_conditions(&self, sql: &mut Sql) {
        if self.narrows_deals() {
            sql.push(" AND ");
            self.deal_condition(sql);
        }
    }

    /// The conditions on the `deals` row aliased `d` as one expression (`1 = 1` for none).
    pub(super) fn deal_condition(&self, sql: &mut Sql) {
        sql.push("(1 = 1");
        // The one visibility rule (`access`), resolved against this pipeline's stages.
        match self.actor.visible_deals(self.pipeline) {
            VisibleDeals::All => {}
            VisibleDeals::StagesOrResponsible { stage_ids, user_id } => {
                let mine: Vec<i32> = stage_ids.iter().map(|s| s.0).collect();
                sql.push(" AND (").in_list("d.stage_id", &mine);
                sql.push(" OR d.responsible_user_id = ")
                    .bind(user_id.0)
                    .push(")");
            }
            VisibleDeals::Responsible { user_id } => {
                sql.push(" AND d.responsible_user_id = ").bind(user_id.0);
            }
        }
        if let Some(employee) = self.filter.employee {
            sql.push(" AND d.responsible_user_id = ").bind(employee.0);
        }
        if let Some(min) = self.amount_min {
            sql.push(" AND d.amount_minor >= ").bind(min);
        }
        if let Some(max) = self.amount_max {
            sql.push(" AND d.amount_minor <= ").bind(max);
        }
        sql.push(")");
    }

    /// `FROM transitions t JOIN deals d ... WHERE` the pipeline, the period and the deal
    /// conditions; callers append their own conditions with ` AND ...`.
    pub(super) fn ledger(&self, sql: &mut Sql) {
        // The join costs a lookup per ledger row; only deal-level conditions need it.
        sql.push(if self.narrows_deals() {
            " FROM transitions t JOIN deals d ON d.id = t.deal_id WHERE t.pipeline_id = "
        } else {
            " FROM transitions t WHERE t.pipeline_id = "
        })
        .bind(self.pipeline.id.0)
        .push(" AND t.at >= ")
        .bind(self.start)
        .push(" AND t.at < ")
        .bind(self.end);
        self.deal_conditions(sql);
    }

    /// The department filter on the ledger's `from` or `to` side.
    pub(super) fn department(&self, sql: &mut Sql, side: &str) {
        if let Some(department) = self.filter.department {
            sql.push(&format!(" AND t.{side}_department_id = "))
                .bind(department.0);
        }
    }

    /// The first day of the span a timestamp column falls in, as days from 1970-01-01 in
    /// the person's zone.
    pub(super) fn bucket_key(&self, column: &str, granularity: Granularity) -> String {
        let day = self.local_day(&epoch_sql(self.backend, column));
        self.day_bucket_key(&day, granularity)
    }

    /// The person's day of an instant in epoch seconds (an SQL expression).
    pub(super) fn local_day(&self, epoch: &str) -> String {
        self.days.offsets.local_day_sql(epoch)
    }

    /// The first day of the span a day (days from 1970-01-01) falls in, in this backend's
    /// dialect; `rules::bucket_start` is the same in Rust. Weeks start on Monday; day 0
    /// was a Thursday.
    pub(super) fn day_bucket_key(&self, day: &str, granularity: Granularity) -> String {
        match (granularity, self.backend) {
            (Granularity::Day, _) => format!("CAST({day} AS BIGINT)"),
            (Granularity::Week, _) => format!("CAST({day} - ({day} + 3) % 7 AS BIGINT)"),
            (Granularity::Month, DbBackend::Postgres) => format!(
                "CAST(CAST(date_trunc('month', DATE '1970-01-01' + CAST({day} AS INTEGER)) \
                 AS DATE) - DATE '1970-01-01' AS BIGINT)"
            ),
            (Granularity::Month, _) => format!(
                "CAST(julianday(date({day} * 86400, 'unixepoch', 'start of month')) \
                 - 2440587.5 AS INTEGER)"
            ),
        }
    }

    /// 1 when the visit a ledger row closes ran over its stage's SLA, else 0.
    pub(super) fn breach(&self, sql: &mut Sql) {
        let limited: Vec<(i32, i64)> = self
            .pipeline
            .stages
            .iter()
            .filter_map(|s| Some((s.id.0, s.sla_seconds?)))
            .collect();
        if limited.is_empty() {
            sql.push("0");
            return;
        }
        sql.push("CASE");
        for (stage, seconds) in limited {
            sql.push(" WHEN t.from_stage_id = ")
                .bind(stage)
                .push(" AND t.seconds_in_from > ")
                .bind(seconds)
                .push(" THEN 1");
        }
        sql.push(" ELSE 0 END");
    }

    /// 1 when a deal in an open stage is past the stage's SLA now, else 0.
    pub(super) fn breached_now(&self, sql: &mut Sql) {
        let limited: Vec<(i32, DateTime<Utc>)> = self
            .pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .filter_map(|s| Some((s.id.0, self.sla_cutoff(s)?)))
            .collect();
        if limited.is_empty() {
            sql.push("0");
            return;
        }
        sql.push("CASE");
        for (stage, cutoff) in limited {
            sql.push(" WHEN d.stage_id = ")
                .bind(stage)
                .push(" AND d.stage_entered_at < ")
                .bind(cutoff)
                .push(" THEN 1");
        }
        sql.push(" ELSE 0 END");
    }

    /// Deals that entered `stage` before this moment are past its SLA now.
    pub(super) fn sla_cutoff(&self, stage: &StageView) -> Option<DateTime<Utc>> {
        self.now
            .checked_sub_signed(chrono::TimeDelta::try_seconds(stage.sla_seconds?)?)
    }

    /// The open stages the department filter lets through.
    pub(super) fn open_stages(&self) -> Vec<&'a StageView> {
        self.pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .filter(|s| {
                self.filter
                    .department
                    .is_none_or(|d| s.department_id == Some(d))
            })
            .collect()
    }

    /// Seconds from a deal's stage entry to now, in this backend's dialect.
    pub(super) fn open_visit_seconds(&self, sql: &mut Sql) {
        match self.backend {
            DbBackend::Postgres => {
                sql.push("CAST(EXTRACT(EPOCH FROM (")
                    .bind(self.now)
                    .push(" - d.stage_entered_at)) AS BIGINT)");
            }
            _ => {
                sql.push("CAST(ROUND((julianday(")
                    .bind(self.now)
                    .push(") - julianday(d.stage_entered_at)) * 86400) AS INTEGER)");
            }
        }
    }
}

#[derive(FromQueryResult)]
pub(super) struct KeyCount {
    grp: Option<i64>,
    n: i64,
}

pub(super) async fn key_counts(
    db: &impl ConnectionTrait,
    sql: &Sql,
) -> Result<HashMap<Option<i64>, u64>, AppError> {
    Ok(KeyCount::find_by_statement(sql.statement())
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.grp, u64::try_from(row.n).unwrap_or_default()))
        .collect())
}
