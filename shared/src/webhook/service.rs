//! Use cases on webhooks: the administrators' subscriptions, and the engine that turns
//! events into deliveries (`fan_out`), sends one (`deliver`: claim, sign, send through the
//! server's checked client, record) and schedules what comes next.
//!
//! Order per record: every delivery has a lane (`deal:12`), and a delivery is only
//! claimed while no earlier delivery of its lane and subscription is pending or being
//! sent. The dispatch job claims what is due in batches (at most one per lane), sends a
//! batch at once and records it in one transaction, then claims again: the next of each
//! lane is free by then. New deliveries, retries, resumes and resends enqueue a dispatch;
//! one with nothing due does nothing.

use crate::audit::AuditAction;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionSession, TransactionTrait,
};

use super::entity::{webhook_attempts, webhook_deliveries, webhooks};
use super::signature::{new_secret, signature_header};
use super::{
    AttemptView, CreatedWebhook, DeliveryId, DeliveryState, DeliveryView, WebhookId, WebhookInput,
    WebhookState, WebhookView, retry_delay_seconds, validate_input,
};
use crate::access::Actor;
use crate::error::{AppError, Entity};
use crate::event::outbox::{self, StoredEvent};
use crate::event::public::ApiEvent;
use crate::event::{EventData, EventSink};
use crate::job::queue::{NewJob, enqueue};
use crate::notification::NotificationKind;
use crate::notification::service::{Notice, notify};
use crate::outbound::AllowedHosts;
use crate::pipeline::{PipelineId, StageKind};
use crate::user::UserId;

/// The job that sends what is due (payload `{}`).
pub const DISPATCH_JOB: &str = "webhook.dispatch";
/// How long a claimed delivery is its worker's (the call itself times out well before).
const SEND_LEASE_SECONDS: i64 = 120;
/// How long a rotated-out secret still signs.
const ROTATION_HOURS: i64 = 24;
/// Characters of a receiver's answer kept with an attempt.
const EXCERPT_CHARS: usize = 500;
/// Deliveries the page lists at once (newest first).
pub const DELIVERIES_LIST_MAX: u64 = 50;
/// Attempts shown per delivery.
const ATTEMPTS_SHOWN: usize = 10;
/// The longest `Retry-After` honoured (a longer one waits this long).
const RETRY_AFTER_MAX_SECONDS: i64 = 86_400;
/// Subscriptions an installation may have.
pub const WEBHOOKS_MAX: u64 = 100;

/// A delivery is blocked while an earlier one of its lane and subscription is unfinished,
/// and only a live subscription sends. Written against the table's own name, which is
/// the outer row in both a SELECT and an UPDATE on SQLite and PostgreSQL.
const LANE_FREE: &str = "NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
     WHERE e.webhook_id = webhook_deliveries.webhook_id \
     AND e.lane = webhook_deliveries.lane AND e.id < webhook_deliveries.id \
     AND e.state IN ('pending', 'sending'))";
const SUBSCRIPTION_ACTIVE: &str = "EXISTS (SELECT 1 FROM webhooks w \
     WHERE w.id = webhook_deliveries.webhook_id AND w.state = 'active')";

/// A message ready to go: the URL, the headers' facts and the exact bytes signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub delivery: Option<DeliveryId>,
    pub url: String,
    /// `webhook-id`: the same on every attempt.
    pub message_id: String,
    /// `webhook-timestamp`: seconds since the epoch, of this attempt.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    pub body: Vec<u8>,
}

/// What the receiver did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Its status; `None` when the call failed before an answer (refused, timed out).
    pub status: Option<u16>,
    /// Why it failed, in our words; `None` for a 2xx answer.
    pub error: Option<String>,
    /// The start of its answer.
    pub excerpt: String,
    /// Its `Retry-After`, in seconds.
    pub retry_after: Option<i64>,
    pub duration_ms: i32,
}

impl Reply {
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The server's side of sending: its checked outbound client (`server::outbound`).
#[async_trait::async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, message: &Outgoing) -> Reply;
}

fn not_found() -> AppError {
    AppError::NotFound {
        entity: Entity::Webhook,
    }
}

