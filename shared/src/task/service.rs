//! Creating tasks, ticking them off, listing them, and sending the due-time reminders.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::entity::tasks;
use super::{MyTasks, NewTask, TITLE_MAX, TaskId, TaskView};
use crate::access::Actor;
use crate::access::service::{ensure_subject_visible, user_can_see};
use crate::error::{AppError, Entity, Field, Rule};
use crate::event::EventSink;
use crate::event::outbox::append;
use crate::event::{Audience, EventData};
use crate::job::queue::NewJob;
use crate::notification::NotificationKind;
use crate::notification::service::{Notice, notify};
use crate::timeline::Subject;
use crate::user::{Role, UserId};

/// Done tasks "my tasks" shows.
const DONE_SHOWN: u64 = 20;

/// Creates a task. The actor must see the deal or client it is about, and so must the
/// assignee (an active user; the actor when none is named).
pub async fn create_task(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    new: NewTask,
    now: DateTime<Utc>,
) -> Result<TaskView, AppError> {
    let title = new.title.trim().to_owned();
    if title.is_empty() {
        return Err(AppError::validation(Field::Title, Rule::Required));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(AppError::validation(
            Field::Title,
            Rule::TooLong { max: TITLE_MAX },
        ));
    }
    let assignee = new
        .assignee
        .or(actor.user_id())
        .ok_or(AppError::validation(Field::Responsible, Rule::Required))?;
    crate::user::service::ensure_assignable(db, assignee).await?;
    if let Some(subject) = new.subject {
        ensure_subject_visible(db, actor, subject).await?;
        if !user_can_see(db, assignee, subject).await? {
            return Err(AppError::validation(Field::Responsible, Rule::UnknownValue));
        }
    }
    let (deal_id, client_id) = match new.subject {
        Some(Subject::Deal(deal)) => (Some(deal.0), None),
        Some(Subject::Client(client)) => (None, Some(client.0)),
        None => (None, None),
    };
    let txn = db.begin().await?;
    let row = tasks::ActiveModel {
        title: Set(title),
        due_at: Set(new.due_at),
        assignee_user_id: Set(assignee.0),
        deal_id: Set(deal_id),
        client_id: Set(client_id),
        created_by_user_id: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(now),
        done_at: Set(None),
        done_by_user_id: Set(None),
        reminded_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The reminder is a job due when the task is.
    crate::job::queue::enqueue(
        &txn,
        NewJob::new(
            REMINDER_JOB,
            serde_json::json!({ "task_id": row.id }),
            row.due_at,
        )
        .dedup(format!("{REMINDER_JOB}:{}", row.id)),
        now,
    )
    .await?;
    append(
        &txn,
        actor,
        now,
        EventData::TaskCreated {
            task_id: row.id,
            subject: new.subject,
            assignee_id: assignee,
            due_at: row.due_at,
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    views(db, vec![row]).await?.pop().ok_or(AppError::Internal)
}

/// Marks a task done (or open again). The assignee, its creator, administrators and
/// managers may; a task someone cannot touch looks missing.
pub async fn set_task_done(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    id: TaskId,
    done: bool,
    now: DateTime<Utc>,
) -> Result<TaskView, AppError> {
    let txn = db.begin().await?;
    let task = tasks::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .filter(|t| may_touch(actor, t))
        .ok_or(AppError::NotFound {
            entity: Entity::Task,
        })?;
    let mut task: tasks::ActiveModel = task.into();
    task.done_at = Set(done.then_some(now));
    task.done_by_user_id = Set(actor.user_id().filter(|_| done).map(|u| u.0));
    let task = task.update(&txn).await?;
    append(
        &txn,
        actor,
        now,
        EventData::TaskDone {
            task_id: task.id,
            subject: subject_of(&task),
            done,
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    views(db, vec![task]).await?.pop().ok_or(AppError::Internal)
}

fn may_touch(actor: &Actor, task: &tasks::Model) -> bool {
    matches!(actor.role, Role::Admin | Role::Manager)
        || actor.user_id().is_some_and(|me| {
            task.assignee_user_id == me.0 || task.created_by_user_id == Some(me.0)
        })
}

/// The actor's open tasks by due time (overdue first) and the last ones done.
pub async fn my_tasks(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MyTasks, AppError> {
    let me = actor.user_id().map(|u| u.0).unwrap_or(-1);
    let open = tasks::Entity::find()
        .filter(tasks::Column::AssigneeUserId.eq(me))
        .filter(tasks::Column::DoneAt.is_null())
        .order_by_asc(tasks::Column::DueAt)
        .order_by_asc(tasks::Column::Id)
        .all(db)
        .await?;
    let done = tasks::Entity::find()
        .filter(tasks::Column::AssigneeUserId.eq(me))
        .filter(tasks::Column::DoneAt.is_not_null())
        .order_by_desc(tasks::Column::DoneAt)
        .limit(DONE_SHOWN)
        .all(db)
        .await?;
    Ok(MyTasks {
        open: views(db, open).await?,
        done: views(db, done).await?,
        users: crate::user::service::list_user_names(db).await?,
        now,
    })
}

/// Every task about a deal or a client, open ones first by due time. The caller has
/// checked the record is visible.
pub async fn tasks_of(
    db: &impl ConnectionTrait,
    subject: Subject,
) -> Result<Vec<TaskView>, AppError> {
    let query = match subject {
        Subject::Deal(deal) => tasks::Entity::find().filter(tasks::Column::DealId.eq(deal.0)),
        Subject::Client(client) => {
            tasks::Entity::find().filter(tasks::Column::ClientId.eq(client.0))
        }
    };
    let mut rows = query.order_by_asc(tasks::Column::DueAt).all(db).await?;
    rows.sort_by_key(|t| t.done_at.is_some());
    views(db, rows).await
}

/// The job kind of a task's reminder (payload `{"task_id": …}`).
pub const REMINDER_JOB: &str = "task.reminder";

/// Sends a task's reminder, a notification to its assignee, if the task is still open and
/// was not reminded: the compare-and-set on `reminded_at` makes a job that runs twice
/// (its worker died after sending) send it once. Returns whether it was sent.
pub async fn send_reminder(
    db: &(impl TransactionTrait + ConnectionTrait),
    events: &impl EventSink,
    id: TaskId,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let txn = db.begin().await?;
    let claimed = tasks::Entity::update_many()
        .col_expr(tasks::Column::RemindedAt, Expr::value(Some(now)))
        .filter(tasks::Column::Id.eq(id.0))
        .filter(tasks::Column::RemindedAt.is_null())
        .filter(tasks::Column::DoneAt.is_null())
        .exec_with_returning(&txn)
        .await?;
    let Some(task) = claimed.into_iter().next() else {
        return Ok(false);
    };
    notify(
        &txn,
        UserId(task.assignee_user_id),
        Notice {
            kind: NotificationKind::TaskDue,
            subject: subject_of(&task),
            comment_id: None,
            actor: task.created_by_user_id.map(UserId),
            text: &task.title,
        },
        now,
    )
    .await?;
    crate::event::outbox::append(
        &txn,
        &Actor::system(),
        now,
        EventData::TaskDue {
            task_id: task.id,
            subject: subject_of(&task),
            assignee_id: UserId(task.assignee_user_id),
            due_at: task.due_at,
        },
        Audience::Nobody,
    )
    .await?;
    txn.commit().await?;
    events.appended();
    Ok(true)
}

fn subject_of(task: &tasks::Model) -> Option<Subject> {
    Subject::from_ids(task.deal_id, task.client_id)
}

async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<tasks::Model>,
) -> Result<Vec<TaskView>, AppError> {
    let people = crate::user::service::all_user_names(db).await?;
    let names =
        crate::timeline::service::subject_names(db, rows.iter().filter_map(subject_of)).await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let subject = subject_of(&t)
                .map(|subject| (subject, names.get(&subject).cloned().unwrap_or_default()));
            TaskView {
                id: TaskId(t.id),
                assignee: UserId(t.assignee_user_id),
                assignee_name: people
                    .get(&UserId(t.assignee_user_id))
                    .cloned()
                    .unwrap_or_default(),
                created_by_name: t
                    .created_by_user_id
                    .and_then(|u| people.get(&UserId(u)).cloned()),
                title: t.title,
                due_at: t.due_at,
                subject,
                created_at: t.created_at,
                done_at: t.done_at,
                done_by_name: t
                    .done_by_user_id
                    .and_then(|u| people.get(&UserId(u)).cloned()),
            }
        })
        .collect())
}
