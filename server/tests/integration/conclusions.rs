//! Departmental conclusions: members of a department add them on deals they can see; a
//! correction is a new conclusion naming the one it replaces; the card shows the latest
//! per department; nothing can rewrite them.

use chrono::Duration;
use sea_orm::ConnectionTrait;
use shared::AppError;
use shared::conclusion::service::{add_conclusion, conclusions_of};
use shared::conclusion::{NewConclusion, Verdict, latest_per_department};
use shared::error::{Field, Rule};
use shared::page::load_deal_card;
use shared::user::Role;

use crate::conveyor::Conveyor;
use crate::harness::t0;

#[tokio::test]
async fn members_add_conclusions_and_corrections_supersede_them() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let analyst = c.t.user("risk@bank.ru", Role::Manager, vec![c.risk]).await;
    let deal = c.deal(&scorer).await;
    let (as_scorer, as_analyst) = (c.t.actor(&scorer).await, c.t.actor(&analyst).await);
    let new = |department, verdict, text: &str| NewConclusion {
        deal: deal.id,
        department,
        verdict,
        text: text.to_owned(),
        supersedes: None,
    };

    let first = add_conclusion(
        &c.t.db,
        &as_scorer,
        new(c.scoring, Verdict::NeedsRework, "  Income not confirmed  "),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(first.text, "Income not confirmed");
    assert_eq!(first.author_name.as_deref(), Some(scorer.name.as_str()));
    add_conclusion(
        &c.t.db,
        &as_analyst,
        new(c.risk, Verdict::Approve, "Collateral is fine"),
        t0() + Duration::hours(1),
    )
    .await
    .unwrap();
    let correction = add_conclusion(
        &c.t.db,
        &as_scorer,
        NewConclusion {
            supersedes: Some(first.id),
            ..new(c.scoring, Verdict::Approve, "Statement received, approve")
        },
        t0() + Duration::hours(2),
    )
    .await
    .unwrap();

    let all = conclusions_of(&c.t.db, deal.id).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, correction.id);
    let latest = latest_per_department(&all);
    assert_eq!(latest.len(), 2);
    assert_eq!(
        (latest[0].verdict, latest[0].supersedes),
        (Verdict::Approve, Some(first.id))
    );
    assert_eq!(latest[1].department, c.risk);
    // The card carries them, and the departments the viewer may write for.
    let card = load_deal_card(&c.t.db, &as_scorer, deal.id, t0() + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(card.conclusions, all);
    assert_eq!(
        card.conclusion_departments
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>(),
        vec![c.scoring]
    );
}

#[tokio::test]
async fn bad_conclusions_are_refused_and_nothing_is_written() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let outsider = c.t.user("out@bank.ru", Role::Restricted, vec![]).await;
    let deal = c.deal(&scorer).await;
    let other = c.deal(&scorer).await;
    let as_scorer = c.t.actor(&scorer).await;
    let new = |text: &str| NewConclusion {
        deal: deal.id,
        department: c.scoring,
        verdict: Verdict::Reject,
        text: text.to_owned(),
        supersedes: None,
    };
    let on_other = add_conclusion(
        &c.t.db,
        &as_scorer,
        NewConclusion {
            deal: other.id,
            ..new("x")
        },
        t0(),
    )
    .await
    .unwrap();
    let refusals = [
        // Blank text.
        (
            add_conclusion(&c.t.db, &as_scorer, new("   "), t0()).await,
            AppError::validation(Field::Conclusion, Rule::Required),
        ),
        // Too long.
        (
            add_conclusion(&c.t.db, &as_scorer, new(&"x".repeat(10_001)), t0()).await,
            AppError::validation(Field::Conclusion, Rule::TooLong { max: 10_000 }),
        ),
        // Not a member of the department it speaks for.
        (
            add_conclusion(
                &c.t.db,
                &as_scorer,
                NewConclusion {
                    department: c.risk,
                    ..new("Risk says yes")
                },
                t0(),
            )
            .await,
            AppError::Forbidden,
        ),
        // A correction of another deal's conclusion.
        (
            add_conclusion(
                &c.t.db,
                &as_scorer,
                NewConclusion {
                    supersedes: Some(on_other.id),
                    ..new("Correction")
                },
                t0(),
            )
            .await,
            AppError::validation(Field::Conclusion, Rule::UnknownValue),
        ),
        // A deal the caller cannot see looks like no deal at all.
        (
            add_conclusion(&c.t.db, &c.t.actor(&outsider).await, new("Hello"), t0()).await,
            AppError::NotFound {
                entity: shared::error::Entity::Deal,
            },
        ),
    ];
    for (result, expected) in refusals {
        assert_eq!(result.unwrap_err(), expected);
    }
    assert!(conclusions_of(&c.t.db, deal.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_conclusions() {
    let c = Conveyor::new().await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let deal = c.deal(&scorer).await;
    add_conclusion(
        &c.t.db,
        &c.t.actor(&scorer).await,
        NewConclusion {
            deal: deal.id,
            department: c.scoring,
            verdict: Verdict::Approve,
            text: "Fine".to_owned(),
            supersedes: None,
        },
        t0(),
    )
    .await
    .unwrap();
    for sql in [
        "UPDATE conclusions SET text = 'forged'",
        "DELETE FROM conclusions",
    ] {
        assert!(
            c.t.db.execute_unprepared(sql).await.is_err(),
            "{sql} must fail"
        );
    }
    let all = conclusions_of(&c.t.db, deal.id).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].text, "Fine");
}
