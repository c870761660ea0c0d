//! API tokens: a person (or an administrator for a service user) creates one, sees its
//! secret once, and other systems call `/api/v1` with it. Only a hash of the secret is
//! kept. A token acts as its user (never seeing more), within its scopes, until it expires
//! or is revoked, at most `rate_per_minute` calls a minute.

mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::{
    ApiAccess, ApiResource, ApiScope, ApiTokenId, ApiTokenView, CreatedApiToken, NAME_MAX,
    NewApiToken, RATE_PER_MINUTE_DEFAULT, RATE_PER_MINUTE_MAX, TOKEN_PREFIX, parse_scopes,
    scopes_allow, scopes_text, validate_new_token,
};
