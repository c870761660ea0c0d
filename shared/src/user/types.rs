//! Wire types for users.

use serde::{Deserialize, Serialize};

use crate::department::DepartmentId;
use crate::locale::Locale;

/// A user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i32);

/// What a user may do across the whole CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the organisation, pipelines and integrations; sees everything.
    Admin,
    /// Watches dashboards; sees everything.
    Manager,
    /// Works in a department; sees the department's records and their own.
    #[default]
    Employee,
    /// Accounting, delivery, warehouse: sees only what they are responsible for.
    Restricted,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Employee, Role::Restricted];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Employee => "employee",
            Role::Restricted => "restricted",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == code)
    }
}

/// A user as the UI and the API show it. Never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub locale: Locale,
    /// IANA name of the zone the user reads and types times in.
    pub time_zone: String,
    pub active: bool,
    pub department_ids: Vec<DepartmentId>,
}

/// An administrator's request to add a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub department_ids: Vec<DepartmentId>,
    pub password: String,
}

/// An administrator's change to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub department_ids: Option<Vec<DepartmentId>>,
    pub active: Option<bool>,
}

/// The answer to creating a user: the user, and the password when the server generated it
/// (shown once to the administrator, never stored in clear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedUser {
    pub user: UserView,
    pub generated_password: Option<String>,
}
