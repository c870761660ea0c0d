//! What the REST API's shapes (`/api/v1`, versioned and stable, unlike the UI's view models)
//! have in common: the page of a list with its opaque cursor. Each concept's own shapes
//! live beside its UI types (`deal::public`, `pipeline::public`, `event::public`).

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field, Rule};

/// Records a list page holds unless the caller asks for fewer.
pub const LIMIT_DEFAULT: u64 = 50;
/// The most records a list page holds.
pub const LIMIT_MAX: u64 = 100;
/// Characters of a cursor a client may send back.
const CURSOR_CHARS_MAX: usize = 64;

/// One page of a list. `next_cursor` continues it while `has_more`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// A whole list in one page.
    pub fn all(data: Vec<T>) -> Self {
        Page {
            data,
            next_cursor: None,
            has_more: false,
        }
    }

    /// A page of records in id order: while `more` follow, the cursor continues after the
    /// last one's id.
    pub fn by_id(data: Vec<T>, more: bool, id: impl Fn(&T) -> i64) -> Self {
        let next_cursor = more
            .then(|| data.last().map(|last| encode_cursor(id(last))))
            .flatten();
        Page {
            data,
            next_cursor,
            has_more: more,
        }
    }
}

/// The page size asked for, checked: 1 to `LIMIT_MAX`, `LIMIT_DEFAULT` when absent.
pub fn page_limit(limit: Option<u64>) -> Result<u64, AppError> {
    match limit {
        None => Ok(LIMIT_DEFAULT),
        Some(0) => Err(AppError::validation(Field::Limit, Rule::MustBePositive)),
        Some(n) if n > LIMIT_MAX => Err(AppError::validation(
            Field::Limit,
            Rule::TooBig { max: LIMIT_MAX },
        )),
        Some(n) => Ok(n),
    }
}

/// A cursor is the last id of the page before, wrapped so that clients treat it as opaque
/// (the scheme may change; the `c1.` prefix says which one this is).
pub fn encode_cursor(last_id: i64) -> String {
    format!("c1.{last_id:x}")
}

/// The id a cursor continues after (0 when there is none); a cursor we did not make is
/// malformed.
pub fn decode_cursor(cursor: Option<&str>) -> Result<i64, AppError> {
    let Some(cursor) = cursor else {
        return Ok(0);
    };
    let malformed = || AppError::Malformed {
        message: "unknown cursor".to_owned(),
    };
    if cursor.len() > CURSOR_CHARS_MAX {
        return Err(malformed());
    }
    cursor
        .strip_prefix("c1.")
        .and_then(|hex| i64::from_str_radix(hex, 16).ok())
        .filter(|id| *id >= 0)
        .ok_or_else(malformed)
}

/// Lets a PATCH tell "absent" (keep) from `null` (clear): with `#[serde(default,
/// deserialize_with = "present")]` on an `Option<Option<T>>` field, absent stays `None` and
/// `null` becomes `Some(None)`.
pub fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_malformed() {
        for id in [0, 1, 255, i64::MAX] {
            assert_eq!(decode_cursor(Some(&encode_cursor(id))), Ok(id));
        }
        assert_eq!(decode_cursor(None), Ok(0));
        for bad in [
            "",
            "12",
            "c1.",
            "c1.zz",
            "c1.-5",
            "c2.10",
            &"c1.0".repeat(30),
        ] {
            assert!(
                matches!(decode_cursor(Some(bad)), Err(AppError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None), Ok(LIMIT_DEFAULT));
        assert_eq!(page_limit(Some(100)), Ok(100));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(101)).is_err());
    }

    #[derive(Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "present")]
        amount: Option<Option<u32>>,
    }

    #[test]
    fn a_patch_tells_absent_from_null() {
        let read = |json: &str| serde_json::from_str::<Patch>(json).map(|p| p.amount).ok();
        assert_eq!(read("{}"), Some(None));
        assert_eq!(read(r#"{"amount":null}"#), Some(Some(None)));
        assert_eq!(read(r#"{"amount":5}"#), Some(Some(Some(5))));
    }
}
