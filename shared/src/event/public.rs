//! The event log in the REST API's public shape (v1): the same JSON webhooks will carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::EventRecord;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiEventActor {
    /// `user`, `rule`, `token` or `system`.
    pub kind: String,
    pub user_id: Option<i32>,
    /// How history names a rule or a token ("Rule: …", "API: …").
    pub label: Option<String>,
}

/// One event: what happened (`type`, such as `deal.moved`), to what, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiEvent {
    /// Increasing; poll with the list's cursor to continue after it.
    pub id: i64,
    /// The version of `data`'s shape for this `type`.
    pub schema: u16,
    pub occurred_at: DateTime<Utc>,
    pub actor: ApiEventActor,
    #[serde(rename = "type")]
    pub kind: String,
    /// The facts of this type of event (for deals, the deal as it is after the change).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub data: serde_json::Value,
}

impl From<EventRecord> for ApiEvent {
    fn from(record: EventRecord) -> Self {
        let kind = record.data.kind().to_owned();
        let data = serde_json::to_value(&record.data)
            .ok()
            .and_then(|mut tagged| tagged.get_mut("data").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null);
        ApiEvent {
            id: record.id,
            schema: record.schema,
            occurred_at: record.occurred_at,
            actor: ApiEventActor {
                kind: record.actor.kind,
                user_id: record.actor.user_id.map(|u| u.0),
                label: record.actor.label,
            },
            kind,
            data,
        }
    }
}
