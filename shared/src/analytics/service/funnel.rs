//! The funnel: deals entering, reaching and lost at each stage.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::rollup::Rollup;
use super::scope::{Scope, key_counts};
use crate::analytics::{Funnel, FunnelStage};
use crate::error::AppError;
use crate::pipeline::{PipelineView, StageId, StageKind};

pub(super) async fn funnel(
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
    let (entered, reached, created, losses) = counts(db, scope, &closed).await?;
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

/// The counts from the rollups: an entry counts a distinct deal when the deal's previous
/// entry into that stage fell before the period (or never happened).
async fn counts(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    closed: &[i32],
) -> Result<FunnelCounts, AppError> {
    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.to_stage_id AS BIGINT) AS grp, CAST(SUM(r.moves) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::TransitionDays);
    scope.rollup_department(&mut sql, "to");
    sql.push(" AND r.prev_entry_day < ")
        .bind(scope.days().0)
        .push(" GROUP BY r.to_stage_id");
    let entered = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.to_stage_id AS BIGINT) AS grp, CAST(SUM(r.deals) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::CohortDays);
    sql.push(" GROUP BY r.to_stage_id");
    let reached = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(NULL AS BIGINT) AS grp, CAST(COALESCE(SUM(r.moves), 0) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::TransitionDays);
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
    scope.rollup(&mut sql, Rollup::TransitionDays);
    scope.rollup_department(&mut sql, "from");
    sql.push(" AND r.from_stage_id <> 0 AND r.prev_entry_day < ")
        .bind(scope.days().0)
        .push(" AND ")
        .in_list("r.to_stage_id", closed)
        .push(" GROUP BY r.from_stage_id, r.to_stage_id");
    let losses = Loss::find_by_statement(sql.statement()).all(db).await?;
    Ok((entered, reached, created, losses))
}
