//! The dashboards' queries. Each figure is one grouped SQL query over the ledger
//! (`transitions`), run the same on SQLite and PostgreSQL; percentiles come back as the
//! few rows at the ranks `rules::percentile_ranks` names, found with window functions.
//! Deal-level filters (visibility, responsible, amount) narrow the ledger to the deals
//! they let through, with the same visibility rule as the board.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement, Value};

use super::rules::{
    Bin, DurationSummary, MEDIAN, P90, bucket_start, buckets, epoch_day, from_epoch_day,
    percentile_ranks,
};
use super::{
    AnalyticsFilter, AnalyticsView, BREACH_LIST_LEN, BreachedDeal, DEFAULT_PERIOD_DAYS, DaySummary,
    DepartmentTime, DepartmentWork, Funnel, FunnelStage, Granularity, PersonReturns, PersonWork,
    ReturnReason, ReturnRoute, SlaPoint, SlaView, StageReturns, StageSla, StageTimeRow, TeamView,
    TrendPoint, TrendsView,
};
use crate::access::{Actor, DealScope, VisibleDeals};
use crate::deal::{Money, to_minor};
use crate::department::DepartmentId;
use crate::error::{AppError, Field, Rule};
use crate::pipeline::service::{list_pipelines, load_pipeline};
use crate::pipeline::{PipelineView, StageId, StageKind, StageView};
use crate::user::UserId;

/// The most common return reasons shown.
const TOP_REASONS: u64 = 10;

/// The filter with the pipeline and the period filled in, and the pipeline it names.
struct Resolved {
    pipeline: PipelineView,
    filter: AnalyticsFilter,
    today: NaiveDate,
}

async fn resolve(
    db: &impl ConnectionTrait,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<Resolved, AppError> {
    let today = now.date_naive();
    let to = filter.to.unwrap_or(today);
    let from = match filter.from {
        Some(from) => from,
        None => to
            .checked_sub_days(chrono::Days::new(u64::from(DEFAULT_PERIOD_DAYS - 1)))
            .ok_or(AppError::validation(Field::Period, Rule::PeriodReversed))?,
    };
    super::rules::check_period(from, to, filter.granularity)?;
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
    })
}

async fn department_names(
    db: &impl ConnectionTrait,
) -> Result<HashMap<DepartmentId, String>, AppError> {
    Ok(crate::department::service::list_departments(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// Everyone who ever acted, deactivated people included: history keeps their names.
async fn people_names(db: &impl ConnectionTrait) -> Result<HashMap<UserId, String>, AppError> {
    Ok(crate::user::entity::users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (UserId(u.id), u.name))
        .collect())
}

/// Every figure of the analytics page for one filter, over what the actor may see.
pub async fn load_analytics(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<AnalyticsView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
    } = resolve(db, filter, now).await?;
    let scope = Scope::new(db.get_database_backend(), actor, &pipeline, &filter, now)?;
    let departments = department_names(db).await?;
    let people = people_names(db).await?;
    let funnel = funnel(db, &scope, &pipeline).await?;
    let by_stage = durations(db, &scope, Grouping::Stage).await?;
    let time_by_stage = pipeline
        .stages
        .iter()
        .map(|stage| StageTimeRow {
            stage: stage.id,
            name: stage.name.clone(),
            department: stage.department_id,
            stats: by_stage
                .get(&Some(i64::from(stage.id.0)))
                .map(DurationSummary::stats)
                .unwrap_or_default(),
        })
        .collect();
    let mut time_by_department: Vec<DepartmentTime> = durations(db, &scope, Grouping::Department)
        .await?
        .into_iter()
        .map(|(key, summary)| {
            let department = department_key(key);
            DepartmentTime {
                department,
                name: department
                    .and_then(|d| departments.get(&d).cloned())
                    .unwrap_or_default(),
                stats: summary.stats(),
            }
        })
        .collect();
    time_by_department
        .sort_by(|a, b| (a.department.is_none(), &a.name).cmp(&(b.department.is_none(), &b.name)));
    let (returns_by_stage, return_routes) = returns(db, &scope, &pipeline).await?;
    let returns_by_person = returns_by_person(db, &scope, &people).await?;
    let return_reasons = return_reasons(db, &scope).await?;
    Ok(AnalyticsView {
        funnel,
        time_by_stage,
        time_by_department,
        returns_by_stage,
        return_routes,
        returns_by_person,
        return_reasons,
        pipeline,
        filter,
        today,
    })
}

fn department_key(key: Option<i64>) -> Option<DepartmentId> {
    key.and_then(|id| i32::try_from(id).ok()).map(DepartmentId)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// People and departments: load now, throughput, processing time, returns and SLA
/// breaches in the period.
pub async fn load_team(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<TeamView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
    } = resolve(db, filter, now).await?;
    let scope = Scope::new(db.get_database_backend(), actor, &pipeline, &filter, now)?;
    let department_names = department_names(db).await?;
    let people = people_names(db).await?;
    let moves = move_groups(db, &scope).await?;
    let load = load_now(db, &scope).await?;
    let by_actor = durations(db, &scope, Grouping::Actor).await?;
    let by_department = durations(db, &scope, Grouping::Department).await?;
    let came_back: HashMap<UserId, u64> = returns_by_person(db, &scope, &people)
        .await?
        .into_iter()
        .map(|p| (p.user, p.came_back))
        .collect();
    let in_department = |department: Option<i64>| {
        filter
            .department
            .is_none_or(|d| department == Some(i64::from(d.0)))
    };
    let outgoing = || {
        moves
            .iter()
            .filter(|m| m.from_stage.is_some() && in_department(m.from_department))
    };

    let mut users: std::collections::BTreeSet<UserId> = outgoing()
        .filter_map(|m| m.actor)
        .chain(load.iter().filter_map(|l| l.responsible))
        .filter_map(|id| i32::try_from(id).ok().map(UserId))
        .collect();
    users.extend(came_back.iter().filter(|(_, n)| **n > 0).map(|(u, _)| *u));
    let mut team: Vec<PersonWork> = users
        .into_iter()
        .map(|user| {
            let me = Some(i64::from(user.0));
            let mine = || outgoing().filter(|m| m.actor == me);
            PersonWork {
                user,
                name: people.get(&user).cloned().unwrap_or_default(),
                open_now: load
                    .iter()
                    .filter(|l| l.responsible == me)
                    .map(|l| count(l.n))
                    .sum(),
                passed_on: mine().map(|m| count(m.n - m.returns)).sum(),
                returned: mine().map(|m| count(m.returns)).sum(),
                came_back: came_back.get(&user).copied().unwrap_or_default(),
                sla_breaches: mine().map(|m| count(m.breaches)).sum(),
                processing: by_actor
                    .get(&me)
                    .map(DurationSummary::stats)
                    .unwrap_or_default(),
            }
        })
        .collect();
    team.sort_by(|a, b| {
        b.passed_on
            .cmp(&a.passed_on)
            .then_with(|| a.name.cmp(&b.name))
    });

    // Departments: those of the pipeline's stages now and those the ledger names.
    let current_department = |stage: i64| {
        pipeline
            .stages
            .iter()
            .find(|s| i64::from(s.id.0) == stage)
            .and_then(|s| s.department_id)
            .map(|d| i64::from(d.0))
    };
    let mut keys: std::collections::BTreeSet<Option<i64>> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| s.department_id.map(|d| i64::from(d.0)))
        .collect();
    keys.extend(outgoing().map(|m| m.from_department));
    let mut departments: Vec<DepartmentWork> = keys
        .into_iter()
        .filter(|key| in_department(*key))
        .map(|key| {
            let out = || outgoing().filter(|m| m.from_department == key);
            let here = || load.iter().filter(|l| current_department(l.stage) == key);
            let department = department_key(key);
            DepartmentWork {
                department,
                name: department
                    .and_then(|d| department_names.get(&d).cloned())
                    .unwrap_or_default(),
                open_now: here().map(|l| count(l.n)).sum(),
                in_breach_now: here().map(|l| count(l.breached)).sum(),
                passed_on: out().map(|m| count(m.n - m.returns)).sum(),
                returned: out().map(|m| count(m.returns)).sum(),
                came_back: moves
                    .iter()
                    .filter(|m| m.from_stage.is_some() && m.to_department == key)
                    .map(|m| count(m.returns))
                    .sum(),
                sla_breaches: out().map(|m| count(m.breaches)).sum(),
                processing: by_department
                    .get(&key)
                    .map(DurationSummary::stats)
                    .unwrap_or_default(),
            }
        })
        .collect();
    departments
        .sort_by(|a, b| (a.department.is_none(), &a.name).cmp(&(b.department.is_none(), &b.name)));
    let days = filter
        .to
        .zip(filter.from)
        .map(|(to, from)| (to - from).num_days() + 1)
        .and_then(|days| u32::try_from(days).ok())
        .unwrap_or(1);
    Ok(TeamView {
        pipeline,
        filter,
        today,
        days,
        people: team,
        departments,
    })
}

