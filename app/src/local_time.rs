//! A client's wall clock on the cards, with a hint outside the polite calling hours.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::time_zone::local_clock;

use crate::i18n::*;

/// `14:05 +07` in the client's zone, marked "do not call now" outside 9:00-21:00 there.
/// `now` comes with the page's data so the server and the browser render the same text.
/// Nothing for a client without a (known) time zone.
#[component]
pub fn LocalTime(time_zone: Option<String>, now: DateTime<Utc>) -> impl IntoView {
    let i18n = use_i18n();
    let clock = time_zone.as_deref().and_then(|tz| local_clock(tz, now));
    clock.map(|clock| {
        let quiet = clock.quiet;
        let title = format!("{} · {}", time_zone.unwrap_or_default(), clock.zone);
        view! {
            <span class="local-time" class:quiet=quiet title=title
                aria-label=move || t_string!(i18n, clients.local_time).to_string()>
                <svg class="clock" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <circle cx="12" cy="12" r="9" /><path d="M12 7v5l3 2" />
                </svg>
                {clock.time.clone()} " " <span class="muted">{clock.zone.clone()}</span>
                {quiet.then(|| view! { " · " <strong>{t!(i18n, clients.quiet)}</strong> })}
            </span>
        }
    })
}
