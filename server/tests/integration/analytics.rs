//! The analytics figures on a small ledger whose answers are worked out by hand below:
//! the funnel, time in stage per stage and department (closed and open visits,
//! re-visits), returns per stage, route, person and reason; filters and visibility. A
//! second ledger over a week checks people, departments, SLA breaches and trends.

use chrono::{Duration, NaiveDate};
use shared::AppError;
use shared::access::Actor;
use shared::analytics::service::{load_analytics, load_sla, load_team, load_trends};
use shared::analytics::{AnalyticsFilter, AnalyticsView, DurationStats, Granularity, TrendPoint};
use shared::deal::DealView;
use shared::deal::service::move_deal;
use shared::error::{Field, Rule};
use shared::pipeline::StageId;
use shared::user::{Role, UserView};

use crate::conveyor::{Conveyor, mv};
use crate::harness::t0;

const HOUR: i64 = 3600;

/// Two deals, both created at t0 in "Client manager" (CM), both the manager's:
/// - A: CM -> Scoring at +2h (manager); Scoring -> CM at +5h, a return (scorer, "No income
///   statement"); CM -> Scoring at +6h (manager); Scoring -> Risk at +10h (scorer).
/// - B: CM -> Scoring at +4h (manager); Scoring -> CM at +8h, a return (scorer,
///   "  no INCOME statement ").
///
/// Closed visits: CM 2h, 1h (A), 4h (B); Scoring 3h, 4h (A), 4h (B).
/// Open at +12h: A in Risk for 2h, B in CM for 4h.
struct Ledger {
    c: Conveyor,
    manager: UserView,
    scorer: UserView,
}

async fn ledger() -> Ledger {
    let c = Conveyor::new().await;
    let manager = c.t.user("manager@bank.ru", Role::Employee, vec![]).await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let as_manager = c.t.actor(&manager).await;
    let as_scorer = c.t.actor(&scorer).await;
    let mut deals = [c.deal(&manager).await, c.deal(&manager).await];
    let (cm, scoring, risk) = (
        c.stage("Client manager"),
        c.stage("Scoring"),
        c.stage("Risk"),
    );
    let (a, b) = (0, 1);
    play(
        &c,
        &mut deals,
        [
            (a, &as_manager, scoring, "", 2),
            (b, &as_manager, scoring, "", 4),
            (a, &as_scorer, cm, "No income statement", 5),
            (a, &as_manager, scoring, "", 6),
            (b, &as_scorer, cm, "  no INCOME statement ", 8),
            (a, &as_scorer, risk, "", 10),
        ],
    )
    .await;
    Ledger { c, manager, scorer }
}

/// Moves the deals in order: (which deal, who, to which stage, comment, hours after t0).
async fn play<const N: usize>(
    c: &Conveyor,
    deals: &mut [DealView],
    moves: [(usize, &Actor, StageId, &str, i64); N],
) {
    for (deal, actor, to, comment, hours) in moves {
        deals[deal] = move_deal(
            &c.t.db,
            &(),
            actor,
            mv(&deals[deal], to, comment),
            t0() + Duration::hours(hours),
        )
        .await
        .unwrap();
    }
}

fn day() -> NaiveDate {
    t0().date_naive()
}

fn filter() -> AnalyticsFilter {
    AnalyticsFilter {
        from: Some(day()),
        to: Some(day()),
        ..Default::default()
    }
}

async fn view(l: &Ledger, actor: &Actor, filter: &AnalyticsFilter) -> AnalyticsView {
    load_analytics(&l.c.t.db, actor, filter, t0() + Duration::hours(12))
        .await
        .unwrap()
}

fn stats(view: &AnalyticsView, stage: &str) -> DurationStats {
    view.time_by_stage
        .iter()
        .find(|row| row.name == stage)
        .unwrap()
        .stats
}

fn funnel(view: &AnalyticsView, stage: &str) -> (u64, u64) {
    let row = view
        .funnel
        .stages
        .iter()
        .find(|row| row.name == stage)
        .unwrap();
    (row.entered, row.reached)
}

