//! Who is acting, and what their role lets them do.

use serde::{Deserialize, Serialize};

use crate::department::DepartmentId;
use crate::error::AppError;
use crate::user::{Role, UserId};

/// What kind of actor a use case runs for. There is no "unknown": every path names one,
/// so nothing is allowed by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in person.
    User { user_id: UserId },
    /// An automation rule: acts with the system's reach, named in history. `depth` is how
    /// many rule runs deep in a chain its changes are (1 for a rule started by a person's
    /// change), written on its events so that chains stop at a limit.
    Rule {
        rule_id: i64,
        name: String,
        depth: u8,
    },
    /// An API token: never sees more than the user it belongs to.
    Token {
        token_id: i64,
        name: String,
        user_id: UserId,
        /// The user's name, for history ("API: <token> (<user>)").
        user_name: String,
    },
    /// The server itself: the command line, demo data, background jobs.
    System,
}

/// Who acts, and with which rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub role: Role,
    pub department_ids: Vec<DepartmentId>,
    /// Where a person's or a token's request came from, for the audit log; set by the
    /// server from the request, `None` for rules and the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Actor {
    /// A person with their role and departments.
    pub fn user(user_id: UserId, role: Role, department_ids: Vec<DepartmentId>) -> Self {
        Actor {
            kind: ActorKind::User { user_id },
            role,
            department_ids,
            address: None,
        }
    }

    /// The system actor, with administrator rights.
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            role: Role::Admin,
            department_ids: Vec::new(),
            address: None,
        }
    }

    /// An automation rule, with administrator rights; history names the rule.
    pub fn rule(rule_id: i64, name: String, depth: u8) -> Self {
        Actor {
            kind: ActorKind::Rule {
                rule_id,
                name,
                depth,
            },
            role: Role::Admin,
            department_ids: Vec::new(),
            address: None,
        }
    }

    /// An API token acting for its user, with the user's role and departments.
    pub fn token(token_id: i64, name: String, user: &crate::user::UserView) -> Self {
        Actor {
            kind: ActorKind::Token {
                token_id,
                name,
                user_id: user.id,
                user_name: user.name.clone(),
            },
            role: user.role,
            department_ids: user.department_ids.clone(),
            address: None,
        }
    }

    /// The same actor, acting from `address`.
    pub fn with_address(mut self, address: String) -> Self {
        self.address = Some(address);
        self
    }

    /// The person acting, or on whose behalf a token acts; `None` for rules and the system.
    pub fn user_id(&self) -> Option<UserId> {
        match &self.kind {
            ActorKind::User { user_id } | ActorKind::Token { user_id, .. } => Some(*user_id),
            ActorKind::Rule { .. } | ActorKind::System => None,
        }
    }

    /// How history names an actor that is not a person ("Rule: …", "API: …"); `None`
    /// for a person, whose name is looked up by id.
    pub fn label(&self) -> Option<String> {
        match &self.kind {
            ActorKind::User { .. } => None,
            ActorKind::Rule { name, .. } => Some(format!("Rule: {name}")),
            ActorKind::Token {
                name, user_name, ..
            } => Some(format!("API: {name} ({user_name})")),
            ActorKind::System => Some("System".to_owned()),
        }
    }

    /// The rule acting and how deep in a chain of rules (`None` for anyone else).
    pub fn rule_chain(&self) -> Option<(i64, u8)> {
        match self.kind {
            ActorKind::Rule { rule_id, depth, .. } => Some((rule_id, depth)),
            _ => None,
        }
    }

    /// The stored code of the actor's kind (`user`, `rule`, `token`, `system`).
    pub fn kind_code(&self) -> &'static str {
        match self.kind {
            ActorKind::User { .. } => "user",
            ActorKind::Rule { .. } => "rule",
            ActorKind::Token { .. } => "token",
            ActorKind::System => "system",
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Only administrators configure the organisation (departments, users).
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_administer() {
        assert!(Actor::system().require_admin().is_ok());
        for role in [Role::Manager, Role::Employee, Role::Restricted] {
            let actor = Actor::user(UserId(1), role, vec![]);
            assert_eq!(actor.require_admin(), Err(AppError::Forbidden));
        }
    }
}

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sql;