fn types_text(types: &[String]) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for kind in super::EVENT_TYPES {
        if types.iter().any(|t| t == kind) {
            kept.push(kind);
        }
    }
    kept.join(" ")
}

fn types_of(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

async fn check_pipeline(
    db: &impl ConnectionTrait,
    pipeline: Option<PipelineId>,
) -> Result<(), AppError> {
    if let Some(pipeline) = pipeline
        && crate::pipeline::entity::pipelines::Entity::find_by_id(pipeline.0)
            .one(db)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound {
            entity: Entity::Pipeline,
        });
    }
    Ok(())
}

/// Subscribes a URL (administrators). The secret is returned here and by `reveal_secret`.
pub async fn create_webhook(
    db: &impl ConnectionTrait,
    actor: &Actor,
    input: WebhookInput,
    allowed: &AllowedHosts,
    now: DateTime<Utc>,
) -> Result<CreatedWebhook, AppError> {
    actor.require_admin()?;
    validate_input(&input, allowed)?;
    let owner = actor.user_id().ok_or(AppError::Forbidden)?;
    check_pipeline(db, input.pipeline_id).await?;
    if webhooks::Entity::find().count(db).await? >= WEBHOOKS_MAX {
        return Err(AppError::validation(
            crate::error::Field::WebhookUrl,
            crate::error::Rule::TooMany {
                max: WEBHOOKS_MAX as usize,
            },
        ));
    }
    let secret = new_secret();
    let row = webhooks::ActiveModel {
        url: Set(input.url.trim().to_owned()),
        description: Set(input.description.trim().to_owned()),
        event_types: Set(types_text(&input.event_types)),
        pipeline_id: Set(input.pipeline_id.map(|p| p.0)),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        state: Set(WebhookState::Active.as_str().to_owned()),
        state_reason: Set(None),
        owner_user_id: Set(owner.0),
        // Only what happens from now on.
        after_event_id: Set(outbox::last_id(db).await?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit(
        db,
        actor,
        AuditAction::WebhookCreated,
        row.id,
        &format!("{} [{}]", row.url, row.event_types),
        now,
    )
    .await?;
    Ok(CreatedWebhook {
        webhook: view(db, row).await?,
        secret,
    })
}

async fn audit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    id: i32,
    details: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    crate::audit::service::record(
        db,
        actor,
        action,
        Some(format!("webhook:{id}")),
        details,
        now,
    )
    .await
}

/// Changes a subscription's URL, description, event types or pipeline (administrators).
pub async fn update_webhook(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
    input: WebhookInput,
    allowed: &AllowedHosts,
    now: DateTime<Utc>,
) -> Result<WebhookView, AppError> {
    actor.require_admin()?;
    validate_input(&input, allowed)?;
    let row = find(db, id).await?;
    check_pipeline(db, input.pipeline_id).await?;
    let before = format!("{} [{}] {:?}", row.url, row.event_types, row.pipeline_id);
    let mut row: webhooks::ActiveModel = row.into();
    row.url = Set(input.url.trim().to_owned());
    row.description = Set(input.description.trim().to_owned());
    row.event_types = Set(types_text(&input.event_types));
    row.pipeline_id = Set(input.pipeline_id.map(|p| p.0));
    row.updated_at = Set(now);
    let row = row.update(db).await?;
    let after = format!("{} [{}] {:?}", row.url, row.event_types, row.pipeline_id);
    audit(
        db,
        actor,
        AuditAction::WebhookChanged,
        row.id,
        &format!("{before} -> {after}"),
        now,
    )
    .await?;
    view(db, row).await
}

async fn find(db: &impl ConnectionTrait, id: WebhookId) -> Result<webhooks::Model, AppError> {
    webhooks::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// Every subscription, oldest first (administrators).
pub async fn list_webhooks(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<WebhookView>, AppError> {
    actor.require_admin()?;
    let rows = webhooks::Entity::find()
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(db, row).await?);
    }
    Ok(views)
}

/// One subscription (administrators).
pub async fn get_webhook(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
) -> Result<WebhookView, AppError> {
    actor.require_admin()?;
    view(db, find(db, id).await?).await
}

async fn view(db: &impl ConnectionTrait, row: webhooks::Model) -> Result<WebhookView, AppError> {
    let count = |state: DeliveryState| {
        webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::WebhookId.eq(row.id))
            .filter(webhook_deliveries::Column::State.eq(state.as_str()))
            .count(db)
    };
    let pending = count(DeliveryState::Pending).await? + count(DeliveryState::Sending).await?;
    let delivered = count(DeliveryState::Delivered).await?;
    let failed = count(DeliveryState::Failed).await?;
    let owner_name = crate::user::entity::users::Entity::find_by_id(row.owner_user_id)
        .one(db)
        .await?
        .map(|user| user.name)
        .unwrap_or_default();
    Ok(WebhookView {
        id: WebhookId(row.id),
        url: row.url,
        description: row.description,
        event_types: types_of(&row.event_types),
        pipeline_id: row.pipeline_id.map(PipelineId),
        state: WebhookState::parse(&row.state).unwrap_or(WebhookState::Paused),
        state_reason: row.state_reason,
        owner_name,
        created_at: row.created_at,
        previous_secret_until: row.previous_secret_until,
        pending,
        delivered,
        failed,
    })
}

