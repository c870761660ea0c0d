//! The sign-in throttle, as a pure function of recent failures.

use chrono::{DateTime, Duration, Utc};

use crate::error::AppError;

/// Failures allowed per account and per address within the window.
pub const FAILURE_LIMIT: usize = 10;
pub const FAILURE_WINDOW_SECS: i64 = 60;

/// Refuses an attempt when `failures` (times within the window, any order) reach the limit.
pub fn throttle(failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Result<(), AppError> {
    let window_start = now - Duration::seconds(FAILURE_WINDOW_SECS);
    let mut recent: Vec<_> = failures.iter().filter(|at| **at > window_start).collect();
    if recent.len() < FAILURE_LIMIT {
        return Ok(());
    }
    recent.sort();
    // The attempt is allowed again once enough of the oldest failures leave the window.
    let unlocking = recent[recent.len() - FAILURE_LIMIT];
    let wait = (*unlocking - window_start).num_seconds().max(1);
    Err(AppError::RateLimited {
        retry_after_secs: u64::try_from(wait).unwrap_or(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn nine_failures_still_allow_a_try() {
        let failures: Vec<_> = (0..9).map(at).collect();
        assert!(throttle(&failures, at(10)).is_ok());
    }

    #[test]
    fn ten_failures_in_a_minute_lock_until_the_oldest_ages_out() {
        let failures: Vec<_> = (0..10).map(at).collect();
        assert_eq!(
            throttle(&failures, at(30)),
            Err(AppError::RateLimited {
                retry_after_secs: 30
            })
        );
        assert!(throttle(&failures, at(61)).is_ok());
    }

    #[test]
    fn old_failures_do_not_count() {
        let failures: Vec<_> = (0..10).map(|i| at(i - 120)).collect();
        assert!(throttle(&failures, at(0)).is_ok());
    }
}
