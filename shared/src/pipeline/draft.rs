//! Checking a pipeline the admin edited before it is saved: names, colours, SLAs, at least
//! one open stage, and a destination for the deals of every removed stage that has any.

use std::collections::HashSet;

use crate::error::{AppError, Entity, Field, Rule};
use crate::pipeline::{PipelineDraft, PipelineView, StageId, StageKind};

/// Longest pipeline or stage name.
pub const NAME_MAX: usize = 120;

/// Checks `draft` against the pipeline as it is now. Returns the stages it removes.
pub fn check_draft(
    current: &PipelineView,
    draft: &PipelineDraft,
) -> Result<Vec<StageId>, AppError> {
    crate::limits::check_count(draft.stages.len(), crate::limits::STAGES_MAX, Field::Stage)?;
    crate::limits::check_count(
        draft.removals.len(),
        crate::limits::STAGES_MAX,
        Field::Stage,
    )?;
    check_name(&draft.name, Field::Name)?;
    if !draft.stages.iter().any(|s| s.kind == StageKind::Open) {
        return Err(AppError::validation(Field::Stage, Rule::OpenStageRequired));
    }
    let mut names = HashSet::new();
    let mut kept = HashSet::new();
    for stage in &draft.stages {
        check_name(&stage.name, Field::Name)?;
        if !names.insert(stage.name.trim().to_lowercase()) {
            return Err(AppError::Duplicate {
                entity: Entity::Stage,
                field: Field::Name,
            });
        }
        if !is_hex_color(&stage.color) {
            return Err(AppError::validation(Field::Color, Rule::UnknownValue));
        }
        if stage.sla_seconds.is_some_and(|sla| sla <= 0) {
            return Err(AppError::validation(Field::Sla, Rule::MustBePositive));
        }
        if let Some(id) = stage.id
            && (current.stage(id).is_none() || !kept.insert(id))
        {
            return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
        }
    }
    let removed: Vec<StageId> = current
        .stages
        .iter()
        .map(|s| s.id)
        .filter(|id| !kept.contains(id))
        .collect();
    let mut destinations = HashSet::new();
    for removal in &draft.removals {
        if !removed.contains(&removal.stage)
            || !kept.contains(&removal.move_deals_to)
            || !destinations.insert(removal.stage)
        {
            return Err(AppError::validation(Field::Stage, Rule::UnknownValue));
        }
    }
    Ok(removed)
}

fn check_name(name: &str, field: Field) -> Result<(), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation(field, Rule::Required));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::validation(field, Rule::TooLong { max: NAME_MAX }));
    }
    Ok(())
}

/// `#rrggbb`, the only colour form stages store (it goes into a style attribute).
pub fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{PipelineId, StageDraft, StageRemoval, StageView};

    fn current() -> PipelineView {
        let stage = |id: i32, kind| StageView {
            id: StageId(id),
            pipeline_id: PipelineId(1),
            name: format!("S{id}"),
            color: "#123456".into(),
            position: id,
            department_id: None,
            sla_seconds: Some(3600),
            required_fields: vec![],
            required_custom_fields: vec![],
            kind,
        };
        PipelineView {
            id: PipelineId(1),
            name: "Loans".into(),
            stages: vec![
                stage(1, StageKind::Open),
                stage(2, StageKind::Open),
                stage(3, StageKind::Won),
            ],
            allowed_moves: vec![],
        }
    }

    fn draft() -> PipelineDraft {
        PipelineDraft::from(&current())
    }

    fn new_stage(name: &str) -> StageDraft {
        StageDraft {
            id: None,
            name: name.into(),
            color: "#abcdef".into(),
            department_id: None,
            sla_seconds: None,
            required_fields: vec![],
            required_custom_fields: vec![],
            kind: StageKind::Open,
        }
    }

    #[test]
    fn an_unchanged_pipeline_removes_nothing() {
        assert_eq!(check_draft(&current(), &draft()), Ok(vec![]));
    }

    #[test]
    fn reordering_renaming_and_adding_are_accepted() {
        let mut d = draft();
        d.stages.swap(0, 1);
        d.stages[0].name = "Scoring 2".into();
        d.stages.insert(1, new_stage("Verification"));
        assert_eq!(check_draft(&current(), &d), Ok(vec![]));
    }

    #[test]
    fn a_missing_stage_is_removed_and_its_destination_must_be_kept() {
        let mut d = draft();
        d.stages.remove(1);
        assert_eq!(check_draft(&current(), &d), Ok(vec![StageId(2)]));
        d.removals = vec![StageRemoval {
            stage: StageId(2),
            move_deals_to: StageId(1),
        }];
        assert_eq!(check_draft(&current(), &d), Ok(vec![StageId(2)]));
        d.removals[0].move_deals_to = StageId(2);
        assert!(
            check_draft(&current(), &d).is_err(),
            "into the removed stage"
        );
        d.removals[0] = StageRemoval {
            stage: StageId(1),
            move_deals_to: StageId(3),
        };
        assert!(
            check_draft(&current(), &d).is_err(),
            "a kept stage is no removal"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        type Change = Box<dyn Fn(&mut PipelineDraft)>;
        let cases: Vec<(Change, AppError)> = vec![
            (
                Box::new(|d| d.name = "  ".into()),
                AppError::validation(Field::Name, Rule::Required),
            ),
            (
                Box::new(|d| d.stages[1].name = "s1".into()),
                AppError::Duplicate {
                    entity: Entity::Stage,
                    field: Field::Name,
                },
            ),
            (
                Box::new(|d| d.stages[0].color = "red\" onclick=\"x".into()),
                AppError::validation(Field::Color, Rule::UnknownValue),
            ),
            (
                Box::new(|d| d.stages[0].sla_seconds = Some(0)),
                AppError::validation(Field::Sla, Rule::MustBePositive),
            ),
            (
                Box::new(|d| {
                    for s in &mut d.stages {
                        s.kind = StageKind::Won;
                    }
                }),
                AppError::validation(Field::Stage, Rule::OpenStageRequired),
            ),
            (
                Box::new(|d| d.stages[0].id = Some(StageId(99))),
                AppError::validation(Field::Stage, Rule::UnknownValue),
            ),
            (
                Box::new(|d| d.stages[1].id = Some(StageId(1))),
                AppError::validation(Field::Stage, Rule::UnknownValue),
            ),
        ];
        for (change, expected) in cases {
            let mut d = draft();
            change(&mut d);
            assert_eq!(check_draft(&current(), &d), Err(expected));
        }
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert!(is_hex_color("#A0b1C2"));
        for bad in ["#abc", "abcdef0", "#abcdeg", "#abcdef0"] {
            assert!(!is_hex_color(bad), "{bad}");
        }
    }
}