/// Which deals an actor may see: the same rule filters the board, search, counts, the deal
/// page, moves and live events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealScope {
    /// Administrators and managers.
    All,
    /// Employees: deals whose current stage belongs to one of their departments, and
    /// deals they are responsible for.
    Departments {
        user_id: UserId,
        department_ids: Vec<DepartmentId>,
    },
    /// Restricted users: only deals they are responsible for.
    Own { user_id: UserId },
}

impl Actor {
    pub fn deal_scope(&self) -> DealScope {
        // Rules and the system reach everything; a person or a token by the person's role.
        let Some(user_id) = self.user_id() else {
            return DealScope::All;
        };
        match self.role {
            Role::Admin | Role::Manager => DealScope::All,
            Role::Employee => DealScope::Departments {
                user_id,
                department_ids: self.department_ids.clone(),
            },
            Role::Restricted => DealScope::Own { user_id },
        }
    }

    /// Whether this actor may see a deal with this responsible user whose current stage
    /// belongs to `stage_department`.
    pub fn can_see_deal(
        &self,
        responsible: Option<UserId>,
        stage_department: Option<DepartmentId>,
    ) -> bool {
        match self.deal_scope() {
            DealScope::All => true,
            DealScope::Departments {
                user_id,
                department_ids,
            } => {
                responsible == Some(user_id)
                    || stage_department
                        .is_some_and(|department| department_ids.contains(&department))
            }
            DealScope::Own { user_id } => responsible == Some(user_id),
        }
    }
}

/// Deal visibility resolved against one pipeline's stages: what queries filter by (the
/// board and search in `access::sql`, the dashboards in their own SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisibleDeals {
    All,
    /// Deals at these stages (the person's departments'), or theirs.
    StagesOrResponsible {
        stage_ids: Vec<crate::pipeline::StageId>,
        user_id: UserId,
    },
    /// Only deals they are responsible for.
    Responsible {
        user_id: UserId,
    },
}

/// Which clients an actor may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientScope {
    All,
    /// Restricted users: clients they look after, and clients of deals they are
    /// responsible for.
    Own {
        user_id: UserId,
    },
}

impl Actor {
    pub fn visible_deals(&self, pipeline: &crate::pipeline::PipelineView) -> VisibleDeals {
        match self.deal_scope() {
            DealScope::All => VisibleDeals::All,
            DealScope::Departments {
                user_id,
                department_ids,
            } => VisibleDeals::StagesOrResponsible {
                stage_ids: pipeline.stages_of(&department_ids),
                user_id,
            },
            DealScope::Own { user_id } => VisibleDeals::Responsible { user_id },
        }
    }

    pub fn client_scope(&self) -> ClientScope {
        match (self.role, self.user_id()) {
            (Role::Restricted, Some(user_id)) => ClientScope::Own { user_id },
            _ => ClientScope::All,
        }
    }
}

#[cfg(test)]
mod visibility_tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor::user(UserId(7), role, vec![DepartmentId(2)])
    }

    #[test]
    fn each_role_sees_what_it_should() {
        let mine = (Some(UserId(7)), Some(DepartmentId(9)));
        let my_department = (Some(UserId(8)), Some(DepartmentId(2)));
        let elsewhere = (Some(UserId(8)), Some(DepartmentId(9)));
        for role in [Role::Admin, Role::Manager] {
            assert!(actor(role).can_see_deal(elsewhere.0, elsewhere.1));
        }
        let employee = actor(Role::Employee);
        assert!(employee.can_see_deal(mine.0, mine.1));
        assert!(employee.can_see_deal(my_department.0, my_department.1));
        assert!(!employee.can_see_deal(elsewhere.0, elsewhere.1));
        let restricted = actor(Role::Restricted);
        assert!(restricted.can_see_deal(mine.0, mine.1));
        assert!(!restricted.can_see_deal(my_department.0, my_department.1));
    }
}
