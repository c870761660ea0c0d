//! The flow dashboard: funnel, time in stage, returns.

use chrono::{DateTime, Utc};

use super::durations::{Grouping, durations};
use super::funnel::funnel;
use super::returns::{return_reasons, returns, returns_by_person};
use super::rollup::{Copies, Rollup, open_dashboard};
use super::scope::{Resolved, department_key, department_names, people_names, resolve};
use crate::access::Actor;
use crate::analytics::rules::DurationSummary;
use crate::analytics::{AnalyticsFilter, AnalyticsView, DepartmentTime, StageTimeRow};
use crate::error::AppError;

/// Every figure of the analytics page for one filter, over what the actor may see.
pub async fn load_analytics(
    db: &impl super::FactsSource,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<AnalyticsView, AppError> {
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
            rollups: &[
                Rollup::TransitionDays,
                Rollup::CohortDays,
                Rollup::VisitBins,
                Rollup::ReturnReasonDays,
            ],
            visits_by_day: false,
        },
    )
    .await?;
    let db = &txn;
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
    txn.rollback().await?;
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
