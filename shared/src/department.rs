//! Departments of the firm: each has a name, a head and members.

mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::{DepartmentId, DepartmentInput, DepartmentView, validate_department};
