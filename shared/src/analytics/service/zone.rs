//! Whose days the dashboards count. The rollups and the facts key each move by its day in
//! the organisation's time zone (`analytics_zone`; its clock changes in
//! `analytics_zone_offsets`, which the rollups' trigger reads). A person whose clock agrees
//! with the organisation's over a period reads the stored rollups; anyone else gets copies
//! summed from the facts' instants in their own days (`rollup::scope_rollups`).

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement, TransactionSession,
    TransactionTrait,
};

use super::rollup::Rollup;
use crate::access::Actor;
use crate::error::AppError;
use crate::time_zone::{Zone, parse_time_zone};

const DAY_SECONDS: i64 = 86_400;

/// A zone's offsets from UTC over a span of time: from each `since` (seconds since
/// 1970-01-01 UTC) the clock is `offset` seconds ahead, until the next entry. The first
/// entry holds from the start of the span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Offsets(Vec<(i64, i32)>);

impl Offsets {
    /// The offsets of `zone` from `from` up to `to` (epoch seconds).
    pub(super) fn of(zone: Zone, from: i64, to: i64) -> Offsets {
        let offset =
            |at: i64| DateTime::from_timestamp(at, 0).map_or(0, |instant| zone.offset_at(instant));
        let mut changes = vec![(from, offset(from))];
        // Clocks change at most a few times a year and never twice within six hours: probe
        // every six hours, then find the second of each change by halving.
        const STEP: i64 = 6 * 3600;
        let mut at = from;
        while at < to {
            let next = (at + STEP).min(to);
            let after = offset(next);
            if after != changes.last().map_or(0, |c| c.1) {
                let (mut before, mut changed) = (at, next);
                while changed - before > 1 {
                    let middle = before + (changed - before) / 2;
                    if offset(middle) == after {
                        changed = middle;
                    } else {
                        before = middle;
                    }
                }
                changes.push((changed, after));
            }
            at = next;
        }
        Offsets(changes)
    }

    /// The day (days since 1970-01-01) the clock shows at the instant `epoch` (seconds
    /// since 1970-01-01 UTC): what `local_day_sql` computes, in Rust.
    pub(super) fn local_day(&self, epoch: i64) -> i64 {
        let offset = match self.0.as_slice() {
            [] => 0,
            [(_, first), rest @ ..] => rest
                .iter()
                .take_while(|(since, _)| epoch >= *since)
                .last()
                .map_or(*first, |(_, offset)| *offset),
        };
        (epoch + i64::from(offset)) / DAY_SECONDS
    }

    /// The day (days since 1970-01-01) the clock shows at the instant `epoch` (an SQL
    /// expression in epoch seconds), as SQL with the offsets written in.
    pub(super) fn local_day_sql(&self, epoch: &str) -> String {
        let day = |offset: i32| format!("(({epoch}) + {offset}) / {DAY_SECONDS}");
        match self.0.as_slice() {
            [] => day(0),
            [(_, offset)] => day(*offset),
            [(_, first), rest @ ..] => {
                let mut sql = "CASE".to_owned();
                let mut current = *first;
                for (since, offset) in rest {
                    sql.push_str(&format!(" WHEN ({epoch}) < {since} THEN {}", day(current)));
                    current = *offset;
                }
                sql.push_str(&format!(" ELSE {} END", day(current)));
                sql
            }
        }
    }
}

/// A period of whole days as a person in `zone` reads them.
#[derive(Clone, Debug)]
pub(super) struct LocalDays {
    pub(super) zone: Zone,
    /// The first instant of the first day and the first of the day after the last.
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    /// The zone's offsets over `span` (the period with a day to spare on each side).
    pub(super) offsets: Offsets,
    span: (i64, i64),
}

impl LocalDays {
    pub(super) fn new(zone: Zone, first: NaiveDate, last: NaiveDate) -> LocalDays {
        let start = day_start(zone, first);
        let end = day_start(zone, last.checked_add_days(Days::new(1)).unwrap_or(last));
        let span = (
            start.timestamp() - DAY_SECONDS,
            end.timestamp() + DAY_SECONDS,
        );
        LocalDays {
            zone,
            start,
            end,
            offsets: Offsets::of(zone, span.0, span.1),
            span,
        }
    }

    /// Whether `zone`'s clock shows the same days as this one's over the period, so that
    /// days counted in `zone` are these days.
    pub(super) fn agree_with(&self, zone: Zone) -> bool {
        zone == self.zone || Offsets::of(zone, self.span.0, self.span.1) == self.offsets
    }
}

/// The first instant of `day` in `zone`: its midnight, or the first moment after a
/// midnight the clocks skip.
pub(super) fn day_start(zone: Zone, day: NaiveDate) -> DateTime<Utc> {
    zone.day_start(day)
}

/// Seconds since 1970-01-01 UTC of a timestamp column, in the backend's dialect.
pub(super) fn epoch_sql(backend: DbBackend, at: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {at})) AS BIGINT)"),
        _ => format!("CAST(strftime('%s', {at}) AS INTEGER)"),
    }
}

#[derive(FromQueryResult)]
struct ZoneName {
    name: String,
}

/// The organisation's time zone: the one the stored rollups count days in.
pub async fn organisation_zone(db: &impl ConnectionTrait) -> Result<Zone, AppError> {
    let row = ZoneName::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT name FROM analytics_zone WHERE id = 1",
    ))
    .one(db)
    .await?;
    Ok(row
        .and_then(|r| parse_time_zone(&r.name).ok())
        .unwrap_or(Zone::UTC))
}

