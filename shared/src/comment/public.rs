//! Comments in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
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

/// A comment on a deal or a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiComment {
    pub id: i32,
    /// Who wrote it (absent for the system).
    pub author_id: Option<i32>,
    pub author_name: Option<String>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[cfg(feature = "ssr")]
impl From<super::service::CommentRecord> for ApiComment {
    fn from(record: super::service::CommentRecord) -> Self {
        let (author_id, author_name) = match record.author {
            Some((id, name)) => (Some(id.0), Some(name)),
            None => (None, None),
        };
        ApiComment {
            id: record.id,
            author_id,
            author_name,
            text: record.text,
            created_at: record.at,
        }
    }
}
