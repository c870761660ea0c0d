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
use crate::error::{AppError, Field, Rule};

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

/// How many spans of `granularity` touch `from..=to`, by arithmetic (no list is built).
pub fn bucket_count(from: NaiveDate, to: NaiveDate, granularity: Granularity) -> u64 {
    if to < from {
        return 0;
    }
    let spans = match granularity {
        Granularity::Day => epoch_day(to) - epoch_day(from) + 1,
        Granularity::Week => {
            (epoch_day(bucket_start(to, granularity)) - epoch_day(bucket_start(from, granularity)))
                / 7
                + 1
        }
        Granularity::Month => {
            let months = |day: NaiveDate| i64::from(day.year()) * 12 + i64::from(day.month0());
            months(to) - months(from) + 1
        }
    };
    u64::try_from(spans).unwrap_or(0)
}

/// Checks a period before anything is read for it: not reversed, at most
/// `PERIOD_DAYS_MAX` days, at most `BUCKETS_MAX` points at `granularity`.
pub fn check_period(
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> Result<(), AppError> {
    use crate::limits::{BUCKETS_MAX, PERIOD_DAYS_MAX};
    if to < from {
        return Err(AppError::validation(Field::Period, Rule::PeriodReversed));
    }
    if bucket_count(from, to, Granularity::Day) > PERIOD_DAYS_MAX {
        return Err(AppError::validation(
            Field::Period,
            Rule::PeriodTooLong {
                max_days: PERIOD_DAYS_MAX,
            },
        ));
    }
    if bucket_count(from, to, granularity) > BUCKETS_MAX {
        return Err(AppError::validation(
            Field::Period,
            Rule::TooMany {
                max: BUCKETS_MAX as usize,
            },
        ));
    }
    Ok(())
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

/// The lower bound of the duration bin `seconds` falls in: exact below 64 s, then 32 bins
/// per doubling (each under 3.2% wide). The ledger rollup's trigger computes the same in
/// SQL (migration `m20261124_000006_analytics_rollups`).
pub fn duration_bin(seconds: i64) -> i64 {
    if seconds < 64 {
        return seconds;
    }
    let exponent = 63 - i64::from(seconds.leading_zeros());
    let width = 1_i64 << (exponent - 5);
    seconds / width * width
}

/// One duration bin of a group: how many visits fell in it and their exact total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    pub lower: i64,
    pub visits: u64,
    pub seconds: i64,
}

impl DurationSummary {
    /// The summary of a group from its duration bins: visits and total exact; the value at
    /// a rank is the mean of the bin holding it, so within that bin's width, and exact
    /// where the bin holds one distinct duration.
    pub fn from_bins(bins: &mut [Bin]) -> DurationSummary {
        bins.sort_by_key(|b| b.lower);
        let mut summary = DurationSummary {
            visits: bins.iter().map(|b| b.visits).sum(),
            total_seconds: bins.iter().map(|b| b.seconds).sum(),
            ranked: BTreeMap::new(),
        };
        let mut wanted: Vec<u64> = [MEDIAN, P90]
            .into_iter()
            .filter_map(|p| percentile_ranks(summary.visits, p))
            .flat_map(|(low, high)| [low, high])
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut before = 0_u64;
        let mut wanted = wanted.into_iter().peekable();
        for bin in bins.iter().filter(|b| b.visits > 0) {
            while let Some(rank) = wanted.next_if(|rank| *rank < before + bin.visits) {
                let visits = i64::try_from(bin.visits).unwrap_or(i64::MAX);
                summary
                    .ranked
                    .insert(rank, (bin.seconds + visits / 2) / visits);
            }
            before += bin.visits;
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_exact_below_a_minute_and_narrow_above() {
        assert_eq!(duration_bin(0), 0);
        assert_eq!(duration_bin(63), 63);
        assert_eq!(duration_bin(64), 64);
        assert_eq!(duration_bin(65), 64);
        assert_eq!(duration_bin(66), 66);
        assert_eq!(duration_bin(3_600), 3_584);
        assert_eq!(duration_bin(3_647), 3_584);
        assert_eq!(duration_bin(3_648), 3_648);
        for seconds in [64, 100, 3_599, 86_400, 1_000_000, i64::from(i32::MAX)] {
            let lower = duration_bin(seconds);
            assert!(lower <= seconds);
            // The next bin starts within 1/32 of this one's start.
            assert!((seconds - lower) * 32 < lower, "{seconds} -> {lower}");
        }
    }

    #[test]
    fn percentiles_from_bins_are_exact_for_one_value_per_bin_and_close_otherwise() {
        let binned = |values: &[i64]| {
            let mut bins: BTreeMap<i64, Bin> = BTreeMap::new();
            for v in values {
                let lower = duration_bin(*v);
                let bin = bins.entry(lower).or_insert(Bin {
                    lower,
                    visits: 0,
                    seconds: 0,
                });
                bin.visits += 1;
                bin.seconds += v;
            }
            DurationSummary::from_bins(&mut bins.into_values().collect::<Vec<_>>()).stats()
        };
        // Equal durations share a bin and stay exact; so does a duration alone in its bin.
        let values = [60, 600, 600, 3_600, 7_200, 7_300, 86_400];
        let stats = binned(&values);
        assert_eq!(stats.visits, 7);
        assert_eq!(stats.mean, (values.iter().sum::<i64>() + 3) / 7);
        assert_eq!(stats.median, percentile(&values, 50).unwrap());
        assert_eq!(stats.p90, percentile(&values, 90).unwrap());
        // 7,200 and 7,250 share a bin (7,168..7,296): their ranks read its mean, 7,225,
        // within the bin's width of the exact 7,200 and 7,250.
        let close = [7_200, 7_250];
        assert_eq!(duration_bin(7_200), duration_bin(7_250));
        let stats = binned(&close);
        assert_eq!((stats.median, stats.p90), (7_225, 7_225));
        assert_eq!(percentile(&close, 50), Some(7_225));
        assert_eq!(percentile(&close, 90), Some(7_245));
        assert_eq!(
            DurationSummary::from_bins(&mut []).stats(),
            DurationStats::default()
        );
    }

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
    fn bucket_counts_match_the_listed_spans() {
        let (from, to) = (day("2024-12-30"), day("2026-03-02"));
        for granularity in Granularity::ALL {
            assert_eq!(
                bucket_count(from, to, granularity),
                buckets(from, to, granularity).len() as u64,
                "{granularity:?}"
            );
        }
        assert_eq!(bucket_count(to, from, Granularity::Day), 0);
    }

    #[test]
    fn periods_past_five_years_are_refused_before_any_work() {
        let from = day("2021-01-01");
        let five_years = from + Days::new(crate::limits::PERIOD_DAYS_MAX - 1);
        assert!(check_period(from, five_years, Granularity::Day).is_ok());
        assert!(matches!(
            check_period(from, five_years + Days::new(1), Granularity::Month),
            Err(AppError::Validation {
                field: Field::Period,
                rule: Rule::PeriodTooLong { .. }
            })
        ));
        assert!(check_period(NaiveDate::MIN, NaiveDate::MAX, Granularity::Day).is_err());
        assert!(check_period(to_day(10), to_day(9), Granularity::Day).is_err());
    }

    fn to_day(n: u64) -> NaiveDate {
        day("2026-01-01") + Days::new(n)
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
