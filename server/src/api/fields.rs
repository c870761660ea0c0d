//! `/api/v1/custom-fields` (the definitions) and a deal's or a client's custom values, so
//! integrators can read and write them (writing goes through `custom` on a deal's or a
//! client's create and PATCH).

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use shared::api_token::{ApiAccess, ApiResource};
use shared::client::ClientId;
use shared::client::service::get_client;
use shared::custom_field::service::{list_fields, values_of};
use shared::deal::DealId;
use shared::public::Page;
use shared::timeline::Subject;

use super::extract::{Caller, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply};
use crate::AppState;

/// A custom field an administrator defined on deals (of one pipeline or all) or clients.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCustomField {
    pub id: i32,
    /// `deal` or `client`.
    pub entity: String,
    /// For deal fields of one pipeline.
    pub pipeline_id: Option<i32>,
    pub label: String,
    /// `text`, `long_text`, `number`, `money`, `date`, `date_time`, `select`,
    /// `multi_select`, `checkbox`, `user` or `link`.
    pub kind: String,
    pub options: Vec<String>,
    pub currency: Option<String>,
    pub group: String,
    pub required: bool,
    pub help: String,
    /// Removed fields stay for history; they take no values.
    pub active: bool,
}

/// One filled custom field of a record, in its canonical text.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiCustomValueRead {
    pub field_id: i32,
    pub label: String,
    pub value: String,
}

fn code(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every custom field, in the order forms show them.
#[utoipa::path(get, path = "/api/v1/custom-fields", operation_id = "list_custom_fields",
    tag = "pipelines",
    responses(
        (status = 200, body = Page<ApiCustomField>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn custom_fields(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Reply, Problem> {
    caller.may(ApiResource::Pipelines, ApiAccess::Read)?;
    let data: Vec<ApiCustomField> = list_fields(&state.db)
        .await?
        .into_iter()
        .map(|field| ApiCustomField {
            id: field.id.0,
            entity: field.entity.as_str().to_owned(),
            pipeline_id: field.pipeline_id.map(|p| p.0),
            label: field.label,
            kind: code(field.kind),
            options: field.options,
            currency: field.currency,
            group: field.group,
            required: field.required,
            help: field.help,
            active: field.active,
        })
        .collect();
    Ok(Reply::ok(Page::all(data)))
}

/// The deal's filled custom fields.
#[utoipa::path(get, path = "/api/v1/deals/{id}/custom-values",
    operation_id = "list_deal_custom_values", tag = "deals", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiCustomValueRead>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn deal_values(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let deal = shared::deal::service::get_deal(&state.db, actor, DealId(record_id(&id)?)).await?;
    filled(&state, Subject::Deal(deal.id), Some(deal.pipeline_id)).await
}

/// The client's filled custom fields.
#[utoipa::path(get, path = "/api/v1/clients/{id}/custom-values",
    operation_id = "list_client_custom_values", tag = "clients", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiCustomValueRead>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn client_values(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Read)?;
    let client = get_client(&state.db, actor, ClientId(record_id(&id)?)).await?;
    filled(&state, Subject::Client(client.id), None).await
}

/// A record's filled custom fields (the caller has checked the record is visible).
async fn filled(
    state: &AppState,
    subject: Subject,
    pipeline: Option<shared::pipeline::PipelineId>,
) -> Result<Reply, Problem> {
    let values = values_of(&state.db, subject, pipeline).await?;
    let data: Vec<ApiCustomValueRead> = values
        .fields
        .iter()
        .filter_map(|field| {
            values.value(field.id).map(|value| ApiCustomValueRead {
                field_id: field.id.0,
                label: field.label.clone(),
                value: value.to_owned(),
            })
        })
        .collect();
    Ok(Reply::ok(Page::all(data)))
}
