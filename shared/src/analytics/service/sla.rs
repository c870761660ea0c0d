//! The SLA dashboard.

use chrono::{DateTime, Utc};

use super::moves::{breached_deals, load_now, move_groups};
use super::rollup::{Copies, Rollup, open_dashboard};
use super::scope::{Resolved, count, department_names, people_names, resolve};
use crate::access::Actor;
use crate::analytics::rules::{bucket_start, buckets, from_epoch_day};
use crate::analytics::{AnalyticsFilter, SlaPoint, SlaView, StageSla};
use crate::department::DepartmentId;
use crate::error::AppError;
use crate::pipeline::StageView;

/// SLA: breaches per stage and department, over time, and the deals in breach now. A
/// visit is in breach when it lasts longer than its stage's SLA; a closed visit counts on
/// the day it ended.
pub async fn load_sla(
    db: &impl super::FactsSource,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<SlaView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
        zone,
    } = resolve(db, actor, filter, now).await?;
    let (txn, scope) = open_dashboard(
        db,
        actor,
        &pipeline,
        &filter,
        zone,
        now,
        Copies {
            rollups: &[Rollup::TransitionDays],
            visits_by_day: true,
        },
    )
    .await?;
    let db = &txn;
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
    txn.rollback().await?;
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
