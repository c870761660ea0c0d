//! Checking custom field definitions and values. Pure: the service adds what needs the
//! database (a user field's colleague exists and is active).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use super::{CustomFieldDraft, CustomFieldKind, CustomFieldView, RecordKind};
use crate::error::{AppError, Field, Rule};
use crate::time_zone::{Zone, format_moment, local_input};

pub const LABEL_MAX: usize = 100;
pub const GROUP_MAX: usize = 100;
pub const HELP_MAX: usize = 500;
pub const OPTIONS_MAX: usize = 100;
pub const OPTION_MAX: usize = 100;
pub const TEXT_MAX: usize = 500;
pub const LONG_TEXT_MAX: usize = 10_000;
pub const LINK_MAX: usize = 2_000;

/// A definition with its text trimmed, blank options dropped and the currency upper-cased;
/// or the first rule it breaks.
pub fn checked_draft(mut draft: CustomFieldDraft) -> Result<CustomFieldDraft, AppError> {
    draft.label = draft.label.trim().to_owned();
    draft.group = draft.group.trim().to_owned();
    draft.help = draft.help.trim().to_owned();
    if draft.label.is_empty() {
        return Err(AppError::validation(Field::Name, Rule::Required));
    }
    if draft.label.chars().count() > LABEL_MAX {
        return Err(AppError::validation(
            Field::Name,
            Rule::TooLong { max: LABEL_MAX },
        ));
    }
    if draft.group.chars().count() > GROUP_MAX {
        return Err(AppError::validation(
            Field::Group,
            Rule::TooLong { max: GROUP_MAX },
        ));
    }
    if draft.help.chars().count() > HELP_MAX {
        return Err(AppError::validation(
            Field::Help,
            Rule::TooLong { max: HELP_MAX },
        ));
    }
    if draft.entity == RecordKind::Client && draft.pipeline_id.is_some() {
        return Err(AppError::validation(Field::Pipeline, Rule::UnknownValue));
    }
    if draft.kind.has_options() {
        // Bounded before the work, and one pass: duplicates are found in a set.
        crate::limits::check_raw_list(draft.options.len(), OPTIONS_MAX, Field::Options)?;
        let mut seen = std::collections::HashSet::new();
        let mut options: Vec<String> = Vec::new();
        for option in &draft.options {
            let option = option.trim();
            if option.is_empty() {
                continue;
            }
            crate::limits::check_chars(option, OPTION_MAX, Field::Options)?;
            if seen.insert(option) {
                crate::limits::check_count(options.len() + 1, OPTIONS_MAX, Field::Options)?;
                options.push(option.to_owned());
            }
        }
        if options.is_empty() {
            return Err(AppError::validation(Field::Options, Rule::Required));
        }
        draft.options = options;
    } else {
        draft.options.clear();
    }
    if draft.kind == CustomFieldKind::Money {
        let currency = draft
            .currency
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "RUB".to_owned());
        crate::deal::validate_currency(&currency)?;
        draft.currency = Some(currency);
    } else {
        draft.currency = None;
    }
    Ok(draft)
}

/// A value in its canonical stored form, with its number for range filters.
#[derive(Debug, Clone, PartialEq)]
pub struct Canonical {
    pub text: String,
    pub number: Option<f64>,
}

impl Canonical {
    fn text(text: impl Into<String>) -> Self {
        Canonical {
            text: text.into(),
            number: None,
        }
    }
}

