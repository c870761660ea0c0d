//! The flow dashboards: the funnel, time in stage per stage and department, and returns
//! for rework.

use leptos::prelude::*;
use shared::analytics::{AnalyticsView, DurationStats, rate};
use shared::pipeline::StageKind;

use super::charts::{Bar, BarChart, DataTable, Table};
use crate::board::format_duration;
use crate::i18n::*;

#[component]
pub fn FlowDashboards(view: AnalyticsView) -> impl IntoView {
    let i18n = use_i18n();
    let percent = |part: u64, whole: u64| {
        rate(part, whole)
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "—".to_owned())
    };
    let funnel = view.funnel.clone();
    let first_reached = funnel.stages.first().map(|s| s.reached).unwrap_or_default();
    let won_reached: u64 = funnel
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Won)
        .map(|s| s.reached)
        .sum();
    let funnel_bars: Vec<Bar> = funnel
        .stages
        .iter()
        .map(|s| Bar::new(&s.name, s.entered, s.entered.to_string()))
        .collect();
    let funnel_table = Table {
        file: "funnel",
        header: vec![
            t_string!(i18n, analytics.stage).to_string(),
            t_string!(i18n, analytics.entered).to_string(),
            t_string!(i18n, analytics.reached).to_string(),
            t_string!(i18n, analytics.conversion).to_string(),
            t_string!(i18n, analytics.lost_here).to_string(),
        ],
        rows: funnel
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // Conversion reads along the way to a win: from the previous open stage to
                // the next open or won stage. Lost and archive stages are not a step.
                let previous = funnel.stages[..i]
                    .iter()
                    .rev()
                    .find(|p| p.kind == StageKind::Open)
                    .filter(|_| matches!(s.kind, StageKind::Open | StageKind::Won));
                vec![
                    s.name.clone(),
                    s.entered.to_string(),
                    s.reached.to_string(),
                    previous
                        .map(|p| percent(s.reached, p.reached))
                        .unwrap_or_default(),
                    (s.lost_here + s.archived_here).to_string(),
                ]
            })
            .collect(),
        ..Table::default()
    };
    let time_bars: Vec<Bar> = view
        .time_by_stage
        .iter()
        .filter(|row| row.stats.visits > 0)
        .map(|row| {
            Bar::new(
                &row.name,
                u64::try_from(row.stats.median).unwrap_or_default(),
                format_duration(i18n, row.stats.median),
            )
            .with_marker(u64::try_from(row.stats.p90).unwrap_or_default())
        })
        .collect();
    let stats_header = |first: String| {
        vec![
            first,
            t_string!(i18n, analytics.visits).to_string(),
            t_string!(i18n, analytics.median).to_string(),
            t_string!(i18n, analytics.p90).to_string(),
            t_string!(i18n, analytics.mean).to_string(),
        ]
    };
    let stats_row = move |name: String, stats: DurationStats| {
        vec![
            name,
            stats.visits.to_string(),
            format_duration(i18n, stats.median),
            format_duration(i18n, stats.p90),
            format_duration(i18n, stats.mean),
        ]
    };
    let stage_table = Table {
        file: "time-by-stage",
        header: stats_header(t_string!(i18n, analytics.stage).to_string()),
        rows: view
            .time_by_stage
            .iter()
            .filter(|row| row.stats.visits > 0)
            .map(|row| stats_row(row.name.clone(), row.stats))
            .collect(),
        ..Table::default()
    };
    let no_department = t_string!(i18n, analytics.no_department).to_string();
    let department_table = Table {
        file: "time-by-department",
        header: stats_header(t_string!(i18n, board.department).to_string()),
        rows: view
            .time_by_department
            .iter()
            .map(|row| {
                let name = match row.department {
                    Some(_) => row.name.clone(),
                    None => no_department.clone(),
                };
                stats_row(name, row.stats)
            })
            .collect(),
        ..Table::default()
    };
    let return_bars: Vec<Bar> = view
        .returns_by_stage
        .iter()
        .filter(|row| row.exits > 0)
        .map(|row| {
            Bar::new(
                &row.name,
                row.returns,
                format!("{} · {}", row.returns, percent(row.returns, row.exits)),
            )
        })
        .collect();
    let returns_label = t_string!(i18n, analytics.returns).to_string();
    let routes_table = Table {
        file: "return-routes",
        header: vec![
            t_string!(i18n, analytics.route).to_string(),
            returns_label.clone(),
        ],
        rows: view
            .return_routes
            .iter()
            .map(|r| {
                vec![
                    format!("{} → {}", r.from_name, r.to_name),
                    r.count.to_string(),
                ]
            })
            .collect(),
        ..Table::default()
    };
    let people_table = Table {
        file: "returns-by-person",
        header: vec![
            t_string!(i18n, analytics.employee).to_string(),
            t_string!(i18n, analytics.returned).to_string(),
            t_string!(i18n, analytics.came_back).to_string(),
        ],
        rows: view
            .returns_by_person
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.returned.to_string(),
                    p.came_back.to_string(),
                ]
            })
            .collect(),
        ..Table::default()
    };
    let reasons_table = Table {
        file: "return-reasons",
        header: vec![t_string!(i18n, analytics.reason).to_string(), returns_label],
        rows: view
            .return_reasons
            .iter()
            .map(|r| vec![r.reason.clone(), r.count.to_string()])
            .collect(),
        ..Table::default()
    };
    let has_returns = !view.return_routes.is_empty();
    view! {
        <div class="dashboards">
            <section class="card dashboard" aria-labelledby="funnel-title">
                <h2 id="funnel-title">{t!(i18n, analytics.funnel)}</h2>
                <p class="muted small">
                    {t!(i18n, analytics.funnel_note, created = funnel.created, won = percent(won_reached, first_reached))}
                </p>
                <BarChart bars=funnel_bars label=t_string!(i18n, analytics.funnel).to_string() />
                <DataTable table=funnel_table />
            </section>
            <section class="card dashboard" aria-labelledby="time-title">
                <h2 id="time-title">{t!(i18n, analytics.time_in_stage)}</h2>
                <p class="muted small">{t!(i18n, analytics.time_note)}</p>
                <BarChart bars=time_bars label=t_string!(i18n, analytics.time_in_stage).to_string() />
                <DataTable table=stage_table />
                <h3>{t!(i18n, analytics.by_department)}</h3>
                <DataTable table=department_table />
            </section>
            <section class="card dashboard" aria-labelledby="returns-title">
                <h2 id="returns-title">{t!(i18n, analytics.returns_title)}</h2>
                <p class="muted small">{t!(i18n, analytics.returns_note)}</p>
                <Show
                    when=move || has_returns
                    fallback=move || view! { <p class="muted">{t!(i18n, analytics.no_returns)}</p> }
                >
                    <BarChart bars=return_bars.clone() label=t_string!(i18n, analytics.returns_title).to_string() />
                    <h3>{t!(i18n, analytics.routes)}</h3>
                    <DataTable table=routes_table.clone() />
                    <h3>{t!(i18n, analytics.people)}</h3>
                    <DataTable table=people_table.clone() />
                    <h3>{t!(i18n, analytics.reasons)}</h3>
                    <DataTable table=reasons_table.clone() />
                </Show>
            </section>
        </div>
    }
}
