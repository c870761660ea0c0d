//! Adding a comment and notifying the colleagues it mentions.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::{MAX_TEXT_CHARS, MentionCandidate, NewComment, handle_of, mentioned_handles};
use crate::access::Actor;
use crate::access::service::{ensure_subject_visible, user_can_see};
use crate::error::{AppError, Field, Rule};
use crate::event::EventSink;
use crate::notification::NotificationKind;
use crate::notification::service::{Notice, notify};
use crate::timeline::Subject;
use crate::timeline::entity::comments;
use crate::user::UserId;
use crate::user::entity::users;

/// A comment as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRecord {
    pub id: i32,
    pub author: Option<(UserId, String)>,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Up to `limit` comments on a deal or client the actor may see, oldest first, after the
/// comment `after` (0 for the first); and whether more follow.
pub async fn list_comments_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject: Subject,
    after: i64,
    limit: u64,
) -> Result<(Vec<CommentRecord>, bool), AppError> {
    use sea_orm::QuerySelect;
    ensure_subject_visible(db, actor, subject).await?;
    let of_subject = match subject {
        Subject::Deal(deal) => comments::Column::DealId.eq(deal.0),
        Subject::Client(client) => comments::Column::ClientId.eq(client.0),
    };
    let mut rows = comments::Entity::find()
        .filter(of_subject)
        .filter(comments::Column::Id.gt(after))
        .order_by_asc(comments::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let people = crate::user::service::all_user_names(db).await?;
    Ok((
        rows.into_iter()
            .map(|row| CommentRecord {
                id: row.id,
                author: row
                    .author_user_id
                    .map(UserId)
                    .map(|user| (user, people.get(&user).cloned().unwrap_or_default())),
                text: row.text,
                at: row.at,
            })
            .collect(),
        more,
    ))
}

/// Adds a comment to a deal or client the actor may see. Every active colleague it
/// mentions who may see the record too is notified (and told live, after commit); the
/// author is not notified of their own mention. Returns who was notified.
pub async fn add_comment(
    db: &(impl TransactionTrait + ConnectionTrait),
    events: &impl EventSink,
    actor: &Actor,
    new: NewComment,
    now: DateTime<Utc>,
) -> Result<Vec<UserId>, AppError> {
    ensure_subject_visible(db, actor, new.subject).await?;
    let text = new.text.trim().to_owned();
    if text.is_empty() {
        return Err(AppError::validation(Field::Comment, Rule::Required));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::validation(
            Field::Comment,
            Rule::TooLong {
                max: MAX_TEXT_CHARS,
            },
        ));
    }
    let handles = mentioned_handles(&text);
    let mut mentioned: Vec<UserId> = Vec::new();
    if !handles.is_empty() {
        for user in users::Entity::find()
            .filter(users::Column::Active.eq(true))
            .order_by_asc(users::Column::Id)
            .all(db)
            .await?
        {
            let id = UserId(user.id);
            if handles.contains(&handle_of(&user.email))
                && Some(id) != actor.user_id()
                && !mentioned.contains(&id)
                && user_can_see(db, id, new.subject).await?
            {
                mentioned.push(id);
            }
        }
    }
    let (deal_id, client_id) = match new.subject {
        Subject::Deal(deal) => (Some(deal.0), None),
        Subject::Client(client) => (None, Some(client.0)),
    };
    let txn = db.begin().await?;
    let comment = comments::ActiveModel {
        deal_id: Set(deal_id),
        client_id: Set(client_id),
        author_user_id: Set(actor.user_id().map(|u| u.0)),
        author_label: Set(actor.label()),
        text: Set(text.clone()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for user in &mentioned {
        notify(
            &txn,
            *user,
            Notice {
                kind: NotificationKind::Mention,
                subject: Some(new.subject),
                comment_id: Some(comment.id),
                actor: actor.user_id(),
                text: &text,
            },
            now,
        )
        .await?;
    }
    crate::event::outbox::append(
        &txn,
        actor,
        now,
        crate::event::EventData::CommentAdded {
            comment_id: comment.id,
            subject: new.subject,
            mentioned: mentioned.clone(),
        },
        crate::event::Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    events.appended();
    Ok(mentioned)
}

/// The colleagues the comment box offers after `@`: active users, by name.
pub async fn mention_candidates(
    db: &impl ConnectionTrait,
) -> Result<Vec<MentionCandidate>, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Active.eq(true))
        .order_by_asc(users::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| MentionCandidate {
            id: UserId(u.id),
            handle: handle_of(&u.email),
            name: u.name,
        })
        .collect())
}