/// Checks a submitted value against the field: `Ok(None)` for an empty value (the field is
/// cleared), the canonical value, or the rule it breaks. Users are checked to be numbers
/// here; the service checks they are active colleagues.
pub fn check_value(field: &CustomFieldView, inputs: &[String]) -> Result<Option<Canonical>, Rule> {
    // Refused before the inputs are compared with the options.
    if inputs.len() > crate::limits::RAW_LIST_MAX {
        return Err(Rule::TooMany {
            max: field.options.len().max(1),
        });
    }
    let inputs: Vec<&str> = inputs
        .iter()
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .collect();
    if field.kind == CustomFieldKind::MultiSelect {
        return check_options(field, &inputs);
    }
    let value = match inputs.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(Rule::TooMany { max: 1 }),
    };
    let canonical = match field.kind {
        CustomFieldKind::Text => {
            // One line: line breaks pasted in become spaces.
            let text = value.split_whitespace().collect::<Vec<_>>().join(" ");
            too_long(&text, TEXT_MAX)?;
            Canonical::text(text)
        }
        CustomFieldKind::LongText => {
            too_long(value, LONG_TEXT_MAX)?;
            Canonical::text(value.replace("\r\n", "\n"))
        }
        CustomFieldKind::Number => {
            let number = parse_decimal(value).ok_or(Rule::InvalidNumber)?.normalize();
            number_value(number)
        }
        CustomFieldKind::Money => {
            let amount = parse_decimal(value).ok_or(Rule::InvalidAmount)?;
            if amount.is_sign_negative() || amount.normalize().scale() > 2 {
                return Err(Rule::InvalidAmount);
            }
            let mut amount = amount.normalize();
            amount.rescale(2);
            number_value(amount)
        }
        CustomFieldKind::Date => {
            let date =
                NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| Rule::InvalidDate)?;
            Canonical::text(date.format("%Y-%m-%d").to_string())
        }
        CustomFieldKind::DateTime => Canonical::text(
            parse_date_time(value)
                .ok_or(Rule::InvalidDate)?
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        ),
        CustomFieldKind::Select => {
            if !field.options.iter().any(|option| option == value) {
                return Err(Rule::UnknownValue);
            }
            Canonical::text(value)
        }
        CustomFieldKind::MultiSelect => unreachable!("handled above"),
        CustomFieldKind::Checkbox => match value {
            "true" | "on" | "1" | "yes" => Canonical::text("true"),
            // Unticked is no value: a required checkbox must be ticked.
            "false" | "off" | "0" | "no" => return Ok(None),
            _ => return Err(Rule::UnknownValue),
        },
        CustomFieldKind::User => {
            let id: i32 = value.parse().map_err(|_| Rule::UnknownValue)?;
            Canonical::text(id.to_string())
        }
        CustomFieldKind::Link => {
            too_long(value, LINK_MAX)?;
            if !is_web_address(value) {
                return Err(Rule::InvalidUrl);
            }
            Canonical::text(value)
        }
    };
    Ok(Some(canonical))
}

fn check_options(field: &CustomFieldView, inputs: &[&str]) -> Result<Option<Canonical>, Rule> {
    if inputs
        .iter()
        .any(|value| !field.options.iter().any(|o| o == value))
    {
        return Err(Rule::UnknownValue);
    }
    // In the field's order, each once.
    let chosen: Vec<&String> = field
        .options
        .iter()
        .filter(|option| inputs.contains(&option.as_str()))
        .collect();
    if chosen.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_string(&chosen).map_err(|_| Rule::UnknownValue)?;
    Ok(Some(Canonical::text(json)))
}

fn too_long(text: &str, max: usize) -> Result<(), Rule> {
    if text.chars().count() > max {
        Err(Rule::TooLong { max })
    } else {
        Ok(())
    }
}

fn number_value(number: Decimal) -> Canonical {
    use rust_decimal::prelude::ToPrimitive;
    Canonical {
        text: number.to_string(),
        number: number.to_f64(),
    }
}

/// A decimal as people type it: `1 500,50`, `1500.50`, `-3`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if compact.is_empty() || compact.chars().filter(|c| *c == '.').count() > 1 {
        return None;
    }
    compact.parse::<Decimal>().ok()
}

/// A moment as RFC 3339 (the forms turn their local input into it) or, from API clients,
/// a bare `2026-11-24T10:30` read as UTC.
fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Some(moment.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// `http(s)://` with a host and no spaces: the only addresses a card turns into links.
pub fn is_web_address(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !text.chars().any(char::is_whitespace)
    })
}

/// A stored value as people read it: options joined, users by name, money with its
/// currency, a ticked box as "✓".
pub fn display(
    field: &CustomFieldView,
    canonical: &str,
    zone: Zone,
    user_name: impl Fn(i32) -> Option<String>,
) -> String {
    match field.kind {
        CustomFieldKind::MultiSelect => serde_json::from_str::<Vec<String>>(canonical)
            .map(|options| options.join(", "))
            .unwrap_or_else(|_| canonical.to_owned()),
        CustomFieldKind::User => canonical
            .parse()
            .ok()
            .and_then(user_name)
            .unwrap_or_else(|| canonical.to_owned()),
        CustomFieldKind::Money => match &field.currency {
            Some(currency) => format!("{canonical} {currency}"),
            None => canonical.to_owned(),
        },
        CustomFieldKind::DateTime => canonical
            .parse::<DateTime<Utc>>()
            .map(|moment| format_moment(moment, zone))
            .unwrap_or_else(|_| canonical.to_owned()),
        CustomFieldKind::Checkbox => "✓".to_owned(),
        _ => canonical.to_owned(),
    }
}

/// The options a stored multi-select value holds (or the one of a select).
pub fn chosen_options(field: &CustomFieldView, canonical: &str) -> Vec<String> {
    match field.kind {
        CustomFieldKind::MultiSelect => serde_json::from_str(canonical).unwrap_or_default(),
        _ => vec![canonical.to_owned()],
    }
}

