//! IANA time zones: parsing, the list the pickers search, a suggestion from a client's
//! phone or address, a client's local time with the hours it is polite to call, and
//! moments shown and typed in a person's own zone.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field, Rule};

#[cfg(target_family = "wasm")]
mod intl;
mod names;
#[cfg(not(target_family = "wasm"))]
mod native;

#[cfg(target_family = "wasm")]
use intl::offset_seconds;
#[cfg(not(target_family = "wasm"))]
use native::offset_seconds;

/// An IANA time zone. On the server its rules come from chrono-tz's database; in the
/// browser from the browser's own `Intl`, so the WebAssembly ships names but no rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Zone(&'static str);

impl Zone {
    pub const UTC: Zone = Zone("UTC");

    /// The IANA name, e.g. `Europe/Moscow`.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// How far the zone's wall clock is ahead of UTC at `at`, in seconds.
    pub fn offset_at(self, at: DateTime<Utc>) -> i32 {
        offset_seconds(self.0, at)
    }

    /// The zone's wall clock at `at`.
    pub fn local(self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + Duration::seconds(i64::from(self.offset_at(at)))
    }

    /// The first instant of `day` on the zone's clock: its midnight, or the first moment
    /// after a midnight the clocks skip.
    pub fn day_start(self, day: chrono::NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        (0..=4)
            .find_map(|hour| self.from_local(midnight + Duration::hours(hour)))
            .unwrap_or_else(|| midnight.and_utc())
    }

    /// The moment the zone's wall clock shows `local`: `None` for a time the clocks skip
    /// (spring forward), the earlier for one they pass twice (autumn).
    pub fn from_local(self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        // Offsets change at most once around any wall time, so the offsets a day before and
        // a day after are the only candidates; a candidate holds if the zone agrees with it.
        let around = |days: i64| {
            let probe = Utc.from_utc_datetime(&(local + Duration::days(days)));
            self.offset_at(probe)
        };
        [around(-1), around(1)]
            .into_iter()
            .filter_map(|offset| {
                let at = Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset))));
                (self.offset_at(at) == offset).then_some(at)
            })
            .min()
    }
}

impl FromStr for Zone {
    type Err = AppError;

    fn from_str(name: &str) -> Result<Zone, AppError> {
        // The board parses a zone per card: a binary search of the sorted names.
        let name = name.trim();
        names::NAMES
            .binary_search(&name)
            .map(|index| Zone(names::NAMES[index]))
            .map_err(|_| AppError::validation(Field::TimeZone, Rule::UnknownValue))
    }
}

/// Every IANA time zone name, for the pickers' search.
pub const TIME_ZONES: &[&str] = names::NAMES;

/// A new user's zone until they pick their own.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// Local hours in which a call is polite: from 9:00 up to (not including) 21:00.
pub const CALL_HOURS: std::ops::Range<u32> = 9..21;

pub fn parse_time_zone(name: &str) -> Result<Zone, AppError> {
    name.parse()
}

/// What `datetime-local` inputs hold: local date and time to the minute.
pub const LOCAL_INPUT_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// A moment as a person in `zone` reads it: `2026-11-24 13:30`; in UTC the zone is said,
/// so nobody takes it for their own wall clock.
pub fn format_moment(at: DateTime<Utc>, zone: Zone) -> String {
    let local = zone.local(at).format("%Y-%m-%d %H:%M").to_string();
    if zone == Zone::UTC {
        format!("{local} UTC")
    } else {
        local
    }
}

/// A moment as a `datetime-local` input in `zone` shows it.
pub fn local_input(at: DateTime<Utc>, zone: Zone) -> String {
    zone.local(at).format(LOCAL_INPUT_FORMAT).to_string()
}

/// What a person in `zone` typed into a `datetime-local` input (seconds optional), as a
/// moment. A time the clocks skip (spring forward) is `None`; one they pass twice is the
/// earlier.
pub fn parse_local_input(text: &str, zone: Zone) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let naive = NaiveDateTime::parse_from_str(text, LOCAL_INPUT_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    zone.from_local(naive)
}

/// A client's wall clock now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalClock {
    /// `HH:MM` in the client's zone.
    pub time: String,
    /// The zone's offset from UTC (`+03`, `+05:30`, `-04`; `UTC` for none).
    pub zone: String,
    /// Outside 9:00-21:00 there: do not call now.
    pub quiet: bool,
}

/// The local time in `time_zone` at `now`; `None` for an unknown zone.
pub fn local_clock(time_zone: &str, now: DateTime<Utc>) -> Option<LocalClock> {
    let zone = parse_time_zone(time_zone).ok()?;
    let local = zone.local(now);
    Some(LocalClock {
        time: local.format("%H:%M").to_string(),
        zone: format_offset(zone.offset_at(now)),
        quiet: !CALL_HOURS.contains(&local.hour()),
    })
}

/// `+03`, `+05:30`, `-04`, or `UTC` for no offset: the same text on the server and in the
/// browser (abbreviations such as `MSK` come from a database the browser build lacks).
pub fn format_offset(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if minutes == 0 {
        format!("{sign}{hours:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}")
    }
}

