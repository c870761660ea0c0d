use serde::{Deserialize, Serialize};

use crate::timeline::Subject;
use crate::user::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewComment {
    pub subject: Subject,
    pub text: String,
}

/// A colleague the comment box offers after `@`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionCandidate {
    pub id: UserId,
    pub name: String,
    /// What follows the `@`: the e-mail's local part (`igor.sokolov`).
    pub handle: String,
}
