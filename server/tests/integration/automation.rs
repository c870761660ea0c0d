//! Automation rules end to end below the UI, with a controlled clock: the event log's
//! consumer makes runs, the job workers execute them through the same use cases as people
//! (history names the rule); round robin skips inactive people and stays fair across a
//! restart; least loaded counts open deals and a cap leaves nobody; time in stage fires
//! once and not after the deal left; a wait survives a restart; a refused move is logged,
//! not forced, and undoes its step; a chain stops at the depth limit and a rule ignores its
//! own changes; a dry run keeps nothing; rules are versioned, checked and for administrators.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use shared::AppError;
use shared::access::Actor;
use shared::automation::engine::{dry_run, on_event};
use shared::automation::entity::{automation_rule_versions, automation_runs};
use shared::automation::service::{RunFilter, create_rule, list_runs, set_enabled, update_rule};
use shared::automation::{
    Action, AssignStrategy, Condition, LogEntry, NumberOp, RuleDefinition, RuleInput, RuleView,
    RunState, RunView, TaskAssignee, Trigger, TriggerField,
};
use shared::deal::public::ApiDealPatch;
use shared::deal::service::{get_deal, move_deal, update_deal};
use shared::deal::{DealId, DealView};
use shared::error::{Field, Rule};
use shared::event::outbox;
use shared::timeline::Subject;
use shared::user::entity::users;
use shared::user::{Role, UserView};

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

/// The test's clock: t0 plus an offset each test moves (one clock per test).
macro_rules! clock {
    ($name:ident, $offset:ident) => {
        static $offset: AtomicI64 = AtomicI64::new(0);
        fn $name() -> DateTime<Utc> {
            t0() + Duration::seconds($offset.load(Ordering::SeqCst))
        }
    };
}

/// Feeds every event after `after` to the engine (as the consumer does, once each), then
/// runs every job due at the workers' clock. Returns the last event id seen.
async fn pump(db: &shared::db::Db, workers: &server::jobs::Workers, mut after: i64) -> i64 {
    loop {
        let events = outbox::read_after(db, after, 10_000).await.unwrap();
        if events.is_empty() {
            return after;
        }
        for event in events {
            on_event(db, &event, 5, (workers.clock)()).await.unwrap();
            after = event.record.id;
        }
        while workers.run_one("test").await.unwrap() {}
    }
}

fn rule(c: &Conveyor, name: &str, trigger: Trigger, actions: Vec<Action>) -> RuleInput {
    RuleInput {
        name: name.into(),
        pipeline_id: c.pipeline.id,
        enabled: true,
        retrigger_self: false,
        definition: RuleDefinition {
            trigger,
            conditions: Vec::new(),
            actions,
        },
    }
}

async fn save(c: &Conveyor, input: RuleInput) -> RuleView {
    let admin = c.t.actor(&c.admin).await;
    create_rule(&c.t.db, &admin, input, t0()).await.unwrap()
}

async fn runs(c: &Conveyor) -> Vec<RunView> {
    let admin = c.t.actor(&c.admin).await;
    list_runs(&c.t.db, &admin, &RunFilter::default())
        .await
        .unwrap()
}

async fn deal_now(c: &Conveyor, id: DealId) -> DealView {
    get_deal(&c.t.db, &Actor::system(), id).await.unwrap()
}

