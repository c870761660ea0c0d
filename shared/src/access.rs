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
