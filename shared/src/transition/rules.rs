//! Time in stage, reconstructed from the ledger.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::department::DepartmentId;
use crate::pipeline::StageId;
use crate::transition::TransitionView;

/// Total time a deal has spent in one stage over all its visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTime {
    pub stage: StageId,
    /// The most recent name the stage had in the ledger.
    pub stage_name: String,
    pub department: Option<DepartmentId>,
    pub visits: u32,
    pub seconds: i64,
}

/// Sums the time per stage from a deal's transitions (any order), counting the current
/// visit up to `now`. Stages are keyed by id, so a renamed stage stays one row.
pub fn time_in_stages(transitions: &[TransitionView], now: DateTime<Utc>) -> Vec<StageTime> {
    let mut ordered: Vec<&TransitionView> = transitions.iter().collect();
    ordered.sort_by_key(|t| (t.at, t.id));
    let mut totals: Vec<StageTime> = Vec::new();
    let mut add =
        |stage: StageId, name: &str, department: Option<DepartmentId>, seconds: i64| match totals
            .iter_mut()
            .find(|total| total.stage == stage)
        {
            Some(total) => {
                total.visits += 1;
                total.seconds += seconds;
                total.stage_name = name.to_owned();
                total.department = department;
            }
            None => totals.push(StageTime {
                stage,
                stage_name: name.to_owned(),
                department,
                visits: 1,
                seconds,
            }),
        };
    for pair in ordered.windows(2) {
        let (entered, left) = (pair[0], pair[1]);
        let seconds = left
            .seconds_in_from
            .unwrap_or_else(|| (left.at - entered.at).num_seconds());
        add(
            entered.to_stage,
            left.from_stage_name
                .as_deref()
                .unwrap_or(&entered.to_stage_name),
            entered.to_department,
            seconds,
        );
    }
    if let Some(last) = ordered.last() {
        add(
            last.to_stage,
            &last.to_stage_name,
            last.to_department,
            (now - last.at).num_seconds().max(0),
        );
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::DealId;
    use chrono::{Duration, TimeZone};

    fn t(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn mv(
        id: i64,
        from: Option<(i32, &str)>,
        to: (i32, &str),
        at: i64,
        seconds: Option<i64>,
    ) -> TransitionView {
        TransitionView {
            id,
            deal_id: DealId(1),
            from_stage: from.map(|(s, _)| StageId(s)),
            to_stage: StageId(to.0),
            from_stage_name: from.map(|(_, n)| n.to_owned()),
            to_stage_name: to.1.to_owned(),
            from_department: None,
            to_department: None,
            actor: None,
            actor_name: None,
            at: t(at),
            comment: String::new(),
            is_return: false,
            seconds_in_from: seconds,
        }
    }

    #[test]
    fn revisits_add_up_and_the_open_visit_counts_to_now() {
        let ledger = vec![
            mv(1, None, (1, "Manager"), 0, None),
            mv(2, Some((1, "Manager")), (2, "Scoring"), 2, Some(2 * 3600)),
            mv(3, Some((2, "Scoring")), (1, "Manager"), 5, Some(3 * 3600)),
            mv(4, Some((1, "Manager")), (2, "Scoring"), 6, Some(3600)),
        ];
        let totals = time_in_stages(&ledger, t(10));
        assert_eq!(totals.len(), 2);
        assert_eq!(
            (totals[0].stage, totals[0].visits, totals[0].seconds),
            (StageId(1), 2, 3 * 3600)
        );
        assert_eq!(
            (totals[1].stage, totals[1].visits, totals[1].seconds),
            (StageId(2), 2, 7 * 3600)
        );
    }

    #[test]
    fn a_renamed_stage_stays_one_row_under_its_latest_name() {
        let ledger = vec![
            mv(1, None, (1, "Scoring"), 0, None),
            mv(2, Some((1, "Scoring")), (2, "Risk"), 1, Some(3600)),
            mv(3, Some((2, "Risk")), (1, "Scoring desk"), 2, Some(3600)),
        ];
        let totals = time_in_stages(&ledger, t(4));
        let scoring = totals.iter().find(|s| s.stage == StageId(1)).unwrap();
        assert_eq!(scoring.stage_name, "Scoring desk");
        assert_eq!((scoring.visits, scoring.seconds), (2, 3 * 3600));
    }
}
