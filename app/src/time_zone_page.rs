//! `/settings/time-zone`: the zone the signed-in person reads and types times in, across
//! the CRM and for their evening digest.

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

#[component]
pub fn TimeZonePage() -> impl IntoView {
    let i18n = use_i18n();
    let current = use_zone();
    let time_zone = RwSignal::new(current.name().to_owned());
    let action = ServerAction::<SetTimeZone>::new();
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
                    <input type="text" name="time_zone" list="time-zones" autocomplete="off" spellcheck="false"
                        required prop:value=move || time_zone.get()
                        on:input=move |ev| time_zone.set(event_target_value(&ev)) />
                    <datalist id="time-zones">
                        {TIME_ZONES.iter().map(|name| view! { <option value=*name /> }).collect_view()}
                    </datalist>
                    <small class="muted">{t!(i18n, time_zone.hint)}</small>
                </label>
                <FormError error />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                        {t!(i18n, deal.save)}
                    </button>
                </div>
            </form>
        </section>
    }
}
