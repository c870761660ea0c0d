//! `/api/v1/clients`: list (search and filters of the clients list, by cursor), read with
//! `ETag`, create (duplicate check, `Idempotency-Key`), change with `If-Match`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use shared::AppError;
use shared::api_token::{ApiAccess, ApiResource};
use shared::client::public::{ApiClient, ApiClientCreate, ApiClientPatch};
use shared::client::{ClientId, ClientKind, ClientListFilter, service as clients};
use shared::public::{Page, decode_cursor, page_limit};

use super::extract::{ApiJson, ApiQuery, Caller, if_match, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply, now, run_once, stale, version_to_change};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientListQuery {
    /// Name, phone, e-mail, messenger or tax id.
    search: Option<String>,
    kind: Option<ClientKind>,
    responsible_id: Option<i32>,
    tag: Option<String>,
    /// The people of this company.
    company_id: Option<i32>,
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

/// The clients the token's user may see, oldest first.
#[utoipa::path(get, path = "/api/v1/clients", operation_id = "list_clients", tag = "clients",
    params(ClientListQuery),
    responses(
        (status = 200, body = Page<ApiClient>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ClientListQuery>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Read)?;
    let filter = ClientListFilter {
        search: query.search,
        kind: query.kind,
        responsible: query.responsible_id.map(shared::user::UserId),
        tag: query.tag,
        company: query.company_id.map(ClientId),
        page: 0,
    };
    page_of(&state, actor, &filter, query.limit, query.cursor.as_deref()).await
}

async fn page_of(
    state: &AppState,
    actor: &shared::access::Actor,
    filter: &ClientListFilter,
    limit: Option<u64>,
    cursor: Option<&str>,
) -> Result<Reply, Problem> {
    let limit = page_limit(limit)?;
    let after = decode_cursor(cursor)?;
    let (found, more) = clients::list_clients_after(&state.db, actor, filter, after, limit).await?;
    let data: Vec<ApiClient> = found.into_iter().map(ApiClient::from).collect();
    Ok(Reply::ok(Page::by_id(data, more, |client| {
        i64::from(client.id)
    })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactsQuery {
    /// 1 to 100; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
    /// `next_cursor` of the page before.
    cursor: Option<String>,
}

/// A company's contacts: the people (clients of kind `person`) who belong to it and whom
/// the token's user may see. Add one with `POST /api/v1/clients` and its `company_id`.
#[utoipa::path(get, path = "/api/v1/clients/{id}/contacts", operation_id = "list_client_contacts",
    tag = "clients", params(("id" = i32, Path), ContactsQuery),
    responses(
        (status = 200, body = Page<ApiClient>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn contacts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ContactsQuery>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Read)?;
    // The company itself first: the contacts of a hidden one look missing.
    let company = clients::get_client(&state.db, actor, ClientId(record_id(&id)?)).await?;
    let filter = ClientListFilter {
        company: Some(company.id),
        ..ClientListFilter::default()
    };
    page_of(&state, actor, &filter, query.limit, query.cursor.as_deref()).await
}

/// One client, with its version as the `ETag`.
#[utoipa::path(get, path = "/api/v1/clients/{id}", operation_id = "get_client", tag = "clients",
    params(("id" = i32, Path)),
    responses(
        (status = 200, body = ApiClient, headers(("ETag" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Read)?;
    let client = clients::get_client(&state.db, actor, ClientId(record_id(&id)?)).await?;
    let version = client.version;
    Ok(Reply::record(ApiClient::from(client), version))
}

/// A new client. A phone, e-mail or tax id another client has is 409 with the matches,
/// unless `allow_duplicate`.
#[utoipa::path(post, path = "/api/v1/clients", operation_id = "create_client", tag = "clients",
    request_body = ApiClientCreate,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = ApiClient, headers(("ETag" = String), ("Location" = String))),
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
    body: ApiJson<ApiClientCreate>,
) -> Response {
    let call =
        async {
            let actor = caller.may(ApiResource::Clients, ApiAccess::Write)?;
            let client = clients::create_client(&state.db, actor, body.value.clone().into(), now())
                .await
                .map_err(duplicate_details)?;
            let (id, version) = (client.id.0, client.version);
            Ok(Reply::record(ApiClient::from(client), version)
                .created(format!("/api/v1/clients/{id}")))
        };
    run_once(&state, &caller, &headers, &body.request_hash, call).await
}

/// Changes some fields; absent ones keep their values. With `If-Match`, a client changed
/// since that version is refused with 412 and the current client.
#[utoipa::path(patch, path = "/api/v1/clients/{id}", operation_id = "update_client",
    tag = "clients", request_body = ApiClientPatch,
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = ApiClient, headers(("ETag" = String))),
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
    body: ApiJson<ApiClientPatch>,
) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Clients, ApiAccess::Write)?;
    let id = ClientId(record_id(&id)?);
    let expected = if_match(&headers)?;
    let current = clients::get_client(&state.db, actor, id).await?;
    let version = version_to_change(current.version, expected)
        .ok_or_else(|| stale(ApiClient::from(current.clone())))?;
    let cmd = body.value.over(&current, version);
    match clients::update_client(&state.db, actor, cmd, now()).await {
        Ok(client) => {
            let version = client.version;
            Ok(Reply::record(ApiClient::from(client), version))
        }
        Err(AppError::Conflict { .. }) if expected.is_some() => {
            let current = clients::get_client(&state.db, actor, id).await?;
            Err(stale(ApiClient::from(current)))
        }
        Err(err) => Err(duplicate_details(err)),
    }
}

/// A possible duplicate carries the matches, so the caller can link to them or confirm.
fn duplicate_details(err: AppError) -> Problem {
    let matches = match &err {
        AppError::PossibleDuplicate { matches } => serde_json::to_value(matches).ok(),
        _ => None,
    };
    let mut problem = Problem::from(err);
    problem.current = matches;
    problem
}
