use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::timeline::Subject;
use crate::user::UserId;

pub const TITLE_MAX: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub i32);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub title: String,
    pub due_at: DateTime<Utc>,
    /// Whoever creates the task when `None`.
    pub assignee: Option<UserId>,
    pub subject: Option<Subject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: TaskId,
    pub title: String,
    pub due_at: DateTime<Utc>,
    pub assignee: UserId,
    pub assignee_name: String,
    /// The deal or client, with its title or name.
    pub subject: Option<(Subject, String)>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by_name: Option<String>,
}

impl TaskView {
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && self.due_at < now
    }
}

/// The "my tasks" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTasks {
    /// Open tasks by due time: the overdue ones come first.
    pub open: Vec<TaskView>,
    /// The most recently done.
    pub done: Vec<TaskView>,
    pub users: Vec<(UserId, String)>,
    pub now: DateTime<Utc>,
}
