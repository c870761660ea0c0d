//! Following the server's event stream (`/api/events`, server-sent events already
//! filtered by what the user may see): the board and the dashboards reload on deal
//! events, the bell on notification events. The browser's `EventSource` reconnects by
//! itself and sends the last event id it saw, so the server replays what was missed.

use std::time::Duration;

use leptos::prelude::*;
use shared::deal::DealId;
use shared::event::LiveDeal;

/// The changes this page made itself (a deal and the version its own move produced): the
/// live notice about them is not news, so the page does not reload twice.
#[derive(Clone, Copy)]
pub struct OwnChanges(StoredValue<Vec<(DealId, i32)>>);

impl OwnChanges {
    pub fn new() -> Self {
        OwnChanges(StoredValue::new(Vec::new()))
    }

    /// Remembers a change this page made (the last few are enough).
    pub fn record(&self, deal: DealId, version: i32) {
        self.0.update_value(|own| {
            own.push((deal, version));
            if own.len() > 32 {
                own.remove(0);
            }
        });
    }

    fn is_own(&self, live: &LiveDeal) -> bool {
        self.0
            .with_value(|own| own.contains(&(live.deal_id, live.version)))
    }
}

impl Default for OwnChanges {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `reload` when the server reports a change to a deal this user may see, at most
/// once per `throttle`, so a burst of moves costs one reload.
pub fn follow_live_events(reload: Callback<()>, throttle: Duration) {
    let waiting = StoredValue::new(false);
    listen(
        &["deal", "reload"],
        Callback::new(move |_: String| {
            if !waiting.get_value() {
                waiting.set_value(true);
                set_timeout(
                    move || {
                        waiting.set_value(false);
                        reload.run(());
                    },
                    throttle,
                );
            }
        }),
    );
}

/// Calls `on_deal` for each change to a deal this user may see (at once: each costs one
/// small request), except the changes in `own`; `reload` when the server says too much was
/// missed.
pub fn follow_deal_changes(on_deal: Callback<LiveDeal>, reload: Callback<()>, own: OwnChanges) {
    listen(
        &["deal", "reload"],
        Callback::new(
            move |data: String| match serde_json::from_str::<LiveDeal>(&data) {
                Ok(live) if own.is_own(&live) => {}
                Ok(live) => on_deal.run(live),
                Err(_) => reload.run(()),
            },
        ),
    );
}

/// Runs `on_event` with each event's data, for events of these kinds, while the calling
/// component lives.
pub fn listen(kinds: &'static [&'static str], on_event: Callback<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let Ok(source) = web_sys::EventSource::new("/api/events") else {
            return;
        };
        let handler =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                on_event.run(event.data().as_string().unwrap_or_default())
            });
        for kind in kinds {
            let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        }
        handler.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (kinds, on_event);
}
