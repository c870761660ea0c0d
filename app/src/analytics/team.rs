//! People and departments: load now, throughput, processing time, returns and SLA
//! breaches; sortable tables and the top and bottom five by throughput.

use leptos::prelude::*;
use shared::analytics::{DurationStats, PersonWork, TeamView};
use shared::department::DepartmentId;

use super::charts::{Bar, BarChart, DataTable, Table};
use crate::board::format_duration;
use crate::i18n::*;

/// How many people the top and bottom charts show.
const FIVE: usize = 5;

/// Moves per day over the period, to one decimal.
fn per_day(passed_on: u64, days: u32) -> String {
    format!("{:.1}", passed_on as f64 / f64::from(days.max(1)))
}

/// The per-day figure as a sort key (hundredths).
fn per_day_key(passed_on: u64, days: u32) -> i64 {
    i64::try_from(passed_on * 100 / u64::from(days.max(1))).unwrap_or(i64::MAX)
}

fn key(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[component]
pub fn TeamDashboards(view: TeamView) -> impl IntoView {
    let i18n = use_i18n();
    let days = view.days;
    let duration = move |stats: DurationStats| {
        if stats.visits == 0 {
            "—".to_owned()
        } else {
            format_duration(i18n, stats.median)
        }
    };
    let people_table = Table::new(
        "people",
        vec![
            t_string!(i18n, analytics.employee).to_string(),
            t_string!(i18n, analytics.open_now).to_string(),
            t_string!(i18n, analytics.passed_on).to_string(),
            t_string!(i18n, analytics.per_day).to_string(),
            t_string!(i18n, analytics.processing).to_string(),
            t_string!(i18n, analytics.returned).to_string(),
            t_string!(i18n, analytics.came_back).to_string(),
            t_string!(i18n, analytics.sla_breaches).to_string(),
        ],
        view.people
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.open_now.to_string(),
                    p.passed_on.to_string(),
                    per_day(p.passed_on, days),
                    duration(p.processing),
                    p.returned.to_string(),
                    p.came_back.to_string(),
                    p.sla_breaches.to_string(),
                ]
            })
            .collect(),
    )
    .sortable(
        view.people
            .iter()
            .map(|p| {
                vec![
                    key(p.open_now),
                    key(p.passed_on),
                    per_day_key(p.passed_on, days),
                    p.processing.median,
                    key(p.returned),
                    key(p.came_back),
                    key(p.sla_breaches),
                ]
            })
            .collect(),
    );
    let department_name = move |name: &str, department: Option<DepartmentId>| {
        super::department_label(i18n, department, name)
    };
    let department_table = Table::new(
        "departments",
        vec![
            t_string!(i18n, board.department).to_string(),
            t_string!(i18n, analytics.open_now).to_string(),
            t_string!(i18n, analytics.in_breach_now).to_string(),
            t_string!(i18n, analytics.passed_on).to_string(),
            t_string!(i18n, analytics.per_day).to_string(),
            t_string!(i18n, analytics.median).to_string(),
            t_string!(i18n, analytics.p90).to_string(),
            t_string!(i18n, analytics.returned).to_string(),
            t_string!(i18n, analytics.came_back_here).to_string(),
            t_string!(i18n, analytics.sla_breaches).to_string(),
        ],
        view.departments
            .iter()
            .map(|d| {
                vec![
                    department_name(&d.name, d.department),
                    d.open_now.to_string(),
                    d.in_breach_now.to_string(),
                    d.passed_on.to_string(),
                    per_day(d.passed_on, days),
                    duration(d.processing),
                    if d.processing.visits == 0 {
                        "—".to_owned()
                    } else {
                        format_duration(i18n, d.processing.p90)
                    },
                    d.returned.to_string(),
                    d.came_back.to_string(),
                    d.sla_breaches.to_string(),
                ]
            })
            .collect(),
    )
    .sortable(
        view.departments
            .iter()
            .map(|d| {
                vec![
                    key(d.open_now),
                    key(d.in_breach_now),
                    key(d.passed_on),
                    per_day_key(d.passed_on, days),
                    d.processing.median,
                    d.processing.p90,
                    key(d.returned),
                    key(d.came_back),
                    key(d.sla_breaches),
                ]
            })
            .collect(),
    );
    let load_bars: Vec<Bar> = view
        .departments
        .iter()
        .map(|d| {
            Bar::new(
                &department_name(&d.name, d.department),
                d.open_now,
                d.open_now.to_string(),
            )
        })
        .collect();
    let throughput_bar = move |p: &PersonWork| {
        Bar::new(
            &p.name,
            p.passed_on,
            format!(
                "{} · {}/{}",
                p.passed_on,
                per_day(p.passed_on, days),
                t_string!(i18n, analytics.day_short)
            ),
        )
    };
    // The table is sorted by throughput, most first.
    let active: Vec<&PersonWork> = view.people.iter().collect();
    let top: Vec<Bar> = active
        .iter()
        .take(FIVE)
        .map(|p| throughput_bar(p))
        .collect();
    // With five people or fewer the top five already shows everyone.
    let bottom: Vec<Bar> = if active.len() > FIVE {
        active
            .iter()
            .rev()
            .take(FIVE)
            .map(|p| throughput_bar(p))
            .collect()
    } else {
        Vec::new()
    };
    let has_people = !view.people.is_empty();
    view! {
        <div class="dashboards">
            <section class="card dashboard" aria-labelledby="people-title">
                <h2 id="people-title">{t!(i18n, analytics.people_title)}</h2>
                <p class="muted small">{t!(i18n, analytics.people_note, days = days)}</p>
                <Show
                    when=move || has_people
                    fallback=move || view! { <p class="muted">{t!(i18n, analytics.no_people)}</p> }
                >
                    <div class="top-bottom">
                        <div>
                            <h3>{t!(i18n, analytics.top_five)}</h3>
                            <BarChart bars=top.clone() label=t_string!(i18n, analytics.top_five).to_string() />
                        </div>
                        {(!bottom.is_empty()).then(|| view! {
                            <div>
                                <h3>{t!(i18n, analytics.bottom_five)}</h3>
                                <BarChart bars=bottom.clone() label=t_string!(i18n, analytics.bottom_five).to_string() />
                            </div>
                        })}
                    </div>
                    <DataTable table=people_table.clone() />
                </Show>
            </section>
            <section class="card dashboard" aria-labelledby="departments-title">
                <h2 id="departments-title">{t!(i18n, analytics.departments_title)}</h2>
                <p class="muted small">{t!(i18n, analytics.departments_note)}</p>
                <h3>{t!(i18n, analytics.open_now)}</h3>
                <BarChart bars=load_bars label=t_string!(i18n, analytics.open_now).to_string() />
                <DataTable table=department_table />
            </section>
        </div>
    }
}