#[tokio::test]
async fn every_figure_matches_the_hand_computed_ledger() {
    let l = ledger().await;
    let admin = l.c.t.actor(&l.c.admin).await;
    let v = view(&l, &admin, &filter()).await;

    assert_eq!(v.funnel.created, 2);
    assert_eq!(funnel(&v, "Client manager"), (2, 2));
    assert_eq!(funnel(&v, "Scoring"), (2, 2));
    assert_eq!(funnel(&v, "Risk"), (1, 1));
    assert_eq!(funnel(&v, "Credit committee"), (0, 0));

    // CM: [1h, 2h, 4h]: median 2h; p90 at position 1.8 = 2h + 0.8 * 2h; mean 7h / 3.
    assert_eq!(
        stats(&v, "Client manager"),
        DurationStats {
            visits: 3,
            mean: 7 * HOUR / 3,
            median: 2 * HOUR,
            p90: 2 * HOUR + 8 * 2 * HOUR / 10,
        }
    );
    // Scoring: [3h, 4h, 4h].
    assert_eq!(
        stats(&v, "Scoring"),
        DurationStats {
            visits: 3,
            mean: 11 * HOUR / 3,
            median: 4 * HOUR,
            p90: 4 * HOUR,
        }
    );
    assert_eq!(stats(&v, "Risk"), DurationStats::default());
    let departments: Vec<(String, u64)> = v
        .time_by_department
        .iter()
        .map(|row| (row.name.clone(), row.stats.visits))
        .collect();
    assert_eq!(
        departments,
        vec![("Client managers".to_owned(), 3), ("Scoring".to_owned(), 3)]
    );

    let scoring = v
        .returns_by_stage
        .iter()
        .find(|row| row.name == "Scoring")
        .unwrap();
    assert_eq!((scoring.exits, scoring.returns), (3, 2));
    let cm = &v.returns_by_stage[0];
    assert_eq!((cm.exits, cm.returns), (3, 0));
    assert_eq!(v.return_routes.len(), 1);
    assert_eq!(
        (
            v.return_routes[0].from_name.as_str(),
            v.return_routes[0].to_name.as_str(),
            v.return_routes[0].count
        ),
        ("Scoring", "Client manager", 2)
    );
    let people: Vec<(String, u64, u64)> = v
        .returns_by_person
        .iter()
        .map(|p| (p.name.clone(), p.returned, p.came_back))
        .collect();
    assert_eq!(
        people,
        vec![("manager".to_owned(), 0, 2), ("scorer".to_owned(), 2, 0)],
        "the scorer sent two back; both times the manager's work came back"
    );
    // A person who has left keeps their name in the figures of their past work.
    shared::user::service::update_user(
        &l.c.t.db,
        &admin,
        l.scorer.id,
        shared::user::UserPatch {
            name: None,
            email: None,
            role: None,
            department_ids: None,
            active: Some(false),
        },
        t0(),
    )
    .await
    .unwrap();
    let after = view(&l, &admin, &filter()).await;
    assert!(
        after
            .returns_by_person
            .iter()
            .any(|p| p.name == "scorer" && p.returned == 2)
    );
    assert_eq!(v.return_reasons.len(), 1);
    assert_eq!(
        (
            v.return_reasons[0].reason.as_str(),
            v.return_reasons[0].count
        ),
        ("no income statement", 2)
    );
}

#[tokio::test]
async fn open_visits_count_up_to_now_when_asked() {
    let l = ledger().await;
    let admin = l.c.t.actor(&l.c.admin).await;
    let v = view(
        &l,
        &admin,
        &AnalyticsFilter {
            include_open: true,
            ..filter()
        },
    )
    .await;
    // CM gains B's open 4h: [1h, 2h, 4h, 4h]; median at 1.5 = 3h, p90 at 2.7 = 4h.
    assert_eq!(
        stats(&v, "Client manager"),
        DurationStats {
            visits: 4,
            mean: 11 * HOUR / 4,
            median: 3 * HOUR,
            p90: 4 * HOUR,
        }
    );
    // Risk: A's open visit of 2h.
    assert_eq!(
        stats(&v, "Risk"),
        DurationStats {
            visits: 1,
            mean: 2 * HOUR,
            median: 2 * HOUR,
            p90: 2 * HOUR,
        }
    );
    let risk_department = v
        .time_by_department
        .iter()
        .find(|row| row.name == "Risk")
        .unwrap();
    assert_eq!(risk_department.stats.visits, 1);
}

#[tokio::test]
async fn filters_and_visibility_narrow_every_figure() {
    let l = ledger().await;
    let admin = l.c.t.actor(&l.c.admin).await;

    // Department: only the Scoring stage's visits and entries.
    let v = view(
        &l,
        &admin,
        &AnalyticsFilter {
            department: Some(l.c.scoring),
            ..filter()
        },
    )
    .await;
    assert_eq!(funnel(&v, "Client manager").0, 0);
    assert_eq!(funnel(&v, "Scoring").0, 2);
    assert_eq!(stats(&v, "Client manager").visits, 0);
    assert_eq!(stats(&v, "Scoring").visits, 3);

    // Another day: nothing happened.
    let next = day().succ_opt().unwrap();
    let v = view(
        &l,
        &admin,
        &AnalyticsFilter {
            from: Some(next),
            to: Some(next),
            ..filter()
        },
    )
    .await;
    assert_eq!(v.funnel.created, 0);
    assert!(v.time_by_stage.iter().all(|row| row.stats.visits == 0));

    // An employee filter for someone responsible for nothing.
    let v = view(
        &l,
        &admin,
        &AnalyticsFilter {
            employee: Some(l.scorer.id),
            ..filter()
        },
    )
    .await;
    assert_eq!(v.funnel.created, 0);
    assert!(v.returns_by_person.is_empty());

    // The scorer may see neither deal now (A is in Risk, B back in CM): nothing counts.
    let v = view(&l, &l.c.t.actor(&l.scorer).await, &filter()).await;
    assert_eq!(v.funnel.created, 0);
    assert!(v.return_routes.is_empty());
    // The manager is responsible for both and sees everything the admin sees.
    let v = view(&l, &l.c.t.actor(&l.manager).await, &filter()).await;
    assert_eq!(v.funnel.created, 2);
    assert_eq!(stats(&v, "Scoring").visits, 3);

    // No period: the last 30 days, today included, as the view reports.
    let v = view(&l, &admin, &AnalyticsFilter::default()).await;
    assert_eq!(v.funnel.created, 2);
    assert_eq!(
        (v.filter.from, v.filter.to, v.today),
        (
            day().checked_sub_days(chrono::Days::new(29)),
            Some(day()),
            day()
        )
    );
    assert_eq!(v.filter.pipeline, Some(l.c.pipeline.id));

    // A period that ends before it starts is refused.
    let reversed = AnalyticsFilter {
        from: Some(next),
        ..filter()
    };
    assert_eq!(
        load_analytics(&l.c.t.db, &admin, &reversed, t0()).await,
        Err(AppError::validation(Field::Period, Rule::PeriodReversed))
    );
}

