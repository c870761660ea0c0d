use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deal::DealId;
use crate::department::DepartmentId;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConclusionId(pub i32);

/// A department's verdict on the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
    NeedsRework,
    ForInformation,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Approve,
        Verdict::Reject,
        Verdict::NeedsRework,
        Verdict::ForInformation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
            Verdict::NeedsRework => "needs_rework",
            Verdict::ForInformation => "for_information",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// A conclusion as the deal card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConclusionView {
    pub id: ConclusionId,
    pub deal: DealId,
    pub department: DepartmentId,
    pub department_name: String,
    pub author: Option<UserId>,
    pub author_name: Option<String>,
    pub verdict: Verdict,
    pub text: String,
    /// The conclusion this one corrects.
    pub supersedes: Option<ConclusionId>,
    pub at: DateTime<Utc>,
}

/// A request to add a conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConclusion {
    pub deal: DealId,
    pub department: DepartmentId,
    pub verdict: Verdict,
    pub text: String,
    pub supersedes: Option<ConclusionId>,
}
