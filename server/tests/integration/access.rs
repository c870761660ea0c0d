//! One access policy: for every role and record, every path that reads or references a deal
//! or a client agrees with the one rule (`Actor::can_see_deal`, `Actor::client_scope`).

use shared::AppError;
use shared::access::{Actor, ClientScope};
use shared::board::BoardFilter;
use shared::client::service::{create_client, get_client, list_clients};
use shared::client::{ClientDraft, ClientId, ClientKind, ClientListFilter, NewClient};
use shared::comment::service::add_comment;
use shared::deal::service::{create_deal, get_deal, list_transitions, move_deal};
use shared::deal::{DealView, NewDeal};
use shared::event::outbox::read_after;
use shared::task::NewTask;
use shared::task::service::create_task;
use shared::timeline::Subject;
use shared::user::{Role, UserView};

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;
use crate::timeline::comment;

struct World {
    c: Conveyor,
    people: Vec<(&'static str, UserView)>,
    deals: Vec<DealView>,
    clients: Vec<(ClientId, &'static str)>,
}

async fn world() -> World {
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let manager = c.t.user("maria@bank.ru", Role::Manager, vec![]).await;
    let scorer =
        c.t.user("sergey@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let risker = c.t.user("rita@bank.ru", Role::Employee, vec![c.risk]).await;
    let agent = c.t.user("agent@bank.ru", Role::Restricted, vec![]).await;
    let other_agent = c.t.user("other@bank.ru", Role::Restricted, vec![]).await;
    // The agent's deal waits at scoring; the admin's at the client managers; the other
    // agent's at risk.
    let agents = c.deal(&agent).await;
    let agents = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&agents, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let admins = c.deal(&c.admin).await;
    let others = c.deal(&other_agent).await;
    let others = move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&others, c.stage("Scoring"), ""),
        t0(),
    )
    .await
    .unwrap();
    let others = move_deal(&c.t.db, &(), &admin, mv(&others, c.stage("Risk"), ""), t0())
        .await
        .unwrap();
    let mut clients = Vec::new();
    for (name, phone, responsible) in [
        ("Agent's client", "+7 901 111-11-11", &agent),
        ("Bank's client", "+7 902 222-22-22", &c.admin),
    ] {
        let client = create_client(
            &c.t.db,
            &admin,
            NewClient {
                client: ClientDraft {
                    kind: ClientKind::Person,
                    name: name.into(),
                    phones: vec![phone.into()],
                    responsible: Some(responsible.id),
                    ..ClientDraft::default()
                },
                allow_duplicate: true,
                custom: Vec::new(),
            },
            t0(),
        )
        .await
        .unwrap();
        clients.push((client.id, phone_static(phone)));
    }
    World {
        people: vec![
            ("admin", c.admin.clone()),
            ("manager", manager),
            ("scorer", scorer),
            ("risker", risker),
            ("agent", agent),
            ("other agent", other_agent),
        ],
        deals: vec![agents, admins, others],
        clients,
        c,
    }
}

fn phone_static(phone: &str) -> &'static str {
    match phone {
        "+7 901 111-11-11" => "+7 901 111-11-11",
        _ => "+7 902 222-22-22",
    }
}

/// The one rule, asked directly.
fn may_see_deal(w: &World, actor: &Actor, deal: &DealView) -> bool {
    let department =
        w.c.pipeline
            .stage(deal.stage_id)
            .and_then(|stage| stage.department_id);
    actor.can_see_deal(deal.responsible, department)
}

