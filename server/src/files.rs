//! Documents' bytes: `POST /api/documents` (multipart: `subject` as `deal:12` or
//! `client:3`, `category`, optionally `document` for a new version, one or more `file`
//! fields) and `GET /files/{version}` (download; `?inline=1` previews images and PDFs).
//!
//! An upload is read whole and checked before anything is stored: a file over the limit
//! is 413, a record the caller cannot see 404, and nothing is written. The bytes go to the
//! object store under random keys, then the rows are recorded in one transaction; if that
//! fails the stored bytes are deleted again. A browser's form post is answered with a
//! redirect back to the record (with `?upload_error=` on failure); API clients get JSON.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use rand::RngCore;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use shared::AppError;
use shared::access::Actor;
use shared::document::service::{
    Download, StoredFile, UploadTarget, check_upload, record_upload, version_for_download,
};
use shared::document::{DocumentId, Preview, safe_file_name, sniff};
use shared::timeline::Subject;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::AppState;
use crate::config::Config;
use crate::error::ApiError;
use shared::session::Identity;

/// Files an upload may carry at most.
const FILES_PER_UPLOAD: usize = 10;

/// Uploads read at the same time; the rest queue.
const UPLOADS_AT_ONCE: usize = 4;

/// The object store and the size limit, shared by the routes.
#[derive(Clone)]
pub struct Files {
    pub store: Arc<dyn ObjectStore>,
    pub limit_bytes: u64,
    /// An upload is held in memory whole until it is checked; more at once (from the page
    /// and the REST API together) wait their turn, so a burst cannot take the process to
    /// gigabytes.
    uploads: Arc<Semaphore>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files")
            .field("limit_bytes", &self.limit_bytes)
            .finish_non_exhaustive()
    }
}

impl Files {
    /// A folder `files` under the data directory (created when missing).
    pub fn from_config(config: &Config) -> anyhow::Result<Files> {
        let root = config.data_dir.join("files");
        std::fs::create_dir_all(&root)?;
        Ok(Files {
            store: Arc::new(LocalFileSystem::new_with_prefix(&root)?),
            limit_bytes: config.upload_limit_mb * 1024 * 1024,
            uploads: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
        })
    }

    /// The largest upload body: every file at the limit plus the form's small fields.
    pub fn upload_body_limit(&self) -> usize {
        usize::try_from(self.limit_bytes)
            .unwrap_or(usize::MAX / 2)
            .saturating_mul(FILES_PER_UPLOAD)
            .saturating_add(1024 * 1024)
    }

    /// Waits for a turn to read an upload.
    pub async fn upload_turn(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.uploads
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::Internal)
    }
}

pub fn routes(files: &Files) -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/documents",
            post(upload).layer(DefaultBodyLimit::max(files.upload_body_limit())),
        )
        .route("/files/{version}", get(download))
}

fn parse_subject(text: &str) -> Option<Subject> {
    let (kind, id) = text.split_once(':')?;
    let id: i32 = id.parse().ok()?;
    match kind {
        "deal" => Some(Subject::Deal(shared::deal::DealId(id))),
        "client" => Some(Subject::Client(shared::client::ClientId(id))),
        _ => None,
    }
}

/// An upload form as read: the category, the document a new version is for, the files.
pub struct Received {
    category: String,
    document: Option<DocumentId>,
    files: Vec<(String, Vec<u8>)>,
}

impl Received {
    /// What identifies this upload for an `Idempotency-Key`: the target, then each file's
    /// name and the hash of its bytes.
    pub fn fingerprint(&self, target: &str) -> String {
        use shared::api_token::service::sha256_hex;
        let mut described = format!(
            "{target}\n{}\n{:?}",
            self.category,
            self.document.map(|d| d.0)
        );
        for (name, bytes) in &self.files {
            described.push_str(&format!("\n{name}\n{}", sha256_hex(bytes)));
        }
        sha256_hex(described.as_bytes())
    }
}

