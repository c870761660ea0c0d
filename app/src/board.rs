//! The kanban board: one column per stage with exact counts and sums, cards with the time
//! in stage and SLA breaches, a "Move to…" action, and a quick form for a new deal.
//! Filters live in the URL. A change someone else makes arrives live: that card and the
//! columns' totals change in place.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::AppError;
use shared::board::{BoardChoices, BoardFilter, BoardUpdate, BoardView, ColumnView};
use shared::custom_field::{CustomFieldView, CustomFilter, FilterShape, RecordKind};
use shared::deal::{DealId, DealView, Money, MoveDeal, NewDeal};
use shared::event::LiveDeal;
use shared::pipeline::{
    MoveDirection, PipelineId, PipelineView, StageId, StageView, allowed_targets, check_move,
    direction,
};

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::local_time::LocalTime;

#[server(prefix = "/api", endpoint = "load_board", input = server_fn::codec::Json)]
pub async fn load_board(
    pipeline: Option<PipelineId>,
    filter: BoardFilter,
) -> Result<BoardView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    let db = db()?;
    let pipeline = match pipeline {
        Some(id) => id,
        None => shared::pipeline::service::list_pipelines(&db)
            .await?
            .first()
            .map(|(id, _)| *id)
            .ok_or(AppError::NotFound {
                entity: shared::error::Entity::Pipeline,
            })?,
    };
    shared::board::service::load_board(&db, &actor, pipeline, &filter, now()).await
}

/// The pipelines, people and departments the pipeline switch and the filters offer.
#[server(prefix = "/api", endpoint = "load_board_choices", input = server_fn::codec::Json)]
pub async fn load_board_choices() -> Result<BoardChoices, AppError> {
    use crate::backend::{db, identity};
    identity()?;
    shared::board::service::load_choices(&db()?).await
}

/// The next page of one column's cards, for "Show more".
#[server(prefix = "/api", endpoint = "load_column_page", input = server_fn::codec::Json)]
pub async fn load_column_page(
    pipeline: PipelineId,
    stage: StageId,
    filter: BoardFilter,
    offset: u64,
) -> Result<Vec<DealView>, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    let db = db()?;
    let pipeline = shared::pipeline::service::load_pipeline(&db, pipeline).await?;
    let stage = pipeline.stage(stage).cloned().ok_or(AppError::validation(
        shared::Field::Stage,
        shared::Rule::UnknownValue,
    ))?;
    let column =
        shared::board::service::load_column(&db, &actor, &pipeline, &stage, &filter, offset, now())
            .await?;
    Ok(column.deals)
}

/// One changed deal as this viewer's board with this filter shows it, for a live update
/// in place.
#[server(prefix = "/api", endpoint = "load_board_update", input = server_fn::codec::Json)]
pub async fn load_board_update(
    pipeline: PipelineId,
    filter: BoardFilter,
    deal: DealId,
) -> Result<BoardUpdate, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::board::service::load_board_update(&db()?, &actor, pipeline, &filter, deal, now()).await
}

#[server(name = MoveDealRequest, prefix = "/api", endpoint = "move_deal", input = server_fn::codec::Json)]
pub async fn move_deal(cmd: MoveDeal) -> Result<DealView, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::deal::service::move_deal(&db()?, &events()?, &actor, cmd, now()).await
}

#[server(prefix = "/api", endpoint = "create_deal", input = server_fn::codec::Json)]
pub async fn create_deal(deal: NewDeal) -> Result<DealView, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::deal::service::create_deal(&db()?, &events()?, &actor, deal, now()).await
}

/// `1234567.50 RUB` as `1 234 567.50 RUB` (whole amounts without decimals).
pub fn format_money(money: &Money) -> String {
    let text = money.amount.round_dp(2).to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{grouped} {}", money.currency)
    } else {
        format!("{grouped}.{fraction:0<2} {}", money.currency)
    }
}

/// A duration as the two largest units: `3 d 4 h`, `5 h 10 min`, `12 min`.
pub fn format_duration(i18n: leptos_i18n::I18nContext<Locale>, seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        t_string!(i18n, board.days_hours, days, hours).to_string()
    } else if hours > 0 {
        t_string!(i18n, board.hours_minutes, hours, minutes = mins).to_string()
    } else {
        t_string!(i18n, board.minutes, minutes = mins).to_string()
    }
}

fn filter_from_query(query: &leptos_router::params::ParamsMap) -> BoardFilter {
    BoardFilter {
        search: query.get("q").filter(|q| !q.trim().is_empty()),
        sla_exceeded: query.get("sla").is_some_and(|v| v == "1"),
        responsible: query
            .get("responsible")
            .and_then(|v| v.parse().ok())
            .map(shared::user::UserId),
        department: query
            .get("department")
            .and_then(|v| v.parse().ok())
            .map(shared::department::DepartmentId),
        amount_min: query.get("min").and_then(|v| v.parse().ok()),
        amount_max: query.get("max").and_then(|v| v.parse().ok()),
        created_from: query.get("from").and_then(|v| v.parse().ok()),
        created_to: query.get("to").and_then(|v| v.parse().ok()),
        custom: {
            let pairs: Vec<(String, String)> = query
                .clone()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            CustomFilter::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        },
    }
}

