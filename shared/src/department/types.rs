//! Wire types and validation for departments.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field, Rule};
use crate::user::UserId;

pub const DEPARTMENT_NAME_MAX: usize = 120;

/// A department's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DepartmentId(pub i32);

/// A department as the admin page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentView {
    pub id: DepartmentId,
    pub name: String,
    pub head: Option<UserId>,
    pub head_name: Option<String>,
    pub member_count: u32,
}

/// What an administrator enters to create or edit a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentInput {
    pub name: String,
    pub head: Option<UserId>,
}

pub fn validate_department(input: &DepartmentInput) -> Result<(), AppError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    if name.chars().count() > DEPARTMENT_NAME_MAX {
        return Err(AppError::validation(
            Field::Name,
            Rule::TooLong {
                max: DEPARTMENT_NAME_MAX,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_needs_a_name() {
        let blank = DepartmentInput {
            name: "  ".into(),
            head: None,
        };
        assert_eq!(
            validate_department(&blank),
            Err(AppError::validation(Field::Name, Rule::Required))
        );
        let ok = DepartmentInput {
            name: "Скоринг".into(),
            head: Some(UserId(3)),
        };
        assert!(validate_department(&ok).is_ok());
    }
}
