//! The analytics pages: four dashboards (flow, people and departments, SLA, trends)
//! over one filter kept in the URL, each a set of SVG charts (rendered on the server, so
//! they show before hydration) with tables beside them.

mod charts;
mod flow;
mod sla;
mod team;
mod trends;

use std::future::Future;

use chrono::{Datelike, Days, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::AppError;
use shared::analytics::{
    AnalyticsFilter, AnalyticsView, Granularity, SlaView, TeamView, TrendsView,
};
use shared::board::BoardChoices;
use shared::pipeline::PipelineId;

use crate::board::load_board_choices;
use crate::errors::error_message;
use crate::i18n::*;

#[server(prefix = "/api", endpoint = "load_analytics", input = server_fn::codec::Json)]
pub async fn load_analytics(filter: AnalyticsFilter) -> Result<AnalyticsView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::analytics::service::load_analytics(&db()?, &actor, &filter, now()).await
}

#[server(prefix = "/api", endpoint = "load_team", input = server_fn::codec::Json)]
pub async fn load_team(filter: AnalyticsFilter) -> Result<TeamView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::analytics::service::load_team(&db()?, &actor, &filter, now()).await
}

#[server(prefix = "/api", endpoint = "load_sla", input = server_fn::codec::Json)]
pub async fn load_sla(filter: AnalyticsFilter) -> Result<SlaView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::analytics::service::load_sla(&db()?, &actor, &filter, now()).await
}

#[server(prefix = "/api", endpoint = "load_trends", input = server_fn::codec::Json)]
pub async fn load_trends(filter: AnalyticsFilter) -> Result<TrendsView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::analytics::service::load_trends(&db()?, &actor, &filter, now()).await
}

fn filter_from_query(query: &leptos_router::params::ParamsMap) -> AnalyticsFilter {
    let number = |key: &str| query.get(key).and_then(|v| v.parse().ok());
    AnalyticsFilter {
        pipeline: number("pipeline").map(PipelineId),
        from: query.get("from").and_then(|v| v.parse().ok()),
        to: query.get("to").and_then(|v| v.parse().ok()),
        department: number("department").map(shared::department::DepartmentId),
        employee: number("employee").map(shared::user::UserId),
        amount_min: query.get("min").and_then(|v| v.parse().ok()),
        amount_max: query.get("max").and_then(|v| v.parse().ok()),
        include_open: query.get("open").is_some_and(|v| v == "1"),
        granularity: query
            .get("by")
            .and_then(|v| Granularity::parse(&v))
            .unwrap_or_default(),
    }
}

const LIVE_THROTTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// The URL keys of the filter ("Clear" removes them, the pipeline stays).
const FILTER_KEYS: [&str; 7] = ["from", "to", "department", "employee", "min", "max", "open"];

/// A department's name as the dashboards show it; stages without one are grouped under
/// "No department".
fn department_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    department: Option<shared::department::DepartmentId>,
    name: &str,
) -> String {
    match department {
        Some(_) => name.to_owned(),
        None => t_string!(i18n, analytics.no_department).to_string(),
    }
}

/// The four dashboards, one page each.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Flow,
    Team,
    Sla,
    Trends,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Flow, Tab::Team, Tab::Sla, Tab::Trends];

    fn path(self) -> &'static str {
        match self {
            Tab::Flow => "/analytics",
            Tab::Team => "/analytics/team",
            Tab::Sla => "/analytics/sla",
            Tab::Trends => "/analytics/trends",
        }
    }

    fn label(self, i18n: leptos_i18n::I18nContext<Locale>) -> String {
        match self {
            Tab::Flow => t_string!(i18n, analytics.tab_flow),
            Tab::Team => t_string!(i18n, analytics.tab_team),
            Tab::Sla => t_string!(i18n, analytics.tab_sla),
            Tab::Trends => t_string!(i18n, analytics.tab_trends),
        }
        .to_string()
    }

    /// Whether the day / week / month switch applies.
    fn has_granularity(self) -> bool {
        matches!(self, Tab::Sla | Tab::Trends)
    }
}

/// What every dashboard's answer carries besides its figures.
trait Framed {
    fn filter(&self) -> &AnalyticsFilter;
    fn today(&self) -> NaiveDate;
}

