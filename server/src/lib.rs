//! The Konveyer server process: configuration, the HTTP router with its middleware,
//! sessions, health, demo data and the command line.

#![recursion_limit = "256"]

pub mod api;
pub mod audit;
pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod files;
pub mod health;
pub mod identity;
pub mod jobs;
pub mod outbound;
pub mod security;
pub mod sessions;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use shared::db::Db;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::{App, shell};
use config::Config;
use sessions::DbSessionStore;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub events: events::EventBus,
    /// Where documents' bytes are kept, and the upload limit.
    pub files: files::Files,
}

/// The largest body a page or server function request may carry: forms and JSON of a few
/// kilobytes, with room to spare. Larger ones get 413 before they are read.
pub const REQUEST_BODY_LIMIT: usize = 1024 * 1024;

/// Builds the whole HTTP application: pages, server functions, health, middleware.
pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    // What server functions read through Leptos context, each under its own `shared`
    // type (see `app::backend`); who calls and from where is in each request's extensions.
    let db = state.db.clone();
    let events: Arc<dyn shared::event::EventSink> = Arc::new(state.events.clone());
    let outbound_allowed = state.config.outbound_allowed();
    let webhook_sender: Option<Arc<dyn shared::webhook::service::Sender>> =
        match jobs::webhook::WebhookSender::new(outbound_allowed.clone()) {
            Ok(sender) => Some(Arc::new(sender)),
            Err(err) => {
                tracing::error!(error = %err, "no webhook sender: test sends will fail");
                None
            }
        };
    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("konveyer_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            state.config.session_idle_minutes,
        )));
    let options = state.leptos_options.clone();

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/events", get(events::stream))
        .route("/admin/audit/export", get(audit::export))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(db.clone());
                provide_context(events.clone());
                provide_context(outbound_allowed.clone());
                if let Some(sender) = webhook_sender.clone() {
                    provide_context(sender);
                }
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Server functions read their whole body; without a bound one hostile request could
        // make the process allocate gigabytes. Uploads (merged below) have their own limit.
        .layer(RequestBodyLimitLayer::new(REQUEST_BODY_LIMIT))
        .merge(files::routes(&state.files))
        // The REST API reads its bodies itself, with its own bound (`API_BODY_LIMIT`).
        .merge(api::routes(&state))
        .layer(axum::middleware::from_fn(error::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            audit::record_denials,
        ))
        .layer(axum::middleware::from_fn(security::no_store_when_signed_in))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            identity::resolve_identity,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(security::check_origin))
        .layer(axum::middleware::from_fn(security::security_headers))
        .with_state(state)
}
