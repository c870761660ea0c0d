//! The browser entry point: hydrates the server-rendered page.

// The release build monomorphises the whole view tree here; its types nest deeply.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        // Lazy routes: the page's own part of the WebAssembly is fetched before it hydrates
        // (what `hydrate_lazy` does, plus knowing when it is over).
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Only now does every part of the page, a lazy one included, answer clicks; the
        // end-to-end tests wait for this mark.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
