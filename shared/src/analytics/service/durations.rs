//! Time in stage: visit durations per stage, department, person or span.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::rollup::Rollup;
use super::scope::Scope;
use super::sql::Sql;
use crate::analytics::Granularity;
use crate::analytics::rules::{
    Bin, DurationSummary, MEDIAN, P90, bucket_start, epoch_day, from_epoch_day, percentile_ranks,
};
use crate::error::AppError;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Grouping {
    Stage,
    Department,
    /// Who moved the deal out of the stage.
    Actor,
    /// The span the visit ended in.
    Bucket(Granularity),
}

/// Visit durations per stage or per department: closed visits (a move out of the stage in
/// the period, with the time spent there) and, on request, the visits still open now.
/// Exact up to `Scope::exact_visits` visits; from the rollup's duration bins above.
pub(super) async fn durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    let binned = binned_durations(db, scope, grouping).await?;
    if binned.values().map(|s| s.visits).sum::<u64>() > scope.exact_visits {
        return Ok(binned);
    }
    exact_durations(db, scope, grouping).await
}

/// The SQL key of the group a closed visit falls in, over the ledger (`t`) or the bins (`r`).
pub(super) fn closed_visit_key(scope: &Scope<'_>, grouping: Grouping, rolled: bool) -> String {
    match (grouping, rolled) {
        (Grouping::Stage, false) => "CAST(t.from_stage_id AS BIGINT)".to_owned(),
        (Grouping::Department, false) => "CAST(t.from_department_id AS BIGINT)".to_owned(),
        (Grouping::Actor, false) => "CAST(t.actor_user_id AS BIGINT)".to_owned(),
        (Grouping::Bucket(granularity), false) => scope.bucket_key("t.at", granularity),
        (Grouping::Stage, true) => "CAST(r.from_stage_id AS BIGINT)".to_owned(),
        (Grouping::Department, true) => {
            "CAST(NULLIF(r.from_department_id, 0) AS BIGINT)".to_owned()
        }
        (Grouping::Actor, true) => "CAST(NULLIF(r.actor_user_id, 0) AS BIGINT)".to_owned(),
        // Days; `binned_durations` folds them into spans.
        (Grouping::Bucket(_), true) => "r.day".to_owned(),
    }
}

/// The department key of a deal in an open stage now (`d.stage_id`), or the stage itself.
pub(super) fn open_visit_key(scope: &Scope<'_>, grouping: Grouping, sql: &mut Sql) {
    match grouping {
        Grouping::Stage | Grouping::Actor | Grouping::Bucket(_) => {
            sql.push("CAST(d.stage_id AS BIGINT)");
        }
        Grouping::Department => {
            sql.push("CASE");
            for stage in scope
                .open_stages()
                .iter()
                .filter(|s| s.department_id.is_some())
            {
                sql.push(" WHEN d.stage_id = ")
                    .bind(stage.id.0)
                    .push(" THEN ")
                    .bind(i64::from(
                        stage.department_id.map(|d| d.0).unwrap_or_default(),
                    ));
            }
            sql.push(" ELSE CAST(NULL AS BIGINT) END");
        }
    }
}

/// `FROM deals d WHERE` the deals in the open stages the filter lets through now.
pub(super) fn open_deals(scope: &Scope<'_>, sql: &mut Sql) {
    let ids: Vec<i32> = scope.open_stages().iter().map(|s| s.id.0).collect();
    sql.push(" FROM deals d WHERE d.pipeline_id = ")
        .bind(scope.pipeline.id.0)
        .push(" AND ");
    sql.in_list("d.stage_id", &ids);
    scope.deal_conditions(sql);
}

/// Whether open visits count in this grouping: they have a stage and a department but no
/// end and no one who closed them.
pub(super) fn with_open(scope: &Scope<'_>, grouping: Grouping) -> bool {
    scope.filter.include_open && matches!(grouping, Grouping::Stage | Grouping::Department)
}

/// `duration_bin` in SQL: exact below 64 s, then 32 bins per doubling.
pub(super) fn bin_sql(seconds: &str) -> String {
    let mut sql = format!("CASE WHEN {seconds} < 64 THEN {seconds}");
    for exponent in 6..62 {
        let width = 1_i64 << (exponent - 5);
        let upper = 1_i64 << (exponent + 1);
        sql.push_str(&format!(
            " WHEN {seconds} < {upper} THEN ({seconds} / {width}) * {width}"
        ));
    }
    sql.push_str(&format!(" ELSE {seconds} END"));
    sql
}