async fn deactivate(c: &Conveyor, user: &UserView) {
    let row = users::Entity::find_by_id(user.id.0)
        .one(&c.t.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: users::ActiveModel = row.into();
    row.active = Set(false);
    row.update(&c.t.db).await.unwrap();
}

clock!(round_robin_clock, ROUND_ROBIN);

#[tokio::test]
async fn new_deals_go_round_robin_to_active_people_fairly_across_a_restart() {
    let c = Conveyor::new().await;
    let anna =
        c.t.user("anna@bank.ru", Role::Manager, vec![c.scoring])
            .await;
    let boris =
        c.t.user("boris@bank.ru", Role::Manager, vec![c.scoring])
            .await;
    let gone =
        c.t.user("gone@bank.ru", Role::Manager, vec![c.scoring])
            .await;
    deactivate(&c, &gone).await;
    let mut input = rule(
        &c,
        "Scoring takes big loans",
        Trigger::DealCreated,
        vec![
            Action::Assign {
                department_id: c.scoring,
                strategy: AssignStrategy::RoundRobin,
                cap: None,
            },
            Action::CreateTask {
                title: "Call the client".into(),
                due_minutes: 60,
                assignee: TaskAssignee::Responsible,
                on_main_deal: false,
            },
            Action::Comment {
                text: "Assigned by the conveyor".into(),
            },
        ],
    );
    input.definition.conditions = vec![Condition::Amount {
        op: NumberOp::Gte,
        value: Decimal::new(1_000_000, 0),
    }];
    let saved = save(&c, input).await;
    let workers = crate::tasks::workers(c.t.db.clone(), round_robin_clock);
    let mut cursor = outbox::last_id(&c.t.db).await.unwrap();
    let mut picked = Vec::new();
    for _ in 0..3 {
        let deal = c.deal(&c.admin).await;
        cursor = pump(&c.t.db, &workers, cursor).await;
        let deal = deal_now(&c, deal.id).await;
        picked.push(deal.responsible.unwrap());
        let tasks = shared::task::service::tasks_of(&c.t.db, Subject::Deal(deal.id))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].assignee, deal.responsible.unwrap());
        assert_eq!(tasks[0].due_at, t0() + Duration::minutes(60));
    }
    let (first, second) = if anna.id < boris.id {
        (anna.id, boris.id)
    } else {
        (boris.id, anna.id)
    };
    assert_eq!(
        picked,
        [first, second, first],
        "in turn, never the inactive one"
    );

    // A restarted server (new connections, new workers) goes on with the next one.
    let db = c.t.reconnect().await;
    let restarted = crate::tasks::workers(db.clone(), round_robin_clock);
    let deal = c.deal(&c.admin).await;
    pump(&db, &restarted, cursor).await;
    assert_eq!(deal_now(&c, deal.id).await.responsible, Some(second));

    // History names the rule as who acted.
    let admin = c.t.actor(&c.admin).await;
    let card = shared::page::deal_card::load_deal_card(&c.t.db, &admin, deal.id, t0())
        .await
        .unwrap();
    let by_rule: Vec<_> = card
        .timeline
        .iter()
        .filter(|entry| entry.actor_name.as_deref() == Some("Rule: Scoring takes big loans"))
        .collect();
    assert!(
        by_rule.len() >= 2,
        "the change and the comment: {by_rule:?}"
    );

    let log = runs(&c).await;
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|run| run.state == RunState::Done));
    assert!(log.iter().all(|run| run.rule_version == saved.version));
    assert!(matches!(
        log[0].log.as_slice(),
        [
            LogEntry::Condition { passed: true, .. },
            LogEntry::Action { .. },
            LogEntry::Action { .. },
            LogEntry::Action { .. }
        ]
    ));
}

clock!(loaded_clock, LOADED);

#[tokio::test]
async fn least_loaded_counts_open_deals_and_a_full_cap_fails_the_run_changing_nothing() {
    let c = Conveyor::new().await;
    let busy = c.t.user("busy@bank.ru", Role::Manager, vec![c.risk]).await;
    let free = c.t.user("free@bank.ru", Role::Manager, vec![c.risk]).await;
    for _ in 0..2 {
        c.deal(&busy).await;
    }
    c.deal(&free).await;
    let saved = save(
        &c,
        rule(
            &c,
            "Risk by load",
            Trigger::FieldChanged {
                field: TriggerField::Title,
                to: None,
            },
            vec![Action::Assign {
                department_id: c.risk,
                strategy: AssignStrategy::LeastLoaded,
                cap: Some(2),
            }],
        ),
    )
    .await;
    let workers = crate::tasks::workers(c.t.db.clone(), loaded_clock);
    let cursor = outbox::last_id(&c.t.db).await.unwrap();
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let retitle = |deal: &DealView, title: &str| {
        ApiDealPatch {
            title: Some(title.into()),
            ..ApiDealPatch::default()
        }
        .over(deal, deal.version)
    };
    update_deal(&c.t.db, &(), &admin, retitle(&deal, "Renamed"), t0())
        .await
        .unwrap();
    let cursor = pump(&c.t.db, &workers, cursor).await;
    let deal = deal_now(&c, deal.id).await;
    assert_eq!(deal.responsible, Some(free.id), "one open deal against two");

    // Now both hold two open deals: nobody is under the cap.
    let other = c.deal(&c.admin).await;
    update_deal(&c.t.db, &(), &admin, retitle(&other, "Second"), t0())
        .await
        .unwrap();
    pump(&c.t.db, &workers, cursor).await;
    assert_eq!(deal_now(&c, other.id).await.responsible, Some(c.admin.id));
    let failed = &runs(&c).await[0];
    assert_eq!(failed.state, RunState::Failed);
    assert!(matches!(
        failed.log.last(),
        Some(LogEntry::Refused {
            error: AppError::Validation {
                field: Field::Departments,
                rule: Rule::NobodyAvailable
            },
            ..
        })
    ));
    let _ = saved;
}

