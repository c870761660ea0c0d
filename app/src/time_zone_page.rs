//! `/settings/time-zone`: the zone the signed-in person reads and types times in, across
//! the CRM and for their evening digest; for an administrator also the organisation's
//! zone, whose days the analytics store.

use leptos::prelude::*;
use leptos_meta::Title;
use shared::AppError;
use shared::time_zone::TIME_ZONES;

use crate::errors::FormError;
use crate::i18n::*;
use crate::moment::use_zone;

/// Stores the signed-in person's zone (an IANA name) and returns it tidied.
#[server(prefix = "/api", endpoint = "set_time_zone")]
pub async fn set_time_zone(time_zone: String) -> Result<String, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::user::service::set_time_zone(&db()?, &actor, &time_zone, now()).await
}

/// The organisation's zone, for an administrator; `None` for everyone else.
#[server(prefix = "/api", endpoint = "organisation_time_zone")]
pub async fn organisation_time_zone() -> Result<Option<String>, AppError> {
    use crate::backend::{db, identity};
    let actor = identity()?.actor;
    if !actor.is_admin() {
        return Ok(None);
    }
    let zone = shared::analytics::service::organisation_zone(&db()?).await?;
    Ok(Some(zone.name().to_owned()))
}

/// Makes a zone the organisation's: the analytics count their stored days in it.
#[server(prefix = "/api", endpoint = "set_organisation_time_zone")]
pub async fn set_organisation_time_zone(time_zone: String) -> Result<String, AppError> {
    use crate::backend::{db, identity, now};
    let actor = identity()?.actor;
    shared::analytics::service::set_organisation_zone(&db()?, &actor, &time_zone, now()).await
}

/// A zone name with the search list of every zone.
#[component]
fn ZoneInput(value: RwSignal<String>, name: &'static str, list: &'static str) -> impl IntoView {
    view! {
        <input type="text" name=name list=list autocomplete="off" spellcheck="false"
            required prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev)) />
        <datalist id=list>
            {TIME_ZONES.iter().map(|name| view! { <option value=*name /> }).collect_view()}
        </datalist>
    }
}

/// An administrator's form for the organisation's zone.
#[component]
fn OrganisationZoneForm(current: String) -> impl IntoView {
    let i18n = use_i18n();
    let time_zone = RwSignal::new(current);
    let action = ServerAction::<SetOrganisationTimeZone>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let saved = Signal::derive(move || action.value().get().and_then(Result::ok));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SetOrganisationTimeZone {
            time_zone: time_zone.get_untracked(),
        });
    };
    view! {
        <form class="card form organisation-zone-form" novalidate on:submit=submit
            aria-label=move || t_string!(i18n, time_zone.organisation_title).to_string()>
            <h2>{t!(i18n, time_zone.organisation_title)}</h2>
            <p class="muted">{t!(i18n, time_zone.organisation_intro)}</p>
            <label class="field">
                <span>{t!(i18n, time_zone.organisation_label)}</span>
                <ZoneInput value=time_zone name="organisation_time_zone" list="organisation-time-zones" />
            </label>
            <FormError error />
            <Show when=move || saved.get().is_some()>
                <p class="form-ok" role="status">
                    {move || t_string!(i18n, time_zone.organisation_saved, zone = saved.get().unwrap_or_default()).to_string()}
                </p>
            </Show>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {t!(i18n, deal.save)}
                </button>
            </div>
        </form>
    }
}

#[component]
pub fn TimeZonePage() -> impl IntoView {
    let i18n = use_i18n();
    let current = use_zone();
    let time_zone = RwSignal::new(current.name().to_owned());
    let action = ServerAction::<SetTimeZone>::new();
    let organisation = Resource::new(|| (), |_| organisation_time_zone());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            // Every time on every page is rendered in the zone: load them anew.
            let _ = window().location().reload();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SetTimeZone {
            time_zone: time_zone.get_untracked(),
        });
    };
    view! {
        <Title text=move || t_string!(i18n, time_zone.title).to_string() />
        <section class="page time-zone-page">
            <header class="page-head">
                <h1>{t!(i18n, time_zone.title)}</h1>
            </header>
            <p class="muted">{t!(i18n, time_zone.intro)}</p>
            <form class="card form time-zone-form" novalidate on:submit=submit
                aria-label=move || t_string!(i18n, time_zone.title).to_string()>
                <label class="field">
                    <span>{t!(i18n, time_zone.label)}</span>
                    <ZoneInput value=time_zone name="time_zone" list="time-zones" />
                    <small class="muted">{t!(i18n, time_zone.hint)}</small>
                </label>
                <FormError error />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {t!(i18n, deal.save)}
                    </button>
                </div>
            </form>
            <Transition>
                {move || organisation.get().and_then(Result::ok).flatten().map(|current| view! {
                    <OrganisationZoneForm current />
                })}
            </Transition>
        </section>
    }
}
