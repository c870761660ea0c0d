//! The deal page: the deal, its pipeline, history and time per stage and department,
//! conclusions, tasks, documents, custom values and the timeline, read for one screen.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::access::Actor;
use crate::deal::service::get_deal;
use crate::deal::{DealCard, DealId};
use crate::department::DepartmentId;
use crate::error::AppError;
use crate::pipeline::service::load_pipeline;

/// Everything the deal page shows: the deal, its pipeline, the history newest first and
/// the time spent per stage and per department (the current visit counted up to `now`).
pub async fn load_deal_card(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: DealId,
    now: DateTime<Utc>,
) -> Result<DealCard, AppError> {
    let deal = get_deal(db, actor, id).await?;
    let pipeline = load_pipeline(db, deal.pipeline_id).await?;
    // `get_deal` above already checked that the actor may see the deal.
    let history = crate::transition::service::history_of_deals(db, &[id], None).await?;
    let time_in_stages = crate::transition::time_in_stages(&history, now);
    let mut time_by_department: Vec<(Option<DepartmentId>, i64)> = Vec::new();
    for row in &time_in_stages {
        match time_by_department
            .iter_mut()
            .find(|(d, _)| *d == row.department)
        {
            Some((_, seconds)) => *seconds += row.seconds,
            None => time_by_department.push((row.department, row.seconds)),
        }
    }
    let departments: Vec<(DepartmentId, String)> = crate::department::service::list_departments(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let conclusion_departments = departments
        .iter()
        .filter(|(id, _)| actor.department_ids.contains(id))
        .cloned()
        .collect();
    let conclusions = crate::conclusion::service::conclusions_of(db, id).await?;
    let users = crate::user::service::list_user_names(db).await?;
    let timeline = super::timeline::deal_timeline(db, id, &history, &conclusions).await?;
    let tasks = crate::task::service::tasks_of(db, crate::timeline::Subject::Deal(id)).await?;
    let documents =
        crate::document::service::documents_of(db, crate::timeline::Subject::Deal(id)).await?;
    let custom = crate::custom_field::service::values_of(
        db,
        crate::timeline::Subject::Deal(id),
        Some(deal.pipeline_id),
    )
    .await?;
    Ok(DealCard {
        deal,
        pipeline,
        history,
        time_in_stages,
        time_by_department,
        departments,
        users,
        conclusions,
        conclusion_departments,
        tasks,
        documents,
        timeline,
        now,
        custom,
        document_categories: crate::document::service::custom_categories(db).await?,
    })
}
