//! The audit log's adapters: `GET /admin/audit/export` (the rows matching the page's filter
//! as a CSV file, UTF-8 with BOM, formula cells neutralised, for administrators; the export
//! is itself recorded) and `record_denials`, which logs every 403 a signed-in person gets.

use axum::Extension;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shared::AppError;
use shared::audit::{AUDIT_EXPORT_MAX, AuditAction, AuditFilter};
use shared::session::Identity;
use shared::user::UserId;

use crate::AppState;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    user: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn filter_of(query: &ExportQuery) -> Result<AuditFilter, AppError> {
    let bad = || AppError::validation(shared::Field::Period, shared::Rule::InvalidDate);
    let day = |text: &Option<String>| -> Result<Option<NaiveDate>, AppError> {
        match text.as_deref().filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| bad()),
        }
    };
    let user = match query.user.as_deref().filter(|u| !u.is_empty()) {
        None => None,
        Some(text) => Some(UserId(text.parse().map_err(|_| {
            AppError::validation(shared::Field::Responsible, shared::Rule::UnknownValue)
        })?)),
    };
    let action = match query.action.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(code) => Some(AuditAction::parse(code).ok_or(AppError::validation(
            shared::Field::Kind,
            shared::Rule::UnknownValue,
        ))?),
    };
    Ok(AuditFilter {
        user,
        action,
        from: day(&query.from)?,
        to: day(&query.to)?,
        before: None,
    })
}

pub async fn export(
    State(state): State<AppState>,
    identity: Option<Extension<Identity>>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(Extension(identity)) = identity else {
        return ApiError(AppError::Unauthenticated).into_response();
    };
    match build(&state, &identity, &query).await {
        Ok(csv) => {
            let mut response = csv.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit-log.csv\""),
            );
            response
        }
        Err(err) => ApiError(err).into_response(),
    }
}

async fn build(
    state: &AppState,
    identity: &Identity,
    query: &ExportQuery,
) -> Result<String, AppError> {
    identity.actor.require_admin()?;
    let filter = filter_of(query)?;
    let zone = shared::time_zone::parse_time_zone(&identity.user.time_zone)?;
    let (entries, _) = shared::audit::service::list(
        &state.db,
        &identity.actor,
        &filter,
        AUDIT_EXPORT_MAX,
        |day| zone.day_start(day),
    )
    .await?;
    #[expect(clippy::disallowed_methods, reason = "the export route is an adapter")]
    let now = chrono::Utc::now();
    shared::audit::service::record(
        &state.db,
        &identity.actor,
        AuditAction::AuditExported,
        None,
        &format!("{} row(s)", entries.len()),
        now,
    )
    .await?;
    let header: Vec<String> = [
        "id",
        "time (UTC)",
        "action",
        "who",
        "user id",
        "address",
        "target",
        "details",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    let rows: Vec<Vec<String>> = entries
        .into_iter()
        .map(|entry| {
            vec![
                entry.id.to_string(),
                entry.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                entry.action.as_str().to_owned(),
                entry.actor,
                entry
                    .actor_user_id
                    .map(|u| u.0.to_string())
                    .unwrap_or_default(),
                entry.address.unwrap_or_default(),
                entry.target.unwrap_or_default(),
                entry.details,
            ]
        })
        .collect();
    shared::export::csv_document(&header, &rows).map_err(|err| {
        tracing::error!(error = %err, "writing the audit CSV");
        AppError::Internal
    })
}

/// Records a refusal (403) of a signed-in person's request, with the path they tried.
/// Outside the layer that gives server functions their status, so it sees the real one.
pub async fn record_denials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let identity = request.extensions().get::<Identity>().cloned();
    let target = format!("{} {}", request.method(), request.uri().path());
    let response = next.run(request).await;
    if response.status() == StatusCode::FORBIDDEN
        && let Some(identity) = identity
    {
        record_denial(&state, &identity.actor, target).await;
    }
    response
}

/// Logs a refusal; a failure to log does not change the answer.
pub async fn record_denial(state: &AppState, actor: &shared::access::Actor, target: String) {
    #[expect(clippy::disallowed_methods, reason = "middleware is an adapter")]
    let now = chrono::Utc::now();
    let target: String = target.chars().take(300).collect();
    if let Err(err) = shared::audit::service::record(
        &state.db,
        actor,
        AuditAction::PermissionDenied,
        Some(target),
        "",
        now,
    )
    .await
    {
        tracing::warn!(error = %err, "recording a refusal in the audit log");
    }
}
