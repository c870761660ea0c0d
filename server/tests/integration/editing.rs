//! Editing on the conveyor: a deal's fields (with the version check), the board's filters,
//! and the pipeline editor (rename, reorder, add, remove with deals, move matrix).

use std::str::FromStr;
use std::sync::Mutex;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use shared::AppError;
use shared::board::BoardFilter;
use shared::board::service::load_board;
use shared::deal::service::{
    create_deal, get_deal, list_transitions, move_deal, save_pipeline, update_deal,
};
use shared::deal::{DealView, Money, NewDeal, UpdateDeal};
use shared::error::{Entity, Field, Rule};
use shared::event::outbox::read_after;
use shared::event::{Audience, EventSink};
use shared::pipeline::service::load_pipeline;
use shared::pipeline::{DealField, PipelineDraft, StageDraft, StageKind, StageRemoval};
use shared::user::Role;

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

/// Counts the wake-ups services give the dispatcher after they commit.
#[derive(Default)]
struct Recorder(Mutex<usize>);

impl EventSink for Recorder {
    fn appended(&self) {
        *self.0.lock().unwrap() += 1;
    }
}

fn edit(deal: &DealView) -> UpdateDeal {
    let client = deal.client.clone();
    UpdateDeal {
        deal_id: deal.id,
        version: deal.version,
        title: deal.title.clone(),
        client_name: client.as_ref().map(|c| c.name.clone()),
        client_phone: client.as_ref().and_then(|c| c.phone.clone()),
        client_email: client.as_ref().and_then(|c| c.email.clone()),
        amount: deal.amount.clone(),
        responsible: deal.responsible,
        custom: Vec::new(),
    }
}

fn rub(amount: &str) -> Money {
    Money {
        amount: Decimal::from_str(amount).unwrap(),
        currency: "RUB".into(),
    }
}

