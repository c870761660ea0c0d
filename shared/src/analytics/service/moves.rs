//! Moves grouped by day, route and actor; the deals open now; the deals in breach.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::rollup::Rollup;
use super::scope::Scope;
use crate::analytics::{BREACH_LIST_LEN, BreachedDeal, Granularity};
use crate::error::AppError;
use crate::pipeline::{StageKind, StageView};
use crate::user::UserId;

/// Moves in the period grouped by day, route (stage and department at the time) and who
/// made them; the people, SLA and trend figures are sums over these groups.
pub(super) struct MoveGroup {
    /// Days from 1970-01-01 (UTC).
    pub(super) day: i64,
    /// `None`: the deal was created.
    pub(super) from_stage: Option<i64>,
    pub(super) to_stage: i64,
    pub(super) from_department: Option<i64>,
    pub(super) to_department: Option<i64>,
    pub(super) actor: Option<i64>,
    pub(super) n: i64,
    pub(super) returns: i64,
    /// Visits closed after their stage's SLA ran out.
    pub(super) breaches: i64,
}

/// One row of `move_groups`' query.
#[derive(FromQueryResult)]
struct MoveRow {
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

impl From<MoveRow> for MoveGroup {
    fn from(r: MoveRow) -> MoveGroup {
        MoveGroup {
            day: r.day,
            from_stage: r.from_stage,
            to_stage: r.to_stage,
            from_department: r.from_department,
            to_department: r.to_department,
            actor: r.actor,
            n: r.n,
            returns: r.returns,
            breaches: r.breaches,
        }
    }
}

/// The period's moves from the rollup, by whole days.
pub(super) async fn move_groups(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<MoveGroup>, AppError> {
    let mut sql = scope.sql();
    sql.push(
        "SELECT r.day AS day, CAST(NULLIF(r.from_stage_id, 0) AS BIGINT) AS from_stage, \
         CAST(r.to_stage_id AS BIGINT) AS to_stage, \
         CAST(NULLIF(r.from_department_id, 0) AS BIGINT) AS from_department, \
         CAST(NULLIF(r.to_department_id, 0) AS BIGINT) AS to_department, \
         CAST(NULLIF(r.actor_user_id, 0) AS BIGINT) AS actor, \
         CAST(SUM(r.moves) AS BIGINT) AS n, CAST(SUM(r.returns) AS BIGINT) AS returns, \
         CAST(SUM(r.breaches) AS BIGINT) AS breaches",
    );
    scope.rollup(&mut sql, Rollup::TransitionDays);
    sql.push(
        " GROUP BY r.day, r.from_stage_id, r.to_stage_id, r.from_department_id, \
         r.to_department_id, r.actor_user_id",
    );
    let rows = MoveRow::find_by_statement(sql.statement()).all(db).await?;
    Ok(rows.into_iter().map(MoveGroup::from).collect())
}

/// The moves between the scope's two instants (`start..end`, which need not be whole UTC
/// days: the digest's day is the person's local day), from the ledger.
pub(super) async fn move_groups_between(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<MoveGroup>, AppError> {
    let mut sql = scope.sql();
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
    sql.push(") moves GROUP BY day, from_stage, to_stage, from_department, to_department, actor");
    let rows = MoveRow::find_by_statement(sql.statement()).all(db).await?;
    Ok(rows.into_iter().map(MoveGroup::from).collect())
}

/// Deals in the open stages now, per stage and responsible, and how many of them are
/// past the stage's SLA.
#[derive(FromQueryResult)]
pub(super) struct Load {
    pub(super) stage: i64,
    pub(super) responsible: Option<i64>,
    pub(super) n: i64,
    pub(super) breached: i64,
}

pub(super) async fn load_now(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
) -> Result<Vec<Load>, AppError> {
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
pub(super) async fn breached_deals(
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
