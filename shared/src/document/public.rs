//! Documents in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{DocumentView, VersionView};

/// A document of a deal or a client with every version, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiDocument {
    pub id: i32,
    /// `passport`, `financial_statements`, `contract`, `other`, or an administrator's
    /// category as `custom:<id>`.
    pub category: String,
    /// The first version's file name.
    pub name: String,
    pub versions: Vec<ApiDocumentVersion>,
}

/// One uploaded file of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiDocumentVersion {
    pub id: i32,
    /// 1 for the first upload.
    pub number: i32,
    pub file_name: String,
    /// Read from the file's content, not from what the uploader declared.
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    /// Where the bytes are: `GET` it with the same token.
    pub content_url: String,
}

impl From<VersionView> for ApiDocumentVersion {
    fn from(version: VersionView) -> Self {
        ApiDocumentVersion {
            content_url: format!("/api/v1/document-versions/{}/content", version.id),
            id: version.id,
            number: version.number,
            file_name: version.file_name,
            content_type: version.content_type,
            size_bytes: version.size_bytes,
            uploaded_by_name: version.uploaded_by_name,
            uploaded_at: version.uploaded_at,
        }
    }
}

impl From<DocumentView> for ApiDocument {
    fn from(document: DocumentView) -> Self {
        ApiDocument {
            id: document.id.0,
            category: document.category,
            name: document.name,
            versions: document.versions.into_iter().map(Into::into).collect(),
        }
    }
}
