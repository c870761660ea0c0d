//! `/admin/webhooks`: subscriptions (URL, event types, an optional pipeline) with their
//! state and counts, the signing secret (shown on creation, on request and on rotation),
//! test, pause and resume, delete; `/admin/webhooks/:id`: the delivery log with every
//! attempt and "resend".

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use shared::AppError;
use shared::pipeline::PipelineId;
use shared::webhook::{
    AttemptView, CreatedWebhook, DeliveryId, DeliveryState, DeliveryView, EVENT_TYPES, WebhookId,
    WebhookInput, WebhookState, WebhookView,
};

use crate::errors::{FormError, error_message};
use crate::i18n::*;
use crate::moment::moment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksPage {
    pub webhooks: Vec<WebhookView>,
    pub pipelines: Vec<(PipelineId, String)>,
}

#[server(prefix = "/api", endpoint = "load_webhooks")]
pub async fn load_webhooks() -> Result<WebhooksPage, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    let db = db()?;
    let webhooks = shared::webhook::service::list_webhooks(&db, &actor).await?;
    let pipelines = shared::pipeline::service::list_pipelines(&db).await?;
    Ok(WebhooksPage {
        webhooks,
        pipelines,
    })
}

#[server(prefix = "/api", endpoint = "create_webhook")]
pub async fn create_webhook(input: WebhookInput) -> Result<CreatedWebhook, AppError> {
    use crate::backend::{db, identity, now, outbound_allowed};
    let actor = identity()?.actor;
    shared::webhook::service::create_webhook(&db()?, &actor, input, &outbound_allowed()?, now())
        .await
}

/// What a subscription's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookAction {
    Pause,
    Resume,
    Rotate,
    Reveal,
    Test,
    Delete,
}

/// What a command answers: a secret to show, a test's outcome, or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandOutcome {
    Done,
    Secret(String),
    Tested(AttemptView),
}

#[server(prefix = "/api", endpoint = "webhook_command")]
pub async fn webhook_command(
    id: WebhookId,
    command: WebhookAction,
) -> Result<CommandOutcome, AppError> {
    use crate::backend::{db, events, identity, now, webhook_sender};
    use shared::webhook::service;
    let actor = identity()?.actor;
    let db = db()?;
    Ok(match command {
        WebhookAction::Pause => {
            service::pause_webhook(&db, &actor, id, now()).await?;
            CommandOutcome::Done
        }
        WebhookAction::Resume => {
            service::resume_webhook(&db, &actor, &events()?, id, now()).await?;
            CommandOutcome::Done
        }
        WebhookAction::Rotate => {
            CommandOutcome::Secret(service::rotate_secret(&db, &actor, id, now()).await?.secret)
        }
        WebhookAction::Reveal => {
            CommandOutcome::Secret(service::reveal_secret(&db, &actor, id).await?)
        }
        WebhookAction::Test => {
            let sender = webhook_sender()?;
            CommandOutcome::Tested(
                service::send_test(&db, &actor, sender.as_ref(), id, now()).await?,
            )
        }
        WebhookAction::Delete => {
            service::delete_webhook(&db, &actor, id, now()).await?;
            CommandOutcome::Done
        }
    })
}

#[server(prefix = "/api", endpoint = "load_webhook_deliveries")]
pub async fn load_webhook_deliveries(
    id: WebhookId,
) -> Result<(WebhookView, Vec<DeliveryView>), AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    let db = db()?;
    let webhook = shared::webhook::service::get_webhook(&db, &actor, id).await?;
    let deliveries = shared::webhook::service::list_deliveries(&db, &actor, id).await?;
    Ok((webhook, deliveries))
}

#[server(prefix = "/api", endpoint = "resend_webhook_delivery")]
pub async fn resend_webhook_delivery(id: DeliveryId) -> Result<DeliveryView, AppError> {
    use crate::backend::{db, events, identity, now};
    let actor = identity()?.actor;
    shared::webhook::service::resend(&db()?, &actor, &events()?, id, now()).await
}

fn state_label(i18n: leptos_i18n::I18nContext<Locale>, state: WebhookState) -> String {
    match state {
        WebhookState::Active => t_string!(i18n, webhooks.state_active),
        WebhookState::Paused => t_string!(i18n, webhooks.state_paused),
        WebhookState::Disabled => t_string!(i18n, webhooks.state_disabled),
    }
    .to_string()
}

