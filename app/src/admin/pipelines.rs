//! The pipelines page: create a pipeline from a template; rename it; rename, recolour,
//! reorder, add and remove stages (a stage holding deals asks where they go); set each
//! stage's department, SLA, kind and required fields; and edit the move matrix.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::custom_field::CustomFieldId;
use shared::department::DepartmentId;
use shared::pipeline::{
    AllowedMove, DealField, PipelineDraft, PipelineId, PipelineView, StageDraft, StageId,
    StageKind, StageRemoval, StageView, allowed_targets,
};

use crate::errors::{FormError, deal_field_label, error_message};
use crate::i18n::*;

/// Everything the editor shows for one pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineEditor {
    pub pipelines: Vec<(PipelineId, String)>,
    pub pipeline: Option<PipelineView>,
    /// Deals per stage now, so removing a stage can say how many must move.
    pub deal_counts: Vec<(StageId, u64)>,
    pub departments: Vec<(DepartmentId, String)>,
    /// The custom deal fields of this pipeline a stage may require.
    pub custom_fields: Vec<(CustomFieldId, String)>,
}

#[server(prefix = "/api", endpoint = "load_pipeline_editor", input = server_fn::codec::Json)]
pub async fn load_pipeline_editor(id: Option<PipelineId>) -> Result<PipelineEditor, AppError> {
    use crate::backend::{db, identity};
    use shared::pipeline::service as pipelines;
    identity()?.actor.require_admin()?;
    let db = db()?;
    let list = pipelines::list_pipelines(&db).await?;
    let pipeline = match id.or_else(|| list.first().map(|(id, _)| *id)) {
        Some(id) => Some(pipelines::load_pipeline(&db, id).await?),
        None => None,
    };
    let deal_counts = match &pipeline {
        Some(p) => pipelines::stage_deal_counts(&db, p.id).await?,
        None => Vec::new(),
    };
    let departments = shared::department::service::list_departments(&db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let custom_fields = match &pipeline {
        Some(p) => shared::custom_field::service::fields_for(
            &db,
            shared::custom_field::RecordKind::Deal,
            Some(p.id),
        )
        .await?
        .into_iter()
        .map(|field| (field.id, field.label))
        .collect(),
        None => Vec::new(),
    };
    Ok(PipelineEditor {
        pipelines: list,
        pipeline,
        deal_counts,
        departments,
        custom_fields,
    })
}

#[server(prefix = "/api", endpoint = "create_pipeline", input = server_fn::codec::Json)]
pub async fn create_pipeline(name: String, template: String) -> Result<PipelineId, AppError> {
    use crate::backend::{db, identity, now};
    use shared::pipeline::service::{Template, create_from_template};
    let actor = identity()?.actor;
    let template = Template::parse(&template).ok_or(AppError::validation(
        shared::Field::Stage,
        shared::Rule::UnknownValue,
    ))?;
    let db = db()?;
    let departments: Vec<_> = shared::department::service::list_departments(&db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    create_from_template(&db, &actor, &name, template, &departments, now()).await
}

#[server(prefix = "/api", endpoint = "save_pipeline", input = server_fn::codec::Json)]
pub async fn save_pipeline(draft: PipelineDraft) -> Result<PipelineView, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::deal::service::save_pipeline(&db()?, &events()?, &actor, &draft, now()).await
}

#[server(prefix = "/api", endpoint = "save_allowed_moves", input = server_fn::codec::Json)]
pub async fn save_allowed_moves(id: PipelineId, moves: Vec<AllowedMove>) -> Result<(), AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::pipeline::service::set_allowed_moves(&db()?, &actor, id, &moves).await
}

const TEMPLATES: [&str; 4] = [
    "loan_conveyor",
    "sales_funnel",
    "service_desk",
    "field_visits",
];