clock!(stage_clock, STAGE);

#[tokio::test]
async fn time_in_stage_fires_once_and_not_for_a_deal_that_left() {
    let c = Conveyor::new().await;
    let scoring = c.stage("Scoring");
    save(
        &c,
        rule(
            &c,
            "Scoring is slow",
            Trigger::TimeInStage {
                stage_id: scoring,
                minutes: Some(30),
            },
            vec![Action::Notify {
                to: TaskAssignee::Responsible,
                text: "Half an hour in scoring".into(),
            }],
        ),
    )
    .await;
    let workers = crate::tasks::workers(c.t.db.clone(), stage_clock);
    let admin = c.t.actor(&c.admin).await;
    let cursor = outbox::last_id(&c.t.db).await.unwrap();
    let stays = c.deal(&c.admin).await;
    let leaves = c.deal(&c.admin).await;
    move_deal(&c.t.db, &(), &admin, mv(&stays, scoring, ""), t0())
        .await
        .unwrap();
    let left = move_deal(&c.t.db, &(), &admin, mv(&leaves, scoring, ""), t0())
        .await
        .unwrap();
    let cursor = pump(&c.t.db, &workers, cursor).await;
    assert!(
        runs(&c)
            .await
            .iter()
            .all(|run| run.state == RunState::Queued)
    );
    STAGE.store(10 * 60, Ordering::SeqCst);
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&left, c.stage("Client manager"), "Missing papers"),
        stage_clock(),
    )
    .await
    .unwrap();
    let cursor = pump(&c.t.db, &workers, cursor).await;
    STAGE.store(31 * 60, Ordering::SeqCst);
    pump(&c.t.db, &workers, cursor).await;
    // Once more at a later time: nothing new.
    STAGE.store(90 * 60, Ordering::SeqCst);
    pump(&c.t.db, &workers, cursor).await;
    while workers.run_one("test").await.unwrap() {}
    let log = runs(&c).await;
    assert_eq!(log.len(), 2, "one run per entry into the stage");
    let of = |deal: DealId| log.iter().find(|run| run.deal_id == deal).unwrap();
    assert_eq!(of(stays.id).state, RunState::Done);
    assert_eq!(of(stays.id).trigger, "time_in_stage");
    assert_eq!(of(leaves.id).state, RunState::Skipped);
    assert_eq!(of(leaves.id).log, [LogEntry::LeftStage]);
    let notes = shared::notification::service::list_notifications(&c.t.db, &admin)
        .await
        .unwrap();
    assert_eq!(
        notes
            .items
            .iter()
            .filter(|n| n.kind == shared::notification::NotificationKind::Automation)
            .count(),
        1
    );
}

clock!(wait_clock, WAIT);

