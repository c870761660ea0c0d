//! Trends: each figure per day, week or month of the period, a small column chart each
//! and one table with them all.

use leptos::prelude::*;
use shared::analytics::{TrendPoint, TrendsView, rate};

use super::charts::{Column, ColumnChart, DataTable, Table};
use crate::board::format_duration;
use crate::i18n::*;

#[component]
pub fn TrendsDashboards(view: TrendsView) -> impl IntoView {
    let i18n = use_i18n();
    let points = view.points;
    let series = |label: String, value: fn(&TrendPoint) -> u64| {
        let columns: Vec<Column> = points
            .iter()
            .map(|p| Column {
                label: p.start.to_string(),
                value: value(p),
                shown: value(p).to_string(),
            })
            .collect();
        view! { <ColumnChart columns label /> }
    };
    let time_columns: Vec<Column> = points
        .iter()
        .map(|p| Column {
            label: p.start.to_string(),
            value: u64::try_from(p.time_in_stage.median).unwrap_or_default(),
            shown: format_duration(i18n, p.time_in_stage.median),
        })
        .collect();
    let table = Table::new(
        "trends",
        vec![
            t_string!(i18n, analytics.period_start).to_string(),
            t_string!(i18n, analytics.created).to_string(),
            t_string!(i18n, analytics.passed_on).to_string(),
            t_string!(i18n, analytics.returns).to_string(),
            t_string!(i18n, analytics.return_rate).to_string(),
            t_string!(i18n, analytics.won).to_string(),
            t_string!(i18n, analytics.lost).to_string(),
            t_string!(i18n, analytics.sla_breaches).to_string(),
            t_string!(i18n, analytics.median_time).to_string(),
        ],
        points
            .iter()
            .map(|p| {
                vec![
                    p.start.to_string(),
                    p.created.to_string(),
                    p.passed_on.to_string(),
                    p.returns.to_string(),
                    rate(p.returns, p.returns + p.passed_on)
                        .map(|r| format!("{:.0}%", r * 100.0))
                        .unwrap_or_else(|| "—".to_owned()),
                    p.won.to_string(),
                    p.lost.to_string(),
                    p.sla_breaches.to_string(),
                    if p.time_in_stage.visits == 0 {
                        "—".to_owned()
                    } else {
                        format_duration(i18n, p.time_in_stage.median)
                    },
                ]
            })
            .collect(),
    );
    view! {
        <div class="dashboards">
            <section class="card dashboard" aria-labelledby="trends-title">
                <h2 id="trends-title">{t!(i18n, analytics.trends_title)}</h2>
                <p class="muted small">{t!(i18n, analytics.trends_note)}</p>
                <div class="small-multiples">
                    {series(t_string!(i18n, analytics.created).to_string(), |p| p.created)}
                    {series(t_string!(i18n, analytics.passed_on).to_string(), |p| p.passed_on)}
                    {series(t_string!(i18n, analytics.returns).to_string(), |p| p.returns)}
                    {series(t_string!(i18n, analytics.won).to_string(), |p| p.won)}
                    {series(t_string!(i18n, analytics.lost).to_string(), |p| p.lost)}
                    {series(t_string!(i18n, analytics.sla_breaches).to_string(), |p| p.sla_breaches)}
                    <ColumnChart columns=time_columns label=t_string!(i18n, analytics.median_time).to_string() />
                </div>
                <DataTable table />
            </section>
        </div>
    }
}