#[component]
pub fn PipelinesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let selected = Memo::new(move |_| {
        query
            .read()
            .get("id")
            .and_then(|v| v.parse().ok())
            .map(PipelineId)
    });
    let refresh = RwSignal::new(0_u32);
    let editor = Resource::new(
        move || (selected.get(), refresh.get()),
        |(id, _)| load_pipeline_editor(id),
    );
    let creating = RwSignal::new(false);
    // Lives above the editor, which is rebuilt from the saved pipeline after each save.
    let saved = RwSignal::new(false);
    let navigate = use_navigate();
    let open_pipeline = Callback::new(move |id: PipelineId| {
        saved.set(false);
        navigate(&format!("/admin/pipelines?id={}", id.0), Default::default());
    });
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, pipelines.title)}</h2>
            <button type="button" class="btn btn-primary" on:click=move |_| creating.set(true)>
                {t!(i18n, pipelines.new_pipeline)}
            </button>
        </div>
        <Show when=move || creating.get()>
            <NewPipelineForm
                done=Callback::new(move |id| { creating.set(false); open_pipeline.run(id) })
                cancel=Callback::new(move |()| creating.set(false))
            />
        </Show>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || editor.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(editor) => view! { <PipelineEditorView editor open_pipeline reload saved /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn NewPipelineForm(done: Callback<PipelineId>, cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let template = RwSignal::new(TEMPLATES[0].to_owned());
    let action = ServerAction::<CreatePipeline>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(id)) = action.value().get() {
            done.run(id);
        }
    });
    view! {
        <form
            class="card form new-pipeline"
            on:submit=move |ev| {
                ev.prevent_default();
                action.dispatch(CreatePipeline { name: name.get_untracked(), template: template.get_untracked() });
            }
        >
            <label class="field">
                <span>{t!(i18n, pipelines.name)}</span>
                <input type="text" name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label class="field">
                <span>{t!(i18n, pipelines.template)}</span>
                <select name="template" on:change=move |ev| template.set(event_target_value(&ev))>
                    {TEMPLATES.into_iter().map(|code| view! {
                        <option value=code>{move || template_name(i18n, code)}</option>
                    }).collect_view()}
                </select>
            </label>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t!(i18n, admin.create)}</button>
                <button type="button" class="btn" on:click=move |_| cancel.run(())>{t!(i18n, admin.cancel)}</button>
            </div>
        </form>
    }
}

fn template_name(i18n: leptos_i18n::I18nContext<Locale>, code: &str) -> String {
    match code {
        "loan_conveyor" => t_string!(i18n, pipelines.loan_conveyor).to_string(),
        "sales_funnel" => t_string!(i18n, pipelines.sales_funnel).to_string(),
        "field_visits" => t_string!(i18n, pipelines.field_visits).to_string(),
        _ => t_string!(i18n, pipelines.service_desk).to_string(),
    }
}

fn kind_name(i18n: leptos_i18n::I18nContext<Locale>, kind: StageKind) -> String {
    match kind {
        StageKind::Open => t_string!(i18n, pipelines.kind_open).to_string(),
        StageKind::Won => t_string!(i18n, pipelines.kind_won).to_string(),
        StageKind::Lost => t_string!(i18n, pipelines.kind_lost).to_string(),
        StageKind::Archive => t_string!(i18n, pipelines.kind_archive).to_string(),
    }
}

/// One stage row being edited: a signal per input, so reordering moves rows without
/// re-creating the inputs under the user's cursor.
#[derive(Clone, Copy)]
struct StageRow {
    key: usize,
    id: Option<StageId>,
    name: RwSignal<String>,
    color: RwSignal<String>,
    department: RwSignal<Option<DepartmentId>>,
    sla_hours: RwSignal<String>,
    kind: RwSignal<StageKind>,
    required: RwSignal<Vec<DealField>>,
    required_custom: RwSignal<Vec<CustomFieldId>>,
}

