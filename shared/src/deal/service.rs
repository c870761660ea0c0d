//! Use cases on deals: create one, read one, edit one, move one. `move_deal` is the single
//! implementation every path (server function, REST, automation) goes through.

mod pipeline_edit;

pub use pipeline_edit::save_pipeline;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};

use super::entity::deals;
use super::{
    ClientSummary, DealId, DealView, MoveDeal, NewDeal, UpdateDeal, changes_between, from_minor,
    to_minor, validate_new_deal, validate_update,
};
use crate::access::Actor;
use crate::access::service::{ensure_deal_visible, visible_deal};
use crate::client::entity::clients;
use crate::client::service::save_deal_client;
use crate::custom_field;
use crate::error::{AppError, Entity, Field, Rule};
use crate::event::outbox::{append, deal_audience};
use crate::event::{DealData, EventData, EventSink};
use crate::pipeline::service::load_pipeline;
use crate::pipeline::{
    DealField, MoveDirection, StageView, check_comment, check_move, missing_fields,
};
use crate::transition::TransitionView;
use crate::transition::entity::transitions;
use crate::user::UserId;
use crate::user::entity::users;

/// Creates a deal in the pipeline's first stage and records its entry in the ledger.
pub async fn create_deal(
    db: &impl TransactionTrait,
    events: &impl EventSink,
    actor: &Actor,
    cmd: NewDeal,
    now: DateTime<Utc>,
) -> Result<DealView, AppError> {
    validate_new_deal(&cmd)?;
    let txn = db.begin().await?;
    let pipeline = load_pipeline(&txn, cmd.pipeline_id).await?;
    let first = pipeline
        .first_stage()
        .cloned()
        .ok_or(AppError::validation(Field::Stage, Rule::Required))?;
    let responsible = cmd.responsible.or(actor.user_id());
    if let Some(user) = responsible {
        crate::user::service::ensure_assignable(&txn, user).await?;
    }
    let client_id = match (cmd.client, non_blank(cmd.client_name.as_deref())) {
        // An existing client the creator may see (a hidden one looks missing).
        (Some(client), _) => Some(
            crate::client::service::get_client(&txn, actor, client)
                .await?
                .id
                .0,
        ),
        (None, Some(name)) => Some(
            save_deal_client(
                &txn,
                None,
                name,
                non_blank(cmd.client_phone.as_deref()),
                non_blank(cmd.client_email.as_deref()),
                now,
            )
            .await?,
        ),
        (None, None) => None,
    };
    let (amount_minor, currency) = match &cmd.amount {
        Some(money) => (Some(to_minor(money)?), money.currency.clone()),
        None => (None, "RUB".to_owned()),
    };
    let deal = deals::ActiveModel {
        title: Set(cmd.title.trim().to_owned()),
        client_id: Set(client_id),
        amount_minor: Set(amount_minor),
        currency: Set(currency),
        responsible_user_id: Set(responsible.map(|u| u.0)),
        pipeline_id: Set(pipeline.id.0),
        stage_id: Set(first.id.0),
        stage_entered_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let view = to_view(&txn, deal).await?;
    let missing = missing_fields(&first, |field| is_filled(&view, field));
    if let Some(field) = missing.first() {
        return Err(AppError::RequiredField { field: *field });
    }
    // The values a new deal starts with are part of its creation, not changes.
    custom_field::service::save_values(
        &txn,
        crate::timeline::Subject::Deal(view.id),
        Some(pipeline.id),
        &cmd.custom,
    )
    .await?;
    ensure_custom_filled(&txn, &view, &first).await?;
    record(&txn, &view, None, &first, actor, now, "", false, None).await?;
    append(
        &txn,
        actor,
        now,
        EventData::DealCreated {
            deal: DealData::from(&view),
        },
        deal_audience([view.responsible], [first.department_id]),
    )
    .await?;
    txn.commit().await?;
    events.appended();
    Ok(view)
}

/// One deal, if the actor may see it (otherwise `NotFound`, so that ids do not leak).
pub async fn get_deal(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: DealId,
) -> Result<DealView, AppError> {
    let (deal, _) = visible_deal(db, actor, id).await?;
    to_view(db, deal).await
}

/// Moves a deal to another stage: checks visibility, the pipeline's rules, the reason for
/// a return, the target's required fields and the version; then, in one transaction,
/// updates the deal and appends the transition. A stale version gets `Conflict` with the
/// current version, and nothing is written.
pub async fn move_deal(
    db: &impl TransactionTrait,
    events: &impl EventSink,
    actor: &Actor,
    cmd: MoveDeal,
    now: DateTime<Utc>,
) -> Result<DealView, AppError> {
    let txn = db.begin().await?;
    let deal = lock_deal(&txn, cmd.deal_id).await?;
    let pipeline = load_pipeline(&txn, crate::pipeline::PipelineId(deal.pipeline_id)).await?;
    ensure_deal_visible(actor, &pipeline, &deal)?;
    if deal.version != cmd.version {
        return Err(AppError::Conflict {
            current_version: deal.version,
        });
    }
    let from_id = crate::pipeline::StageId(deal.stage_id);
    let direction = check_move(&pipeline, from_id, cmd.to_stage)?;
    check_comment(direction, &cmd.comment)?;
    let (Some(from), Some(to)) = (
        pipeline.stage(from_id).cloned(),
        pipeline.stage(cmd.to_stage).cloned(),
    ) else {
        return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
    };
    let current = to_view(&txn, deal.clone()).await?;
    if let Some(field) = missing_fields(&to, |field| is_filled(&current, field)).first() {
        return Err(AppError::RequiredField { field: *field });
    }
    ensure_custom_filled(&txn, &current, &to).await?;
    let seconds_in_from = (now - deal.stage_entered_at).num_seconds().max(0);
    let mut changed: deals::ActiveModel = deal.into();
    changed.stage_id = Set(to.id.0);
    changed.stage_entered_at = Set(now);
    changed.updated_at = Set(now);
    changed.version = Set(cmd.version + 1);
    let updated = changed.update(&txn).await?;
    // A move changes neither the client nor the responsible: the view read above holds.
    let view = DealView {
        stage_id: crate::pipeline::StageId(updated.stage_id),
        stage_entered_at: updated.stage_entered_at,
        updated_at: updated.updated_at,
        version: updated.version,
        ..current
    };
    record(
        &txn,
        &view,
        Some(&from),
        &to,
        actor,
        now,
        cmd.comment.trim(),
        direction == MoveDirection::Return,
        Some(seconds_in_from),
    )
    .await?;
    let deal = DealData::from(&view);
    let comment = cmd.comment.trim().to_owned();
    let data = if direction == MoveDirection::Return {
        EventData::DealReturned {
            deal,
            from_stage_id: from.id,
            comment,
        }
    } else {
        EventData::DealMoved {
            deal,
            from_stage_id: from.id,
            comment,
        }
    };
    append(
        &txn,
        actor,
        now,
        data,
        deal_audience([view.responsible], [from.department_id, to.department_id]),
    )
    .await?;
    txn.commit().await?;
    events.appended();
    Ok(view)
}

/// Changes a deal's fields: title, client (created, updated or detached), amount and
/// responsible. The version must match (stale: `Conflict`, nothing written), the actor
/// must see the deal, and the current stage's required fields must stay filled.
pub async fn update_deal(
    db: &impl TransactionTrait,
    events: &impl EventSink,
    actor: &Actor,
    cmd: UpdateDeal,
    now: DateTime<Utc>,
) -> Result<DealView, AppError> {
    validate_update(&cmd)?;
    let txn = db.begin().await?;
    let deal = lock_deal(&txn, cmd.deal_id).await?;
    let pipeline = load_pipeline(&txn, crate::pipeline::PipelineId(deal.pipeline_id)).await?;
    ensure_deal_visible(actor, &pipeline, &deal)?;
    if deal.version != cmd.version {
        return Err(AppError::Conflict {
            current_version: deal.version,
        });
    }
    if let Some(user) = cmd.responsible {
        crate::user::service::ensure_assignable(&txn, user).await?;
    }
    let before_view = to_view(&txn, deal.clone()).await?;
    let client_id = match non_blank(cmd.client_name.as_deref()) {
        None => None,
        Some(name) => {
            let phone = non_blank(cmd.client_phone.as_deref());
            let email = non_blank(cmd.client_email.as_deref());
            Some(save_deal_client(&txn, deal.client_id, name, phone, email, now).await?)
        }
    };
    let (amount_minor, currency) = match &cmd.amount {
        Some(money) => (Some(to_minor(money)?), money.currency.clone()),
        None => (None, deal.currency.clone()),
    };
    let before = deal.responsible_user_id.map(UserId);
    let mut changed: deals::ActiveModel = deal.clone().into();
    changed.title = Set(cmd.title.trim().to_owned());
    changed.client_id = Set(client_id);
    changed.amount_minor = Set(amount_minor);
    changed.currency = Set(currency);
    changed.responsible_user_id = Set(cmd.responsible.map(|u| u.0));
    changed.updated_at = Set(now);
    changed.version = Set(cmd.version + 1);
    let view = to_view(&txn, changed.update(&txn).await?).await?;
    let stage = pipeline
        .stage(view.stage_id)
        .cloned()
        .ok_or(AppError::validation(Field::Stage, Rule::UnknownValue))?;
    if let Some(field) = missing_fields(&stage, |field| is_filled(&view, field)).first() {
        return Err(AppError::RequiredField { field: *field });
    }
    let mut changes = changes_between(&before_view, &view);
    changes.extend(
        custom_field::service::save_values(
            &txn,
            crate::timeline::Subject::Deal(view.id),
            Some(pipeline.id),
            &cmd.custom,
        )
        .await?,
    );
    ensure_custom_filled(&txn, &view, &stage).await?;
    crate::timeline::service::record_changes(
        &txn,
        crate::timeline::Subject::Deal(view.id),
        actor,
        changes.clone(),
        now,
    )
    .await?;
    append(
        &txn,
        actor,
        now,
        EventData::DealUpdated {
            deal: DealData::from(&view),
            changes,
        },
        deal_audience([before, view.responsible], [stage.department_id]),
    )
    .await?;
    txn.commit().await?;
    events.appended();
    Ok(view)
}

/// `RequiredCustomField` unless the deal has a value for every custom field `stage`
/// requires.
async fn ensure_custom_filled(
    db: &impl ConnectionTrait,
    deal: &DealView,
    stage: &StageView,
) -> Result<(), AppError> {
    match custom_field::service::first_missing(
        db,
        deal.id,
        deal.pipeline_id,
        &stage.required_custom_fields,
    )
    .await?
    {
        Some(field) => Err(AppError::RequiredCustomField { field }),
        None => Ok(()),
    }
}

/// Takes the deal's write lock (a row lock on PostgreSQL, the write lock on SQLite) with a
/// no-op update returning the row, so concurrent writers queue up and then read the new
/// version.
async fn lock_deal(txn: &impl ConnectionTrait, id: DealId) -> Result<deals::Model, AppError> {
    deals::Entity::update_many()
        .col_expr(deals::Column::Version, Expr::col(deals::Column::Version))
        .filter(deals::Column::Id.eq(id.0))
        .exec_with_returning(txn)
        .await?
        .pop()
        .ok_or(AppError::NotFound {
            entity: Entity::Deal,
        })
}

/// The deal's history, newest first, if the actor may see the deal.
pub async fn list_transitions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: DealId,
) -> Result<Vec<TransitionView>, AppError> {
    get_deal(db, actor, id).await?;
    history_of(db, id).await
}

