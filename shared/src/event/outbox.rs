//! The outbox: a use case appends its event in its own transaction, so no change commits
//! without its event and no event outlives a rolled-back change. Readers (the live
//! stream's dispatcher, consumers with their own cursors) read the table in id order.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entity::{event_consumers, events};
use super::{Audience, EventActor, EventData, EventRecord, SCHEMA_VERSION};
use crate::access::Actor;
use crate::error::AppError;
use crate::user::UserId;

/// The PostgreSQL channel whose NOTIFY wakes every server's dispatcher.
pub const CHANNEL: &str = "konveyer_events";
/// Serialises appends on PostgreSQL so that ids commit in increasing order: a reader that
/// has seen id n never later finds a smaller id appear (with a plain sequence, a slow
/// transaction could commit id 10 after a fast one committed id 11, and a reader past 11
/// would miss it). Held from the append to the commit, so append last.
const APPEND_LOCK: i64 = 0x6b6f_6e76_6576;

/// An event with whom it may reach live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub record: EventRecord,
    pub audience: Audience,
    /// The rule whose run made the change, and how deep in a chain of rules (0 when a
    /// person, a token or the system made it).
    pub rule_id: Option<i32>,
    pub chain_depth: u8,
}

/// Appends one event in the caller's transaction; call it as the transaction's last write.
pub async fn append(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    data: EventData,
    audience: Audience,
) -> Result<i64, AppError> {
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    let (subject_kind, subject_id) = data.subject();
    let (rule_id, chain_depth) = actor
        .rule_chain()
        .map_or((None, 0), |(rule, depth)| (i32::try_from(rule).ok(), depth));
    let row = events::ActiveModel {
        kind: Set(data.kind().to_owned()),
        subject_kind: Set(subject_kind.to_owned()),
        subject_id: Set(subject_id),
        actor_kind: Set(actor.kind_code().to_owned()),
        actor_user_id: Set(actor.user_id().map(|u| u.0)),
        actor_label: Set(actor.label()),
        occurred_at: Set(now),
        audience: Set(serde_json::to_string(&audience).map_err(|_| AppError::Internal)?),
        payload: Set(serde_json::to_string(&data).map_err(|_| AppError::Internal)?),
        chain_depth: Set(i32::from(chain_depth)),
        actor_rule_id: Set(rule_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if postgres {
        // Delivered when the transaction commits, never if it rolls back.
        txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(row.id)
}

/// Up to `limit` events after `after`, oldest first.
pub async fn read_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<StoredEvent>, AppError> {
    events::Entity::find()
        .filter(events::Column::Id.gt(after))
        .order_by_asc(events::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// One event by its id.
pub async fn read_one(db: &impl ConnectionTrait, id: i64) -> Result<Option<StoredEvent>, AppError> {
    events::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// The events with these ids (those that exist), in id order.
pub async fn read_many(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<StoredEvent>, AppError> {
    events::Entity::find()
        .filter(events::Column::Id.is_in(ids))
        .order_by_asc(events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// The newest event's id (0 when there is none).
pub async fn last_id(db: &impl ConnectionTrait) -> Result<i64, AppError> {
    let last: Option<i64> = events::Entity::find()
        .select_only()
        .column_as(events::Column::Id.max(), "id")
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(last.unwrap_or(0))
}

fn decode(row: events::Model) -> Result<StoredEvent, AppError> {
    let data: EventData = serde_json::from_str(&row.payload).map_err(|_| AppError::Internal)?;
    let audience: Audience = serde_json::from_str(&row.audience).map_err(|_| AppError::Internal)?;
    Ok(StoredEvent {
        record: EventRecord {
            id: row.id,
            schema: SCHEMA_VERSION,
            occurred_at: row.occurred_at,
            actor: EventActor {
                kind: row.actor_kind,
                user_id: row.actor_user_id.map(UserId),
                label: row.actor_label,
            },
            data,
        },
        audience,
        rule_id: row.actor_rule_id,
        chain_depth: u8::try_from(row.chain_depth).unwrap_or(u8::MAX),
    })
}

/// Where a consumer seen for the first time starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Every event ever appended.
    Beginning,
    /// Only events appended from now on.
    Latest,
}

/// Takes (or renews) the lease on a consumer's cursor for `worker` until `until`, creating
/// the cursor on first use. Returns the last event id the consumer handled, or `None`
/// while another worker holds an unexpired lease: one reader per consumer across servers.
pub async fn lease_consumer(
    db: &impl ConnectionTrait,
    name: &str,
    worker: &str,
    start: StartAt,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    if event_consumers::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        let first = match start {
            StartAt::Beginning => 0,
            StartAt::Latest => last_id(db).await?,
        };
        // Two servers may both try: the second insert does nothing.
        event_consumers::Entity::insert(event_consumers::ActiveModel {
            name: Set(name.to_owned()),
            last_event_id: Set(first),
            leased_by: Set(None),
            leased_until: Set(None),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing_on([event_consumers::Column::Name])
        .exec(db)
        .await?;
    }
    let taken = event_consumers::Entity::update_many()
        .col_expr(event_consumers::Column::LeasedBy, Expr::value(worker))
        .col_expr(event_consumers::Column::LeasedUntil, Expr::value(until))
        .filter(event_consumers::Column::Name.eq(name))
        .filter(
            event_consumers::Column::LeasedUntil
                .is_null()
                .or(event_consumers::Column::LeasedUntil.lt(now))
                .or(event_consumers::Column::LeasedBy.eq(worker)),
        )
        .exec_with_returning(db)
        .await?;
    Ok(taken.first().map(|row| row.last_event_id))
}

/// Records that `worker` handled every event up to `last_event_id`; `false` (nothing
/// written) when the lease passed to another worker meanwhile.
pub async fn advance_consumer(
    db: &impl ConnectionTrait,
    name: &str,
    worker: &str,
    last_event_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let result = event_consumers::Entity::update_many()
        .col_expr(
            event_consumers::Column::LastEventId,
            Expr::value(last_event_id),
        )
        .col_expr(event_consumers::Column::UpdatedAt, Expr::value(now))
        .filter(event_consumers::Column::Name.eq(name))
        .filter(event_consumers::Column::LeasedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The audience of an event about a deal, before (`before`) and after a change.
pub fn deal_audience(
    responsibles: impl IntoIterator<Item = Option<UserId>>,
    departments: impl IntoIterator<Item = Option<crate::department::DepartmentId>>,
) -> Audience {
    let mut people: Vec<UserId> = Vec::new();
    for user in responsibles.into_iter().flatten() {
        if !people.contains(&user) {
            people.push(user);
        }
    }
    let mut places = Vec::new();
    for department in departments.into_iter().flatten() {
        if !places.contains(&department) {
            places.push(department);
        }
    }
    Audience::Deal {
        responsibles: people,
        departments: places,
    }
}

/// Rows read per query while looking for events an actor may see.
const FEED_BATCH: u64 = 500;
/// Rows one feed request reads at most: past it the page ends early (possibly empty, with
/// `has_more`) rather than scanning the whole log for a reader who sees little of it.
const FEED_SCAN_MAX: u64 = 5_000;

/// The API's event feed: up to `limit` events after `after` that the actor may see (what
/// their live stream would carry; administrators also see the events for consumers only).
/// Returns them with the id to continue after and whether there may be more.
pub async fn feed_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: i64,
    limit: u64,
) -> Result<(Vec<super::EventRecord>, i64, bool), AppError> {
    let mut found = Vec::new();
    let mut cursor = after;
    let mut scanned = 0;
    loop {
        let batch = read_after(db, cursor, FEED_BATCH).await?;
        let exhausted = (batch.len() as u64) < FEED_BATCH;
        for event in batch {
            scanned += 1;
            cursor = event.record.id;
            let visible = event.audience.includes(actor)
                || (actor.is_admin() && event.audience == Audience::Nobody);
            if visible {
                found.push(event.record);
                if found.len() as u64 == limit {
                    let more = read_after(db, cursor, 1).await?.len() == 1;
                    return Ok((found, cursor, more));
                }
            }
        }
        if exhausted {
            return Ok((found, cursor, false));
        }
        if scanned >= FEED_SCAN_MAX {
            return Ok((found, cursor, true));
        }
    }
}
