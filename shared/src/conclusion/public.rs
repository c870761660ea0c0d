//! Departmental conclusions in the REST API's public shapes (v1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ConclusionId, ConclusionView, NewConclusion, Verdict};

/// A department's verdict on a deal, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiConclusion {
    pub id: i32,
    pub deal_id: i32,
    pub department_id: i32,
    pub department_name: String,
    pub author_id: Option<i32>,
    pub author_name: Option<String>,
    pub verdict: Verdict,
    pub text: String,
    /// The conclusion this one corrects.
    pub supersedes_id: Option<i32>,
    pub at: DateTime<Utc>,
}

impl From<ConclusionView> for ApiConclusion {
    fn from(c: ConclusionView) -> Self {
        ApiConclusion {
            id: c.id.0,
            deal_id: c.deal.0,
            department_id: c.department.0,
            department_name: c.department_name,
            author_id: c.author.map(|u| u.0),
            author_name: c.author_name,
            verdict: c.verdict,
            text: c.text,
            supersedes_id: c.supersedes.map(|id| id.0),
            at: c.at,
        }
    }
}

/// A new conclusion of one of the token user's departments (a correction names the one it
/// supersedes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiConclusionCreate {
    pub department_id: i32,
    pub verdict: Verdict,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 10000))]
    pub text: String,
    #[serde(default)]
    pub supersedes_id: Option<i32>,
}

impl ApiConclusionCreate {
    pub fn for_deal(self, deal: crate::deal::DealId) -> NewConclusion {
        NewConclusion {
            deal,
            department: crate::department::DepartmentId(self.department_id),
            verdict: self.verdict,
            text: self.text,
            supersedes: self.supersedes_id.map(ConclusionId),
        }
    }
}