impl StageRow {
    fn new(key: usize, stage: Option<&StageView>) -> Self {
        StageRow {
            key,
            id: stage.map(|s| s.id),
            name: RwSignal::new(stage.map(|s| s.name.clone()).unwrap_or_default()),
            color: RwSignal::new(stage.map_or_else(|| "#6b7280".to_owned(), |s| s.color.clone())),
            department: RwSignal::new(stage.and_then(|s| s.department_id)),
            sla_hours: RwSignal::new(
                stage
                    .and_then(|s| s.sla_seconds)
                    .map(|seconds| {
                        (Decimal::from(seconds) / Decimal::from(3600))
                            .normalize()
                            .to_string()
                    })
                    .unwrap_or_default(),
            ),
            kind: RwSignal::new(stage.map(|s| s.kind).unwrap_or_default()),
            required: RwSignal::new(stage.map(|s| s.required_fields.clone()).unwrap_or_default()),
            required_custom: RwSignal::new(
                stage
                    .map(|s| s.required_custom_fields.clone())
                    .unwrap_or_default(),
            ),
        }
    }

    fn draft(&self) -> Result<StageDraft, AppError> {
        let sla_error = || AppError::validation(shared::Field::Sla, shared::Rule::MustBePositive);
        let sla_seconds = match self.sla_hours.get_untracked().trim() {
            "" => None,
            text => {
                let hours: Decimal = text.replace(',', ".").parse().map_err(|_| sla_error())?;
                Some(
                    (hours * Decimal::from(3600))
                        .round()
                        .to_i64()
                        .ok_or_else(sla_error)?,
                )
            }
        };
        Ok(StageDraft {
            id: self.id,
            name: self.name.get_untracked(),
            color: self.color.get_untracked(),
            department_id: self.department.get_untracked(),
            sla_seconds,
            required_fields: self.required.get_untracked(),
            required_custom_fields: self.required_custom.get_untracked(),
            kind: self.kind.get_untracked(),
        })
    }
}

#[component]
fn PipelineEditorView(
    editor: PipelineEditor,
    open_pipeline: Callback<PipelineId>,
    reload: Callback<()>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let Some(pipeline) = editor.pipeline.clone() else {
        return view! { <p class="muted">{t!(i18n, pipelines.none)}</p> }.into_any();
    };
    let current_id = pipeline.id;
    let pipelines = editor.pipelines.clone();
    view! {
        <label class="field field-inline pipeline-switch">
            <span>{t!(i18n, board.pipeline)}</span>
            <select name="pipeline" on:change=move |ev| {
                if let Ok(id) = event_target_value(&ev).parse() {
                    open_pipeline.run(PipelineId(id));
                }
            }>
                {pipelines.into_iter().map(|(id, name)| view! {
                    <option value=id.0.to_string() selected=id == current_id>{name}</option>
                }).collect_view()}
            </select>
        </label>
        <StagesEditor pipeline=pipeline.clone() deal_counts=editor.deal_counts departments=editor.departments custom_fields=editor.custom_fields reload saved />
        <MoveMatrix pipeline reload />
    }
    .into_any()
}

