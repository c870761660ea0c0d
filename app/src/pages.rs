//! The 404 page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="signin">
            <section class="signin-card">
                <h1>{t!(i18n, pages.not_found)}</h1>
                <A href="/board" attr:class="btn btn-primary">{t!(i18n, pages.back_to_board)}</A>
            </section>
        </main>
    }
}
