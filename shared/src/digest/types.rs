//! Wire types of the digest settings page.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// How many stuck deals a digest names.
pub const STUCK_SHOWN: usize = 5;

/// When and where a person's digest goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSettings {
    pub enabled: bool,
    /// Time of day it is sent at, in the person's own time zone (`UserView::time_zone`).
    pub send_at: NaiveTime,
    /// To the person's e-mail address.
    pub by_email: bool,
    /// A messenger webhook (e.g. a Telegram bot's `sendMessage` URL); JSON
    /// `{"chat_id": ..., "text": ...}` is posted to it.
    pub messenger_url: Option<String>,
    pub messenger_chat_id: Option<String>,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            enabled: false,
            send_at: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
            by_email: true,
            messenger_url: None,
            messenger_chat_id: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Messenger,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Messenger => "messenger",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        [Channel::Email, Channel::Messenger]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// One delivery attempt series, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The recipient's local day the digest covered.
    pub day: NaiveDate,
    pub channel: Channel,
    pub delivered: bool,
    pub attempts: u32,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A digest as it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestText {
    pub subject: String,
    pub body: String,
}

/// The settings page: the settings, the address e-mail goes to, a preview of today's
/// digest so far and the latest deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestPage {
    pub settings: DigestSettings,
    pub email: String,
    /// The person's time zone, which `send_at` is in.
    pub time_zone: String,
    pub preview: DigestText,
    pub deliveries: Vec<DeliveryView>,
}
