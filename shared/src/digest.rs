//! The evening digest: each person chooses when (local time, IANA time zone) and where
//! (e-mail, a messenger webhook) a short summary of their day arrives: moves, returns,
//! SLA breaches, new and won deals, and the deals stuck longest. The figures come from
//! `analytics`; `rules` decides when a digest is due and writes its text; the server's
//! digest job delivers it with retries and logs every delivery.

mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{day_bounds, digest_text, due_day, validate_settings};
pub use types::{Channel, DeliveryView, DigestPage, DigestSettings, DigestText, STUCK_SHOWN};
