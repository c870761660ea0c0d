//! Arithmetic of the dashboards that needs no database.
//!
//! Percentiles interpolate linearly between the two nearest order statistics, as
//! PostgreSQL's `percentile_cont` does: for `n` sorted values the p-th percentile sits at
//! the 0-based position `p * (n - 1)`. The database finds the values at the two ranks
//! around that position (`percentile_ranks`, the same integer arithmetic in SQL), so only
//! a handful of rows per stage leave it.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use super::{DurationStats, Granularity};

/// The 0-based ranks around `percent`% of `n` sorted values: `floor` and `ceil` of
/// `percent * (n - 1) / 100`. `None` for no values.
pub fn percentile_ranks(n: u64, percent: u64) -> Option<(u64, u64)> {
    let scaled = percent.checked_mul(n.checked_sub(1)?)?;
    Some((scaled / 100, scaled.div_ceil(100)))
}

/// The `percent`-th percentile of sorted values, interpolated; rounded to whole units.
pub fn percentile(sorted: &[i64], percent: u64) -> Option<i64> {
    let (low, high) = percentile_ranks(sorted.len() as u64, percent)?;
    let at = |rank: u64| sorted.get(usize::try_from(rank).ok()?).copied();
    Some(interpolate(
        sorted.len() as u64,
        percent,
        at(low)?,
        at(high)?,
    ))
}

fn interpolate(n: u64, percent: u64, low: i64, high: i64) -> i64 {
    // Position p*(n-1) = whole + fraction; fraction = (percent*(n-1) % 100) / 100.
    let fraction = i128::from(percent * (n - 1) % 100);
    let step = i128::from(high) - i128::from(low);
    // Round half away from zero, in integers.
    let offset = (step * fraction * 2 + 100 * step.signum()) / 200;
    i64::try_from(i128::from(low) + offset).unwrap_or(i64::MAX)
}

