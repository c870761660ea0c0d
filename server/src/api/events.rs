//! `/api/v1/events`: the event log by cursor, for systems that poll instead of receiving
//! webhooks. A token reads what its user's live stream would carry.

use axum::extract::State;
use serde::Deserialize;
use shared::api_token::{ApiAccess, ApiResource};
use shared::event::outbox::feed_after;
use shared::event::public::ApiEvent;
use shared::public::{Page, decode_cursor, encode_cursor, page_limit};

use super::extract::{ApiQuery, Caller};
use super::problem::ProblemDocument;
use super::{Problem, Reply};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventListQuery {
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// `next_cursor` of the page before; from the first event when absent.
    cursor: Option<String>,
}

/// Events oldest first. `next_cursor` is always set: poll with it to get what happens
/// next (an empty page with `has_more: false` means nothing new yet).
#[utoipa::path(get, path = "/api/v1/events", operation_id = "list_events", tag = "events", params(EventListQuery),
    responses(
        (status = 200, body = Page<ApiEvent>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EventListQuery>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Events, ApiAccess::Read)?;
    let limit = page_limit(query.limit)?;
    let after = decode_cursor(query.cursor.as_deref())?;
    let (found, last, more) = feed_after(&state.db, actor, after, limit).await?;
    Ok(Reply::ok(Page {
        data: found.into_iter().map(ApiEvent::from).collect::<Vec<_>>(),
        next_cursor: Some(encode_cursor(last)),
        has_more: more,
    }))
}
