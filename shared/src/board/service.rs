//! Loading the board with the viewer's visibility applied in SQL, so counts and sums are
//! exact over what the viewer may see.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{BoardChoices, BoardFilter, BoardUpdate, BoardView, ColumnView, PAGE_SIZE};
use crate::access::Actor;
use crate::access::sql::stage_in;
use crate::client::entity::clients;
use crate::deal::Money;
use crate::deal::entity::deals;
use crate::deal::service::to_views;
use crate::deal::to_minor;
use crate::department::DepartmentId;
use crate::error::AppError;
use crate::pipeline::service::load_pipeline;
use crate::pipeline::{PipelineId, PipelineView, StageId, StageView};

/// The board of one pipeline: every stage with its totals and first page of cards.
/// Whatever the number of stages, this is one grouped query for the counts and sums, one
/// page query per column, and one query each for the cards' clients and people.
pub async fn load_board(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline_id: PipelineId,
    filter: &BoardFilter,
    now: DateTime<Utc>,
) -> Result<BoardView, AppError> {
    filter.check()?;
    let pipeline = load_pipeline(db, pipeline_id).await?;
    let condition = board_condition(db, actor, &pipeline, filter, now).await?;
    let mut totals = load_totals(db, condition.clone()).await?;
    let mut pages = Vec::with_capacity(pipeline.stages.len());
    for stage in &pipeline.stages {
        pages.push(load_page(db, condition.clone(), stage, 0).await?);
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    let mut cards = to_views(db, pages.concat()).await?.into_iter();
    let columns = pipeline
        .stages
        .iter()
        .zip(sizes)
        .map(|(stage, size)| {
            let (count, sums) = totals.remove(&stage.id).unwrap_or_default();
            ColumnView {
                stage: stage.clone(),
                count,
                sums,
                deals: cards.by_ref().take(size).collect(),
            }
        })
        .collect();
    Ok(BoardView {
        pipeline,
        columns,
        now,
    })
}

/// What a board shows of one changed deal: its card if the viewer may see it and the
/// filter lets it through (`None`: it leaves the board), and every column's totals again.
/// A live board applies this in place instead of reloading every column.
pub async fn load_board_update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline_id: PipelineId,
    filter: &BoardFilter,
    deal: crate::deal::DealId,
    now: DateTime<Utc>,
) -> Result<BoardUpdate, AppError> {
    let pipeline = load_pipeline(db, pipeline_id).await?;
    let condition = board_condition(db, actor, &pipeline, filter, now).await?;
    let totals = load_totals(db, condition.clone()).await?;
    let row = deals::Entity::find()
        .filter(condition)
        .filter(deals::Column::Id.eq(deal.0))
        .all(db)
        .await?;
    Ok(BoardUpdate {
        deal,
        card: to_views(db, row).await?.pop(),
        totals: pipeline
            .stages
            .iter()
            .map(|stage| {
                let (count, sums) = totals.get(&stage.id).cloned().unwrap_or_default();
                (stage.id, count, sums)
            })
            .collect(),
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
        custom_fields: crate::custom_field::service::list_fields(db)
            .await?
            .into_iter()
            .filter(|field| {
                field.active
                    && field.entity == crate::custom_field::RecordKind::Deal
                    && field.kind.filter().is_some()
            })
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
    crate::limits::check_at_most(offset, crate::limits::OFFSET_MAX, crate::Field::Page)?;
    let condition = board_condition(db, actor, pipeline, filter, now).await?;
    let (count, sums) = load_totals(
        db,
        condition.clone().add(deals::Column::StageId.eq(stage.id.0)),
    )
    .await?
    .remove(&stage.id)
    .unwrap_or_default();
    let page = load_page(db, condition, stage, offset).await?;
    Ok(ColumnView {
        stage: stage.clone(),
        count,
        sums,
        deals: to_views(db, page).await?,
    })
}

/// Count and sums (minor units per currency) of every stage, in one grouped query.
async fn load_totals(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> Result<HashMap<StageId, StageTotals>, AppError> {
    #[derive(FromQueryResult)]
    struct Group {
        stage_id: i32,
        currency: String,
        deals: i64,
        total: Option<i64>,
    }
    let groups = deals::Entity::find()
        .select_only()
        .column(deals::Column::StageId)
        .column(deals::Column::Currency)
        .column_as(Expr::col(deals::Column::Id).count(), "deals")
        .column_as(
            Expr::col(deals::Column::AmountMinor)
                .sum()
                .cast_as("bigint"),
            "total",
        )
        .filter(condition)
        .group_by(deals::Column::StageId)
        .group_by(deals::Column::Currency)
        .into_model::<Group>()
        .all(db)
        .await?;
    let mut totals: HashMap<StageId, StageTotals> = HashMap::new();
    for group in groups {
        let (count, sums) = totals.entry(StageId(group.stage_id)).or_default();
        *count += u64::try_from(group.deals).unwrap_or_default();
        if let Some(total) = group.total {
            sums.push((group.currency, total));
        }
    }
    for (_, sums) in totals.values_mut() {
        sums.sort();
    }
    Ok(totals)
}

/// A stage's deal count and its sums per currency.
type StageTotals = (u64, Vec<(String, i64)>);

/// One page of a column, newest arrivals first.
async fn load_page(
    db: &impl ConnectionTrait,
    condition: Condition,
    stage: &StageView,
    offset: u64,
) -> Result<Vec<deals::Model>, AppError> {
    Ok(deals::Entity::find()
        .filter(condition)
        .filter(deals::Column::StageId.eq(stage.id.0))
        .order_by_desc(deals::Column::StageEnteredAt)
        .order_by_desc(deals::Column::Id)
        .offset(offset)
        .limit(PAGE_SIZE)
        .all(db)
        .await?)
}

/// Search terms resolve to at most this many client ids once per request; a vaguer term
/// keeps the client lookup as a subquery.
const SEARCH_CLIENT_IDS_MAX: u64 = 1000;

/// What the viewer may see of the pipeline and the filter lets through, over all stages:
/// the same rule as `Actor::can_see_deal`, in SQL, so counts and sums are exact.
async fn board_condition(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline: &PipelineView,
    filter: &BoardFilter,
    now: DateTime<Utc>,
) -> Result<Condition, AppError> {
    let in_pipeline = Condition::all().add(deals::Column::PipelineId.eq(pipeline.id.0));
    filtered(db, actor, pipeline, filter, now, in_pipeline).await
}

/// `base` narrowed by the actor's visibility and the filter.
async fn filtered(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline: &PipelineView,
    filter: &BoardFilter,
    now: DateTime<Utc>,
    base: Condition,
) -> Result<Condition, AppError> {
    filter.check()?;
    let stages_of = |departments: &[DepartmentId]| -> Vec<i32> {
        pipeline
            .stages_of(departments)
            .into_iter()
            .map(|s| s.0)
            .collect()
    };
    let mut condition = base;
    if let Some(visible) = crate::access::sql::deal_condition(&actor.visible_deals(pipeline)) {
        condition = condition.add(visible);
    }
    if let Some(responsible) = filter.responsible {
        condition = condition.add(deals::Column::ResponsibleUserId.eq(responsible.0));
    }
    if let Some(department) = filter.department {
        condition = condition.add(stage_in(stages_of(&[department])));
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
    for custom in
        crate::custom_field::service::board_conditions(db, pipeline.id, &filter.custom).await?
    {
        condition = condition.add(custom);
    }
    if filter.sla_exceeded {
        // Each stage has its own SLA: a deal is late when it entered its stage earlier
        // than that stage's SLA ago. Stages without an SLA are never late.
        let mut late = Condition::any().add(Expr::val(1).eq(0));
        for stage in &pipeline.stages {
            if let Some(sla) = stage.sla_seconds {
                late = late.add(
                    Condition::all()
                        .add(deals::Column::StageId.eq(stage.id.0))
                        .add(deals::Column::StageEnteredAt.lt(now - Duration::seconds(sla))),
                );
            }
        }
        condition = condition.add(late);
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
        let lower_like = |column: clients::Column| {
            Expr::expr(Func::lower(Expr::col(column))).like(pattern.clone())
        };
        let client_matches = Condition::any()
            .add(lower_like(clients::Column::Name))
            .add(lower_like(clients::Column::Phone))
            .add(lower_like(clients::Column::Email));
        // Resolve the matching clients once rather than in every column's queries.
        let ids: Vec<i32> = clients::Entity::find()
            .select_only()
            .column(clients::Column::Id)
            .filter(client_matches.clone())
            .limit(SEARCH_CLIENT_IDS_MAX + 1)
            .into_tuple()
            .all(db)
            .await?;
        let by_client = if ids.len() as u64 > SEARCH_CLIENT_IDS_MAX {
            deals::Column::ClientId.in_subquery(
                Query::select()
                    .column(clients::Column::Id)
                    .from(clients::Entity)
                    .cond_where(client_matches)
                    .to_owned(),
            )
        } else if ids.is_empty() {
            Expr::val(1).eq(0)
        } else {
            deals::Column::ClientId.is_in(ids)
        };
        condition = condition.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(deals::Column::Title))).like(pattern))
                .add(by_client),
        );
    }
    Ok(condition)
}

