//! Who is making the request: resolves the session to an `Identity` and the caller's
//! `ClientAddress` once per request (both `shared::session` types, which the server
//! functions read from the request), enforces the absolute session timeout and sends
//! signed-out page views to sign-in.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use shared::user::UserId;
use tower_sessions::Session;

use shared::session::{
    ClientAddress, Identity, SESSION_ADDRESS, SESSION_RENEWED_AT, SESSION_SIGNED_IN_AT,
    SESSION_USER_AGENT, SESSION_USER_ID, USER_AGENT_MAX,
};

use crate::AppState;
use crate::error::ApiError;

/// The idle deadline moves at most this often; it may fall up to this much early.
const RENEW_EVERY_SECONDS: i64 = 60;

pub async fn resolve_identity(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // Built assets need no identity; skipping them spares a session lookup per file.
    if is_asset(&path) {
        return next.run(request).await;
    }
    let address = client_address(&request, state.config.trust_proxy);
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(USER_AGENT_MAX).collect::<String>())
        .unwrap_or_default();
    let identity = match identify(&state, &session, &address, &user_agent).await {
        Ok(identity) => identity,
        Err(err) => return ApiError(err).into_response(),
    };
    // Server functions and the API need a session: without one the call is answered 401
    // here, before its body is read or parsed.
    if identity.is_none() && needs_session(&path) {
        return ApiError(shared::AppError::Unauthenticated).into_response();
    }
    if request.method() == Method::GET && is_page(&path) {
        match (&identity, path.as_str()) {
            (None, "/login") => {}
            // A download link a person follows signs them in first; a program's call is 401.
            (None, _) if is_download(&path) && !is_navigation(request.headers()) => {
                return ApiError(shared::AppError::Unauthenticated).into_response();
            }
            (None, _) => return Redirect::to("/login").into_response(),
            (Some(_), "/" | "/login") => return Redirect::to("/board").into_response(),
            (Some(_), _) => {}
        }
    }
    request.extensions_mut().insert(address);
    if let Some(identity) = identity {
        request.extensions_mut().insert(identity);
    }
    next.run(request).await
}

/// The caller's network address, for the sign-in throttle. Behind a trusted proxy it is
/// the right-most `X-Forwarded-For` entry (the one our proxy added; the client can forge
/// the others); otherwise the TCP peer.
fn client_address(request: &Request, trust_proxy: bool) -> ClientAddress {
    let forwarded = trust_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .map(|last| last.trim().to_owned())
        .filter(|last| !last.is_empty());
    let address = forwarded.or_else(|| {
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string())
    });
    ClientAddress(address.unwrap_or_else(|| "unknown".to_owned()))
}

async fn identify(
    state: &AppState,
    session: &Session,
    address: &ClientAddress,
    user_agent: &str,
) -> Result<Option<Identity>, shared::AppError> {
    let internal = |err: tower_sessions::session::Error| {
        tracing::error!(error = %err, "session store");
        shared::AppError::Internal
    };
    let Some(user_id) = session
        .get::<i32>(SESSION_USER_ID)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(SESSION_SIGNED_IN_AT)
        .await
        .map_err(internal)?
        .unwrap_or(0);
    #[expect(clippy::disallowed_methods, reason = "middleware is an adapter")]
    let now = Utc::now();
    let absolute = Duration::hours(state.config.session_absolute_hours);
    let expired = now.timestamp() - signed_in_at > absolute.num_seconds();
    let loaded = if expired {
        None
    } else {
        shared::user::service::load_actor(&state.db, UserId(user_id)).await?
    };
    match loaded {
        Some((actor, user)) => {
            // Activity moves the idle deadline forward: a changed session is saved with the
            // response, with a new deadline. A save is a write (on SQLite, a turn of the
            // one writer), so the deadline moves at most once a minute.
            let renewed_at = session
                .get::<i64>(SESSION_RENEWED_AT)
                .await
                .map_err(internal)?
                .unwrap_or(0);
            // The same save records what the sessions list shows: last seen, from where.
            if now.timestamp() - renewed_at >= RENEW_EVERY_SECONDS {
                session
                    .insert(SESSION_RENEWED_AT, now.timestamp())
                    .await
                    .map_err(internal)?;
                session
                    .insert(SESSION_ADDRESS, &address.0)
                    .await
                    .map_err(internal)?;
                session
                    .insert(SESSION_USER_AGENT, user_agent)
                    .await
                    .map_err(internal)?;
            }
            Ok(Some(Identity {
                actor: actor.with_address(address.0.clone()),
                user,
            }))
        }
        None => {
            // Expired, deactivated or deleted: end the session on the server too.
            session.flush().await.map_err(internal)?;
            Ok(None)
        }
    }
}

/// Where server functions live (their `prefix`) and the API with them.
pub const API_PREFIX: &str = "/api/";

/// The server functions anyone may call: signing in, and signing out (harmless without a
/// session, and the page may call it after the session has ended).
const OPEN_API: [&str; 2] = ["/api/sign_in", "/api/sign_out"];

/// The REST API: its calls carry a token instead of a session (`crate::api`).
const REST_API_PREFIX: &str = "/api/v1/";

/// Server functions and API routes that answer only with a session.
fn needs_session(path: &str) -> bool {
    path.starts_with(API_PREFIX) && !OPEN_API.contains(&path) && !path.starts_with(REST_API_PREFIX)
}

/// Built assets and static files: the wasm, JS and CSS, icons.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// A stored file's download (`/files/{version}`).
fn is_download(path: &str) -> bool {
    path.starts_with("/files/")
}

/// A browser navigating (following a link, a plain form post), rather than a script or a
/// program calling.
pub(crate) fn is_navigation(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-mode")
        .is_some_and(|mode| mode.as_bytes() == b"navigate")
}

/// Page views are everything but the API, health and assets.
fn is_page(path: &str) -> bool {
    !(path.starts_with(API_PREFIX) || path == "/healthz" || is_asset(path))
}

#[cfg(test)]
mod tests {
    use super::{is_page, needs_session};

    #[test]
    fn every_api_call_but_signing_in_and_out_needs_a_session() {
        for closed in [
            "/api/list_clients",
            "/api/events",
            "/api/documents",
            "/api/x",
        ] {
            assert!(needs_session(closed), "{closed}");
        }
        for open in [
            "/api/v1/deals",
            "/api/sign_in",
            "/api/sign_out",
            "/login",
            "/healthz",
            "/board",
        ] {
            assert!(!needs_session(open), "{open}");
        }
    }

    #[test]
    fn assets_and_api_are_not_pages() {
        for page in ["/", "/login", "/board", "/admin/users"] {
            assert!(is_page(page), "{page}");
        }
        for other in [
            "/api/sign_in",
            "/pkg/konveyer.wasm",
            "/healthz",
            "/favicon.ico",
        ] {
            assert!(!is_page(other), "{other}");
        }
    }
}
