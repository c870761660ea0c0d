//! Reading the ledger with the actors' names.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::TransitionView;
use super::entity::transitions;
use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::error::AppError;
use crate::pipeline::StageId;
use crate::user::UserId;

/// The ledger rows of these deals, newest first (at most `limit`), with actor names; the
/// caller checked access.
pub async fn history_of_deals(
    db: &impl ConnectionTrait,
    deals: &[DealId],
    limit: Option<u64>,
) -> Result<Vec<TransitionView>, AppError> {
    let rows = transitions::Entity::find()
        .filter(transitions::Column::DealId.is_in(deals.iter().map(|d| d.0)))
        .order_by_desc(transitions::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let people = crate::user::service::all_user_names(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| TransitionView {
            id: row.id,
            deal_id: DealId(row.deal_id),
            from_stage: row.from_stage_id.map(StageId),
            to_stage: StageId(row.to_stage_id),
            from_stage_name: row.from_stage_name,
            to_stage_name: row.to_stage_name,
            from_department: row.from_department_id.map(DepartmentId),
            to_department: row.to_department_id.map(DepartmentId),
            actor: row.actor_user_id.map(UserId),
            // A token's or a rule's label names it even when a person is behind it.
            actor_name: row.actor_label.or_else(|| {
                row.actor_user_id
                    .and_then(|id| people.get(&UserId(id)).cloned())
            }),
            at: row.at,
            comment: row.comment,
            is_return: row.is_return,
            seconds_in_from: row.seconds_in_from,
        })
        .collect())
}
