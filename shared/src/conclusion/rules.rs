//! What needs no database: the latest conclusion of each department.

use super::ConclusionView;

/// The longest conclusion text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The newest conclusion of each department, from a list newest first, in that order.
pub fn latest_per_department(newest_first: &[ConclusionView]) -> Vec<ConclusionView> {
    let mut latest: Vec<ConclusionView> = Vec::new();
    for conclusion in newest_first {
        if !latest.iter().any(|c| c.department == conclusion.department) {
            latest.push(conclusion.clone());
        }
    }
    latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conclusion::{ConclusionId, Verdict};
    use crate::deal::DealId;
    use crate::department::DepartmentId;
    use chrono::{TimeZone, Utc};

    fn conclusion(id: i32, department: i32, verdict: Verdict) -> ConclusionView {
        ConclusionView {
            id: ConclusionId(id),
            deal: DealId(1),
            department: DepartmentId(department),
            department_name: format!("D{department}"),
            author: None,
            author_name: None,
            verdict,
            text: String::new(),
            supersedes: None,
            at: Utc.timestamp_opt(i64::from(id) * 60, 0).unwrap(),
        }
    }

    #[test]
    fn the_newest_of_each_department_wins() {
        let newest_first = [
            conclusion(4, 2, Verdict::Approve),
            conclusion(3, 1, Verdict::NeedsRework),
            conclusion(2, 2, Verdict::Reject),
            conclusion(1, 1, Verdict::Approve),
        ];
        let latest = latest_per_department(&newest_first);
        let ids: Vec<i32> = latest.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, [4, 3]);
        assert!(latest_per_department(&[]).is_empty());
    }

    #[test]
    fn verdicts_read_back_from_their_names() {
        for verdict in Verdict::ALL {
            assert_eq!(Verdict::parse(verdict.as_str()), Some(verdict));
        }
        assert_eq!(Verdict::parse("maybe"), None);
    }
}
