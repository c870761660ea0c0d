//! Wire types for the transition ledger.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::pipeline::StageId;
use crate::user::UserId;

/// One move of a deal, as recorded at the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionView {
    pub id: i64,
    pub deal_id: DealId,
    /// `None` for the deal's creation.
    pub from_stage: Option<StageId>,
    pub to_stage: StageId,
    /// Stage names as they were when the move happened.
    pub from_stage_name: Option<String>,
    pub to_stage_name: String,
    pub from_department: Option<DepartmentId>,
    pub to_department: Option<DepartmentId>,
    pub actor: Option<UserId>,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
    pub comment: String,
    pub is_return: bool,
    /// Time spent in the stage left; `None` for the creation.
    pub seconds_in_from: Option<i64>,
}