/// A week of work with SLA breaches (SLAs: Client manager 24h, Scoring 8h, Risk 48h),
/// t0 = Monday 2026-11-23 09:00; three deals, all the manager's:
/// - A: CM -> Scoring +2h (manager); Scoring -> Risk +12h (scorer, 10h: breach);
///   Risk -> Issued +84h, Thu 26th (risk analyst, 72h: breach).
/// - B: CM -> Scoring +30h, Tue 24th (manager, 30h: breach); Scoring -> CM +33h, a return
///   (scorer, 3h). Still in CM: in breach now.
/// - C: CM -> Rejected +1h (manager).
///
/// "Now" is Tue 2026-12-01 09:00: B has been in CM for 159h, 135h past its SLA.
pub(crate) struct Week {
    pub c: Conveyor,
    pub manager: UserView,
    pub scorer: UserView,
    /// A (issued), B (back at the client manager), D (rejected): the manager's.
    pub deals: [DealView; 3],
}

pub(crate) async fn week() -> Week {
    let c = Conveyor::new().await;
    let manager = c.t.user("manager@bank.ru", Role::Employee, vec![]).await;
    let scorer =
        c.t.user("scorer@bank.ru", Role::Employee, vec![c.scoring])
            .await;
    let analyst = c.t.user("risk@bank.ru", Role::Employee, vec![c.risk]).await;
    let (as_manager, as_scorer, as_analyst) = (
        c.t.actor(&manager).await,
        c.t.actor(&scorer).await,
        c.t.actor(&analyst).await,
    );
    let mut deals = [
        c.deal(&manager).await,
        c.deal(&manager).await,
        c.deal(&manager).await,
    ];
    let (cm, scoring, risk, issued, rejected) = (
        c.stage("Client manager"),
        c.stage("Scoring"),
        c.stage("Risk"),
        c.stage("Issued"),
        c.stage("Rejected"),
    );
    let (a, b, d) = (0, 1, 2);
    play(
        &c,
        &mut deals,
        [
            (d, &as_manager, rejected, "", 1),
            (a, &as_manager, scoring, "", 2),
            (a, &as_scorer, risk, "", 12),
            (b, &as_manager, scoring, "", 30),
            (b, &as_scorer, cm, "No documents", 33),
            (a, &as_analyst, issued, "", 84),
        ],
    )
    .await;
    Week {
        c,
        manager,
        scorer,
        deals,
    }
}

fn week_now() -> chrono::DateTime<chrono::Utc> {
    t0() + Duration::days(8)
}

fn week_filter(granularity: Granularity) -> AnalyticsFilter {
    AnalyticsFilter {
        from: Some(date("2026-11-23")),
        to: Some(date("2026-11-30")),
        granularity,
        ..Default::default()
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn hours(stats: DurationStats) -> (u64, f64, f64, f64) {
    let h = |s: i64| s as f64 / HOUR as f64;
    (stats.visits, h(stats.median), h(stats.p90), h(stats.mean))
}

#[tokio::test]
async fn people_and_departments_add_up_to_the_ledger() {
    let w = week().await;
    let admin = w.c.t.actor(&w.c.admin).await;
    let v = load_team(
        &w.c.t.db,
        &admin,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(v.days, 8);
    let people: Vec<(&str, u64, u64, u64, u64, u64)> = v
        .people
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.open_now,
                p.passed_on,
                p.returned,
                p.came_back,
                p.sla_breaches,
            )
        })
        .collect();
    assert_eq!(
        people,
        vec![
            ("manager", 1, 3, 0, 1, 1),
            ("risk", 0, 1, 0, 0, 1),
            ("scorer", 0, 1, 1, 0, 1),
        ]
    );
    // The manager held deals 1h, 2h and 30h before passing them on.
    assert_eq!(hours(v.people[0].processing), (3, 2.0, 24.4, 11.0));
    // The scorer: 10h, then 3h before sending B back.
    assert_eq!(hours(v.people[2].processing), (2, 6.5, 9.3, 6.5));

    // Name: open now, in breach now, passed on, sent back, came back, breaches, visits.
    let departments: Vec<(&str, [u64; 7])> = v
        .departments
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                [
                    d.open_now,
                    d.in_breach_now,
                    d.passed_on,
                    d.returned,
                    d.came_back,
                    d.sla_breaches,
                    d.processing.visits,
                ],
            )
        })
        .collect();
    assert_eq!(
        departments,
        vec![
            ("Client managers", [1, 1, 3, 0, 1, 1, 3]),
            ("Credit committee", [0; 7]),
            ("Risk", [0, 0, 1, 0, 0, 1, 1]),
            ("Scoring", [0, 0, 1, 1, 0, 1, 2]),
            ("Servicing", [0; 7]),
        ]
    );

    // Scoring only: the scorer's work out of Scoring; the department list is Scoring.
    let v = load_team(
        &w.c.t.db,
        &admin,
        &AnalyticsFilter {
            department: Some(w.c.scoring),
            ..week_filter(Granularity::Day)
        },
        week_now(),
    )
    .await
    .unwrap();
    let scorer = v.people.iter().find(|p| p.user == w.scorer.id).unwrap();
    assert_eq!((scorer.passed_on, scorer.returned), (1, 1));
    assert!(
        v.people
            .iter()
            .all(|p| p.passed_on == 0 || p.user == w.scorer.id)
    );
    assert_eq!(v.departments.len(), 1);
    assert_eq!(v.departments[0].name, "Scoring");

    // The scorer may see none of the deals now: no figures.
    let v = load_team(
        &w.c.t.db,
        &w.c.t.actor(&w.scorer).await,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    assert!(v.people.is_empty());
    assert!(
        v.departments
            .iter()
            .all(|d| d.passed_on == 0 && d.open_now == 0)
    );
}

