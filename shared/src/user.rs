//! People who sign in: their role, departments, language and whether they are active.

mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{
    EMAIL_MAX, PASSWORD_MAX, normalize_email, validate_email, validate_name, validate_new_user,
    validate_password, validate_user_patch,
};
pub use types::{CreatedUser, NewUser, Role, UserId, UserPatch, UserView};