#[tokio::test]
async fn a_wait_survives_a_restart_and_a_refused_move_undoes_its_step() {
    let c = Conveyor::new().await;
    let scoring = c.stage("Scoring");
    save(
        &c,
        rule(
            &c,
            "Follow up",
            Trigger::DealCreated,
            vec![
                Action::Comment {
                    text: "Welcome call done".into(),
                },
                Action::Wait { minutes: 60 },
                Action::Move {
                    stage_id: scoring,
                    comment: String::new(),
                },
                Action::Wait { minutes: 1 },
                Action::Comment {
                    text: "Sent to scoring".into(),
                },
                // Skipping stages forward is not allowed: refused, not forced.
                Action::Move {
                    stage_id: c.stage("Credit committee"),
                    comment: String::new(),
                },
            ],
        ),
    )
    .await;
    let workers = crate::tasks::workers(c.t.db.clone(), wait_clock);
    let cursor = outbox::last_id(&c.t.db).await.unwrap();
    let deal = c.deal(&c.admin).await;
    pump(&c.t.db, &workers, cursor).await;
    let admin = c.t.actor(&c.admin).await;
    let comments = |db: shared::db::Db| {
        let admin = admin.clone();
        async move {
            shared::comment::service::list_comments_after(
                &db,
                &admin,
                Subject::Deal(deal.id),
                0,
                100,
            )
            .await
            .unwrap()
            .0
            .len()
        }
    };
    assert_eq!(comments(c.t.db.clone()).await, 1);
    assert_eq!(runs(&c).await[0].state, RunState::Queued);
    assert_eq!(deal_now(&c, deal.id).await.stage_id, deal.stage_id);

    // The server restarts; an hour later the run goes on where it stopped.
    let db = c.t.reconnect().await;
    WAIT.store(61 * 60, Ordering::SeqCst);
    let restarted = crate::tasks::workers(db.clone(), wait_clock);
    while restarted.run_one("test").await.unwrap() {}
    let moved = deal_now(&c, deal.id).await;
    assert_eq!(moved.stage_id, scoring, "moved after the wait");
    assert_eq!(runs(&c).await[0].state, RunState::Queued);
    // The last step's refused move undid the whole step: its comment too.
    WAIT.store(63 * 60, Ordering::SeqCst);
    while restarted.run_one("test").await.unwrap() {}
    let after = deal_now(&c, deal.id).await;
    assert_eq!((after.stage_id, after.version), (scoring, moved.version));
    assert_eq!(comments(db.clone()).await, 1);
    let run = &runs(&c).await[0];
    assert_eq!(run.state, RunState::Failed);
    assert!(matches!(
        run.log.as_slice(),
        [
            LogEntry::Action { index: 0, .. },
            LogEntry::Waiting { index: 1, .. },
            LogEntry::Action { index: 2, .. },
            LogEntry::Waiting { index: 3, .. },
            LogEntry::Refused {
                index: 5,
                error: AppError::Validation {
                    rule: Rule::MoveNotAllowed,
                    ..
                },
                ..
            }
        ]
    ));
    // Running its job again does nothing more.
    assert_eq!(
        shared::automation::engine::execute_run(&db, &(), run.id, wait_clock())
            .await
            .unwrap(),
        RunState::Failed
    );
}

clock!(loop_clock, LOOP);

#[tokio::test]
async fn a_rule_ignores_its_own_changes_unless_told_and_chains_stop_at_the_depth_limit() {
    let c = Conveyor::new().await;
    for email in ["one@bank.ru", "two@bank.ru"] {
        c.t.user(email, Role::Manager, vec![c.scoring]).await;
    }
    let mut input = rule(
        &c,
        "Reassign",
        Trigger::FieldChanged {
            field: TriggerField::Responsible,
            to: None,
        },
        vec![Action::Assign {
            department_id: c.scoring,
            strategy: AssignStrategy::RoundRobin,
            cap: None,
        }],
    );
    let saved = save(&c, input.clone()).await;
    let workers = crate::tasks::workers(c.t.db.clone(), loop_clock);
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let cursor = outbox::last_id(&c.t.db).await.unwrap();
    let other = c.t.user("other@bank.ru", Role::Manager, vec![]).await;
    let reassign = |deal: &DealView| {
        ApiDealPatch {
            responsible_id: Some(Some(other.id.0)),
            ..ApiDealPatch::default()
        }
        .over(deal, deal.version)
    };
    let deal = update_deal(&c.t.db, &(), &admin, reassign(&deal), t0())
        .await
        .unwrap();
    let cursor = pump(&c.t.db, &workers, cursor).await;
    assert_eq!(
        runs(&c).await.len(),
        1,
        "its own change does not start it again"
    );

    input.retrigger_self = true;
    update_rule(&c.t.db, &admin, saved.id, input, t0())
        .await
        .unwrap();
    let deal = deal_now(&c, deal.id).await;
    update_deal(&c.t.db, &(), &admin, reassign(&deal), t0())
        .await
        .unwrap();
    pump(&c.t.db, &workers, cursor).await;
    let log = runs(&c).await;
    assert_eq!(log.len(), 1 + 6, "five deep, then halted");
    assert_eq!(log[0].state, RunState::Halted);
    assert_eq!(log[0].log, [LogEntry::DepthLimit { depth: 5 }]);
    assert_eq!(
        log[1..6].iter().map(|run| run.depth).collect::<Vec<_>>(),
        [5, 4, 3, 2, 1]
    );
}

