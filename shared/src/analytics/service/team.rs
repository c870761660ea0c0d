//! The people and departments dashboard.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::durations::{Grouping, durations};
use super::moves::{load_now, move_groups};
use super::returns::returns_by_person;
use super::rollup::{Copies, Rollup, open_dashboard};
use super::scope::{Resolved, count, department_key, department_names, people_names, resolve};
use crate::access::Actor;
use crate::analytics::rules::DurationSummary;
use crate::analytics::{AnalyticsFilter, DepartmentWork, PersonWork, TeamView};
use crate::error::AppError;
use crate::pipeline::StageKind;
use crate::user::UserId;

/// People and departments: load now, throughput, processing time, returns and SLA
/// breaches in the period.
pub async fn load_team(
    db: &impl super::FactsSource,
    actor: &Actor,
    filter: &AnalyticsFilter,
    now: DateTime<Utc>,
) -> Result<TeamView, AppError> {
    let Resolved {
        pipeline,
        filter,
        today,
        zone,
    } = resolve(db, actor, filter, now).await?;
    let (txn, scope) = open_dashboard(
        db,
        actor,
        &pipeline,
        &filter,
        zone,
        now,
        Copies {
            rollups: &[Rollup::TransitionDays, Rollup::VisitBins],
            visits_by_day: false,
        },
    )
    .await?;
    let db = &txn;
    let department_names = department_names(db).await?;
    let people = people_names(db).await?;
    let moves = move_groups(db, &scope).await?;
    let load = load_now(db, &scope).await?;
    let by_actor = durations(db, &scope, Grouping::Actor).await?;
    let by_department = durations(db, &scope, Grouping::Department).await?;
    let came_back: HashMap<UserId, u64> = returns_by_person(db, &scope, &people)
        .await?
        .into_iter()
        .map(|p| (p.user, p.came_back))
        .collect();
    let in_department = |department: Option<i64>| {
        filter
            .department
            .is_none_or(|d| department == Some(i64::from(d.0)))
    };
    let outgoing = || {
        moves
            .iter()
            .filter(|m| m.from_stage.is_some() && in_department(m.from_department))
    };

    let mut users: std::collections::BTreeSet<UserId> = outgoing()
        .filter_map(|m| m.actor)
        .chain(load.iter().filter_map(|l| l.responsible))
        .filter_map(|id| i32::try_from(id).ok().map(UserId))
        .collect();
    users.extend(came_back.iter().filter(|(_, n)| **n > 0).map(|(u, _)| *u));
    let mut team: Vec<PersonWork> = users
        .into_iter()
        .map(|user| {
            let me = Some(i64::from(user.0));
            let mine = || outgoing().filter(|m| m.actor == me);
            PersonWork {
                user,
                name: people.get(&user).cloned().unwrap_or_default(),
                open_now: load
                    .iter()
                    .filter(|l| l.responsible == me)
                    .map(|l| count(l.n))
                    .sum(),
                passed_on: mine().map(|m| count(m.n - m.returns)).sum(),
                returned: mine().map(|m| count(m.returns)).sum(),
                came_back: came_back.get(&user).copied().unwrap_or_default(),
                sla_breaches: mine().map(|m| count(m.breaches)).sum(),
                processing: by_actor
                    .get(&me)
                    .map(DurationSummary::stats)
                    .unwrap_or_default(),
            }
        })
        .collect();
    team.sort_by(|a, b| {
        b.passed_on
            .cmp(&a.passed_on)
            .then_with(|| a.name.cmp(&b.name))
    });

    // Departments: those of the pipeline's stages now and those the ledger names.
    let current_department = |stage: i64| {
        pipeline
            .stages
            .iter()
            .find(|s| i64::from(s.id.0) == stage)
            .and_then(|s| s.department_id)
            .map(|d| i64::from(d.0))
    };
    let mut keys: std::collections::BTreeSet<Option<i64>> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| s.department_id.map(|d| i64::from(d.0)))
        .collect();
    keys.extend(outgoing().map(|m| m.from_department));
    let mut departments: Vec<DepartmentWork> = keys
        .into_iter()
        .filter(|key| in_department(*key))
        .map(|key| {
            let out = || outgoing().filter(|m| m.from_department == key);
            let here = || load.iter().filter(|l| current_department(l.stage) == key);
            let department = department_key(key);
            DepartmentWork {
                department,
                name: department
                    .and_then(|d| department_names.get(&d).cloned())
                    .unwrap_or_default(),
                open_now: here().map(|l| count(l.n)).sum(),
                in_breach_now: here().map(|l| count(l.breached)).sum(),
                passed_on: out().map(|m| count(m.n - m.returns)).sum(),
                returned: out().map(|m| count(m.returns)).sum(),
                came_back: moves
                    .iter()
                    .filter(|m| m.from_stage.is_some() && m.to_department == key)
                    .map(|m| count(m.returns))
                    .sum(),
                sla_breaches: out().map(|m| count(m.breaches)).sum(),
                processing: by_department
                    .get(&key)
                    .map(DurationSummary::stats)
                    .unwrap_or_default(),
            }
        })
        .collect();
    departments
        .sort_by(|a, b| (a.department.is_none(), &a.name).cmp(&(b.department.is_none(), &b.name)));
    let days = filter
        .to
        .zip(filter.from)
        .map(|(to, from)| (to - from).num_days() + 1)
        .and_then(|days| u32::try_from(days).ok())
        .unwrap_or(1);
    txn.rollback().await?;
    Ok(TeamView {
        pipeline,
        filter,
        today,
        days,
        people: team,
        departments,
    })
}