fn delivery_label(i18n: leptos_i18n::I18nContext<Locale>, state: DeliveryState) -> String {
    match state {
        DeliveryState::Pending => t_string!(i18n, webhooks.d_pending),
        DeliveryState::Sending => t_string!(i18n, webhooks.d_sending),
        DeliveryState::Delivered => t_string!(i18n, webhooks.d_delivered),
        DeliveryState::Failed => t_string!(i18n, webhooks.d_failed),
    }
    .to_string()
}

/// "200", "500: the webhook answered …", "refused: private address".
fn result_text(i18n: leptos_i18n::I18nContext<Locale>, attempt: &AttemptView) -> String {
    match (attempt.status, &attempt.error) {
        (Some(status), None) => status.to_string(),
        (_, Some(error)) => error.clone(),
        (None, None) => t_string!(i18n, webhooks.no_answer).to_string(),
    }
}

#[component]
fn NewWebhookForm(
    pipelines: Vec<(PipelineId, String)>,
    created: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["deal.moved".to_owned(), "deal.returned".to_owned()]);
    let pipeline = RwSignal::new(None::<PipelineId>);
    let action = ServerAction::<CreateWebhook>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(done)) = action.value().get() {
            created.set(Some(done.secret));
            url.set(String::new());
            description.set(String::new());
            reload.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        created.set(None);
        action.dispatch(CreateWebhook {
            input: WebhookInput {
                url: url.get_untracked(),
                description: description.get_untracked(),
                event_types: chosen.get_untracked(),
                pipeline_id: pipeline.get_untracked(),
            },
        });
    };
    view! {
        <form class="card form webhook-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, webhooks.new_subscription).to_string()>
            <h2>{t!(i18n, webhooks.new_subscription)}</h2>
            <label class="field">
                <span>{t!(i18n, webhooks.url)}</span>
                <input type="url" name="webhook_url" maxlength="2000" required inputmode="url"
                    placeholder=move || t_string!(i18n, webhooks.url_hint).to_string()
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev)) />
            </label>
            <div class="field-row">
                <label class="field">
                    <span>{t!(i18n, webhooks.description)}</span>
                    <input type="text" name="description" maxlength="200"
                        placeholder=move || t_string!(i18n, webhooks.description_hint).to_string()
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t!(i18n, webhooks.pipeline)}</span>
                    <select name="pipeline" on:change=move |ev| {
                        pipeline.set(event_target_value(&ev).parse().ok().map(PipelineId));
                    }>
                        <option value="">{t!(i18n, webhooks.all_pipelines)}</option>
                        {pipelines.into_iter().map(|(id, name)| view! {
                            <option value=id.0.to_string()>{name}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <fieldset class="webhook-events">
                <legend>{t!(i18n, webhooks.events)}</legend>
                {EVENT_TYPES.iter().map(|kind| {
                    let kind = (*kind).to_owned();
                    let checked_kind = kind.clone();
                    let toggled_kind = kind.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" name="event_type" value=kind.clone()
                                prop:checked=move || chosen.with(|c| c.contains(&checked_kind))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|k| *k != toggled_kind);
                                        if on {
                                            c.push(toggled_kind.clone());
                                        }
                                    });
                                } />
                            <code>{kind}</code>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <FormError error />
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {t!(i18n, webhooks.create)}
                </button>
            </div>
        </form>
    }
}

