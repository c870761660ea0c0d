//! Server-side sessions stored in the database, so any server instance can serve any
//! request and an administrator can end a user's sessions; and who a request comes from
//! (`Identity`, `ClientAddress`), which the server resolves once per request and the
//! adapters (server functions, REST handlers, the event stream) read.

pub mod entity;
pub mod service;

use crate::access::Actor;
use crate::user::UserView;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_ID: &str = "user_id";
/// Session key holding the sign-in time (Unix seconds), for the absolute timeout.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

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
