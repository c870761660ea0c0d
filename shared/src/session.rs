//! Server-side sessions stored in the database, so any server instance can serve any
//! request and an administrator can end a user's sessions.

pub mod entity;
pub mod service;
