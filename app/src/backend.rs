//! Server-side helpers for server functions: the database, the caller's identity, the
//! clock and the HTTP status of a failed call. Native only.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::AppError;
use shared::access::Actor;
use shared::db::Db;
use shared::user::UserView;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_ID: &str = "user_id";
/// Session key holding the sign-in time (Unix seconds), for the absolute timeout.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

/// Application state handed to server functions through Leptos context.
#[derive(Clone)]
pub struct ServerContext {
    pub db: Db,
    /// Where use cases publish events after they commit.
    pub events: std::sync::Arc<dyn shared::event::EventSink>,
    /// Behind a reverse proxy: take the client's address from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Private hosts the administrator lets webhooks call (`outbound_allow_hosts`).
    pub outbound_allowed: shared::outbound::AllowedHosts,
}

/// The signed-in user of this request, resolved once by the server's middleware.
#[derive(Clone, Debug)]
pub struct Identity {
    pub actor: Actor,
    pub user: UserView,
}

pub fn db() -> Result<Db, AppError> {
    use_context::<ServerContext>()
        .map(|ctx| ctx.db)
        .ok_or(AppError::Internal)
}

/// The event sink for use cases that publish.
pub fn events() -> Result<std::sync::Arc<dyn shared::event::EventSink>, AppError> {
    use_context::<ServerContext>()
        .map(|ctx| ctx.events)
        .ok_or(AppError::Internal)
}

/// The private hosts a URL the server will call may name (the configuration's
/// `outbound_allow_hosts`).
pub fn outbound_allowed() -> Result<shared::outbound::AllowedHosts, AppError> {
    use_context::<ServerContext>()
        .map(|ctx| ctx.outbound_allowed)
        .ok_or(AppError::Internal)
}

/// The caller, or `Unauthenticated`.
pub fn identity() -> Result<Identity, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Identity>().cloned())
        .ok_or(AppError::Unauthenticated)
}

/// The caller's network address, for the sign-in throttle. Behind a trusted proxy it is
/// the right-most `X-Forwarded-For` entry (the one our proxy added; the client can forge
/// the others); otherwise the TCP peer.
pub fn client_address() -> String {
    let trust_proxy = use_context::<ServerContext>().is_some_and(|ctx| ctx.trust_proxy);
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            let forwarded = trust_proxy
                .then(|| parts.headers.get("x-forwarded-for"))
                .flatten()
                .and_then(|value| value.to_str().ok())
                .and_then(|list| list.rsplit(',').next())
                .map(|last| last.trim().to_owned())
                .filter(|last| !last.is_empty());
            forwarded.or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|info| info.0.ip().to_string())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned())
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