#[tokio::test]
async fn editing_a_deal_checks_the_version_the_fields_and_the_stage_rules() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let manager = c.t.user("manager@bank.ru", Role::Employee, vec![]).await;
    let deal = c.deal(&manager).await;
    let events = Recorder::default();

    let mut cmd = edit(&deal);
    cmd.title = "  Mortgage, 3-room flat ".into();
    cmd.amount = Some(rub("5100000.50"));
    cmd.client_email = Some("ivan@example.com".into());
    cmd.responsible = Some(c.admin.id);
    let edited = update_deal(&c.t.db, &events, &admin, cmd, t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(edited.title, "Mortgage, 3-room flat");
    assert_eq!(edited.amount, Some(rub("5100000.50")));
    assert_eq!(
        edited.client.as_ref().and_then(|c| c.email.as_deref()),
        Some("ivan@example.com")
    );
    assert_eq!(edited.version, deal.version + 1);
    assert_eq!(edited.updated_at, t0() + Duration::hours(1));
    assert_eq!(edited.stage_entered_at, deal.stage_entered_at, "no move");
    {
        assert_eq!(*events.0.lock().unwrap(), 1);
        let log = read_after(&c.t.db, 0, 100).await.unwrap();
        let last = log.last().unwrap();
        assert_eq!(last.record.data.kind(), "deal.updated");
        // The old responsible hears that the deal left them, the new one that it came.
        match &last.audience {
            Audience::Deal { responsibles, .. } => {
                assert_eq!(*responsibles, vec![manager.id, c.admin.id]);
            }
            other => panic!("{other:?}"),
        }
    }

    // An edit made from the old version is refused and changes nothing.
    let mut stale = edit(&deal);
    stale.title = "Overwrite".into();
    assert_eq!(
        update_deal(&c.t.db, &(), &admin, stale, t0()).await,
        Err(AppError::Conflict {
            current_version: edited.version
        })
    );
    // Bad input: a clear error, nothing written.
    for (change, expected) in [
        (
            Box::new(|d: &mut UpdateDeal| d.title = " ".into()) as Box<dyn Fn(&mut UpdateDeal)>,
            AppError::validation(Field::Title, Rule::Required),
        ),
        (
            Box::new(|d: &mut UpdateDeal| d.amount = Some(rub("-1"))),
            AppError::validation(Field::Amount, Rule::InvalidAmount),
        ),
        (
            Box::new(|d: &mut UpdateDeal| d.client_email = Some("nope".into())),
            AppError::validation(Field::Email, Rule::InvalidEmail),
        ),
        (
            Box::new(|d: &mut UpdateDeal| d.responsible = Some(shared::user::UserId(9999))),
            AppError::NotFound {
                entity: Entity::User,
            },
        ),
    ] {
        let mut cmd = edit(&edited);
        change(&mut cmd);
        assert_eq!(
            update_deal(&c.t.db, &(), &admin, cmd, t0()).await,
            Err(expected)
        );
    }
    // A deactivated colleague cannot be made responsible.
    let gone = c.t.user("gone@bank.ru", Role::Employee, vec![]).await;
    shared::user::service::update_user(
        &c.t.db,
        &admin,
        gone.id,
        shared::user::UserPatch {
            active: Some(false),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap();
    let mut to_gone = edit(&edited);
    to_gone.responsible = Some(gone.id);
    assert_eq!(
        update_deal(&c.t.db, &(), &admin, to_gone, t0()).await,
        Err(AppError::validation(Field::Responsible, Rule::UnknownValue))
    );
    assert_eq!(get_deal(&c.t.db, &admin, deal.id).await.unwrap(), edited);

    // In Scoring the amount and phone are required: clearing them is refused.
    let scored = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&edited, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let mut clear = edit(&scored);
    clear.amount = None;
    assert_eq!(
        update_deal(&c.t.db, &(), &admin, clear, t0()).await,
        Err(AppError::RequiredField {
            field: DealField::Amount
        })
    );
    assert_eq!(get_deal(&c.t.db, &admin, deal.id).await.unwrap(), scored);

    // Someone who may not see the deal cannot edit it (and learns nothing about it).
    let stranger = c.t.user("stranger@bank.ru", Role::Restricted, vec![]).await;
    assert_eq!(
        update_deal(
            &c.t.db,
            &(),
            &c.t.actor(&stranger).await,
            edit(&scored),
            t0()
        )
        .await,
        Err(AppError::NotFound {
            entity: Entity::Deal
        })
    );

    // A blank client name detaches the client.
    let mut detach = edit(&scored);
    detach.client_name = None;
    detach.client_phone = None;
    // Scoring requires the client's phone, so detaching there is refused too.
    assert_eq!(
        update_deal(&c.t.db, &(), &admin, detach.clone(), t0()).await,
        Err(AppError::RequiredField {
            field: DealField::ClientPhone
        })
    );
    let back = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&scored, c.stage("Client manager"), "Missing documents"),
        t0(),
    )
    .await
    .unwrap();
    detach.version = back.version;
    let detached = update_deal(&c.t.db, &(), &admin, detach, t0())
        .await
        .unwrap();
    assert_eq!(detached.client, None);
}

#[tokio::test]
async fn the_board_filters_by_department_amount_and_creation_day() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let mut deals = Vec::new();
    for (day, amount) in [(0, "100"), (1, "2500"), (3, "90000")] {
        let deal = create_deal(
            &c.t.db,
            &(),
            &admin,
            NewDeal {
                pipeline_id: c.pipeline.id,
                title: format!("Deal of day {day}"),
                client_name: Some("Client".into()),
                client_phone: Some("+7 900".into()),
                client_email: None,
                amount: Some(rub(amount)),
                responsible: None,
                client: None,
                custom: Vec::new(),
            },
            t0() + Duration::days(day) + Duration::hours(23),
        )
        .await
        .unwrap();
        deals.push(deal);
    }
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deals[2], c.stage("Scoring"), ""),
        t0() + Duration::days(4),
    )
    .await
    .unwrap();
    let counts = |board: shared::board::BoardView| -> Vec<u64> {
        board.columns.iter().take(2).map(|col| col.count).collect()
    };
    let count = |filter: BoardFilter| {
        let c = &c;
        let admin = admin.clone();
        async move {
            counts(
                load_board(
                    &c.t.db,
                    &admin,
                    c.pipeline.id,
                    &filter,
                    t0() + Duration::days(5),
                )
                .await
                .unwrap(),
            )
        }
    };
    assert_eq!(count(BoardFilter::default()).await, vec![2, 1]);
    assert_eq!(
        count(BoardFilter {
            department: Some(c.scoring),
            ..Default::default()
        })
        .await,
        vec![0, 1]
    );
    assert_eq!(
        count(BoardFilter {
            amount_min: Some(Decimal::from(1000)),
            amount_max: Some(Decimal::from(50000)),
            ..Default::default()
        })
        .await,
        vec![1, 0]
    );
    // t0 is 2026-11-23 09:00 UTC: the deals were created on the 24th, 25th and 27th.
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d);
    // Both ends of the period are whole days, inclusive.
    assert_eq!(
        count(BoardFilter {
            created_from: day(25),
            created_to: day(27),
            ..Default::default()
        })
        .await,
        vec![1, 1]
    );
    assert_eq!(
        count(BoardFilter {
            created_to: day(24),
            ..Default::default()
        })
        .await,
        vec![1, 0]
    );
}

