//! Writing and reading the audit log. `record` is called by the use cases that change
//! access or settings, in their own transaction, so a change and its row commit together.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{audit_log, audit_settings};
use super::{
    AuditAction, AuditEntry, AuditFilter, DETAILS_MAX, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS,
};
use crate::access::Actor;
use crate::error::{AppError, Field, Rule};
use crate::user::UserId;
use crate::user::entity::users;

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Appends one row: `actor` did `action` to `target` (such as `user:12`), `details`
/// saying what changed.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    target: Option<String>,
    details: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit_log::ActiveModel {
        at: Set(now),
        action: Set(action.as_str().to_owned()),
        actor_user_id: Set(actor.user_id().map(|u| u.0)),
        actor_label: Set(actor.label()),
        address: Set(actor.address.clone()),
        target: Set(target),
        details: Set(clip(details, DETAILS_MAX)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A sign-in that failed: nobody is signed in, so the row names the e-mail tried.
pub async fn record_failed_sign_in(
    db: &impl ConnectionTrait,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit_log::ActiveModel {
        at: Set(now),
        action: Set(AuditAction::SignInFailed.as_str().to_owned()),
        actor_user_id: Set(None),
        actor_label: Set(Some(clip(email.trim(), 200))),
        address: Set(Some(clip(address, 100))),
        target: Set(None),
        details: Set(String::new()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The days rows are kept.
pub async fn retention_days(db: &impl ConnectionTrait) -> Result<u32, AppError> {
    let row = audit_settings::Entity::find_by_id(1).one(db).await?;
    Ok(row.map_or(365, |r| u32::try_from(r.retention_days).unwrap_or(365)))
}

/// Sets how long rows are kept (administrators only, 30 days to ten years); recorded.
pub async fn set_retention(
    db: &impl ConnectionTrait,
    actor: &Actor,
    days: u32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    if days < RETENTION_MIN_DAYS {
        return Err(AppError::validation(
            Field::Period,
            Rule::TooSmall {
                min: u64::from(RETENTION_MIN_DAYS),
            },
        ));
    }
    if days > RETENTION_MAX_DAYS {
        return Err(AppError::validation(
            Field::Period,
            Rule::TooBig {
                max: u64::from(RETENTION_MAX_DAYS),
            },
        ));
    }
    let before = retention_days(db).await?;
    audit_settings::Entity::update_many()
        .col_expr(
            audit_settings::Column::RetentionDays,
            sea_orm::sea_query::Expr::value(i32::try_from(days).unwrap_or(365)),
        )
        .filter(audit_settings::Column::Id.eq(1))
        .exec(db)
        .await?;
    record(
        db,
        actor,
        AuditAction::SettingsChanged,
        Some("audit_retention".to_owned()),
        &format!("audit log kept: {before} -> {days} days"),
        now,
    )
    .await
}

/// Deletes rows past the retention (the database refuses any younger one).
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, AppError> {
    let days = retention_days(db).await?;
    // A day's margin, so the database's clock and ours never disagree about a row.
    let cutoff = now - chrono::Duration::days(i64::from(days) + 1);
    Ok(audit_log::Entity::delete_many()
        .filter(audit_log::Column::At.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

/// Rows matching the filter, newest first, at most `limit` of them (administrators only).
/// `from` and `to` are days between the instants `day_start` gives.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &AuditFilter,
    limit: u64,
    day_start: impl Fn(NaiveDate) -> DateTime<Utc>,
) -> Result<(Vec<AuditEntry>, bool), AppError> {
    actor.require_admin()?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(AppError::validation(Field::Period, Rule::PeriodReversed));
    }
    let mut query = audit_log::Entity::find();
    if let Some(user) = filter.user {
        query = query.filter(audit_log::Column::ActorUserId.eq(user.0));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::At.gte(day_start(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.succ_opt()) {
        query = query.filter(audit_log::Column::At.lt(day_start(to)));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let ids: Vec<i32> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let names: std::collections::HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let entries = rows
        .into_iter()
        .filter_map(|row| {
            let action = AuditAction::parse(&row.action)?;
            let actor = match (&row.actor_label, row.actor_user_id) {
                (Some(label), _) => label.clone(),
                (None, Some(id)) => names.get(&id).cloned().unwrap_or_default(),
                (None, None) => String::new(),
            };
            Some(AuditEntry {
                id: row.id,
                at: row.at,
                action,
                actor_user_id: row.actor_user_id.map(UserId),
                actor,
                address: row.address,
                target: row.target,
                details: row.details,
            })
        })
        .collect();
    Ok((entries, more))
}
