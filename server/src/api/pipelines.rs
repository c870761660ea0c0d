//! `/api/v1/pipelines`: the pipelines and their stages, for building moves.

use axum::extract::{Path, State};
use shared::api_token::{ApiAccess, ApiResource};
use shared::pipeline::PipelineId;
use shared::pipeline::public::ApiPipeline;
use shared::pipeline::service::{list_pipelines, load_pipeline};
use shared::public::Page;

use super::extract::{Caller, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply};
use crate::AppState;

/// Every pipeline with its stages, oldest first.
#[utoipa::path(get, path = "/api/v1/pipelines", operation_id = "list_pipelines", tag = "pipelines",
    responses(
        (status = 200, body = Page<ApiPipeline>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Reply, Problem> {
    caller.may(ApiResource::Pipelines, ApiAccess::Read)?;
    let mut data = Vec::new();
    for (id, _) in list_pipelines(&state.db).await? {
        data.push(ApiPipeline::from(load_pipeline(&state.db, id).await?));
    }
    Ok(Reply::ok(Page::all(data)))
}

/// One pipeline with its stages.
#[utoipa::path(get, path = "/api/v1/pipelines/{id}", operation_id = "get_pipeline", tag = "pipelines",
    params(("id" = i32, Path)),
    responses(
        (status = 200, body = ApiPipeline),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    caller.may(ApiResource::Pipelines, ApiAccess::Read)?;
    let pipeline = load_pipeline(&state.db, PipelineId(record_id(&id)?)).await?;
    Ok(Reply::ok(ApiPipeline::from(pipeline)))
}
