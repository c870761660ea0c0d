//! Outbound webhooks: an administrator subscribes a URL to event types (optionally for one
//! pipeline); every matching event of the log becomes a delivery, signed per the Standard
//! Webhooks spec, sent by the job queue in order per record, retried for up to a day and a
//! half of pauses (about three days in all), with every attempt kept.

mod types;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod signature;

pub use types::{
    AttemptView, CreatedWebhook, DESCRIPTION_MAX, DeliveryId, DeliveryState, DeliveryView,
    EVENT_TYPES, RETRY_SCHEDULE_SECONDS, SECRET_PREFIX, URL_MAX, WebhookId, WebhookInput,
    WebhookState, WebhookView, retry_delay_seconds, validate_input,
};
