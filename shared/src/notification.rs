//! In-app notifications: a mention in a comment (and, later, a task's reminder) for one
//! person, unread until they open or mark it. The bell counts the unread ones and is told
//! live when a new one arrives.

mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::{NotificationKind, NotificationList, NotificationView};
