//! Page assemblers: what one screen shows, read from many concepts (the deal card, the
//! client page, the merged timeline). They sit above the use cases: they may call any
//! concept's queries, and no concept calls them, so the arrows between modules point one
//! way (rules <- use cases <- pages).

pub mod client_page;
pub mod deal_card;
pub mod timeline;

pub use client_page::load_client_page;
pub use deal_card::load_deal_card;
pub use timeline::{client_timeline, deal_timeline};
