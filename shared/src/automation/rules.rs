//! Pure rule logic: which events start a rule, whether its conditions hold for a deal, and
//! the three ways of picking a responsible.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::types::{Condition, NumberOp, TextOp, Trigger, TriggerField};
use crate::custom_field::CustomFieldId;
use crate::department::DepartmentId;
use crate::error::Field;
use crate::event::EventData;
use crate::pipeline::StageId;
use crate::user::UserId;

/// What conditions read of a deal at the moment a run starts.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFacts {
    pub stage_id: StageId,
    /// The department of the deal's stage.
    pub department_id: Option<DepartmentId>,
    pub responsible: Option<UserId>,
    pub amount: Option<Decimal>,
    pub title: String,
    pub has_client: bool,
    pub minutes_in_stage: i64,
    /// Stored custom values (a multi-select's as a JSON array).
    pub custom: HashMap<CustomFieldId, String>,
}

/// Whether the event starts a rule with this trigger (a time-in-stage trigger is started by
/// the deal entering its stage: the engine then waits for the moment).
pub fn trigger_matches(trigger: &Trigger, event: &EventData) -> bool {
    match trigger {
        Trigger::DealCreated => matches!(event, EventData::DealCreated { .. }),
        Trigger::TaskDue => matches!(
            event,
            EventData::TaskDue {
                subject: Some(crate::timeline::Subject::Deal(_)),
                ..
            }
        ),
        Trigger::StageEntered { stage_id } => {
            entered_stage(event).is_some_and(|entered| stage_id.is_none_or(|s| s == entered))
        }
        Trigger::TimeInStage { stage_id, .. } => entered_stage(event) == Some(*stage_id),
        Trigger::StageLeft { stage_id } => match event {
            EventData::DealMoved { from_stage_id, .. }
            | EventData::DealReturned { from_stage_id, .. } => {
                stage_id.is_none_or(|s| s == *from_stage_id)
            }
            _ => false,
        },
        Trigger::FieldChanged { field, to } => match event {
            EventData::DealUpdated { changes, .. } => changes.iter().any(|change| {
                let same_field = match field {
                    TriggerField::Custom(id) => change.custom.as_ref().is_some_and(|c| c.id == *id),
                    builtin => change.custom.is_none() && change.field == builtin_field(*builtin),
                };
                same_field
                    && to.as_deref().is_none_or(|to| {
                        change
                            .new
                            .as_deref()
                            .is_some_and(|new| text_includes(new, to))
                    })
            }),
            _ => false,
        },
    }
}

/// The stage a deal entered with this event (created in it, moved or returned to it).
fn entered_stage(event: &EventData) -> Option<StageId> {
    match event {
        EventData::DealCreated { deal }
        | EventData::DealMoved { deal, .. }
        | EventData::DealReturned { deal, .. } => Some(deal.stage_id),
        _ => None,
    }
}

fn builtin_field(field: TriggerField) -> Field {
    match field {
        TriggerField::Title => Field::Title,
        TriggerField::Amount => Field::Amount,
        TriggerField::Responsible => Field::Responsible,
        TriggerField::Client => Field::Client,
        TriggerField::Custom(_) => Field::CustomField,
    }
}

/// Whether a condition holds for the deal.
pub fn evaluate(condition: &Condition, deal: &DealFacts) -> bool {
    match condition {
        Condition::All { of } => of.iter().all(|c| evaluate(c, deal)),
        Condition::Any { of } => of.iter().any(|c| evaluate(c, deal)),
        Condition::Not { of } => !evaluate(of, deal),
        Condition::StageIn { stage_ids } => stage_ids.contains(&deal.stage_id),
        Condition::DepartmentIn { department_ids } => deal
            .department_id
            .is_some_and(|d| department_ids.contains(&d)),
        Condition::ResponsibleIn { user_ids } => {
            deal.responsible.is_some_and(|u| user_ids.contains(&u))
        }
        Condition::Unassigned => deal.responsible.is_none(),
        Condition::Amount { op, value } => deal.amount.is_some_and(|a| compare(*op, a, *value)),
        Condition::Title { op, value } => text_test(*op, Some(&deal.title), value),
        Condition::HasClient => deal.has_client,
        Condition::MinutesInStage { op, minutes } => {
            compare(*op, deal.minutes_in_stage, i64::from(*minutes))
        }
        Condition::Custom {
            field_id,
            op,
            value,
        } => text_test(*op, deal.custom.get(field_id).map(String::as_str), value),
    }
}