/// Country calling codes and the zone most of the country's clients live in; the longest
/// matching prefix wins (so `+77` Kazakhstan beats `+7` Russia).
const CALLING_CODES: &[(&str, &str)] = &[
    ("1", "America/New_York"),
    ("7", "Europe/Moscow"),
    ("76", "Asia/Almaty"),
    ("77", "Asia/Almaty"),
    ("20", "Africa/Cairo"),
    ("27", "Africa/Johannesburg"),
    ("30", "Europe/Athens"),
    ("31", "Europe/Amsterdam"),
    ("32", "Europe/Brussels"),
    ("33", "Europe/Paris"),
    ("34", "Europe/Madrid"),
    ("36", "Europe/Budapest"),
    ("39", "Europe/Rome"),
    ("40", "Europe/Bucharest"),
    ("41", "Europe/Zurich"),
    ("43", "Europe/Vienna"),
    ("44", "Europe/London"),
    ("45", "Europe/Copenhagen"),
    ("46", "Europe/Stockholm"),
    ("47", "Europe/Oslo"),
    ("48", "Europe/Warsaw"),
    ("49", "Europe/Berlin"),
    ("52", "America/Mexico_City"),
    ("55", "America/Sao_Paulo"),
    ("61", "Australia/Sydney"),
    ("81", "Asia/Tokyo"),
    ("82", "Asia/Seoul"),
    ("86", "Asia/Shanghai"),
    ("90", "Europe/Istanbul"),
    ("91", "Asia/Kolkata"),
    ("351", "Europe/Lisbon"),
    ("358", "Europe/Helsinki"),
    ("370", "Europe/Vilnius"),
    ("371", "Europe/Riga"),
    ("372", "Europe/Tallinn"),
    ("373", "Europe/Chisinau"),
    ("374", "Asia/Yerevan"),
    ("375", "Europe/Minsk"),
    ("380", "Europe/Kyiv"),
    ("420", "Europe/Prague"),
    ("971", "Asia/Dubai"),
    ("972", "Asia/Jerusalem"),
    ("992", "Asia/Dushanbe"),
    ("993", "Asia/Ashgabat"),
    ("994", "Asia/Baku"),
    ("995", "Asia/Tbilisi"),
    ("996", "Asia/Bishkek"),
    ("998", "Asia/Tashkent"),
];

/// Cities (in Russian) whose zone differs from their country's default, and capitals.
const CITIES: &[(&str, &str)] = &[
    ("москва", "Europe/Moscow"),
    ("санкт-петербург", "Europe/Moscow"),
    ("калининград", "Europe/Kaliningrad"),
    ("самара", "Europe/Samara"),
    ("саратов", "Europe/Saratov"),
    ("ульяновск", "Europe/Ulyanovsk"),
    ("астрахань", "Europe/Astrakhan"),
    ("волгоград", "Europe/Volgograd"),
    ("екатеринбург", "Asia/Yekaterinburg"),
    ("челябинск", "Asia/Yekaterinburg"),
    ("уфа", "Asia/Yekaterinburg"),
    ("пермь", "Asia/Yekaterinburg"),
    ("тюмень", "Asia/Yekaterinburg"),
    ("омск", "Asia/Omsk"),
    ("новосибирск", "Asia/Novosibirsk"),
    ("барнаул", "Asia/Barnaul"),
    ("томск", "Asia/Tomsk"),
    ("кемерово", "Asia/Novokuznetsk"),
    ("новокузнецк", "Asia/Novokuznetsk"),
    ("красноярск", "Asia/Krasnoyarsk"),
    ("иркутск", "Asia/Irkutsk"),
    ("чита", "Asia/Chita"),
    ("якутск", "Asia/Yakutsk"),
    ("хабаровск", "Asia/Vladivostok"),
    ("владивосток", "Asia/Vladivostok"),
    ("южно-сахалинск", "Asia/Sakhalin"),
    ("магадан", "Asia/Magadan"),
    ("петропавловск-камчатский", "Asia/Kamchatka"),
    ("алматы", "Asia/Almaty"),
    ("астана", "Asia/Almaty"),
    ("минск", "Europe/Minsk"),
    ("киев", "Europe/Kyiv"),
    ("ташкент", "Asia/Tashkent"),
];