#[tokio::test]
async fn every_path_agrees_on_which_deals_each_role_sees() {
    let w = world().await;
    let db = &w.c.t.db;
    let log = read_after(db, 0, 1000).await.unwrap();
    for (who, person) in &w.people {
        let actor = w.c.t.actor(person).await;
        let board = shared::board::service::load_board(
            db,
            &actor,
            w.c.pipeline.id,
            &BoardFilter::default(),
            t0(),
        )
        .await
        .unwrap();
        let on_board: Vec<_> = board
            .columns
            .iter()
            .flat_map(|column| column.deals.iter().map(|d| d.id))
            .collect();
        let counted: u64 = board.columns.iter().map(|column| column.count).sum();
        let mut visible = 0;
        for deal in &w.deals {
            let expected = may_see_deal(&w, &actor, deal);
            visible += u64::from(expected);
            let case = format!("{who} and deal {}", deal.id.0);
            assert_eq!(
                get_deal(db, &actor, deal.id).await.is_ok(),
                expected,
                "page: {case}"
            );
            assert_eq!(on_board.contains(&deal.id), expected, "board: {case}");
            assert_eq!(
                list_transitions(db, &actor, deal.id).await.is_ok(),
                expected,
                "history: {case}"
            );
            let update = shared::board::service::load_board_update(
                db,
                &actor,
                w.c.pipeline.id,
                &BoardFilter::default(),
                deal.id,
                t0(),
            )
            .await
            .unwrap();
            assert_eq!(update.card.is_some(), expected, "live card: {case}");
            // The live stream: the event of the deal's last change.
            let last = log
                .iter()
                .rev()
                .find(|e| {
                    e.record
                        .data
                        .changed_deal()
                        .is_some_and(|d| d.id == deal.id)
                })
                .unwrap();
            if expected {
                assert!(last.audience.includes(&actor), "live event: {case}");
            }
            let commented = add_comment(
                db,
                &(),
                &actor,
                comment(Subject::Deal(deal.id), "Checked"),
                t0(),
            )
            .await;
            assert_eq!(commented.is_ok(), expected, "comment: {case}");
            if !expected {
                assert!(
                    matches!(commented, Err(AppError::NotFound { .. })),
                    "{case}"
                );
            }
            let task = create_task(
                db,
                &actor,
                NewTask {
                    title: "Call".into(),
                    due_at: t0(),
                    assignee: None,
                    subject: Some(Subject::Deal(deal.id)),
                },
                t0(),
            )
            .await;
            assert_eq!(task.is_ok(), expected, "task: {case}");
        }
        assert_eq!(counted, visible, "board counts: {who}");
    }
}

#[tokio::test]
async fn every_path_agrees_on_which_clients_each_role_sees() {
    let w = world().await;
    let db = &w.c.t.db;
    for (who, person) in &w.people {
        let actor = w.c.t.actor(person).await;
        let listed = list_clients(db, &actor, &ClientListFilter::default(), t0())
            .await
            .unwrap();
        for (client, phone) in &w.clients {
            let row = get_client(db, &actor, *client).await;
            let expected = match actor.client_scope() {
                ClientScope::All => true,
                // Only the agent looks after a client of these two.
                ClientScope::Own { .. } => *who == "agent" && *client == w.clients[0].0,
            };
            let case = format!("{who} and client {}", client.0);
            assert_eq!(row.is_ok(), expected, "page: {case}");
            assert_eq!(
                listed.rows.iter().any(|r| r.id == *client),
                expected,
                "list: {case}"
            );
            // The duplicate warning warns, but names only a client the person may see.
            let Err(AppError::PossibleDuplicate { matches }) = create_client(
                db,
                &actor,
                NewClient {
                    client: ClientDraft {
                        kind: ClientKind::Person,
                        name: "Probe".into(),
                        phones: vec![(*phone).into()],
                        ..ClientDraft::default()
                    },
                    allow_duplicate: false,
                    custom: Vec::new(),
                },
                t0(),
            )
            .await
            else {
                panic!("a duplicate phone must warn: {case}");
            };
            let named = matches.iter().any(|m| m.id == Some(*client));
            assert_eq!(named, expected, "duplicate warning: {case}");
            if !expected {
                assert!(matches.iter().all(|m| m.name.is_none()), "{case}");
            }
            // A deal form cannot reference a client the person may not see.
            let deal = create_deal(
                db,
                &(),
                &actor,
                NewDeal {
                    pipeline_id: w.c.pipeline.id,
                    title: "Probe".into(),
                    client_name: None,
                    client_phone: None,
                    client_email: None,
                    amount: None,
                    responsible: None,
                    client: Some(*client),
                    custom: Vec::new(),
                },
                t0(),
            )
            .await;
            if !expected {
                assert!(
                    matches!(deal, Err(AppError::NotFound { .. })),
                    "reference: {case}: {deal:?}"
                );
            }
        }
    }
}