fn compare<T: PartialOrd>(op: NumberOp, left: T, right: T) -> bool {
    match op {
        NumberOp::Lt => left < right,
        NumberOp::Lte => left <= right,
        NumberOp::Eq => left == right,
        NumberOp::Gte => left >= right,
        NumberOp::Gt => left > right,
    }
}

fn text_test(op: TextOp, stored: Option<&str>, value: &str) -> bool {
    let stored = stored.filter(|s| !s.trim().is_empty() && *s != "[]");
    match op {
        TextOp::IsEmpty => stored.is_none(),
        TextOp::IsSet => stored.is_some(),
        TextOp::Equals => stored.is_some_and(|s| {
            let parts = value_parts(s);
            parts.len() == 1 && same(&parts[0], value)
        }),
        TextOp::Contains => {
            stored.is_some_and(|s| s.to_lowercase().contains(&value.trim().to_lowercase()))
        }
        TextOp::Includes => stored.is_some_and(|s| text_includes(s, value)),
    }
}

/// Whether a value (or one of a multi-select's, stored as a JSON array or shown as
/// "a, b") is `wanted`.
fn text_includes(stored: &str, wanted: &str) -> bool {
    same(stored, wanted) || value_parts(stored).iter().any(|part| same(part, wanted))
}

/// A stored value's parts: a multi-select's values (a JSON array, or shown as "a, b"), or
/// the value itself.
pub fn value_parts(stored: &str) -> Vec<String> {
    if stored.starts_with('[')
        && let Ok(values) = serde_json::from_str::<Vec<String>>(stored)
    {
        return values;
    }
    stored.split(", ").map(str::to_owned).collect()
}

fn same(left: &str, right: &str) -> bool {
    left.trim().to_lowercase() == right.trim().to_lowercase()
}

/// A rule's text with its placeholders (`PLACEHOLDERS`) replaced by `value`'s answers.
pub fn fill_placeholders(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut text = template.to_owned();
    for placeholder in super::types::PLACEHOLDERS {
        if text.contains(placeholder) {
            text = text.replace(placeholder, &value(placeholder));
        }
    }
    text
}

/// One of the candidates, chosen by `roll` (a random number).
pub fn pick_random(candidates: &[UserId], roll: u64) -> Option<UserId> {
    if candidates.is_empty() {
        return None;
    }
    let index = usize::try_from(roll % candidates.len() as u64).unwrap_or(0);
    Some(candidates[index])
}

/// The candidate after `last` in id order, wrapping round: everyone gets a turn before
/// anyone gets a second, whoever joined or left meanwhile.
pub fn pick_round_robin(candidates: &[UserId], last: Option<UserId>) -> Option<UserId> {
    let mut sorted = candidates.to_vec();
    sorted.sort();
    let after = last.and_then(|last| sorted.iter().find(|c| **c > last).copied());
    after.or_else(|| sorted.first().copied())
}

