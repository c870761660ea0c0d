//! The visibility rules of `access` as query conditions, so the board, search, counts and
//! the client list filter by the same rule the services check one record with.

use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{ColumnTrait, ExprTrait};

use super::{ClientScope, VisibleDeals};
use crate::client::entity::clients;
use crate::deal::entity::deals;

/// The condition on `deals` rows the actor may see; `None` when they see every deal.
pub fn deal_condition(visible: &VisibleDeals) -> Option<Condition> {
    match visible {
        VisibleDeals::All => None,
        VisibleDeals::StagesOrResponsible { stage_ids, user_id } => Some(
            Condition::any()
                .add(stage_in(stage_ids.iter().map(|s| s.0).collect()))
                .add(deals::Column::ResponsibleUserId.eq(user_id.0)),
        ),
        VisibleDeals::Responsible { user_id } => {
            Some(Condition::all().add(deals::Column::ResponsibleUserId.eq(user_id.0)))
        }
    }
}

/// Deals at one of these stages (none at all for an empty list).
pub fn stage_in(stage_ids: Vec<i32>) -> Condition {
    if stage_ids.is_empty() {
        Condition::all().add(Expr::val(1).eq(0))
    } else {
        Condition::all().add(deals::Column::StageId.is_in(stage_ids))
    }
}

/// The condition on `clients` rows the actor may see; `None` when they see every client.
pub fn client_condition(scope: &ClientScope) -> Option<Condition> {
    match scope {
        ClientScope::All => None,
        ClientScope::Own { user_id } => Some(
            Condition::any()
                .add(clients::Column::ResponsibleUserId.eq(user_id.0))
                .add(
                    clients::Column::Id.in_subquery(
                        Query::select()
                            .column(deals::Column::ClientId)
                            .from(deals::Entity)
                            .and_where(deals::Column::ResponsibleUserId.eq(user_id.0))
                            .and_where(deals::Column::ClientId.is_not_null())
                            .to_owned(),
                    ),
                ),
        ),
    }
}
