//! Adding and reading conclusions, with the deal's visibility rule.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::conclusions;
use super::{ConclusionId, ConclusionView, MAX_TEXT_CHARS, NewConclusion, Verdict};
use crate::access::Actor;
use crate::deal::DealId;
use crate::deal::service::get_deal;
use crate::department::DepartmentId;
use crate::error::{AppError, Field, Rule};
use crate::event::outbox::append;
use crate::event::{Audience, EventData};
use crate::user::UserId;

/// Adds a conclusion in the name of one of the actor's departments, on a deal the actor
/// may see. A correction names a conclusion of the same deal and department.
pub async fn add_conclusion(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    new: NewConclusion,
    now: DateTime<Utc>,
) -> Result<ConclusionView, AppError> {
    get_deal(db, actor, new.deal).await?;
    if !actor.department_ids.contains(&new.department) {
        return Err(AppError::Forbidden);
    }
    let text = new.text.trim().to_owned();
    if text.is_empty() {
        return Err(AppError::validation(Field::Conclusion, Rule::Required));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::validation(
            Field::Conclusion,
            Rule::TooLong {
                max: MAX_TEXT_CHARS,
            },
        ));
    }
    if let Some(superseded) = new.supersedes {
        let same = conclusions::Entity::find_by_id(superseded.0)
            .one(db)
            .await?
            .is_some_and(|c| c.deal_id == new.deal.0 && c.department_id == new.department.0);
        if !same {
            return Err(AppError::validation(Field::Conclusion, Rule::UnknownValue));
        }
    }
    let txn = db.begin().await?;
    let row = conclusions::ActiveModel {
        deal_id: Set(new.deal.0),
        department_id: Set(new.department.0),
        author_user_id: Set(actor.user_id().map(|u| u.0)),
        verdict: Set(new.verdict.as_str().to_owned()),
        text: Set(text),
        supersedes_id: Set(new.supersedes.map(|c| c.0)),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append(
        &txn,
        actor,
        now,
        EventData::ConclusionAdded {
            conclusion_id: row.id,
            deal_id: new.deal,
            department_id: new.department,
            verdict: row.verdict.clone(),
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    let mut views = views(db, vec![row]).await?;
    views.pop().ok_or(AppError::Internal)
}

/// Every conclusion on a deal, newest first. The caller has checked the deal is visible.
pub async fn conclusions_of(
    db: &impl ConnectionTrait,
    deal: DealId,
) -> Result<Vec<ConclusionView>, AppError> {
    let rows = conclusions::Entity::find()
        .filter(conclusions::Column::DealId.eq(deal.0))
        .order_by_desc(conclusions::Column::At)
        .order_by_desc(conclusions::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<conclusions::Model>,
) -> Result<Vec<ConclusionView>, AppError> {
    let departments: HashMap<DepartmentId, String> =
        crate::department::service::list_departments(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
    let people = crate::user::service::all_user_names(db).await?;
    rows.into_iter()
        .map(|row| {
            let department = DepartmentId(row.department_id);
            let author = row.author_user_id.map(UserId);
            Ok(ConclusionView {
                id: ConclusionId(row.id),
                deal: DealId(row.deal_id),
                department,
                department_name: departments.get(&department).cloned().unwrap_or_default(),
                author,
                author_name: author.and_then(|a| people.get(&a).cloned()),
                verdict: Verdict::parse(&row.verdict).ok_or(AppError::Internal)?,
                text: row.text,
                supersedes: row.supersedes_id.map(ConclusionId),
                at: row.at,
            })
        })
        .collect()
}
