//! Following the server's event stream (`/api/events`, server-sent events already
//! filtered by what the user may see) on pages that show deals: the board, the dashboards.

use std::time::Duration;

use leptos::prelude::*;

/// Runs `reload` when the server reports a change to a deal this user may see, at most
/// once per `throttle`, so a burst of moves costs one reload.
pub fn follow_live_events(reload: Callback<()>, throttle: Duration) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let Ok(source) = web_sys::EventSource::new("/api/events") else {
            return;
        };
        let waiting = StoredValue::new(false);
        let on_event =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
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
            });
        for kind in ["deal", "reload"] {
            let _ =
                source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();
        let source = send_wrapper::SendWrapper::new(source);
        on_cleanup(move || source.close());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (reload, throttle);
}
