//! Recording field changes, and reading the one timeline of a deal or a client.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::{comments, field_changes};
use super::{FieldChange, Subject, TimelineDetail, TimelineEntry};
use crate::access::Actor;
use crate::conclusion::ConclusionView;
use crate::deal::DealId;
use crate::error::{AppError, Field};
use crate::transition::TransitionView;
use crate::user::UserId;

/// Timeline entries of one kind a card reads at most (the newest).
const ENTRIES_MAX: u64 = 500;

/// Appends the changes an edit made, in the caller's transaction.
pub async fn record_changes(
    db: &impl ConnectionTrait,
    subject: Subject,
    actor: &Actor,
    changes: Vec<FieldChange>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    if changes.is_empty() {
        return Ok(());
    }
    let (deal_id, client_id) = ids(subject);
    field_changes::Entity::insert_many(changes.into_iter().map(|change| {
        field_changes::ActiveModel {
            deal_id: Set(deal_id),
            client_id: Set(client_id),
            field: Set(change.code()),
            old_value: Set(change.old),
            new_value: Set(change.new),
            actor_user_id: Set(actor.user_id().map(|u| u.0)),
            actor_label: Set(actor.label()),
            at: Set(at),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

fn ids(subject: Subject) -> (Option<i32>, Option<i32>) {
    match subject {
        Subject::Deal(deal) => (Some(deal.0), None),
        Subject::Client(client) => (None, Some(client.0)),
    }
}

/// The deal's timeline from its history and conclusions (already read for the card) and
/// its field changes and comments. The caller has checked the deal is visible.
pub async fn deal_timeline(
    db: &impl ConnectionTrait,
    deal: DealId,
    history: &[TransitionView],
    conclusions: &[ConclusionView],
) -> Result<Vec<TimelineEntry>, AppError> {
    let mut entries: Vec<TimelineEntry> = history.iter().map(|t| move_entry(t, None)).collect();
    entries.extend(conclusions.iter().map(|c| TimelineEntry {
        at: c.at,
        actor_name: c.author_name.clone(),
        deal: None,
        detail: TimelineDetail::Conclusion {
            department: c.department_name.clone(),
            verdict: c.verdict,
            text: c.text.clone(),
            corrects: c.supersedes.is_some(),
        },
    }));
    entries.extend(own_entries(db, Subject::Deal(deal)).await?);
    sort_newest_first(&mut entries);
    Ok(entries)
}

/// The client's timeline: their own field changes and comments, and the moves of their
/// deals the caller may see (`deals`, with titles). The caller has checked the client is
/// visible.
pub async fn client_timeline(
    db: &impl ConnectionTrait,
    client: crate::client::ClientId,
    deals: &[(DealId, String)],
) -> Result<Vec<TimelineEntry>, AppError> {
    let mut entries = own_entries(db, Subject::Client(client)).await?;
    if !deals.is_empty() {
        let titles: HashMap<DealId, &String> = deals.iter().map(|(id, t)| (*id, t)).collect();
        let history = crate::transition::service::history_of_deals(
            db,
            &deals.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            Some(ENTRIES_MAX),
        )
        .await?;
        entries.extend(history.iter().map(|t| {
            let deal = titles
                .get(&t.deal_id)
                .map(|title| (t.deal_id, (*title).clone()));
            move_entry(t, deal)
        }));
    }
    sort_newest_first(&mut entries);
    Ok(entries)
}

fn sort_newest_first(entries: &mut [TimelineEntry]) {
    // Stable: entries of the same instant keep the order they were gathered in.
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.at));
}

fn move_entry(t: &TransitionView, deal: Option<(DealId, String)>) -> TimelineEntry {
    TimelineEntry {
        at: t.at,
        actor_name: t.actor_name.clone(),
        deal,
        detail: TimelineDetail::Move {
            from: t.from_stage_name.clone(),
            to: t.to_stage_name.clone(),
            is_return: t.is_return,
            comment: t.comment.clone(),
            seconds_in_from: t.seconds_in_from,
        },
    }
}

/// Field changes and comments recorded on the subject itself.
async fn own_entries(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<Vec<TimelineEntry>, AppError> {
    use sea_orm::QuerySelect;
    let (changes, notes) = match subject {
        Subject::Deal(deal) => (
            field_changes::Entity::find().filter(field_changes::Column::DealId.eq(deal.0)),
            comments::Entity::find().filter(comments::Column::DealId.eq(deal.0)),
        ),
        Subject::Client(client) => (
            field_changes::Entity::find().filter(field_changes::Column::ClientId.eq(client.0)),
            comments::Entity::find().filter(comments::Column::ClientId.eq(client.0)),
        ),
    };
    let changes = changes
        .order_by_desc(field_changes::Column::Id)
        .limit(ENTRIES_MAX)
        .all(db)
        .await?;
    let notes = notes
        .order_by_desc(comments::Column::Id)
        .limit(ENTRIES_MAX)
        .all(db)
        .await?;
    let people = crate::user::service::all_user_names(db).await?;
    let name = |user: Option<i32>| user.and_then(|u| people.get(&UserId(u)).cloned());
    let custom_labels = if changes
        .iter()
        .any(|row| row.field.starts_with(super::types::CUSTOM_PREFIX))
    {
        crate::custom_field::service::labels(db).await?
    } else {
        HashMap::new()
    };
    let field_of = |code: &str| match code.strip_prefix(super::types::CUSTOM_PREFIX) {
        Some(id) => {
            let id = crate::custom_field::CustomFieldId(id.parse().ok()?);
            let label = custom_labels.get(&id)?.clone();
            Some((
                Field::CustomField,
                Some(crate::custom_field::CustomFieldRef { id, label }),
            ))
        }
        None => Some((Field::parse(code)?, None)),
    };
    let mut entries: Vec<TimelineEntry> = changes
        .into_iter()
        .filter_map(|row| {
            let (field, custom) = field_of(&row.field)?;
            Some(TimelineEntry {
                at: row.at,
                actor_name: name(row.actor_user_id).or(row.actor_label),
                deal: None,
                detail: TimelineDetail::Change(FieldChange {
                    field,
                    custom,
                    old: row.old_value,
                    new: row.new_value,
                }),
            })
        })
        .collect();
    entries.extend(notes.into_iter().map(|row| TimelineEntry {
        at: row.at,
        actor_name: name(row.author_user_id),
        deal: None,
        detail: TimelineDetail::Comment { text: row.text },
    }));
    for (name, version) in crate::document::service::uploads_of(db, subject).await? {
        entries.push(TimelineEntry {
            at: version.uploaded_at,
            actor_name: version.uploaded_by_name,
            deal: None,
            detail: TimelineDetail::Document {
                name,
                file_name: version.file_name,
                version: version.number,
            },
        });
    }
    for task in crate::task::service::tasks_of(db, subject).await? {
        let detail = |done| TimelineDetail::Task {
            title: task.title.clone(),
            due_at: task.due_at,
            assignee: task.assignee_name.clone(),
            done,
        };
        entries.push(TimelineEntry {
            at: task.created_at,
            actor_name: task.created_by_name.clone(),
            deal: None,
            detail: detail(false),
        });
        if let Some(done_at) = task.done_at {
            entries.push(TimelineEntry {
                at: done_at,
                actor_name: task.done_by_name.clone(),
                deal: None,
                detail: detail(true),
            });
        }
    }
    Ok(entries)
}

/// The title of each deal and the name of each client among `subjects`, read in two
/// queries, for lists that point at them (notifications, tasks).
pub async fn subject_names(
    db: &impl ConnectionTrait,
    subjects: impl IntoIterator<Item = Subject>,
) -> Result<HashMap<Subject, String>, AppError> {
    use crate::client::entity::clients;
    use crate::deal::entity::deals;
    let (mut deal_ids, mut client_ids) = (Vec::new(), Vec::new());
    for subject in subjects {
        match subject {
            Subject::Deal(deal) => deal_ids.push(deal.0),
            Subject::Client(client) => client_ids.push(client.0),
        }
    }
    let mut names = HashMap::new();
    if !deal_ids.is_empty() {
        for deal in deals::Entity::find()
            .filter(deals::Column::Id.is_in(deal_ids))
            .all(db)
            .await?
        {
            names.insert(Subject::Deal(DealId(deal.id)), deal.title);
        }
    }
    if !client_ids.is_empty() {
        for client in clients::Entity::find()
            .filter(clients::Column::Id.is_in(client_ids))
            .all(db)
            .await?
        {
            names.insert(
                Subject::Client(crate::client::ClientId(client.id)),
                client.name,
            );
        }
    }
    Ok(names)
}

/// `NotFound` unless the actor may see the deal or client.
pub async fn ensure_subject_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject: Subject,
) -> Result<(), AppError> {
    match subject {
        Subject::Deal(deal) => crate::deal::service::get_deal(db, actor, deal)
            .await
            .map(drop),
        Subject::Client(client) => crate::client::service::get_client(db, actor, client)
            .await
            .map(drop),
    }
}

/// Whether an active colleague may see the record (a mention or a task must not leak it).
pub async fn user_can_see(
    db: &impl ConnectionTrait,
    user: UserId,
    subject: Subject,
) -> Result<bool, AppError> {
    let Some((actor, _)) = crate::user::service::load_actor(db, user).await? else {
        return Ok(false);
    };
    match ensure_subject_visible(db, &actor, subject).await {
        Ok(()) => Ok(true),
        Err(AppError::NotFound { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}
