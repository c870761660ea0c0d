//! The dashboards' queries, one file per dashboard over shared parts. Each figure is one
//! grouped SQL query, run the same on SQLite and PostgreSQL, over the daily rollups of the
//! ledger (`transitions`): the stored ones when no condition is on the deal, else copies
//! summed for the deals the conditions let through (the same visibility rule as the
//! board). Percentiles come from the rollup's duration bins, or exactly, up to
//! `EXACT_VISITS` visits, as the few rows at the ranks `rules::percentile_ranks` names,
//! found with window functions. The digest's day reads the ledger between two instants.
//!
//! - `sql`: SQL text with bound values in one backend's dialect.
//! - `scope`: the filter resolved once (pipeline, period, deal conditions) and the SQL of
//!   its two sources, rollups and ledger.
//! - `rollup`: the four daily rollups, and their copies for the deals a condition lets
//!   through (summed in `memory` from the facts the server holds, or in SQL from
//!   `transition_facts`).
//! - `funnel`, `durations`, `returns`, `moves`: the figures several dashboards share.
//! - `flow`, `team`, `sla`, `trends`: one dashboard each; `summary`: the digest's figures.
//! - `zone`: whose days: the organisation's (the stored rollups) or the person's.

mod durations;
mod flow;
mod funnel;
mod memory;
mod moves;
mod returns;
mod rollup;
mod scope;
mod sla;
mod sql;
mod summary;
mod team;
mod trends;
mod zone;

pub use flow::load_analytics;
pub use memory::{FactsMemory, FactsSource};
pub use rollup::{SCOPED_BY, ScopedBy};
pub use scope::{EXACT_VISITS, EXACT_VISITS_LIMIT};
pub use sla::load_sla;
pub use summary::day_summary;
pub use team::load_team;
pub use trends::load_trends;
pub use zone::{organisation_zone, set_organisation_zone};
