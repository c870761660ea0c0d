//! Following the server's event stream (`/api/events`, server-sent events already
//! filtered by what the user may see): the board and the dashboards reload on deal
//! events, the bell on notification events.

use std::time::Duration;

use leptos::prelude::*;

/// Runs `reload` when the server reports a change to a deal this user may see, at most
/// once per `throttle`, so a burst of moves costs one reload.
pub fn follow_live_events(reload: Callback<()>, throttle: Duration) {
    let waiting = StoredValue::new(false);
    listen(
        &["deal", "reload"],
        Callback::new(move |()| {
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

/// Runs `on_event` for each event of these kinds while the calling component lives.
pub fn listen(kinds: &'static [&'static str], on_event: Callback<()>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let Ok(source) = web_sys::EventSource::new("/api/events") else {
            return;
        };
        let handler =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                on_event.run(())
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
