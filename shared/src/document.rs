//! Documents on deals and clients: each upload of a file to an existing document is a new
//! version, and every version is kept. The bytes live in an object store (a folder under
//! the data directory by default); the database keeps what each version is: its safe
//! name, the type read from its content, its size and who uploaded it when.

pub mod public;
mod rules;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use rules::{safe_file_name, sniff};
pub use types::{
    CATEGORIES, CATEGORY_NAME_MAX, CUSTOM_CATEGORY_PREFIX, DocumentCategory, DocumentId,
    DocumentView, Preview, VersionView,
};
