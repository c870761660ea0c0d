//! The one place that turns a domain error into an HTTP response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::AppError;

/// An `AppError` on its way out as `{code, message, details}` with the matching status.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "code": self.0.code(),
            "message": self.0.to_string(),
            "details": self.0,
        });
        (status, Json(body)).into_response()
    }
}
