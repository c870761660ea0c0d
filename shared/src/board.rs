//! The kanban board: a pipeline's stages as columns, with exact counts and sums of what
//! the filter and the viewer's visibility allow, and the first page of cards per column.

mod types;

#[cfg(feature = "ssr")]
pub mod service;

pub use types::{BoardChoices, BoardFilter, BoardUpdate, BoardView, ColumnView, PAGE_SIZE};
