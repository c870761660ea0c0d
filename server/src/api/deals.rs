//! `/api/v1/deals`: list with the board's filters, read, create, change, move, history.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use shared::AppError;
use shared::api_token::{ApiAccess, ApiResource};
use shared::board::BoardFilter;
use shared::deal::public::{ApiDeal, ApiDealCreate, ApiDealMove, ApiDealPatch};
use shared::deal::{DealId, MoveDeal, service as deals};
use shared::public::{Page, decode_cursor, page_limit};
use shared::transition::public::ApiTransition;

use super::extract::{ApiJson, ApiQuery, Caller, if_match, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply, now, run_once};
use crate::AppState;

/// The board's filters, and the page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DealListQuery {
    /// Deals of one pipeline (all pipelines when absent).
    pipeline_id: Option<i32>,
    /// Deals in one stage.
    stage_id: Option<i32>,
    responsible_id: Option<i32>,
    /// Deals at the stages of one department.
    department_id: Option<i32>,
    #[param(value_type = Option<String>, example = "1000.00")]
    amount_min: Option<Decimal>,
    #[param(value_type = Option<String>)]
    amount_max: Option<Decimal>,
    /// Created on or after this day (UTC).
    created_from: Option<NaiveDate>,
    /// Created on or before this day (UTC).
    created_to: Option<NaiveDate>,
    /// In the title, or the client's name, phone or e-mail.
    search: Option<String>,
    /// Only deals past their stage's SLA.
    sla_exceeded: Option<bool>,
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

/// The deals the token's user may see, oldest first. Within one `pipeline_id`, its custom
/// fields filter as on the board: `cf.<field id>=<value>` (equal to, or for a multi-select containing, the value),
/// `cf.<field id>.min=` and `cf.<field id>.max=` (numbers and dates).
#[utoipa::path(get, path = "/api/v1/deals", operation_id = "list_deals", tag = "deals", params(DealListQuery),
    responses(
        (status = 200, body = Page<ApiDeal>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 429, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
) -> Result<Reply, Problem> {
    let (ApiQuery(query), custom) = board_query(&uri)?;
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let limit = page_limit(query.limit)?;
    let after = decode_cursor(query.cursor.as_deref())?;
    let filter = BoardFilter {
        responsible: query.responsible_id.map(shared::user::UserId),
        department: query.department_id.map(shared::department::DepartmentId),
        amount_min: query.amount_min,
        amount_max: query.amount_max,
        sla_exceeded: query.sla_exceeded.unwrap_or(false),
        created_from: query.created_from,
        created_to: query.created_to,
        search: query.search,
        custom,
    };
    let (found, more) = shared::board::service::list_deals_after(
        &state.db,
        actor,
        query.pipeline_id.map(shared::pipeline::PipelineId),
        query.stage_id.map(shared::pipeline::StageId),
        &filter,
        after,
        limit,
        now(),
    )
    .await?;
    let data: Vec<ApiDeal> = found.into_iter().map(ApiDeal::from).collect();
    Ok(Reply::ok(Page::by_id(data, more, |deal| {
        i64::from(deal.id)
    })))
}

/// The list's named parameters, and its `cf.` custom-field conditions (which a fixed
/// query type cannot name, so they are taken out first; any other unknown key is 400).
fn board_query(
    uri: &axum::http::Uri,
) -> Result<
    (
        ApiQuery<DealListQuery>,
        Vec<shared::custom_field::CustomFilter>,
    ),
    Problem,
> {
    use axum::extract::Query;
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|err| Problem::malformed(err.body_text()))?;
    shared::limits::check_raw_list(
        pairs.len(),
        shared::limits::CUSTOM_FILTERS_MAX,
        shared::Field::CustomField,
    )?;
    let custom = shared::custom_field::CustomFilter::from_query(
        pairs
            .iter()
            .filter(|(key, _)| key.starts_with("cf."))
            .map(|(key, value)| (key.as_str(), value.as_str())),
    );
    let named: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(key, _)| !key.starts_with("cf."))
        .collect();
    let named = serde_urlencoded::to_string(&named).map_err(|_| Problem::malformed("bad query"))?;
    let query = serde_urlencoded::from_str::<DealListQuery>(&named)
        .map_err(|err| Problem::malformed(format!("Failed to deserialize query string: {err}")))?;
    Ok((ApiQuery(query), custom))
}

