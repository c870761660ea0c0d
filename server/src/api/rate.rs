//! Calls a minute per token: a fixed one-minute window per token in this process, with
//! the `RateLimit` and `RateLimit-Policy` headers (IETF draft) on every answer and
//! `Retry-After` on a 429.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use shared::api_token::ApiTokenId;

/// Windows kept before the stale ones are dropped.
const WINDOWS_KEPT: usize = 10_000;

#[derive(Debug, Default)]
pub struct RateLimits {
    windows: Mutex<HashMap<ApiTokenId, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    minute: i64,
    used: u32,
}

/// The outcome of one call's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window starts over.
    pub reset: u32,
}

impl Verdict {
    /// `RateLimit-Policy` and `RateLimit`, for every answer.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let policy = format!("\"token\";q={};w=60", self.limit);
        let state = format!("\"token\";r={};t={}", self.remaining, self.reset);
        [("ratelimit-policy", policy), ("ratelimit", state)]
            .into_iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_static(name),
                    HeaderValue::from_str(&value).ok()?,
                ))
            })
            .collect()
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.headers() {
            headers.insert(name, value);
        }
    }
}

impl RateLimits {
    /// Counts one call of `token` against `limit` a minute.
    pub fn take(&self, token: ApiTokenId, limit: u32, now: DateTime<Utc>) -> Verdict {
        let minute = now.timestamp().div_euclid(60);
        let reset = u32::try_from(60 - now.timestamp().rem_euclid(60)).unwrap_or(60);
        let mut windows = match self.windows.lock() {
            Ok(windows) => windows,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= WINDOWS_KEPT {
            windows.retain(|_, window| window.minute == minute);
        }
        let window = windows.entry(token).or_insert(Window { minute, used: 0 });
        if window.minute != minute {
            *window = Window { minute, used: 0 };
        }
        let allowed = window.used < limit;
        if allowed {
            window.used += 1;
        }
        Verdict {
            allowed,
            limit,
            remaining: limit - window.used,
            reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_its_limit_a_minute_and_others_are_counted_apart() {
        let limits = RateLimits::default();
        let at = DateTime::from_timestamp(1_800_000_010, 0).unwrap();
        let (a, b) = (ApiTokenId(1), ApiTokenId(2));
        for left in (0..3).rev() {
            let verdict = limits.take(a, 3, at);
            assert!(verdict.allowed);
            assert_eq!(verdict.remaining, left);
        }
        let refused = limits.take(a, 3, at);
        assert!(!refused.allowed);
        assert_eq!(refused.reset, 50);
        assert!(limits.take(b, 3, at).allowed);
        let next_minute = at + chrono::Duration::seconds(50);
        assert!(limits.take(a, 3, next_minute).allowed);
    }
}
