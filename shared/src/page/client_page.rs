//! The client page: the client, their deals the actor may see across pipelines, a
//! company's people, tasks, documents, custom values and the timeline, read for one screen.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::access::Actor;
use crate::client::entity::clients;
use crate::client::service::get_client;
use crate::client::{ClientDeal, ClientId, ClientKind, ClientPage};
use crate::deal::entity::deals;
use crate::deal::{DealId, from_minor};
use crate::error::AppError;
use crate::pipeline::PipelineId;
use crate::user::UserId;

/// Deals the client page lists at most.
const PAGE_DEALS_MAX: u64 = 200;

/// The client page: the client, their deals the actor may see across pipelines, and a
/// company's people.
pub async fn load_client_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ClientId,
    now: DateTime<Utc>,
) -> Result<ClientPage, AppError> {
    let client = get_client(db, actor, id).await?;
    let rows = deals::Entity::find()
        .filter(deals::Column::ClientId.eq(id.0))
        .order_by_desc(deals::Column::UpdatedAt)
        .limit(PAGE_DEALS_MAX)
        .all(db)
        .await?;
    let mut pipelines = HashMap::new();
    let mut deals_seen = Vec::new();
    for deal in rows {
        let pipeline = match pipelines.entry(deal.pipeline_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => slot.insert(
                crate::pipeline::service::load_pipeline(db, PipelineId(deal.pipeline_id)).await?,
            ),
        };
        let stage = pipeline.stage(crate::pipeline::StageId(deal.stage_id));
        if !actor.can_see_deal(
            deal.responsible_user_id.map(UserId),
            stage.and_then(|s| s.department_id),
        ) {
            continue;
        }
        deals_seen.push(ClientDeal {
            id: DealId(deal.id),
            title: deal.title,
            pipeline_name: pipeline.name.clone(),
            stage_name: stage.map(|s| s.name.clone()).unwrap_or_default(),
            stage_color: stage.map(|s| s.color.clone()).unwrap_or_default(),
            amount: deal.amount_minor.map(|m| from_minor(m, &deal.currency)),
            updated_at: deal.updated_at,
        });
    }
    let people = if client.kind == ClientKind::Company {
        clients::Entity::find()
            .filter(clients::Column::CompanyId.eq(id.0))
            .order_by_asc(clients::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|c| (ClientId(c.id), c.name))
            .collect()
    } else {
        Vec::new()
    };
    let titles: Vec<(DealId, String)> =
        deals_seen.iter().map(|d| (d.id, d.title.clone())).collect();
    let timeline = super::timeline::client_timeline(db, id, &titles).await?;
    let tasks = crate::task::service::tasks_of(db, crate::timeline::Subject::Client(id)).await?;
    let documents =
        crate::document::service::documents_of(db, crate::timeline::Subject::Client(id)).await?;
    let custom =
        crate::custom_field::service::values_of(db, crate::timeline::Subject::Client(id), None)
            .await?;
    Ok(ClientPage {
        custom,
        document_categories: crate::document::service::custom_categories(db).await?,
        documents,
        tasks,
        client,
        deals: deals_seen,
        timeline,
        people,
        users: crate::user::service::list_user_names(db).await?,
        now,
    })
}
