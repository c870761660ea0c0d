//! Tasks: something to do by a time, for one person, about a deal, a client or nothing in
//! particular. "My tasks" lists the open ones by due time (overdue first); at the due time
//! the assignee gets a reminder notification from the server's reminder job, which keeps
//! its progress in the database and so survives restarts.

pub mod public;
mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

pub use types::{MyTasks, NewTask, TITLE_MAX, TaskId, TaskView};
