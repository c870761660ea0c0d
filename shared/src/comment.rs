//! Comments on deals and clients, with @mentions: a mentioned colleague who may see the
//! record gets an in-app notification. Comments are append-only, like the rest of the
//! timeline.

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{MAX_TEXT_CHARS, handle_of, mentioned_handles};
pub use types::{MentionCandidate, NewComment};
