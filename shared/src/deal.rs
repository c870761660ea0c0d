//! Deals: a client's application as it passes through a pipeline.

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{
    TITLE_MAX, changes_between, from_minor, to_minor, validate_currency, validate_new_deal,
    validate_update,
};
pub use types::{ClientSummary, DealCard, DealId, DealView, Money, MoveDeal, NewDeal, UpdateDeal};
