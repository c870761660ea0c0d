//! The bounds on what a client may send, in one table, and the checks that apply them.
//! Every check here is O(1) or a single pass and runs before any other work on the value:
//! a request past a bound is refused with a validation error and changes nothing.

use crate::error::{AppError, Field, Rule};

/// Tags on one client.
pub const TAGS_MAX: usize = 20;
/// Characters of one tag.
pub const TAG_CHARS_MAX: usize = 40;
/// Entries a list typed into a form may carry before blanks and duplicates are dropped
/// (tags, contacts, a select field's options): a few times what may be kept.
pub const RAW_LIST_MAX: usize = 200;

/// The clients list's page numbers (from 0): 25 a page, a quarter of a million clients.
pub const PAGE_MAX: u64 = 10_000;
/// Where a board column's "show more" may start.
pub const OFFSET_MAX: u64 = 100_000;

/// Characters of a search text (clients, board, the company picker).
pub const SEARCH_CHARS_MAX: usize = 200;
/// Conditions on custom fields in one board filter (`cf.<id>` in the URL).
pub const CUSTOM_FILTERS_MAX: usize = 50;
/// Characters of one custom-field condition's value or bound.
pub const FILTER_VALUE_CHARS_MAX: usize = 200;

/// Stages of one pipeline.
pub const STAGES_MAX: usize = 50;
/// Allowed moves of one pipeline: every ordered pair of different stages.
pub const MOVES_MAX: usize = STAGES_MAX * (STAGES_MAX - 1);

/// Custom field values in one deal or client form.
pub const CUSTOM_INPUTS_MAX: usize = 200;

/// Ids in one "mark these read" (or similar) request.
pub const IDS_MAX: usize = 500;

/// Days an analytics period may span: five years, leap days included.
pub const PERIOD_DAYS_MAX: u64 = 5 * 365 + 2;
/// Points of a trend or an SLA chart.
pub const BUCKETS_MAX: u64 = 2_000;

/// Characters of an e-mail stored with a failed sign-in (and of any e-mail accepted at
/// sign-in: a longer one cannot belong to an account).
pub const SIGN_IN_EMAIL_CHARS_MAX: usize = crate::user::EMAIL_MAX;
/// Characters of a password accepted at sign-in (a longer one cannot be anyone's).
pub const SIGN_IN_PASSWORD_CHARS_MAX: usize = crate::user::PASSWORD_MAX;

/// Refuses more than `max` entries.
pub fn check_count(len: usize, max: usize, field: Field) -> Result<(), AppError> {
    if len > max {
        Err(AppError::validation(field, Rule::TooMany { max }))
    } else {
        Ok(())
    }
}

/// Refuses a typed list of more than `RAW_LIST_MAX` entries before blanks and duplicates
/// are dropped; the error names `kept_max`, the bound people know.
pub fn check_raw_list(len: usize, kept_max: usize, field: Field) -> Result<(), AppError> {
    if len > RAW_LIST_MAX {
        Err(AppError::validation(field, Rule::TooMany { max: kept_max }))
    } else {
        Ok(())
    }
}

/// Refuses a text of more than `max` characters. A UTF-8 character is at most four bytes,
/// so a short text is passed and a long one refused without counting every character.
pub fn check_chars(text: &str, max: usize, field: Field) -> Result<(), AppError> {
    let too_long = if text.len() <= max {
        false
    } else if text.len() > max.saturating_mul(4) {
        true
    } else {
        text.chars().count() > max
    };
    if too_long {
        Err(AppError::validation(field, Rule::TooLong { max }))
    } else {
        Ok(())
    }
}

/// Refuses a number above `max` (a page, an offset).
pub fn check_at_most(value: u64, max: u64, field: Field) -> Result<(), AppError> {
    if value > max {
        Err(AppError::validation(field, Rule::TooBig { max }))
    } else {
        Ok(())
    }
}

/// A search text's bound, when there is one.
pub fn check_search(search: Option<&str>) -> Result<(), AppError> {
    search.map_or(Ok(()), |s| check_chars(s, SEARCH_CHARS_MAX, Field::Search))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_counted_not_bytes() {
        let cyrillic = "я".repeat(40);
        assert!(check_chars(&cyrillic, 40, Field::Tags).is_ok());
        assert_eq!(
            check_chars(&format!("{cyrillic}я"), 40, Field::Tags),
            Err(AppError::validation(Field::Tags, Rule::TooLong { max: 40 }))
        );
        assert!(check_chars(&"x".repeat(1_000_000), 40, Field::Tags).is_err());
        assert!(check_chars("", 0, Field::Tags).is_ok());
    }

    #[test]
    fn counts_and_numbers_are_bounded() {
        assert!(check_count(IDS_MAX, IDS_MAX, Field::Notifications).is_ok());
        assert!(check_count(IDS_MAX + 1, IDS_MAX, Field::Notifications).is_err());
        assert!(check_at_most(PAGE_MAX, PAGE_MAX, Field::Page).is_ok());
        assert_eq!(
            check_at_most(u64::MAX, PAGE_MAX, Field::Page),
            Err(AppError::validation(
                Field::Page,
                Rule::TooBig { max: PAGE_MAX }
            ))
        );
    }
}
