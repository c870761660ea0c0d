//! Server-side helpers for server functions: the database, the caller's identity and
//! address, the clock and the session. Native only.
//!
//! These are Leptos adapters and stay here, beside the server functions that call them.
//! What they read belongs to the server and is defined in `shared` (which `app` and
//! `server` both see; `app` cannot depend on `server`): the server provides `Db`, the
//! event sink and the outbound allow-list as Leptos context, and puts the request's
//! `shared::session::Identity` and `ClientAddress` into its extensions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::AppError;
use shared::db::Db;
use shared::event::EventSink;
use shared::outbound::AllowedHosts;
use shared::session::{ClientAddress, Identity};

pub fn db() -> Result<Db, AppError> {
    use_context::<Db>().ok_or(AppError::Internal)
}

/// The event sink for use cases that publish.
pub fn events() -> Result<Arc<dyn EventSink>, AppError> {
    use_context::<Arc<dyn EventSink>>().ok_or(AppError::Internal)
}

/// The private hosts a URL the server will call may name (the configuration's
/// `outbound_allow_hosts`).
pub fn outbound_allowed() -> Result<AllowedHosts, AppError> {
    use_context::<AllowedHosts>().ok_or(AppError::Internal)
}

/// What sends webhooks (the server's checked outbound client).
pub fn webhook_sender() -> Result<Arc<dyn shared::webhook::service::Sender>, AppError> {
    use_context::<Arc<dyn shared::webhook::service::Sender>>().ok_or(AppError::Internal)
}

/// The caller, or `Unauthenticated`.
pub fn identity() -> Result<Identity, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Identity>().cloned())
        .ok_or(AppError::Unauthenticated)
}

/// The caller's network address, for the sign-in throttle (resolved by the server's
/// middleware, which knows whether to trust a proxy's `X-Forwarded-For`).
pub fn client_address() -> String {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddress>().cloned())
        .map_or_else(|| "unknown".to_owned(), |address| address.0)
}

pub async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "no session layer");
            AppError::Internal
        })
}

#[expect(clippy::disallowed_methods, reason = "server functions are adapters")]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}
