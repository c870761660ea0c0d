//! SLA: breaches per stage and department, over time, and the deals in breach now.

use leptos::prelude::*;
use shared::analytics::{SlaView, rate};
use shared::department::DepartmentId;

use super::charts::{Bar, BarChart, Column, ColumnChart, DataTable, Table};
use crate::board::format_duration;
use crate::i18n::*;
use crate::moment::moment;

fn percent(part: u64, whole: u64) -> String {
    rate(part, whole)
        .map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "—".to_owned())
}

#[component]
pub fn SlaDashboards(view: SlaView) -> impl IntoView {
    let i18n = use_i18n();
    let department_name = move |name: &str, department: Option<DepartmentId>| {
        super::department_label(i18n, department, name)
    };
    let stage_bars: Vec<Bar> = view
        .stages
        .iter()
        .map(|s| {
            Bar::new(
                &s.name,
                s.breaches,
                format!("{} · {}", s.breaches, percent(s.breaches, s.closed_visits)),
            )
        })
        .collect();
    let header = |first: String| {
        vec![
            first,
            t_string!(i18n, analytics.visits_ended).to_string(),
            t_string!(i18n, analytics.sla_breaches).to_string(),
            t_string!(i18n, analytics.breach_rate).to_string(),
            t_string!(i18n, analytics.in_breach_now).to_string(),
        ]
    };
    let mut stage_header = header(t_string!(i18n, analytics.stage).to_string());
    stage_header.insert(1, t_string!(i18n, analytics.sla).to_string());
    let stage_table = Table::new(
        "sla-by-stage",
        stage_header,
        view.stages
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    format_duration(i18n, s.sla_seconds),
                    s.closed_visits.to_string(),
                    s.breaches.to_string(),
                    percent(s.breaches, s.closed_visits),
                    s.in_breach_now.to_string(),
                ]
            })
            .collect(),
    );
    // Departments: the sums of their stages.
    let department_rows: Vec<Vec<String>> = view
        .departments
        .iter()
        .map(|(department, name)| {
            let stages = || view.stages.iter().filter(|s| s.department == *department);
            let closed: u64 = stages().map(|s| s.closed_visits).sum();
            let breaches: u64 = stages().map(|s| s.breaches).sum();
            vec![
                department_name(name, *department),
                closed.to_string(),
                breaches.to_string(),
                percent(breaches, closed),
                stages().map(|s| s.in_breach_now).sum::<u64>().to_string(),
            ]
        })
        .collect();
    let department_table = Table::new(
        "sla-by-department",
        header(t_string!(i18n, board.department).to_string()),
        department_rows,
    );
    let columns: Vec<Column> = view
        .over_time
        .iter()
        .map(|p| Column {
            label: p.start.to_string(),
            value: p.breaches,
            shown: p.breaches.to_string(),
        })
        .collect();
    let mut time_header = vec![
        t_string!(i18n, analytics.period_start).to_string(),
        t_string!(i18n, analytics.visits_ended).to_string(),
        t_string!(i18n, analytics.sla_breaches).to_string(),
    ];
    time_header.extend(
        view.departments
            .iter()
            .map(|(d, name)| department_name(name, *d)),
    );
    let time_table = Table::new(
        "sla-over-time",
        time_header,
        view.over_time
            .iter()
            .map(|p| {
                let mut row = vec![
                    p.start.to_string(),
                    p.closed_visits.to_string(),
                    p.breaches.to_string(),
                ];
                row.extend(p.by_department.iter().map(|(_, n)| n.to_string()));
                row
            })
            .collect(),
    );
    let breach_table = Table::new(
        "in-breach-now",
        vec![
            t_string!(i18n, analytics.deal).to_string(),
            t_string!(i18n, analytics.stage).to_string(),
            t_string!(i18n, analytics.responsible).to_string(),
            t_string!(i18n, analytics.entered_stage).to_string(),
            t_string!(i18n, analytics.overdue).to_string(),
        ],
        view.in_breach
            .iter()
            .map(|d| {
                vec![
                    d.title.clone(),
                    d.stage_name.clone(),
                    d.responsible.clone().unwrap_or_else(|| "—".to_owned()),
                    moment(d.entered_at),
                    format_duration(i18n, d.overdue),
                ]
            })
            .collect(),
    )
    .with_links(
        view.in_breach
            .iter()
            .map(|d| Some(format!("/deals/{}", d.deal.0)))
            .collect(),
    );
    let total = view.in_breach_total;
    let listed = view.in_breach.len();
    let has_stages = !view.stages.is_empty();
    view! {
        <div class="dashboards">
            <section class="card dashboard" aria-labelledby="breach-now-title">
                <h2 id="breach-now-title">{t!(i18n, analytics.in_breach_title, count = total)}</h2>
                <p class="muted small">{t!(i18n, analytics.in_breach_note, listed = listed)}</p>
                <Show
                    when=move || { total > 0 }
                    fallback=move || view! { <p class="muted">{t!(i18n, analytics.none_in_breach)}</p> }
                >
                    <DataTable table=breach_table.clone() />
                </Show>
            </section>
            <section class="card dashboard" aria-labelledby="sla-stage-title">
                <h2 id="sla-stage-title">{t!(i18n, analytics.sla_by_stage)}</h2>
                <p class="muted small">{t!(i18n, analytics.sla_note)}</p>
                <Show
                    when=move || has_stages
                    fallback=move || view! { <p class="muted">{t!(i18n, analytics.no_sla)}</p> }
                >
                    <BarChart bars=stage_bars.clone() label=t_string!(i18n, analytics.sla_by_stage).to_string() />
                    <DataTable table=stage_table.clone() />
                    <h3>{t!(i18n, analytics.by_department)}</h3>
                    <DataTable table=department_table.clone() />
                </Show>
            </section>
            <section class="card dashboard" aria-labelledby="sla-time-title">
                <h2 id="sla-time-title">{t!(i18n, analytics.sla_over_time)}</h2>
                <ColumnChart columns label=t_string!(i18n, analytics.sla_breaches).to_string() />
                <DataTable table=time_table />
            </section>
        </div>
    }
}
