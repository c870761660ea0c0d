//! Workflow rules: which moves are allowed, which are returns for rework, which fields a
//! stage requires. Pure functions, shared by the board (to offer only valid targets) and
//! the move service (to enforce them on every path).

use crate::error::{AppError, Field, Rule};
use crate::pipeline::{DealField, PipelineView, StageId, StageKind, StageView};

/// How a move relates to the order of stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveDirection {
    Forward,
    /// To an earlier stage: a return for rework, which needs a reason.
    Return,
}

/// Longest reason or comment accepted on a move.
pub const COMMENT_MAX: usize = 2000;

/// Whether moving from `from` to `to` goes back in the pipeline.
pub fn direction(from: &StageView, to: &StageView) -> MoveDirection {
    if to.position < from.position && to.kind == StageKind::Open {
        MoveDirection::Return
    } else {
        MoveDirection::Forward
    }
}

/// Checks that `pipeline` allows a move from `from` to `to` and tells its direction.
pub fn check_move(
    pipeline: &PipelineView,
    from: StageId,
    to: StageId,
) -> Result<MoveDirection, AppError> {
    let (Some(from_stage), Some(to_stage)) = (pipeline.stage(from), pipeline.stage(to)) else {
        return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
    };
    if from == to {
        return Err(AppError::validation(Field::Stage, Rule::SameStage));
    }
    let allowed = if pipeline.allowed_moves.is_empty() {
        default_allows(pipeline, from_stage, to_stage)
    } else {
        pipeline
            .allowed_moves
            .iter()
            .any(|allowed| allowed.from == from && allowed.to == to)
    };
    if allowed {
        Ok(direction(from_stage, to_stage))
    } else {
        Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed))
    }
}

/// The default rule: forward to the next open stage, back to any earlier stage, and from
/// an open stage to any closed one (issue, reject, archive at any point).
fn default_allows(pipeline: &PipelineView, from: &StageView, to: &StageView) -> bool {
    if to.position < from.position {
        return true;
    }
    if to.kind.is_closed() {
        return from.kind == StageKind::Open;
    }
    let next_open = pipeline
        .stages
        .iter()
        .filter(|stage| stage.position > from.position && stage.kind == StageKind::Open)
        .min_by_key(|stage| stage.position);
    next_open.is_some_and(|next| next.id == to.id)
}

/// Every stage a deal in `from` may move to, in pipeline order.
pub fn allowed_targets(pipeline: &PipelineView, from: StageId) -> Vec<StageId> {
    pipeline
        .stages
        .iter()
        .filter(|stage| check_move(pipeline, from, stage.id).is_ok())
        .map(|stage| stage.id)
        .collect()
}

/// The reason a move needs: a return requires a non-blank comment.
pub fn check_comment(direction: MoveDirection, comment: &str) -> Result<(), AppError> {
    let comment = comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        return Err(AppError::validation(
            Field::Comment,
            Rule::TooLong { max: COMMENT_MAX },
        ));
    }
    if direction == MoveDirection::Return && comment.is_empty() {
        return Err(AppError::validation(Field::Comment, Rule::ReasonRequired));
    }
    Ok(())
}