fn stage_named<'a>(draft: &'a mut PipelineDraft, name: &str) -> &'a mut StageDraft {
    draft.stages.iter_mut().find(|s| s.name == name).unwrap()
}

#[tokio::test]
async fn renaming_reordering_and_adding_stages_keeps_history_as_it_was() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let scored = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();

    let mut draft = PipelineDraft::from(&c.pipeline);
    draft.name = "Retail loans".into();
    stage_named(&mut draft, "Scoring").name = "Scoring desk".into();
    stage_named(&mut draft, "Risk").sla_seconds = Some(12 * 3600);
    stage_named(&mut draft, "Risk").color = "#AA00FF".into();
    // Credit committee before Risk, and a new Verification stage after Client manager.
    let risk = draft.stages.iter().position(|s| s.name == "Risk").unwrap();
    draft.stages.swap(risk, risk + 1);
    draft.stages.insert(
        1,
        StageDraft {
            id: None,
            name: "Verification".into(),
            color: "#123abc".into(),
            department_id: None,
            sla_seconds: None,
            required_fields: vec![DealField::ClientEmail],
            required_custom_fields: Vec::new(),
            kind: StageKind::Open,
        },
    );
    let saved = save_pipeline(&c.t.db, &(), &admin, &draft, t0())
        .await
        .unwrap();
    assert_eq!(saved, load_pipeline(&c.t.db, c.pipeline.id).await.unwrap());
    assert_eq!(saved.name, "Retail loans");
    let names: Vec<&str> = saved.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Client manager",
            "Verification",
            "Scoring desk",
            "Credit committee",
            "Risk",
            "Servicing",
            "Issued",
            "Rejected",
            "Archive"
        ]
    );
    let positions: Vec<i32> = saved.stages.iter().map(|s| s.position).collect();
    assert_eq!(positions, (0..9).collect::<Vec<_>>());
    let risk = saved.stages.iter().find(|s| s.name == "Risk").unwrap();
    assert_eq!(
        (risk.sla_seconds, risk.color.as_str()),
        (Some(43_200), "#aa00ff")
    );
    assert_eq!(risk.id, c.stage("Risk"), "an edited stage keeps its id");

    // The deal stays where it was; its history keeps the names of the time.
    let now = get_deal(&c.t.db, &admin, deal.id).await.unwrap();
    assert_eq!(
        (now.stage_id, now.version),
        (scored.stage_id, scored.version)
    );
    let history = list_transitions(&c.t.db, &admin, deal.id).await.unwrap();
    assert_eq!(history[0].to_stage_name, "Scoring");
    // The default rule follows the new order: from Client manager the next is Verification.
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&c.deal(&c.admin).await, c.stage("Scoring"), ""),
            t0()
        )
        .await,
        Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed))
    );
}