/// The zone a person reads the dashboards in: their own; the organisation's for the
/// system and for rules.
pub(super) async fn zone_of(db: &impl ConnectionTrait, actor: &Actor) -> Result<Zone, AppError> {
    let Some(user_id) = actor.user_id() else {
        return organisation_zone(db).await;
    };
    let user = crate::user::entity::users::Entity::find_by_id(user_id.0)
        .one(db)
        .await?;
    Ok(user
        .and_then(|u| parse_time_zone(&u.time_zone).ok())
        .unwrap_or(Zone::UTC))
}

/// The span the stored offsets cover: clocks before 1970 never stamped a move, and the
/// tz database's rules are projected to 2100.
const OFFSETS_FROM: i64 = 0;
const OFFSETS_TO: i64 = 4_102_444_800; // 2100-01-01

/// Makes `name` the organisation's time zone (administrators only): stores its offsets,
/// rewrites the days of every facts row and sums the rollups again from them, in one
/// transaction. Returns the zone's name; nothing changes when it already is the zone.
pub async fn set_organisation_zone(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    actor.require_admin()?;
    let zone = parse_time_zone(name)?;
    let txn = db.begin().await?;
    let before = organisation_zone(&txn).await?;
    if before == zone {
        return Ok(zone.name().to_owned());
    }
    let backend = txn.get_database_backend();
    let run = |sql: String| Statement::from_string(backend, sql);
    txn.execute_raw(run("DELETE FROM analytics_zone_offsets".to_owned()))
        .await?;
    let Offsets(offsets) = Offsets::of(zone, OFFSETS_FROM, OFFSETS_TO);
    for chunk in offsets.chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|(since, offset)| format!("({since}, {offset})"))
            .collect();
        txn.execute_raw(run(format!(
            "INSERT INTO analytics_zone_offsets (since, offset_seconds) VALUES {}",
            rows.join(", ")
        )))
        .await?;
    }
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "UPDATE analytics_zone SET name = $1 WHERE id = 1",
            _ => "UPDATE analytics_zone SET name = ? WHERE id = 1",
        },
        [zone.name().into()],
    ))
    .await?;
    // The same day as the rollups' trigger computes (migration 18's `local_day_sql`).
    let local_day = |epoch: &str| {
        format!(
            "(({epoch}) + COALESCE((SELECT o.offset_seconds FROM analytics_zone_offsets o \
             WHERE o.since <= ({epoch}) ORDER BY o.since DESC LIMIT 1), 0)) / {DAY_SECONDS}"
        )
    };
    txn.execute_raw(run(format!(
        "UPDATE transition_facts SET day = {}, created_day = {}, \
         prev_entry_day = CASE WHEN prev_entry_at IS NULL THEN -1 ELSE {} END",
        local_day("at"),
        local_day("created_at"),
        local_day("prev_entry_at")
    )))
    .await?;
    for rollup in Rollup::ALL {
        for sql in rollup.sum_all_facts() {
            txn.execute_raw(run(sql)).await?;
        }
    }
    crate::audit::service::record(
        &txn,
        actor,
        crate::audit::AuditAction::SettingsChanged,
        Some("organisation_time_zone".to_owned()),
        &format!("{} -> {}", before.name(), zone.name()),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(zone.name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp()
    }

    #[test]
    fn the_offsets_of_a_zone_change_at_the_second_its_clocks_do() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let Offsets(changes) = Offsets::of(
            berlin,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            changes,
            vec![
                (at("2026-01-01T00:00:00Z"), 3600),
                (at("2026-03-29T01:00:00Z"), 7200),
                (at("2026-10-25T01:00:00Z"), 3600),
            ]
        );
        let moscow = parse_time_zone("Europe/Moscow").unwrap();
        assert_eq!(
            Offsets::of(moscow, 0, at("2026-01-01T00:00:00Z")).0.last(),
            Some(&(at("2014-10-25T22:00:00Z"), 10_800))
        );
    }

    #[test]
    fn a_day_starts_at_the_zones_midnight() {
        let vladivostok = parse_time_zone("Asia/Vladivostok").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            day_start(vladivostok, day).timestamp(),
            at("2026-11-29T14:00:00Z")
        );
        // Havana's clocks skip midnight in spring: the day starts at 01:00.
        let havana = parse_time_zone("America/Havana").unwrap();
        let spring = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(
            day_start(havana, spring).timestamp(),
            at("2026-03-08T05:00:00Z")
        );
    }

    #[test]
    fn the_local_day_sql_switches_offset_at_each_change() {
        let offsets = Offsets(vec![(0, 3600), (1000, 7200)]);
        assert_eq!(
            offsets.local_day_sql("r.at"),
            "CASE WHEN (r.at) < 1000 THEN ((r.at) + 3600) / 86400 \
             ELSE ((r.at) + 7200) / 86400 END"
        );
        assert_eq!(
            Offsets(vec![(0, -18000)]).local_day_sql("x"),
            "((x) + -18000) / 86400"
        );
        // The same in Rust: the offset in force at the instant.
        assert_eq!(offsets.local_day(86_400 - 7200 - 1), 0);
        assert_eq!(offsets.local_day(999), 0);
        assert_eq!(offsets.local_day(-3600), 0);
        assert_eq!(offsets.local_day(86_400 - 7200), 1);
        assert_eq!(Offsets(Vec::new()).local_day(86_399), 0);
    }
}