/// SLA: breaches per stage and department, over time, and the deals in breach now. A
/// visit is in breach when it lasts longer than its stage's SLA; a closed visit counts on
/// the day it ended.
pub async fn load_sla(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<SlaView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
    } = resolve(db, filter, now).await?;
    let scope = Scope::new(db.get_database_backend(), actor, &pipeline, &filter, now)?;
    let department_names = department_names(db).await?;
    let people = people_names(db).await?;
    let moves = move_groups(db, &scope).await?;
    let load = load_now(db, &scope).await?;
    let sla_stages: Vec<&StageView> = pipeline
        .stages
        .iter()
        .filter(|s| s.sla_seconds.is_some())
        .filter(|s| filter.department.is_none_or(|d| s.department_id == Some(d)))
        .collect();
    let out_of = |stage: &StageView| {
        let id = Some(i64::from(stage.id.0));
        moves.iter().filter(move |m| m.from_stage == id)
    };
    let stages: Vec<StageSla> = sla_stages
        .iter()
        .map(|stage| StageSla {
            stage: stage.id,
            name: stage.name.clone(),
            department: stage.department_id,
            sla_seconds: stage.sla_seconds.unwrap_or_default(),
            closed_visits: out_of(stage).map(|m| count(m.n)).sum(),
            breaches: out_of(stage).map(|m| count(m.breaches)).sum(),
            in_breach_now: load
                .iter()
                .filter(|l| l.stage == i64::from(stage.id.0))
                .map(|l| count(l.breached))
                .sum(),
        })
        .collect();
    let mut departments: Vec<(Option<DepartmentId>, String)> = Vec::new();
    for stage in &sla_stages {
        if !departments.iter().any(|(d, _)| *d == stage.department_id) {
            let name = stage
                .department_id
                .and_then(|d| department_names.get(&d).cloned())
                .unwrap_or_default();
            departments.push((stage.department_id, name));
        }
    }
    let granularity = filter.granularity;
    let mut over_time: Vec<SlaPoint> = buckets(
        filter.from.unwrap_or(today),
        filter.to.unwrap_or(today),
        granularity,
    )
    .into_iter()
    .map(|start| SlaPoint {
        start,
        closed_visits: 0,
        breaches: 0,
        by_department: departments.iter().map(|(d, _)| (*d, 0)).collect(),
    })
    .collect();
    for m in &moves {
        let Some(stage) = sla_stages
            .iter()
            .find(|s| m.from_stage == Some(i64::from(s.id.0)))
        else {
            continue;
        };
        let Some(start) = from_epoch_day(m.day).map(|d| bucket_start(d, granularity)) else {
            continue;
        };
        if let Some(point) = over_time.iter_mut().find(|p| p.start == start) {
            point.closed_visits += count(m.n);
            point.breaches += count(m.breaches);
            if let Some(slot) = point
                .by_department
                .iter_mut()
                .find(|(d, _)| *d == stage.department_id)
            {
                slot.1 += count(m.breaches);
            }
        }
    }
    let in_breach_total = load.iter().map(|l| count(l.breached)).sum();
    let in_breach = breached_deals(db, &scope, &sla_stages, &people).await?;
    Ok(SlaView {
        pipeline,
        filter,
        today,
        stages,
        departments,
        over_time,
        in_breach,
        in_breach_total,
    })
}

