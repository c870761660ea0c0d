//! The digest's figures over every pipeline.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::moves::{breached_deals, load_now, move_groups_between};
use super::scope::{Scope, count, people_names};
use super::zone::zone_of;
use crate::access::Actor;
use crate::analytics::{AnalyticsFilter, DaySummary};
use crate::error::AppError;
use crate::pipeline::service::{list_pipelines, load_pipeline};
use crate::pipeline::{StageId, StageKind, StageView};

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
    let zone = zone_of(db, actor).await?;
    let mut summary = DaySummary::default();
    for (id, name) in list_pipelines(db).await? {
        let pipeline = load_pipeline(db, id).await?;
        let filter = AnalyticsFilter {
            pipeline: Some(id),
            from: Some(start.date_naive()),
            to: Some(end.date_naive()),
            ..AnalyticsFilter::default()
        };
        let mut scope = Scope::new(
            db.get_database_backend(),
            actor,
            &pipeline,
            &filter,
            zone,
            now,
        )?;
        (scope.start, scope.end) = (start, end);
        for m in move_groups_between(db, &scope).await? {
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
