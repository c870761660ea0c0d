//! Departmental conclusions on a deal: each department's analytical verdict with its text.
//! Append-only: a correction is a new conclusion that names the one it supersedes (the
//! database refuses updates and deletes).

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{MAX_TEXT_CHARS, latest_per_department};
pub use types::{ConclusionId, ConclusionView, NewConclusion, Verdict};
