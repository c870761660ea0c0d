//! The conveyor's move use case: rules, returns, required fields, versions, visibility,
//! the append-only ledger and concurrent movers.

use std::str::FromStr;

use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use shared::AppError;
use shared::access::Actor;
use shared::deal::service::{create_deal, get_deal, list_transitions, move_deal};
use shared::deal::{DealView, Money, MoveDeal, NewDeal};
use shared::department::DepartmentId;
use shared::error::{Entity, Field, Rule};
use shared::pipeline::service::{Template, create_from_template, load_pipeline, set_allowed_moves};
use shared::pipeline::{AllowedMove, DealField, PipelineView, StageId};
use shared::transition::entity::transitions;
use shared::user::{Role, UserView};

use crate::harness::{TestDb, t0};

pub(crate) struct Conveyor {
    pub t: TestDb,
    pub pipeline: PipelineView,
    pub scoring: DepartmentId,
    pub risk: DepartmentId,
    pub admin: UserView,
}

impl Conveyor {
    pub async fn new() -> Conveyor {
        let t = TestDb::new().await;
        let mut departments = Vec::new();
        for name in [
            "Client managers",
            "Scoring",
            "Risk",
            "Credit committee",
            "Servicing",
        ] {
            departments.push((t.department(name).await, name.to_owned()));
        }
        let id = create_from_template(
            &t.db,
            &Actor::system(),
            "Loans",
            Template::LoanConveyor,
            &departments,
            t0(),
        )
        .await
        .unwrap();
        let pipeline = load_pipeline(&t.db, id).await.unwrap();
        let admin = t.user("admin@bank.ru", Role::Admin, vec![]).await;
        Conveyor {
            scoring: departments[1].0,
            risk: departments[2].0,
            t,
            pipeline,
            admin,
        }
    }

    pub fn stage(&self, name: &str) -> StageId {
        self.pipeline
            .stages
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .id
    }

    pub async fn deal(&self, responsible: &UserView) -> DealView {
        let actor = self.t.actor(&self.admin).await;
        create_deal(
            &self.t.db,
            &(),
            &actor,
            NewDeal {
                pipeline_id: self.pipeline.id,
                title: "Mortgage, 2-room flat".into(),
                client_name: Some("Ivan Petrov".into()),
                client_phone: Some("+7 900 000-00-00".into()),
                client_email: None,
                amount: Some(Money {
                    amount: Decimal::from_str("4500000.00").unwrap(),
                    currency: "RUB".into(),
                }),
                responsible: Some(responsible.id),
                client: None,
                custom: Vec::new(),
            },
            t0(),
        )
        .await
        .unwrap()
    }

    pub async fn transition_count(&self) -> u64 {
        transitions::Entity::find().count(&self.t.db).await.unwrap()
    }
}

pub(crate) fn mv(deal: &DealView, to: StageId, comment: &str) -> MoveDeal {
    MoveDeal {
        deal_id: deal.id,
        to_stage: to,
        version: deal.version,
        comment: comment.into(),
    }
}

#[tokio::test]
async fn a_move_updates_the_deal_and_appends_the_transition() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    assert_eq!(deal.stage_id, c.stage("Client manager"));
    let moved = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0() + Duration::hours(3),
    )
    .await
    .unwrap();
    assert_eq!(moved.stage_id, c.stage("Scoring"));
    assert_eq!(moved.version, deal.version + 1);
    assert_eq!(moved.stage_entered_at, t0() + Duration::hours(3));
    let history = list_transitions(&c.t.db, &admin, deal.id).await.unwrap();
    assert_eq!(history.len(), 2, "creation and the move");
    let last = &history[0];
    assert_eq!(last.from_stage_name.as_deref(), Some("Client manager"));
    assert_eq!(last.to_stage_name, "Scoring");
    assert_eq!(last.seconds_in_from, Some(3 * 3600));
    assert_eq!(last.to_department, Some(c.scoring));
    assert!(!last.is_return);
    assert_eq!(last.actor, Some(c.admin.id));
}

