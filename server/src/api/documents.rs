//! Documents through the API: a deal's or a client's documents with their versions, an
//! upload (multipart, the same checks and storage as the cards' upload form) and a
//! version's bytes. Reading needs the record's read scope (`deals` or `clients`),
//! uploading its write scope; a record the token's user may not see is 404.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::AppError;
use shared::access::service::ensure_subject_visible;
use shared::api_token::{ApiAccess, ApiResource};
use shared::client::ClientId;
use shared::deal::DealId;
use shared::document::public::ApiDocument;
use shared::document::service::{documents_of, version_for_download};
use shared::public::Page;
use shared::timeline::Subject;

use super::extract::{Caller, record_id};
use super::problem::ProblemDocument;
use super::{Problem, Reply, run_once};
use crate::AppState;
use crate::files::{read_form, record_download, serve, store_and_record, stored_bytes};

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the form for the OpenAPI document only")]
pub struct ApiDocumentUpload {
    /// One or more files (at most 10), each within the server's size limit. A new
    /// version takes exactly one.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// For new documents: `passport`, `financial_statements`, `contract`, `other` (when
    /// absent) or an administrator's `custom:<id>`.
    category: Option<String>,
    /// The id of an existing document of the record: the file becomes its next version.
    document: Option<i32>,
}

fn resource_of(subject: Subject) -> ApiResource {
    match subject {
        Subject::Deal(_) => ApiResource::Deals,
        Subject::Client(_) => ApiResource::Clients,
    }
}

async fn list(state: &AppState, caller: &Caller, subject: Subject) -> Result<Reply, Problem> {
    let actor = caller.may(resource_of(subject), ApiAccess::Read)?;
    ensure_subject_visible(&state.db, actor, subject).await?;
    let documents = documents_of(&state.db, subject).await?;
    Ok(Reply::ok(Page::all(
        documents
            .into_iter()
            .map(ApiDocument::from)
            .collect::<Vec<_>>(),
    )))
}

/// The deal's documents, newest first, each with its versions newest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/documents", operation_id = "list_deal_documents",
    tag = "documents", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiDocument>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn of_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    list(&state, &caller, Subject::Deal(DealId(record_id(&id)?))).await
}

/// The client's documents, newest first, each with its versions newest first.
#[utoipa::path(get, path = "/api/v1/clients/{id}/documents",
    operation_id = "list_client_documents", tag = "documents", params(("id" = i32, Path)),
    responses(
        (status = 200, body = Page<ApiDocument>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn of_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Reply, Problem> {
    list(&state, &caller, Subject::Client(ClientId(record_id(&id)?))).await
}

/// Reads the form (waiting for an upload turn), then stores and records the files once
/// per `Idempotency-Key`. Nothing is stored on any refusal.
async fn upload(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    subject: Subject,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(rejection) => return form_refused(headers, rejection).into_response(),
    };
    let actor = match caller.may(resource_of(subject), ApiAccess::Write) {
        Ok(actor) => actor,
        Err(problem) => return problem.into_response(),
    };
    let Ok(_turn) = state.files.upload_turn().await else {
        return Problem::from(AppError::Internal).into_response();
    };
    let mut named_in_form = None;
    let received = match read_form(form, state.files.limit_bytes, &mut named_in_form).await {
        Ok(received) => received,
        Err(err) => return Problem::from(err).into_response(),
    };
    let list_url = format!("/api/v1{}/documents", subject_path(subject));
    let fingerprint = received.fingerprint(&format!("POST {list_url}"));
    let call = async {
        let ids = store_and_record(state, actor, subject, received).await?;
        let touched: Vec<ApiDocument> = documents_of(&state.db, subject)
            .await?
            .into_iter()
            .filter(|document| ids.contains(&document.id))
            .map(ApiDocument::from)
            .collect();
        Ok(Reply::ok(Page::all(touched)).created(list_url.clone()))
    };
    run_once(state, caller, headers, &fingerprint, call).await
}

fn subject_path(subject: Subject) -> String {
    match subject {
        Subject::Deal(deal) => format!("/deals/{}", deal.0),
        Subject::Client(client) => format!("/clients/{}", client.0),
    }
}

/// A body that is not a multipart form is 415; a broken one 400.
fn form_refused(headers: &HeaderMap, rejection: MultipartRejection) -> Problem {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if is_multipart {
        Problem::malformed(rejection.body_text())
    } else {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "Send the files as multipart/form-data.",
        )
    }
}

/// New documents on the deal (one per file), or a new version of one of its documents.
#[utoipa::path(post, path = "/api/v1/deals/{id}/documents",
    operation_id = "upload_deal_documents", tag = "documents",
    request_body(content = ApiDocumentUpload, content_type = "multipart/form-data"),
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = Page<ApiDocument>, headers(("Location" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn upload_to_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match record_id(&id) {
        Ok(id) => upload(&state, &caller, &headers, Subject::Deal(DealId(id)), form).await,
        Err(problem) => problem.into_response(),
    }
}

/// New documents on the client (one per file), or a new version of one of its documents.
#[utoipa::path(post, path = "/api/v1/clients/{id}/documents",
    operation_id = "upload_client_documents", tag = "documents",
    request_body(content = ApiDocumentUpload, content_type = "multipart/form-data"),
    params(("id" = i32, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, body = Page<ApiDocument>, headers(("Location" = String))),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn upload_to_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match record_id(&id) {
        Ok(id) => {
            upload(
                &state,
                &caller,
                &headers,
                Subject::Client(ClientId(id)),
                form,
            )
            .await
        }
        Err(problem) => problem.into_response(),
    }
}

/// A version's bytes, as an attachment with its file name.
#[utoipa::path(get, path = "/api/v1/document-versions/{id}/content",
    operation_id = "download_document_version", tag = "documents", params(("id" = i32, Path)),
    responses(
        (status = 200, description = "The file's bytes.", content_type = "application/octet-stream",
            headers(("Content-Disposition" = String))),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    // Whose record it is decides the scope: a token with neither is refused outright, one
    // without the record's finds nothing, as for a record its user may not see.
    let actor = caller
        .may(ApiResource::Deals, ApiAccess::Read)
        .or_else(|_| caller.may(ApiResource::Clients, ApiAccess::Read))?;
    let download = version_for_download(&state.db, actor, record_id(&id)?).await?;
    caller
        .may(resource_of(download.subject), ApiAccess::Read)
        .map_err(|_| Problem::not_found())?;
    let bytes = stored_bytes(&state.files, &download).await?;
    record_download(&state, actor, &download).await?;
    Ok(serve(download, bytes, false))
}