/// The REST list: deals the actor may see and the filter lets through, in one pipeline or
/// all of them (and in one stage if given), by id after `after`; `limit` of them and
/// whether more follow. The board's rule and filters, paged by a stable key instead of by
/// column.
#[allow(clippy::too_many_arguments)]
pub async fn list_deals_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    pipeline_id: Option<PipelineId>,
    stage_id: Option<StageId>,
    filter: &BoardFilter,
    after: i64,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<(Vec<crate::deal::DealView>, bool), AppError> {
    filter.check()?;
    let pipelines = match pipeline_id {
        Some(id) => vec![load_pipeline(db, id).await?],
        None if !filter.custom.is_empty() => {
            // Custom fields belong to one pipeline.
            return Err(AppError::validation(
                crate::error::Field::Pipeline,
                crate::error::Rule::Required,
            ));
        }
        None => {
            let mut all = Vec::new();
            for (id, _) in crate::pipeline::service::list_pipelines(db).await? {
                all.push(load_pipeline(db, id).await?);
            }
            all
        }
    };
    if pipelines.is_empty() {
        return Ok((Vec::new(), false));
    }
    // Pages go by id. SQLite would take the pipeline's index and sort all its deals by id
    // (25 ms at 100,000); hidden from the planner, the id order is read from the table
    // itself, stopping after a page (under 1 ms). PostgreSQL plans this well as it is.
    let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let mut any = Condition::any();
    for pipeline in &pipelines {
        let in_pipeline = if sqlite {
            // The id is ours (an i32), so writing it into the SQL is safe.
            Condition::all().add(Expr::cust(format!(
                "+\"deals\".\"pipeline_id\" = {}",
                pipeline.id.0
            )))
        } else {
            Condition::all().add(deals::Column::PipelineId.eq(pipeline.id.0))
        };
        any = any.add(filtered(db, actor, pipeline, filter, now, in_pipeline).await?);
    }
    let mut query = deals::Entity::find()
        .filter(any)
        .filter(deals::Column::Id.gt(after));
    if let Some(stage) = stage_id {
        query = query.filter(deals::Column::StageId.eq(stage.0));
    }
    let mut rows = query
        .order_by_asc(deals::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((to_views(db, rows).await?, more))
}
