//! What departments and colleagues add to a deal through the API: conclusions (read and
//! add) and comments (add). The same use cases as the deal card.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::api_token::{ApiAccess, ApiResource};
use shared::comment::NewComment;
use shared::comment::public::{ApiCommentAdded, ApiCommentCreate};
use shared::conclusion::public::{ApiConclusion, ApiConclusionCreate};
use shared::deal::DealId;
use shared::public::Page;

use super::extract::{ApiJson, Caller, record_id};
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