/// Trends: each figure per day, week or month of the period.
pub async fn load_trends(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<TrendsView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
    } = resolve(db, filter, now).await?;
    let scope = Scope::new(db.get_database_backend(), actor, &pipeline, &filter, now)?;
    let granularity = filter.granularity;
    let moves = move_groups(db, &scope).await?;
    let times = durations(db, &scope, Grouping::Bucket(granularity)).await?;
    let kind_of = |stage: i64| {
        pipeline
            .stages
            .iter()
            .find(|s| i64::from(s.id.0) == stage)
            .map(|s| s.kind)
    };
    let in_department = |department: Option<i64>| {
        filter
            .department
            .is_none_or(|d| department == Some(i64::from(d.0)))
    };
    let mut points: Vec<TrendPoint> = buckets(
        filter.from.unwrap_or(today),
        filter.to.unwrap_or(today),
        granularity,
    )
    .into_iter()
    .map(|start| TrendPoint {
        start,
        created: 0,
        passed_on: 0,
        returns: 0,
        won: 0,
        lost: 0,
        sla_breaches: 0,
        time_in_stage: times
            .get(&Some(epoch_day(start)))
            .map(DurationSummary::stats)
            .unwrap_or_default(),
    })
    .collect();
    for m in &moves {
        let Some(start) = from_epoch_day(m.day).map(|d| bucket_start(d, granularity)) else {
            continue;
        };
        let Some(point) = points.iter_mut().find(|p| p.start == start) else {
            continue;
        };
        if m.from_stage.is_none() {
            if in_department(m.to_department) {
                point.created += count(m.n);
            }
            continue;
        }
        if !in_department(m.from_department) {
            continue;
        }
        point.passed_on += count(m.n - m.returns);
        point.returns += count(m.returns);
        point.sla_breaches += count(m.breaches);
        match kind_of(m.to_stage) {
            Some(StageKind::Won) => point.won += count(m.n),
            Some(StageKind::Lost) => point.lost += count(m.n),
            _ => {}
        }
    }
    Ok(TrendsView {
        pipeline,
        filter,
        today,
        points,
    })
}

/// The digest's figures: what happened in `start..end` over every pipeline the actor may
/// see, the deals in breach now and the `stuck` most overdue of them.
pub async fn day_summary(
    db: &impl ConnectionTrait,
    actor: &Actor,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    stuck: usize,
) -> Result<DaySummary, AppError> {
    let people = people_names(db).await?;
    let mut summary = DaySummary::default();
    for (id, name) in list_pipelines(db).await? {
        let pipeline = load_pipeline(db, id).await?;
        let filter = AnalyticsFilter {
            pipeline: Some(id),
            from: Some(start.date_naive()),
            to: Some(end.date_naive()),
            ..AnalyticsFilter::default()
        };
        let mut scope = Scope::new(db.get_database_backend(), actor, &pipeline, &filter, now)?;
        (scope.start, scope.end) = (start, end);
        for m in move_groups(db, &scope).await? {
            if m.from_stage.is_none() {
                summary.created += count(m.n);
                continue;
            }
            summary.passed_on += count(m.n - m.returns);
            summary.returns += count(m.returns);
            summary.sla_breaches += count(m.breaches);
            match pipeline.stage(StageId(i32::try_from(m.to_stage).unwrap_or_default())) {
                Some(stage) if stage.kind == StageKind::Won => summary.won += count(m.n),
                Some(stage) if stage.kind == StageKind::Lost => summary.lost += count(m.n),
                _ => {}
            }
        }
        summary.in_breach_now += load_now(db, &scope)
            .await?
            .iter()
            .map(|l| count(l.breached))
            .sum::<u64>();
        let limited: Vec<&StageView> = pipeline
            .stages
            .iter()
            .filter(|s| s.sla_seconds.is_some())
            .collect();
        summary.stuck.extend(
            breached_deals(db, &scope, &limited, &people)
                .await?
                .into_iter()
                .map(|deal| (name.clone(), deal)),
        );
    }
    summary
        .stuck
        .sort_by(|a, b| b.1.overdue.cmp(&a.1.overdue).then(a.1.deal.cmp(&b.1.deal)));
    summary.stuck.truncate(stuck);
    Ok(summary)
}

/// SQL text with its bound values, written in the dialect of one backend.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`: `?` on SQLite, `$n` on PostgreSQL.
    fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `IN (a, b, c)`, or a condition that is false for an empty list.
    fn in_list(&mut self, column: &str, ids: &[i32]) -> &mut Sql {
        if ids.is_empty() {
            return self.push("1 = 0");
        }
        self.push(column).push(" IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self.push(")")
    }

    fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, &self.text, self.values.clone())
    }
}

/// The filter, resolved once: the period bounds and the deal-level conditions.
struct Scope<'a> {
    backend: DbBackend,
    actor: &'a Actor,
    pipeline: &'a PipelineView,
    filter: &'a AnalyticsFilter,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
    amount_min: Option<i64>,
    amount_max: Option<i64>,
    /// Durations are read exactly from the ledger up to this many visits, from the
    /// duration bins above it.
    exact_visits: u64,
}

/// Up to this many visits in a period, percentiles are exact (a sort over the ledger's
/// rows, tens of milliseconds); above it they come from the rollup's duration bins.
pub const EXACT_VISITS: u64 = 20_000;

tokio::task_local! {
    /// Overrides `EXACT_VISITS` within a task: tests read a small ledger through the bins.
    pub static EXACT_VISITS_LIMIT: u64;
}

