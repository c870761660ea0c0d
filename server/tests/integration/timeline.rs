//! The one timeline (moves, field changes, conclusions, comments), comments with
//! @mentions, and the notifications a mention sends.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use shared::AppError;
use shared::client::ClientId;
use shared::client::service::update_client;
use shared::comment::NewComment;
use shared::comment::service::add_comment;
use shared::conclusion::service::add_conclusion;
use shared::conclusion::{NewConclusion, Verdict};
use shared::deal::UpdateDeal;
use shared::deal::service::{move_deal, update_deal};
use shared::error::{Field, Rule};
use shared::notification::service::{list_notifications, mark_read, unread_count};
use shared::page::{load_client_page, load_deal_card};
use shared::timeline::{Subject, TimelineDetail, TimelineKind};
use shared::user::{Role, UserId};

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

/// Whose bell the event log tells to ring.
pub(crate) async fn bells(db: &shared::db::Db) -> Vec<UserId> {
    shared::event::outbox::read_after(db, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|event| match event.record.data {
            shared::event::EventData::NotificationCreated { user_id } => Some(user_id),
            _ => None,
        })
        .collect()
}

pub(crate) fn comment(subject: Subject, text: &str) -> NewComment {
    NewComment {
        subject,
        text: text.to_owned(),
    }
}

