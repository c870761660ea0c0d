//! Times as the signed-in person reads and types them: in their own time zone. The server
//! knows it from the session and writes it into the page, so the browser renders the same.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use shared::time_zone::{Zone, format_moment};

/// The zone this page shows and reads times in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisplayZone(pub Zone);

/// The `<meta>` that carries the zone from the server's render to the browser's.
pub const ZONE_META: &str = "konveyer-time-zone";

impl DisplayZone {
    /// The signed-in person's zone; UTC when signed out.
    pub fn of_request() -> DisplayZone {
        #[cfg(feature = "ssr")]
        let name = use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<shared::session::Identity>()
                .map(|identity| identity.user.time_zone.clone())
        });
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        let name = document()
            .query_selector(&format!("meta[name=\"{ZONE_META}\"]"))
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"));
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        let name = None::<String>;
        DisplayZone(name.and_then(|name| name.parse().ok()).unwrap_or(Zone::UTC))
    }
}

/// The zone of this page (UTC outside the app).
pub fn use_zone() -> Zone {
    use_context::<DisplayZone>().map_or(Zone::UTC, |zone| zone.0)
}

/// A moment in the reader's zone: `2026-11-24 13:30` (`… UTC` for readers in UTC).
pub fn moment(at: DateTime<Utc>) -> String {
    format_moment(at, use_zone())
}
