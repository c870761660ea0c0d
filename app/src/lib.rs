//! Konveyer's Leptos UI: routes, pages and components, with the server functions beside
//! the components that call them (each a thin adapter onto `shared`'s services).

#![recursion_limit = "256"]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod admin;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod errors;
pub mod pages;
pub mod shell;

use leptos::prelude::*;
use leptos_i18n::context::CookieOptions;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{I18nContextProvider, Locale};

/// The cookie that carries the interface language; the server sets it at sign-in from the
/// user's stored preference.
pub const LOCALE_COOKIE: &str = "i18n_pref_locale";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The security middleware put a nonce in the request and in the CSP header; the
    // hydration script must carry the same one.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned())
    {
        provide_context(nonce);
    }
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#1f3a5f" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

fn page_title(title: String) -> String {
    if title.is_empty() {
        "Konveyer".to_owned()
    } else {
        format!("{title} · Konveyer")
    }
}

/// The application: language context, routes, pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page once the WebAssembly runs (effects never run on the server); the
    // end-to-end tests wait for it before clicking.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let cookie_options: CookieOptions<Locale> = CookieOptions::default()
        .path("/")
        .max_age(365_i64 * 24 * 3600 * 1000);
    view! {
        <I18nContextProvider cookie_name=LOCALE_COOKIE cookie_options>
            <Stylesheet id="leptos" href="/pkg/konveyer.css" />
            <Title formatter=page_title />
            <Router>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/login") view=auth::SignInPage />
                    <ParentRoute path=path!("") view=shell::AppShell>
                        <Route path=path!("") view=|| view! { <Redirect path="/board" /> } />
                        <Route path=path!("board") view=pages::BoardPage />
                        <Route path=path!("clients") view=pages::ClientsPage />
                        <Route path=path!("analytics") view=pages::AnalyticsPage />
                        <ParentRoute path=path!("admin") view=admin::AdminLayout>
                            <Route path=path!("") view=|| view! { <Redirect path="/admin/users" /> } />
                            <Route path=path!("users") view=admin::users::UsersPage />
                            <Route path=path!("departments") view=admin::departments::DepartmentsPage />
                        </ParentRoute>
                    </ParentRoute>
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