#[tokio::test]
async fn a_return_needs_a_reason_and_is_marked() {
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
    let before = c.transition_count().await;
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&scored, c.stage("Client manager"), "  "),
            t0()
        )
        .await,
        Err(AppError::validation(Field::Comment, Rule::ReasonRequired))
    );
    assert_eq!(c.transition_count().await, before, "nothing written");
    let back = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&scored, c.stage("Client manager"), "No income statement"),
        t0(),
    )
    .await
    .unwrap();
    let history = list_transitions(&c.t.db, &admin, back.id).await.unwrap();
    assert!(history[0].is_return);
    assert_eq!(history[0].comment, "No income statement");
}

#[tokio::test]
async fn moves_outside_the_rules_are_refused() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    assert_eq!(
        move_deal(&c.t.db, &(), &admin, mv(&deal, c.stage("Risk"), ""), t0()).await,
        Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed))
    );
    // The same pair twice (a form sent twice over, a client's bug) is stored once.
    let to_risk = AllowedMove {
        from: c.stage("Client manager"),
        to: c.stage("Risk"),
    };
    set_allowed_moves(&c.t.db, &admin, c.pipeline.id, &[to_risk, to_risk])
        .await
        .unwrap();
    assert_eq!(
        load_pipeline(&c.t.db, c.pipeline.id)
            .await
            .unwrap()
            .allowed_moves,
        [to_risk]
    );
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&deal, c.stage("Scoring"), ""),
            t0()
        )
        .await,
        Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed))
    );
    assert!(
        move_deal(&c.t.db, &(), &admin, mv(&deal, c.stage("Risk"), ""), t0())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn required_fields_block_entry() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = create_deal(
        &c.t.db,
        &(),
        &admin,
        NewDeal {
            pipeline_id: c.pipeline.id,
            title: "Car loan".into(),
            client_name: Some("Anna".into()),
            client_phone: None,
            client_email: None,
            amount: None,
            responsible: None,
            client: None,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    // Scoring requires the amount (and the client's phone).
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&deal, c.stage("Scoring"), ""),
            t0()
        )
        .await,
        Err(AppError::RequiredField {
            field: DealField::Amount
        })
    );
    assert_eq!(
        get_deal(&c.t.db, &admin, deal.id).await.unwrap().version,
        deal.version
    );
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_writes_nothing() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let before = c.transition_count().await;
    assert_eq!(
        move_deal(
            &c.t.db,
            &(),
            &admin,
            mv(&deal, c.stage("Rejected"), ""),
            t0()
        )
        .await
        .map(|d| d.id),
        Err(AppError::Conflict {
            current_version: deal.version + 1
        })
    );
    assert_eq!(c.transition_count().await, before);
}