/// The candidate with the fewest open deals; ties go to the smaller id.
pub fn pick_least_loaded(candidates: &[(UserId, u64)]) -> Option<UserId> {
    candidates
        .iter()
        .min_by_key(|(user, open)| (*open, *user))
        .map(|(user, _)| *user)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::automation::AssignStrategy;
    use crate::custom_field::CustomFieldRef;
    use crate::deal::DealId;
    use crate::event::DealData;
    use crate::pipeline::PipelineId;
    use crate::timeline::FieldChange;

    fn facts() -> DealFacts {
        DealFacts {
            stage_id: StageId(2),
            department_id: Some(DepartmentId(7)),
            responsible: Some(UserId(3)),
            amount: Some(Decimal::new(150_000, 0)),
            title: "Loan for Ivanov".into(),
            has_client: true,
            minutes_in_stage: 90,
            custom: HashMap::from([
                (CustomFieldId(1), r#"["Leasing","Insurance"]"#.to_owned()),
                (CustomFieldId(2), "Moscow".to_owned()),
            ]),
        }
    }

    fn deal(stage: i32) -> DealData {
        DealData {
            id: DealId(1),
            title: "x".into(),
            pipeline_id: PipelineId(1),
            stage_id: StageId(stage),
            client_id: None,
            amount: None,
            responsible_id: None,
            stage_entered_at: DateTime::<Utc>::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn leaf_conditions_read_the_deal() {
        let deal = facts();
        let holds = |c: Condition| evaluate(&c, &deal);
        assert!(holds(Condition::StageIn {
            stage_ids: vec![StageId(1), StageId(2)]
        }));
        assert!(!holds(Condition::StageIn {
            stage_ids: vec![StageId(1)]
        }));
        assert!(holds(Condition::DepartmentIn {
            department_ids: vec![DepartmentId(7)]
        }));
        assert!(holds(Condition::ResponsibleIn {
            user_ids: vec![UserId(3)]
        }));
        assert!(!holds(Condition::Unassigned));
        assert!(holds(Condition::Amount {
            op: NumberOp::Gte,
            value: Decimal::new(150_000, 0)
        }));
        assert!(!holds(Condition::Amount {
            op: NumberOp::Gt,
            value: Decimal::new(150_000, 0)
        }));
        assert!(holds(Condition::Title {
            op: TextOp::Contains,
            value: "ivanov".into()
        }));
        assert!(holds(Condition::HasClient));
        assert!(holds(Condition::MinutesInStage {
            op: NumberOp::Gt,
            minutes: 60
        }));
        assert!(holds(Condition::Custom {
            field_id: CustomFieldId(1),
            op: TextOp::Includes,
            value: "insurance".into()
        }));
        assert!(!holds(Condition::Custom {
            field_id: CustomFieldId(1),
            op: TextOp::Equals,
            value: "Leasing".into()
        }));
        assert!(holds(Condition::Custom {
            field_id: CustomFieldId(2),
            op: TextOp::Equals,
            value: "moscow".into()
        }));
        assert!(holds(Condition::Custom {
            field_id: CustomFieldId(9),
            op: TextOp::IsEmpty,
            value: String::new()
        }));
    }

    #[test]
    fn all_any_and_not_nest() {
        let deal = facts();
        let yes = Condition::HasClient;
        let no = Condition::Unassigned;
        let tree = Condition::All {
            of: vec![
                yes.clone(),
                Condition::Any {
                    of: vec![no.clone(), yes.clone()],
                },
                Condition::Not {
                    of: Box::new(no.clone()),
                },
            ],
        };
        assert!(evaluate(&tree, &deal));
        let broken = Condition::All {
            of: vec![yes, Condition::Not { of: Box::new(tree) }],
        };
        assert!(!evaluate(&broken, &deal));
        // A missing amount fails every comparison rather than reading as zero.
        let unpriced = DealFacts {
            amount: None,
            ..facts()
        };
        assert!(!evaluate(
            &Condition::Amount {
                op: NumberOp::Lt,
                value: Decimal::ONE
            },
            &unpriced
        ));
    }

    #[test]
    fn triggers_match_their_events() {
        let created = EventData::DealCreated { deal: deal(1) };
        let moved = EventData::DealMoved {
            deal: deal(3),
            from_stage_id: StageId(2),
            comment: String::new(),
        };
        assert!(trigger_matches(&Trigger::DealCreated, &created));
        assert!(!trigger_matches(&Trigger::DealCreated, &moved));
        let entered = |stage| Trigger::StageEntered { stage_id: stage };
        assert!(trigger_matches(&entered(Some(StageId(3))), &moved));
        assert!(trigger_matches(&entered(None), &created));
        assert!(!trigger_matches(&entered(Some(StageId(2))), &moved));
        let left = |stage| Trigger::StageLeft { stage_id: stage };
        assert!(trigger_matches(&left(Some(StageId(2))), &moved));
        assert!(!trigger_matches(&left(Some(StageId(3))), &moved));
        assert!(!trigger_matches(&left(None), &created));
        let slow = Trigger::TimeInStage {
            stage_id: StageId(3),
            minutes: Some(30),
        };
        assert!(trigger_matches(&slow, &moved));
        assert!(!trigger_matches(&slow, &created));
    }

    #[test]
    fn field_triggers_watch_one_field_and_optionally_its_new_value() {
        let updated = EventData::DealUpdated {
            deal: deal(1),
            changes: vec![
                FieldChange {
                    field: Field::Amount,
                    custom: None,
                    old: None,
                    new: Some("100.00 RUB".into()),
                },
                FieldChange {
                    field: Field::CustomField,
                    custom: Some(CustomFieldRef {
                        id: CustomFieldId(4),
                        label: "Services".into(),
                    }),
                    old: None,
                    new: Some("Leasing, Insurance".into()),
                },
            ],
        };
        let watch = |field, to: Option<&str>| Trigger::FieldChanged {
            field,
            to: to.map(str::to_owned),
        };
        assert!(trigger_matches(
            &watch(TriggerField::Amount, None),
            &updated
        ));
        assert!(!trigger_matches(
            &watch(TriggerField::Title, None),
            &updated
        ));
        assert!(trigger_matches(
            &watch(TriggerField::Custom(CustomFieldId(4)), Some("insurance")),
            &updated
        ));
        assert!(!trigger_matches(
            &watch(TriggerField::Custom(CustomFieldId(4)), Some("Credit")),
            &updated
        ));
        assert!(!trigger_matches(
            &watch(TriggerField::Custom(CustomFieldId(5)), None),
            &updated
        ));
    }

    #[test]
    fn placeholders_are_filled_and_other_braces_left() {
        let text = fill_placeholders("{main} takes {client} ({x}), see {deal}", |p| match p {
            "{main}" => "Anna".into(),
            "{client}" => "Ivanov LLC".into(),
            _ => "#7".into(),
        });
        assert_eq!(text, "Anna takes Ivanov LLC ({x}), see #7");
        assert_eq!(
            value_parts(r#"["Credit","Insurance"]"#),
            ["Credit", "Insurance"]
        );
        assert_eq!(value_parts("Credit, Insurance"), ["Credit", "Insurance"]);
    }

    #[test]
    fn round_robin_goes_round_and_survives_a_changed_team() {
        let team = [UserId(5), UserId(2), UserId(9)];
        let mut last = None;
        let mut order = Vec::new();
        for _ in 0..4 {
            last = pick_round_robin(&team, last);
            order.push(last.unwrap().0);
        }
        assert_eq!(order, [2, 5, 9, 2]);
        // The last one picked left the team (deactivated): the next one in id order.
        assert_eq!(
            pick_round_robin(&[UserId(2), UserId(9)], Some(UserId(5))),
            Some(UserId(9))
        );
        // Only the stored last pick matters, so a restart changes nothing.
        assert_eq!(pick_round_robin(&team, Some(UserId(9))), Some(UserId(2)));
        assert_eq!(pick_round_robin(&[], Some(UserId(1))), None);
        let _ = AssignStrategy::RoundRobin;
    }

    #[test]
    fn least_loaded_counts_open_deals_and_random_stays_in_the_team() {
        assert_eq!(
            pick_least_loaded(&[(UserId(4), 3), (UserId(2), 1), (UserId(7), 1)]),
            Some(UserId(2))
        );
        assert_eq!(pick_least_loaded(&[]), None);
        let team = [UserId(4), UserId(8)];
        for roll in 0..10 {
            assert!(team.contains(&pick_random(&team, roll).unwrap()));
        }
        assert_eq!(pick_random(&team, 1), Some(UserId(8)));
        assert_eq!(pick_random(&[], 3), None);
    }
}