/// Removes a subscription with its deliveries and their attempts (administrators).
pub async fn delete_webhook(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let row = find(&txn, id).await?;
    audit(
        &txn,
        actor,
        AuditAction::WebhookDeleted,
        id.0,
        &row.url,
        now,
    )
    .await?;
    let deliveries = webhook_deliveries::Entity::find()
        .select_only()
        .column(webhook_deliveries::Column::Id)
        .filter(webhook_deliveries::Column::WebhookId.eq(id.0))
        .into_query();
    webhook_attempts::Entity::delete_many()
        .filter(webhook_attempts::Column::DeliveryId.in_subquery(deliveries))
        .exec(&txn)
        .await?;
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::WebhookId.eq(id.0))
        .exec(&txn)
        .await?;
    webhooks::Entity::delete_by_id(id.0).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Stops sending (administrators): deliveries queue up until `resume_webhook`.
pub async fn pause_webhook(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<WebhookView, AppError> {
    actor.require_admin()?;
    let row = find(db, id).await?;
    let mut row: webhooks::ActiveModel = row.into();
    row.state = Set(WebhookState::Paused.as_str().to_owned());
    row.state_reason = Set(None);
    row.updated_at = Set(now);
    let row = row.update(db).await?;
    view(db, row).await
}

/// Sends again (administrators): what queued up while it was paused goes out, in order.
pub async fn resume_webhook(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    events: &impl EventSink,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<WebhookView, AppError> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let row = find(&txn, id).await?;
    let mut row: webhooks::ActiveModel = row.into();
    row.state = Set(WebhookState::Active.as_str().to_owned());
    row.state_reason = Set(None);
    row.updated_at = Set(now);
    let row = row.update(&txn).await?;
    // What queued up while it was paused goes out now (in order: the lanes see to it).
    wake(&txn, now, now).await?;
    txn.commit().await?;
    events.appended();
    view(db, row).await
}

/// A new secret (administrators); the old one keeps signing beside it for a day, so
/// receivers can switch without losing a message.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<CreatedWebhook, AppError> {
    actor.require_admin()?;
    let row = find(db, id).await?;
    let secret = new_secret();
    let old = row.secret.clone();
    let mut row: webhooks::ActiveModel = row.into();
    row.previous_secret = Set(Some(old));
    row.previous_secret_until = Set(Some(now + Duration::hours(ROTATION_HOURS)));
    row.secret = Set(secret.clone());
    row.updated_at = Set(now);
    let row = row.update(db).await?;
    audit(
        db,
        actor,
        AuditAction::WebhookChanged,
        row.id,
        "signing secret rotated",
        now,
    )
    .await?;
    Ok(CreatedWebhook {
        webhook: view(db, row).await?,
        secret,
    })
}

/// The signing secret, for an administrator setting up the receiver.
pub async fn reveal_secret(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
) -> Result<String, AppError> {
    actor.require_admin()?;
    Ok(find(db, id).await?.secret)
}

