//! Wire types and rules of API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field, Rule};
use crate::user::UserId;

/// What every token's secret starts with, so a leaked one is recognisable (secret
/// scanners, logs).
pub const TOKEN_PREFIX: &str = "kvt_";
/// Characters of a token's name.
pub const NAME_MAX: usize = 100;
/// Calls a minute a token gets unless its creator says otherwise.
pub const RATE_PER_MINUTE_DEFAULT: u32 = 600;
/// The most calls a minute a token may be given.
pub const RATE_PER_MINUTE_MAX: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiTokenId(pub i32);

/// The kinds of record a scope covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiResource {
    Deals,
    Clients,
    Pipelines,
    Tasks,
    Events,
    Users,
}

impl ApiResource {
    pub const ALL: [ApiResource; 6] = [
        ApiResource::Deals,
        ApiResource::Clients,
        ApiResource::Pipelines,
        ApiResource::Tasks,
        ApiResource::Events,
        ApiResource::Users,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiResource::Deals => "deals",
            ApiResource::Clients => "clients",
            ApiResource::Pipelines => "pipelines",
            ApiResource::Tasks => "tasks",
            ApiResource::Events => "events",
            ApiResource::Users => "users",
        }
    }
}

/// Read, or read and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiAccess {
    Read,
    Write,
}

/// One permission of a token: `deals:read`, `deals:write` (which includes reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ApiScope {
    pub resource: ApiResource,
    pub access: ApiAccess,
}

impl ApiScope {
    pub fn code(self) -> String {
        let access = match self.access {
            ApiAccess::Read => "read",
            ApiAccess::Write => "write",
        };
        format!("{}:{access}", self.resource.as_str())
    }

    pub fn parse(code: &str) -> Option<ApiScope> {
        let (resource, access) = code.split_once(':')?;
        let resource = ApiResource::ALL
            .into_iter()
            .find(|r| r.as_str() == resource)?;
        let access = match access {
            "read" => ApiAccess::Read,
            "write" => ApiAccess::Write,
            _ => return None,
        };
        Some(ApiScope { resource, access })
    }
}

/// Whether the scopes let a token do `access` on `resource`; writing includes reading.
pub fn scopes_allow(scopes: &[ApiScope], resource: ApiResource, access: ApiAccess) -> bool {
    scopes
        .iter()
        .any(|s| s.resource == resource && (s.access == access || s.access == ApiAccess::Write))
}

/// The stored form: codes separated by spaces.
pub fn scopes_text(scopes: &[ApiScope]) -> String {
    scopes
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored form read back; unknown codes are dropped (a scope removed in a later
/// version grants nothing).
pub fn parse_scopes(text: &str) -> Vec<ApiScope> {
    text.split_whitespace()
        .filter_map(ApiScope::parse)
        .collect()
}

/// A token as its owner and administrators see it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: ApiTokenId,
    pub name: String,
    pub user_id: UserId,
    pub user_name: String,
    /// The secret's first characters, to tell tokens apart (`kvt_AbCd…`).
    pub hint: String,
    pub scopes: Vec<ApiScope>,
    pub rate_per_minute: u32,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A request to create a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// No expiry when absent.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whose token it is: the creator when absent; another user only for administrators.
    pub user: Option<UserId>,
    /// Calls a minute; `RATE_PER_MINUTE_DEFAULT` when absent.
    pub rate_per_minute: Option<u32>,
}

/// A new token with its secret, which is shown this once and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}

/// Checks a new token's name, scopes, rate and expiry before any work.
pub fn validate_new_token(cmd: &NewApiToken, now: DateTime<Utc>) -> Result<(), AppError> {
    crate::limits::check_chars(&cmd.name, NAME_MAX, Field::Name)?;
    if cmd.name.trim().is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    let most = ApiResource::ALL.len() * 2;
    crate::limits::check_count(cmd.scopes.len(), most, Field::Scopes)?;
    if cmd.scopes.is_empty() {
        return Err(AppError::validation(Field::Scopes, Rule::Required));
    }
    if let Some(rate) = cmd.rate_per_minute {
        if rate == 0 {
            return Err(AppError::validation(Field::RateLimit, Rule::MustBePositive));
        }
        crate::limits::check_at_most(
            u64::from(rate),
            u64::from(RATE_PER_MINUTE_MAX),
            Field::RateLimit,
        )?;
    }
    if cmd.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::validation(Field::ExpiresAt, Rule::InvalidDate));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(resource: ApiResource, access: ApiAccess) -> ApiScope {
        ApiScope { resource, access }
    }

    #[test]
    fn writing_includes_reading_but_not_the_other_way() {
        let write = [scope(ApiResource::Deals, ApiAccess::Write)];
        assert!(scopes_allow(&write, ApiResource::Deals, ApiAccess::Read));
        assert!(scopes_allow(&write, ApiResource::Deals, ApiAccess::Write));
        assert!(!scopes_allow(&write, ApiResource::Clients, ApiAccess::Read));
        let read = [scope(ApiResource::Deals, ApiAccess::Read)];
        assert!(!scopes_allow(&read, ApiResource::Deals, ApiAccess::Write));
    }

    #[test]
    fn scopes_round_trip_and_unknown_ones_grant_nothing() {
        let scopes = vec![
            scope(ApiResource::Deals, ApiAccess::Write),
            scope(ApiResource::Events, ApiAccess::Read),
        ];
        assert_eq!(scopes_text(&scopes), "deals:write events:read");
        assert_eq!(parse_scopes(&scopes_text(&scopes)), scopes);
        assert_eq!(
            parse_scopes("deals:admin gold:read  events:read"),
            scopes[1..]
        );
    }

    #[test]
    fn a_new_token_needs_a_name_scopes_a_sane_rate_and_a_future_expiry() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let good = NewApiToken {
            name: "Accounting".into(),
            scopes: vec![scope(ApiResource::Deals, ApiAccess::Read)],
            expires_at: Some(now + chrono::Duration::days(1)),
            user: None,
            rate_per_minute: Some(60),
        };
        assert_eq!(validate_new_token(&good, now), Ok(()));
        let field_of = |cmd: NewApiToken| match validate_new_token(&cmd, now) {
            Err(AppError::Validation { field, .. }) => Some(field),
            _ => None,
        };
        let blank = NewApiToken {
            name: "  ".into(),
            ..good.clone()
        };
        assert_eq!(field_of(blank), Some(Field::Name));
        let none = NewApiToken {
            scopes: vec![],
            ..good.clone()
        };
        assert_eq!(field_of(none), Some(Field::Scopes));
        let zero = NewApiToken {
            rate_per_minute: Some(0),
            ..good.clone()
        };
        assert_eq!(field_of(zero), Some(Field::RateLimit));
        let past = NewApiToken {
            expires_at: Some(now),
            ..good.clone()
        };
        assert_eq!(field_of(past), Some(Field::ExpiresAt));
        let many = NewApiToken {
            scopes: vec![scope(ApiResource::Deals, ApiAccess::Read); 13],
            ..good
        };
        assert_eq!(field_of(many), Some(Field::Scopes));
    }
}
