use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The built-in categories a document is filed under; admins add their own.
pub const CATEGORIES: [&str; 4] = ["passport", "financial_statements", "contract", "other"];

/// How a document filed under an admin's category names it: `custom:<id>`.
pub const CUSTOM_CATEGORY_PREFIX: &str = "custom:";

/// A category an admin added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentCategory {
    pub id: i32,
    pub name: String,
    /// Removed categories are no longer offered but still name their documents.
    pub active: bool,
}

impl DocumentCategory {
    /// The value a document's `category` holds for it.
    pub fn code(&self) -> String {
        format!("{CUSTOM_CATEGORY_PREFIX}{}", self.id)
    }
}

/// Longest name of an admin's category.
pub const CATEGORY_NAME_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentId(pub i32);

/// How the page may show a version: only types read from the content qualify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preview {
    Image,
    Pdf,
    /// A file icon with its size and type.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub id: i32,
    /// 1 for the first upload.
    pub number: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    pub preview: Preview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: DocumentId,
    pub category: String,
    /// The first version's file name.
    pub name: String,
    /// Newest first.
    pub versions: Vec<VersionView>,
}
