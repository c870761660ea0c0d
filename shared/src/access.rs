//! Who is acting, and what their role lets them do.

use serde::{Deserialize, Serialize};

use crate::department::DepartmentId;
use crate::error::AppError;
use crate::user::{Role, UserId};

/// The person (or the system itself) on whose behalf a use case runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `None` for the system: the CLI, demo seeding, background jobs.
    pub user_id: Option<UserId>,
    pub role: Role,
    pub department_ids: Vec<DepartmentId>,
}

impl Actor {
    /// The system actor, with administrator rights.
    pub fn system() -> Self {
        Actor {
            user_id: None,
            role: Role::Admin,
            department_ids: Vec::new(),
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
            let actor = Actor {
                user_id: Some(UserId(1)),
                role,
                department_ids: vec![],
            };
            assert_eq!(actor.require_admin(), Err(AppError::Forbidden));
        }
    }
}

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
        match (self.role, self.user_id) {
            (Role::Admin | Role::Manager, _) | (_, None) => DealScope::All,
            (Role::Employee, Some(user_id)) => DealScope::Departments {
                user_id,
                department_ids: self.department_ids.clone(),
            },
            (Role::Restricted, Some(user_id)) => DealScope::Own { user_id },
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

#[cfg(test)]
mod visibility_tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Some(UserId(7)),
            role,
            department_ids: vec![DepartmentId(2)],
        }
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
