//! Tasks in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{NewTask, TaskView};
use crate::timeline::Subject;

/// Something to do by a time, for one person, about a deal, a client or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTask {
    pub id: i32,
    pub title: String,
    pub due_at: DateTime<Utc>,
    pub assignee_id: i32,
    pub deal_id: Option<i32>,
    pub client_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

impl From<TaskView> for ApiTask {
    fn from(task: TaskView) -> Self {
        let (deal_id, client_id) = match task.subject.map(|(subject, _)| subject) {
            Some(Subject::Deal(deal)) => (Some(deal.0), None),
            Some(Subject::Client(client)) => (None, Some(client.0)),
            None => (None, None),
        };
        ApiTask {
            id: task.id.0,
            title: task.title,
            due_at: task.due_at,
            assignee_id: task.assignee.0,
            deal_id,
            client_id,
            created_at: task.created_at,
            done_at: task.done_at,
        }
    }
}

/// A new task; about a deal or a client (not both), for the token's user unless an
/// assignee who may see the record is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiTaskCreate {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: String,
    pub due_at: DateTime<Utc>,
    #[serde(default)]
    pub assignee_id: Option<i32>,
    #[serde(default)]
    pub deal_id: Option<i32>,
    #[serde(default)]
    pub client_id: Option<i32>,
}

impl ApiTaskCreate {
    /// The task the service takes; naming both a deal and a client is refused.
    pub fn into_new(self) -> Result<NewTask, crate::AppError> {
        let subject = match (self.deal_id, self.client_id) {
            (Some(_), Some(_)) => {
                return Err(crate::AppError::validation(
                    crate::Field::Client,
                    crate::Rule::UnknownValue,
                ));
            }
            (Some(deal), None) => Some(Subject::Deal(crate::deal::DealId(deal))),
            (None, Some(client)) => Some(Subject::Client(crate::client::ClientId(client))),
            (None, None) => None,
        };
        Ok(NewTask {
            title: self.title,
            due_at: self.due_at,
            assignee: self.assignee_id.map(crate::user::UserId),
            subject,
        })
    }
}

/// Ticks a task done, or opens it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiTaskDone {
    pub done: bool,
}
