//! Zone offsets on the server, from chrono-tz's copy of the tz database.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Seconds the wall clock in `name` is ahead of UTC at `at` (0 for a name chrono-tz lacks,
/// which `Zone`'s parsing rules out).
pub(super) fn offset_seconds(name: &str, at: DateTime<Utc>) -> i32 {
    name.parse::<Tz>().map_or(0, |tz| {
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    })
}