clock!(dry_clock, DRY);

#[tokio::test]
async fn a_dry_run_shows_what_would_happen_and_keeps_nothing() {
    let c = Conveyor::new().await;
    c.t.user("scorer@bank.ru", Role::Manager, vec![c.scoring])
        .await;
    let saved = save(
        &c,
        rule(
            &c,
            "Try me",
            Trigger::DealCreated,
            vec![
                Action::Assign {
                    department_id: c.scoring,
                    strategy: AssignStrategy::RoundRobin,
                    cap: None,
                },
                Action::Wait { minutes: 5 },
                Action::CreateTask {
                    title: "Check".into(),
                    due_minutes: 10,
                    assignee: TaskAssignee::Responsible,
                    on_main_deal: false,
                },
            ],
        ),
    )
    .await;
    let deal = c.deal(&c.admin).await;
    let admin = c.t.actor(&c.admin).await;
    let before = outbox::last_id(&c.t.db).await.unwrap();
    let log = dry_run(&c.t.db, &admin, saved.id, deal.id, dry_clock())
        .await
        .unwrap();
    assert!(matches!(
        log.as_slice(),
        [
            LogEntry::DryRun,
            LogEntry::Action { index: 0, .. },
            LogEntry::Waiting { index: 1, .. },
            LogEntry::Action { index: 2, .. }
        ]
    ));
    let now = deal_now(&c, deal.id).await;
    assert_eq!(
        (now.responsible, now.version),
        (deal.responsible, deal.version)
    );
    assert_eq!(outbox::last_id(&c.t.db).await.unwrap(), before);
    assert!(
        shared::task::service::tasks_of(&c.t.db, Subject::Deal(deal.id))
            .await
            .unwrap()
            .is_empty()
    );
    let manager = c.t.user("m@bank.ru", Role::Manager, vec![c.scoring]).await;
    let manager = c.t.actor(&manager).await;
    assert_eq!(
        dry_run(&c.t.db, &manager, saved.id, deal.id, dry_clock()).await,
        Err(AppError::Forbidden)
    );
}

#[tokio::test]
async fn rules_are_checked_versioned_and_for_administrators_only() {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let manager = c.t.user("m@bank.ru", Role::Manager, vec![c.scoring]).await;
    let manager = c.t.actor(&manager).await;
    let good = rule(
        &c,
        "Greet",
        Trigger::DealCreated,
        vec![Action::Comment {
            text: "Hello".into(),
        }],
    );
    assert_eq!(
        create_rule(&c.t.db, &manager, good.clone(), t0()).await,
        Err(AppError::Forbidden)
    );
    let refused = |input: RuleInput| {
        let db = c.t.db.clone();
        let admin = admin.clone();
        async move { create_rule(&db, &admin, input, t0()).await.unwrap_err() }
    };
    let mut no_actions = good.clone();
    no_actions.definition.actions.clear();
    assert_eq!(
        refused(no_actions).await,
        AppError::validation(Field::Actions, Rule::Required)
    );
    let mut unknown_stage = good.clone();
    unknown_stage.definition.actions = vec![Action::Move {
        stage_id: shared::pipeline::StageId(999_999),
        comment: String::new(),
    }];
    assert_eq!(
        refused(unknown_stage).await,
        AppError::validation(Field::Stage, Rule::UnknownValue)
    );
    let mut huge = good.clone();
    huge.name = "x".repeat(1_000_000);
    assert_eq!(
        refused(huge).await,
        AppError::validation(Field::Name, Rule::TooLong { max: 100 })
    );
    let mut deep = Condition::HasClient;
    for _ in 0..10 {
        deep = Condition::Not { of: Box::new(deep) };
    }
    let mut nested = good.clone();
    nested.definition.conditions = vec![deep];
    assert!(matches!(
        refused(nested).await,
        AppError::Validation {
            field: Field::Conditions,
            ..
        }
    ));
    let mut many = good.clone();
    many.definition.conditions = vec![Condition::HasClient; 51];
    assert!(matches!(
        refused(many).await,
        AppError::Validation {
            field: Field::Conditions,
            rule: Rule::TooMany { .. }
        }
    ));
    assert_eq!(
        automation_rule_versions::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        0,
        "nothing stored"
    );

    let saved = create_rule(&c.t.db, &admin, good.clone(), t0())
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    set_enabled(&c.t.db, &admin, saved.id, false, t0())
        .await
        .unwrap();
    let mut edited = good;
    edited.definition.actions = vec![Action::Comment {
        text: "Good morning".into(),
    }];
    let edited = update_rule(&c.t.db, &admin, saved.id, edited, t0())
        .await
        .unwrap();
    assert_eq!(
        edited.version, 2,
        "switching off made no version, the edit did"
    );
    assert!(edited.enabled, "the form's switch");
    assert_eq!(
        automation_rule_versions::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        2
    );
    // The audit log has the creation and both changes.
    let (audit, _) = shared::audit::service::list(
        &c.t.db,
        &admin,
        &shared::audit::AuditFilter::default(),
        100,
        |day| day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
    )
    .await
    .unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.target.as_deref() == Some(&format!("automation_rule:{}", saved.id.0)))
            .count(),
        3
    );
    assert_eq!(
        automation_runs::Entity::find()
            .count(&c.t.db)
            .await
            .unwrap(),
        0
    );
}

