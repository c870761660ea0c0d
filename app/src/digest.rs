//! `/settings/digest`: when and where the signed-in person's evening digest goes, a
//! preview of today's digest so far, and the latest deliveries.

use chrono::NaiveTime;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::digest::{Channel, DigestPage, DigestSettings};

use crate::errors::FormError;
use crate::i18n::*;

#[server(prefix = "/api", endpoint = "load_digest_page", input = server_fn::codec::Json)]
pub async fn load_digest_page() -> Result<DigestPage, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::digest::service::digest_page(&db()?, &actor, now()).await
}

#[server(prefix = "/api", endpoint = "save_digest", input = server_fn::codec::Json)]
pub async fn save_digest(settings: DigestSettings) -> Result<DigestSettings, AppError> {
    use crate::backend::{db, identity, now, outbound_allowed};
    let actor = identity()?.actor;
    let allowed = outbound_allowed()?;
    shared::digest::service::save_settings(&db()?, &actor, settings, &allowed, now()).await
}

#[component]
pub fn DigestSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let saved = RwSignal::new(0_u32);
    let page = Resource::new(move || saved.get(), |_| load_digest_page());
    view! {
        <Title text=move || t_string!(i18n, digest.title).to_string() />
        <section class="page digest-page">
            <header class="page-head">
                <h1>{t!(i18n, digest.title)}</h1>
            </header>
            <p class="muted">{t!(i18n, digest.intro)}</p>
            <Transition fallback=move || view! { <p class="muted">{t!(i18n, admin.loading)}</p> }>
                {move || page.get().map(|result| match result {
                    Err(err) => view! { <FormError error=Signal::derive(move || Some(err.clone())) /> }.into_any(),
                    Ok(page) => view! { <DigestForm page saved /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DigestForm(page: DigestPage, saved: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let settings = page.settings.clone();
    let enabled = RwSignal::new(settings.enabled);
    let send_at = RwSignal::new(settings.send_at.format("%H:%M").to_string());
    let by_email = RwSignal::new(settings.by_email);
    let messenger_url = RwSignal::new(settings.messenger_url.clone().unwrap_or_default());
    let chat_id = RwSignal::new(settings.messenger_chat_id.clone().unwrap_or_default());
    let action = ServerAction::<SaveDigest>::new();
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || {
        local_error
            .get()
            .or_else(|| action.value().get().and_then(Result::err))
    });
    // A save reloads the page data, which builds this form anew with a fresh action, so
    // "saved" is read from the page's counter rather than from this action's value.
    let done = Signal::derive(move || saved.get() > 0 && !action.pending().get());
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            // Reload the preview and the log for the new settings.
            saved.update(|n| *n += 1);
        }
    });
    let blank = |text: String| {
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(time) = NaiveTime::parse_from_str(&send_at.get_untracked(), "%H:%M") else {
            return local_error.set(Some(AppError::validation(
                shared::error::Field::SendAt,
                shared::error::Rule::Required,
            )));
        };
        local_error.set(None);
        action.dispatch(SaveDigest {
            settings: DigestSettings {
                enabled: enabled.get_untracked(),
                send_at: time,
                by_email: by_email.get_untracked(),
                messenger_url: blank(messenger_url.get_untracked()),
                messenger_chat_id: blank(chat_id.get_untracked()),
            },
        });
    };
    let channel_label = move |channel: Channel| match channel {
        Channel::Email => t_string!(i18n, digest.email).to_string(),
        Channel::Messenger => t_string!(i18n, digest.messenger).to_string(),
    };
    let deliveries = page.deliveries.clone();
    let has_deliveries = !deliveries.is_empty();
    view! {
        <div class="digest-layout">
            <form class="card form digest-form" novalidate on:submit=submit
                aria-label=move || t_string!(i18n, digest.title).to_string()>
                <label class="check">
                    <input type="checkbox" name="enabled" prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                    <span>{t!(i18n, digest.enabled)}</span>
                </label>
                <div class="field-row">
                    <label class="field field-narrow">
                        <span>{t!(i18n, digest.send_at)}</span>
                        <input type="time" name="send_at" required prop:value=move || send_at.get()
                            on:input=move |ev| send_at.set(event_target_value(&ev)) />
                    </label>
                    <p class="muted small zone-note">
                        {t!(i18n, digest.time_zone_note, zone = page.time_zone.clone())} " "
                        <a href="/settings/time-zone">{t!(i18n, digest.change_zone)}</a>
                    </p>
                </div>
                <label class="check">
                    <input type="checkbox" name="by_email" prop:checked=move || by_email.get()
                        on:change=move |ev| by_email.set(event_target_checked(&ev)) />
                    <span>{t!(i18n, digest.by_email, email = page.email.clone())}</span>
                </label>
                <label class="field">
                    <span>{t!(i18n, digest.messenger_url)}</span>
                    <input type="url" name="messenger_url" inputmode="url" placeholder="https://api.telegram.org/bot<token>/sendMessage"
                        prop:value=move || messenger_url.get()
                        on:input=move |ev| messenger_url.set(event_target_value(&ev)) />
                </label>
                <label class="field field-narrow">
                    <span>{t!(i18n, digest.chat_id)}</span>
                    <input type="text" name="chat_id" prop:value=move || chat_id.get()
                        on:input=move |ev| chat_id.set(event_target_value(&ev)) />
                </label>
                <FormError error />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {t!(i18n, deal.save)}
                    </button>
                    <Show when=move || done.get() && error.get().is_none()>
                        <span class="muted" role="status">{t!(i18n, digest.saved)}</span>
                    </Show>
                </div>
            </form>
            <section class="card digest-preview" aria-labelledby="digest-preview-title">
                <h2 id="digest-preview-title">{t!(i18n, digest.preview)}</h2>
                <p class="muted small">{t!(i18n, digest.preview_note)}</p>
                <pre class="digest-text"><strong>{page.preview.subject.clone()}</strong>"\n\n"{page.preview.body.clone()}</pre>
            </section>
            <section class="card" aria-labelledby="digest-log-title">
                <h2 id="digest-log-title">{t!(i18n, digest.log)}</h2>
                <Show
                    when=move || has_deliveries
                    fallback=move || view! { <p class="muted">{t!(i18n, digest.no_deliveries)}</p> }
                >
                    <table class="data">
                        <thead><tr>
                            <th>{t!(i18n, digest.day)}</th>
                            <th>{t!(i18n, digest.channel)}</th>
                            <th>{t!(i18n, digest.outcome)}</th>
                            <th class="num">{t!(i18n, digest.attempts)}</th>
                        </tr></thead>
                        <tbody>
                            {deliveries.clone().into_iter().map(|d| view! {
                                <tr>
                                    <td>{d.day.to_string()}</td>
                                    <td data-label=move || t_string!(i18n, digest.channel).to_string()>{channel_label(d.channel)}</td>
                                    <td data-label=move || t_string!(i18n, digest.outcome).to_string()>
                                        {if d.delivered {
                                            t_string!(i18n, digest.delivered).to_string()
                                        } else {
                                            format!("{}: {}", t_string!(i18n, digest.failed), d.error.clone().unwrap_or_default())
                                        }}
                                    </td>
                                    <td class="num" data-label=move || t_string!(i18n, digest.attempts).to_string()>{d.attempts}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </Show>
            </section>
        </div>
    }
}
