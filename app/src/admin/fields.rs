//! The custom fields page: define fields for deals (one pipeline or all) and for clients,
//! of eleven types, with a group, an order, a required flag and help text; edit or remove
//! them. Stages require them in the pipeline editor.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::custom_field::{
    CustomFieldDraft, CustomFieldId, CustomFieldKind, CustomFieldView, RecordKind,
};
use shared::document::DocumentCategory;
use shared::pipeline::PipelineId;

use crate::errors::{FormError, error_message};
use crate::i18n::*;

/// The fields and the pipelines a deal field can belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsPage {
    pub fields: Vec<CustomFieldView>,
    pub pipelines: Vec<(PipelineId, String)>,
    pub document_categories: Vec<DocumentCategory>,
}

#[server(prefix = "/api", endpoint = "load_custom_fields", input = server_fn::codec::Json)]
pub async fn load_custom_fields() -> Result<FieldsPage, AppError> {
    use crate::backend::{db, identity};
    identity()?.actor.require_admin()?;
    let db = db()?;
    Ok(FieldsPage {
        fields: shared::custom_field::service::list_fields(&db).await?,
        pipelines: shared::pipeline::service::list_pipelines(&db).await?,
        document_categories: shared::document::service::custom_categories(&db).await?,
    })
}

#[server(prefix = "/api", endpoint = "save_custom_field", input = server_fn::codec::Json)]
pub async fn save_custom_field(draft: CustomFieldDraft) -> Result<CustomFieldView, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::custom_field::service::save_field(&db()?, &actor, draft, now()).await
}

#[server(prefix = "/api", endpoint = "remove_custom_field", input = server_fn::codec::Json)]
pub async fn remove_custom_field(id: CustomFieldId) -> Result<(), AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::custom_field::service::remove_field(&db()?, &actor, id, crate::backend::now()).await
}

#[server(prefix = "/api", endpoint = "add_document_category", input = server_fn::codec::Json)]
pub async fn add_document_category(name: String) -> Result<DocumentCategory, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::document::service::add_category(&db()?, &actor, &name, now()).await
}

#[server(prefix = "/api", endpoint = "remove_document_category", input = server_fn::codec::Json)]
pub async fn remove_document_category(id: i32) -> Result<(), AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    shared::document::service::remove_category(&db()?, &actor, id).await
}

/// A type's name in the current language.
pub fn kind_label(i18n: leptos_i18n::I18nContext<Locale>, kind: CustomFieldKind) -> String {
    match kind {
        CustomFieldKind::Text => t_string!(i18n, custom.kinds.text),
        CustomFieldKind::LongText => t_string!(i18n, custom.kinds.long_text),
        CustomFieldKind::Number => t_string!(i18n, custom.kinds.number),
        CustomFieldKind::Money => t_string!(i18n, custom.kinds.money),
        CustomFieldKind::Date => t_string!(i18n, custom.kinds.date),
        CustomFieldKind::DateTime => t_string!(i18n, custom.kinds.date_time),
        CustomFieldKind::Select => t_string!(i18n, custom.kinds.select),
        CustomFieldKind::MultiSelect => t_string!(i18n, custom.kinds.multi_select),
        CustomFieldKind::Checkbox => t_string!(i18n, custom.kinds.checkbox),
        CustomFieldKind::User => t_string!(i18n, custom.kinds.user),
        CustomFieldKind::Link => t_string!(i18n, custom.kinds.link),
    }
    .to_string()
}