/// The newest deliveries of a subscription with their latest attempts (administrators).
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: WebhookId,
) -> Result<Vec<DeliveryView>, AppError> {
    actor.require_admin()?;
    find(db, id).await?;
    let rows = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::WebhookId.eq(id.0))
        .order_by_desc(webhook_deliveries::Column::Id)
        .limit(DELIVERIES_LIST_MAX)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let attempts = webhook_attempts::Entity::find()
        .filter(webhook_attempts::Column::DeliveryId.is_in(ids))
        .order_by_desc(webhook_attempts::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let attempt_log = attempts
                .iter()
                .filter(|attempt| attempt.delivery_id == row.id)
                .take(ATTEMPTS_SHOWN)
                .map(|attempt| AttemptView {
                    at: attempt.attempted_at,
                    status: attempt.status.and_then(|s| u16::try_from(s).ok()),
                    error: attempt.error.clone(),
                    excerpt: attempt.response_excerpt.clone(),
                    duration_ms: attempt.duration_ms,
                })
                .collect();
            delivery_view(row, attempt_log)
        })
        .collect())
}

fn delivery_view(row: webhook_deliveries::Model, attempt_log: Vec<AttemptView>) -> DeliveryView {
    DeliveryView {
        id: DeliveryId(row.id),
        event_id: row.event_id,
        event_type: row.event_type,
        lane: row.lane,
        state: DeliveryState::parse(&row.state).unwrap_or(DeliveryState::Failed),
        attempts: row.attempts,
        next_at: row.next_at,
        last_status: row.last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
        attempt_log,
    }
}

/// Sends a delivery again now, with a fresh set of attempts and the same `webhook-id`
/// (administrators). One being sent is left alone.
pub async fn resend(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    events: &impl EventSink,
    id: DeliveryId,
    now: DateTime<Utc>,
) -> Result<DeliveryView, AppError> {
    actor.require_admin()?;
    let txn = db.begin().await?;
    let updated = webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::State,
            Expr::value(DeliveryState::Pending.as_str()),
        )
        .col_expr(webhook_deliveries::Column::Attempts, Expr::value(0))
        .col_expr(webhook_deliveries::Column::NextAt, Expr::value(now))
        .filter(webhook_deliveries::Column::Id.eq(id.0))
        .filter(webhook_deliveries::Column::State.ne(DeliveryState::Sending.as_str()))
        .exec_with_returning(&txn)
        .await?;
    let Some(row) = updated.into_iter().next() else {
        return match webhook_deliveries::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
        {
            Some(_) => Err(AppError::Conflict { current_version: 0 }),
            None => Err(AppError::NotFound {
                entity: Entity::WebhookDelivery,
            }),
        };
    };
    wake(&txn, now, now).await?;
    txn.commit().await?;
    events.appended();
    Ok(delivery_view(row, Vec::new()))
}

/// Enqueues a dispatch at `at`: the job that sends every delivery due then.
async fn wake(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut job = NewJob::new(DISPATCH_JOB, serde_json::json!({}), at);
    // Failures are retried by each delivery's own schedule, not the queue's.
    job.max_attempts = 3;
    enqueue(db, job, now).await?;
    Ok(())
}

/// Enqueues a dispatch for now unless one is already waiting to run: new deliveries need
/// one job, not one each. (A waiting dispatch that starts before this transaction commits
/// misses what it added; the sweep, `wake_stalled`, catches that within seconds.)
async fn wake_soon(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), AppError> {
    use crate::job::entity::jobs;
    let waiting = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq(DISPATCH_JOB))
        .filter(jobs::Column::State.eq(crate::job::JobState::Queued.as_str()))
        .filter(jobs::Column::RunAt.lte(now))
        .count(db)
        .await?;
    if waiting == 0 {
        wake(db, now, now).await?;
    }
    Ok(())
}

/// The record whose deliveries go in order.
fn lane_of(data: &EventData) -> String {
    let (kind, id) = data.subject();
    format!("{kind}:{id}")
}

/// The type a subscription asking for `types` gets `event` as, if any.
fn delivered_as<'a>(types: &[String], base: &'a str, outcome: Option<&'a str>) -> Option<&'a str> {
    let asked = |kind: &str| types.iter().any(|t| t == kind);
    match outcome {
        Some(outcome) if asked(outcome) => Some(outcome),
        _ => asked(base).then_some(base),
    }
}

