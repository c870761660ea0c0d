//! Wire types and rules of webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field, Rule};
use crate::outbound::{AllowedHosts, check_url_host, url_host};
use crate::pipeline::PipelineId;

/// What every signing secret starts with (the Standard Webhooks format).
pub const SECRET_PREFIX: &str = "whsec_";
/// Characters of a subscription's URL.
pub const URL_MAX: usize = 2000;
/// Characters of a subscription's description.
pub const DESCRIPTION_MAX: usize = 200;

/// The event types a subscription may ask for. `deal.won` and `deal.lost` are moves into a
/// won or lost stage (sent as that type to whoever asked for it, else as `deal.moved`);
/// `task.due` is a task's reminder time passing.
pub const EVENT_TYPES: [&str; 14] = [
    "deal.created",
    "deal.moved",
    "deal.returned",
    "deal.updated",
    "deal.won",
    "deal.lost",
    "client.created",
    "client.updated",
    "conclusion.added",
    "comment.added",
    "document.version_added",
    "task.created",
    "task.done",
    "task.due",
];

/// Pauses before each attempt: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
pub const RETRY_SCHEDULE_SECONDS: [i64; 10] =
    [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];

/// The pause before the next attempt after attempt `failed` (1-based) failed, stretched
/// or shrunk by `jitter` (a fraction, within ±0.1: receivers coming back up are not hit
/// by every sender at the same second); `None` after the last attempt.
pub fn retry_delay_seconds(failed: i32, jitter: f64) -> Option<i64> {
    let next = usize::try_from(failed).ok()?;
    let base = *RETRY_SCHEDULE_SECONDS.get(next)?;
    let jitter = jitter.clamp(-0.1, 0.1);
    // Whole seconds, at least one.
    Some(((base as f64) * (1.0 + jitter)).round().max(1.0) as i64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookId(pub i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliveryId(pub i64);

/// Whether a subscription sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    Active,
    /// By an administrator, or after a delivery failed every attempt: deliveries queue
    /// up and go out, in order, when it is resumed.
    Paused,
    /// The receiver answered 410 Gone: nothing more is queued until it is resumed.
    Disabled,
}

impl WebhookState {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookState::Active => "active",
            WebhookState::Paused => "paused",
            WebhookState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<WebhookState> {
        [
            WebhookState::Active,
            WebhookState::Paused,
            WebhookState::Disabled,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its time, or for an earlier delivery of the same record.
    Pending,
    /// A worker is sending it (until its lease ends).
    Sending,
    Delivered,
    /// Every attempt failed (or the receiver said 410); "resend" tries again.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Sending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// What an administrator fills in to subscribe (or to change a subscription).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInput {
    pub url: String,
    #[serde(default)]
    pub description: String,
    pub event_types: Vec<String>,
    /// Only events of this pipeline's deals (and what is attached to them).
    #[serde(default)]
    pub pipeline_id: Option<PipelineId>,
}

/// Checks a subscription before anything is stored: an http(s) URL to a host the server
/// may call, a short description, at least one known event type.
pub fn validate_input(input: &WebhookInput, allowed: &AllowedHosts) -> Result<(), AppError> {
    crate::limits::check_chars(&input.url, URL_MAX, Field::WebhookUrl)?;
    crate::limits::check_chars(&input.description, DESCRIPTION_MAX, Field::Description)?;
    crate::limits::check_count(
        input.event_types.len(),
        EVENT_TYPES.len(),
        Field::EventTypes,
    )?;
    let url = input.url.trim();
    if url.is_empty() {
        return Err(AppError::validation(Field::WebhookUrl, Rule::Required));
    }
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let spaced = url.chars().any(char::is_whitespace);
    let Some(host) = url_host(url).filter(|_| scheme_ok && !spaced) else {
        return Err(AppError::validation(Field::WebhookUrl, Rule::InvalidUrl));
    };
    check_url_host(host, allowed).map_err(|rule| AppError::validation(Field::WebhookUrl, rule))?;
    if input.event_types.is_empty() {
        return Err(AppError::validation(Field::EventTypes, Rule::Required));
    }
    if input
        .event_types
        .iter()
        .any(|kind| !EVENT_TYPES.contains(&kind.as_str()))
    {
        return Err(AppError::validation(Field::EventTypes, Rule::UnknownValue));
    }
    Ok(())
}

/// A subscription as the administrators' page shows it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub pipeline_id: Option<PipelineId>,
    pub state: WebhookState,
    /// Why it is paused or disabled, in our words.
    pub state_reason: Option<String>,
    pub owner_name: String,
    pub created_at: DateTime<Utc>,
    /// Until when the secret replaced by a rotation still signs.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub pending: u64,
    pub delivered: u64,
    pub failed: u64,
}

/// A new subscription with its secret, or a rotated secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    pub secret: String,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, in our words (a refusal, a timeout, a network error, a status).
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub excerpt: String,
    pub duration_ms: i32,
}

/// A delivery of one event to one subscription, with its attempts (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: DeliveryId,
    pub event_id: i64,
    pub event_type: String,
    /// The record it is about (`deal:12`): deliveries of one record go in order.
    pub lane: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_at: DateTime<Utc>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<AttemptView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, types: &[&str]) -> WebhookInput {
        WebhookInput {
            url: url.to_owned(),
            description: String::new(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            pipeline_id: None,
        }
    }

    fn field_rule(result: Result<(), AppError>) -> Option<(Field, Rule)> {
        match result {
            Err(AppError::Validation { field, rule }) => Some((field, rule)),
            _ => None,
        }
    }

    #[test]
    fn the_schedule_spans_about_three_days_with_bounded_jitter() {
        assert_eq!(retry_delay_seconds(1, 0.0), Some(5));
        assert_eq!(retry_delay_seconds(2, 0.0), Some(300));
        assert_eq!(retry_delay_seconds(9, 0.0), Some(86_400));
        assert_eq!(retry_delay_seconds(10, 0.0), None, "ten attempts in all");
        assert_eq!(
            retry_delay_seconds(0, 0.0),
            Some(1),
            "never zero after a failure"
        );
        assert_eq!(retry_delay_seconds(-1, 0.0), None);
        assert_eq!(
            retry_delay_seconds(3, 0.5),
            Some(1980),
            "jitter capped at 10 %"
        );
        assert_eq!(retry_delay_seconds(3, -0.1), Some(1620));
        let total: i64 = RETRY_SCHEDULE_SECONDS.iter().sum();
        assert!((2 * 86_400..4 * 86_400).contains(&total), "{total}");
    }

    #[test]
    fn subscriptions_are_checked() {
        let allowed = AllowedHosts::default();
        let ok = input("https://hooks.example.com/konveyer", &["deal.moved"]);
        assert_eq!(validate_input(&ok, &allowed), Ok(()));
        for (bad, expected) in [
            (
                input("", &["deal.moved"]),
                (Field::WebhookUrl, Rule::Required),
            ),
            (
                input("ftp://x.example/", &["deal.moved"]),
                (Field::WebhookUrl, Rule::InvalidUrl),
            ),
            (
                input("https://a b.example/", &["deal.moved"]),
                (Field::WebhookUrl, Rule::InvalidUrl),
            ),
            (
                input("http://127.0.0.1:9/", &["deal.moved"]),
                (Field::WebhookUrl, Rule::PrivateAddress),
            ),
            (
                input("http://localhost/", &["deal.moved"]),
                (Field::WebhookUrl, Rule::PrivateAddress),
            ),
            (
                input("https://x.example/", &[]),
                (Field::EventTypes, Rule::Required),
            ),
            (
                input("https://x.example/", &["deal.exploded"]),
                (Field::EventTypes, Rule::UnknownValue),
            ),
            (
                input(
                    &format!("https://x.example/{}", "a".repeat(URL_MAX)),
                    &["deal.moved"],
                ),
                (Field::WebhookUrl, Rule::TooLong { max: URL_MAX }),
            ),
        ] {
            assert_eq!(
                field_rule(validate_input(&bad, &allowed)),
                Some(expected),
                "{bad:?}"
            );
        }
        let many = input("https://x.example/", &["deal.moved"; 15]);
        assert_eq!(
            field_rule(validate_input(&many, &allowed)).map(|(field, _)| field),
            Some(Field::EventTypes)
        );
        let local = AllowedHosts::new(["127.0.0.1"]);
        assert_eq!(
            validate_input(&input("http://127.0.0.1:9/", &["deal.moved"]), &local),
            Ok(())
        );
    }

    #[test]
    fn states_read_back() {
        for state in [
            WebhookState::Active,
            WebhookState::Paused,
            WebhookState::Disabled,
        ] {
            assert_eq!(WebhookState::parse(state.as_str()), Some(state));
        }
        for state in [
            DeliveryState::Pending,
            DeliveryState::Sending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ] {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
    }
}
