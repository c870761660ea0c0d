//! Work the server does on its own schedule.

pub mod digest;
pub mod reminders;