#[tokio::test]
async fn twenty_concurrent_movers_one_wins() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let before = c.transition_count().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let db = c.t.db.clone();
        let actor = admin.clone();
        let cmd = mv(&deal, c.stage("Scoring"), "");
        tasks.push(tokio::spawn(async move {
            move_deal(&db, &(), &actor, cmd, t0()).await
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(AppError::Conflict { current_version }) => {
                assert_eq!(current_version, deal.version + 1);
                conflicts += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((wins, conflicts), (1, 19));
    assert_eq!(c.transition_count().await, before + 1);
}

#[tokio::test]
async fn each_role_sees_and_moves_only_its_deals() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let risk_analyst = c.t.user("risk@bank.ru", Role::Employee, vec![c.risk]).await;
    let accountant =
        c.t.user("acc@bank.ru", Role::Restricted, vec![c.scoring])
            .await;
    let manager = c.t.user("boss@bank.ru", Role::Manager, vec![]).await;
    let deal = c.deal(&c.admin).await;
    let admin = c.t.actor(&c.admin).await;
    let in_scoring = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();

    let can_see = |user: &UserView| {
        let t = &c.t;
        let user = user.clone();
        async move {
            get_deal(&t.db, &t.actor(&user).await, deal.id)
                .await
                .is_ok()
        }
    };
    assert!(
        can_see(&scorer).await,
        "the deal is in the scorer's department"
    );
    assert!(!can_see(&risk_analyst).await);
    assert!(!can_see(&accountant).await, "restricted: only own deals");
    assert!(can_see(&manager).await);

    let hidden = move_deal(
        &c.t.db,
        &(),
        &c.t.actor(&risk_analyst).await,
        mv(&in_scoring, c.stage("Risk"), ""),
        t0(),
    )
    .await;
    assert_eq!(
        hidden.map(|d| d.id),
        Err(AppError::NotFound {
            entity: Entity::Deal
        })
    );
    assert!(
        move_deal(
            &c.t.db,
            &(),
            &c.t.actor(&scorer).await,
            mv(&in_scoring, c.stage("Risk"), ""),
            t0()
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_history() {
    let c = Conveyor::new().await;
    c.deal(&c.admin).await;
    for sql in [
        "UPDATE transitions SET comment = 'forged'",
        "DELETE FROM transitions",
    ] {
        assert!(
            c.t.db.execute_unprepared(sql).await.is_err(),
            "{sql} must fail"
        );
    }
    assert_eq!(c.transition_count().await, 1);
}

#[tokio::test]
async fn the_board_counts_and_sums_only_what_the_viewer_may_see() {
    use shared::board::BoardFilter;
    use shared::board::service::load_board;
    let c = Conveyor::new().await;
    let manager = c.t.user("manager@bank.ru", Role::Employee, vec![]).await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let admin = c.t.actor(&c.admin).await;
    let first = c.deal(&manager).await;
    c.deal(&manager).await;
    c.deal(&c.admin).await;
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&first, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();

    let board = load_board(
        &c.t.db,
        &admin,
        c.pipeline.id,
        &BoardFilter::default(),
        t0(),
    )
    .await
    .unwrap();
    let column = |board: &shared::board::BoardView, name: &str| {
        board
            .columns
            .iter()
            .find(|col| col.stage.name == name)
            .unwrap()
            .clone()
    };
    let intake = column(&board, "Client manager");
    assert_eq!(intake.count, 2);
    assert_eq!(intake.sums, vec![("RUB".to_owned(), 2 * 450_000_000)]);
    assert_eq!(intake.deals.len(), 2);
    assert_eq!(column(&board, "Scoring").count, 1);

    // The scorer sees the Scoring column (their department), not the intake.
    let theirs = load_board(
        &c.t.db,
        &c.t.actor(&scorer).await,
        c.pipeline.id,
        &BoardFilter::default(),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(column(&theirs, "Client manager").count, 0);
    assert_eq!(column(&theirs, "Scoring").count, 1);

    // The manager sees their own deals wherever they are.
    let own = load_board(
        &c.t.db,
        &c.t.actor(&manager).await,
        c.pipeline.id,
        &BoardFilter::default(),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            column(&own, "Client manager").count,
            column(&own, "Scoring").count
        ),
        (1, 1)
    );

    let filter = BoardFilter {
        responsible: Some(c.admin.id),
        ..Default::default()
    };
    let filtered = load_board(&c.t.db, &admin, c.pipeline.id, &filter, t0())
        .await
        .unwrap();
    assert_eq!(column(&filtered, "Client manager").count, 1);
    let search = BoardFilter {
        search: Some("Petrov Ivan".into()),
        ..Default::default()
    };
    assert_eq!(
        column(
            &load_board(&c.t.db, &admin, c.pipeline.id, &search, t0())
                .await
                .unwrap(),
            "Client manager"
        )
        .count,
        0
    );
    let search = BoardFilter {
        search: Some("ivan PETROV".into()),
        ..Default::default()
    };
    assert_eq!(
        column(
            &load_board(&c.t.db, &admin, c.pipeline.id, &search, t0())
                .await
                .unwrap(),
            "Client manager"
        )
        .count,
        2
    );
    let late = BoardFilter {
        sla_exceeded: true,
        ..Default::default()
    };
    let breached = load_board(
        &c.t.db,
        &admin,
        c.pipeline.id,
        &late,
        t0() + Duration::hours(25),
    )
    .await
    .unwrap();
    assert_eq!(
        column(&breached, "Client manager").count,
        2,
        "24 h SLA passed"
    );
    assert_eq!(column(&breached, "Scoring").count, 1, "8 h SLA passed");
}

#[tokio::test]
async fn columns_page_by_fifty_with_exact_totals_and_a_vague_search_still_finds_every_deal() {
    use sea_orm::{ActiveValue::Set, EntityTrait as _};
    use shared::board::service::{load_board, load_column};
    use shared::board::{BoardFilter, PAGE_SIZE};
    use shared::client::entity::clients;
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    for _ in 0..PAGE_SIZE + 5 {
        c.deal(&c.admin).await;
    }
    let intake = c
        .pipeline
        .stages
        .iter()
        .find(|s| s.name == "Client manager")
        .unwrap()
        .clone();
    let filter = BoardFilter::default();
    let board = load_board(&c.t.db, &admin, c.pipeline.id, &filter, t0())
        .await
        .unwrap();
    let first = &board.columns[0];
    assert_eq!(first.count, PAGE_SIZE + 5);
    assert_eq!(first.deals.len() as u64, PAGE_SIZE);
    let total = 450_000_000 * (PAGE_SIZE as i64 + 5);
    assert_eq!(first.sums, vec![("RUB".to_owned(), total)]);
    let more = load_column(
        &c.t.db,
        &admin,
        &c.pipeline,
        &intake,
        &filter,
        PAGE_SIZE,
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        (more.count, more.sums.clone()),
        (first.count, first.sums.clone())
    );
    assert_eq!(more.deals.len(), 5);
    let mut seen: Vec<_> = first
        .deals
        .iter()
        .chain(&more.deals)
        .map(|d| d.id)
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as u64, PAGE_SIZE + 5, "no card on two pages");
    assert!(
        board.columns[1..]
            .iter()
            .all(|col| col.count == 0 && col.sums.is_empty())
    );

    // A term matching more clients than the board resolves up front (1,000) falls back to
    // a subquery and still finds the deal whose client matches.
    let vague: Vec<_> = (0..1000)
        .map(|n| clients::ActiveModel {
            kind: Set("person".to_owned()),
            name: Set(format!("Vague client {n}")),
            created_at: Set(t0()),
            ..Default::default()
        })
        .collect();
    for chunk in vague.chunks(200) {
        clients::Entity::insert_many(chunk.to_vec())
            .exec(&c.t.db)
            .await
            .unwrap();
    }
    let actor = c.t.actor(&c.admin).await;
    create_deal(
        &c.t.db,
        &(),
        &actor,
        NewDeal {
            pipeline_id: c.pipeline.id,
            title: "Car loan".into(),
            client_name: Some("Vague holder".into()),
            client_phone: None,
            client_email: None,
            amount: None,
            responsible: None,
            client: None,
            custom: Vec::new(),
        },
        t0(),
    )
    .await
    .unwrap();
    let search = BoardFilter {
        search: Some("VAGUE".into()),
        ..Default::default()
    };
    let found = load_board(&c.t.db, &admin, c.pipeline.id, &search, t0())
        .await
        .unwrap();
    assert_eq!(found.columns[0].count, 1);
    assert_eq!(found.columns[0].deals[0].title, "Car loan");
    assert!(
        found.columns[0].sums.is_empty(),
        "a deal without an amount adds no sum"
    );
}
