//! Workflows: pipelines of ordered stages, each owned by a department, with the rules of
//! moving between them.

mod draft;
pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use draft::{NAME_MAX, check_draft, is_hex_color};
pub use rules::{
    COMMENT_MAX, MoveDirection, allowed_targets, check_comment, check_move, direction,
    missing_fields,
};
pub use types::{
    AllowedMove, DealField, PipelineDraft, PipelineId, PipelineView, StageDraft, StageId,
    StageKind, StageRemoval, StageView,
};
