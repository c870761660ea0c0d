//! Loading the board with the viewer's visibility applied in SQL, so counts and sums are
//! exact over what the viewer may see.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{BoardChoices, BoardFilter, BoardView, ColumnView, PAGE_SIZE};
use crate::access::{Actor, DealScope};
use crate::deal::Money;
use crate::deal::entity::{clients, deals};
use crate::deal::service::to_views;
use crate::deal::to_minor;
use crate::error::AppError;
use crate::pipeline::service::load_pipeline;
use crate::pipeline::{PipelineId, PipelineView, StageView};

/// The board of one pipeline: every stage with its totals and first page of cards.
pub async fn load_board(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline_id: PipelineId,
    filter: &BoardFilter,
    now: DateTime<Utc>,
) -> Result<BoardView, AppError> {
    let pipeline = load_pipeline(db, pipeline_id).await?;
    let mut columns = Vec::with_capacity(pipeline.stages.len());
    for stage in &pipeline.stages {
        columns.push(load_column(db, actor, &pipeline, stage, filter, 0, now).await?);
    }
    Ok(BoardView {
        pipeline,
        columns,
        now,
    })
}

/// The pipelines, people and departments the board's switch and filters offer.
pub async fn load_choices(db: &impl ConnectionTrait) -> Result<BoardChoices, AppError> {
    Ok(BoardChoices {
        pipelines: crate::pipeline::service::list_pipelines(db).await?,
        users: crate::user::service::list_user_names(db).await?,
        departments: crate::department::service::list_departments(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect(),
    })
}

/// One column with a page of cards starting at `offset` (for "load more").
pub async fn load_column(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline: &PipelineView,
    stage: &StageView,
    filter: &BoardFilter,
    offset: u64,
    now: DateTime<Utc>,
) -> Result<ColumnView, AppError> {
    let condition = column_condition(actor, pipeline, stage, filter, now)?;
    let count = deals::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    #[derive(FromQueryResult)]
    struct Sum {
        currency: String,
        total: Option<i64>,
    }
    let sums = deals::Entity::find()
        .select_only()
        .column(deals::Column::Currency)
        .column_as(
            Expr::col(deals::Column::AmountMinor)
                .sum()
                .cast_as("bigint"),
            "total",
        )
        .filter(condition.clone())
        .filter(deals::Column::AmountMinor.is_not_null())
        .group_by(deals::Column::Currency)
        .into_model::<Sum>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|sum| sum.total.map(|total| (sum.currency, total)))
        .collect();
    let page = deals::Entity::find()
        .filter(condition)
        .order_by_desc(deals::Column::StageEnteredAt)
        .order_by_desc(deals::Column::Id)
        .offset(offset)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok(ColumnView {
        stage: stage.clone(),
        count,
        sums,
        deals: to_views(db, page).await?,
    })
}

fn column_condition(
    actor: &Actor,
    pipeline: &PipelineView,
    stage: &StageView,
    filter: &BoardFilter,
    now: DateTime<Utc>,
) -> Result<Condition, AppError> {
    let mut condition = Condition::all()
        .add(deals::Column::PipelineId.eq(pipeline.id.0))
        .add(deals::Column::StageId.eq(stage.id.0));
    // Visibility: the same rule as `Actor::can_see_deal`, in SQL.
    match actor.deal_scope() {
        DealScope::All => {}
        DealScope::Departments {
            user_id,
            department_ids,
        } => {
            let in_my_department = stage
                .department_id
                .is_some_and(|d| department_ids.contains(&d));
            if !in_my_department {
                condition = condition.add(deals::Column::ResponsibleUserId.eq(user_id.0));
            }
        }
        DealScope::Own { user_id } => {
            condition = condition.add(deals::Column::ResponsibleUserId.eq(user_id.0));
        }
    }
    if let Some(responsible) = filter.responsible {
        condition = condition.add(deals::Column::ResponsibleUserId.eq(responsible.0));
    }
    if let Some(department) = filter.department
        && stage.department_id != Some(department)
    {
        // No deal in this column belongs to the chosen department.
        condition = condition.add(Expr::val(1).eq(0));
    }
    let minor = |amount| {
        to_minor(&Money {
            amount,
            currency: String::new(),
        })
    };
    if let Some(min) = filter.amount_min {
        condition = condition.add(deals::Column::AmountMinor.gte(minor(min)?));
    }
    if let Some(max) = filter.amount_max {
        condition = condition.add(deals::Column::AmountMinor.lte(minor(max)?));
    }
    if let Some(from) = filter.created_from {
        condition =
            condition.add(deals::Column::CreatedAt.gte(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(to) = filter.created_to.and_then(|to| to.succ_opt()) {
        condition =
            condition.add(deals::Column::CreatedAt.lt(to.and_time(NaiveTime::MIN).and_utc()));
    }
    if filter.sla_exceeded {
        match stage.sla_seconds {
            Some(sla) => {
                condition =
                    condition.add(deals::Column::StageEnteredAt.lt(now - Duration::seconds(sla)))
            }
            None => condition = condition.add(Expr::val(1).eq(0)),
        }
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        let matching_clients = Query::select()
            .column(clients::Column::Id)
            .from(clients::Entity)
            .cond_where(
                Condition::any()
                    .add(
                        Expr::expr(Func::lower(Expr::col(clients::Column::Name)))
                            .like(pattern.clone()),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(clients::Column::Phone)))
                            .like(pattern.clone()),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(clients::Column::Email)))
                            .like(pattern.clone()),
                    ),
            )
            .to_owned();
        condition = condition.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(deals::Column::Title))).like(pattern))
                .add(deals::Column::ClientId.in_subquery(matching_clients)),
        );
    }
    Ok(condition)
}
