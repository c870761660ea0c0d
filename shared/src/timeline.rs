//! The one timeline of a deal or a client, newest first: transitions, field changes (old
//! and new value), conclusions and comments, with who and when. Field changes and comments
//! are append-only tables of their own; the timeline merges them with the ledger and the
//! conclusions when it is read.

mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

#[cfg(feature = "ssr")]
pub(crate) use types::CUSTOM_PREFIX;
pub use types::{FieldChange, Subject, TimelineDetail, TimelineEntry, TimelineKind};