/// Turns one event of the log into deliveries for the subscriptions that asked for it,
/// each with the job that sends it; idempotent (one delivery per subscription and
/// event). Returns how many were created.
pub async fn fan_out(
    db: &(impl ConnectionTrait + TransactionTrait),
    event: &StoredEvent,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let data = &event.record.data;
    let base = data.kind();
    if !super::EVENT_TYPES.contains(&base) {
        return Ok(0);
    }
    let subscriptions = webhooks::Entity::find()
        .filter(webhooks::Column::State.ne(WebhookState::Disabled.as_str()))
        .filter(webhooks::Column::AfterEventId.lt(event.record.id))
        .all(db)
        .await?;
    if subscriptions.is_empty() {
        return Ok(0);
    }
    let outcome = match data {
        EventData::DealMoved { deal, .. } => {
            let stage = crate::pipeline::entity::stages::Entity::find_by_id(deal.stage_id.0)
                .one(db)
                .await?;
            match stage.and_then(|s| StageKind::parse(&s.kind)) {
                Some(StageKind::Won) => Some("deal.won"),
                Some(StageKind::Lost) => Some("deal.lost"),
                _ => None,
            }
        }
        _ => None,
    };
    let mut pipeline: Option<Option<i32>> = None;
    let lane = lane_of(data);
    let txn = db.begin().await?;
    let mut created = 0;
    let mut active = false;
    for subscription in subscriptions {
        let types = types_of(&subscription.event_types);
        let Some(kind) = delivered_as(&types, base, outcome) else {
            continue;
        };
        if let Some(wanted) = subscription.pipeline_id {
            if pipeline.is_none() {
                pipeline = Some(pipeline_of(&txn, data).await?);
            }
            if pipeline.flatten() != Some(wanted) {
                continue;
            }
        }
        let inserted = webhook_deliveries::Entity::insert(webhook_deliveries::ActiveModel {
            webhook_id: Set(subscription.id),
            event_id: Set(event.record.id),
            event_type: Set(kind.to_owned()),
            lane: Set(lane.clone()),
            state: Set(DeliveryState::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_at: Set(now),
            locked_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            webhook_deliveries::Column::WebhookId,
            webhook_deliveries::Column::EventId,
        ])
        .exec(&txn)
        .await?;
        if let sea_orm::TryInsertResult::Inserted(_) = inserted {
            created += 1;
            active |= subscription.state == WebhookState::Active.as_str();
        }
    }
    if active {
        wake_soon(&txn, now).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// The pipeline of the deal an event is about (`None` for clients and loose tasks).
async fn pipeline_of(db: &impl ConnectionTrait, data: &EventData) -> Result<Option<i32>, AppError> {
    if let Some(deal) = data.changed_deal() {
        return Ok(Some(deal.pipeline_id.0));
    }
    let (kind, id) = data.subject();
    if kind != "deal" {
        return Ok(None);
    }
    let Ok(id) = i32::try_from(id) else {
        return Ok(None);
    };
    Ok(crate::deal::entity::deals::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|deal| deal.pipeline_id))
}

/// The `webhook-id` of a delivery: the same on every attempt and resend.
fn message_id(event_id: i64, webhook_id: i32) -> String {
    format!("msg_{event_id}_{webhook_id}")
}

/// The secrets that sign now: the current one, and the one it replaced for a day.
fn signing_secrets(webhook: &webhooks::Model, now: DateTime<Utc>) -> Vec<&str> {
    let mut secrets = vec![webhook.secret.as_str()];
    if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_secret_until)
        && until > now
    {
        secrets.push(previous);
    }
    secrets
}

fn outgoing(
    webhook: &webhooks::Model,
    delivery: Option<DeliveryId>,
    message_id: String,
    body: Vec<u8>,
    now: DateTime<Utc>,
) -> Outgoing {
    let timestamp = now.timestamp();
    let signature = signature_header(
        &signing_secrets(webhook, now),
        &message_id,
        timestamp,
        &body,
    );
    Outgoing {
        delivery,
        url: webhook.url.clone(),
        message_id,
        timestamp,
        signature,
        body,
    }
}

/// The body of a delivery: the event in the API's public shape, under the type sent.
fn body_of(event: StoredEvent, event_type: &str) -> Result<Vec<u8>, AppError> {
    let mut public = ApiEvent::from(event.record);
    event_type.clone_into(&mut public.kind);
    serde_json::to_vec(&public).map_err(|_| AppError::Internal)
}

/// Takes up to `limit` deliveries for sending: due, of an active subscription, with no
/// earlier delivery of their lane unfinished (so at most one per lane), or left `sending`
/// by a worker whose lease ended. Empty when nothing is due.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Outgoing>, AppError> {
    let due = || {
        sea_orm::Condition::all()
            .add(webhook_deliveries::Column::NextAt.lte(now))
            .add(
                webhook_deliveries::Column::State
                    .eq(DeliveryState::Pending.as_str())
                    .or(webhook_deliveries::Column::State
                        .eq(DeliveryState::Sending.as_str())
                        .and(webhook_deliveries::Column::LockedUntil.lt(now))),
            )
            .add(Expr::cust(LANE_FREE))
            .add(Expr::cust(SUBSCRIPTION_ACTIVE))
    };
    let candidates = webhook_deliveries::Entity::find()
        .select_only()
        .column(webhook_deliveries::Column::Id)
        .filter(due())
        .order_by_asc(webhook_deliveries::Column::Id)
        .limit(limit)
        .into_query();
    // The same condition again on each row: of two dispatchers, the first to change a
    // row takes it.
    let claimed = webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::State,
            Expr::value(DeliveryState::Sending.as_str()),
        )
        .col_expr(
            webhook_deliveries::Column::LockedUntil,
            Expr::value(Some(now + Duration::seconds(SEND_LEASE_SECONDS))),
        )
        .col_expr(
            webhook_deliveries::Column::Attempts,
            Expr::col(webhook_deliveries::Column::Attempts).add(1),
        )
        .filter(webhook_deliveries::Column::Id.in_subquery(candidates))
        .filter(due())
        .exec_with_returning(db)
        .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let mut subscriptions: Vec<webhooks::Model> = webhooks::Entity::find()
        .filter(webhooks::Column::Id.is_in(claimed.iter().map(|row| row.webhook_id)))
        .all(db)
        .await?;
    subscriptions.sort_by_key(|w| w.id);
    let events = outbox::read_many(db, claimed.iter().map(|row| row.event_id)).await?;
    let mut messages = Vec::with_capacity(claimed.len());
    for row in claimed {
        let webhook = subscriptions
            .binary_search_by_key(&row.webhook_id, |w| w.id)
            .ok()
            .and_then(|at| subscriptions.get(at))
            .ok_or_else(not_found)?;
        let event = events
            .iter()
            .find(|event| event.record.id == row.event_id)
            .cloned()
            .ok_or(AppError::Internal)?;
        let body = body_of(event, &row.event_type)?;
        messages.push(outgoing(
            webhook,
            Some(DeliveryId(row.id)),
            message_id(row.event_id, row.webhook_id),
            body,
            now,
        ));
    }
    Ok(messages)
}