clock!(visit_clock, VISIT);

/// The seed scenario of the demo, built from rules alone.
#[tokio::test]
async fn a_visit_report_makes_a_deal_per_service_line_with_a_main_manager_and_a_task() {
    use rand::rngs::OsRng;
    use shared::custom_field::CustomInput;
    use shared::deal::NewDeal;
    let t = crate::harness::TestDb::new().await;
    server::demo::seed_demo(&t.db, &mut OsRng, t0())
        .await
        .unwrap();
    let system = Actor::system();
    let pipelines = shared::pipeline::service::list_pipelines(&t.db)
        .await
        .unwrap();
    let find = |name: &str| pipelines.iter().find(|(_, n)| n == name).unwrap().0;
    let (visits, conveyor) = (find("Field visits"), find("Loan conveyor"));
    let visits = shared::pipeline::service::load_pipeline(&t.db, visits)
        .await
        .unwrap();
    let services = shared::custom_field::service::fields_for(
        &t.db,
        shared::custom_field::RecordKind::Deal,
        Some(visits.id),
    )
    .await
    .unwrap()
    .into_iter()
    .find(|f| f.label == "Service lines")
    .unwrap();
    let workers = crate::tasks::workers(t.db.clone(), visit_clock);
    let cursor = outbox::last_id(&t.db).await.unwrap();
    let visit = shared::deal::service::create_deal(
        &t.db,
        &(),
        &system,
        NewDeal {
            pipeline_id: visits.id,
            title: "Visit to Vostok LLC".into(),
            client_name: Some("Vostok LLC".into()),
            client_phone: Some("+7 901 000-00-01".into()),
            client_email: None,
            amount: None,
            responsible: None,
            client: None,
            custom: vec![CustomInput {
                field: services.id,
                values: vec!["Loans".into(), "Leasing".into()],
            }],
        },
        t0(),
    )
    .await
    .unwrap();
    shared::comment::service::add_comment(
        &t.db,
        &(),
        &system,
        shared::comment::NewComment {
            subject: Subject::Deal(visit.id),
            text: "Needs a fleet of 12 trucks by spring".into(),
        },
        t0(),
    )
    .await
    .unwrap();
    let written = visits
        .stages
        .iter()
        .find(|s| s.name == "Report written")
        .unwrap()
        .id;
    move_deal(&t.db, &(), &system, mv(&visit, written, ""), t0())
        .await
        .unwrap();
    pump(&t.db, &workers, cursor).await;

    let admin = system.clone();
    let run = &list_runs(&t.db, &admin, &RunFilter::default())
        .await
        .unwrap()[0];
    assert_eq!(run.state, RunState::Done, "{:?}", run.log);
    let made: Vec<DealView> = {
        use sea_orm::{ColumnTrait, QueryFilter};
        let rows = shared::deal::entity::deals::Entity::find()
            .filter(shared::deal::entity::deals::Column::PipelineId.eq(conveyor.0))
            .filter(shared::deal::entity::deals::Column::Title.eq("Vostok LLC: after the visit"))
            .all(&t.db)
            .await
            .unwrap();
        let mut views = Vec::new();
        for row in rows {
            views.push(deal_now_in(&t.db, DealId(row.id)).await);
        }
        views
    };
    assert_eq!(made.len(), 2, "one deal per ticked line");
    let departments = shared::department::service::list_departments(&t.db)
        .await
        .unwrap();
    let members = |name: &str| {
        let id = departments.iter().find(|d| d.name == name).unwrap().id;
        let db = t.db.clone();
        async move {
            shared::user::service::list_users(&db, &Actor::system())
                .await
                .unwrap()
                .into_iter()
                .filter(|u| u.department_ids.contains(&id))
                .map(|u| u.id)
                .collect::<Vec<_>>()
        }
    };
    let loans = members("Client managers").await;
    let leasing = members("Risk").await;
    let owners: Vec<_> = made.iter().map(|d| d.responsible.unwrap()).collect();
    assert!(owners.iter().any(|o| loans.contains(o)), "{owners:?}");
    assert!(owners.iter().any(|o| leasing.contains(o)), "{owners:?}");
    for deal in &made {
        assert_eq!(
            deal.client.as_ref().unwrap().id,
            visit.client.as_ref().unwrap().id
        );
        let (notes, _) = shared::comment::service::list_comments_after(
            &t.db,
            &admin,
            Subject::Deal(deal.id),
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0]
                .text
                .contains("Needs a fleet of 12 trucks by spring")
        );
        assert!(notes[0].text.contains("Main manager: "));
        assert!(notes[0].text.contains("(Loans)") && notes[0].text.contains("(Leasing)"));
    }
    // The main manager is one of the two, with the task on their new deal.
    let mut tasks = Vec::new();
    for deal in &made {
        for task in shared::task::service::tasks_of(&t.db, Subject::Deal(deal.id))
            .await
            .unwrap()
        {
            assert_eq!(Some(task.assignee), deal.responsible);
            tasks.push(task);
        }
    }
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0].title,
        "Close or control the deals after the visit to Vostok LLC"
    );
}

