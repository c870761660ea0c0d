//! Integration tests of the services and the HTTP surface, against a real database:
//! a temporary SQLite file by default, a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set (the test command runs both).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

mod harness;

mod access;
mod analytics;
mod api;
mod api_records;
mod audit;
mod auth;
mod automation;
mod bounds;
mod clients;
mod conclusions;
mod conveyor;
mod custom_fields;
mod digest;
mod documents;
mod editing;
mod events;
mod http;
mod org;
mod outbound;
mod sessions;
mod tasks;
mod timeline;
mod two_servers;
mod webhooks;
