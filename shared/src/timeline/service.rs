//! Recording field changes, and naming the subjects of timeline entries. Reading the
//! merged timeline of a deal or a client is a page assembler's job
//! (`crate::page::timeline`): it reads many concepts, so it sits above them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entity::field_changes;
use super::{FieldChange, Subject};
use crate::access::Actor;
use crate::deal::DealId;
use crate::error::AppError;

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
