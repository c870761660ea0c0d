//! The one timeline of a deal or a client, newest first: transitions, field changes,
//! conclusions, comments, documents and tasks merged for the card. It reads many concepts
//! (the ledger, documents, tasks, custom fields), so it sits with the page assemblers and
//! no use case calls it.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::conclusion::ConclusionView;
use crate::deal::DealId;
use crate::error::{AppError, Field};
use crate::timeline::entity::{comments, field_changes};
use crate::timeline::{CUSTOM_PREFIX, FieldChange, Subject, TimelineDetail, TimelineEntry};
use crate::transition::TransitionView;
use crate::user::UserId;

/// Timeline entries of one kind a card reads at most (the newest).
const ENTRIES_MAX: u64 = 500;

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
        .any(|row| row.field.starts_with(CUSTOM_PREFIX))
    {
        crate::custom_field::service::labels(db).await?
    } else {
        HashMap::new()
    };
    let field_of = |code: &str| match code.strip_prefix(CUSTOM_PREFIX) {
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
                actor_name: row.actor_label.or_else(|| name(row.actor_user_id)),
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
        actor_name: row.author_label.or_else(|| name(row.author_user_id)),
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
