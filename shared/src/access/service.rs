//! The visibility of one record as a check against the database: whether an actor may see
//! a deal or a client (the subject of a timeline, a task, a document or a comment). The
//! rules themselves are `Actor::can_see_deal` and `Actor::client_scope`; the deal and
//! client use cases and every concept attached to a subject call these, so the rule is
//! applied in one place and `access` sits below all of them.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::Actor;
use crate::client::ClientId;
use crate::client::entity::clients;
use crate::deal::DealId;
use crate::deal::entity::deals;
use crate::error::{AppError, Entity};
use crate::pipeline::{PipelineId, PipelineView, StageId};
use crate::timeline::Subject;
use crate::user::UserId;

/// `NotFound` unless the actor may see the deal or client.
pub async fn ensure_subject_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject: Subject,
) -> Result<(), AppError> {
    match subject {
        Subject::Deal(deal) => visible_deal(db, actor, deal).await.map(drop),
        Subject::Client(client) => visible_client(db, actor, client).await.map(drop),
    }
}

/// Whether an active colleague may see the record (a mention or a task must not leak it).
pub async fn user_can_see(
    db: &impl ConnectionTrait,
    user: UserId,
    subject: Subject,
) -> Result<bool, AppError> {
    let Some((actor, _)) = crate::user::service::load_actor(db, user).await? else {
        return Ok(false);
    };
    match ensure_subject_visible(db, &actor, subject).await {
        Ok(()) => Ok(true),
        Err(AppError::NotFound { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// The deal row and its pipeline if the deal exists and the actor may see it; `NotFound`
/// otherwise (a hidden deal looks like a missing one).
pub(crate) async fn visible_deal(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: DealId,
) -> Result<(deals::Model, PipelineView), AppError> {
    let deal = deals::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            entity: Entity::Deal,
        })?;
    let pipeline =
        crate::pipeline::service::load_pipeline(db, PipelineId(deal.pipeline_id)).await?;
    ensure_deal_visible(actor, &pipeline, &deal)?;
    Ok((deal, pipeline))
}

/// `NotFound` unless the actor may see this deal of `pipeline` (its stage's department and
/// its responsible decide).
pub(crate) fn ensure_deal_visible(
    actor: &Actor,
    pipeline: &PipelineView,
    deal: &deals::Model,
) -> Result<(), AppError> {
    let department = pipeline
        .stage(StageId(deal.stage_id))
        .and_then(|stage| stage.department_id);
    if actor.can_see_deal(deal.responsible_user_id.map(UserId), department) {
        Ok(())
    } else {
        Err(AppError::NotFound {
            entity: Entity::Deal,
        })
    }
}

/// The client row if it exists and the actor may see it; `NotFound` otherwise (a hidden
/// client looks like a missing one).
pub(crate) async fn visible_client(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ClientId,
) -> Result<clients::Model, AppError> {
    let mut query = clients::Entity::find().filter(clients::Column::Id.eq(id.0));
    if let Some(scope) = super::sql::client_condition(&actor.client_scope()) {
        query = query.filter(scope);
    }
    query.one(db).await?.ok_or(AppError::NotFound {
        entity: Entity::Client,
    })
}
