//! `/api/v1/tasks`: the token user's tasks, a deal's tasks, a new task (its reminder goes
//! on the job queue as for any task), ticking one done.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::api_token::{ApiAccess, ApiResource};
use shared::deal::DealId;
use shared::public::Page;
use shared::task::TaskId;
use shared::task::public::{ApiTask, ApiTaskCreate, ApiTaskDone};
use shared::task::service as tasks;

use super::extract::{ApiJson, Caller, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply, now, run_once};
use crate::AppState;

/// The token user's tasks: open ones by due time (overdue first), then the latest done.
#[utoipa::path(get, path = "/api/v1/tasks", operation_id = "list_my_tasks", tag = "tasks",
    responses(
        (status = 200, body = Page<ApiTask>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn mine(State(state): State<AppState>, caller: Caller) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Tasks, ApiAccess::Read)?;
    let mine = tasks::my_tasks(&state.db, actor, now()).await?;
    let data: Vec<ApiTask> = mine
        .open
        .into_iter()
        .chain(mine.done)
        .map(ApiTask::from)
        .collect();
    Ok(Reply::ok(Page::all(data)))
}

/// Every task about the deal, open ones first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/tasks", operation_id = "list_deal_tasks",
    tag = "tasks", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiTask>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn of_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Tasks, ApiAccess::Read)?;
    let deal = DealId(record_id(&id)?);
    shared::deal::service::get_deal(&state.db, actor, deal).await?;
    let found = tasks::tasks_of(&state.db, shared::timeline::Subject::Deal(deal)).await?;
    Ok(Reply::ok(Page::all(
        found.into_iter().map(ApiTask::from).collect::<Vec<_>>(),
    )))
}

/// A new task.
#[utoipa::path(post, path = "/api/v1/tasks", operation_id = "create_task", tag = "tasks",
    request_body = ApiTaskCreate, params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = ApiTask),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: ApiJson<ApiTaskCreate>,
) -> Response {
    let call = async {
        let actor = caller.may(ApiResource::Tasks, ApiAccess::Write)?;
        let task =
            tasks::create_task(&state.db, actor, body.value.clone().into_new()?, now()).await?;
        Ok(Reply::ok(ApiTask::from(task)).created("/api/v1/tasks".to_owned()))
    };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

/// Ticks a task done or opens it again: its assignee, its creator, administrators and
/// managers; someone else's task looks missing.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/done", operation_id = "set_task_done",
    tag = "tasks", request_body = ApiTaskDone, params(("id" = i32, Path)),
    responses(
        (status = 200, body = ApiTask),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn done(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: ApiJson<ApiTaskDone>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Tasks, ApiAccess::Write)?;
    let id = TaskId(record_id(&id)?);
    let task = tasks::set_task_done(&state.db, actor, id, body.value.done, now()).await?;
    Ok(Reply::ok(ApiTask::from(task)))
}
