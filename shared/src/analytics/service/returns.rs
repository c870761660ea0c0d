//! Returns for rework: per stage and route, per person, and their reasons.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::rollup::Rollup;
use super::scope::{Scope, key_counts};
use crate::analytics::{PersonReturns, ReturnReason, ReturnRoute, StageReturns};
use crate::error::AppError;
use crate::pipeline::{PipelineView, StageId};
use crate::user::UserId;

/// The most common return reasons shown.
pub(super) const TOP_REASONS: u64 = 10;

pub(super) async fn returns(
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
    sql.push(
        "SELECT CAST(r.from_stage_id AS BIGINT) AS from_stage, \
         CAST(r.to_stage_id AS BIGINT) AS to_stage, CAST(SUM(r.moves) AS BIGINT) AS moves, \
         CAST(SUM(r.returns) AS BIGINT) AS returned",
    );
    scope.rollup(&mut sql, Rollup::TransitionDays);
    scope.rollup_department(&mut sql, "from");
    sql.push(" AND r.from_stage_id <> 0 GROUP BY r.from_stage_id, r.to_stage_id");
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
pub(super) async fn returns_by_person(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    people: &HashMap<UserId, String>,
) -> Result<Vec<PersonReturns>, AppError> {
    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.actor_user_id AS BIGINT) AS grp, CAST(SUM(r.returns) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::TransitionDays);
    scope.rollup_department(&mut sql, "from");
    // `<> 0`, not `> 0`: the rows of a copy summed by subtraction may be negative.
    sql.push(" AND r.returns <> 0 AND r.actor_user_id <> 0 GROUP BY r.actor_user_id");
    let returned = key_counts(db, &sql).await?;

    let mut sql = scope.sql();
    sql.push("SELECT CAST(r.worker_user_id AS BIGINT) AS grp, CAST(SUM(r.returns) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::TransitionDays);
    scope.rollup_department(&mut sql, "from");
    sql.push(" AND r.worker_user_id <> 0 GROUP BY r.worker_user_id");
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
pub(super) async fn return_reasons(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<ReturnReason>, AppError> {
    #[derive(FromQueryResult)]
    struct Reason {
        reason: String,
        n: i64,
    }
    let mut sql = scope.sql();
    sql.push("SELECT r.reason AS reason, CAST(SUM(r.returns) AS BIGINT) AS n");
    scope.rollup(&mut sql, Rollup::ReturnReasonDays);
    scope.rollup_department(&mut sql, "from");
    sql.push(&format!(
        " GROUP BY r.reason ORDER BY n DESC, reason LIMIT {TOP_REASONS}"
    ));
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