#[tokio::test]
async fn sla_breaches_per_stage_over_time_and_now() {
    let w = week().await;
    let admin = w.c.t.actor(&w.c.admin).await;
    let v = load_sla(
        &w.c.t.db,
        &admin,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    let stages: Vec<(&str, i64, u64, u64, u64)> = v
        .stages
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.sla_seconds / HOUR,
                s.closed_visits,
                s.breaches,
                s.in_breach_now,
            )
        })
        .collect();
    assert_eq!(
        stages,
        vec![
            ("Client manager", 24, 3, 1, 1),
            ("Scoring", 8, 2, 1, 0),
            ("Risk", 48, 1, 1, 0),
            ("Credit committee", 72, 0, 0, 0),
            ("Servicing", 48, 0, 0, 0),
        ]
    );
    let days: Vec<(NaiveDate, u64, u64)> = v
        .over_time
        .iter()
        .map(|p| (p.start, p.closed_visits, p.breaches))
        .collect();
    assert_eq!(days.len(), 8);
    assert_eq!(days[0], (date("2026-11-23"), 3, 1));
    assert_eq!(days[1], (date("2026-11-24"), 2, 1));
    assert_eq!(days[3], (date("2026-11-26"), 1, 1));
    assert_eq!(days.iter().map(|d| d.2).sum::<u64>(), 3);
    assert_eq!(v.in_breach_total, 1);
    assert_eq!(v.in_breach.len(), 1);
    let b = &v.in_breach[0];
    assert_eq!(
        (b.stage_name.as_str(), b.responsible.as_deref(), b.overdue),
        ("Client manager", Some("manager"), 135 * HOUR)
    );

    // By week: one week holds all three breaches, one per department.
    let v = load_sla(
        &w.c.t.db,
        &admin,
        &week_filter(Granularity::Week),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(v.over_time.len(), 2);
    assert_eq!(
        (
            v.over_time[0].start,
            v.over_time[0].closed_visits,
            v.over_time[0].breaches
        ),
        (date("2026-11-23"), 6, 3)
    );
    let scoring = v
        .departments
        .iter()
        .position(|(d, _)| *d == Some(w.c.scoring))
        .unwrap();
    assert_eq!(v.over_time[0].by_department[scoring].1, 1);
    assert_eq!(v.over_time[1].breaches, 0);

    // The manager is responsible for B and sees it in breach; a restricted user does not.
    let v = load_sla(
        &w.c.t.db,
        &w.c.t.actor(&w.manager).await,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(v.in_breach_total, 1);
    let outsider =
        w.c.t
            .user("outsider@bank.ru", Role::Restricted, vec![])
            .await;
    let v = load_sla(
        &w.c.t.db,
        &w.c.t.actor(&outsider).await,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!((v.in_breach_total, v.in_breach.len()), (0, 0));
    assert!(v.stages.iter().all(|s| s.closed_visits == 0));
}

#[tokio::test]
async fn trends_by_day_week_and_month() {
    let w = week().await;
    let admin = w.c.t.actor(&w.c.admin).await;
    let point = |p: &TrendPoint| {
        (
            p.start,
            p.created,
            p.passed_on,
            p.returns,
            p.won,
            p.lost,
            p.sla_breaches,
        )
    };
    let v = load_trends(
        &w.c.t.db,
        &admin,
        &week_filter(Granularity::Day),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(v.points.len(), 8);
    assert_eq!(point(&v.points[0]), (date("2026-11-23"), 3, 3, 0, 0, 1, 1));
    assert_eq!(point(&v.points[1]), (date("2026-11-24"), 0, 1, 1, 0, 0, 1));
    assert_eq!(point(&v.points[2]), (date("2026-11-25"), 0, 0, 0, 0, 0, 0));
    assert_eq!(point(&v.points[3]), (date("2026-11-26"), 0, 1, 0, 1, 0, 1));
    // Visits ending on the 23rd: 1h, 2h, 10h; on the 24th: 30h, 3h.
    assert_eq!(hours(v.points[0].time_in_stage).0, 3);
    assert_eq!(hours(v.points[0].time_in_stage).1, 2.0);
    assert_eq!(hours(v.points[1].time_in_stage).1, 16.5);

    let v = load_trends(
        &w.c.t.db,
        &admin,
        &week_filter(Granularity::Week),
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        v.points.iter().map(point).collect::<Vec<_>>(),
        vec![
            (date("2026-11-23"), 3, 5, 1, 1, 1, 3),
            (date("2026-11-30"), 0, 0, 0, 0, 0, 0),
        ]
    );
    // Six visits ended that week: 1, 2, 3, 10, 30, 72 hours.
    assert_eq!(hours(v.points[0].time_in_stage).1, 6.5);

    let v = load_trends(
        &w.c.t.db,
        &admin,
        &AnalyticsFilter {
            to: Some(date("2026-12-01")),
            ..week_filter(Granularity::Month)
        },
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        v.points
            .iter()
            .map(|p| (p.start, p.passed_on))
            .collect::<Vec<_>>(),
        vec![(date("2026-11-01"), 5), (date("2026-12-01"), 0)]
    );
    assert_eq!(v.points[0].time_in_stage.visits, 6);

    // The department filter: creations count where they land, the rest where they leave.
    let v = load_trends(
        &w.c.t.db,
        &admin,
        &AnalyticsFilter {
            department: Some(w.c.scoring),
            ..week_filter(Granularity::Week)
        },
        week_now(),
    )
    .await
    .unwrap();
    assert_eq!(point(&v.points[0]), (date("2026-11-23"), 0, 1, 1, 0, 0, 1));
}

/// The dashboards read the stored daily rollups when no condition is on the deal, and
/// copies summed for the deals a condition lets through otherwise (`amount_min: 0` lets
/// every deal through but needs a copy), either over those deals' facts or as the stored
/// rollup minus the deals left out; durations come from the duration bins above
/// `EXACT_VISITS_LIMIT`, else exactly from the ledger or the facts. On both ledgers every
/// way agrees on every figure (each duration here is alone in its bin, so even the
/// percentiles are the same).
#[tokio::test]
async fn rollups_copies_and_duration_bins_give_the_same_answers() {
    use shared::analytics::service::{EXACT_VISITS_LIMIT, SCOPED_BY, ScopedBy};
    let l = ledger().await;
    let w = week().await;
    for (db, admin, now, base) in [
        (
            &l.c.t.db,
            l.c.t.actor(&l.c.admin).await,
            t0() + Duration::hours(12),
            filter(),
        ),
        (
            &w.c.t.db,
            w.c.t.actor(&w.c.admin).await,
            week_now(),
            week_filter(Granularity::Week),
        ),
    ] {
        for include_open in [false, true] {
            let rolled = AnalyticsFilter {
                include_open,
                ..base.clone()
            };
            let every_deal = AnalyticsFilter {
                amount_min: Some(0.into()),
                ..rolled.clone()
            };
            let figures = |filter: AnalyticsFilter| {
                let admin = &admin;
                async move {
                    let mut flow = load_analytics(db, admin, &filter, now).await.unwrap();
                    let mut team = load_team(db, admin, &filter, now).await.unwrap();
                    let mut sla = load_sla(db, admin, &filter, now).await.unwrap();
                    let mut trends = load_trends(db, admin, &filter, now).await.unwrap();
                    // The filter echoes the request; everything else must match.
                    flow.filter = AnalyticsFilter::default();
                    team.filter = AnalyticsFilter::default();
                    sla.filter = AnalyticsFilter::default();
                    trends.filter = AnalyticsFilter::default();
                    (flow, team, sla, trends)
                }
            };
            let from_rollups = figures(rolled.clone()).await;
            let over_facts = SCOPED_BY
                .scope(ScopedBy::Passing, figures(every_deal.clone()))
                .await;
            let by_subtraction = SCOPED_BY
                .scope(ScopedBy::Subtracting, figures(every_deal.clone()))
                .await;
            let in_memory = SCOPED_BY
                .scope(ScopedBy::Memory, figures(every_deal.clone()))
                .await;
            let copy_in_bins = EXACT_VISITS_LIMIT
                .scope(0, SCOPED_BY.scope(ScopedBy::Passing, figures(every_deal)))
                .await;
            let from_bins = EXACT_VISITS_LIMIT.scope(0, figures(rolled)).await;
            assert_eq!(over_facts, from_rollups, "include_open: {include_open}");
            assert_eq!(by_subtraction, from_rollups, "include_open: {include_open}");
            assert_eq!(in_memory, from_rollups, "include_open: {include_open}");
            assert_eq!(copy_in_bins, from_rollups, "include_open: {include_open}");
            assert_eq!(from_bins, from_rollups, "include_open: {include_open}");
        }
        // The trigger bins each visit as `duration_bin` does.
        use sea_orm::{ConnectionTrait, Statement};
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT bin, seconds FROM visit_bins WHERE visits = 1",
            ))
            .await
            .unwrap();
        assert!(!rows.is_empty());
        for row in rows {
            let (bin, seconds): (i64, i64) = (
                row.try_get("", "bin").unwrap(),
                row.try_get("", "seconds").unwrap(),
            );
            assert_eq!(bin, shared::analytics::duration_bin(seconds));
        }
    }
}

/// The week's manager and scorer as employees and as restricted users, and each as the
/// administrator's responsible filter.
async fn people_cases(w: &Week, admin: &Actor) -> Vec<(Actor, AnalyticsFilter)> {
    let mut cases = Vec::new();
    for user in [&w.manager, &w.scorer] {
        for role in [Role::Employee, Role::Restricted] {
            let mut actor = w.c.t.actor(user).await;
            actor.role = role;
            cases.push((actor, week_filter(Granularity::Day)));
        }
        cases.push((
            admin.clone(),
            AnalyticsFilter {
                employee: Some(user.id),
                ..week_filter(Granularity::Week)
            },
        ));
    }
    cases
}

/// A condition that lets some deals through: the copy summed over their facts, the one
/// summed by subtracting the others from the stored rollup and the one summed in memory
/// agree on every figure, for an employee, a restricted user, a responsible and amount
/// filters, exact and binned.
#[tokio::test]
async fn both_ways_of_scoping_the_rollups_agree() {
    use shared::analytics::service::{EXACT_VISITS_LIMIT, SCOPED_BY, ScopedBy};
    let w = week().await;
    let db = &w.c.t.db;
    let admin = w.c.t.actor(&w.c.admin).await;
    let mut cases = people_cases(&w, &admin).await;
    cases.push((
        admin.clone(),
        AnalyticsFilter {
            amount_min: Some(1.into()),
            include_open: true,
            ..week_filter(Granularity::Month)
        },
    ));
    for (actor, filter) in &cases {
        let figures = |by: ScopedBy, exact: u64| {
            SCOPED_BY.scope(
                by,
                EXACT_VISITS_LIMIT.scope(exact, async move {
                    (
                        load_analytics(db, actor, filter, week_now()).await.unwrap(),
                        load_team(db, actor, filter, week_now()).await.unwrap(),
                        load_sla(db, actor, filter, week_now()).await.unwrap(),
                        load_trends(db, actor, filter, week_now()).await.unwrap(),
                    )
                }),
            )
        };
        for exact in [0, u64::MAX] {
            let passing = figures(ScopedBy::Passing, exact).await;
            let subtracting = figures(ScopedBy::Subtracting, exact).await;
            let in_memory = figures(ScopedBy::Memory, exact).await;
            assert_eq!(
                passing, subtracting,
                "{actor:?} {filter:?} exact up to {exact}"
            );
            assert_eq!(
                passing, in_memory,
                "{actor:?} {filter:?} exact up to {exact}"
            );
        }
    }
}

/// Every figure of a dashboard, with the scoped copies summed the way `by` says.
async fn scoped_figures(
    db: &shared::db::Db,
    actor: &Actor,
    filter: &AnalyticsFilter,
    by: shared::analytics::service::ScopedBy,
) -> (
    AnalyticsView,
    shared::analytics::TeamView,
    shared::analytics::SlaView,
    shared::analytics::TrendsView,
) {
    shared::analytics::service::SCOPED_BY
        .scope(by, async move {
            (
                load_analytics(db, actor, filter, week_now()).await.unwrap(),
                load_team(db, actor, filter, week_now()).await.unwrap(),
                load_sla(db, actor, filter, week_now()).await.unwrap(),
                load_trends(db, actor, filter, week_now()).await.unwrap(),
            )
        })
        .await
}

/// A restricted user's dashboards, an employee's and the filter on the responsible start
/// from the responsible's stored rows (`owner_*`), which follow a deal to its new
/// responsible: before and after each change they agree with the copies summed from the
/// facts, and the old responsible keeps nothing of the deal.
#[tokio::test]
async fn the_rollups_per_responsible_follow_a_change_of_responsible() {
    use sea_orm::{ConnectionTrait, Statement};
    use shared::analytics::service::ScopedBy;
    use shared::deal::UpdateDeal;
    use shared::deal::service::update_deal;
    let w = week().await;
    let db = &w.c.t.db;
    let admin = w.c.t.actor(&w.c.admin).await;
    let cases = people_cases(&w, &admin).await;
    let check = |when: &'static str| {
        let cases = &cases;
        async move {
            for (actor, filter) in cases {
                let passing = scoped_figures(db, actor, filter, ScopedBy::Passing).await;
                assert_eq!(
                    scoped_figures(db, actor, filter, ScopedBy::Smaller).await,
                    passing,
                    "{when}: {actor:?} {filter:?}"
                );
                assert_eq!(
                    scoped_figures(db, actor, filter, ScopedBy::Memory).await,
                    passing,
                    "{when}: {actor:?} {filter:?}"
                );
            }
        }
    };
    let moves_held_by = |user: Option<&UserView>| {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(moves), 0) AS BIGINT) AS n FROM owner_transition_days \
             WHERE responsible_user_id = {}",
            user.map_or(0, |u| u.id.0)
        );
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    let reassign = |deal: DealView, to: Option<&UserView>| {
        let (admin, to) = (&admin, to.map(|u| u.id));
        async move {
            update_deal(
                db,
                &(),
                admin,
                UpdateDeal {
                    deal_id: deal.id,
                    version: deal.version,
                    title: deal.title.clone(),
                    client_name: deal.client.as_ref().map(|c| c.name.clone()),
                    client_phone: deal.client.as_ref().and_then(|c| c.phone.clone()),
                    client_email: deal.client.as_ref().and_then(|c| c.email.clone()),
                    amount: deal.amount.clone(),
                    responsible: to,
                    custom: Vec::new(),
                },
                t0() + Duration::days(6),
            )
            .await
            .unwrap()
        }
    };
    let [_, b, d] = w.deals.clone();
    // The week's moves: two creations and four moves of A and B, D's creation and move.
    check("as played").await;
    assert_eq!(moves_held_by(Some(&w.manager)).await, 9);
    assert_eq!(moves_held_by(Some(&w.scorer)).await, 0);

    // B (created, two moves) goes to the scorer, D (created, one move) to nobody.
    let b = reassign(b, Some(&w.scorer)).await;
    reassign(d, None).await;
    check("B the scorer's, D nobody's").await;
    assert_eq!(moves_held_by(Some(&w.manager)).await, 4);
    assert_eq!(moves_held_by(Some(&w.scorer)).await, 3);
    assert_eq!(moves_held_by(None).await, 2);
    let mut scorer = w.c.t.actor(&w.scorer).await;
    scorer.role = Role::Restricted;
    let own = load_analytics(db, &scorer, &week_filter(Granularity::Day), week_now())
        .await
        .unwrap();
    let reasons: Vec<(&str, u64)> = own
        .return_reasons
        .iter()
        .map(|r| (r.reason.as_str(), r.count))
        .collect();
    assert_eq!(
        reasons,
        [("no documents", 1)],
        "B's return is the scorer's now"
    );

    // Back to the manager: the scorer keeps nothing of B.
    reassign(b, Some(&w.manager)).await;
    check("B the manager's again").await;
    assert_eq!(moves_held_by(Some(&w.scorer)).await, 0);
    assert_eq!(moves_held_by(Some(&w.manager)).await, 7);

    // A change of the organisation's zone sums them again from the facts, the same.
    use shared::analytics::service::set_organisation_zone;
    set_organisation_zone(db, &admin, "Europe/Moscow", t0())
        .await
        .unwrap();
    set_organisation_zone(db, &admin, "UTC", t0())
        .await
        .unwrap();
    check("summed again").await;
    assert_eq!(moves_held_by(Some(&w.manager)).await, 7);
    assert_eq!(moves_held_by(None).await, 2);
}

