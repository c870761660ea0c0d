//! Custom fields: fields an admin defines for deals (of one pipeline or all pipelines) and
//! for clients, of eleven kinds, with a group, an order, a required flag and help text.
//! Values are checked on the server (`rules::check_value`), stored in their canonical text
//! (`custom_values`), required by stages before a deal enters them, filterable on the
//! board, and every change lands in the record's timeline with its old and new value.

mod types;

pub mod rules;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::{
    CustomFieldDraft, CustomFieldId, CustomFieldKind, CustomFieldRef, CustomFieldView,
    CustomFilter, CustomInput, CustomValues, FilterShape, RecordKind,
};
