//! Sending, listing and reading in-app notifications.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entity::notifications;
use super::{NotificationKind, NotificationList, NotificationView};
use crate::access::Actor;
use crate::error::{AppError, Field};
use crate::timeline::Subject;
use crate::user::UserId;

/// Notifications the list shows (the newest).
const LIST_MAX: u64 = 50;
/// Characters of the comment a notification quotes.
const EXCERPT_CHARS: usize = 200;

/// What a new notification says.
pub struct Notice<'a> {
    pub kind: NotificationKind,
    pub subject: Option<Subject>,
    pub comment_id: Option<i32>,
    pub actor: Option<UserId>,
    pub text: &'a str,
}

/// Stores a notification for `user` with its `notification.created` event (their bell
/// updates live), in the caller's transaction.
pub async fn notify(
    db: &impl ConnectionTrait,
    user: UserId,
    notice: Notice<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (deal_id, client_id) = match notice.subject {
        Some(Subject::Deal(deal)) => (Some(deal.0), None),
        Some(Subject::Client(client)) => (None, Some(client.0)),
        None => (None, None),
    };
    let mut excerpt: String = notice.text.chars().take(EXCERPT_CHARS).collect();
    if notice.text.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    notifications::ActiveModel {
        user_id: Set(user.0),
        kind: Set(notice.kind.as_str().to_owned()),
        deal_id: Set(deal_id),
        client_id: Set(client_id),
        comment_id: Set(notice.comment_id),
        actor_user_id: Set(notice.actor.map(|u| u.0)),
        text: Set(excerpt),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::event::outbox::append(
        db,
        &Actor::system(),
        now,
        crate::event::EventData::NotificationCreated { user_id: user },
        crate::event::Audience::User { user_id: user },
    )
    .await?;
    Ok(())
}

/// The actor's newest notifications and how many are unread.
pub async fn list_notifications(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<NotificationList, AppError> {
    let Some(user) = actor.user_id() else {
        return Ok(NotificationList {
            items: Vec::new(),
            unread: 0,
        });
    };
    let rows = notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user.0))
        .order_by_desc(notifications::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    let people = crate::user::service::all_user_names(db).await?;
    let names = crate::timeline::service::subject_names(
        db,
        rows.iter()
            .filter_map(|r| Subject::from_ids(r.deal_id, r.client_id)),
    )
    .await?;
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let subject = Subject::from_ids(row.deal_id, row.client_id)
                .and_then(|s| names.get(&s).map(|name| (s, name.clone())));
            Some(NotificationView {
                id: row.id,
                kind: NotificationKind::parse(&row.kind)?,
                actor_name: row
                    .actor_user_id
                    .and_then(|u| people.get(&UserId(u)).cloned()),
                subject,
                text: row.text,
                created_at: row.created_at,
                read: row.read_at.is_some(),
            })
        })
        .collect();
    Ok(NotificationList {
        items,
        unread: unread_count(db, actor).await?,
    })
}

/// How many of the actor's notifications are unread.
pub async fn unread_count(db: &impl ConnectionTrait, actor: &Actor) -> Result<u64, AppError> {
    let Some(user) = actor.user_id() else {
        return Ok(0);
    };
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user.0))
        .filter(notifications::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks some (or, with `None`, all) of the actor's own notifications read; another
/// person's ids are ignored. At most `limits::IDS_MAX` ids. Returns the unread count left.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: Option<Vec<i32>>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    if let Some(ids) = &ids {
        crate::limits::check_count(ids.len(), crate::limits::IDS_MAX, Field::Notifications)?;
    }
    let Some(user) = actor.user_id() else {
        return Ok(0);
    };
    let mut update = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(Some(now)))
        .filter(notifications::Column::UserId.eq(user.0))
        .filter(notifications::Column::ReadAt.is_null());
    if let Some(ids) = ids {
        update = update.filter(notifications::Column::Id.is_in(ids));
    }
    update.exec(db).await?;
    unread_count(db, actor).await
}
