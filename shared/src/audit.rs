//! The audit log: sign-ins and sign-outs, ended sessions, API tokens, and changes to users,
//! departments, pipelines, custom fields, webhooks and settings, with who, when, from
//! where and what changed. Append-only in the database; old rows are pruned after the
//! retention an administrator sets. Administrators read it on `/admin/audit`.

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::user::UserId;

/// What happened. The stored code is `as_str()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    SessionEnded,
    ApiTokenCreated,
    ApiTokenRevoked,
    UserCreated,
    UserChanged,
    PasswordReset,
    DepartmentCreated,
    DepartmentChanged,
    PipelineSaved,
    CustomFieldSaved,
    CustomFieldRemoved,
    WebhookCreated,
    WebhookChanged,
    WebhookDeleted,
    SettingsChanged,
    AuditExported,
    PermissionDenied,
    DocumentDownloaded,
    AutomationRuleCreated,
    AutomationRuleChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 23] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::SessionEnded,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::UserCreated,
        AuditAction::UserChanged,
        AuditAction::PasswordReset,
        AuditAction::DepartmentCreated,
        AuditAction::DepartmentChanged,
        AuditAction::PipelineSaved,
        AuditAction::CustomFieldSaved,
        AuditAction::CustomFieldRemoved,
        AuditAction::WebhookCreated,
        AuditAction::WebhookChanged,
        AuditAction::WebhookDeleted,
        AuditAction::SettingsChanged,
        AuditAction::AuditExported,
        AuditAction::PermissionDenied,
        AuditAction::DocumentDownloaded,
        AuditAction::AutomationRuleCreated,
        AuditAction::AutomationRuleChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "auth.sign_in",
            AuditAction::SignInFailed => "auth.sign_in_failed",
            AuditAction::SignOut => "auth.sign_out",
            AuditAction::SessionEnded => "session.ended",
            AuditAction::ApiTokenCreated => "api_token.created",
            AuditAction::ApiTokenRevoked => "api_token.revoked",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserChanged => "user.changed",
            AuditAction::PasswordReset => "user.password_reset",
            AuditAction::DepartmentCreated => "department.created",
            AuditAction::DepartmentChanged => "department.changed",
            AuditAction::PipelineSaved => "pipeline.saved",
            AuditAction::CustomFieldSaved => "custom_field.saved",
            AuditAction::CustomFieldRemoved => "custom_field.removed",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookChanged => "webhook.changed",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::SettingsChanged => "settings.changed",
            AuditAction::AuditExported => "audit.exported",
            AuditAction::PermissionDenied => "access.denied",
            AuditAction::DocumentDownloaded => "document.downloaded",
            AuditAction::AutomationRuleCreated => "automation_rule.created",
            AuditAction::AutomationRuleChanged => "automation_rule.changed",
        }
    }

    pub fn parse(code: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

/// One row of the log as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: AuditAction,
    pub actor_user_id: Option<UserId>,
    /// The person's name, "API: <token> (<user>)", "System", or for a failed sign-in the
    /// e-mail that was tried.
    pub actor: String,
    pub address: Option<String>,
    /// The record acted on, such as `user:12`.
    pub target: Option<String>,
    /// What changed, in words.
    pub details: String,
}

/// The page's filters (all in the URL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub user: Option<UserId>,
    pub action: Option<AuditAction>,
    /// Days in the reader's time zone, both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Rows older than this id (the next page).
    pub before: Option<i64>,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<i64>,
    pub retention_days: u32,
    /// Everyone, for the person filter.
    pub users: Vec<(UserId, String)>,
}

/// Rows a page shows.
pub const AUDIT_PAGE: u64 = 50;
/// Rows one CSV export holds at most.
pub const AUDIT_EXPORT_MAX: u64 = 50_000;
/// The bounds of the retention an administrator may set, in days.
pub const RETENTION_MIN_DAYS: u32 = 30;
pub const RETENTION_MAX_DAYS: u32 = 3650;
/// The longest text a row keeps in `details` (and an e-mail tried in `actor`).
pub const DETAILS_MAX: usize = 2000;