/// What to do after an attempt: the state it leaves the delivery in and when it runs again.
fn next_step(
    attempts: i32,
    reply: &Reply,
    jitter: f64,
    now: DateTime<Utc>,
) -> (DeliveryState, DateTime<Utc>) {
    if reply.delivered() || reply.status == Some(410) {
        let state = if reply.delivered() {
            DeliveryState::Delivered
        } else {
            DeliveryState::Failed
        };
        return (state, now);
    }
    match retry_delay_seconds(attempts, jitter) {
        Some(delay) => {
            let asked = reply
                .retry_after
                .unwrap_or(0)
                .clamp(0, RETRY_AFTER_MAX_SECONDS);
            (
                DeliveryState::Pending,
                now + Duration::seconds(Ord::max(delay, asked)),
            )
        }
        None => (DeliveryState::Failed, now),
    }
}

/// Records the attempts at claimed deliveries, in one transaction, and decides what
/// follows each: delivered (the next of its lane is free for the next claim), retried on
/// the schedule (or after `Retry-After` when longer; a dispatch is enqueued for then),
/// failed for good after the last attempt (the subscription paused, its owner told), or
/// on 410 Gone the subscription disabled. `jitter` gives a fraction within ±0.1 per retry.
/// Returns the states, in the order given.
pub async fn record(
    db: &(impl ConnectionTrait + TransactionTrait),
    attempts: &[(DeliveryId, Reply)],
    jitter: &mut (dyn FnMut() -> f64 + Send),
    now: DateTime<Utc>,
) -> Result<Vec<DeliveryState>, AppError> {
    let txn = db.begin().await?;
    let rows = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Id.is_in(attempts.iter().map(|(id, _)| id.0)))
        .all(&txn)
        .await?;
    let mut states = Vec::with_capacity(attempts.len());
    let mut retries: Vec<DateTime<Utc>> = Vec::new();
    for (delivery, reply) in attempts {
        let Some(row) = rows
            .iter()
            .find(|row| row.id == delivery.0)
            .filter(|row| row.state == DeliveryState::Sending.as_str())
        else {
            // Resent or deleted meanwhile: the attempt is not this worker's to record.
            states.push(DeliveryState::Pending);
            continue;
        };
        webhook_attempts::ActiveModel {
            delivery_id: Set(row.id),
            attempted_at: Set(now),
            status: Set(reply.status.map(i32::from)),
            error: Set(reply.error.clone()),
            response_excerpt: Set(reply.excerpt.chars().take(EXCERPT_CHARS).collect()),
            duration_ms: Set(reply.duration_ms),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let (state, next_at) = next_step(row.attempts, reply, jitter(), now);
        let mut update = webhook_deliveries::Entity::update_many()
            .col_expr(
                webhook_deliveries::Column::State,
                Expr::value(state.as_str()),
            )
            .col_expr(webhook_deliveries::Column::NextAt, Expr::value(next_at))
            .col_expr(
                webhook_deliveries::Column::LockedUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                webhook_deliveries::Column::LastStatus,
                Expr::value(reply.status.map(i32::from)),
            )
            .col_expr(
                webhook_deliveries::Column::LastError,
                Expr::value(reply.error.clone()),
            );
        if state == DeliveryState::Delivered {
            update = update.col_expr(
                webhook_deliveries::Column::DeliveredAt,
                Expr::value(Some(now)),
            );
        }
        update
            .filter(webhook_deliveries::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        match state {
            // One dispatch per second of retries is enough.
            DeliveryState::Pending
                if !retries
                    .iter()
                    .any(|at| at.timestamp() == next_at.timestamp()) =>
            {
                retries.push(next_at);
            }
            DeliveryState::Failed => {
                let gone = reply.status == Some(410);
                let reason = if gone {
                    "The receiver answered 410 Gone: it no longer wants these events."
                } else {
                    "A delivery failed every attempt; sending is paused until resumed."
                };
                stop(&txn, row.webhook_id, gone, reason, now).await?;
            }
            _ => {}
        }
        states.push(state);
    }
    for at in retries {
        wake(&txn, at, now).await?;
    }
    txn.commit().await?;
    Ok(states)
}

/// Pauses (or on 410 disables) a subscription and tells its owner.
async fn stop(
    db: &impl ConnectionTrait,
    webhook: i32,
    disable: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let state = if disable {
        WebhookState::Disabled
    } else {
        WebhookState::Paused
    };
    let stopped = webhooks::Entity::update_many()
        .col_expr(webhooks::Column::State, Expr::value(state.as_str()))
        .col_expr(webhooks::Column::StateReason, Expr::value(Some(reason)))
        .col_expr(webhooks::Column::UpdatedAt, Expr::value(now))
        .filter(webhooks::Column::Id.eq(webhook))
        .filter(webhooks::Column::State.eq(WebhookState::Active.as_str()))
        .exec_with_returning(db)
        .await?;
    if let Some(row) = stopped.into_iter().next() {
        notify(
            db,
            UserId(row.owner_user_id),
            Notice {
                kind: NotificationKind::WebhookStopped,
                subject: None,
                comment_id: None,
                actor: None,
                text: &row.url,
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Deliveries sent at once by one dispatch.
pub const DISPATCH_BATCH: u64 = 32;
/// A dispatch hands over to a new job after this long (jobs have a time limit).
const DISPATCH_SECONDS: i64 = 60;

/// The dispatch job: claims what is due in batches, sends each batch at once and records
/// it, until nothing is due (or a minute passed: the rest goes to a new dispatch). Returns
/// how many were sent.
pub async fn dispatch(
    db: &(impl ConnectionTrait + TransactionTrait),
    sender: &dyn Sender,
    events: &impl EventSink,
    jitter: &mut (dyn FnMut() -> f64 + Send),
    clock: fn() -> DateTime<Utc>,
) -> Result<usize, AppError> {
    let started = clock();
    let mut sent = 0;
    loop {
        let batch = claim_due(db, clock(), DISPATCH_BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let replies =
            futures::future::join_all(batch.iter().map(|message| sender.send(message))).await;
        let attempts: Vec<(DeliveryId, Reply)> = batch
            .iter()
            .zip(replies)
            .filter_map(|(message, reply)| message.delivery.map(|id| (id, reply)))
            .collect();
        sent += attempts.len();
        let states = record(db, &attempts, jitter, clock()).await?;
        if states.contains(&DeliveryState::Failed) {
            // The owner's bell.
            events.appended();
        }
        if clock() - started > Duration::seconds(DISPATCH_SECONDS) {
            wake(db, clock(), clock()).await?;
            return Ok(sent);
        }
    }
}

/// Sends a sample event (`webhook.test`) to a subscription now, whatever its state, and
/// returns what the receiver answered; nothing is stored (administrators).
pub async fn send_test(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sender: &dyn Sender,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<AttemptView, AppError> {
    actor.require_admin()?;
    let webhook = find(db, id).await?;
    let sample = serde_json::json!({
        "id": 0,
        "schema": crate::event::SCHEMA_VERSION,
        "occurred_at": now,
        "actor": { "kind": "user", "user_id": actor.user_id().map(|u| u.0), "label": null },
        "type": "webhook.test",
        "data": { "webhook_id": id.0, "message": "A test from Konveyer: the subscription works." },
    });
    let body = serde_json::to_vec(&sample).map_err(|_| AppError::Internal)?;
    let message_id = format!("msg_test_{}_{}", id.0, now.timestamp_millis());
    let message = outgoing(&webhook, None, message_id, body, now);
    let reply = sender.send(&message).await;
    Ok(AttemptView {
        at: now,
        status: reply.status,
        error: reply.error,
        excerpt: reply.excerpt,
        duration_ms: reply.duration_ms,
    })
}

/// Enqueues a dispatch when a delivery has been due for `stalled_for` without being
/// sent (a dispatch that started just before new deliveries committed, one that died):
/// run now and then. Returns whether it did.
pub async fn wake_stalled(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    stalled_for: Duration,
) -> Result<bool, AppError> {
    let stalled = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::State.eq(DeliveryState::Pending.as_str()))
        .filter(webhook_deliveries::Column::NextAt.lte(now - stalled_for))
        .filter(Expr::cust(LANE_FREE))
        .filter(Expr::cust(SUBSCRIPTION_ACTIVE))
        .count(db)
        .await?
        > 0;
    if stalled {
        wake_soon(db, now).await?;
    }
    Ok(stalled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_won_move_goes_as_won_to_whoever_asked() {
        let types = |list: &[&str]| list.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        let both = types(&["deal.moved", "deal.won"]);
        assert_eq!(
            delivered_as(&both, "deal.moved", Some("deal.won")),
            Some("deal.won")
        );
        let moves = types(&["deal.moved"]);
        assert_eq!(
            delivered_as(&moves, "deal.moved", Some("deal.won")),
            Some("deal.moved")
        );
        let wins = types(&["deal.won"]);
        assert_eq!(delivered_as(&wins, "deal.moved", None), None);
        assert_eq!(delivered_as(&wins, "deal.moved", Some("deal.lost")), None);
    }

    #[test]
    fn event_types_are_stored_known_and_in_one_order() {
        let asked = vec![
            "task.due".to_owned(),
            "deal.created".to_owned(),
            "deal.created".to_owned(),
        ];
        assert_eq!(types_text(&asked), "deal.created task.due");
        assert_eq!(
            types_of("deal.created task.due"),
            ["deal.created", "task.due"]
        );
    }
}
