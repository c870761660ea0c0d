use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::client::ClientId;
use crate::conclusion::Verdict;
use crate::deal::DealId;
use crate::error::Field;

/// What a timeline, a comment or a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Deal(DealId),
    Client(ClientId),
}

impl Subject {
    /// The page that shows the record.
    pub fn page(self) -> String {
        match self {
            Subject::Deal(deal) => format!("/deals/{}", deal.0),
            Subject::Client(client) => format!("/clients/{}", client.0),
        }
    }

    /// The subject of a row that points at a deal or a client (a deal wins if both).
    pub fn from_ids(deal: Option<i32>, client: Option<i32>) -> Option<Subject> {
        match (deal, client) {
            (Some(deal), _) => Some(Subject::Deal(DealId(deal))),
            (None, Some(client)) => Some(Subject::Client(ClientId(client))),
            (None, None) => None,
        }
    }
}

/// How a custom field's change is coded in `field_changes.field`.
pub const CUSTOM_PREFIX: &str = "custom:";

/// One changed field, as people read it (names rather than ids, money with its currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `Field::CustomField` for a custom field, named by `custom`.
    pub field: Field,
    #[serde(default)]
    pub custom: Option<crate::custom_field::CustomFieldRef>,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldChange {
    /// The `field_changes.field` code: `Field::as_str`, or `custom:<id>`.
    pub fn code(&self) -> String {
        match &self.custom {
            Some(custom) => format!("{CUSTOM_PREFIX}{}", custom.id.0),
            None => self.field.as_str().to_owned(),
        }
    }

    /// A change when the values differ; `None` otherwise.
    pub fn between(field: Field, old: Option<String>, new: Option<String>) -> Option<Self> {
        (old != new).then_some(FieldChange {
            field,
            custom: None,
            old,
            new,
        })
    }
}

/// The kinds the timeline can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Move,
    Change,
    Conclusion,
    Comment,
    Task,
    Document,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 6] = [
        TimelineKind::Move,
        TimelineKind::Change,
        TimelineKind::Conclusion,
        TimelineKind::Comment,
        TimelineKind::Task,
        TimelineKind::Document,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineDetail {
    Move {
        from: Option<String>,
        to: String,
        is_return: bool,
        comment: String,
        seconds_in_from: Option<i64>,
    },
    Change(FieldChange),
    Conclusion {
        department: String,
        verdict: Verdict,
        text: String,
        corrects: bool,
    },
    Comment {
        text: String,
    },
    /// A file was uploaded: a new document (version 1) or a new version of one.
    Document {
        name: String,
        file_name: String,
        version: i32,
    },
    /// A task was set (`done: false`, at its creation) or done (at its completion).
    Task {
        title: String,
        due_at: DateTime<Utc>,
        assignee: String,
        done: bool,
    },
}

impl TimelineDetail {
    pub fn kind(&self) -> TimelineKind {
        match self {
            TimelineDetail::Move { .. } => TimelineKind::Move,
            TimelineDetail::Change(_) => TimelineKind::Change,
            TimelineDetail::Conclusion { .. } => TimelineKind::Conclusion,
            TimelineDetail::Comment { .. } => TimelineKind::Comment,
            TimelineDetail::Task { .. } => TimelineKind::Task,
            TimelineDetail::Document { .. } => TimelineKind::Document,
        }
    }
}

/// One event in a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// `None` for the system.
    pub actor_name: Option<String>,
    /// On a client's timeline, the deal an event happened to.
    pub deal: Option<(DealId, String)>,
    pub detail: TimelineDetail,
}