#[component]
pub fn CustomFieldsPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(move || refresh.get(), |_| load_custom_fields());
    // `Some(None)`: a new field; `Some(Some(id))`: that field.
    let editing = RwSignal::new(None::<Option<CustomFieldId>>);
    let done = Callback::new(move |()| {
        editing.set(None);
        refresh.update(|n| *n += 1);
    });
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, custom.title)}</h2>
            <button type="button" class="btn btn-primary" on:click=move |_| editing.set(Some(None))>
                {t!(i18n, custom.new_field)}
            </button>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(page) => {
                    let pipelines = page.pipelines.clone();
                    view! {
                        <Show when=move || editing.get() == Some(None)>
                            <FieldForm field=None pipelines=pipelines.clone() done cancel=Callback::new(move |()| editing.set(None)) />
                        </Show>
                        <FieldTable page=page.clone() entity=RecordKind::Deal editing done />
                        <FieldTable page=page.clone() entity=RecordKind::Client editing done />
                        <DocumentCategories categories=page.document_categories done />
                    }
                    .into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn FieldTable(
    page: FieldsPage,
    entity: RecordKind,
    editing: RwSignal<Option<Option<CustomFieldId>>>,
    done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let fields: Vec<CustomFieldView> = page
        .fields
        .iter()
        .filter(|field| field.entity == entity)
        .cloned()
        .collect();
    let heading = move || match entity {
        RecordKind::Deal => t_string!(i18n, custom.deal_fields),
        RecordKind::Client => t_string!(i18n, custom.client_fields),
    };
    let pipelines = page.pipelines.clone();
    let pipeline_name = move |id: Option<PipelineId>| match id {
        None => t_string!(i18n, custom.all_pipelines).to_string(),
        Some(id) => pipelines
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_default(),
    };
    view! {
        <section class="card custom-fields-admin">
            <h3>{heading}</h3>
            {if fields.is_empty() {
                view! { <p class="muted">{t!(i18n, custom.none)}</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th>{t!(i18n, custom.label)}</th>
                                <th>{t!(i18n, custom.kind)}</th>
                                {(entity == RecordKind::Deal).then(|| view! { <th>{t!(i18n, custom.applies_to)}</th> })}
                                <th>{t!(i18n, custom.group)}</th>
                                <th>{t!(i18n, custom.position)}</th>
                                <th><span class="sr-only">{t!(i18n, admin.actions)}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {fields.into_iter().map(|field| {
                                let id = field.id;
                                let kind = field.kind;
                                let edited = field.clone();
                                let pipelines = page.pipelines.clone();
                                let where_ = pipeline_name(field.pipeline_id);
                                view! {
                                    <tr class:muted=!field.active>
                                        <td data-label=move || t_string!(i18n, custom.label).to_string()>
                                            <strong>{field.label.clone()}</strong>
                                            {field.required.then(|| view! { " " <span class="badge">{t!(i18n, custom.required)}</span> })}
                                            {(!field.active).then(|| view! { " " <span class="badge">{t!(i18n, custom.removed)}</span> })}
                                        </td>
                                        <td data-label=move || t_string!(i18n, custom.kind).to_string()>{move || kind_label(i18n, kind)}</td>
                                        {(entity == RecordKind::Deal).then(|| view! {
                                            <td data-label=move || t_string!(i18n, custom.applies_to).to_string()>{where_}</td>
                                        })}
                                        <td data-label=move || t_string!(i18n, custom.group).to_string()>{field.group.clone()}</td>
                                        <td data-label=move || t_string!(i18n, custom.position).to_string()>{field.position}</td>
                                        <td class="actions">
                                            {field.active.then(|| view! {
                                                <button type="button" class="btn btn-small"
                                                    aria-label=move || format!("{} {}", t_string!(i18n, admin.edit), edited.label)
                                                    on:click=move |_| editing.set(Some(Some(id)))>
                                                    {t!(i18n, admin.edit)}
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                    <Show when=move || editing.get() == Some(Some(id))>
                                        <tr class="editor-row">
                                            <td colspan="6">
                                                <FieldForm field=Some(field.clone()) pipelines=pipelines.clone() done cancel=Callback::new(move |()| editing.set(None)) />
                                            </td>
                                        </tr>
                                    </Show>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// Creates a field, or edits one (its type and records are then fixed).
#[component]
fn FieldForm(
    field: Option<CustomFieldView>,
    pipelines: Vec<(PipelineId, String)>,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = field.as_ref().map(|f| f.id);
    let existing = id.is_some();
    let entity = RwSignal::new(field.as_ref().map_or(RecordKind::Deal, |f| f.entity));
    let pipeline = RwSignal::new(field.as_ref().and_then(|f| f.pipeline_id));
    let label = RwSignal::new(field.as_ref().map(|f| f.label.clone()).unwrap_or_default());
    let kind = RwSignal::new(field.as_ref().map_or(CustomFieldKind::Text, |f| f.kind));
    let options = RwSignal::new(
        field
            .as_ref()
            .map(|f| f.options.join("\n"))
            .unwrap_or_default(),
    );
    let currency = RwSignal::new(
        field
            .as_ref()
            .and_then(|f| f.currency.clone())
            .unwrap_or_else(|| "RUB".to_owned()),
    );
    let group = RwSignal::new(field.as_ref().map(|f| f.group.clone()).unwrap_or_default());
    let position = RwSignal::new(field.as_ref().map_or(0, |f| f.position).to_string());
    let required = RwSignal::new(field.as_ref().is_some_and(|f| f.required));
    let help = RwSignal::new(field.as_ref().map(|f| f.help.clone()).unwrap_or_default());
    let save = ServerAction::<SaveCustomField>::new();
    let remove = ServerAction::<RemoveCustomField>::new();
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok())
            || remove.value().get().is_some_and(|r| r.is_ok())
        {
            done.run(());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveCustomField {
            draft: CustomFieldDraft {
                id,
                entity: entity.get_untracked(),
                pipeline_id: match entity.get_untracked() {
                    RecordKind::Deal => pipeline.get_untracked(),
                    RecordKind::Client => None,
                },
                label: label.get_untracked(),
                kind: kind.get_untracked(),
                options: options.get_untracked().lines().map(str::to_owned).collect(),
                currency: Some(currency.get_untracked()),
                group: group.get_untracked(),
                position: position.get_untracked().trim().parse().unwrap_or(0),
                required: required.get_untracked(),
                help: help.get_untracked(),
            },
        });
    };
    view! {
        <form class="card form custom-field-form" on:submit=on_submit>
            <h3>{move || if existing { t_string!(i18n, custom.edit_field) } else { t_string!(i18n, custom.new_field) }}</h3>
            <div class="form-grid">
                <label class="field">
                    <span>{t!(i18n, custom.label)}</span>
                    <input type="text" name="label" maxlength="100" prop:value=move || label.get()
                        on:input=move |ev| label.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, custom.applies_to)}</span>
                    <select name="entity" disabled=existing prop:value=move || entity.get().as_str()
                        on:change=move |ev| if let Some(e) = RecordKind::parse(&event_target_value(&ev)) { entity.set(e) }>
                        <option value="deal">{t!(i18n, custom.for_deals)}</option>
                        <option value="client">{t!(i18n, custom.for_clients)}</option>
                    </select>
                </label>
                <Show when=move || entity.get() == RecordKind::Deal>
                    <label class="field">
                        <span>{t!(i18n, board.pipeline)}</span>
                        <select name="pipeline" prop:value=move || pipeline.get().map(|p| p.0.to_string()).unwrap_or_default()
                            on:change=move |ev| pipeline.set(event_target_value(&ev).parse().ok().map(PipelineId))>
                            <option value="">{t!(i18n, custom.all_pipelines)}</option>
                            {pipelines.iter().map(|(id, name)| view! {
                                <option value=id.0.to_string()>{name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <label class="field">
                    <span>{t!(i18n, custom.kind)}</span>
                    <select name="kind" disabled=existing prop:value=move || kind.get().as_str()
                        on:change=move |ev| if let Some(k) = CustomFieldKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                        {CustomFieldKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str()>{move || kind_label(i18n, k)}</option>
                        }).collect_view()}
                    </select>
                    {existing.then(|| view! { <small class="muted">{t!(i18n, custom.kind_fixed)}</small> })}
                </label>
                <Show when=move || kind.get().has_options()>
                    <label class="field">
                        <span>{t!(i18n, custom.options)}</span>
                        <textarea name="options" rows="4" prop:value=move || options.get()
                            on:input=move |ev| options.set(event_target_value(&ev))></textarea>
                        <small class="muted">{t!(i18n, custom.options_hint)}</small>
                    </label>
                </Show>
                <Show when=move || kind.get() == CustomFieldKind::Money>
                    <label class="field field-narrow">
                        <span>{t!(i18n, custom.currency)}</span>
                        <input type="text" name="currency" maxlength="3" prop:value=move || currency.get()
                            on:input=move |ev| currency.set(event_target_value(&ev)) />
                    </label>
                </Show>
                <label class="field">
                    <span>{t!(i18n, custom.group)}</span>
                    <input type="text" name="group" maxlength="100" prop:value=move || group.get()
                        on:input=move |ev| group.set(event_target_value(&ev)) />
                    <small class="muted">{t!(i18n, custom.group_hint)}</small>
                </label>
                <label class="field field-narrow">
                    <span>{t!(i18n, custom.position)}</span>
                    <input type="number" name="position" step="1" prop:value=move || position.get()
                        on:input=move |ev| position.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, custom.help)}</span>
                    <input type="text" name="help" maxlength="500" prop:value=move || help.get()
                        on:input=move |ev| help.set(event_target_value(&ev)) />
                </label>
            </div>
            <label class="check">
                <input type="checkbox" name="required" prop:checked=move || required.get()
                    on:change=move |ev| required.set(event_target_checked(&ev)) />
                {t!(i18n, custom.required_label)}
            </label>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>{t!(i18n, custom.save)}</button>
                <button type="button" class="btn" on:click=move |_| cancel.run(())>{t!(i18n, custom.cancel)}</button>
                {id.map(|id| view! {
                    <button type="button" class="btn btn-danger-ghost" title=move || t_string!(i18n, custom.remove_hint).to_string()
                        on:click=move |_| { remove.dispatch(RemoveCustomField { id }); }>
                        {t!(i18n, custom.remove)}
                    </button>
                })}
            </div>
        </form>
    }
}

/// The admins' document categories beside the built-in ones: add one, remove one.
#[component]
fn DocumentCategories(categories: Vec<DocumentCategory>, done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let add = ServerAction::<AddDocumentCategory>::new();
    let remove = ServerAction::<RemoveDocumentCategory>::new();
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
    });
    Effect::new(move |_| {
        if add.value().get().is_some_and(|r| r.is_ok())
            || remove.value().get().is_some_and(|r| r.is_ok())
        {
            done.run(());
        }
    });
    let active: Vec<DocumentCategory> = categories.into_iter().filter(|c| c.active).collect();
    view! {
        <section class="card custom-fields-admin document-categories">
            <h3>{t!(i18n, custom.document_categories)}</h3>
            <p class="muted small">{t!(i18n, custom.document_categories_hint)}</p>
            <ul class="category-list">
                {active.into_iter().map(|category| {
                    let id = category.id;
                    let label = category.name.clone();
                    view! {
                        <li>
                            <span>{category.name}</span>
                            <button type="button" class="btn btn-small btn-danger-ghost"
                                aria-label=move || format!("{} {}", t_string!(i18n, custom.remove), label)
                                on:click=move |_| { remove.dispatch(RemoveDocumentCategory { id }); }>
                                {t!(i18n, custom.remove)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="form category-form" on:submit=move |ev| {
                ev.prevent_default();
                add.dispatch(AddDocumentCategory { name: name.get_untracked() });
            }>
                <label class="field">
                    <span>{t!(i18n, custom.new_category)}</span>
                    <input type="text" name="category" maxlength="100" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="btn btn-small" disabled=move || add.pending().get()>{t!(i18n, custom.add_category)}</button>
            </form>
            <FormError error />
        </section>
    }
}
