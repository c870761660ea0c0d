//! The digest's use cases: a person's settings, the digests due now with their text, and
//! the delivery log. Sending is the server's job (`server::jobs::digest`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{digest_deliveries, digest_settings};
use super::{
    Channel, DeliveryView, DigestPage, DigestSettings, DigestText, STUCK_SHOWN, day_bounds,
    digest_text, due_day, validate_settings,
};
use crate::access::Actor;
use crate::error::AppError;
use crate::outbound::AllowedHosts;
use crate::time_zone::parse_time_zone;
use crate::user::entity::users;
use crate::user::service::get_user;
use crate::user::{UserId, UserView};

/// Deliveries the settings page lists.
const DELIVERIES_SHOWN: u64 = 10;

const TIME_FORMAT: &str = "%H:%M";

fn to_settings(row: digest_settings::Model) -> DigestSettings {
    DigestSettings {
        enabled: row.enabled,
        send_at: NaiveTime::parse_from_str(&row.send_at, TIME_FORMAT).unwrap_or_default(),
        by_email: row.by_email,
        messenger_url: row.messenger_url,
        messenger_chat_id: row.messenger_chat_id,
    }
}

fn signed_in(actor: &Actor) -> Result<UserId, AppError> {
    actor.user_id().ok_or(AppError::Forbidden)
}

/// The settings page of the signed-in person: settings (defaults before the first
/// save), a preview of today's digest so far and the latest deliveries.
pub async fn digest_page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<DigestPage, AppError> {
    let user = get_user(db, signed_in(actor)?).await?;
    let settings = digest_settings::Entity::find_by_id(user.id.0)
        .one(db)
        .await?
        .map(to_settings)
        .unwrap_or_default();
    let tz = parse_time_zone(&user.time_zone)?;
    let today = tz.local(now).date();
    let preview = compose(db, &user, today, now).await?;
    let deliveries = digest_deliveries::Entity::find()
        .filter(digest_deliveries::Column::UserId.eq(user.id.0))
        .order_by_desc(digest_deliveries::Column::Id)
        .limit(DELIVERIES_SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|row| DeliveryView {
            day: row.day.parse().unwrap_or_default(),
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Email),
            delivered: row.delivered,
            attempts: u32::try_from(row.attempts).unwrap_or_default(),
            error: row.error,
            at: row.at,
        })
        .collect();
    Ok(DigestPage {
        settings,
        time_zone: user.time_zone,
        email: user.email,
        preview,
        deliveries,
    })
}

/// Saves the signed-in person's settings; bad ones change nothing. A webhook into the
/// server's own network is refused unless its host is `allowed` (the configuration's
/// `outbound_allow_hosts`).
pub async fn save_settings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    settings: DigestSettings,
    allowed: &AllowedHosts,
    now: DateTime<Utc>,
) -> Result<DigestSettings, AppError> {
    let user_id = signed_in(actor)?;
    let blank = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let settings = DigestSettings {
        messenger_url: blank(settings.messenger_url),
        messenger_chat_id: blank(settings.messenger_chat_id),
        ..settings
    };
    validate_settings(&settings, allowed)?;
    let existing = digest_settings::Entity::find_by_id(user_id.0)
        .one(db)
        .await?;
    let row = digest_settings::ActiveModel {
        user_id: Set(user_id.0),
        enabled: Set(settings.enabled),
        send_at: Set(settings.send_at.format(TIME_FORMAT).to_string()),
        by_email: Set(settings.by_email),
        messenger_url: Set(settings.messenger_url.clone()),
        messenger_chat_id: Set(settings.messenger_chat_id.clone()),
        last_sent_on: Set(existing.as_ref().and_then(|e| e.last_sent_on.clone())),
        updated_at: Set(now),
    };
    if existing.is_some() {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(settings)
}

/// The digest of `user`'s local `day` up to `now`, over what they may see.
async fn compose(
    db: &impl ConnectionTrait,
    user: &UserView,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DigestText, AppError> {
    let tz = parse_time_zone(&user.time_zone)?;
    let (start, end) = day_bounds(day, tz).ok_or(AppError::Internal)?;
    let actor = Actor::user(user.id, user.role, user.department_ids.clone());
    let summary =
        crate::analytics::service::day_summary(db, &actor, start, end.min(now), now, STUCK_SHOWN)
            .await?;
    Ok(digest_text(day, &summary, user.locale))
}

/// A digest to send now.
#[derive(Debug, Clone)]
pub struct DueDigest {
    pub user: UserView,
    pub settings: DigestSettings,
    pub day: NaiveDate,
    pub text: DigestText,
}

/// Who gets a digest at `now`, and of which local day: enabled, an active person whose
/// local time has passed their hour, and whose day's digest has not gone yet.
pub async fn due_recipients(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(UserId, NaiveDate)>, AppError> {
    let enabled = digest_settings::Entity::find()
        .filter(digest_settings::Column::Enabled.eq(true))
        .all(db)
        .await?;
    // Asked every minute: the recipients' zones in one query.
    let zones: HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(enabled.iter().map(|row| row.user_id)))
        .filter(users::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.time_zone))
        .collect();
    let mut due = Vec::new();
    for row in enabled {
        let last_sent_on = row.last_sent_on.as_deref().and_then(|d| d.parse().ok());
        let user_id = UserId(row.user_id);
        let settings = to_settings(row);
        let Some(tz) = zones
            .get(&user_id.0)
            .and_then(|zone| parse_time_zone(zone).ok())
        else {
            continue;
        };
        if let Some(day) = due_day(&settings, tz, last_sent_on, now) {
            due.push((user_id, day));
        }
    }
    Ok(due)
}

/// `user`'s digest of their local `day` as of `now`, with their delivery settings; `None`
/// when they no longer want one.
pub async fn digest_of(
    db: &impl ConnectionTrait,
    user_id: UserId,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<DueDigest>, AppError> {
    let Some(row) = digest_settings::Entity::find_by_id(user_id.0)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let settings = to_settings(row);
    let user = get_user(db, user_id).await?;
    if !settings.enabled || !user.active {
        return Ok(None);
    }
    let text = compose(db, &user, day, now).await?;
    Ok(Some(DueDigest {
        user,
        settings,
        day,
        text,
    }))
}

/// Notes that `day`'s digest went (or was given up on) so it is not sent again.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    user: UserId,
    day: NaiveDate,
) -> Result<(), AppError> {
    digest_settings::Entity::update_many()
        .col_expr(
            digest_settings::Column::LastSentOn,
            sea_orm::sea_query::Expr::value(day.to_string()),
        )
        .filter(digest_settings::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Logs one delivery: the channel, whether it arrived, after how many attempts, and the
/// last error.
pub async fn record_delivery(
    db: &impl ConnectionTrait,
    user: UserId,
    day: NaiveDate,
    channel: Channel,
    outcome: Result<(), String>,
    attempts: u32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    digest_deliveries::ActiveModel {
        user_id: Set(user.0),
        day: Set(day.to_string()),
        channel: Set(channel.as_str().to_owned()),
        delivered: Set(outcome.is_ok()),
        attempts: Set(i32::try_from(attempts).unwrap_or(i32::MAX)),
        error: Set(outcome.err()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