/// One deal, with its version as the `ETag`.
#[utoipa::path(get, path = "/api/v1/deals/{id}", operation_id = "get_deal", tag = "deals",
    params(("id" = i32, Path)),
    responses(
        (status = 200, body = ApiDeal, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let deal = deals::get_deal(&state.db, actor, DealId(record_id(&id)?)).await?;
    let version = deal.version;
    Ok(Reply::record(ApiDeal::from(deal), version))
}

/// A new deal in its pipeline's first stage. With an `Idempotency-Key`, a retry of the
/// same request returns the first answer instead of a second deal.
#[utoipa::path(post, path = "/api/v1/deals", operation_id = "create_deal", tag = "deals", request_body = ApiDealCreate,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = ApiDeal, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: ApiJson<ApiDealCreate>,
) -> Response {
    let call = async {
        let actor = caller.may(ApiResource::Deals, ApiAccess::Write)?;
        let deal =
            deals::create_deal(&state.db, &state.events, actor, body.value.into(), now()).await?;
        let (id, version) = (deal.id.0, deal.version);
        Ok(Reply::record(ApiDeal::from(deal), version).created(format!("/api/v1/deals/{id}")))
    };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

/// Changes some fields; absent ones keep their values. With `If-Match`, a deal changed
/// since that version is refused with 412 and the current deal.
#[utoipa::path(patch, path = "/api/v1/deals/{id}", operation_id = "update_deal", tag = "deals", request_body = ApiDealPatch,
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = ApiDeal, headers(("ETag" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<ApiDealPatch>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Write)?;
    let id = DealId(record_id(&id)?);
    let expected = if_match(&headers)?;
    let current = deals::get_deal(&state.db, actor, id).await?;
    let version = checked_version(&current, expected)?;
    let cmd = body.value.over(&current, version);
    let changed = deals::update_deal(&state.db, &state.events, actor, cmd, now()).await;
    stale_as_precondition(&state, actor, id, expected, changed).await
}

/// Moves the deal through the same rules as the board: allowed moves, a comment for a
/// return, the stage's required fields. `If-Match` as for a change.
#[utoipa::path(post, path = "/api/v1/deals/{id}/move", operation_id = "move_deal", tag = "deals", request_body = ApiDealMove,
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 200, body = ApiDeal, headers(("ETag" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn move_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: ApiJson<ApiDealMove>,
) -> Response {
    let call = async {
        let actor = caller.may(ApiResource::Deals, ApiAccess::Write)?;
        let id = DealId(record_id(&id)?);
        let expected = if_match(&headers)?;
        let current = deals::get_deal(&state.db, actor, id).await?;
        let version = checked_version(&current, expected)?;
        let cmd = MoveDeal {
            deal_id: id,
            to_stage: shared::pipeline::StageId(body.value.stage_id),
            version,
            comment: body.value.comment.clone(),
        };
        let moved = deals::move_deal(&state.db, &state.events, actor, cmd, now()).await;
        stale_as_precondition(&state, actor, id, expected, moved).await
    };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

/// The deal's moves, newest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/transitions", operation_id = "list_deal_transitions", tag = "deals",
    params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiTransition>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn transitions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Deals, ApiAccess::Read)?;
    let history = deals::list_transitions(&state.db, actor, DealId(record_id(&id)?)).await?;
    Ok(Reply::ok(Page::all(
        history
            .into_iter()
            .map(ApiTransition::from)
            .collect::<Vec<_>>(),
    )))
}

fn checked_version(
    current: &shared::deal::DealView,
    expected: Option<i32>,
) -> Result<i32, Problem> {
    super::version_to_change(current.version, expected)
        .ok_or_else(|| super::stale(ApiDeal::from(current.clone())))
}

/// A change's answer; a version that went stale between the check and the write is 412
/// with the current deal when the caller named one (`If-Match`), 409 otherwise.
async fn stale_as_precondition(
    state: &AppState,
    actor: &shared::access::Actor,
    id: DealId,
    expected: Option<i32>,
    changed: Result<shared::deal::DealView, AppError>,
) -> Result<Reply, Problem> {
    match changed {
        Ok(deal) => {
            let version = deal.version;
            Ok(Reply::record(ApiDeal::from(deal), version))
        }
        Err(AppError::Conflict { .. }) if expected.is_some() => {
            let current = deals::get_deal(&state.db, actor, id).await?;
            Err(super::stale(ApiDeal::from(current)))
        }
        Err(err) => Err(err.into()),
    }
}
