use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::timeline::Subject;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone mentioned the person in a comment.
    Mention,
    /// One of the person's tasks is due.
    TaskDue,
    /// A webhook the person subscribed was paused (every attempt at a delivery failed) or
    /// disabled (its receiver answered 410 Gone); the text is its URL.
    WebhookStopped,
    /// An automation rule's message about a deal.
    Automation,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::TaskDue => "task_due",
            NotificationKind::WebhookStopped => "webhook_stopped",
            NotificationKind::Automation => "automation",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        [
            NotificationKind::Mention,
            NotificationKind::TaskDue,
            NotificationKind::WebhookStopped,
            NotificationKind::Automation,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: i32,
    pub kind: NotificationKind,
    /// Who caused it.
    pub actor_name: Option<String>,
    /// What it is about, and its title or name.
    pub subject: Option<(Subject, String)>,
    /// An excerpt (of the comment).
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationList {
    /// Newest first.
    pub items: Vec<NotificationView>,
    pub unread: u64,
}
