//! The sections whose real content arrives with later issues, and the 404 page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::i18n::*;

#[component]
fn EmptyState(title: String, text: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=title.clone() />
        <section class="page">
            <header class="page-head">
                <h1>{title}</h1>
            </header>
            <div class="empty">
                <span class="badge badge-soft">{t!(i18n, pages.coming)}</span>
                <p>{text}</p>
            </div>
        </section>
    }
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let i18n = use_i18n();
    move || {
        view! {
            <EmptyState
                title=t_string!(i18n, pages.clients_title).to_string()
                text=t_string!(i18n, pages.clients_empty).to_string()
            />
        }
    }
}

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