#[component]
fn WebhookRow(
    webhook: WebhookView,
    pipelines: Vec<(PipelineId, String)>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = webhook.id;
    let command = ServerAction::<WebhookCommand>::new();
    let outcome = RwSignal::new(None::<(WebhookAction, CommandOutcome)>);
    let last = RwSignal::new(None::<WebhookAction>);
    Effect::new(move |_| {
        if let Some(Ok(answer)) = command.value().get()
            && let Some(sent) = last.get_untracked()
        {
            outcome.set(Some((sent, answer)));
            if !matches!(sent, WebhookAction::Reveal | WebhookAction::Test) {
                reload.run(());
            }
        }
    });
    let error = Signal::derive(move || command.value().get().and_then(Result::err));
    let run = move |sent: WebhookAction| {
        last.set(Some(sent));
        outcome.set(None);
        command.dispatch(WebhookCommand { id, command: sent });
    };
    let confirm_delete = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let question = t_string!(i18n, webhooks.confirm_delete).to_string();
            if !window().confirm_with_message(&question).unwrap_or(false) {
                return;
            }
        }
        run(WebhookAction::Delete);
    };
    let state = webhook.state;
    let pipeline_name = webhook.pipeline_id.and_then(|p| {
        pipelines
            .iter()
            .find(|(id, _)| *id == p)
            .map(|(_, name)| name.clone())
    });
    let href = format!("/admin/webhooks/{}", id.0);
    view! {
        <li class="webhook-row" data-testid="webhook-row">
            <div class="webhook-main">
                <code class="webhook-url">{webhook.url.clone()}</code>
                <span class="badge" class:badge-ok=state == WebhookState::Active
                    class:badge-off=state != WebhookState::Active>
                    {move || state_label(i18n, state)}
                </span>
            </div>
            {(!webhook.description.is_empty()).then(|| view! { <p>{webhook.description.clone()}</p> })}
            {webhook.state_reason.clone().map(|reason| view! { <p class="form-error small">{reason}</p> })}
            <div class="webhook-facts muted small">
                <span>{webhook.event_types.join(", ")}</span>
                {pipeline_name.map(|name| view! { <span>{name}</span> })}
                <span>{t!(i18n, webhooks.counts, delivered = webhook.delivered, pending = webhook.pending, failed = webhook.failed)}</span>
                <span>{t!(i18n, webhooks.owner, name = webhook.owner_name.clone())}</span>
                <span>{moment(webhook.created_at)}</span>
            </div>
            <div class="webhook-actions">
                <a class="btn btn-small" href=href>{t!(i18n, webhooks.deliveries)}</a>
                <button type="button" class="btn btn-small" disabled=move || command.pending().get()
                    on:click=move |_| run(WebhookAction::Test)>{t!(i18n, webhooks.test)}</button>
                {if state == WebhookState::Active {
                    view! {
                        <button type="button" class="btn btn-small" disabled=move || command.pending().get()
                            on:click=move |_| run(WebhookAction::Pause)>{t!(i18n, webhooks.pause)}</button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="btn btn-small btn-primary" disabled=move || command.pending().get()
                            on:click=move |_| run(WebhookAction::Resume)>{t!(i18n, webhooks.resume)}</button>
                    }.into_any()
                }}
                <button type="button" class="btn btn-small" disabled=move || command.pending().get()
                    on:click=move |_| run(WebhookAction::Reveal)>{t!(i18n, webhooks.show_secret)}</button>
                <button type="button" class="btn btn-small" disabled=move || command.pending().get()
                    on:click=move |_| run(WebhookAction::Rotate)>{t!(i18n, webhooks.rotate)}</button>
                <button type="button" class="btn btn-small btn-danger-ghost" disabled=move || command.pending().get()
                    on:click=confirm_delete>{t!(i18n, webhooks.delete)}</button>
            </div>
            {move || outcome.get().map(|(sent, answer)| match answer {
                CommandOutcome::Secret(secret) => view! {
                    <div class="webhook-secret" role="status">
                        {if sent == WebhookAction::Rotate {
                            t_string!(i18n, webhooks.rotated).to_string()
                        } else {
                            t_string!(i18n, webhooks.show_secret).to_string()
                        }}
                        " "
                        <code data-testid="webhook-secret">{secret}</code>
                    </div>
                }.into_any(),
                CommandOutcome::Tested(attempt) => {
                    let ok = attempt.error.is_none();
                    view! {
                        <p class="webhook-test" class:form-error=!ok role="status" data-testid="webhook-test">
                            {t!(i18n, webhooks.test_result, result = result_text(i18n, &attempt))}
                        </p>
                    }.into_any()
                }
                CommandOutcome::Done => ().into_any(),
            })}
            <FormError error />
        </li>
    }
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let i18n = use_i18n();
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(move || refresh.get(), |_| load_webhooks());
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    let created = RwSignal::new(None::<String>);
    view! {
        <div class="toolbar">
            <h2>{t!(i18n, webhooks.title)}</h2>
        </div>
        <p class="muted">{t!(i18n, webhooks.intro)}</p>
        {move || created.get().map(|secret| view! {
            <section class="card token-secret" role="status">
                <p>{t!(i18n, webhooks.created)}</p>
                <code class="token-secret-value" data-testid="webhook-created-secret">{secret}</code>
                <p class="muted small">{t!(i18n, webhooks.secret_note)}</p>
            </section>
        })}
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok(page) => view! {
                    <NewWebhookForm pipelines=page.pipelines.clone() created reload />
                    <section class="card webhooks">
                        <h2>{t!(i18n, webhooks.list)}</h2>
                        {if page.webhooks.is_empty() {
                            view! { <p class="muted">{t!(i18n, webhooks.none)}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="webhook-list">
                                    {page.webhooks.iter().cloned().map(|webhook| view! {
                                        <WebhookRow webhook pipelines=page.pipelines.clone() reload />
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn DeliveryRow(delivery: DeliveryView, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let resend = ServerAction::<ResendWebhookDelivery>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = resend.value().get() {
            reload.run(());
        }
    });
    let error = Signal::derive(move || resend.value().get().and_then(Result::err));
    let id = delivery.id;
    let state = delivery.state;
    let last = match (delivery.last_status, &delivery.last_error) {
        (_, Some(error)) => error.clone(),
        (Some(status), None) => status.to_string(),
        (None, None) => "–".to_owned(),
    };
    let waiting = state == DeliveryState::Pending && delivery.attempts > 0;
    view! {
        <li class="delivery-row" data-testid="delivery-row" data-state=state.as_str()>
            <div class="delivery-main">
                <code>{delivery.event_type.clone()}</code>
                <span class="muted">{delivery.lane.clone()}</span>
                <span class="badge" class:badge-ok=state == DeliveryState::Delivered
                    class:badge-off=state == DeliveryState::Failed>
                    {move || delivery_label(i18n, state)}
                </span>
                <span class="muted small">{moment(delivery.created_at)}</span>
            </div>
            <div class="delivery-facts muted small">
                <span>{t!(i18n, webhooks.attempts)} ": " {delivery.attempts}</span>
                <span>{t!(i18n, webhooks.last)} ": " {last}</span>
                {waiting.then(|| view! { <span>{t!(i18n, webhooks.next_at, at = moment(delivery.next_at))}</span> })}
            </div>
            {(!delivery.attempt_log.is_empty()).then(|| view! {
                <details class="delivery-attempts">
                    <summary>{t!(i18n, webhooks.attempts)}</summary>
                    <ol>
                        {delivery.attempt_log.iter().map(|attempt| view! {
                            <li>
                                {t!(i18n, webhooks.attempt_line, at = moment(attempt.at), result = result_text(i18n, attempt), ms = attempt.duration_ms)}
                                {(!attempt.excerpt.is_empty()).then(|| view! { <pre class="delivery-excerpt">{attempt.excerpt.clone()}</pre> })}
                            </li>
                        }).collect_view()}
                    </ol>
                </details>
            })}
            {(state != DeliveryState::Sending).then(|| view! {
                <button type="button" class="btn btn-small" disabled=move || resend.pending().get()
                    on:click=move |_| { resend.dispatch(ResendWebhookDelivery { id }); }>
                    {t!(i18n, webhooks.resend)}
                </button>
            })}
            <FormError error />
        </li>
    }
}

#[component]
pub fn WebhookDeliveriesPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .map(WebhookId)
    });
    let refresh = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (id.get(), refresh.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_webhook_deliveries(id).await,
                None => Err(AppError::NotFound {
                    entity: shared::error::Entity::Webhook,
                }),
            }
        },
    );
    let reload = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
        <div class="toolbar">
            <a href="/admin/webhooks">{t!(i18n, webhooks.back)}</a>
            <button type="button" class="btn btn-small" on:click=move |_| reload.run(())>"↻"</button>
        </div>
        <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
            {move || page.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                Ok((webhook, deliveries)) => view! {
                    <h2>{t!(i18n, webhooks.deliveries)}</h2>
                    <p><code class="webhook-url">{webhook.url.clone()}</code>
                        " " <span class="muted">{move || state_label(i18n, webhook.state)}</span></p>
                    {if deliveries.is_empty() {
                        view! { <p class="muted">{t!(i18n, webhooks.no_deliveries)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="delivery-list card">
                                {deliveries.into_iter().map(|delivery| view! { <DeliveryRow delivery reload /> }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                }.into_any(),
            })}
        </Transition>
    }
}
