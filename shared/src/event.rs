//! Domain events: every change a use case commits writes one row to the `events` table in
//! the same transaction (the outbox, `event::outbox`). The row's `data` is the public,
//! versioned shape that the live stream, the event log of the API and webhooks send; its
//! `audience` says whose live stream may carry it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::client::ClientId;
use crate::deal::{DealId, DealView, Money};
use crate::department::DepartmentId;
use crate::pipeline::{PipelineId, StageId};
use crate::timeline::{FieldChange, Subject};
use crate::user::UserId;

pub mod public;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod outbox;

/// The version of the public shapes below; bumped on a change that is not an addition.
pub const SCHEMA_VERSION: u16 = 1;

/// A deal as events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealData {
    pub id: DealId,
    pub title: String,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub client_id: Option<i32>,
    pub amount: Option<Money>,
    pub responsible_id: Option<UserId>,
    pub stage_entered_at: DateTime<Utc>,
    pub version: i32,
}

impl From<&DealView> for DealData {
    fn from(deal: &DealView) -> Self {
        DealData {
            id: deal.id,
            title: deal.title.clone(),
            pipeline_id: deal.pipeline_id,
            stage_id: deal.stage_id,
            client_id: deal.client.as_ref().map(|c| c.id),
            amount: deal.amount.clone(),
            responsible_id: deal.responsible,
            stage_entered_at: deal.stage_entered_at,
            version: deal.version,
        }
    }
}

/// What happened, with the facts each kind carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    #[serde(rename = "deal.created")]
    DealCreated { deal: DealData },
    /// Forward (or sideways) along the pipeline.
    #[serde(rename = "deal.moved")]
    DealMoved {
        deal: DealData,
        from_stage_id: StageId,
        comment: String,
    },
    /// Back for rework, with the reason.
    #[serde(rename = "deal.returned")]
    DealReturned {
        deal: DealData,
        from_stage_id: StageId,
        comment: String,
    },
    /// Its fields or custom values changed.
    #[serde(rename = "deal.updated")]
    DealUpdated {
        deal: DealData,
        changes: Vec<FieldChange>,
    },
    #[serde(rename = "client.created")]
    ClientCreated { client_id: ClientId, name: String },
    #[serde(rename = "client.updated")]
    ClientUpdated {
        client_id: ClientId,
        changes: Vec<FieldChange>,
    },
    #[serde(rename = "conclusion.added")]
    ConclusionAdded {
        conclusion_id: i32,
        deal_id: DealId,
        department_id: DepartmentId,
        verdict: String,
    },
    #[serde(rename = "comment.added")]
    CommentAdded {
        comment_id: i32,
        subject: Subject,
        mentioned: Vec<UserId>,
    },
    #[serde(rename = "document.version_added")]
    DocumentVersionAdded {
        document_id: i32,
        version: i32,
        subject: Subject,
        file_name: String,
    },
    #[serde(rename = "task.created")]
    TaskCreated {
        task_id: i32,
        subject: Option<Subject>,
        assignee_id: UserId,
        due_at: DateTime<Utc>,
    },
    #[serde(rename = "task.done")]
    TaskDone {
        task_id: i32,
        subject: Option<Subject>,
        done: bool,
    },
    /// A task's due time came while it was open (its assignee was reminded).
    #[serde(rename = "task.due")]
    TaskDue {
        task_id: i32,
        subject: Option<Subject>,
        assignee_id: UserId,
        due_at: DateTime<Utc>,
    },
    /// A person has a new notification (their bell updates live).
    #[serde(rename = "notification.created")]
    NotificationCreated { user_id: UserId },
    /// A person's access changed (deactivated, role, departments, password reset, signed
    /// out): their open streams check again who they are.
    #[serde(rename = "user.access_changed")]
    UserAccessChanged { user_id: UserId },
}

impl EventData {
    /// The stored `kind`, e.g. `deal.moved`.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::DealCreated { .. } => "deal.created",
            EventData::DealMoved { .. } => "deal.moved",
            EventData::DealReturned { .. } => "deal.returned",
            EventData::DealUpdated { .. } => "deal.updated",
            EventData::ClientCreated { .. } => "client.created",
            EventData::ClientUpdated { .. } => "client.updated",
            EventData::ConclusionAdded { .. } => "conclusion.added",
            EventData::CommentAdded { .. } => "comment.added",
            EventData::DocumentVersionAdded { .. } => "document.version_added",
            EventData::TaskCreated { .. } => "task.created",
            EventData::TaskDone { .. } => "task.done",
            EventData::TaskDue { .. } => "task.due",
            EventData::NotificationCreated { .. } => "notification.created",
            EventData::UserAccessChanged { .. } => "user.access_changed",
        }
    }

    /// The record the event is about: (`deal`, id), (`client`, id), ...
    pub fn subject(&self) -> (&'static str, i64) {
        let of = |subject: &Subject| match subject {
            Subject::Deal(deal) => ("deal", i64::from(deal.0)),
            Subject::Client(client) => ("client", i64::from(client.0)),
        };
        match self {
            EventData::DealCreated { deal }
            | EventData::DealMoved { deal, .. }
            | EventData::DealReturned { deal, .. }
            | EventData::DealUpdated { deal, .. } => ("deal", i64::from(deal.id.0)),
            EventData::ClientCreated { client_id, .. }
            | EventData::ClientUpdated { client_id, .. } => ("client", i64::from(client_id.0)),
            EventData::ConclusionAdded { deal_id, .. } => ("deal", i64::from(deal_id.0)),
            EventData::CommentAdded { subject, .. }
            | EventData::DocumentVersionAdded { subject, .. } => of(subject),
            EventData::TaskCreated {
                task_id, subject, ..
            }
            | EventData::TaskDone {
                task_id, subject, ..
            }
            | EventData::TaskDue {
                task_id, subject, ..
            } => subject
                .as_ref()
                .map(of)
                .unwrap_or(("task", i64::from(*task_id))),
            EventData::NotificationCreated { user_id }
            | EventData::UserAccessChanged { user_id } => ("user", i64::from(user_id.0)),
        }
    }

    /// The deal whose card changed, for live boards.
    pub fn changed_deal(&self) -> Option<&DealData> {
        match self {
            EventData::DealCreated { deal }
            | EventData::DealMoved { deal, .. }
            | EventData::DealReturned { deal, .. }
            | EventData::DealUpdated { deal, .. } => Some(deal),
            _ => None,
        }
    }
}

