//! The trends dashboard.

use chrono::{DateTime, Utc};

use super::durations::{Grouping, durations};
use super::moves::move_groups;
use super::rollup::{Copies, Rollup, open_dashboard};
use super::scope::{Resolved, count, resolve};
use crate::access::Actor;
use crate::analytics::rules::{DurationSummary, bucket_start, buckets, epoch_day, from_epoch_day};
use crate::analytics::{AnalyticsFilter, TrendPoint, TrendsView};
use crate::error::AppError;
use crate::pipeline::StageKind;

/// Trends: each figure per day, week or month of the period.
pub async fn load_trends(
    db: &impl super::FactsSource,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<TrendsView, AppError> {
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
            rollups: &[Rollup::TransitionDays, Rollup::VisitBins],
            visits_by_day: true,
        },
    )
    .await?;
    let db = &txn;
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
    txn.rollback().await?;
    Ok(TrendsView {
        pipeline,
        filter,
        today,
        points,
    })
}
