//! Wire types for deals.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::pipeline::{PipelineId, StageId};
use crate::user::UserId;

/// A deal's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DealId(pub i32);

/// An amount of money: a decimal (never a float) and an ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

/// The client a deal is for, as the board card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSummary {
    pub id: i32,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// IANA name, for the client's local time on the cards.
    pub time_zone: Option<String>,
}

/// A deal as the board card and the deal page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealView {
    pub id: DealId,
    pub title: String,
    pub client: Option<ClientSummary>,
    pub amount: Option<Money>,
    pub responsible: Option<UserId>,
    pub responsible_name: Option<String>,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub stage_entered_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change; a change must name the version it was made from.
    pub version: i32,
}

/// A request to create a deal in the first stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDeal {
    pub pipeline_id: PipelineId,
    pub title: String,
    pub client_name: Option<String>,
    pub client_phone: Option<String>,
    pub client_email: Option<String>,
    pub amount: Option<Money>,
    pub responsible: Option<UserId>,
    /// An existing client (the client fields above are then ignored).
    #[serde(default)]
    pub client: Option<crate::client::ClientId>,
    /// Values of the pipeline's custom fields.
    #[serde(default)]
    pub custom: Vec<crate::custom_field::CustomInput>,
}

/// A request to move a deal to another stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveDeal {
    pub deal_id: DealId,
    pub to_stage: StageId,
    /// The version the mover saw; a stale version is refused with 409.
    pub version: i32,
    /// Required for a return for rework.
    pub comment: String,
}

/// What the deal page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealCard {
    pub deal: DealView,
    pub pipeline: crate::pipeline::PipelineView,
    /// Newest first.
    pub history: Vec<crate::transition::TransitionView>,
    pub time_in_stages: Vec<crate::transition::StageTime>,
    pub time_by_department: Vec<(Option<crate::department::DepartmentId>, i64)>,
    pub departments: Vec<(crate::department::DepartmentId, String)>,
    /// Who the deal can be assigned to, for the edit form.
    pub users: Vec<(UserId, String)>,
    /// Every department's conclusions, newest first.
    pub conclusions: Vec<crate::conclusion::ConclusionView>,
    /// The departments the viewer may write a conclusion for (their own).
    pub conclusion_departments: Vec<(crate::department::DepartmentId, String)>,
    /// The deal's documents, newest first.
    pub documents: Vec<crate::document::DocumentView>,
    /// The deal's tasks, open ones first.
    pub tasks: Vec<crate::task::TaskView>,
    /// Transitions, field changes, conclusions, comments and tasks, newest first.
    pub timeline: Vec<crate::timeline::TimelineEntry>,
    /// The server's clock when the card was read (the client's local time).
    pub now: DateTime<Utc>,
    /// The deal's custom fields and values.
    pub custom: crate::custom_field::CustomValues,
    /// The admins' document categories (the upload form offers the active ones).
    pub document_categories: Vec<crate::document::DocumentCategory>,
}

/// A request to change a deal's fields. Every field is the new value (the form sends them
/// all); `version` is the one the editor started from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateDeal {
    pub deal_id: DealId,
    pub version: i32,
    pub title: String,
    /// A blank name detaches the client from the deal.
    pub client_name: Option<String>,
    pub client_phone: Option<String>,
    pub client_email: Option<String>,
    pub amount: Option<Money>,
    pub responsible: Option<UserId>,
    /// Custom field values to change; fields not named keep their values.
    #[serde(default)]
    pub custom: Vec<crate::custom_field::CustomInput>,
}