macro_rules! framed {
    ($($view:ty),*) => {$(
        impl Framed for $view {
            fn filter(&self) -> &AnalyticsFilter {
                &self.filter
            }
            fn today(&self) -> NaiveDate {
                self.today
            }
        }
    )*};
}
framed!(AnalyticsView, TeamView, SlaView, TrendsView);

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    dashboard_page(Tab::Flow, load_analytics, |view| {
        view! { <flow::FlowDashboards view /> }.into_any()
    })
}

#[component]
pub fn TeamPage() -> impl IntoView {
    dashboard_page(Tab::Team, load_team, |view| {
        view! { <team::TeamDashboards view /> }.into_any()
    })
}

#[component]
pub fn SlaPage() -> impl IntoView {
    dashboard_page(Tab::Sla, load_sla, |view| {
        view! { <sla::SlaDashboards view /> }.into_any()
    })
}

#[component]
pub fn TrendsPage() -> impl IntoView {
    dashboard_page(Tab::Trends, load_trends, |view| {
        view! { <trends::TrendsDashboards view /> }.into_any()
    })
}

/// One dashboard page: the tabs, the filter bar and the dashboards `render` draws from
/// what `load` answers for the URL's filter, reloaded live as deals move.
fn dashboard_page<T, Fut>(
    tab: Tab,
    load: fn(AnalyticsFilter) -> Fut,
    render: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Framed + Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from_query(&query.read()));
    let refresh = RwSignal::new(0_u32);
    let figures = Resource::new(
        move || (filter.get(), refresh.get()),
        move |(filter, _)| load(filter),
    );
    // The dashboards follow moves live; their queries are heavier than the board's, so a
    // burst of moves costs one reload every two seconds at most.
    crate::live::follow_live_events(
        Callback::new(move |()| refresh.update(|n| *n += 1)),
        LIVE_THROTTLE,
    );
    // Kept here so a live reload does not fold the filters the user is editing.
    let filters_open = RwSignal::new(false);
    let choices = Resource::new(|| (), |()| load_board_choices());
    let navigate = use_navigate();
    let set_query = Callback::new(move |changes: Vec<(&'static str, Option<String>)>| {
        navigate(
            &crate::url_query::url_with(tab.path(), &query.get_untracked(), &changes),
            Default::default(),
        );
    });
    view! {
        <Title text=move || format!("{} · {}", tab.label(i18n), t_string!(i18n, pages.analytics_title)) />
        <section class="page analytics-page">
            <header class="page-head">
                <h1>{t!(i18n, pages.analytics_title)}</h1>
            </header>
            <nav class="tabs analytics-tabs" aria-label=move || t_string!(i18n, pages.analytics_title).to_string()>
                {Tab::ALL.into_iter().map(|other| {
                    let href = move || crate::url_query::url_with(other.path(), &query.read(), &[]);
                    view! {
                        <a class="tab" href=href aria-current=(other == tab).then_some("page")>
                            {other.label(i18n)}
                        </a>
                    }
                }).collect_view()}
            </nav>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || {
                    let choices = choices.get().and_then(Result::ok).unwrap_or_default();
                    figures
                        .get()
                        .map(|result| match result {
                            Err(err) => view! {
                                <p class="form-error" role="alert">{error_message(i18n, &err)}</p>
                                <a class="btn btn-small" href=tab.path()>{t!(i18n, board.clear_filters)}</a>
                            }.into_any(),
                            Ok(view) => view! {
                                <AnalyticsFilterBar
                                    choices
                                    filter=view.filter().clone()
                                    today=view.today()
                                    granularity=tab.has_granularity()
                                    set_query
                                    filters_open
                                />
                                {render(view)}
                            }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// Pipeline, period (presets and dates), day / week / month where it applies, department,
/// employee, amounts, open visits.
#[component]
fn AnalyticsFilterBar(
    choices: BoardChoices,
    filter: AnalyticsFilter,
    today: NaiveDate,
    /// Show the day / week / month switch.
    granularity: bool,
    set_query: Callback<Vec<(&'static str, Option<String>)>>,
    filters_open: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let set = move |key: &'static str, value: String| set_query.run(vec![(key, Some(value))]);
    let days_back = |days: u64| today.checked_sub_days(Days::new(days - 1)).unwrap_or(today);
    let month_start = today.with_day(1).unwrap_or(today);
    let presets: Vec<(String, NaiveDate)> = vec![
        (t_string!(i18n, analytics.last_7).to_string(), days_back(7)),
        (
            t_string!(i18n, analytics.last_30).to_string(),
            days_back(30),
        ),
        (
            t_string!(i18n, analytics.last_90).to_string(),
            days_back(90),
        ),
        (
            t_string!(i18n, analytics.this_month).to_string(),
            month_start,
        ),
    ];
    let current = (filter.from, filter.to);
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let amount = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    let pipeline = filter.pipeline;
    view! {
        <div class="filters analytics-filters" role="search">
            {(choices.pipelines.len() > 1).then(|| view! {
                <label class="field field-inline">
                    <span class="sr-only">{t!(i18n, board.pipeline)}</span>
                    <select name="pipeline" on:change=move |ev| set("pipeline", event_target_value(&ev))>
                        {choices.pipelines.iter().map(|(id, name)| view! {
                            <option value=id.0.to_string() selected=pipeline == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            <div class="presets" role="group" aria-label=move || t_string!(i18n, fields.period).to_string()>
                {presets.into_iter().map(|(label, from)| {
                    let pressed = current == (Some(from), Some(today));
                    view! {
                        <button type="button" class="chip" aria-pressed=pressed.to_string()
                            on:click=move |_| set_query.run(vec![
                                ("from", Some(from.to_string())),
                                ("to", Some(today.to_string())),
                            ])>
                            {label}
                        </button>
                    }
                }).collect_view()}
            </div>
            {granularity.then(|| view! {
                <div class="presets" role="group" aria-label=move || t_string!(i18n, analytics.granularity).to_string()>
                    {Granularity::ALL.into_iter().map(|g| {
                        let label = match g {
                            Granularity::Day => t_string!(i18n, analytics.by_day),
                            Granularity::Week => t_string!(i18n, analytics.by_week),
                            Granularity::Month => t_string!(i18n, analytics.by_month),
                        };
                        view! {
                            <button type="button" class="chip" aria-pressed=(filter.granularity == g).to_string()
                                on:click=move |_| set_query.run(vec![
                                    ("by", (g != Granularity::default()).then(|| g.as_str().to_owned())),
                                ])>
                                {label}
                            </button>
                        }
                    }).collect_view()}
                </div>
            })}
            <details
                class="filter-more"
                prop:open=move || filters_open.get()
                on:toggle=move |ev| filters_open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())
            >
                <summary class="btn btn-small">{t!(i18n, board.filters)}</summary>
                <div class="filter-grid">
                    <label class="field">
                        <span>{t!(i18n, analytics.from)}</span>
                        <input type="date" name="from" value=date(filter.from)
                            on:change=move |ev| set("from", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, analytics.to)}</span>
                        <input type="date" name="to" value=date(filter.to)
                            on:change=move |ev| set("to", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.department)}</span>
                        <select name="department" on:change=move |ev| set("department", event_target_value(&ev))>
                            <option value="">{t!(i18n, board.any_department)}</option>
                            {choices.departments.iter().map(|(id, name)| view! {
                                <option value=id.0.to_string() selected=filter.department == Some(*id)>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{t!(i18n, analytics.employee)}</span>
                        <select name="employee" on:change=move |ev| set("employee", event_target_value(&ev))>
                            <option value="">{t!(i18n, board.anyone)}</option>
                            {choices.users.iter().map(|(id, name)| view! {
                                <option value=id.0.to_string() selected=filter.employee == Some(*id)>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.amount_from)}</span>
                        <input type="number" name="min" min="0" step="0.01" inputmode="decimal" value=amount(filter.amount_min)
                            on:change=move |ev| set("min", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.amount_to)}</span>
                        <input type="number" name="max" min="0" step="0.01" inputmode="decimal" value=amount(filter.amount_max)
                            on:change=move |ev| set("max", event_target_value(&ev)) />
                    </label>
                    <label class="check">
                        <input type="checkbox" name="open" checked=filter.include_open
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                set_query.run(vec![("open", on.then(|| "1".to_owned()))]);
                            } />
                        <span>{t!(i18n, analytics.include_open)}</span>
                    </label>
                    <button type="button" class="btn btn-small"
                        on:click=move |_| set_query.run(FILTER_KEYS.iter().map(|key| (*key, None)).collect())>
                        {t!(i18n, board.clear_filters)}
                    </button>
                </div>
            </details>
        </div>
    }
}