/// The digest counts the person's local day: in Moscow (UTC+3) a move at 22:30 UTC
/// belongs to the next day. The stored rollups, by UTC day, would give both the creation
/// and the move to both local days.
#[tokio::test]
async fn the_digest_counts_the_local_day_between_its_two_instants() {
    use chrono::TimeZone;
    use shared::analytics::service::day_summary;
    let c = Conveyor::new().await;
    let admin = c.t.actor(&c.admin).await;
    let deal = c.deal(&c.admin).await; // created at 09:00 UTC on the 23rd
    move_deal(
        &c.t.db,
        &(),
        &admin,
        mv(&deal, c.stage("Scoring"), ""),
        t0() + Duration::minutes(13 * 60 + 30),
    )
    .await
    .unwrap();
    let moscow = |day: u32, hour: u32| {
        chrono::FixedOffset::east_opt(3 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .unwrap()
            .to_utc()
    };
    let now = moscow(25, 12);
    let on_23rd = day_summary(&c.t.db, &admin, moscow(23, 0), moscow(24, 0), now, 5)
        .await
        .unwrap();
    let on_24th = day_summary(&c.t.db, &admin, moscow(24, 0), moscow(25, 0), now, 5)
        .await
        .unwrap();
    assert_eq!((on_23rd.created, on_23rd.passed_on), (1, 0));
    assert_eq!((on_24th.created, on_24th.passed_on), (0, 1));
}

/// Each person's dashboards count their own days. The stored rollups count the
/// organisation's days (UTC until an administrator picks a zone); a person whose clock
/// differs gets copies summed from the facts' instants. Picking the organisation's zone
/// rewrites the stored days, and the moves after it are counted in the new zone.
#[tokio::test]
async fn dashboards_count_each_persons_local_days() {
    use shared::analytics::service::{
        SCOPED_BY, ScopedBy, organisation_zone, set_organisation_zone,
    };
    use shared::user::service::set_time_zone;
    let c = Conveyor::new().await;
    let db = &c.t.db;
    let admin = c.t.actor(&c.admin).await;
    let mut deals = [c.deal(&c.admin).await]; // created at 09:00 UTC on the 23rd
    let (scoring, risk, cm) = (
        c.stage("Scoring"),
        c.stage("Risk"),
        c.stage("Client manager"),
    );
    // 22:30 UTC on the 23rd and 01:00 UTC on the 24th.
    play(
        &c,
        &mut deals,
        [(0, &admin, scoring, "", 13), (0, &admin, risk, "", 16)],
    )
    .await;
    let filter = AnalyticsFilter {
        from: Some(date("2026-11-22")),
        to: Some(date("2026-11-26")),
        granularity: Granularity::Day,
        ..Default::default()
    };
    let now = t0() + Duration::days(3);
    // (day, created, passed on, returns) of the days with any move.
    let days_in = |zone: &'static str| {
        let (filter, admin) = (filter.clone(), admin.clone());
        async move {
            set_time_zone(db, &admin, zone, now).await.unwrap();
            let trends = load_trends(db, &admin, &filter, now).await.unwrap();
            // Summed in memory (the default) and in SQL from the facts, the same.
            let in_sql = SCOPED_BY
                .scope(ScopedBy::Passing, load_trends(db, &admin, &filter, now))
                .await
                .unwrap();
            assert_eq!(trends, in_sql, "{zone}");
            // The other dashboards read the same days without an error.
            load_analytics(db, &admin, &filter, now).await.unwrap();
            load_team(db, &admin, &filter, now).await.unwrap();
            load_sla(db, &admin, &filter, now).await.unwrap();
            trends
                .points
                .iter()
                .filter(|p| p.created + p.passed_on + p.returns > 0)
                .map(|p| (p.start, p.created, p.passed_on, p.returns))
                .collect::<Vec<_>>()
        }
    };
    let utc = vec![(date("2026-11-23"), 1, 1, 0), (date("2026-11-24"), 0, 1, 0)];
    // Moscow (UTC+3): 12:00 on the 23rd, then 01:30 and 04:00 on the 24th.
    let moscow = vec![(date("2026-11-23"), 1, 0, 0), (date("2026-11-24"), 0, 2, 0)];
    // New York (UTC-5): 04:00, 17:30 and 20:00, all on the 23rd.
    let new_york = vec![(date("2026-11-23"), 1, 2, 0)];
    assert_eq!(organisation_zone(db).await.unwrap().name(), "UTC");
    assert_eq!(days_in("UTC").await, utc);
    assert_eq!(days_in("Europe/Moscow").await, moscow);
    assert_eq!(days_in("America/New_York").await, new_york);

    // Only an administrator picks the organisation's zone.
    let manager = c.t.user("manager@bank.ru", Role::Employee, vec![]).await;
    let as_manager = c.t.actor(&manager).await;
    assert!(matches!(
        set_organisation_zone(db, &as_manager, "Europe/Moscow", t0()).await,
        Err(AppError::Forbidden)
    ));
    assert!(
        set_organisation_zone(db, &admin, "Mars/Olympus", t0())
            .await
            .is_err()
    );
    assert_eq!(organisation_zone(db).await.unwrap().name(), "UTC");

    // Moscow's days are now stored: every person still reads their own.
    set_organisation_zone(db, &admin, "Europe/Moscow", t0())
        .await
        .unwrap();
    assert_eq!(days_in("Europe/Moscow").await, moscow);
    assert_eq!(days_in("UTC").await, utc);
    assert_eq!(days_in("America/New_York").await, new_york);
    // A return at 21:00 UTC on the 24th is on the 25th in Moscow, counted by the trigger
    // in the organisation's new zone.
    play(&c, &mut deals, [(0, &admin, cm, "Back", 36)]).await;
    let mut moscow = moscow;
    moscow.push((date("2026-11-25"), 0, 0, 1));
    assert_eq!(days_in("Europe/Moscow").await, moscow);
    let mut utc = utc;
    utc[1].3 = 1;
    assert_eq!(days_in("UTC").await, utc);
    // A filter on the responsible, in days that are not the organisation's.
    let employee_filter = AnalyticsFilter {
        employee: Some(c.admin.id),
        ..filter.clone()
    };
    let trends = load_trends(db, &admin, &employee_filter, now)
        .await
        .unwrap();
    assert_eq!(
        trends.points.iter().map(|p| p.returns).sum::<u64>(),
        1,
        "{trends:?}"
    );

    // Back to UTC: the stored rollups are what the trigger summed in UTC days.
    set_organisation_zone(db, &admin, "UTC", t0())
        .await
        .unwrap();
    assert_eq!(days_in("UTC").await, utc);
    assert_eq!(days_in("Europe/Moscow").await, moscow);
}