/// A zone for a client: from a city named in the address (Russian names, or the city part
/// of any IANA name such as "Novosibirsk" or "New York"), else from the first phone's
/// country code. `None` when nothing matches.
pub fn suggest_time_zone<'a>(
    phones: impl IntoIterator<Item = &'a str>,
    address: Option<&str>,
) -> Option<&'static str> {
    if let Some(address) = address.map(str::to_lowercase) {
        let words: Vec<&str> = address
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .filter(|w| !w.is_empty())
            .collect();
        let joined = words.join(" ");
        if let Some((_, zone)) = CITIES.iter().find(|(city, _)| words.contains(city)) {
            return Some(zone);
        }
        let by_name = TIME_ZONES.iter().copied().find(|name| {
            let city = name.rsplit('/').next().unwrap_or_default();
            let city = city.replace('_', " ").to_lowercase();
            name.contains('/')
                && city.len() > 3
                && format!(" {joined} ").contains(&format!(" {city} "))
        });
        if by_name.is_some() {
            return by_name;
        }
    }
    for phone in phones {
        let trimmed = phone.trim();
        // Only an international number says its country.
        if !trimmed.starts_with('+') {
            continue;
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let found = CALLING_CODES
            .iter()
            .filter(|(code, _)| digits.starts_with(code))
            .max_by_key(|(code, _)| code.len());
        if let Some((_, zone)) = found {
            return Some(zone);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suggested_zone_is_a_real_zone() {
        for (_, zone) in CALLING_CODES.iter().chain(CITIES) {
            assert!(parse_time_zone(zone).is_ok(), "{zone}");
        }
    }

    #[test]
    fn the_address_city_beats_the_phone_country() {
        assert_eq!(
            suggest_time_zone(["+7 913 000 00 00"], Some("г. Новосибирск, ул. Ленина, 1")),
            Some("Asia/Novosibirsk")
        );
        assert_eq!(
            suggest_time_zone([], Some("5th Avenue, New York")),
            Some("America/New_York")
        );
        assert_eq!(
            suggest_time_zone(["+7 495 000 00 00"], None),
            Some("Europe/Moscow")
        );
        assert_eq!(
            suggest_time_zone(["+7 701 000 00 00"], None),
            Some("Asia/Almaty")
        );
        assert_eq!(
            suggest_time_zone(["+375 29 000 00 00"], None),
            Some("Europe/Minsk")
        );
        // A national number does not say its country.
        assert_eq!(
            suggest_time_zone(["8 913 000 00 00"], Some("ул. Мира")),
            None
        );
    }

    #[test]
    fn the_local_clock_says_when_not_to_call() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 5, 30, 0).unwrap();
        let moscow = local_clock("Europe/Moscow", now).unwrap();
        assert_eq!((moscow.time.as_str(), moscow.quiet), ("08:30", true));
        let novosibirsk = local_clock("Asia/Novosibirsk", now).unwrap();
        assert_eq!(
            (novosibirsk.time.as_str(), novosibirsk.quiet),
            ("12:30", false)
        );
        let evening = Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0).unwrap();
        assert!(
            local_clock("Europe/Moscow", evening).unwrap().quiet,
            "21:00 is quiet"
        );
        assert!(local_clock("Mars/Olympus", now).is_none());
        assert_eq!(moscow.zone, "+03");
        assert_eq!(local_clock("Asia/Kolkata", now).unwrap().zone, "+05:30");
        assert_eq!(local_clock("America/New_York", now).unwrap().zone, "-05");
        assert_eq!(local_clock("UTC", now).unwrap().zone, "UTC");
    }

    #[test]
    fn the_name_list_is_chrono_tz_list() {
        let theirs: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        assert_eq!(TIME_ZONES, theirs.as_slice());
        assert!(
            TIME_ZONES.is_sorted(),
            "parsing searches the list by halves"
        );
        assert_eq!(
            parse_time_zone(" Europe/Moscow ").unwrap().name(),
            "Europe/Moscow"
        );
    }

    #[test]
    fn offsets_agree_with_chrono_tz_around_the_clock_changes() {
        use chrono::Offset;
        // Hourly over a year that has clock changes in both hemispheres.
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap();
        for name in [
            "Europe/Berlin",
            "America/Sao_Paulo",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
        ] {
            let zone: Zone = name.parse().unwrap();
            let tz: chrono_tz::Tz = name.parse().unwrap();
            for hour in 0..(365 * 24) {
                let at = start + Duration::hours(hour);
                let expected = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
                assert_eq!(
                    zone.offset_at(at),
                    expected.local_minus_utc(),
                    "{name} {at}"
                );
                let local = zone.local(at);
                assert_eq!(local, at.with_timezone(&tz).naive_local());
                let earliest = tz
                    .from_local_datetime(&local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc));
                assert_eq!(zone.from_local(local), earliest, "{name} {local}");
            }
        }
    }

    #[test]
    fn moments_are_shown_and_read_in_the_person_zone() {
        let moscow = parse_time_zone("Europe/Moscow").unwrap();
        let at = "2026-11-24T10:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(format_moment(at, moscow), "2026-11-24 13:30");
        assert_eq!(format_moment(at, Zone::UTC), "2026-11-24 10:30 UTC");
        assert_eq!(local_input(at, moscow), "2026-11-24T13:30");
        assert_eq!(parse_local_input("2026-11-24T13:30", moscow), Some(at));
        assert_eq!(
            parse_local_input("2026-11-24T10:30:00", Zone::UTC),
            Some(at)
        );
        assert_eq!(parse_local_input("24.11.2026 13:30", moscow), None);
    }

    #[test]
    fn clock_changes_have_one_reading() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice.
        assert_eq!(parse_local_input("2026-03-29T02:30", berlin), None);
        assert_eq!(
            parse_local_input("2026-10-25T02:30", berlin),
            Some("2026-10-25T00:30:00Z".parse().unwrap())
        );
    }
}
