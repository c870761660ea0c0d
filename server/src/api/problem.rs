//! Errors as `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`,
//! and our stable `code` (the same codes the UI matches on), with the field of a
//! validation error and the current version of a record changed under the caller.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::AppError;

/// One failed API call (boxed: results carry it on every path).
#[derive(Debug, Clone)]
pub struct Problem(Box<ProblemDocument>);

impl std::ops::Deref for Problem {
    type Target = ProblemDocument;
    fn deref(&self) -> &ProblemDocument {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDocument {
        &mut self.0
    }
}

/// The body of a problem answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The input a validation error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule it broke, as the UI's errors name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub rule: Option<serde_json::Value>,
    /// The record as it is now, when the caller's version was stale (412).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
    #[serde(skip)]
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: impl Into<String>) -> Self {
        Problem(Box::new(ProblemDocument {
            kind: format!("https://konveyer.dev/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: None,
            field: None,
            rule: None,
            current: None,
            headers: Vec::new(),
        }))
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// 400: the request could not be read.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Problem::from(AppError::Malformed {
            message: detail.into(),
        })
    }

    /// 422: well-formed JSON that does not fit the operation's schema.
    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid_body",
            "The request body does not match the schema.",
        )
        .detail(detail)
    }

    pub fn not_found() -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "record.not_found",
            "No such resource.",
        )
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = Problem::new(status, err.code(), err.to_string());
        match &err {
            AppError::Validation { field, rule } => {
                problem.field = Some(field.as_str().to_owned());
                problem.rule = serde_json::to_value(rule).ok();
            }
            AppError::CustomFieldInvalid { field, rule } => {
                problem.field = Some(format!("custom.{}", field.id.0));
                problem.rule = serde_json::to_value(rule).ok();
            }
            AppError::RequiredField { field } => {
                problem.field = serde_json::to_value(field)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned));
            }
            AppError::RequiredCustomField { field } => {
                problem.field = Some(format!("custom.{}", field.id.0));
            }
            AppError::Malformed { message } => problem.detail = Some(message.clone()),
            AppError::RateLimited { retry_after_secs } => {
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    problem.headers.push((header::RETRY_AFTER, value));
                }
            }
            AppError::Unauthenticated => {
                problem.title =
                    "A valid API token is required (Authorization: Bearer kvt_…).".into();
                problem
                    .headers
                    .push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            _ => {}
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&*self.0).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.0.headers {
            headers.insert(name, value);
        }
        response
    }
}