/// The facts the server holds in memory follow the ledger: a move made after they were
/// loaded counts at the next dashboard, and on PostgreSQL a move whose ledger id was taken
/// before another's but committed after it (ids are taken before commit) is read when it
/// commits, not skipped. Every time, the copies summed in memory are those summed in SQL.
#[tokio::test]
async fn the_facts_in_memory_follow_the_ledger() {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    use shared::analytics::service::ScopedBy;
    let w = week().await;
    let db = &w.c.t.db;
    let admin = w.c.t.actor(&w.c.admin).await;
    let every_deal = AnalyticsFilter {
        amount_min: Some(0.into()),
        ..week_filter(Granularity::Day)
    };
    let agreed = |when: &'static str| {
        let (admin, every_deal) = (&admin, &every_deal);
        async move {
            let in_memory = scoped_figures(db, admin, every_deal, ScopedBy::Memory).await;
            let in_sql = scoped_figures(db, admin, every_deal, ScopedBy::Passing).await;
            assert_eq!(in_memory, in_sql, "{when}");
            in_memory
                .3
                .points
                .iter()
                .map(|p| p.passed_on + p.returns)
                .sum::<u64>()
        }
    };
    let before = agreed("loaded").await;
    let mut deals = w.deals.clone();
    let (cm, scoring) = (w.c.stage("Client manager"), w.c.stage("Scoring"));
    play(&w.c, &mut deals, [(1, &admin, scoring, "", 40)]).await;
    assert_eq!(agreed("a move after the load").await, before + 1);
    // A reason with quotes and a backslash is written into the copy as it reads.
    play(
        &w.c,
        &mut deals,
        [(1, &admin, cm, r#"He said "no" \ it's late"#, 41)],
    )
    .await;
    assert_eq!(agreed("a return with a quoted reason").await, before + 2);
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    // B's move back to scoring two days later (another day: the rollups' rows it adds to
    // are not the next move's, which would wait for their lock), written by a transaction
    // that stays open while B's next move takes a later id and commits.
    let late = db.begin().await.unwrap();
    late.execute_unprepared(
        "INSERT INTO transitions (deal_id, pipeline_id, from_stage_id, to_stage_id, \
         from_stage_name, to_stage_name, from_department_id, to_department_id, \
         actor_user_id, at, comment, is_return, seconds_in_from) \
         SELECT deal_id, pipeline_id, to_stage_id, from_stage_id, to_stage_name, \
         from_stage_name, to_department_id, from_department_id, actor_user_id, \
         at + INTERVAL '2 days', '', FALSE, 3600 FROM transitions \
         WHERE id = (SELECT MAX(id) FROM transitions)",
    )
    .await
    .unwrap();
    play(&w.c, &mut deals, [(1, &admin, scoring, "", 45)]).await;
    assert_eq!(agreed("the later id committed").await, before + 3);
    late.commit().await.unwrap();
    assert_eq!(
        agreed("the earlier id committed after it").await,
        before + 4
    );
}