/// The fields `stage` requires that `is_filled` reports empty, in a stable order.
pub fn missing_fields(stage: &StageView, is_filled: impl Fn(DealField) -> bool) -> Vec<DealField> {
    DealField::ALL
        .into_iter()
        .filter(|field| stage.required_fields.contains(field) && !is_filled(*field))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{AllowedMove, PipelineId};

    fn stage(id: i32, position: i32, kind: StageKind) -> StageView {
        StageView {
            id: StageId(id),
            pipeline_id: PipelineId(1),
            name: format!("S{id}"),
            color: "#888888".into(),
            position,
            department_id: None,
            sla_seconds: None,
            required_fields: vec![],
            required_custom_fields: vec![],
            kind,
        }
    }

    /// Client manager, Scoring, Risk, Committee, then Issued / Rejected / Archive.
    fn conveyor() -> PipelineView {
        PipelineView {
            id: PipelineId(1),
            name: "Loans".into(),
            stages: vec![
                stage(1, 0, StageKind::Open),
                stage(2, 1, StageKind::Open),
                stage(3, 2, StageKind::Open),
                stage(4, 3, StageKind::Open),
                stage(5, 4, StageKind::Won),
                stage(6, 5, StageKind::Lost),
                stage(7, 6, StageKind::Archive),
            ],
            allowed_moves: vec![],
        }
    }

    #[test]
    fn default_rule_allows_next_stage_and_any_earlier_one() {
        let p = conveyor();
        assert_eq!(
            check_move(&p, StageId(1), StageId(2)),
            Ok(MoveDirection::Forward)
        );
        assert_eq!(
            check_move(&p, StageId(4), StageId(1)),
            Ok(MoveDirection::Return)
        );
        assert_eq!(
            check_move(&p, StageId(3), StageId(2)),
            Ok(MoveDirection::Return)
        );
        assert_eq!(
            check_move(&p, StageId(1), StageId(3)),
            Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed)),
            "skipping a department is not allowed"
        );
    }

    #[test]
    fn any_open_stage_can_close_and_closed_deals_can_reopen() {
        let p = conveyor();
        assert_eq!(
            check_move(&p, StageId(2), StageId(6)),
            Ok(MoveDirection::Forward)
        );
        assert_eq!(
            check_move(&p, StageId(1), StageId(7)),
            Ok(MoveDirection::Forward)
        );
        // Reopening from a closed stage goes back to an open one: a return.
        assert_eq!(
            check_move(&p, StageId(6), StageId(2)),
            Ok(MoveDirection::Return)
        );
        // Closed to closed is not a default move.
        assert!(check_move(&p, StageId(5), StageId(7)).is_err());
        assert_eq!(
            check_move(&p, StageId(5), StageId(6)),
            Err(AppError::validation(Field::Stage, Rule::MoveNotAllowed))
        );
    }

    #[test]
    fn same_and_unknown_stages_are_refused() {
        let p = conveyor();
        assert_eq!(
            check_move(&p, StageId(2), StageId(2)),
            Err(AppError::validation(Field::Stage, Rule::SameStage))
        );
        assert_eq!(
            check_move(&p, StageId(2), StageId(99)),
            Err(AppError::validation(Field::Stage, Rule::UnknownValue))
        );
    }

    #[test]
    fn an_explicit_matrix_replaces_the_default() {
        let mut p = conveyor();
        p.allowed_moves = vec![
            AllowedMove {
                from: StageId(1),
                to: StageId(3),
            },
            AllowedMove {
                from: StageId(3),
                to: StageId(1),
            },
        ];
        assert_eq!(
            check_move(&p, StageId(1), StageId(3)),
            Ok(MoveDirection::Forward)
        );
        assert_eq!(
            check_move(&p, StageId(3), StageId(1)),
            Ok(MoveDirection::Return)
        );
        assert!(check_move(&p, StageId(1), StageId(2)).is_err());
        assert_eq!(allowed_targets(&p, StageId(1)), vec![StageId(3)]);
    }

    #[test]
    fn default_targets_follow_the_conveyor() {
        let p = conveyor();
        assert_eq!(
            allowed_targets(&p, StageId(3)),
            vec![
                StageId(1),
                StageId(2),
                StageId(4),
                StageId(5),
                StageId(6),
                StageId(7)
            ]
        );
    }

    #[test]
    fn a_return_needs_a_reason() {
        assert_eq!(
            check_comment(MoveDirection::Return, "   "),
            Err(AppError::validation(Field::Comment, Rule::ReasonRequired))
        );
        assert!(check_comment(MoveDirection::Return, "No income statement").is_ok());
        assert!(check_comment(MoveDirection::Forward, "").is_ok());
        assert!(check_comment(MoveDirection::Forward, &"x".repeat(COMMENT_MAX + 1)).is_err());
    }

    #[test]
    fn required_fields_report_what_is_missing() {
        let mut risk = stage(3, 2, StageKind::Open);
        risk.required_fields = vec![DealField::ClientPhone, DealField::Amount];
        let missing = missing_fields(&risk, |field| field == DealField::Amount);
        assert_eq!(missing, vec![DealField::ClientPhone]);
        assert!(missing_fields(&risk, |_| true).is_empty());
    }
}
