//! Konveyer's domain: the types every layer shares, the rules that need no I/O and,
//! behind the `ssr` feature, the sea-orm entities and the use-case services.

pub mod access;
pub mod analytics;
pub mod api_token;
pub mod audit;
pub mod auth;
pub mod automation;
pub mod board;
pub mod client;
pub mod comment;
pub mod conclusion;
pub mod custom_field;
pub mod deal;
pub mod department;
pub mod digest;
pub mod document;
pub mod error;
pub mod event;
pub mod export;
pub mod job;
pub mod limits;
pub mod locale;
pub mod notification;
pub mod outbound;
pub mod pipeline;
pub mod public;
pub mod session;
pub mod task;
pub mod time_zone;
pub mod timeline;
pub mod transition;
pub mod user;
pub mod webhook;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod page;

#[cfg(test)]
mod layers;

pub use error::{AppError, Field, Rule};
