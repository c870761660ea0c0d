//! The public REST API, `/api/v1`: deals, pipelines, the event log; called with an API
//! token (`Authorization: Bearer kvt_…`), counted per token, answered in JSON with errors
//! as problem documents. Every handler is a thin adapter onto the same `shared` use case
//! the UI calls. The OpenAPI document (`/api/v1/openapi.json`) is generated from the
//! handlers' annotations and the shared types; `/api/v1/docs` renders it.

mod clients;
mod deals;
mod docs;
mod documents;
mod events;
mod extract;
mod fields;
mod notes;
mod openapi;
mod people;
mod pipelines;
mod problem;
mod rate;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::api_token::service::{
    Idempotency, authenticate, begin_idempotent, finish_idempotent, forget_idempotent,
};

pub use extract::Caller;
pub use openapi::ApiDoc;
pub use problem::Problem;

use crate::AppState;

/// The largest body an API call may carry; larger ones get 413 before they are read.
pub const API_BODY_LIMIT: usize = 256 * 1024;

/// The API's routes, to merge into the application's router.
pub fn routes(state: &AppState) -> Router<AppState> {
    let limits = Arc::new(rate::RateLimits::default());
    // Uploads carry files; every other body is bounded by `API_BODY_LIMIT` as it is read.
    let upload_limit = DefaultBodyLimit::max(state.files.upload_body_limit());
    let with_token = Router::new()
        .route("/deals", get(deals::list).post(deals::create))
        .route("/deals/{id}", get(deals::get).patch(deals::update))
        .route("/deals/{id}/move", post(deals::move_deal))
        .route("/deals/{id}/transitions", get(deals::transitions))
        .route(
            "/deals/{id}/conclusions",
            get(notes::conclusions).post(notes::add_conclusion),
        )
        .route(
            "/deals/{id}/comments",
            get(notes::deal_comments).post(notes::add_comment),
        )
        .route("/clients/{id}/comments", get(notes::client_comments))
        .route("/deals/{id}/custom-values", get(fields::deal_values))
        .route("/clients/{id}/custom-values", get(fields::client_values))
        .route(
            "/deals/{id}/documents",
            get(documents::of_deal)
                .post(documents::upload_to_deal)
                .layer(upload_limit),
        )
        .route(
            "/clients/{id}/documents",
            get(documents::of_client)
                .post(documents::upload_to_client)
                .layer(upload_limit),
        )
        .route("/document-versions/{id}/content", get(documents::content))
        .route("/custom-fields", get(fields::custom_fields))
        .route("/deals/{id}/tasks", get(tasks::of_deal))
        .route("/tasks", get(tasks::mine).post(tasks::create))
        .route("/tasks/{id}/done", post(tasks::done))
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", get(clients::get).patch(clients::update))
        .route("/clients/{id}/contacts", get(clients::contacts))
        .route("/users", get(people::users))
        .route("/departments", get(people::departments))
        .route("/pipelines", get(pipelines::list))
        .route("/pipelines/{id}", get(pipelines::get))
        .route("/events", get(events::list))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), limits),
            require_token,
        ));
    let v1 = Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(docs::page))
        .merge(with_token)
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "request.method_not_allowed",
                "This resource does not take that method.",
            )
        });
    Router::new().nest("/api/v1", v1)
}

#[expect(clippy::disallowed_methods, reason = "the API is an adapter")]
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Every `/api/v1` resource but the document and its page: a live token (401 otherwise,
/// with `WWW-Authenticate`), then one call counted against the token's rate (429 with
/// `Retry-After` past it). The answer carries the `RateLimit` headers.
async fn require_token(
    State((state, limits)): State<(AppState, Arc<rate::RateLimits>)>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(secret) = secret else {
        return Problem::from(shared::AppError::Unauthenticated).into_response();
    };
    let now = now();
    let grant = match authenticate(&state.db, secret, now).await {
        Ok(grant) => grant,
        Err(err) => return Problem::from(err).into_response(),
    };
    let verdict = limits.take(grant.token_id, grant.rate_per_minute, now);
    if !verdict.allowed {
        let mut problem = Problem::from(shared::AppError::RateLimited {
            retry_after_secs: u64::from(verdict.reset),
        });
        problem.code = "api.rate_limited".to_owned();
        problem.title = format!(
            "This token may make {} calls a minute. Try again in {} seconds.",
            verdict.limit, verdict.reset
        );
        problem.headers.extend(verdict.headers());
        return problem.into_response();
    }
    let mut grant = grant;
    if let Some(address) = request.extensions().get::<shared::session::ClientAddress>() {
        grant.actor = grant.actor.with_address(address.0.clone());
    }
    let actor = grant.actor.clone();
    // The full path: inside `/api/v1` the request's own URI has lost its prefix.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |uri| uri.path().to_owned(),
        );
    let target = format!("{} {path}", request.method());
    request.extensions_mut().insert(Caller(grant));
    let mut response = next.run(request).await;
    if response.status() == StatusCode::FORBIDDEN {
        crate::audit::record_denial(&state, &actor, target).await;
    }
    verdict.apply(response.headers_mut());
    response
}

