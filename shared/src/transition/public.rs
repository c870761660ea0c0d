//! The ledger of moves in the REST API's public shape (v1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::TransitionView;

/// One move of a deal (or its creation, with no `from_stage_id`), as it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTransition {
    pub id: i64,
    pub deal_id: i32,
    pub from_stage_id: Option<i32>,
    pub to_stage_id: i32,
    /// Stage names as they were at the time.
    pub from_stage_name: Option<String>,
    pub to_stage_name: String,
    pub at: DateTime<Utc>,
    /// The person who moved it (for a token, its user).
    pub actor_id: Option<i32>,
    /// Who moved it as history shows it: a person's name, "API: …", "Rule: …".
    pub actor_name: Option<String>,
    pub comment: String,
    /// A return for rework.
    pub is_return: bool,
    /// Seconds the deal spent in the stage it left.
    pub seconds_in_from: Option<i64>,
}

impl From<TransitionView> for ApiTransition {
    fn from(t: TransitionView) -> Self {
        ApiTransition {
            id: t.id,
            deal_id: t.deal_id.0,
            from_stage_id: t.from_stage.map(|s| s.0),
            to_stage_id: t.to_stage.0,
            from_stage_name: t.from_stage_name,
            to_stage_name: t.to_stage_name,
            at: t.at,
            actor_id: t.actor.map(|u| u.0),
            actor_name: t.actor_name,
            comment: t.comment,
            is_return: t.is_return,
            seconds_in_from: t.seconds_in_from,
        }
    }
}