async fn deal_now_in(db: &shared::db::Db, id: DealId) -> DealView {
    get_deal(db, &Actor::system(), id).await.unwrap()
}

clock!(due_clock, DUE);

#[tokio::test]
async fn a_task_coming_due_on_a_deal_starts_a_rule() {
    let c = Conveyor::new().await;
    save(
        &c,
        rule(
            &c,
            "Overdue call",
            Trigger::TaskDue,
            vec![Action::Comment {
                text: "A task on {deal} is due".into(),
            }],
        ),
    )
    .await;
    let workers = crate::tasks::workers(c.t.db.clone(), due_clock);
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await;
    let cursor = outbox::last_id(&c.t.db).await.unwrap();
    shared::task::service::create_task(
        &c.t.db,
        &admin,
        shared::task::NewTask {
            title: "Call back".into(),
            due_at: t0() + Duration::minutes(10),
            assignee: None,
            subject: Some(Subject::Deal(deal.id)),
        },
        t0(),
    )
    .await
    .unwrap();
    let cursor = pump(&c.t.db, &workers, cursor).await;
    assert!(runs(&c).await.is_empty(), "not due yet");
    DUE.store(11 * 60, Ordering::SeqCst);
    // The reminder job sends the task.due event; the rule runs on it.
    while workers.run_one("test").await.unwrap() {}
    pump(&c.t.db, &workers, cursor).await;
    let log = runs(&c).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].state, RunState::Done);
    assert_eq!(log[0].trigger, "task.due");
    let (notes, _) = shared::comment::service::list_comments_after(
        &c.t.db,
        &admin,
        Subject::Deal(deal.id),
        0,
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        notes[0].text,
        format!("A task on #{} Mortgage, 2-room flat is due", deal.id.0)
    );
}
