//! `/api/v1/users` and `/api/v1/departments`: who works here, to assign deals and read
//! history. Names are not secret inside the firm; e-mails and roles are for administrators'
//! tokens.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::api_token::{ApiAccess, ApiResource};
use shared::public::Page;

use super::extract::Caller;
use super::problem::ProblemDocument;
use super::{Problem, Reply};
use crate::AppState;

/// A colleague.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiUser {
    pub id: i32,
    pub name: String,
    /// For administrators' tokens only.
    pub email: Option<String>,
    /// `admin`, `manager`, `employee` or `restricted`; for administrators' tokens only.
    pub role: Option<String>,
    pub department_ids: Vec<i32>,
    pub active: bool,
}

/// A department with its head.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiDepartment {
    pub id: i32,
    pub name: String,
    pub head_id: Option<i32>,
}

/// Every user (deactivated ones too: they keep their names on what they did).
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users", tag = "people",
    responses(
        (status = 200, body = Page<ApiUser>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn users(State(state): State<AppState>, caller: Caller) -> Result<Reply, Problem> {
    let actor = caller.may(ApiResource::Users, ApiAccess::Read)?;
    // Everyone's names and departments; what an administrator sees is read with the
    // system's reach, then trimmed for everyone else.
    let all =
        shared::user::service::list_users(&state.db, &shared::access::Actor::system()).await?;
    let admin = actor.is_admin();
    let data: Vec<ApiUser> = all
        .into_iter()
        .map(|user| ApiUser {
            id: user.id.0,
            name: user.name,
            email: admin.then_some(user.email),
            role: admin.then(|| {
                serde_json::to_value(user.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }),
            department_ids: user.department_ids.iter().map(|d| d.0).collect(),
            active: user.active,
        })
        .collect();
    Ok(Reply::ok(Page::all(data)))
}

/// Every department.
#[utoipa::path(get, path = "/api/v1/departments", operation_id = "list_departments",
    tag = "people",
    responses(
        (status = 200, body = Page<ApiDepartment>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn departments(State(state): State<AppState>, caller: Caller) -> Result<Reply, Problem> {
    caller.may(ApiResource::Users, ApiAccess::Read)?;
    let data: Vec<ApiDepartment> = shared::department::service::list_departments(&state.db)
        .await?
        .into_iter()
        .map(|d| ApiDepartment {
            id: d.id.0,
            name: d.name,
            head_id: d.head.map(|u| u.0),
        })
        .collect();
    Ok(Reply::ok(Page::all(data)))
}
