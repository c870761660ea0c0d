//! Comments in the REST API's public shapes (v1).

use serde::{Deserialize, Serialize};

/// A comment on a deal; `@handle` mentions notify colleagues who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiCommentCreate {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 5000))]
    pub text: String,
}

/// What a comment did: whom it notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiCommentAdded {
    pub notified_user_ids: Vec<i32>,
}