#[component]
fn StagesEditor(
    pipeline: PipelineView,
    deal_counts: Vec<(StageId, u64)>,
    departments: Vec<(DepartmentId, String)>,
    custom_fields: Vec<(CustomFieldId, String)>,
    reload: Callback<()>,
    saved: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let custom_fields = StoredValue::new(custom_fields);
    let name = RwSignal::new(pipeline.name.clone());
    let rows = RwSignal::new(
        pipeline
            .stages
            .iter()
            .enumerate()
            .map(|(key, stage)| StageRow::new(key, Some(stage)))
            .collect::<Vec<_>>(),
    );
    let next_key = StoredValue::new(pipeline.stages.len());
    // Removed stages that hold deals, with where their deals go.
    let destinations = RwSignal::new(Vec::<(StageId, RwSignal<Option<StageId>>)>::new());
    let stages = StoredValue::new(pipeline.stages.clone());
    let counts = StoredValue::new(deal_counts);
    let deals_in = move |id: StageId| {
        counts.with_value(|c| c.iter().find(|(s, _)| *s == id).map_or(0, |(_, n)| *n))
    };
    let removed = Memo::new(move |_| {
        let kept: Vec<StageId> = rows.with(|r| r.iter().filter_map(|row| row.id).collect());
        stages.with_value(|all| {
            all.iter()
                .filter(|s| !kept.contains(&s.id))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let departments = StoredValue::new(departments);
    let action = ServerAction::<SavePipeline>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            saved.set(true);
            reload.run(());
        }
    });
    let move_row = move |key: usize, delta: isize| {
        rows.update(|r| {
            if let Some(at) = r.iter().position(|row| row.key == key) {
                let to = at.saturating_add_signed(delta);
                if to < r.len() && to != at {
                    r.swap(at, to);
                }
            }
        });
    };
    let remove_row = move |key: usize| {
        rows.update(|r| r.retain(|row| row.key != key));
    };
    let add_row = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| {
            // New stages go before the closed ones, where work happens.
            let at = r
                .iter()
                .position(|row| row.kind.get_untracked().is_closed())
                .unwrap_or(r.len());
            r.insert(at, StageRow::new(key, None));
        });
    };
    let pipeline_id = pipeline.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let stages = match rows
            .get_untracked()
            .iter()
            .map(StageRow::draft)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(stages) => stages,
            Err(err) => return local_error.set(Some(err)),
        };
        local_error.set(None);
        let removals = destinations.with_untracked(|d| {
            d.iter()
                .filter_map(|(stage, to)| {
                    to.get_untracked().map(|to| StageRemoval {
                        stage: *stage,
                        move_deals_to: to,
                    })
                })
                .collect()
        });
        action.dispatch(SavePipeline {
            draft: PipelineDraft {
                id: pipeline_id,
                name: name.get_untracked(),
                stages,
                removals,
            },
        });
    };
    view! {
        <form class="card form pipeline-editor" on:submit=submit aria-label=move || t_string!(i18n, pipelines.stages).to_string()>
            <label class="field">
                <span>{t!(i18n, pipelines.name)}</span>
                <input type="text" name="pipeline-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <h3>{t!(i18n, pipelines.stages)}</h3>
            <ol class="stage-rows">
                <For each=move || rows.get() key=|row| row.key let:row>
                    {
                        let position = move || rows.with(|r| r.iter().position(|x| x.key == row.key).unwrap_or(0));
                        let last = move || rows.with(|r| r.len().saturating_sub(1));
                        let label = move || row.name.get();
                        view! {
                            <li class="stage-row" style:border-left-color=move || row.color.get()>
                                <div class="stage-row-main">
                                    <span class="stage-number">{move || position() + 1}</span>
                                    <label class="field field-grow">
                                        <span class="sr-only">{t!(i18n, pipelines.stage_name)}</span>
                                        <input type="text" class="stage-name" aria-label=move || t_string!(i18n, pipelines.stage_name).to_string()
                                            prop:value=move || row.name.get() on:input=move |ev| row.name.set(event_target_value(&ev)) />
                                    </label>
                                    <input type="color" class="stage-color" aria-label=move || t_string!(i18n, pipelines.color).to_string()
                                        prop:value=move || row.color.get() on:input=move |ev| row.color.set(event_target_value(&ev)) />
                                    <button type="button" class="btn btn-small btn-icon" disabled=move || position() == 0
                                        aria-label=move || t_string!(i18n, pipelines.move_up, name = label()).to_string()
                                        on:click=move |_| move_row(row.key, -1)>"↑"</button>
                                    <button type="button" class="btn btn-small btn-icon" disabled=move || position() == last()
                                        aria-label=move || t_string!(i18n, pipelines.move_down, name = label()).to_string()
                                        on:click=move |_| move_row(row.key, 1)>"↓"</button>
                                    <button type="button" class="btn btn-small btn-icon btn-danger-text"
                                        aria-label=move || t_string!(i18n, pipelines.remove, name = label()).to_string()
                                        on:click=move |_| remove_row(row.key)>"✕"</button>
                                </div>
                                <div class="stage-row-details">
                                    <label class="field">
                                        <span>{t!(i18n, board.department)}</span>
                                        <select class="stage-department" on:change=move |ev| row.department.set(event_target_value(&ev).parse().ok().map(DepartmentId))>
                                            <option value="" selected=move || row.department.get().is_none()>"—"</option>
                                            {departments.with_value(|list| list.iter().map(|(id, name)| {
                                                let id = *id;
                                                view! { <option value=id.0.to_string() selected=move || row.department.get() == Some(id)>{name.clone()}</option> }
                                            }).collect_view())}
                                        </select>
                                    </label>
                                    <label class="field">
                                        <span>{t!(i18n, pipelines.sla_hours)}</span>
                                        <input type="text" class="stage-sla" inputmode="decimal" placeholder="—"
                                            prop:value=move || row.sla_hours.get() on:input=move |ev| row.sla_hours.set(event_target_value(&ev)) />
                                    </label>
                                    <label class="field">
                                        <span>{t!(i18n, pipelines.kind)}</span>
                                        <select class="stage-kind" on:change=move |ev| row.kind.set(StageKind::parse(&event_target_value(&ev)).unwrap_or_default())>
                                            {StageKind::ALL.into_iter().map(|kind| view! {
                                                <option value=kind.as_str() selected=move || row.kind.get() == kind>{move || kind_name(i18n, kind)}</option>
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <fieldset class="required-fields">
                                        <legend>{t!(i18n, pipelines.required)}</legend>
                                        {DealField::ALL.into_iter().map(|field| view! {
                                            <label class="check">
                                                <input type="checkbox"
                                                    prop:checked=move || row.required.with(|r| r.contains(&field))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        row.required.update(|r| {
                                                            r.retain(|f| *f != field);
                                                            if on { r.push(field); }
                                                        });
                                                    } />
                                                <span>{move || deal_field_label(i18n, field)}</span>
                                            </label>
                                        }).collect_view()}
                                        {custom_fields.get_value().into_iter().map(|(field, label)| view! {
                                            <label class="check">
                                                <input type="checkbox"
                                                    prop:checked=move || row.required_custom.with(|r| r.contains(&field))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        row.required_custom.update(|r| {
                                                            r.retain(|f| *f != field);
                                                            if on { r.push(field); }
                                                        });
                                                    } />
                                                <span>{label}</span>
                                            </label>
                                        }).collect_view()}
                                    </fieldset>
                                </div>
                            </li>
                        }
                    }
                </For>
            </ol>
            <button type="button" class="btn btn-small" on:click=add_row>{t!(i18n, pipelines.add_stage)}</button>
            {move || {
                let gone = removed.get();
                (!gone.is_empty()).then(|| view! {
                    <div class="removed-stages" role="group" aria-label=move || t_string!(i18n, pipelines.removed).to_string()>
                        <h3>{t!(i18n, pipelines.removed)}</h3>
                        {gone.into_iter().map(|stage| {
                            let count = deals_in(stage.id);
                            let target = destinations.with_untracked(|d| d.iter().find(|(s, _)| *s == stage.id).map(|(_, t)| *t))
                                .unwrap_or_else(|| {
                                    let t = RwSignal::new(None);
                                    destinations.update_untracked(|d| d.push((stage.id, t)));
                                    t
                                });
                            let kept = rows.get_untracked().into_iter().filter_map(|r| r.id.map(|id| (id, r.name.get_untracked()))).collect::<Vec<_>>();
                            view! {
                                <div class="removed-stage">
                                    <strong>{stage.name.clone()}</strong>
                                    {if count == 0 {
                                        view! { <span class="muted small">{t!(i18n, pipelines.no_deals)}</span> }.into_any()
                                    } else {
                                        view! {
                                            <label class="field">
                                                <span>{t!(i18n, pipelines.move_deals_to, count = count)}</span>
                                                <select class="move-deals-to" on:change=move |ev| target.set(event_target_value(&ev).parse().ok().map(StageId))>
                                                    <option value="">"—"</option>
                                                    {kept.into_iter().map(|(id, name)| view! {
                                                        <option value=id.0.to_string() selected=move || target.get() == Some(id)>{name}</option>
                                                    }).collect_view()}
                                                </select>
                                            </label>
                                        }.into_any()
                                    }}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                })
            }}
            <FormError error />
            <Show when=move || saved.get()>
                <p class="form-ok" role="status">{t!(i18n, pipelines.saved)}</p>
            </Show>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t!(i18n, deal.save)}</button>
            </div>
        </form>
    }
}

/// The move matrix: the default rule, or an explicit grid of allowed moves (rows: from,
/// columns: to). Switching to explicit starts from what the default rule allows.
#[component]
fn MoveMatrix(pipeline: PipelineView, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let default_moves: Vec<AllowedMove> = {
        let mut by_default = pipeline.clone();
        by_default.allowed_moves.clear();
        by_default
            .stages
            .iter()
            .flat_map(|from| {
                allowed_targets(&by_default, from.id)
                    .into_iter()
                    .map(move |to| AllowedMove { from: from.id, to })
            })
            .collect()
    };
    let explicit = RwSignal::new(!pipeline.allowed_moves.is_empty());
    let moves = RwSignal::new(if pipeline.allowed_moves.is_empty() {
        default_moves.clone()
    } else {
        pipeline.allowed_moves.clone()
    });
    let action = ServerAction::<SaveAllowedMoves>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            reload.run(());
        }
    });
    let stages = StoredValue::new(pipeline.stages.clone());
    let id = pipeline.id;
    view! {
        <form
            class="card form move-matrix"
            on:submit=move |ev| {
                ev.prevent_default();
                let chosen = if explicit.get_untracked() { moves.get_untracked() } else { Vec::new() };
                action.dispatch(SaveAllowedMoves { id, moves: chosen });
            }
        >
            <h3>{t!(i18n, pipelines.moves)}</h3>
            <label class="check">
                <input type="radio" name="rule" prop:checked=move || !explicit.get() on:change=move |_| explicit.set(false) />
                <span>{t!(i18n, pipelines.default_rule)}</span>
            </label>
            <label class="check">
                <input type="radio" name="rule" prop:checked=move || explicit.get() on:change=move |_| explicit.set(true) />
                <span>{t!(i18n, pipelines.explicit_rule)}</span>
            </label>
            <Show when=move || explicit.get()>
                <div class="matrix-scroll">
                    <table class="matrix">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, pipelines.from_to)}</th>
                                {stages.with_value(|all| all.iter().map(|to| view! { <th scope="col"><span>{to.name.clone()}</span></th> }).collect_view())}
                            </tr>
                        </thead>
                        <tbody>
                            {stages.with_value(|all| all.iter().map(|from| {
                                let from_id = from.id;
                                view! {
                                    <tr>
                                        <th scope="row">{from.name.clone()}</th>
                                        {stages.with_value(|all| all.iter().map(|to| {
                                            let to_id = to.id;
                                            let this = AllowedMove { from: from_id, to: to_id };
                                            let label = format!("{} → {}", from.name, to.name);
                                            view! {
                                                <td>
                                                    {(from_id != to_id).then(|| view! {
                                                        <input type="checkbox" aria-label=label
                                                            prop:checked=move || moves.with(|m| m.contains(&this))
                                                            on:change=move |ev| {
                                                                let on = event_target_checked(&ev);
                                                                moves.update(|m| {
                                                                    m.retain(|x| *x != this);
                                                                    if on { m.push(this); }
                                                                });
                                                            } />
                                                    })}
                                                </td>
                                            }
                                        }).collect_view())}
                                    </tr>
                                }
                            }).collect_view())}
                        </tbody>
                    </table>
                </div>
            </Show>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{t!(i18n, pipelines.save_moves)}</button>
            </div>
        </form>
    }
}