/// Reads the form; `subject` is set as soon as its field has been read, so even a failed
/// upload knows which page to send a browser back to.
pub async fn read_form(
    mut form: Multipart,
    limit: u64,
    subject: &mut Option<Subject>,
) -> Result<Received, AppError> {
    let malformed = |err: axum::extract::multipart::MultipartError| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge { max_bytes: limit }
        } else {
            AppError::Malformed {
                message: err.body_text(),
            }
        }
    };
    let mut received = Received {
        category: "other".to_owned(),
        document: None,
        files: Vec::new(),
    };
    while let Some(mut field) = form.next_field().await.map_err(malformed)? {
        let field_name = field.name().unwrap_or_default().to_owned();
        match field_name.as_str() {
            "file" => {
                let name = safe_file_name(field.file_name().unwrap_or_default());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > limit {
                        return Err(AppError::TooLarge { max_bytes: limit });
                    }
                }
                // A form with no file chosen still sends one empty part.
                if !bytes.is_empty() {
                    received.files.push((name, bytes));
                }
                if received.files.len() > FILES_PER_UPLOAD {
                    return Err(AppError::validation(
                        shared::Field::File,
                        shared::Rule::TooMany {
                            max: FILES_PER_UPLOAD,
                        },
                    ));
                }
            }
            other => {
                let key = other.to_owned();
                let text = field.text().await.map_err(malformed)?;
                match key.as_str() {
                    "subject" => *subject = parse_subject(&text),
                    "category" => received.category = text,
                    "document" => {
                        let id = text.trim().parse::<i32>().ok().filter(|id| *id > 0);
                        match id {
                            Some(id) => received.document = Some(DocumentId(id)),
                            // An id that names nothing must not quietly make a new document.
                            None => {
                                return Err(AppError::Malformed {
                                    message: "`document` must be the id of a document.".into(),
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(received)
}

async fn upload(
    State(state): State<AppState>,
    identity: Option<Extension<Identity>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    // A browser navigating (a plain form post) gets redirects; everything else JSON.
    let navigation = crate::identity::is_navigation(&headers);
    let Some(Extension(identity)) = identity else {
        return ApiError(AppError::Unauthenticated).into_response();
    };
    let files = &state.files;
    let mut subject = None;
    let result = match files.upload_turn().await {
        Ok(_turn) => match read_form(form, files.limit_bytes, &mut subject).await {
            Ok(received) => match subject {
                Some(subject) => store_and_record(&state, &identity.actor, subject, received).await,
                None => Err(AppError::validation(
                    shared::Field::Client,
                    shared::Rule::Required,
                )),
            },
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    match (result, navigation, subject) {
        (Ok(_), true, Some(subject)) => {
            Redirect::to(&format!("{}#documents", subject.page())).into_response()
        }
        (Ok(ids), _, _) => (
            StatusCode::CREATED,
            axum::Json(ids.iter().map(|d| d.0).collect::<Vec<_>>()),
        )
            .into_response(),
        (Err(err), true, Some(subject)) => {
            // The page names the limit in its message, so it travels with the code.
            let limit = match err {
                AppError::TooLarge { max_bytes } => format!("&upload_limit={max_bytes}"),
                _ => String::new(),
            };
            Redirect::to(&format!(
                "{}?upload_error={}{limit}#documents",
                subject.page(),
                err.code()
            ))
            .into_response()
        }
        (Err(err), _, _) => ApiError(err).into_response(),
    }
}

/// Checks an upload, stores its bytes and records them; on any refusal nothing stays.
pub async fn store_and_record(
    state: &AppState,
    actor: &Actor,
    subject: Subject,
    received: Received,
) -> Result<Vec<DocumentId>, AppError> {
    let target = UploadTarget {
        subject,
        category: received.category,
        document: received.document,
    };
    check_upload(&state.db, actor, &target, received.files.len()).await?;
    let mut stored: Vec<StoredFile> = Vec::new();
    for (file_name, bytes) in received.files {
        let mut key = [0_u8; 16];
        rand::thread_rng().fill_bytes(&mut key);
        let storage_key: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let (content_type, _) = sniff(&bytes);
        let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        if let Err(err) = state
            .files
            .store
            .put(&StorePath::from(storage_key.as_str()), bytes.into())
            .await
        {
            tracing::error!(error = %err, "could not store an uploaded file");
            remove(&state.files, &stored).await;
            return Err(AppError::Internal);
        }
        stored.push(StoredFile {
            storage_key,
            file_name,
            content_type,
            size_bytes,
        });
    }
    let recorded = async {
        #[expect(clippy::disallowed_methods, reason = "the upload route is an adapter")]
        let now = chrono::Utc::now();
        let txn = state.db.begin().await?;
        check_upload(&txn, actor, &target, stored.len()).await?;
        let ids = record_upload(&txn, actor, &target, stored.clone(), now).await?;
        txn.commit().await?;
        Ok::<_, AppError>(ids)
    }
    .await;
    if recorded.is_err() {
        remove(&state.files, &stored).await;
    }
    recorded
}

/// Deletes stored bytes whose rows were not written, so no file is orphaned.
async fn remove(files: &Files, stored: &[StoredFile]) {
    for file in stored {
        if let Err(err) = files
            .store
            .delete(&StorePath::from(file.storage_key.as_str()))
            .await
        {
            tracing::warn!(error = %err, key = %file.storage_key, "could not delete an unrecorded upload");
        }
    }
}

#[derive(Deserialize)]
struct DownloadQuery {
    #[serde(default)]
    inline: Option<String>,
}

/// Serves a version to someone who may see its record. Only images and PDFs recognised
/// from their content are ever shown inline; everything else is an attachment. The
/// response carries its own locked-down policy so a file can never run script in our
/// origin.
async fn download(
    State(state): State<AppState>,
    identity: Option<Extension<Identity>>,
    Path(version): Path<i32>,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let Some(Extension(identity)) = identity else {
        return ApiError(AppError::Unauthenticated).into_response();
    };
    match fetch_version(&state, &identity.actor, version).await {
        Ok((download, bytes)) => {
            if let Err(err) = record_download(&state, &identity.actor, &download).await {
                return ApiError(err).into_response();
            }
            serve(download, bytes, query.inline.is_some())
        }
        Err(err) => ApiError(err).into_response(),
    }
}

/// Every download is in the audit log: who took which file.
pub async fn record_download(
    state: &AppState,
    actor: &Actor,
    download: &Download,
) -> Result<(), AppError> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the download route is an adapter"
    )]
    let now = chrono::Utc::now();
    shared::audit::service::record(
        &state.db,
        actor,
        shared::audit::AuditAction::DocumentDownloaded,
        Some(format!("document_version:{}", download.version.id)),
        &format!(
            "{} ({})",
            download.version.file_name,
            download.subject.page()
        ),
        now,
    )
    .await
}

/// A version the actor may see and its bytes.
async fn fetch_version(
    state: &AppState,
    actor: &Actor,
    version: i32,
) -> Result<(Download, axum::body::Bytes), AppError> {
    let download = version_for_download(&state.db, actor, version).await?;
    let bytes = stored_bytes(&state.files, &download).await?;
    Ok((download, bytes))
}

/// The bytes of a version found by `version_for_download`.
pub async fn stored_bytes(
    files: &Files,
    download: &Download,
) -> Result<axum::body::Bytes, AppError> {
    let stored = StorePath::from(download.storage_key.as_str());
    let found = files.store.get(&stored).await.map_err(|err| {
        tracing::error!(error = %err, "a recorded file is missing from the store");
        AppError::Internal
    })?;
    found.bytes().await.map_err(|err| {
        tracing::error!(error = %err, "could not read a stored file");
        AppError::Internal
    })
}

/// The response carrying a version's bytes: an attachment, or (asked for, and only for
/// images and PDFs recognised from their content) inline, under a locked-down policy of
/// its own so a file can never run script in our origin.
pub fn serve(download: Download, bytes: axum::body::Bytes, inline: bool) -> Response {
    let view = download.version;
    let inline = inline && view.preview != Preview::None;
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        app::url_query::percent_encode(&view.file_name)
    );
    // Images are sandboxed outright; Chrome's PDF viewer refuses a sandboxed document, so
    // a PDF (recognised as one from its bytes) gets the same policy without `sandbox`.
    let policy = match view.preview {
        Preview::Pdf => "default-src 'none'; object-src 'self'; frame-ancestors 'self'",
        _ => {
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
        }
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    let content_type = if inline {
        view.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        (header::CACHE_CONTROL, "private, no-store"),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