/// The URL keys the board's filters use (and "Clear" removes).
const FILTER_KEYS: [&str; 8] = [
    "q",
    "sla",
    "responsible",
    "department",
    "min",
    "max",
    "from",
    "to",
];

#[component]
pub fn BoardPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from_query(&query.read()));
    let pipeline_id = Memo::new(move |_| {
        query
            .read()
            .get("pipeline")
            .and_then(|v| v.parse().ok())
            .map(PipelineId)
    });
    let refresh = RwSignal::new(0_u32);
    let board = Resource::new(
        move || (pipeline_id.get(), filter.get(), refresh.get()),
        |(pipeline, filter, _)| load_board(pipeline, filter),
    );
    let choices = Resource::new(|| (), |()| load_board_choices());
    let navigate = use_navigate();
    // Sets URL keys (a `None` or empty value removes the key); the board follows the URL.
    let set_query = move |changes: Vec<(String, Option<String>)>| {
        let changes: Vec<(&str, Option<String>)> = changes
            .iter()
            .map(|(key, value)| (key.as_str(), value.clone()))
            .collect();
        navigate(
            &crate::url_query::url_with("/board", &query.get_untracked(), &changes),
            Default::default(),
        );
    };
    let set_query = Callback::new(set_query);
    let selected = RwSignal::new(None::<StageId>);
    // Lives above the board so that a reload does not lose a drag in progress.
    let drag = BoardDrag::new();
    provide_context(drag);
    let reload = Callback::new(move |()| request_reload(refresh, drag));
    let own = crate::live::OwnChanges::new();
    // Someone else changed a deal: only its card and the columns' totals change.
    let updates = LiveUpdates::new();
    // This page changed a deal: the same patch in place, never a whole new board, which
    // would take the focus and any open form from under the user's hands.
    let changed = Callback::new(move |deal: DealView| {
        own.record(deal.id, deal.version);
        let live = LiveDeal {
            event_id: 0,
            deal_id: deal.id,
            pipeline_id: deal.pipeline_id,
            stage_id: deal.stage_id,
            version: deal.version,
        };
        fetch_update(live, filter, updates, 0);
    });
    Effect::new(move |_| {
        if let Some(Ok(moved)) = drag.action.value().get() {
            drag.awaiting_reason.set(None);
            changed.run(moved);
        }
    });
    crate::live::follow_deal_changes(
        Callback::new(move |live: LiveDeal| fetch_update(live, filter, updates, 0)),
        reload,
        own,
    );
    view! {
        <Title text=move || t_string!(i18n, pages.board_title).to_string() />
        <section class="page board-page">
            <header class="page-head">
                <h1>{t!(i18n, pages.board_title)}</h1>
                <a
                    class="btn btn-small"
                    href=move || match pipeline_id.get() {
                        Some(id) => format!("/deals/new?pipeline={}", id.0),
                        None => "/deals/new".to_owned(),
                    }
                >
                    {t!(i18n, board.new_deal_full)}
                </a>
            </header>
            <Transition fallback=|| ()>
                {move || {
                    choices.get().and_then(Result::ok).map(|choices| {
                        view! { <FilterBar choices filter pipeline_id set_query /> }
                    })
                }}
            </Transition>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || {
                    board
                        .get()
                        .map(|result| match result {
                            Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                            Ok(board) => view! { <Board board filter=filter.get_untracked() selected changed updates /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// The pipeline switch, search and filters. Each change rewrites the URL, so a view can be
/// bookmarked and shared; on a phone the filters fold under one button.
#[component]
fn FilterBar(
    choices: BoardChoices,
    filter: Memo<BoardFilter>,
    pipeline_id: Memo<Option<PipelineId>>,
    set_query: Callback<Vec<(String, Option<String>)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let set = move |key: &str, value: String| set_query.run(vec![(key.to_owned(), Some(value))]);
    let active = Signal::derive(move || {
        let f = filter.get();
        usize::from(f.responsible.is_some())
            + usize::from(f.department.is_some())
            + usize::from(f.amount_min.is_some() || f.amount_max.is_some())
            + usize::from(f.created_from.is_some() || f.created_to.is_some())
            + usize::from(f.sla_exceeded)
            + f.custom.len()
    });
    let custom_fields = StoredValue::new(choices.custom_fields.clone());
    let users = StoredValue::new(choices.users.clone());
    let first_pipeline = choices.pipelines.first().map(|(id, _)| *id);
    let shown_pipeline = move || pipeline_id.get().or(first_pipeline);
    let date = |value: Option<chrono::NaiveDate>| value.map(|d| d.to_string()).unwrap_or_default();
    let amount =
        |value: Option<rust_decimal::Decimal>| value.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <div class="filters" role="search">
            {(choices.pipelines.len() > 1).then(|| view! {
                <label class="field field-inline">
                    <span class="sr-only">{t!(i18n, board.pipeline)}</span>
                    <select
                        name="pipeline"
                        aria-label=move || t_string!(i18n, board.pipeline).to_string()
                        on:change=move |ev| set("pipeline", event_target_value(&ev))
                    >
                        {choices.pipelines.iter().map(|(id, name)| {
                            let id = *id;
                            view! { <option value=id.0.to_string() selected=move || shown_pipeline() == Some(id)>{name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
            })}
            <label class="field field-inline field-grow">
                <span class="sr-only">{t!(i18n, board.search)}</span>
                <input
                    type="search"
                    name="q"
                    placeholder=move || t_string!(i18n, board.search).to_string()
                    aria-label=move || t_string!(i18n, board.search).to_string()
                    prop:value=move || filter.get().search.unwrap_or_default()
                    on:change=move |ev| set("q", event_target_value(&ev))
                />
            </label>
            <details class="filter-more" open=move || { active.get_untracked() > 0 }>
                <summary class="btn btn-small">
                    {t!(i18n, board.filters)}
                    <Show when=move || { active.get() > 0 }>
                        <span class="count">{move || active.get()}</span>
                    </Show>
                </summary>
                <div class="filter-grid">
                    <label class="field">
                        <span>{t!(i18n, deal.responsible)}</span>
                        <select name="responsible" on:change=move |ev| set("responsible", event_target_value(&ev))>
                            <option value="">{t!(i18n, board.anyone)}</option>
                            {choices.users.iter().map(|(id, name)| {
                                let id = *id;
                                view! { <option value=id.0.to_string() selected=move || filter.get().responsible == Some(id)>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.department)}</span>
                        <select name="department" on:change=move |ev| set("department", event_target_value(&ev))>
                            <option value="">{t!(i18n, board.any_department)}</option>
                            {choices.departments.iter().map(|(id, name)| {
                                let id = *id;
                                view! { <option value=id.0.to_string() selected=move || filter.get().department == Some(id)>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.amount_from)}</span>
                        <input type="number" name="min" min="0" step="0.01" inputmode="decimal"
                            prop:value=move || amount(filter.get().amount_min)
                            on:change=move |ev| set("min", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.amount_to)}</span>
                        <input type="number" name="max" min="0" step="0.01" inputmode="decimal"
                            prop:value=move || amount(filter.get().amount_max)
                            on:change=move |ev| set("max", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.created_from)}</span>
                        <input type="date" name="from"
                            prop:value=move || date(filter.get().created_from)
                            on:change=move |ev| set("from", event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>{t!(i18n, board.created_to)}</span>
                        <input type="date" name="to"
                            prop:value=move || date(filter.get().created_to)
                            on:change=move |ev| set("to", event_target_value(&ev)) />
                    </label>
                    <label class="check">
                        <input
                            type="checkbox"
                            name="sla"
                            prop:checked=move || filter.get().sla_exceeded
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                set_query.run(vec![("sla".to_owned(), on.then(|| "1".to_owned()))]);
                            }
                        />
                        <span>{t!(i18n, board.sla_only)}</span>
                    </label>
                    {move || {
                        let pipeline = shown_pipeline();
                        custom_fields
                            .get_value()
                            .into_iter()
                            .filter(|field| field.applies_to(RecordKind::Deal, pipeline))
                            .map(|field| view! { <CustomFieldFilter field users=users.get_value() filter set_query /> })
                            .collect_view()
                    }}
                    <button
                        type="button"
                        class="btn btn-small"
                        on:click=move |_| {
                            let custom = filter.get_untracked().custom;
                            set_query.run(
                                FILTER_KEYS
                                    .iter()
                                    .map(|key| (*key).to_owned())
                                    .chain(custom.iter().flat_map(|f| CustomFilter::keys(f.field)))
                                    .map(|key| (key, None))
                                    .collect(),
                            )
                        }
                    >
                        {t!(i18n, board.clear_filters)}
                    </button>
                </div>
            </details>
        </div>
    }
}

/// The filter inputs of one custom field: an option or a colleague, or two bounds.
#[component]
fn CustomFieldFilter(
    field: CustomFieldView,
    users: Vec<(shared::user::UserId, String)>,
    filter: Memo<BoardFilter>,
    set_query: Callback<Vec<(String, Option<String>)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = field.id;
    let [key, min_key, max_key] = CustomFilter::keys(id);
    let current = move || {
        filter
            .get()
            .custom
            .into_iter()
            .find(|f| f.field == id)
            .unwrap_or_default()
    };
    let set = move |key: String, value: String| set_query.run(vec![(key, Some(value))]);
    let label = field.label.clone();
    match field.kind.filter() {
        Some(FilterShape::Option | FilterShape::User) => {
            let choices: Vec<(String, String)> = if field.kind.has_options() {
                field
                    .options
                    .iter()
                    .map(|o| (o.clone(), o.clone()))
                    .collect()
            } else {
                users
                    .into_iter()
                    .map(|(u, name)| (u.0.to_string(), name))
                    .collect()
            };
            view! {
                <label class="field">
                    <span>{label}</span>
                    <select name=key.clone() on:change=move |ev| set(key.clone(), event_target_value(&ev))>
                        <option value="">{t!(i18n, board.anyone)}</option>
                        {choices.into_iter().map(|(value, shown)| {
                            let chosen = value.clone();
                            view! { <option value=value selected=move || current().equals.as_deref() == Some(chosen.as_str())>{shown}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
            .into_any()
        }
        Some(shape) => {
            let input_type = if shape == FilterShape::Period {
                "date"
            } else {
                "text"
            };
            let (min_label, max_label) = (label.clone(), label);
            view! {
                <label class="field">
                    <span>{min_label} " " {t!(i18n, custom.min)}</span>
                    <input type=input_type name=min_key.clone() inputmode="decimal"
                        prop:value=move || current().min.unwrap_or_default()
                        on:change=move |ev| set(min_key.clone(), event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{max_label} " " {t!(i18n, custom.max)}</span>
                    <input type=input_type name=max_key.clone() inputmode="decimal"
                        prop:value=move || current().max.unwrap_or_default()
                        on:change=move |ev| set(max_key.clone(), event_target_value(&ev)) />
                </label>
            }
            .into_any()
        }
        None => ().into_any(),
    }
}

/// Reloads the board, but never under the user's hands: while a card is dragged or a form
/// is open on the board (a reload re-renders it), the reload waits and retries.
fn request_reload(refresh: RwSignal<u32>, drag: BoardDrag) {
    if drag.dragging.get_untracked().is_some() || board_has_open_form() {
        if !drag.pending_reload.get_untracked() {
            drag.pending_reload.set(true);
            set_timeout(
                move || {
                    drag.pending_reload.set(false);
                    request_reload(refresh, drag);
                },
                std::time::Duration::from_millis(700),
            );
        }
        return;
    }
    refresh.update(|n| *n += 1);
}

fn board_has_open_form() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document()
            .query_selector(".move-form, .new-deal, .return-dialog")
            .ok()
            .flatten()
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

#[component]
fn Board(
    board: BoardView,
    filter: BoardFilter,
    selected: RwSignal<Option<StageId>>,
    changed: Callback<DealView>,
    updates: LiveUpdates,
) -> impl IntoView {
    let i18n = use_i18n();
    let pipeline = StoredValue::new(board.pipeline.clone());
    let states: Vec<ColumnState> = board.columns.iter().map(ColumnState::new).collect();
    let board_pipeline = board.pipeline.id;
    {
        let states = states.clone();
        Effect::new(move |ran: Option<()>| {
            let arrived = updates.take();
            // Updates read before this board was loaded are older than what it shows.
            if ran.is_none() {
                return;
            }
            for (pipeline, update) in arrived {
                let shown = states
                    .iter()
                    .filter_map(|s| s.version_of(update.deal))
                    .max();
                let stale = update
                    .card
                    .as_ref()
                    .zip(shown)
                    .is_some_and(|(card, shown)| card.version < shown);
                if pipeline == board_pipeline && !stale {
                    for state in &states {
                        state.apply(&update);
                    }
                }
            }
        });
    }
    let now = board.now;
    let first_stage = board.columns.first().map(|c| c.stage.id);
    let stage_ids: Vec<StageId> = board.columns.iter().map(|c| c.stage.id).collect();
    let current = Signal::derive(move || {
        selected
            .get()
            .filter(|id| stage_ids.contains(id))
            .or(first_stage)
    });
    let tabs = board.columns.clone();
    let drag = expect_context::<BoardDrag>();
    let tab_accepts = move |id: StageId| {
        drag.touch.with(|t| t.is_some_and(|t| t.lifted))
            && drag.dragging.with(|dragged| {
                dragged.as_ref().is_some_and(|deal| {
                    pipeline.with_value(|p| check_move(p, deal.stage_id, id).is_ok())
                })
            })
    };
    let error = Signal::derive(move || drag.action.value().get().and_then(Result::err));
    let reason = RwSignal::new(String::new());
    view! {
        <FormError error />
        {move || {
            drag.awaiting_reason
                .get()
                .map(|(deal, to)| {
                    let stage_name = pipeline.with_value(|p| p.stage(to).map(|s| s.name.clone()).unwrap_or_default());
                    view! {
                        <form
                            class="card form return-dialog"
                            role="dialog"
                            aria-label=move || t_string!(i18n, board.reason).to_string()
                            on:submit=move |ev| {
                                ev.prevent_default();
                                drag.action.dispatch(MoveDealRequest {
                                    cmd: MoveDeal { deal_id: deal.id, to_stage: to, version: deal.version, comment: reason.get_untracked() },
                                });
                            }
                        >
                            <p>
                                <strong>{deal.title.clone()}</strong>
                                " → "
                                {stage_name}
                            </p>
                            <label class="field">
                                <span>{t!(i18n, board.reason)}</span>
                                <textarea rows="2" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                            </label>
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary btn-small">{t!(i18n, board.do_move)}</button>
                                <button type="button" class="btn btn-small" on:click=move |_| drag.awaiting_reason.set(None)>
                                    {t!(i18n, admin.cancel)}
                                </button>
                            </div>
                        </form>
                    }
                })
        }}
        <nav class="stage-tabs" aria-label=move || t_string!(i18n, board.stages).to_string()>
            {tabs
                .into_iter()
                .zip(states.clone())
                .map(|(column, state)| {
                    let id = column.stage.id;
                    let count = state.count;
                    view! {
                        <button
                            type="button"
                            class="stage-tab"
                            data-stage-id=id.0.to_string()
                            class:drop-target=move || tab_accepts(id)
                            class:drop-over=move || drag.over.get() == Some(id)
                            aria-pressed=move || (current.get() == Some(id)).to_string()
                            on:click=move |_| selected.set(Some(id))
                        >
                            {column.stage.name.clone()}
                            <span class="count">{move || count.get()}</span>
                        </button>
                    }
                })
                .collect_view()}
        </nav>
        <div class="board">
            {board
                .columns
                .into_iter()
                .zip(states)
                .map(|(column, state)| {
                    let id = column.stage.id;
                    view! {
                        <Column stage=column.stage state pipeline filter=filter.clone() now changed active=Signal::derive(move || current.get() == Some(id)) />
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Changes read for live notices, waiting for the board to apply them in order.
#[derive(Clone, Copy)]
struct LiveUpdates {
    queue: StoredValue<Vec<(PipelineId, BoardUpdate)>>,
    arrived: RwSignal<u32>,
}

impl LiveUpdates {
    fn new() -> Self {
        LiveUpdates {
            queue: StoredValue::new(Vec::new()),
            arrived: RwSignal::new(0),
        }
    }

    fn push(&self, pipeline: PipelineId, update: BoardUpdate) {
        self.queue
            .update_value(|queue| queue.push((pipeline, update)));
        self.arrived.update(|n| *n = n.wrapping_add(1));
    }

    /// Everything that arrived (and subscribes the caller to what arrives next).
    fn take(&self) -> Vec<(PipelineId, BoardUpdate)> {
        self.arrived.track();
        let mut taken = Vec::new();
        self.queue
            .update_value(|queue| taken = std::mem::take(queue));
        taken
    }
}

/// Reads the changed card for a live notice. When the connection drops the board keeps
/// what it shows and tries again with growing pauses (1, 2, 4, 8, 16 s, then every 16 s
/// for a few minutes).
fn fetch_update(live: LiveDeal, filter: Memo<BoardFilter>, updates: LiveUpdates, attempt: u32) {
    let filter_now = filter.get_untracked();
    leptos::task::spawn_local(async move {
        match load_board_update(live.pipeline_id, filter_now, live.deal_id).await {
            Ok(update) => updates.push(live.pipeline_id, update),
            Err(_) if attempt < 20 => set_timeout(
                move || fetch_update(live, filter, updates, attempt + 1),
                std::time::Duration::from_secs(1 << attempt.min(4)),
            ),
            Err(_) => {}
        }
    });
}

/// One column's totals and the cards it shows, which live updates patch in place.
#[derive(Clone, Copy)]
struct ColumnState {
    stage: StageId,
    count: RwSignal<u64>,
    sums: RwSignal<Vec<(String, i64)>>,
    cards: RwSignal<Vec<DealView>>,
}

impl ColumnState {
    /// The version of a deal's card in this column, if it shows it.
    fn version_of(&self, deal: DealId) -> Option<i32> {
        self.cards.with_untracked(|cards| {
            cards
                .iter()
                .find(|card| card.id == deal)
                .map(|card| card.version)
        })
    }

    fn new(column: &ColumnView) -> Self {
        ColumnState {
            stage: column.stage.id,
            count: RwSignal::new(column.count),
            sums: RwSignal::new(column.sums.clone()),
            cards: RwSignal::new(column.deals.clone()),
        }
    }

    /// Takes the new totals, drops the changed deal's old card and places its new one
    /// where the column's order (newest arrival first) puts it, if that is among the cards
    /// shown.
    fn apply(&self, update: &BoardUpdate) {
        if let Some((_, count, sums)) = update.totals.iter().find(|(id, ..)| *id == self.stage) {
            self.count.set(*count);
            self.sums.set(sums.clone());
        }
        let all_shown = self
            .cards
            .with_untracked(|c| c.len() as u64 + 1 >= self.count.get_untracked());
        self.cards.update(|cards| {
            cards.retain(|card| card.id != update.deal);
            if let Some(card) = update.card.as_ref().filter(|c| c.stage_id == self.stage) {
                let key = |d: &DealView| (d.stage_entered_at, d.id);
                match cards.iter().position(|d| key(d) < key(card)) {
                    Some(at) => cards.insert(at, card.clone()),
                    None if all_shown => cards.push(card.clone()),
                    None => {}
                }
            }
        });
    }
}

/// Drag and drop: the card being dragged, the move action, and a return dropped on an
/// earlier stage waiting for its reason. The mouse uses the browser's drag and drop; touch
/// uses pointer events, started by a long press so that a swipe still scrolls the board.
/// ("Move to…" covers keyboards.)
#[derive(Clone, Copy)]
struct BoardDrag {
    dragging: RwSignal<Option<DealView>>,
    /// A finger on a card: pressing (waiting for the long press) or dragging.
    touch: RwSignal<Option<TouchDrag>>,
    /// The stage (column or tab) under the finger while a touch drag is on.
    over: RwSignal<Option<StageId>>,
    awaiting_reason: RwSignal<Option<(DealView, StageId)>>,
    /// A reload is waiting for the drag or an open form to finish.
    pending_reload: RwSignal<bool>,
    action: ServerAction<MoveDealRequest>,
}

impl BoardDrag {
    fn new() -> Self {
        BoardDrag {
            dragging: RwSignal::new(None),
            touch: RwSignal::new(None),
            over: RwSignal::new(None),
            awaiting_reason: RwSignal::new(None),
            pending_reload: RwSignal::new(false),
            action: ServerAction::new(),
        }
    }

    /// Drops the dragged card on `to`: forward moves go at once, returns ask for a reason.
    fn drop_on(&self, pipeline: &PipelineView, to: StageId) {
        let Some(deal) = self.dragging.get_untracked() else {
            return;
        };
        self.dragging.set(None);
        let (Some(from_stage), Some(to_stage)) =
            (pipeline.stage(deal.stage_id), pipeline.stage(to))
        else {
            return;
        };
        if check_move(pipeline, deal.stage_id, to).is_err() {
            return;
        }
        if direction(from_stage, to_stage) == MoveDirection::Return {
            self.awaiting_reason.set(Some((deal, to)));
        } else {
            self.action.dispatch(MoveDealRequest {
                cmd: MoveDeal {
                    deal_id: deal.id,
                    to_stage: to,
                    version: deal.version,
                    comment: String::new(),
                },
            });
        }
    }
}

/// How long a finger rests on a card before it lifts, and how far it may wander meanwhile
/// (further means the user is scrolling).
const LONG_PRESS_MS: u64 = 450;
const PRESS_SLOP_PX: f64 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq)]
struct TouchDrag {
    pointer_id: i32,
    deal: shared::deal::DealId,
    start: (f64, f64),
    offset: (f64, f64),
    /// The long press has completed: the card follows the finger.
    lifted: bool,
}

impl BoardDrag {
    fn touch_down(&self, ev: &leptos::ev::PointerEvent, deal: &DealView) {
        if ev.pointer_type() != "touch" || self.touch.get_untracked().is_some() {
            return;
        }
        let pointer_id = ev.pointer_id();
        self.touch.set(Some(TouchDrag {
            pointer_id,
            deal: deal.id,
            start: (f64::from(ev.client_x()), f64::from(ev.client_y())),
            offset: (0.0, 0.0),
            lifted: false,
        }));
        let (this, deal) = (*self, deal.clone());
        set_timeout(
            move || {
                let still_pressed = this
                    .touch
                    .with_untracked(|t| t.is_some_and(|t| t.pointer_id == pointer_id && !t.lifted));
                if still_pressed {
                    this.touch.update(|t| {
                        if let Some(t) = t {
                            t.lifted = true;
                        }
                    });
                    this.dragging.set(Some(deal));
                }
            },
            std::time::Duration::from_millis(LONG_PRESS_MS),
        );
    }

    fn touch_move(&self, ev: &leptos::ev::PointerEvent, pipeline: &PipelineView) {
        let Some(touch) = self.touch.get_untracked() else {
            return;
        };
        if touch.pointer_id != ev.pointer_id() {
            return;
        }
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let offset = (x - touch.start.0, y - touch.start.1);
        if !touch.lifted {
            if offset.0.hypot(offset.1) > PRESS_SLOP_PX {
                // A swipe: let the browser scroll.
                self.touch.set(None);
            }
            return;
        }
        ev.prevent_default();
        self.touch.set(Some(TouchDrag { offset, ..touch }));
        let target = stage_under(x, y).filter(|to| {
            self.dragging.with_untracked(|d| {
                d.as_ref()
                    .is_some_and(|deal| check_move(pipeline, deal.stage_id, *to).is_ok())
            })
        });
        if self.over.get_untracked() != target {
            self.over.set(target);
        }
    }

    fn touch_up(&self, ev: &leptos::ev::PointerEvent, pipeline: &PipelineView) {
        let Some(touch) = self.touch.get_untracked() else {
            return;
        };
        if touch.pointer_id != ev.pointer_id() {
            return;
        }
        self.touch.set(None);
        if touch.lifted {
            match self.over.get_untracked() {
                Some(to) => self.drop_on(pipeline, to),
                None => self.dragging.set(None),
            }
            self.over.set(None);
        }
    }

    fn touch_cancel(&self) {
        if self.touch.get_untracked().is_some_and(|t| t.lifted) {
            self.dragging.set(None);
        }
        self.touch.set(None);
        self.over.set(None);
    }

    /// Whether a touch drag holds this card (lifted and following the finger).
    fn lifted(&self, deal: shared::deal::DealId) -> Option<(f64, f64)> {
        self.touch
            .get()
            .filter(|t| t.lifted && t.deal == deal)
            .map(|t| t.offset)
    }
}

/// The stage whose column or tab is at a point of the screen, skipping the lifted card.
fn stage_under(x: f64, y: f64) -> Option<StageId> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        document()
            .elements_from_point(x as f32, y as f32)
            .iter()
            .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
            .filter(|el| el.closest(".lifted").ok().flatten().is_none())
            .find_map(|el| el.closest("[data-stage-id]").ok().flatten())
            .and_then(|el| el.get_attribute("data-stage-id"))
            .and_then(|id| id.parse().ok())
            .map(StageId)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (x, y);
        None
    }
}

#[component]
fn Column(
    stage: StageView,
    state: ColumnState,
    pipeline: StoredValue<PipelineView>,
    filter: BoardFilter,
    now: chrono::DateTime<chrono::Utc>,
    changed: Callback<DealView>,
    active: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let creating = RwSignal::new(false);
    let is_first = pipeline.with_value(|p| p.first_stage().map(|s| s.id) == Some(stage.id));
    let sums = move || {
        let text = state.sums.with(|sums| {
            sums.iter()
                .map(|(currency, minor)| format_money(&shared::deal::from_minor(*minor, currency)))
                .collect::<Vec<_>>()
                .join(" + ")
        });
        if text.is_empty() {
            "—".to_owned()
        } else {
            text
        }
    };
    let label = stage.name.clone();
    // Paging inside the column: the first page came with the board, "Show more" appends
    // (skipping cards a live update already placed).
    let shown = Signal::derive(move || state.cards.with(|c| c.len() as u64));
    let next_page = ServerAction::<LoadColumnPage>::new();
    Effect::new(move |_| {
        if let Some(Ok(page)) = next_page.value().get() {
            state.cards.update(|cards| {
                for deal in page {
                    if !cards.iter().any(|c| c.id == deal.id) {
                        cards.push(deal);
                    }
                }
            });
        }
    });
    let drag = expect_context::<BoardDrag>();
    let stage_id = stage.id;
    let accepts = move || {
        drag.dragging.with(|dragged| {
            dragged.as_ref().is_some_and(|deal| {
                pipeline.with_value(|p| check_move(p, deal.stage_id, stage_id).is_ok())
            })
        })
    };
    view! {
        <section
            class="column"
            data-stage-id=stage_id.0.to_string()
            class:active=move || active.get()
            class:drop-target=accepts
            class:drop-over=move || drag.over.get() == Some(stage_id)
            aria-label=label
            on:dragover=move |ev| {
                if accepts() {
                    ev.prevent_default();
                }
            }
            on:drop=move |ev| {
                ev.prevent_default();
                pipeline.with_value(|p| drag.drop_on(p, stage_id));
            }
        >
            <header class="column-head">
                <span class="dot" data-kind=stage.kind.as_str()></span>
                <h2>{stage.name.clone()}</h2>
                <span class="count" title=move || t_string!(i18n, board.count).to_string()>{move || state.count.get()}</span>
            </header>
            <p class="column-sum">{sums}</p>
            {is_first.then(|| view! {
                <button type="button" class="btn btn-small btn-block" on:click=move |_| creating.set(true)>
                    {t!(i18n, board.new_deal)}
                </button>
                <Show when=move || creating.get()>
                    <NewDealForm pipeline_id=pipeline.with_value(|p| p.id) done=Callback::new(move |deal| { creating.set(false); changed.run(deal) }) cancel=Callback::new(move |()| creating.set(false)) />
                </Show>
            })}
            <ul class="cards">
                <For
                    each=move || state.cards.get()
                    key=|deal| (deal.id, deal.version)
                    let:deal
                >
                    <Card deal stage=stage.clone() pipeline now changed />
                </For>
            </ul>
            <Show when=move || shown.get() < state.count.get()>
                <button
                    type="button"
                    class="btn btn-small btn-block"
                    disabled=move || next_page.pending().get()
                    on:click={
                        let filter = filter.clone();
                        move |_| {
                            next_page.dispatch(LoadColumnPage {
                                pipeline: pipeline.with_value(|p| p.id),
                                stage: stage_id,
                                filter: filter.clone(),
                                offset: shown.get_untracked(),
                            });
                        }
                    }
                >
                    {move || t_string!(i18n, board.show_more, left = state.count.get().saturating_sub(shown.get())).to_string()}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn Card(
    deal: DealView,
    stage: shared::pipeline::StageView,
    pipeline: StoredValue<PipelineView>,
    now: chrono::DateTime<chrono::Utc>,
    changed: Callback<DealView>,
) -> impl IntoView {
    let i18n = use_i18n();
    // A card that arrived live entered its stage after the board was read.
    let in_stage = (now - deal.stage_entered_at).num_seconds().max(0);
    let breached = stage.sla_seconds.is_some_and(|sla| in_stage > sla);
    let moving = RwSignal::new(false);
    let title = deal.title.clone();
    let drag = expect_context::<BoardDrag>();
    let dragged = deal.clone();
    let pressed = deal.clone();
    let deal_id = deal.id;
    view! {
        <li
            class="card deal-card"
            class:breached=breached
            class:lifted=move || drag.lifted(deal_id).is_some()
            style:transform=move || {
                drag.lifted(deal_id).map(|(x, y)| format!("translate({x}px, {y}px) rotate(2deg)"))
            }
            draggable="true"
            on:pointerdown=move |ev| drag.touch_down(&ev, &pressed)
            on:pointermove=move |ev| pipeline.with_value(|p| drag.touch_move(&ev, p))
            on:pointerup=move |ev| pipeline.with_value(|p| drag.touch_up(&ev, p))
            on:pointercancel=move |_| drag.touch_cancel()
            // Once the card is lifted the finger drags it, not the page.
            on:touchmove=move |ev| {
                if drag.touch.with_untracked(|t| t.is_some_and(|t| t.lifted)) {
                    ev.prevent_default();
                }
            }
            on:contextmenu=move |ev| {
                if drag.touch.with_untracked(Option::is_some) {
                    ev.prevent_default();
                }
            }
            on:dragstart=move |ev| {
                // A long press on a touch screen is ours, not the browser's drag and drop.
                if drag.touch.with_untracked(Option::is_some) {
                    ev.prevent_default();
                    return;
                }
                if let Some(transfer) = ev.data_transfer() {
                    let _ = transfer.set_data("text/plain", &dragged.id.0.to_string());
                    transfer.set_effect_allowed("move");
                }
                drag.dragging.set(Some(dragged.clone()));
            }
            on:dragend=move |_| drag.dragging.set(None)
        >
            <h3>
                <a href=format!("/deals/{}", deal.id.0)>{deal.title.clone()}</a>
            </h3>
            {deal.client.as_ref().map(|client| view! {
                <p class="muted small card-client">
                    {client.name.clone()} " " <LocalTime time_zone=client.time_zone.clone() now />
                </p>
            })}
            <p class="amount">{deal.amount.as_ref().map(format_money).unwrap_or_default()}</p>
            <div class="card-meta">
                <span class="small">{deal.responsible_name.clone().unwrap_or_default()}</span>
                <span class="small" class:sla-breach=breached>
                    {move || format_duration(i18n, in_stage)}
                    {breached.then(|| view! { <span class="badge badge-danger">{t!(i18n, board.sla_breached)}</span> })}
                </span>
            </div>
            <button
                type="button"
                class="btn btn-small"
                aria-label=move || t_string!(i18n, board.move_deal, title = title.clone()).to_string()
                aria-expanded=move || moving.get().to_string()
                on:click=move |_| moving.update(|m| *m = !*m)
            >
                {t!(i18n, board.move_to)}
            </button>
            <Show when=move || moving.get()>
                <MoveForm deal=deal.clone() pipeline done=Callback::new(move |deal| { moving.set(false); changed.run(deal) }) />
            </Show>
        </li>
    }
}

#[component]
fn MoveForm(
    deal: DealView,
    pipeline: StoredValue<PipelineView>,
    done: Callback<DealView>,
) -> impl IntoView {
    let i18n = use_i18n();
    let targets: Vec<_> = pipeline.with_value(|p| {
        allowed_targets(p, deal.stage_id)
            .into_iter()
            .filter_map(|id| p.stage(id).cloned())
            .collect()
    });
    let target = RwSignal::new(targets.first().map(|s| s.id));
    let comment = RwSignal::new(String::new());
    let from = deal.stage_id;
    let is_return = Signal::derive(move || {
        pipeline.with_value(
            |p| match (p.stage(from), target.get().and_then(|t| p.stage(t))) {
                (Some(from), Some(to)) => direction(from, to) == MoveDirection::Return,
                _ => false,
            },
        )
    });
    let action = ServerAction::<MoveDealRequest>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(moved)) = action.value().get() {
            done.run(moved);
        }
    });
    let (id, version) = (deal.id, deal.version);
    view! {
        <form
            class="move-form"
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(to_stage) = target.get_untracked() {
                    action.dispatch(MoveDealRequest { cmd: MoveDeal { deal_id: id, to_stage, version, comment: comment.get_untracked() } });
                }
            }
        >
            <label class="field">
                <span>{t!(i18n, board.target)}</span>
                <select on:change=move |ev| target.set(event_target_value(&ev).parse().ok().map(StageId))>
                    {targets
                        .into_iter()
                        .map(|stage| view! { <option value=stage.id.0.to_string()>{stage.name}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>
                    {move || if is_return.get() { t_string!(i18n, board.reason).to_string() } else { t_string!(i18n, board.comment).to_string() }}
                </span>
                <textarea rows="2" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
            </label>
            <FormError error />
            <button type="submit" class="btn btn-primary btn-small" disabled=move || action.pending().get()>
                {t!(i18n, board.do_move)}
            </button>
        </form>
    }
}

#[component]
fn NewDealForm(
    pipeline_id: PipelineId,
    done: Callback<DealView>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title = RwSignal::new(String::new());
    let client = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let action = ServerAction::<CreateDeal>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(created)) = action.value().get() {
            done.run(created);
        }
    });
    view! {
        <form
            class="card form new-deal"
            on:submit=move |ev| {
                ev.prevent_default();
                let money = match crate::deal_form::parse_amount(&amount.get_untracked(), "RUB") {
                    Ok(money) => money,
                    Err(err) => return local_error.set(Some(err)),
                };
                local_error.set(None);
                let blank_to_none = |s: String| Some(s).filter(|s| !s.trim().is_empty());
                action.dispatch(CreateDeal {
                    deal: NewDeal {
                        pipeline_id,
                        title: title.get_untracked(),
                        client_name: blank_to_none(client.get_untracked()),
                        client_phone: blank_to_none(phone.get_untracked()),
                        client_email: None,
                        amount: money,
                        responsible: None,
                        client: None,
                        custom: Vec::new(),
                    },
                });
            }
        >
            <label class="field">
                <span>{t!(i18n, board.deal_title)}</span>
                <input type="text" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>{t!(i18n, board.client)}</span>
                <input type="text" prop:value=move || client.get() on:input=move |ev| client.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>{t!(i18n, board.phone)}</span>
                <input type="tel" prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>{t!(i18n, board.amount)}</span>
                <input type="text" inputmode="decimal" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
            </label>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary btn-small" disabled=move || action.pending().get()>{t!(i18n, admin.create)}</button>
                <button type="button" class="btn btn-small" on:click=move |_| cancel.run(())>{t!(i18n, admin.cancel)}</button>
            </div>
        </form>
    }
}
