//! Events published after a change to a deal commits, for live boards and dashboards.
//! Each subscriber receives only the events about deals its user may see.

use serde::{Deserialize, Serialize};

use crate::access::{Actor, DealScope};
use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::pipeline::{PipelineId, StageId};
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealEventKind {
    Created,
    Moved,
    /// Its fields changed (title, client, amount, responsible).
    Updated,
}

/// Something happened to a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealEvent {
    pub kind: DealEventKind,
    pub deal_id: DealId,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    /// The responsible user before and after the change (one when it did not change).
    pub responsibles: Vec<UserId>,
    /// The departments of the stage before and after the change: whoever could see the
    /// deal in either place hears about it (a card leaving a column is news too).
    pub departments: Vec<DepartmentId>,
}

impl DealEvent {
    /// The same rule as `Actor::can_see_deal`, over the stage before and after.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match actor.deal_scope() {
            DealScope::All => true,
            DealScope::Departments {
                user_id,
                department_ids,
            } => {
                self.responsibles.contains(&user_id)
                    || self.departments.iter().any(|d| department_ids.contains(d))
            }
            DealScope::Own { user_id } => self.responsibles.contains(&user_id),
        }
    }
}

/// Where services publish events once their transaction has committed. The server's
/// in-process bus is one implementation; `()` discards events (demo data, tools).
#[cfg(feature = "ssr")]
pub trait EventSink: Send + Sync {
    fn publish(&self, event: DealEvent);

    /// `user` has a new notification (their bell updates live).
    fn notify(&self, user: UserId) {
        let _ = user;
    }
}

#[cfg(feature = "ssr")]
impl EventSink for () {
    fn publish(&self, _event: DealEvent) {}
}

#[cfg(feature = "ssr")]
impl<T: EventSink + ?Sized> EventSink for std::sync::Arc<T> {
    fn publish(&self, event: DealEvent) {
        (**self).publish(event);
    }

    fn notify(&self, user: UserId) {
        (**self).notify(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Role;

    #[test]
    fn only_people_who_could_see_the_deal_hear_about_it() {
        let event = DealEvent {
            kind: DealEventKind::Moved,
            deal_id: DealId(1),
            pipeline_id: PipelineId(1),
            stage_id: StageId(2),
            responsibles: vec![UserId(5)],
            departments: vec![DepartmentId(1), DepartmentId(2)],
        };
        let person = |role, departments: Vec<i32>| Actor {
            user_id: Some(UserId(9)),
            role,
            department_ids: departments.into_iter().map(DepartmentId).collect(),
        };
        assert!(event.visible_to(&person(Role::Manager, vec![])));
        assert!(
            event.visible_to(&person(Role::Employee, vec![1])),
            "the department it left"
        );
        assert!(!event.visible_to(&person(Role::Employee, vec![3])));
        assert!(!event.visible_to(&person(Role::Restricted, vec![1])));
    }
}
