//! Server-side sessions stored in the database, so any server instance can serve any
//! request and an administrator can end a user's sessions; and who a request comes from
//! (`Identity`, `ClientAddress`), which the server resolves once per request and the
//! adapters (server functions, REST handlers, the event stream) read.

#[cfg(feature = "ssr")]
mod device;
#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

#[cfg(feature = "ssr")]
pub use device::describe_user_agent;

use crate::access::Actor;
use crate::user::{UserId, UserView};

/// Session key holding the signed-in user's id.
pub const SESSION_USER_ID: &str = "user_id";
/// Session key holding the sign-in time (Unix seconds), for the absolute timeout.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";
/// Session key: when the idle deadline was last moved (Unix seconds), which is also when
/// the session was last seen, to the minute.
pub const SESSION_RENEWED_AT: &str = "renewed_at";
/// Session key: the browser's `User-Agent` (cut to `USER_AGENT_MAX` characters).
pub const SESSION_USER_AGENT: &str = "user_agent";
/// Session key: the address the session was last used from.
pub const SESSION_ADDRESS: &str = "address";
/// The longest `User-Agent` a session keeps.
pub const USER_AGENT_MAX: usize = 300;

/// A signed-in session as its owner (or an administrator) sees it in the sessions list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionView {
    /// Names the session for ending it; not the session's secret id.
    pub handle: String,
    pub user_id: UserId,
    pub user_name: String,
    pub signed_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The browser and system, as read from the `User-Agent` ("Chrome on Android").
    pub device: Option<String>,
    pub address: Option<String>,
    /// The session of the request that asked.
    pub current: bool,
}

/// The signed-in user of a request, resolved from the session by the server's middleware
/// and kept in the request's extensions.
#[derive(Clone, Debug)]
pub struct Identity {
    pub actor: Actor,
    pub user: UserView,
}

/// The network address a request comes from, for the sign-in throttle: behind a trusted
/// proxy the right-most `X-Forwarded-For` entry, otherwise the TCP peer. Resolved by the
/// server's middleware and kept in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);
