//! The ledger of moves: every transition of every deal, kept forever, and the time spent
//! in each stage and department computed from it.

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{StageTime, time_in_stages};
pub use types::TransitionView;