/// `part / whole`, `None` when nothing was there to convert.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The first day of the span `day` falls in: itself, its week's Monday, its month's 1st.
pub fn bucket_start(day: NaiveDate, granularity: Granularity) -> NaiveDate {
    match granularity {
        Granularity::Day => day,
        Granularity::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Granularity::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The starts of every span that touches `from..=to`, in order (the first may begin
/// before `from`: a week or month is named by its first day).
pub fn buckets(from: NaiveDate, to: NaiveDate, granularity: Granularity) -> Vec<NaiveDate> {
    let mut starts = Vec::new();
    let mut day = from;
    while day <= to {
        let start = bucket_start(day, granularity);
        if starts.last() != Some(&start) {
            starts.push(start);
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    starts
}

/// Days from 1970-01-01, the key the database groups dates by.
pub fn epoch_day(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce()) - i64::from(EPOCH_DAYS_FROM_CE)
}

/// The date `epoch_day` names.
pub fn from_epoch_day(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + i64::from(EPOCH_DAYS_FROM_CE)).ok()?)
}

/// `NaiveDate::from_ymd(1970, 1, 1).num_days_from_ce()`.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Assembles one group's statistics from what the database returns: the number of visits,
/// their total and the values found at the percentile ranks (rank -> seconds).
#[derive(Debug, Default, Clone)]
pub struct DurationSummary {
    pub visits: u64,
    pub total_seconds: i64,
    pub ranked: BTreeMap<u64, i64>,
}

/// The percentiles the dashboards show.
pub const MEDIAN: u64 = 50;
pub const P90: u64 = 90;

impl DurationSummary {
    pub fn stats(&self) -> DurationStats {
        let pick = |percent| {
            let (low, high) = percentile_ranks(self.visits, percent)?;
            Some(interpolate(
                self.visits,
                percent,
                *self.ranked.get(&low)?,
                *self.ranked.get(&high)?,
            ))
        };
        DurationStats {
            visits: self.visits,
            mean: match i64::try_from(self.visits) {
                Ok(visits) if visits > 0 => (self.total_seconds + visits / 2) / visits,
                _ => 0,
            },
            median: pick(MEDIAN).unwrap_or_default(),
            p90: pick(P90).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_percentile_cont() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 90), Some(7));
        // Even count: the median is halfway between the middle two.
        assert_eq!(percentile(&[10, 20, 30, 40], 50), Some(25));
        // p90 of 1..=10 (x10): position 8.1 -> 90 + 0.1 * 10 = 91.
        let tens: Vec<i64> = (1..=10).map(|n| n * 10).collect();
        assert_eq!(percentile(&tens, 90), Some(91));
        assert_eq!(percentile(&tens, 50), Some(55));
        // Halves round away from zero: between 1 and 2 the median is 1.5 -> 2.
        assert_eq!(percentile(&[1, 2], 50), Some(2));
    }

    #[test]
    fn ranks_are_the_floor_and_ceiling_of_the_position() {
        assert_eq!(percentile_ranks(0, 50), None);
        assert_eq!(percentile_ranks(1, 90), Some((0, 0)));
        assert_eq!(percentile_ranks(4, 50), Some((1, 2)));
        assert_eq!(percentile_ranks(5, 50), Some((2, 2)));
        assert_eq!(percentile_ranks(10, 90), Some((8, 9)));
        assert_eq!(percentile_ranks(11, 90), Some((9, 9)));
    }

    #[test]
    fn a_summary_from_order_statistics_matches_the_full_list() {
        let values: Vec<i64> = vec![3, 3, 8, 15, 40, 41, 100, 250, 600, 3600, 7200];
        let mut summary = DurationSummary {
            visits: values.len() as u64,
            total_seconds: values.iter().sum(),
            ranked: BTreeMap::new(),
        };
        for percent in [MEDIAN, P90] {
            let (low, high) = percentile_ranks(summary.visits, percent).unwrap();
            summary.ranked.insert(low, values[low as usize]);
            summary.ranked.insert(high, values[high as usize]);
        }
        let stats = summary.stats();
        assert_eq!(stats.visits, 11);
        assert_eq!(stats.median, percentile(&values, 50).unwrap());
        assert_eq!(stats.p90, percentile(&values, 90).unwrap());
        assert_eq!(stats.mean, (11_860 + 5) / 11);
        assert_eq!(DurationSummary::default().stats(), DurationStats::default());
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn spans_start_on_the_day_the_monday_and_the_first() {
        // 2026-11-25 is a Wednesday.
        assert_eq!(
            bucket_start(day("2026-11-25"), Granularity::Day),
            day("2026-11-25")
        );
        assert_eq!(
            bucket_start(day("2026-11-25"), Granularity::Week),
            day("2026-11-23")
        );
        assert_eq!(
            bucket_start(day("2026-11-23"), Granularity::Week),
            day("2026-11-23")
        );
        assert_eq!(
            bucket_start(day("2026-11-29"), Granularity::Week),
            day("2026-11-23")
        );
        assert_eq!(
            bucket_start(day("2026-11-25"), Granularity::Month),
            day("2026-11-01")
        );
    }

    #[test]
    fn every_span_touching_the_period_is_listed_once() {
        assert_eq!(
            buckets(day("2026-11-28"), day("2026-12-01"), Granularity::Day),
            vec![
                day("2026-11-28"),
                day("2026-11-29"),
                day("2026-11-30"),
                day("2026-12-01")
            ]
        );
        // Sat 28 Nov to Tue 8 Dec: three weeks, the first begun before the period.
        assert_eq!(
            buckets(day("2026-11-28"), day("2026-12-08"), Granularity::Week),
            vec![day("2026-11-23"), day("2026-11-30"), day("2026-12-07")]
        );
        assert_eq!(
            buckets(day("2026-10-31"), day("2026-12-01"), Granularity::Month),
            vec![day("2026-10-01"), day("2026-11-01"), day("2026-12-01")]
        );
        assert!(buckets(day("2026-12-01"), day("2026-11-30"), Granularity::Day).is_empty());
    }

    #[test]
    fn epoch_days_round_trip() {
        assert_eq!(epoch_day(day("1970-01-01")), 0);
        assert_eq!(epoch_day(day("1970-01-02")), 1);
        assert_eq!(
            from_epoch_day(epoch_day(day("2026-11-24"))),
            Some(day("2026-11-24"))
        );
    }

    #[test]
    fn rates_need_a_base() {
        assert_eq!(rate(1, 0), None);
        assert_eq!(rate(1, 4), Some(0.25));
    }
}
