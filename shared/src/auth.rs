//! Signing in: credentials, the throttle on repeated failures.

mod rules;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{FAILURE_LIMIT, FAILURE_WINDOW_SECS, throttle};

use serde::{Deserialize, Serialize};

/// What a person types on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}
