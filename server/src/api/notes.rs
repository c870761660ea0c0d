//! What departments and colleagues add to a deal or client through the API: conclusions
//! (read and add) and comments (read by cursor, add). The same use cases as the cards.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use shared::api_token::{ApiAccess, ApiResource};
use shared::client::ClientId;
use shared::comment::NewComment;
use shared::comment::public::{ApiComment, ApiCommentAdded, ApiCommentCreate};
use shared::conclusion::public::{ApiConclusion, ApiConclusionCreate};
use shared::deal::DealId;
use shared::public::{Page, decode_cursor, page_limit};
use shared::timeline::Subject;

use super::extract::{ApiJson, ApiQuery, Caller, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply, now, run_once};
use crate::AppState;

/// Every department's conclusions on the deal, newest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/conclusions", operation_id = "list_conclusions",
    tag = "deals", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiConclusion>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn conclusions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let deal = DealId(record_id(&id)?);
    // The deal's visibility first: conclusions of a hidden deal look missing.
    shared::deal::service::get_deal(&state.db, actor, deal).await?;
    let found = shared::conclusion::service::conclusions_of(&state.db, deal).await?;
    Ok(Reply::ok(Page::all(
        found
            .into_iter()
            .map(ApiConclusion::from)
            .collect::<Vec<_>>(),
    )))
}

/// A conclusion of one of the token user's departments.
#[utoipa::path(post, path = "/api/v1/deals/{id}/conclusions", operation_id = "add_conclusion",
    tag = "deals", request_body = ApiConclusionCreate,
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = ApiConclusion),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn add_conclusion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<ApiConclusionCreate>,
) -> Response {
    let call = async {
        let actor = caller.may(ApiResource::Deals, ApiAccess::Write)?;
        let deal = DealId(record_id(&id)?);
        let cmd = body.value.clone().for_deal(deal);
        let added =
            shared::conclusion::service::add_conclusion(&state.db, actor, cmd, now()).await?;
        let location = format!("/api/v1/deals/{}/conclusions", deal.0);
        Ok(Reply::ok(ApiConclusion::from(added)).created(location))
    };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

/// A comment on the deal; `@handle` mentions notify colleagues who may see it.
#[utoipa::path(post, path = "/api/v1/deals/{id}/comments", operation_id = "add_comment",
    tag = "deals", request_body = ApiCommentCreate,
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = ApiCommentAdded),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<ApiCommentCreate>,
) -> Response {
    let call = async {
        let actor = caller.may(ApiResource::Deals, ApiAccess::Write)?;
        let deal = DealId(record_id(&id)?);
        let cmd = NewComment {
            subject: shared::timeline::Subject::Deal(deal),
            text: body.value.text.clone(),
        };
        let notified =
            shared::comment::service::add_comment(&state.db, &state.events, actor, cmd, now())
                .await?;
        let location = format!("/api/v1/deals/{}", deal.0);
        Ok(Reply::ok(ApiCommentAdded {
            notified_user_ids: notified.into_iter().map(|u| u.0).collect(),
        })
        .created(location))
    };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommentListQuery {
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

async fn comments_of(
    state: &AppState,
    actor: &shared::access::Actor,
    subject: Subject,
    query: CommentListQuery,
) -> Result<Reply, Problem> {
    let limit = page_limit(query.limit)?;
    let after = decode_cursor(query.cursor.as_deref())?;
    let (found, more) =
        shared::comment::service::list_comments_after(&state.db, actor, subject, after, limit)
            .await?;
    let data: Vec<ApiComment> = found.into_iter().map(ApiComment::from).collect();
    Ok(Reply::ok(Page::by_id(data, more, |c| i64::from(c.id))))
}

/// The deal's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/comments", operation_id = "list_deal_comments",
    tag = "deals", params(("id" = i32, Path), CommentListQuery),
    responses(
        (status = 200, body = Page<ApiComment>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn deal_comments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CommentListQuery>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let deal = DealId(record_id(&id)?);
    comments_of(&state, actor, Subject::Deal(deal), query).await
}

/// The client's own comments (not their deals'), oldest first.
#[utoipa::path(get, path = "/api/v1/clients/{id}/comments", operation_id = "list_client_comments",
    tag = "clients", params(("id" = i32, Path), CommentListQuery),
    responses(
        (status = 200, body = Page<ApiComment>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn client_comments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CommentListQuery>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Read)?;
    let client = ClientId(record_id(&id)?);
    comments_of(&state, actor, Subject::Client(client), query).await
}