#[tokio::test]
async fn the_deal_timeline_merges_moves_changes_conclusions_and_comments() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let moved = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0() + Duration::hours(1),
    )
    .await
    .unwrap();
    update_deal(
        &c.t.db,
        &(),
        &admin,
        UpdateDeal {
            deal_id: deal.id,
            version: moved.version,
            title: "Mortgage, 3-room flat".into(),
            client_name: Some("Ivan Petrov".into()),
            client_phone: Some("+7 900 000-00-00".into()),
            client_email: None,
            amount: Some(shared::deal::Money {
                amount: rust_decimal::Decimal::new(5_000_000, 0),
                currency: "RUB".into(),
            }),
            responsible: Some(scorer.id),
            custom: Vec::new(),
        },
        t0() + Duration::hours(2),
    )
    .await
    .unwrap();
    add_conclusion(
        &c.t.db,
        &c.t.actor(&scorer).await,
        NewConclusion {
            deal: deal.id,
            department: c.scoring,
            verdict: Verdict::Approve,
            text: "Income confirmed".into(),
            supersedes: None,
        },
        t0() + Duration::hours(3),
    )
    .await
    .unwrap();
    add_comment(
        &c.t.db,
        &(),
        &admin,
        comment(
            Subject::Deal(deal.id),
            "  <script>alert(1)</script> looks fine  ",
        ),
        t0() + Duration::hours(4),
    )
    .await
    .unwrap();

    let card = load_deal_card(&c.t.db, &admin, deal.id, t0() + Duration::hours(5))
        .await
        .unwrap();
    let kinds: Vec<TimelineKind> = card.timeline.iter().map(|e| e.detail.kind()).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Comment,
            TimelineKind::Conclusion,
            TimelineKind::Change,
            TimelineKind::Change,
            TimelineKind::Change,
            TimelineKind::Move,
            TimelineKind::Move,
        ]
    );
    assert!(card.timeline.windows(2).all(|w| w[0].at >= w[1].at));
    assert_eq!(
        card.timeline[0].detail,
        TimelineDetail::Comment {
            text: "<script>alert(1)</script> looks fine".into()
        }
    );
    let changes: Vec<(Field, Option<String>, Option<String>)> = card
        .timeline
        .iter()
        .filter_map(|e| match &e.detail {
            TimelineDetail::Change(change) => {
                Some((change.field, change.old.clone(), change.new.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        // One edit: the same instant, the last recorded first.
        [
            (
                Field::Responsible,
                Some(c.admin.name.clone()),
                Some(scorer.name.clone())
            ),
            (
                Field::Amount,
                Some("4500000.00 RUB".into()),
                Some("5000000.00 RUB".into())
            ),
            (
                Field::Title,
                Some("Mortgage, 2-room flat".into()),
                Some("Mortgage, 3-room flat".into())
            ),
        ]
    );
    assert_eq!(
        card.timeline[2].actor_name.as_deref(),
        Some(c.admin.name.as_str())
    );
    for sql in [
        "UPDATE field_changes SET new_value = 'forged'",
        "DELETE FROM field_changes",
    ] {
        assert!(
            c.t.db.execute_unprepared(sql).await.is_err(),
            "{sql} must fail"
        );
    }
}

#[tokio::test]
async fn a_mention_notifies_colleagues_who_may_see_the_deal_and_rings_their_bell() {
    let c = Conveyor::new().await;
    let manager =
        c.t.user("maria.manager@bank.ru", Role::Manager, vec![])
            .await;
    // An employee of another department cannot see the deal (it waits with the client
    // managers): mentioning them must not leak it.
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let notified = add_comment(
        &c.t.db,
        &(),
        &admin,
        comment(
            Subject::Deal(deal.id),
            "@Maria.Manager please approve; @scorer FYI; @admin @nobody. Mail ivan@maria.manager",
        ),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(notified, vec![manager.id]);
    assert_eq!(bells(&c.t.db).await, vec![manager.id]);

    let as_manager = c.t.actor(&manager).await;
    let list = list_notifications(&c.t.db, &as_manager).await.unwrap();
    assert_eq!(list.unread, 1);
    let note = &list.items[0];
    assert_eq!(note.actor_name.as_deref(), Some(c.admin.name.as_str()));
    assert_eq!(
        note.subject,
        Some((Subject::Deal(deal.id), deal.title.clone()))
    );
    assert!(note.text.starts_with("@Maria.Manager please approve"));
    assert!(!note.read);
    let as_scorer = c.t.actor(&scorer).await;
    assert_eq!(unread_count(&c.t.db, &as_scorer).await.unwrap(), 0);
    // Someone else cannot mark it read; its owner can.
    assert_eq!(
        mark_read(&c.t.db, &as_scorer, Some(vec![note.id]), t0())
            .await
            .unwrap(),
        0
    );
    assert_eq!(unread_count(&c.t.db, &as_manager).await.unwrap(), 1);
    assert_eq!(
        mark_read(&c.t.db, &as_manager, Some(vec![note.id]), t0())
            .await
            .unwrap(),
        0
    );
    assert!(
        list_notifications(&c.t.db, &as_manager)
            .await
            .unwrap()
            .items[0]
            .read
    );
}

#[tokio::test]
async fn bad_comments_are_refused_and_nothing_is_written() {
    let c = Conveyor::new().await;
    let courier = c.t.user("courier@bank.ru", Role::Restricted, vec![]).await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let subject = Subject::Deal(deal.id);
    assert_eq!(
        add_comment(&c.t.db, &(), &admin, comment(subject, "  "), t0()).await,
        Err(AppError::validation(Field::Comment, Rule::Required))
    );
    assert_eq!(
        add_comment(
            &c.t.db,
            &(),
            &admin,
            comment(subject, &"x".repeat(5_001)),
            t0()
        )
        .await,
        Err(AppError::validation(
            Field::Comment,
            Rule::TooLong { max: 5_000 }
        ))
    );
    assert_eq!(
        add_comment(
            &c.t.db,
            &(),
            &c.t.actor(&courier).await,
            comment(subject, "not mine"),
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: shared::error::Entity::Deal
        })
    );
    let card = load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    assert!(
        card.timeline
            .iter()
            .all(|e| e.detail.kind() == TimelineKind::Move)
    );
    // The timeline's own tables are append-only.
    add_comment(&c.t.db, &(), &admin, comment(subject, "kept"), t0())
        .await
        .unwrap();
    for sql in [
        "UPDATE comments SET text = 'forged'",
        "DELETE FROM comments",
    ] {
        assert!(
            c.t.db.execute_unprepared(sql).await.is_err(),
            "{sql} must fail"
        );
    }
}

#[tokio::test]
async fn the_client_timeline_has_its_changes_comments_and_deal_moves() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0() + Duration::hours(1),
    )
    .await
    .unwrap();
    let id = ClientId(deal.client.as_ref().unwrap().id);
    let client = shared::client::service::get_client(&c.t.db, &admin, id)
        .await
        .unwrap();
    update_client(
        &c.t.db,
        &admin,
        shared::client::UpdateClient {
            id,
            version: client.version,
            client: shared::client::ClientDraft {
                time_zone: Some("Asia/Omsk".into()),
                tags: vec!["vip".into()],
                ..client.draft()
            },
            allow_duplicate: false,
            custom: Vec::new(),
        },
        t0() + Duration::hours(2),
    )
    .await
    .unwrap();
    add_comment(
        &c.t.db,
        &(),
        &admin,
        comment(Subject::Client(id), "Prefers calls after lunch"),
        t0() + Duration::hours(3),
    )
    .await
    .unwrap();
    let page = load_client_page(&c.t.db, &admin, id, t0() + Duration::hours(4))
        .await
        .unwrap();
    let kinds: Vec<TimelineKind> = page.timeline.iter().map(|e| e.detail.kind()).collect();
    assert_eq!(
        kinds,
        [
            TimelineKind::Comment,
            TimelineKind::Change,
            TimelineKind::Change,
            TimelineKind::Move,
            TimelineKind::Move,
        ]
    );
    assert_eq!(page.timeline[3].deal, Some((deal.id, deal.title.clone())));
    match &page.timeline[2].detail {
        TimelineDetail::Change(change) => {
            assert_eq!(
                (change.field, change.new.as_deref()),
                (Field::Tags, Some("vip"))
            );
        }
        other => panic!("{other:?}"),
    }
}