/// Durations from the rollup's bins (closed visits) and, on request, the open visits
/// binned the same way; percentiles within a bin's width, counts and means exact.
pub(super) async fn binned_durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    let mut sql = scope.sql();
    let open = with_open(scope, grouping);
    if open {
        // Materialised so that the bin's CASE reads each visit's seconds rather than
        // computing them again at every branch.
        sql.push("WITH open_visits AS MATERIALIZED (SELECT ");
        open_visit_key(scope, grouping, &mut sql);
        sql.push(" AS grp, ");
        scope.open_visit_seconds(&mut sql);
        sql.push(" AS s");
        open_deals(scope, &mut sql);
        sql.push(") ");
    }
    let key = closed_visit_key(scope, grouping, true);
    sql.push(&format!(
        "SELECT {key} AS grp, r.bin AS lower, CAST(SUM(r.visits) AS BIGINT) AS visits, \
         CAST(SUM(r.seconds) AS BIGINT) AS seconds"
    ));
    scope.rollup(&mut sql, Rollup::VisitBins);
    scope.rollup_department(&mut sql, "from");
    sql.push(&format!(" GROUP BY {key}, r.bin"));
    if open {
        let bin = bin_sql("s");
        sql.push(&format!(
            " UNION ALL SELECT grp, {bin} AS lower, COUNT(*) AS visits, \
             CAST(SUM(s) AS BIGINT) AS seconds FROM open_visits GROUP BY grp, {bin}"
        ));
    }
    #[derive(FromQueryResult)]
    struct Row {
        grp: Option<i64>,
        lower: i64,
        visits: i64,
        seconds: i64,
    }
    let span = |day: i64| match grouping {
        Grouping::Bucket(granularity) => from_epoch_day(day)
            .map(|day| epoch_day(bucket_start(day, granularity)))
            .unwrap_or(day),
        _ => day,
    };
    let mut groups: BTreeMap<Option<i64>, BTreeMap<i64, Bin>> = BTreeMap::new();
    for row in Row::find_by_statement(sql.statement()).all(db).await? {
        let bin = groups
            .entry(row.grp.map(span))
            .or_default()
            .entry(row.lower)
            .or_insert(Bin {
                lower: row.lower,
                visits: 0,
                seconds: 0,
            });
        bin.visits += u64::try_from(row.visits).unwrap_or_default();
        bin.seconds += row.seconds;
    }
    Ok(groups
        .into_iter()
        .map(|(key, bins)| {
            let mut bins: Vec<Bin> = bins.into_values().collect();
            (key, DurationSummary::from_bins(&mut bins))
        })
        .collect())
}

/// Durations sorted in the database: the rows at the percentiles' ranks per group.
pub(super) async fn exact_durations(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    grouping: Grouping,
) -> Result<BTreeMap<Option<i64>, DurationSummary>, AppError> {
    let mut sql = scope.sql();
    sql.push(
        "SELECT grp, s, rn, n, total FROM (SELECT grp, s, \
         ROW_NUMBER() OVER (PARTITION BY grp ORDER BY s) AS rn, \
         COUNT(*) OVER (PARTITION BY grp) AS n, \
         CAST(SUM(s) OVER (PARTITION BY grp) AS BIGINT) AS total FROM (",
    );
    if scope.scoped {
        // The facts of the deals let through, read deal by deal.
        let closed_key = match grouping {
            Grouping::Bucket(granularity) => {
                scope.day_bucket_key(&scope.facts_day("day"), granularity)
            }
            _ => closed_visit_key(scope, grouping, true),
        };
        sql.push(&format!(
            "SELECT {closed_key} AS grp, CAST(r.seconds AS BIGINT) AS s"
        ));
        scope.facts_of_deals(&mut sql, Rollup::VisitBins, true);
        scope.rollup_department(&mut sql, "from");
    } else {
        let closed_key = closed_visit_key(scope, grouping, false);
        sql.push(&format!(
            "SELECT {closed_key} AS grp, CAST(t.seconds_in_from AS BIGINT) AS s"
        ));
        scope.ledger(&mut sql);
        scope.department(&mut sql, "from");
        sql.push(" AND t.from_stage_id IS NOT NULL AND t.seconds_in_from IS NOT NULL");
    }
    if with_open(scope, grouping) {
        // Deals in an open stage now; their visit counts up to now.
        sql.push(" UNION ALL SELECT ");
        open_visit_key(scope, grouping, &mut sql);
        sql.push(" AS grp, ");
        scope.open_visit_seconds(&mut sql);
        sql.push(" AS s");
        open_deals(scope, &mut sql);
    }
    // Only the rows at the median's and the p90's ranks leave the database.
    sql.push(&format!(
        ") visits) ranked WHERE rn IN ({}, {}, {}, {})",
        rank_sql(MEDIAN, false),
        rank_sql(MEDIAN, true),
        rank_sql(P90, false),
        rank_sql(P90, true)
    ));
    #[derive(FromQueryResult)]
    struct Ranked {
        grp: Option<i64>,
        s: i64,
        rn: i64,
        n: i64,
        total: i64,
    }
    let mut summaries: BTreeMap<Option<i64>, DurationSummary> = BTreeMap::new();
    for row in Ranked::find_by_statement(sql.statement()).all(db).await? {
        let summary = summaries.entry(row.grp).or_default();
        summary.visits = u64::try_from(row.n).unwrap_or_default();
        summary.total_seconds = row.total;
        summary
            .ranked
            .insert(u64::try_from(row.rn - 1).unwrap_or_default(), row.s);
    }
    debug_assert!(summaries.values().all(|s| {
        percentile_ranks(s.visits, P90).is_some_and(|(low, _)| s.ranked.contains_key(&low))
    }));
    Ok(summaries)
}

/// The 1-based row number of the lower (`floor`) or upper (`ceil`) order statistic around
/// `percent`% of `n` rows, in integer SQL: the same as `rules::percentile_ranks` plus one.
pub(super) fn rank_sql(percent: u64, upper: bool) -> String {
    if upper {
        format!("({percent} * (n - 1) + 99) / 100 + 1")
    } else {
        format!("{percent} * (n - 1) / 100 + 1")
    }
}
