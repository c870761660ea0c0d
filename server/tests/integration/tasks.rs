//! Tasks: who may set and tick them, "my tasks" with the overdue first, tasks in the
//! timeline, and the due-time reminder that survives a server restart.

use chrono::Duration;
use shared::AppError;
use shared::error::{Entity, Field, Rule};
use shared::notification::NotificationKind;
use shared::notification::service::{list_notifications, unread_count};
use shared::page::load_deal_card;
use shared::task::NewTask;
use shared::task::service::{create_task, my_tasks, set_task_done};
use shared::timeline::{Subject, TimelineDetail, TimelineKind};
use shared::user::Role;

use crate::conveyor::Conveyor;
use crate::harness::t0;
use crate::timeline::bells;

fn task(title: &str, hours: i64, subject: Option<Subject>) -> NewTask {
    NewTask {
        title: title.to_owned(),
        due_at: t0() + Duration::hours(hours),
        assignee: None,
        subject,
    }
}

#[tokio::test]
async fn my_tasks_come_overdue_first_and_only_their_people_tick_them() {
    let c = Conveyor::new().await;
    let manager =
        c.t.user("maria.manager@bank.ru", Role::Manager, vec![])
            .await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let admin = c.t.actor(&c.admin).await;
    let as_manager = c.t.actor(&manager).await;
    let deal = c.deal(&c.admin).await;
    let subject = Some(Subject::Deal(deal.id));
    let call = create_task(
        &c.t.db,
        &admin,
        NewTask {
            assignee: Some(manager.id),
            ..task("  Call the client back ", 5, subject)
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(call.title, "Call the client back");
    assert_eq!(
        call.subject,
        Some((Subject::Deal(deal.id), deal.title.clone()))
    );
    let report = create_task(&c.t.db, &as_manager, task("Weekly report", 1, None), t0())
        .await
        .unwrap();
    assert_eq!(report.assignee, manager.id, "by default the creator's own");

    let now = t0() + Duration::hours(3);
    let mine = my_tasks(&c.t.db, &as_manager, now).await.unwrap();
    assert_eq!(
        mine.open
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        ["Weekly report", "Call the client back"]
    );
    assert!(mine.open[0].is_overdue(now) && !mine.open[1].is_overdue(now));

    // Someone who neither has nor set the task cannot tick it.
    let as_scorer = c.t.actor(&scorer).await;
    assert_eq!(
        set_task_done(&c.t.db, &as_scorer, call.id, true, now).await,
        Err(AppError::NotFound {
            entity: Entity::Task
        })
    );
    let done = set_task_done(&c.t.db, &as_manager, call.id, true, now)
        .await
        .unwrap();
    assert_eq!(done.done_at, Some(now));
    let mine = my_tasks(&c.t.db, &as_manager, now).await.unwrap();
    assert_eq!(mine.open.len(), 1);
    assert_eq!(mine.done[0].id, call.id);

    // The deal's card lists the task and its timeline says when it was set and done.
    let card = load_deal_card(&c.t.db, &admin, deal.id, now).await.unwrap();
    assert_eq!(card.tasks.len(), 1);
    let task_entries: Vec<bool> = card
        .timeline
        .iter()
        .filter_map(|e| match &e.detail {
            TimelineDetail::Task { done, .. } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(task_entries, [true, false]);
    assert_eq!(card.timeline[0].detail.kind(), TimelineKind::Task);
    assert_eq!(
        card.timeline[0].actor_name.as_deref(),
        Some(manager.name.as_str())
    );
}

#[tokio::test]
async fn bad_tasks_are_refused_and_nothing_is_written() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let courier = c.t.user("courier@bank.ru", Role::Restricted, vec![]).await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let subject = Some(Subject::Deal(deal.id));
    assert_eq!(
        create_task(&c.t.db, &admin, task(" ", 1, subject), t0()).await,
        Err(AppError::validation(Field::Title, Rule::Required))
    );
    assert_eq!(
        create_task(&c.t.db, &admin, task(&"x".repeat(201), 1, subject), t0()).await,
        Err(AppError::validation(
            Field::Title,
            Rule::TooLong { max: 200 }
        ))
    );
    // The scorer cannot see the deal (it waits with the client managers): no task for them
    // about it, and the courier cannot set one on it either.
    assert_eq!(
        create_task(
            &c.t.db,
            &admin,
            NewTask {
                assignee: Some(scorer.id),
                ..task("Check", 1, subject)
            },
            t0()
        )
        .await,
        Err(AppError::validation(Field::Responsible, Rule::UnknownValue))
    );
    assert_eq!(
        create_task(
            &c.t.db,
            &c.t.actor(&courier).await,
            task("Peek", 1, subject),
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: Entity::Deal
        })
    );
    let card = load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    assert!(card.tasks.is_empty());
}

#[tokio::test]
async fn a_reminder_due_while_the_server_was_down_is_sent_once_after_the_restart() {
    let c = Conveyor::new().await;
    let manager =
        c.t.user("maria.manager@bank.ru", Role::Manager, vec![])
            .await;
    let as_manager = c.t.actor(&manager).await;
    let deal = c.deal(&c.admin).await;
    create_task(
        &c.t.db,
        &as_manager,
        task(
            "Chase the valuation report",
            1,
            Some(Subject::Deal(deal.id)),
        ),
        t0(),
    )
    .await
    .unwrap();
    create_task(&c.t.db, &as_manager, task("Later", 48, None), t0())
        .await
        .unwrap();
    // Before the due time the worker has nothing to run; then the server stops.
    assert!(!workers(c.t.db.clone(), t0).run_one("w").await.unwrap());

    // The server starts again two hours later: its workers catch up at once, and the
    // reminder due at +1 h goes (the one due at +48 h waits).
    let restarted = c.t.reconnect().await;
    let later = workers(restarted.clone(), || t0() + Duration::hours(2));
    assert!(later.run_one("w").await.unwrap());
    assert!(!later.run_one("w").await.unwrap());
    let list = list_notifications(&restarted, &as_manager).await.unwrap();
    assert_eq!(list.unread, 1);
    assert_eq!(list.items[0].kind, NotificationKind::TaskDue);
    assert_eq!(list.items[0].text, "Chase the valuation report");
    assert_eq!(
        list.items[0].subject,
        Some((Subject::Deal(deal.id), deal.title.clone()))
    );
    assert_eq!(bells(&restarted).await, vec![manager.id]);
    // The same reminder sent again (a worker that died after sending) goes once.
    let first = shared::task::service::send_reminder(
        &c.t.db,
        &(),
        list_tasks_id(&c.t.db).await,
        t0() + Duration::hours(3),
    )
    .await
    .unwrap();
    assert!(!first);
    assert_eq!(unread_count(&c.t.db, &as_manager).await.unwrap(), 1);
}

/// The server's job workers over `db`, telling the time by `clock`.
pub(crate) fn workers(
    db: shared::db::Db,
    clock: fn() -> chrono::DateTime<chrono::Utc>,
) -> server::jobs::Workers {
    server::jobs::Workers {
        db,
        events: server::events::EventBus::default(),
        digests: std::sync::Arc::new(server::jobs::digest::Digests::new(
            None,
            server::outbound::Outbound::new(Default::default()).unwrap(),
            server::jobs::digest::Retry::default(),
        )),
        webhooks: std::sync::Arc::new(
            server::jobs::webhook::WebhookSender::new(Default::default()).unwrap(),
        ),
        clock,
        instance: "test".into(),
        wake: std::sync::Arc::new(tokio::sync::Notify::new()),
    }
}

/// The first task's id.
async fn list_tasks_id(db: &shared::db::Db) -> shared::task::TaskId {
    use sea_orm::{EntityTrait, QueryOrder};
    let first = shared::task::entity::tasks::Entity::find()
        .order_by_asc(shared::task::entity::tasks::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    shared::task::TaskId(first.id)
}