impl<'a> Scope<'a> {
    fn new(
        backend: DbBackend,
        actor: &'a Actor,
        pipeline: &'a PipelineView,
        filter: &'a AnalyticsFilter,
        now: DateTime<Utc>,
    ) -> Result<Scope<'a>, AppError> {
        let day_start = |day: chrono::NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
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
            start: day_start(filter.from.unwrap_or_default()),
            end: day_start(
                filter
                    .to
                    .unwrap_or_default()
                    .succ_opt()
                    .ok_or(AppError::validation(Field::Period, Rule::PeriodReversed))?,
            ),
            now,
            amount_min: filter.amount_min.map(minor).transpose()?,
            amount_max: filter.amount_max.map(minor).transpose()?,
            exact_visits: EXACT_VISITS_LIMIT
                .try_with(|limit| *limit)
                .unwrap_or(EXACT_VISITS),
        })
    }

    /// Whether the daily rollups serve this filter: they sum every deal, so a condition on
    /// the deal (visibility, responsible, amount) needs the ledger.
    fn rolled(&self) -> bool {
        !self.narrows_deals()
    }

    /// `FROM {table} r WHERE` the pipeline and the period's days; callers append ` AND ...`.
    fn rollup(&self, sql: &mut Sql, table: &str, day: &str) {
        let days = |d: Option<NaiveDate>| d.map(epoch_day).unwrap_or_default();
        sql.push(&format!(" FROM {table} r WHERE r.pipeline_id = "))
            .bind(self.pipeline.id.0)
            .push(&format!(" AND r.{day} >= "))
            .bind(days(self.filter.from))
            .push(&format!(" AND r.{day} <= "))
            .bind(days(self.filter.to));
    }

    /// The department filter on a rollup's `from` or `to` side.
    fn rollup_department(&self, sql: &mut Sql, side: &str) {
        if let Some(department) = self.filter.department {
            sql.push(&format!(" AND r.{side}_department_id = "))
                .bind(department.0);
        }
    }

    /// The first day of the period, for "entered before the period" in the rollup.
    fn first_day(&self) -> i64 {
        self.filter.from.map(epoch_day).unwrap_or_default()
    }

    fn sql(&self) -> Sql {
        Sql::new(self.backend)
    }

    /// Whether any condition is on the deal (visibility short of all, responsible, amount).
    fn narrows_deals(&self) -> bool {
        self.actor.deal_scope() != DealScope::All
            || self.filter.employee.is_some()
            || self.amount_min.is_some()
            || self.amount_max.is_some()
    }

    /// Conditions on the `deals` row aliased `d`: visibility, responsible, amount. Starts
    /// with ` AND` when not empty.
    fn deal_conditions(&self, sql: &mut Sql) {
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
    }

    /// `FROM transitions t JOIN deals d ... WHERE` the pipeline, the period and the deal
    /// conditions; callers append their own conditions with ` AND ...`.
    fn ledger(&self, sql: &mut Sql) {
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
    fn department(&self, sql: &mut Sql, side: &str) {
        if let Some(department) = self.filter.department {
            sql.push(&format!(" AND t.{side}_department_id = "))
                .bind(department.0);
        }
    }

    /// The first day of the span a timestamp column falls in, as days from 1970-01-01
    /// (UTC), in this backend's dialect; `rules::bucket_start` is the same in Rust.
    fn bucket_key(&self, column: &str, granularity: Granularity) -> String {
        match self.backend {
            DbBackend::Postgres => {
                let day = format!("{column} AT TIME ZONE 'UTC'");
                let start = match granularity {
                    Granularity::Day => day,
                    Granularity::Week => format!("date_trunc('week', {day})"),
                    Granularity::Month => format!("date_trunc('month', {day})"),
                };
                format!("CAST(CAST({start} AS DATE) - DATE '1970-01-01' AS BIGINT)")
            }
            _ => {
                let start = match granularity {
                    Granularity::Day => format!("date({column})"),
                    Granularity::Week => format!("date({column}, 'weekday 0', '-6 days')"),
                    Granularity::Month => format!("date({column}, 'start of month')"),
                };
                format!("CAST(julianday({start}) - 2440587.5 AS INTEGER)")
            }
        }
    }

    /// 1 when the visit a ledger row closes ran over its stage's SLA, else 0.
    fn breach(&self, sql: &mut Sql) {
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
    fn breached_now(&self, sql: &mut Sql) {
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
    fn sla_cutoff(&self, stage: &StageView) -> Option<DateTime<Utc>> {
        self.now
            .checked_sub_signed(chrono::TimeDelta::try_seconds(stage.sla_seconds?)?)
    }

    /// The open stages the department filter lets through.
    fn open_stages(&self) -> Vec<&'a StageView> {
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
    fn open_visit_seconds(&self, sql: &mut Sql) {
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
struct KeyCount {
    grp: Option<i64>,
    n: i64,
}

async fn key_counts(
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

async fn funnel(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    pipeline: &PipelineView,
) -> Result<Funnel, AppError> {
    // Where the lost and archived deals were lost.
    let closed: Vec<i32> = pipeline
        .stages
        .iter()
        .filter(|s| matches!(s.kind, StageKind::Lost | StageKind::Archive))
        .map(|s| s.id.0)
        .collect();
    let (entered, reached, created, losses) = if scope.rolled() {
        funnel_from_rollup(db, scope, &closed).await?
    } else {
        funnel_from_ledger(db, scope, &closed).await?
    };
    let lost_from = |stage: StageId, kind: StageKind| -> u64 {
        losses
            .iter()
            .filter(|loss| loss.from_stage == i64::from(stage.0))
            .filter(|loss| {
                pipeline
                    .stages
                    .iter()
                    .any(|s| i64::from(s.id.0) == loss.to_stage && s.kind == kind)
            })
            .map(|loss| u64::try_from(loss.n).unwrap_or_default())
            .sum()
    };
    Ok(Funnel {
        stages: pipeline
            .stages
            .iter()
            .map(|stage| {
                let key = Some(i64::from(stage.id.0));
                FunnelStage {
                    stage: stage.id,
                    name: stage.name.clone(),
                    kind: stage.kind,
                    entered: entered.get(&key).copied().unwrap_or_default(),
                    reached: reached.get(&key).copied().unwrap_or_default(),
                    lost_here: lost_from(stage.id, StageKind::Lost),
                    archived_here: lost_from(stage.id, StageKind::Archive),
                }
            })
            .collect(),
        created,
    })
}

#[derive(FromQueryResult)]
struct Loss {
    from_stage: i64,
    to_stage: i64,
    n: i64,
}

/// Distinct deals that entered each stage in the period, of the deals created in the
/// period how many have reached each stage by now, how many were created, and the
/// distinct deals lost (per stage left and closed stage entered).
type FunnelCounts = (
    HashMap<Option<i64>, u64>,
    HashMap<Option<i64>, u64>,
    u64,
    Vec<Loss>,
);

async fn funnel_from_ledger(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    closed: &[i32],
) -> Result<FunnelCounts, AppError> {
    let mut sql = scope.sql();
    sql.push("SELECT CAST(t.to_stage_id AS BIGINT) AS grp, COUNT(DISTINCT t.deal_id) AS n");
    scope.ledger(&mut sql);
    scope.department(&mut sql, "to");
    sql.push(" GROUP BY t.to_stage_id");
    let entered = key_counts(db, &sql).await?;

    let mut cohort = scope.sql();
    cohort.push(
        "SELECT CAST(r.to_stage_id AS BIGINT) AS grp, COUNT(DISTINCT r.deal_id) AS n \
         FROM transitions r WHERE r.deal_id IN (SELECT t.deal_id",
    );
    scope.ledger(&mut cohort);
    cohort.push(" AND t.from_stage_id IS NULL) GROUP BY r.to_stage_id");
    let reached = key_counts(db, &cohort).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(NULL AS BIGINT) AS grp, COUNT(DISTINCT t.deal_id) AS n");
    scope.ledger(&mut sql);
    sql.push(" AND t.from_stage_id IS NULL");
    let created = key_counts(db, &sql)
        .await?
        .into_values()
        .next()
        .unwrap_or_default();

    let mut sql = scope.sql();
    sql.push(
        "SELECT CAST(t.from_stage_id AS BIGINT) AS from_stage, \
         CAST(t.to_stage_id AS BIGINT) AS to_stage, COUNT(DISTINCT t.deal_id) AS n",
    );
    scope.ledger(&mut sql);
    scope.department(&mut sql, "from");
    sql.push(" AND t.from_stage_id IS NOT NULL AND ")
        .in_list("t.to_stage_id", closed)
        .push(" GROUP BY t.from_stage_id, t.to_stage_id");
    let losses = Loss::find_by_statement(sql.statement()).all(db).await?;
    Ok((entered, reached, created, losses))
}

/// The same counts from the rollups: an entry counts a distinct deal when the deal's
/// previous entry into that stage fell before the period (or never happened).
async fn funnel_from_rollup(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    closed: &[i32],
) -> Result<FunnelCounts, AppError> {
    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.to_stage_id AS BIGINT) AS grp, CAST(SUM(r.moves) AS BIGINT) AS n");
    scope.rollup(&mut sql, "transition_days", "day");
    scope.rollup_department(&mut sql, "to");
    sql.push(" AND r.prev_entry_day < ")
        .bind(scope.first_day())
        .push(" GROUP BY r.to_stage_id");
    let entered = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.to_stage_id AS BIGINT) AS grp, CAST(SUM(r.deals) AS BIGINT) AS n");
    scope.rollup(&mut sql, "cohort_days", "created_day");
    sql.push(" GROUP BY r.to_stage_id");
    let reached = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(NULL AS BIGINT) AS grp, CAST(COALESCE(SUM(r.moves), 0) AS BIGINT) AS n");
    scope.rollup(&mut sql, "transition_days", "day");
    sql.push(" AND r.from_stage_id = 0");
    let created = key_counts(db, &sql)
        .await?
        .into_values()
        .next()
        .unwrap_or_default();

    let mut sql = scope.sql();
    sql.push(
        "SELECT CAST(r.from_stage_id AS BIGINT) AS from_stage, \
         CAST(r.to_stage_id AS BIGINT) AS to_stage, CAST(SUM(r.moves) AS BIGINT) AS n",
    );
    scope.rollup(&mut sql, "transition_days", "day");
    scope.rollup_department(&mut sql, "from");
    sql.push(" AND r.from_stage_id <> 0 AND r.prev_entry_day < ")
        .bind(scope.first_day())
        .push(" AND ")
        .in_list("r.to_stage_id", closed)
        .push(" GROUP BY r.from_stage_id, r.to_stage_id");
    let losses = Loss::find_by_statement(sql.statement()).all(db).await?;
    Ok((entered, reached, created, losses))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Grouping {
    Stage,
    Department,
    /// Who moved the deal out of the stage.
    Actor,
    /// The span the visit ended in.
    Bucket(Granularity),
}

/// Visit durations per stage or per department: closed visits (a move out of the stage in
/// the period, with the time spent there) and, on request, the visits still open now.
/// Exact up to `Scope::exact_visits` visits; from the rollup's duration bins above.
async fn durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    if scope.rolled() {
        let binned = binned_durations(db, scope, grouping).await?;
        if binned.values().map(|s| s.visits).sum::<u64>() > scope.exact_visits {
            return Ok(binned);
        }
    }
    exact_durations(db, scope, grouping).await
}

/// The SQL key of the group a closed visit falls in, over the ledger (`t`) or the bins (`r`).
fn closed_visit_key(scope: &Scope<'_>, grouping: Grouping, rolled: bool) -> String {
    match (grouping, rolled) {
        (Grouping::Stage, false) => "CAST(t.from_stage_id AS BIGINT)".to_owned(),
        (Grouping::Department, false) => "CAST(t.from_department_id AS BIGINT)".to_owned(),
        (Grouping::Actor, false) => "CAST(t.actor_user_id AS BIGINT)".to_owned(),
        (Grouping::Bucket(granularity), false) => scope.bucket_key("t.at", granularity),
        (Grouping::Stage, true) => "CAST(r.from_stage_id AS BIGINT)".to_owned(),
        (Grouping::Department, true) => {
            "CAST(NULLIF(r.from_department_id, 0) AS BIGINT)".to_owned()
        }
        (Grouping::Actor, true) => "CAST(NULLIF(r.actor_user_id, 0) AS BIGINT)".to_owned(),
        // Days; `binned_durations` folds them into spans.
        (Grouping::Bucket(_), true) => "r.day".to_owned(),
    }
}

/// The department key of a deal in an open stage now (`d.stage_id`), or the stage itself.
fn open_visit_key(scope: &Scope<'_>, grouping: Grouping, sql: &mut Sql) {
    match grouping {
        Grouping::Stage | Grouping::Actor | Grouping::Bucket(_) => {
            sql.push("CAST(d.stage_id AS BIGINT)");
        }
        Grouping::Department => {
            sql.push("CASE");
            for stage in scope
                .open_stages()
                .iter()
                .filter(|s| s.department_id.is_some())
            {
                sql.push(" WHEN d.stage_id = ")
                    .bind(stage.id.0)
                    .push(" THEN ")
                    .bind(i64::from(
                        stage.department_id.map(|d| d.0).unwrap_or_default(),
                    ));
            }
            sql.push(" ELSE CAST(NULL AS BIGINT) END");
        }
    }
}

/// `FROM deals d WHERE` the deals in the open stages the filter lets through now.
fn open_deals(scope: &Scope<'_>, sql: &mut Sql) {
    let ids: Vec<i32> = scope.open_stages().iter().map(|s| s.id.0).collect();
    sql.push(" FROM deals d WHERE d.pipeline_id = ")
        .bind(scope.pipeline.id.0)
        .push(" AND ");
    sql.in_list("d.stage_id", &ids);
    scope.deal_conditions(sql);
}

/// Whether open visits count in this grouping: they have a stage and a department but no
/// end and no one who closed them.
fn with_open(scope: &Scope<'_>, grouping: Grouping) -> bool {
    scope.filter.include_open && matches!(grouping, Grouping::Stage | Grouping::Department)
}

/// `duration_bin` in SQL: exact below 64 s, then 32 bins per doubling.
fn bin_sql(seconds: &str) -> String {
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

/// Durations from the rollup's bins (closed visits) and, on request, the open visits
/// binned the same way; percentiles within a bin's width, counts and means exact.
async fn binned_durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    let mut sql = scope.sql();
    let open = with_open(scope, grouping);
    if open {
        // Materialised so that the bin's CASE reads each visit's seconds rather than
        // computing them again at every branch.
        sql.push("WITH open_visits AS MATERIALIZED (SELECT ");
        open_visit_key(scope, grouping, &mut sql);
        sql.push(" AS grp, ");
        scope.open_visit_seconds(&mut sql);
        sql.push(" AS s");
        open_deals(scope, &mut sql);
        sql.push(") ");
    }
    let key = closed_visit_key(scope, grouping, true);
    sql.push(&format!(
        "SELECT {key} AS grp, r.bin AS lower, CAST(SUM(r.visits) AS BIGINT) AS visits, \
         CAST(SUM(r.seconds) AS BIGINT) AS seconds"
    ));
    scope.rollup(&mut sql, "visit_bins", "day");
    scope.rollup_department(&mut sql, "from");
    sql.push(&format!(" GROUP BY {key}, r.bin"));
    if open {
        let bin = bin_sql("s");
        sql.push(&format!(
            " UNION ALL SELECT grp, {bin} AS lower, COUNT(*) AS visits, \
             CAST(SUM(s) AS BIGINT) AS seconds FROM open_visits GROUP BY grp, {bin}"
        ));
    }
    #[derive(FromQueryResult)]
    struct Row {
        grp: Option<i64>,
        lower: i64,
        visits: i64,
        seconds: i64,
    }
    let span = |day: i64| match grouping {
        Grouping::Bucket(granularity) => from_epoch_day(day)
            .map(|day| epoch_day(bucket_start(day, granularity)))
            .unwrap_or(day),
        _ => day,
    };
    let mut groups: BTreeMap<Option<i64>, BTreeMap<i64, Bin>> = BTreeMap::new();
    for row in Row::find_by_statement(sql.statement()).all(db).await? {
        let bin = groups
            .entry(row.grp.map(span))
            .or_default()
            .entry(row.lower)
            .or_insert(Bin {
                lower: row.lower,
                visits: 0,
                seconds: 0,
            });
        bin.visits += u64::try_from(row.visits).unwrap_or_default();
        bin.seconds += row.seconds;
    }
    Ok(groups
        .into_iter()
        .map(|(key, bins)| {
            let mut bins: Vec<Bin> = bins.into_values().collect();
            (key, DurationSummary::from_bins(&mut bins))
        })
        .collect())
}

/// Durations sorted in the database: the rows at the percentiles' ranks per group.
async fn exact_durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    let mut sql = scope.sql();
    sql.push(
        "SELECT grp, s, rn, n, total FROM (SELECT grp, s, \
         ROW_NUMBER() OVER (PARTITION BY grp ORDER BY s) AS rn, \
         COUNT(*) OVER (PARTITION BY grp) AS n, \
         CAST(SUM(s) OVER (PARTITION BY grp) AS BIGINT) AS total FROM (",
    );
    let closed_key = closed_visit_key(scope, grouping, false);
    sql.push(&format!(
        "SELECT {closed_key} AS grp, CAST(t.seconds_in_from AS BIGINT) AS s"
    ));
    scope.ledger(&mut sql);
    scope.department(&mut sql, "from");
    sql.push(" AND t.from_stage_id IS NOT NULL AND t.seconds_in_from IS NOT NULL");
    if with_open(scope, grouping) {
        // Deals in an open stage now; their visit counts up to now.
        sql.push(" UNION ALL SELECT ");
        open_visit_key(scope, grouping, &mut sql);
        sql.push(" AS grp, ");
        scope.open_visit_seconds(&mut sql);
        sql.push(" AS s");
        open_deals(scope, &mut sql);
    }
    // Only the rows at the median's and the p90's ranks leave the database.
    sql.push(&format!(
        ") visits) ranked WHERE rn IN ({}, {}, {}, {})",
        rank_sql(MEDIAN, false),
        rank_sql(MEDIAN, true),
        rank_sql(P90, false),
        rank_sql(P90, true)
    ));
    #[derive(FromQueryResult)]
    struct Ranked {
        grp: Option<i64>,
        s: i64,
        rn: i64,
        n: i64,
        total: i64,
    }
    let mut summaries: BTreeMap<Option<i64>, DurationSummary> = BTreeMap::new();
    for row in Ranked::find_by_statement(sql.statement()).all(db).await? {
        let summary = summaries.entry(row.grp).or_default();
        summary.visits = u64::try_from(row.n).unwrap_or_default();
        summary.total_seconds = row.total;
        summary
            .ranked
            .insert(u64::try_from(row.rn - 1).unwrap_or_default(), row.s);
    }
    debug_assert!(summaries.values().all(|s| {
        percentile_ranks(s.visits, P90).is_some_and(|(low, _)| s.ranked.contains_key(&low))
    }));
    Ok(summaries)
}

/// The 1-based row number of the lower (`floor`) or upper (`ceil`) order statistic around
/// `percent`% of `n` rows, in integer SQL: the same as `rules::percentile_ranks` plus one.
fn rank_sql(percent: u64, upper: bool) -> String {
    if upper {
        format!("({percent} * (n - 1) + 99) / 100 + 1")
    } else {
        format!("{percent} * (n - 1) / 100 + 1")
    }
}

async fn returns(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    pipeline: &PipelineView,
) -> Result<(Vec<StageReturns>, Vec<ReturnRoute>), AppError> {
    #[derive(FromQueryResult)]
    struct Route {
        from_stage: i64,
        to_stage: i64,
        moves: i64,
        returned: i64,
    }
    let mut sql = scope.sql();
    if scope.rolled() {
        sql.push(
            "SELECT CAST(r.from_stage_id AS BIGINT) AS from_stage, \
             CAST(r.to_stage_id AS BIGINT) AS to_stage, CAST(SUM(r.moves) AS BIGINT) AS moves, \
             CAST(SUM(r.returns) AS BIGINT) AS returned",
        );
        scope.rollup(&mut sql, "transition_days", "day");
        scope.rollup_department(&mut sql, "from");
        sql.push(" AND r.from_stage_id <> 0 GROUP BY r.from_stage_id, r.to_stage_id");
    } else {
        sql.push(
            "SELECT CAST(t.from_stage_id AS BIGINT) AS from_stage, \
             CAST(t.to_stage_id AS BIGINT) AS to_stage, COUNT(*) AS moves, \
             SUM(CASE WHEN t.is_return THEN 1 ELSE 0 END) AS returned",
        );
        scope.ledger(&mut sql);
        scope.department(&mut sql, "from");
        sql.push(" AND t.from_stage_id IS NOT NULL GROUP BY t.from_stage_id, t.to_stage_id");
    }
    let routes = Route::find_by_statement(sql.statement()).all(db).await?;
    let name = |id: i64| {
        pipeline
            .stages
            .iter()
            .find(|s| i64::from(s.id.0) == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let by_stage = pipeline
        .stages
        .iter()
        .map(|stage| {
            let out = routes
                .iter()
                .filter(|r| r.from_stage == i64::from(stage.id.0));
            StageReturns {
                stage: stage.id,
                name: stage.name.clone(),
                exits: out
                    .clone()
                    .map(|r| u64::try_from(r.moves).unwrap_or_default())
                    .sum(),
                returns: out
                    .map(|r| u64::try_from(r.returned).unwrap_or_default())
                    .sum(),
            }
        })
        .collect();
    let mut return_routes: Vec<ReturnRoute> = routes
        .iter()
        .filter(|r| r.returned > 0)
        .map(|r| ReturnRoute {
            from: StageId(i32::try_from(r.from_stage).unwrap_or_default()),
            from_name: name(r.from_stage),
            to: StageId(i32::try_from(r.to_stage).unwrap_or_default()),
            to_name: name(r.to_stage),
            count: u64::try_from(r.returned).unwrap_or_default(),
        })
        .collect();
    return_routes.sort_by(|a, b| b.count.cmp(&a.count).then(a.from.cmp(&b.from)));
    Ok((by_stage, return_routes))
}

/// Who sent deals back, and whose work came back: for each return to stage S, the person
/// who last passed the deal on out of S before it.
async fn returns_by_person(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    people: &HashMap<UserId, String>,
) -> Result<Vec<PersonReturns>, AppError> {
    let mut sql = scope.sql();
    if scope.rolled() {
        sql.push(
            "SELECT CAST(r.actor_user_id AS BIGINT) AS grp, CAST(SUM(r.returns) AS BIGINT) AS n",
        );
        scope.rollup(&mut sql, "transition_days", "day");
        scope.rollup_department(&mut sql, "from");
        sql.push(" AND r.returns > 0 AND r.actor_user_id <> 0 GROUP BY r.actor_user_id");
    } else {
        sql.push("SELECT CAST(t.actor_user_id AS BIGINT) AS grp, COUNT(*) AS n");
        scope.ledger(&mut sql);
        scope.department(&mut sql, "from");
        sql.push(" AND t.is_return AND t.actor_user_id IS NOT NULL GROUP BY t.actor_user_id");
    }
    let returned = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    if scope.rolled() {
        sql.push(
            "SELECT CAST(r.worker_user_id AS BIGINT) AS grp, CAST(SUM(r.returns) AS BIGINT) AS n",
        );
        scope.rollup(&mut sql, "transition_days", "day");
        scope.rollup_department(&mut sql, "from");
        sql.push(" AND r.worker_user_id <> 0 GROUP BY r.worker_user_id");
    } else {
        sql.push(
            "SELECT worker AS grp, COUNT(*) AS n FROM (SELECT (SELECT CAST(p.actor_user_id AS BIGINT) \
             FROM transitions p WHERE p.deal_id = t.deal_id AND p.from_stage_id = t.to_stage_id \
             AND p.id < t.id ORDER BY p.id DESC LIMIT 1) AS worker",
        );
        scope.ledger(&mut sql);
        scope.department(&mut sql, "from");
        sql.push(" AND t.is_return) came_back WHERE worker IS NOT NULL GROUP BY worker");
    }
    let came_back = key_counts(db, &sql).await?;

    let mut rows: Vec<PersonReturns> = returned
        .keys()
        .chain(came_back.keys())
        .filter_map(|key| *key)
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .filter_map(|id| {
            let user = UserId(i32::try_from(id).ok()?);
            Some(PersonReturns {
                user,
                name: people.get(&user).cloned().unwrap_or_default(),
                returned: returned.get(&Some(id)).copied().unwrap_or_default(),
                came_back: came_back.get(&Some(id)).copied().unwrap_or_default(),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.returned + b.came_back)
            .cmp(&(a.returned + a.came_back))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(rows)
}

/// The most common reasons given for returns (same text, case and spaces aside).
async fn return_reasons(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<ReturnReason>, AppError> {
    #[derive(FromQueryResult)]
    struct Reason {
        reason: String,
        n: i64,
    }
    let mut sql = scope.sql();
    if scope.rolled() {
        sql.push("SELECT r.reason AS reason, CAST(SUM(r.returns) AS BIGINT) AS n");
        scope.rollup(&mut sql, "return_reason_days", "day");
        scope.rollup_department(&mut sql, "from");
        sql.push(&format!(
            " GROUP BY r.reason ORDER BY n DESC, reason LIMIT {TOP_REASONS}"
        ));
    } else {
        sql.push("SELECT reason, COUNT(*) AS n FROM (SELECT LOWER(TRIM(t.comment)) AS reason");
        scope.ledger(&mut sql);
        scope.department(&mut sql, "from");
        sql.push(&format!(
            " AND t.is_return) reasons WHERE reason <> '' GROUP BY reason \
             ORDER BY n DESC, reason LIMIT {TOP_REASONS}"
        ));
    }
    Ok(Reason::find_by_statement(sql.statement())
        .all(db)
        .await?
        .into_iter()
        .map(|row| ReturnReason {
            reason: row.reason,
            count: u64::try_from(row.n).unwrap_or_default(),
        })
        .collect())
}

/// Moves in the period grouped by day, route (stage and department at the time) and who
/// made them; the people, SLA and trend figures are sums over these groups.
struct MoveGroup {
    /// Days from 1970-01-01 (UTC).
    day: i64,
    /// `None`: the deal was created.
    from_stage: Option<i64>,
    to_stage: i64,
    from_department: Option<i64>,
    to_department: Option<i64>,
    actor: Option<i64>,
    n: i64,
    returns: i64,
    /// Visits closed after their stage's SLA ran out.
    breaches: i64,
}

async fn move_groups(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<MoveGroup>, AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        day: i64,
        from_stage: Option<i64>,
        to_stage: i64,
        from_department: Option<i64>,
        to_department: Option<i64>,
        actor: Option<i64>,
        n: i64,
        returns: i64,
        breaches: i64,
    }
    let mut sql = scope.sql();
    if scope.rolled() {
        sql.push(
            "SELECT r.day AS day, CAST(NULLIF(r.from_stage_id, 0) AS BIGINT) AS from_stage, \
             CAST(r.to_stage_id AS BIGINT) AS to_stage, \
             CAST(NULLIF(r.from_department_id, 0) AS BIGINT) AS from_department, \
             CAST(NULLIF(r.to_department_id, 0) AS BIGINT) AS to_department, \
             CAST(NULLIF(r.actor_user_id, 0) AS BIGINT) AS actor, \
             CAST(SUM(r.moves) AS BIGINT) AS n, CAST(SUM(r.returns) AS BIGINT) AS returns, \
             CAST(SUM(r.breaches) AS BIGINT) AS breaches",
        );
        scope.rollup(&mut sql, "transition_days", "day");
        sql.push(
            " GROUP BY r.day, r.from_stage_id, r.to_stage_id, r.from_department_id, \
             r.to_department_id, r.actor_user_id",
        );
    } else {
        let day = scope.bucket_key("t.at", Granularity::Day);
        sql.push(&format!(
            "SELECT day, from_stage, to_stage, from_department, to_department, actor, \
             COUNT(*) AS n, SUM(is_return) AS returns, SUM(breach) AS breaches FROM (\
             SELECT {day} AS day, CAST(t.from_stage_id AS BIGINT) AS from_stage, \
             CAST(t.to_stage_id AS BIGINT) AS to_stage, \
             CAST(t.from_department_id AS BIGINT) AS from_department, \
             CAST(t.to_department_id AS BIGINT) AS to_department, \
             CAST(t.actor_user_id AS BIGINT) AS actor, \
             CASE WHEN t.is_return THEN 1 ELSE 0 END AS is_return, "
        ));
        scope.breach(&mut sql);
        sql.push(" AS breach");
        scope.ledger(&mut sql);
        sql.push(
            ") moves GROUP BY day, from_stage, to_stage, from_department, to_department, actor",
        );
    }
    Ok(Row::find_by_statement(sql.statement())
        .all(db)
        .await?
        .into_iter()
        .map(|r| MoveGroup {
            day: r.day,
            from_stage: r.from_stage,
            to_stage: r.to_stage,
            from_department: r.from_department,
            to_department: r.to_department,
            actor: r.actor,
            n: r.n,
            returns: r.returns,
            breaches: r.breaches,
        })
        .collect())
}

/// Deals in the open stages now, per stage and responsible, and how many of them are
/// past the stage's SLA.
#[derive(FromQueryResult)]
struct Load {
    stage: i64,
    responsible: Option<i64>,
    n: i64,
    breached: i64,
}

async fn load_now(db: &impl ConnectionTrait, scope: &Scope<'_>) -> Result<Vec<Load>, AppError> {
    let open: Vec<i32> = scope.open_stages().iter().map(|s| s.id.0).collect();
    let mut sql = scope.sql();
    sql.push(
        "SELECT stage, responsible, COUNT(*) AS n, SUM(breached) AS breached FROM (\
         SELECT CAST(d.stage_id AS BIGINT) AS stage, \
         CAST(d.responsible_user_id AS BIGINT) AS responsible, ",
    );
    scope.breached_now(&mut sql);
    sql.push(" AS breached FROM deals d WHERE d.pipeline_id = ")
        .bind(scope.pipeline.id.0)
        .push(" AND ")
        .in_list("d.stage_id", &open);
    scope.deal_conditions(&mut sql);
    sql.push(") open_deals GROUP BY stage, responsible");
    Ok(Load::find_by_statement(sql.statement()).all(db).await?)
}

/// The deals longest past their stage's SLA: the oldest entries of each stage with an SLA
/// (the board's stage index serves each), merged by how far past they are.
async fn breached_deals(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    stages: &[&StageView],
    people: &HashMap<UserId, String>,
) -> Result<Vec<BreachedDeal>, AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i32,
        title: String,
        stage_entered_at: DateTime<Utc>,
        responsible_user_id: Option<i32>,
    }
    let mut found = Vec::new();
    for stage in stages.iter().filter(|s| s.kind == StageKind::Open) {
        let (Some(cutoff), Some(sla)) = (scope.sla_cutoff(stage), stage.sla_seconds) else {
            continue;
        };
        let mut sql = scope.sql();
        sql.push(
            "SELECT d.id, d.title, d.stage_entered_at, d.responsible_user_id \
             FROM deals d WHERE d.pipeline_id = ",
        )
        .bind(scope.pipeline.id.0)
        .push(" AND d.stage_id = ")
        .bind(stage.id.0)
        .push(" AND d.stage_entered_at < ")
        .bind(cutoff);
        scope.deal_conditions(&mut sql);
        sql.push(&format!(
            " ORDER BY d.stage_entered_at, d.id LIMIT {BREACH_LIST_LEN}"
        ));
        for row in Row::find_by_statement(sql.statement()).all(db).await? {
            found.push(BreachedDeal {
                deal: crate::deal::DealId(row.id),
                title: row.title,
                stage: stage.id,
                stage_name: stage.name.clone(),
                responsible: row
                    .responsible_user_id
                    .and_then(|id| people.get(&UserId(id)).cloned()),
                entered_at: row.stage_entered_at,
                overdue: (scope.now - row.stage_entered_at).num_seconds() - sla,
            });
        }
    }
    found.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.deal.cmp(&b.deal)));
    found.truncate(BREACH_LIST_LEN);
    Ok(found)
}