/// What an input shows for a stored value (`datetime-local` wants the local time in
/// `zone`, without seconds or zone).
pub fn input_value(field: &CustomFieldView, canonical: &str, zone: Zone) -> String {
    match field.kind {
        CustomFieldKind::DateTime => canonical
            .parse::<DateTime<Utc>>()
            .map(|moment| local_input(moment, zone))
            .unwrap_or_default(),
        _ => canonical.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom_field::CustomFieldId;

    fn field(kind: CustomFieldKind) -> CustomFieldView {
        CustomFieldView {
            id: CustomFieldId(1),
            entity: RecordKind::Deal,
            pipeline_id: None,
            label: "Field".into(),
            kind,
            options: vec!["Low".into(), "Medium".into(), "High".into()],
            currency: Some("RUB".into()),
            group: String::new(),
            position: 0,
            required: false,
            help: String::new(),
            active: true,
        }
    }

    fn check(kind: CustomFieldKind, value: &str) -> Result<Option<String>, Rule> {
        check_value(&field(kind), &[value.to_owned()]).map(|c| c.map(|c| c.text))
    }

    #[test]
    fn blank_clears_every_kind() {
        for kind in CustomFieldKind::ALL {
            assert_eq!(check(kind, "   "), Ok(None), "{kind:?}");
            assert_eq!(check_value(&field(kind), &[]), Ok(None), "{kind:?}");
        }
    }

    #[test]
    fn text_is_one_line_and_bounded() {
        assert_eq!(
            check(CustomFieldKind::Text, " a\nb  c "),
            Ok(Some("a b c".into()))
        );
        assert_eq!(
            check(CustomFieldKind::Text, &"x".repeat(TEXT_MAX + 1)),
            Err(Rule::TooLong { max: TEXT_MAX })
        );
        assert_eq!(
            check(CustomFieldKind::LongText, "line 1\r\nline 2"),
            Ok(Some("line 1\nline 2".into()))
        );
        assert!(check(CustomFieldKind::LongText, &"x".repeat(LONG_TEXT_MAX + 1)).is_err());
    }

    #[test]
    fn numbers_accept_how_people_type_them() {
        assert_eq!(
            check(CustomFieldKind::Number, "1 500,50"),
            Ok(Some("1500.5".into()))
        );
        assert_eq!(check(CustomFieldKind::Number, "-3"), Ok(Some("-3".into())));
        assert_eq!(
            check(CustomFieldKind::Number, "12abc"),
            Err(Rule::InvalidNumber)
        );
        assert_eq!(
            check(CustomFieldKind::Number, "1.2.3"),
            Err(Rule::InvalidNumber)
        );
        let number = check_value(&field(CustomFieldKind::Number), &["2.5".into()]).unwrap();
        assert_eq!(number.unwrap().number, Some(2.5));
    }

    #[test]
    fn money_has_two_places_and_is_not_negative() {
        assert_eq!(
            check(CustomFieldKind::Money, "150000"),
            Ok(Some("150000.00".into()))
        );
        assert_eq!(
            check(CustomFieldKind::Money, "99,9"),
            Ok(Some("99.90".into()))
        );
        assert_eq!(
            check(CustomFieldKind::Money, "1.005"),
            Err(Rule::InvalidAmount)
        );
        assert_eq!(
            check(CustomFieldKind::Money, "-1"),
            Err(Rule::InvalidAmount)
        );
        assert_eq!(
            check(CustomFieldKind::Money, "ten"),
            Err(Rule::InvalidAmount)
        );
    }

    #[test]
    fn dates_and_moments() {
        assert_eq!(
            check(CustomFieldKind::Date, "2026-11-24"),
            Ok(Some("2026-11-24".into()))
        );
        assert_eq!(
            check(CustomFieldKind::Date, "2026-02-30"),
            Err(Rule::InvalidDate)
        );
        assert_eq!(
            check(CustomFieldKind::Date, "24.11.2026"),
            Err(Rule::InvalidDate)
        );
        assert_eq!(
            check(CustomFieldKind::DateTime, "2026-11-24T10:30"),
            Ok(Some("2026-11-24T10:30:00Z".into()))
        );
        assert_eq!(
            check(CustomFieldKind::DateTime, "2026-11-24T13:30:00+03:00"),
            Ok(Some("2026-11-24T10:30:00Z".into()))
        );
        assert_eq!(
            check(CustomFieldKind::DateTime, "tomorrow"),
            Err(Rule::InvalidDate)
        );
        // Shown and typed in the reader's zone; stored in UTC.
        let moment = field(CustomFieldKind::DateTime);
        let moscow: Zone = "Europe/Moscow".parse().unwrap();
        let stored = "2026-11-24T10:30:00Z";
        assert_eq!(
            display(&moment, stored, moscow, |_| None),
            "2026-11-24 13:30"
        );
        assert_eq!(
            display(&moment, stored, Zone::UTC, |_| None),
            "2026-11-24 10:30 UTC"
        );
        assert_eq!(input_value(&moment, stored, moscow), "2026-11-24T13:30");
    }

    #[test]
    fn options_must_be_the_fields_own() {
        assert_eq!(
            check(CustomFieldKind::Select, "High"),
            Ok(Some("High".into()))
        );
        assert_eq!(
            check(CustomFieldKind::Select, "high"),
            Err(Rule::UnknownValue)
        );
        let multi = field(CustomFieldKind::MultiSelect);
        let chosen = |values: &[&str]| {
            check_value(
                &multi,
                &values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            )
            .map(|c| c.map(|c| c.text))
        };
        assert_eq!(
            chosen(&["High", "Low", "High"]),
            Ok(Some(r#"["Low","High"]"#.into())),
            "in the field's order, once each"
        );
        assert_eq!(chosen(&["Low", "Huge"]), Err(Rule::UnknownValue));
        assert_eq!(chosen(&[]), Ok(None));
        assert_eq!(
            display(&multi, r#"["Low","High"]"#, Zone::UTC, |_| None),
            "Low, High"
        );
        assert_eq!(
            check_value(
                &field(CustomFieldKind::Select),
                &["Low".into(), "High".into()]
            ),
            Err(Rule::TooMany { max: 1 })
        );
    }

    #[test]
    fn checkbox_user_and_link() {
        assert_eq!(
            check(CustomFieldKind::Checkbox, "on"),
            Ok(Some("true".into()))
        );
        assert_eq!(check(CustomFieldKind::Checkbox, "false"), Ok(None));
        assert_eq!(
            check(CustomFieldKind::Checkbox, "maybe"),
            Err(Rule::UnknownValue)
        );
        assert_eq!(check(CustomFieldKind::User, "7"), Ok(Some("7".into())));
        assert_eq!(
            check(CustomFieldKind::User, "Anna"),
            Err(Rule::UnknownValue)
        );
        assert_eq!(
            display(&field(CustomFieldKind::User), "7", Zone::UTC, |id| (id
                == 7)
                .then(|| "Anna".to_owned())),
            "Anna"
        );
        assert_eq!(
            check(CustomFieldKind::Link, "https://example.com/a?b=1"),
            Ok(Some("https://example.com/a?b=1".into()))
        );
        for bad in [
            "javascript:alert(1)",
            "https://",
            "ftp://x",
            "https://a b",
            "example.com",
        ] {
            assert_eq!(
                check(CustomFieldKind::Link, bad),
                Err(Rule::InvalidUrl),
                "{bad}"
            );
        }
    }

    fn draft(kind: CustomFieldKind) -> CustomFieldDraft {
        CustomFieldDraft {
            id: None,
            entity: RecordKind::Deal,
            pipeline_id: None,
            label: "  Risk class ".into(),
            kind,
            options: vec![" A ".into(), "".into(), "B".into(), "A".into()],
            currency: Some("usd".into()),
            group: " Scoring ".into(),
            position: 1,
            required: true,
            help: String::new(),
        }
    }

    #[test]
    fn drafts_are_tidied_and_checked() {
        let select = checked_draft(draft(CustomFieldKind::Select)).unwrap();
        assert_eq!(select.label, "Risk class");
        assert_eq!(select.group, "Scoring");
        assert_eq!(select.options, vec!["A", "B"]);
        assert_eq!(select.currency, None);
        let money = checked_draft(draft(CustomFieldKind::Money)).unwrap();
        assert_eq!(money.currency.as_deref(), Some("USD"));
        assert!(money.options.is_empty());
        let mut no_options = draft(CustomFieldKind::MultiSelect);
        no_options.options = vec!["  ".into()];
        assert_eq!(
            checked_draft(no_options),
            Err(AppError::validation(Field::Options, Rule::Required))
        );
        let mut blank = draft(CustomFieldKind::Text);
        blank.label = " ".into();
        assert_eq!(
            checked_draft(blank),
            Err(AppError::validation(Field::Name, Rule::Required))
        );
        let mut client_in_pipeline = draft(CustomFieldKind::Text);
        client_in_pipeline.entity = RecordKind::Client;
        client_in_pipeline.pipeline_id = Some(crate::pipeline::PipelineId(1));
        assert!(checked_draft(client_in_pipeline).is_err());
        let mut bad_currency = draft(CustomFieldKind::Money);
        bad_currency.currency = Some("rubles".into());
        assert!(checked_draft(bad_currency).is_err());
    }
}