/// The ledger rows of a deal, newest first, with actor names; the caller checked access.
async fn history_of(
    db: &impl ConnectionTrait,
    id: DealId,
) -> Result<Vec<TransitionView>, AppError> {
    crate::transition::service::history_of_deals(db, &[id], None).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of the ledger has this many facts"
)]
async fn record(
    db: &impl ConnectionTrait,
    deal: &DealView,
    from: Option<&StageView>,
    to: &StageView,
    actor: &Actor,
    now: DateTime<Utc>,
    comment: &str,
    is_return: bool,
    seconds_in_from: Option<i64>,
) -> Result<(), AppError> {
    transitions::ActiveModel {
        deal_id: Set(deal.id.0),
        pipeline_id: Set(deal.pipeline_id.0),
        from_stage_id: Set(from.map(|s| s.id.0)),
        to_stage_id: Set(to.id.0),
        from_stage_name: Set(from.map(|s| s.name.clone())),
        to_stage_name: Set(to.name.clone()),
        from_department_id: Set(from.and_then(|s| s.department_id).map(|d| d.0)),
        to_department_id: Set(to.department_id.map(|d| d.0)),
        actor_user_id: Set(actor.user_id().map(|u| u.0)),
        actor_label: Set(actor.label()),
        at: Set(now),
        comment: Set(comment.to_owned()),
        is_return: Set(is_return),
        seconds_in_from: Set(seconds_in_from),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn is_filled(deal: &DealView, field: DealField) -> bool {
    match field {
        DealField::Amount => deal.amount.is_some(),
        DealField::Client => deal.client.is_some(),
        DealField::ClientPhone => deal.client.as_ref().is_some_and(|c| c.phone.is_some()),
        DealField::ClientEmail => deal.client.as_ref().is_some_and(|c| c.email.is_some()),
        DealField::Responsible => deal.responsible.is_some(),
    }
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Many deals as views, with their clients and responsible users loaded in two queries.
pub(crate) async fn to_views(
    db: &impl ConnectionTrait,
    rows: Vec<deals::Model>,
) -> Result<Vec<DealView>, AppError> {
    let client_ids: Vec<i32> = rows.iter().filter_map(|d| d.client_id).collect();
    let user_ids: Vec<i32> = rows.iter().filter_map(|d| d.responsible_user_id).collect();
    let found_clients = if client_ids.is_empty() {
        Vec::new()
    } else {
        clients::Entity::find()
            .filter(clients::Column::Id.is_in(client_ids))
            .all(db)
            .await?
    };
    let found_users = if user_ids.is_empty() {
        Vec::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|deal| {
            let client = deal
                .client_id
                .and_then(|id| found_clients.iter().find(|c| c.id == id))
                .map(|c| ClientSummary {
                    id: c.id,
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    email: c.email.clone(),
                    time_zone: c.time_zone.clone(),
                });
            let responsible_name = deal
                .responsible_user_id
                .and_then(|id| found_users.iter().find(|u| u.id == id))
                .map(|u| u.name.clone());
            build_view(deal, client, responsible_name)
        })
        .collect())
}

fn build_view(
    deal: deals::Model,
    client: Option<ClientSummary>,
    responsible_name: Option<String>,
) -> DealView {
    DealView {
        id: DealId(deal.id),
        title: deal.title,
        client,
        amount: deal
            .amount_minor
            .map(|minor| from_minor(minor, &deal.currency)),
        responsible: deal.responsible_user_id.map(UserId),
        responsible_name,
        pipeline_id: crate::pipeline::PipelineId(deal.pipeline_id),
        stage_id: crate::pipeline::StageId(deal.stage_id),
        stage_entered_at: deal.stage_entered_at,
        created_at: deal.created_at,
        updated_at: deal.updated_at,
        version: deal.version,
    }
}

async fn to_view(db: &impl ConnectionTrait, deal: deals::Model) -> Result<DealView, AppError> {
    let client = match deal.client_id {
        Some(id) => clients::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|c| ClientSummary {
                id: c.id,
                name: c.name,
                phone: c.phone,
                email: c.email,
                time_zone: c.time_zone,
            }),
        None => None,
    };
    let responsible_name = match deal.responsible_user_id {
        Some(id) => users::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
        None => None,
    };
    Ok(build_view(deal, client, responsible_name))
}