/// A successful answer: a status, the JSON body and, for one record, its ETag and
/// (when created) where it lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    /// A problem document rather than a record (a refusal kept for an idempotency key).
    #[serde(default)]
    pub problem: bool,
    pub body: serde_json::Value,
}

impl Reply {
    pub fn ok(body: impl Serialize) -> Self {
        Reply {
            status: 200,
            etag: None,
            location: None,
            problem: false,
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }

    /// One record with its version as the ETag.
    pub fn record(body: impl Serialize, version: i32) -> Self {
        Reply {
            etag: Some(extract::etag(version)),
            ..Reply::ok(body)
        }
    }

    pub fn created(mut self, location: String) -> Self {
        self.status = 201;
        self.location = Some(location);
        self
    }

    fn of_problem(problem: &Problem) -> Self {
        Reply {
            status: problem.status,
            etag: None,
            location: None,
            problem: true,
            body: serde_json::to_value(&**problem).unwrap_or_default(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = (status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if self.problem {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
        }
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// Runs a POST once per `Idempotency-Key`: the first answer (success or refusal) is kept
/// for a day and replayed for the same key and request (`Idempotent-Replayed: true`); the
/// same key with another request is 422, and 409 while the first is still running. A
/// failure on our side frees the key for a retry. Without the header the call just runs.
pub async fn run_once(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request_hash: &str,
    call: impl Future<Output = Result<Reply, Problem>>,
) -> Response {
    let key = match extract::idempotency_key(headers) {
        Ok(Some(key)) => key,
        Ok(None) => return respond(call.await),
        Err(problem) => return problem.into_response(),
    };
    let token = caller.0.token_id;
    match begin_idempotent(&state.db, token, &key, request_hash, now()).await {
        Err(err) => Problem::from(err).into_response(),
        Ok(Idempotency::Replay { body, .. }) => match serde_json::from_str::<Reply>(&body) {
            Ok(reply) => {
                let mut response = reply.into_response();
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
                response
            }
            Err(_) => Problem::from(shared::AppError::Internal).into_response(),
        },
        Ok(Idempotency::InProgress) => Problem::new(
            StatusCode::CONFLICT,
            "request.in_progress",
            "A request with this Idempotency-Key is still running.",
        )
        .into_response(),
        Ok(Idempotency::Mismatch) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.idempotency_key_reused",
            "This Idempotency-Key was used with another request.",
        )
        .into_response(),
        Ok(Idempotency::Run) => {
            let outcome = call.await;
            let reply = match &outcome {
                Ok(reply) => reply.clone(),
                Err(problem) => Reply::of_problem(problem),
            };
            let kept = if reply.status >= 500 {
                forget_idempotent(&state.db, token, &key).await
            } else {
                let text = serde_json::to_string(&reply).unwrap_or_default();
                finish_idempotent(&state.db, token, &key, reply.status, &text).await
            };
            if let Err(err) = kept {
                tracing::error!(error = %err, "keeping an idempotent answer");
            }
            respond(outcome)
        }
    }
}

/// The version a change is made from: the one `If-Match` names, if it is still the
/// record's (`None`: stale), or the current one.
pub fn version_to_change(current: i32, expected: Option<i32>) -> Option<i32> {
    match expected {
        Some(version) if version != current => None,
        _ => Some(current),
    }
}

/// 412: the record changed since the version in `If-Match`; nothing was written. Carries
/// the record as it is now.
pub fn stale(current: impl Serialize) -> Problem {
    let mut problem = Problem::new(
        StatusCode::PRECONDITION_FAILED,
        "record.precondition_failed",
        "The record changed since the version in If-Match; nothing was written.",
    );
    problem.current = serde_json::to_value(current).ok();
    problem
}

fn respond(outcome: Result<Reply, Problem>) -> Response {
    match outcome {
        Ok(reply) => reply.into_response(),
        Err(problem) => problem.into_response(),
    }
}