/// Who acted, as the event log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventActor {
    /// `user`, `rule`, `token` or `system`.
    pub kind: String,
    pub user_id: Option<UserId>,
    /// A rule's or token's name ("Rule: …", "API: …").
    pub label: Option<String>,
}

impl From<&Actor> for EventActor {
    fn from(actor: &Actor) -> Self {
        EventActor {
            kind: actor.kind_code().to_owned(),
            user_id: actor.user_id(),
            label: actor.label(),
        }
    }
}

/// One row of the event log in its public shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Increasing; a consumer resumes after the last id it handled.
    pub id: i64,
    pub schema: u16,
    pub occurred_at: DateTime<Utc>,
    pub actor: EventActor,
    #[serde(flatten)]
    pub data: EventData,
}

/// Whose live stream may carry an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Whoever could see the deal before or after the change: its responsible users and
    /// the departments of the stages it left and entered (a card leaving a column is news
    /// too).
    Deal {
        responsibles: Vec<UserId>,
        departments: Vec<DepartmentId>,
    },
    /// One person.
    User { user_id: UserId },
    /// No live stream: the event is for consumers (automation, webhooks, the API log).
    Nobody,
}

impl Audience {
    /// `Actor::can_see_deal`, the one rule, over the responsible users and the stages'
    /// departments before and after the change.
    pub fn includes(&self, actor: &Actor) -> bool {
        match self {
            Audience::Deal {
                responsibles,
                departments,
            } => {
                // Whoever sees every deal sees it even with no responsible or department.
                actor.can_see_deal(None, None)
                    || responsibles
                        .iter()
                        .any(|user| actor.can_see_deal(Some(*user), None))
                    || departments
                        .iter()
                        .any(|department| actor.can_see_deal(None, Some(*department)))
            }
            Audience::User { user_id } => actor.user_id() == Some(*user_id),
            Audience::Nobody => false,
        }
    }
}

/// What the live stream sends a browser about a deal (event `deal`): enough to fetch the
/// one card again and to drop a stale notice about a version it already shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveDeal {
    pub event_id: i64,
    pub deal_id: DealId,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub version: i32,
}

/// Wakes whoever reads the event log once a transaction that appended to it commits (the
/// in-process dispatcher; other servers hear PostgreSQL's NOTIFY). A missed wake-up loses
/// nothing: the dispatcher also reads the table on a timer.
#[cfg(feature = "ssr")]
pub trait EventSink: Send + Sync {
    fn appended(&self);
}

#[cfg(feature = "ssr")]
impl EventSink for () {
    fn appended(&self) {}
}

#[cfg(feature = "ssr")]
impl<T: EventSink + ?Sized> EventSink for std::sync::Arc<T> {
    fn appended(&self) {
        (**self).appended();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Role;

    #[test]
    fn only_people_who_could_see_the_deal_hear_about_it() {
        let audience = Audience::Deal {
            responsibles: vec![UserId(5)],
            departments: vec![DepartmentId(1), DepartmentId(2)],
        };
        let person = |role, departments: Vec<i32>| {
            Actor::user(
                UserId(9),
                role,
                departments.into_iter().map(DepartmentId).collect(),
            )
        };
        assert!(audience.includes(&person(Role::Manager, vec![])));
        assert!(
            audience.includes(&person(Role::Employee, vec![1])),
            "the department it left"
        );
        assert!(!audience.includes(&person(Role::Employee, vec![3])));
        assert!(!audience.includes(&person(Role::Restricted, vec![1])));
        assert!(audience.includes(&Actor::user(UserId(5), Role::Restricted, vec![])));
        assert!(!Audience::Nobody.includes(&person(Role::Admin, vec![])));
        let mine = Audience::User { user_id: UserId(9) };
        assert!(mine.includes(&person(Role::Restricted, vec![])));
        assert!(!mine.includes(&Actor::user(UserId(8), Role::Admin, vec![])));
    }

    #[test]
    fn the_public_shape_names_its_type_and_keeps_its_fields() {
        let record = EventRecord {
            id: 7,
            schema: SCHEMA_VERSION,
            occurred_at: DateTime::UNIX_EPOCH,
            actor: EventActor::from(&Actor::system()),
            data: EventData::TaskDone {
                task_id: 3,
                subject: None,
                done: true,
            },
        };
        let json = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(json["type"], "task.done");
        assert_eq!(json["data"]["task_id"], 3);
        assert_eq!(json["actor"]["kind"], "system");
        assert_eq!(record.data.kind(), "task.done");
        let back: EventRecord = serde_json::from_value(json).unwrap_or_else(|_| record.clone());
        assert_eq!(back, record);
    }
}