#[tokio::test]
async fn removing_a_stage_that_holds_deals_asks_where_they_go() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let events = Recorder::default();
    let mut moved = Vec::new();
    for _ in 0..2 {
        let deal = c.deal(&c.admin).await;
        moved.push(
            move_deal(
                &c.t.db,
                &(),
                &admin,
                mv(&deal, c.stage("Scoring"), ""),
                t0(),
            )
            .await
            .unwrap(),
        );
    }
    let before = c.transition_count().await;
    let mut draft = PipelineDraft::from(&c.pipeline);
    draft
        .stages
        .retain(|s| s.name != "Scoring" && s.name != "Archive");
    assert_eq!(
        save_pipeline(&c.t.db, &events, &admin, &draft, t0()).await,
        Err(AppError::StageNotEmpty {
            stage: "Scoring".into(),
            deals: 2
        })
    );
    assert_eq!(
        load_pipeline(&c.t.db, c.pipeline.id).await.unwrap(),
        c.pipeline
    );
    assert_eq!(c.transition_count().await, before);

    draft.removals = vec![StageRemoval {
        stage: c.stage("Scoring"),
        move_deals_to: c.stage("Risk"),
    }];
    let later = t0() + Duration::hours(5);
    let saved = save_pipeline(&c.t.db, &events, &admin, &draft, later)
        .await
        .unwrap();
    assert_eq!(saved.stages.len(), c.pipeline.stages.len() - 2);
    assert!(saved.stage(c.stage("Scoring")).is_none());
    assert_eq!(c.transition_count().await, before + 2);
    for deal in &moved {
        let now = get_deal(&c.t.db, &admin, deal.id).await.unwrap();
        assert_eq!(now.stage_id, c.stage("Risk"));
        assert_eq!(now.version, deal.version + 1);
        assert_eq!(now.stage_entered_at, later);
        let history = list_transitions(&c.t.db, &admin, deal.id).await.unwrap();
        assert_eq!(history[0].from_stage_name.as_deref(), Some("Scoring"));
        assert_eq!(history[0].to_stage_name, "Risk");
        assert_eq!(history[0].seconds_in_from, Some(5 * 3600));
        assert!(!history[0].is_return);
        assert_eq!(history[1].to_stage_name, "Scoring", "older rows untouched");
    }
    assert_eq!(
        *events.0.lock().unwrap(),
        1,
        "one wake-up for the saved pipeline"
    );
    let log = read_after(&c.t.db, 0, 100).await.unwrap();
    let relocated: Vec<_> = log
        .iter()
        .filter(|e| e.record.occurred_at == later && e.record.data.kind() == "deal.moved")
        .collect();
    assert_eq!(relocated.len(), 2);
}

#[tokio::test]
async fn only_admins_edit_pipelines_and_bad_drafts_change_nothing() {
    let c = Conveyor::new().await;
    let manager = c.t.user("boss@bank.ru", Role::Manager, vec![]).await;
    let mut draft = PipelineDraft::from(&c.pipeline);
    draft.name = "Mine".into();
    assert_eq!(
        save_pipeline(&c.t.db, &(), &c.t.actor(&manager).await, &draft, t0()).await,
        Err(AppError::Forbidden)
    );
    let admin = c.t.actor(&c.admin).await;
    draft.stages[0].color = "javascript:alert(1)".into();
    assert_eq!(
        save_pipeline(&c.t.db, &(), &admin, &draft, t0()).await,
        Err(AppError::validation(Field::Color, Rule::UnknownValue))
    );
    // A second pipeline may not take the first one's name.
    let other = shared::pipeline::service::create_from_template(
        &c.t.db,
        &admin,
        "Sales",
        shared::pipeline::service::Template::SalesFunnel,
        &[],
        t0(),
    )
    .await
    .unwrap();
    let mut rename = PipelineDraft::from(&load_pipeline(&c.t.db, other).await.unwrap());
    rename.name = "Loans".into();
    assert_eq!(
        save_pipeline(&c.t.db, &(), &admin, &rename, t0()).await,
        Err(AppError::Duplicate {
            entity: Entity::Pipeline,
            field: Field::Name
        })
    );
    // Stages of another pipeline cannot be smuggled in.
    let mut foreign = PipelineDraft::from(&load_pipeline(&c.t.db, other).await.unwrap());
    foreign.stages[0].id = Some(c.stage("Risk"));
    assert_eq!(
        save_pipeline(&c.t.db, &(), &admin, &foreign, t0()).await,
        Err(AppError::validation(Field::Stage, Rule::UnknownValue))
    );
    assert_eq!(
        load_pipeline(&c.t.db, c.pipeline.id).await.unwrap(),
        c.pipeline
    );
}
