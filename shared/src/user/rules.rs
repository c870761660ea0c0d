//! Validation of user input, shared by the forms and the server.

use crate::error::{AppError, Field, Rule};
use crate::user::{NewUser, UserPatch};

pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 200;

/// Lower-cases and trims an e-mail so that sign-in and uniqueness ignore case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn validate_name(name: &str) -> Result<(), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::validation(
            Field::Name,
            Rule::TooLong { max: NAME_MAX },
        ));
    }
    Ok(())
}

/// A plausible address: one `@`, something on each side, a dot in the domain, no spaces.
pub fn validate_email(email: &str) -> Result<(), AppError> {
    let email = normalize_email(email);
    if email.is_empty() {
        return Err(AppError::validation(Field::Email, Rule::Required));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(AppError::validation(
            Field::Email,
            Rule::TooLong { max: EMAIL_MAX },
        ));
    }
    let plausible = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if plausible {
        Ok(())
    } else {
        Err(AppError::validation(Field::Email, Rule::InvalidEmail))
    }
}

pub fn validate_password(password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(AppError::validation(
            Field::Password,
            Rule::TooShort { min: PASSWORD_MIN },
        ));
    }
    if len > PASSWORD_MAX {
        return Err(AppError::validation(
            Field::Password,
            Rule::TooLong { max: PASSWORD_MAX },
        ));
    }
    Ok(())
}

pub fn validate_new_user(user: &NewUser) -> Result<(), AppError> {
    check_departments(&user.department_ids)?;
    validate_name(&user.name)?;
    validate_email(&user.email)?;
    validate_password(&user.password)
}

pub fn validate_user_patch(patch: &UserPatch) -> Result<(), AppError> {
    if let Some(ids) = &patch.department_ids {
        check_departments(ids)?;
    }
    if let Some(name) = &patch.name {
        validate_name(name)?;
    }
    if let Some(email) = &patch.email {
        validate_email(email)?;
    }
    Ok(())
}

/// A person's departments: a bounded list (it becomes one `IN (...)` of ids).
fn check_departments(ids: &[crate::department::DepartmentId]) -> Result<(), AppError> {
    crate::limits::check_count(ids.len(), crate::limits::IDS_MAX, Field::Departments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Anna@Bank.RU "), "anna@bank.ru");
        assert!(validate_email("anna@bank.ru").is_ok());
        for bad in [
            "",
            "anna",
            "anna@",
            "@bank.ru",
            "anna@bank",
            "an na@bank.ru",
            "a@b@c.ru",
            "a@.ru",
        ] {
            assert!(validate_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn blank_name_is_required() {
        assert_eq!(
            validate_name("   "),
            Err(AppError::validation(Field::Name, Rule::Required))
        );
        assert!(validate_name(&"я".repeat(NAME_MAX)).is_ok());
        assert!(validate_name(&"я".repeat(NAME_MAX + 1)).is_err());
    }

    #[test]
    fn short_password_is_refused() {
        assert_eq!(
            validate_password("1234567"),
            Err(AppError::validation(
                Field::Password,
                Rule::TooShort { min: 8 }
            ))
        );
        assert!(validate_password("12345678").is_ok());
    }
}
