//! Benchmark data: bulk-loads a large loan conveyor (open deals, each with a full and
//! consistent transition history) into a database that has the demo organisation, then
//! times the board query in process. `scripts/bench.sh` drives it; the figures are in
//! `docs/benchmarks.md`.
//!
//! Rows go in with multi-row inserts, not through `create_deal` / `move_deal`: a million
//! moves through the use case (one transaction, eight queries each) would take hours. The
//! history written here obeys the same rules the service enforces (forward to the next
//! open stage, back to any earlier one with a reason, versions counting the moves), but
//! nothing checks it: this is bench data, never a way to load real data.

pub mod automation;
pub mod webhooks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rand::rngs::{OsRng, StdRng};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, ExprTrait, QuerySelect, Set, TransactionTrait,
};
use shared::access::Actor;
use shared::analytics::service::{
    SCOPED_BY, ScopedBy, load_analytics, load_sla, load_team, load_trends,
};
use shared::analytics::{AnalyticsFilter, Granularity};
use shared::board::BoardFilter;
use shared::board::service::{load_board, load_column};
use shared::client::entity::clients;
use shared::db::Db;
use shared::deal::entity::deals;
use shared::pipeline::service::{list_pipelines, load_pipeline};
use shared::pipeline::{PipelineView, StageKind, StageView};
use shared::transition::entity::transitions;
use shared::user::Role;
use shared::user::service as user_service;

use crate::demo::{self, PRODUCTS, RETURN_REASONS};

/// The pipeline the demo creates and the bench fills.
const PIPELINE_NAME: &str = "Loan conveyor";
/// Deals per insert statement and per transaction (with their clients and history).
const CHUNK: usize = 1000;
/// Share of the bench deals in each open stage, in percent, first stage first: most wait
/// at the client managers, so the first column is the one that has to stay fast.
const STAGE_SHARES: &[u32] = &[60, 15, 10, 10, 5];

const FIRST_NAMES: &[&str] = &[
    "Ivan",
    "Maria",
    "Alexei",
    "Olga",
    "Dmitry",
    "Ekaterina",
    "Sergei",
    "Anna",
    "Mikhail",
    "Natalia",
    "Andrei",
    "Irina",
    "Pavel",
    "Tatiana",
    "Nikolai",
    "Svetlana",
    "Viktor",
    "Yulia",
    "Roman",
    "Elena",
];
const LAST_NAMES: &[&str] = &[
    "Petrov",
    "Ivanov",
    "Sidorov",
    "Kuznetsov",
    "Smirnov",
    "Popov",
    "Vasiliev",
    "Sokolov",
    "Mikhailov",
    "Novikov",
    "Fedorov",
    "Morozov",
    "Volkov",
    "Alekseev",
    "Lebedev",
    "Semenov",
    "Egorov",
    "Pavlov",
    "Kozlov",
    "Stepanov",
];
/// `konveyer seed-bench`: what to load and how often to time the board.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedBenchArgs {
    /// Open deals to add (0 only times the board on the data already there).
    #[arg(long, default_value_t = 100_000)]
    pub deals: usize,
    /// Ledger rows per deal: its creation plus this many minus one moves.
    #[arg(long, default_value_t = 10)]
    pub transitions_per_deal: usize,
    /// Seed of the random generator: the same seed loads the same data.
    #[arg(long, default_value_t = 20_261_124)]
    pub seed: u64,
    /// How many times to time each board query in process after loading (0 skips it).
    #[arg(long, default_value_t = 20)]
    pub board_runs: usize,
    /// Writes the ids of the loaded deals that wait in the first stage, one a line: each
    /// can be moved once to the second stage with version `transitions_per_deal`.
    #[arg(long)]
    pub movable_out: Option<PathBuf>,
    /// How the dashboards' copies for a condition on the deal are summed: `fastest` (as
    /// the server does), `memory` (always in memory) or `sql` (in SQL, the way before).
    #[arg(long, default_value = "fastest")]
    pub scoped_by: String,
}

/// Loads the demo organisation when the database is empty, then the bench data, then
/// times the board.
pub async fn run(db: &Db, args: SeedBenchArgs, now: DateTime<Utc>) -> anyhow::Result<()> {
    if demo::seed_demo(db, &mut OsRng, now)
        .await
        .map_err(anyhow::Error::msg)?
    {
        println!("Demo data loaded (the database was empty).");
    }
    let pipeline = conveyor(db).await?;
    let started = Instant::now();
    let loaded = seed(db, &pipeline, &args, now).await?;
    if args.deals > 0 {
        println!(
            "Loaded {} deals and {} transitions in {:.1} s.",
            args.deals,
            loaded.transitions,
            started.elapsed().as_secs_f64()
        );
        for (stage, count) in &loaded.per_stage {
            println!("  {stage}: {count} deals");
        }
        println!(
            "Movable: {} deals in stage {} at version {}, next stage {}.",
            loaded.movable.len(),
            loaded.from_stage,
            args.transitions_per_deal,
            loaded.to_stage
        );
    }
    if let Some(path) = &args.movable_out {
        let lines: String = loaded.movable.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))?;
    }
    if args.board_runs > 0 {
        time_board(db, &pipeline, args.board_runs, now).await?;
        let scoped_by = match args.scoped_by.as_str() {
            "fastest" => ScopedBy::Fastest,
            "memory" => ScopedBy::Memory,
            "sql" => ScopedBy::Smaller,
            other => bail!("--scoped-by {other}: fastest, memory or sql"),
        };
        SCOPED_BY
            .scope(
                scoped_by,
                time_analytics(db, &pipeline, args.board_runs.div_ceil(4), now),
            )
            .await?;
    }
    Ok(())
}

/// The demo's loan conveyor with its open stages in order.
async fn conveyor(db: &Db) -> anyhow::Result<PipelineView> {
    let Some((id, _)) = list_pipelines(db)
        .await
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .find(|(_, name)| name == PIPELINE_NAME)
    else {
        bail!("no pipeline named {PIPELINE_NAME:?}: load the demo data first");
    };
    load_pipeline(db, id).await.map_err(anyhow::Error::msg)
}

struct Loaded {
    transitions: u64,
    per_stage: Vec<(String, usize)>,
    movable: Vec<i32>,
    from_stage: i32,
    to_stage: i32,
}

async fn seed(
    db: &Db,
    pipeline: &PipelineView,
    args: &SeedBenchArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<Loaded> {
    let open: Vec<StageView> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .cloned()
        .collect();
    if open.len() < 2 {
        bail!("the pipeline needs at least two open stages");
    }
    let moves = args.transitions_per_deal.saturating_sub(1);
    let walks: Vec<Walks> = (0..open.len())
        .map(|target| Walks::new(open.len(), target, moves))
        .collect();
    if let Some(target) = walks.iter().position(|w| !w.feasible()) {
        bail!(
            "no history of exactly {moves} moves ends in stage {}: use more transitions per deal",
            open[target].name
        );
    }
    let people = user_service::list_users(db, &Actor::system())
        .await
        .map_err(anyhow::Error::msg)?;
    let members: Vec<Vec<i32>> = open
        .iter()
        .map(|stage| {
            people
                .iter()
                .filter(|u| {
                    u.active
                        && stage
                            .department_id
                            .is_some_and(|d| u.department_ids.contains(&d))
                })
                .map(|u| u.id.0)
                .collect()
        })
        .collect();
    let managers = members[0].clone();

    let mut rng = StdRng::seed_from_u64(args.seed);
    // Exact counts per stage, shuffled so the stages interleave in id order as real deals do.
    let shares: Vec<usize> = open
        .iter()
        .enumerate()
        .map(|(i, _)| STAGE_SHARES.get(i).copied().unwrap_or(5) as usize)
        .collect();
    let total_share: usize = shares.iter().sum();
    let mut targets = Vec::with_capacity(args.deals);
    for (stage, share) in shares.iter().enumerate() {
        let count = if stage + 1 == shares.len() {
            args.deals - targets.len()
        } else {
            args.deals * share / total_share
        };
        targets.extend(std::iter::repeat_n(stage, count));
    }
    targets.shuffle(&mut rng);

    let mut next_deal = max_id::<deals::Entity>(db, deals::Column::Id).await? + 1;
    let mut next_client = max_id::<clients::Entity>(db, clients::Column::Id).await? + 1;
    let version = i32::try_from(args.transitions_per_deal).context("too many transitions")?;
    let mut loaded = Loaded {
        transitions: 0,
        per_stage: open
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), targets.iter().filter(|t| **t == i).count()))
            .collect(),
        movable: Vec::new(),
        from_stage: open[0].id.0,
        to_stage: open[1].id.0,
    };
    let started = Instant::now();
    for (chunk_no, chunk) in targets.chunks(CHUNK).enumerate() {
        let mut client_rows = Vec::with_capacity(chunk.len());
        let mut deal_rows = Vec::with_capacity(chunk.len());
        let mut ledger = Vec::with_capacity(chunk.len() * args.transitions_per_deal);
        for &target in chunk {
            let deal_id = next_deal;
            let client_id = next_client;
            next_deal += 1;
            next_client += 1;
            let path = walks[target].walk(&mut rng);
            // Time in each stage left: mostly within a day, sometimes days.
            let gaps: Vec<i64> = path
                .iter()
                .map(|_| {
                    if rng.gen_bool(0.15) {
                        rng.gen_range(48 * 3600..200 * 3600)
                    } else {
                        rng.gen_range(600..30 * 3600)
                    }
                })
                .collect();
            let waiting = rng.gen_range(60..30 * 24 * 3600);
            let created = now - chrono::Duration::seconds(gaps.iter().sum::<i64>() + waiting);
            let (product, low, high) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
            let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
            let feminine = first.ends_with('a');
            let name = format!("{first} {last}{}", if feminine { "a" } else { "" });
            let responsible = pick(&mut rng, &managers);
            let rubles = rng.gen_range(low / 10_000..=high / 10_000) * 10_000;
            let (amount_minor, currency) = if rng.gen_bool(0.05) {
                (rubles / 90 * 100, "USD")
            } else {
                (rubles * 100, "RUB")
            };
            client_rows.push(clients::ActiveModel {
                id: Set(client_id),
                kind: Set("person".to_owned()),
                name: Set(name.clone()),
                phone: Set(Some(format!(
                    "+7 9{:02} {:03}-{:02}-{:02}",
                    rng.gen_range(0..100),
                    rng.gen_range(0..1000),
                    rng.gen_range(0..100),
                    rng.gen_range(0..100)
                ))),
                email: Set(Some(format!(
                    "{}.{client_id}@mail.example",
                    name.to_lowercase().replace(' ', ".")
                ))),
                created_at: Set(created),
                ..Default::default()
            });
            let row =
                |from: Option<&StageView>,
                 to: &StageView,
                 actor: Option<i32>,
                 at: DateTime<Utc>,
                 comment: &str,
                 seconds_in_from: Option<i64>| transitions::ActiveModel {
                    id: sea_orm::ActiveValue::NotSet,
                    deal_id: Set(deal_id),
                    pipeline_id: Set(pipeline.id.0),
                    from_stage_id: Set(from.map(|s| s.id.0)),
                    to_stage_id: Set(to.id.0),
                    from_stage_name: Set(from.map(|s| s.name.clone())),
                    to_stage_name: Set(to.name.clone()),
                    from_department_id: Set(from.and_then(|s| s.department_id).map(|d| d.0)),
                    to_department_id: Set(to.department_id.map(|d| d.0)),
                    actor_user_id: Set(actor),
                    actor_label: sea_orm::ActiveValue::NotSet,
                    at: Set(at),
                    comment: Set(comment.to_owned()),
                    is_return: Set(from.is_some_and(|f| to.position < f.position)),
                    seconds_in_from: Set(seconds_in_from),
                };
            ledger.push(row(None, &open[0], responsible, created, "", None));
            let mut at = created;
            let mut position = 0;
            for (&next, &gap) in path.iter().zip(&gaps) {
                at += chrono::Duration::seconds(gap);
                let comment = if next < position {
                    RETURN_REASONS[rng.gen_range(0..RETURN_REASONS.len())]
                } else {
                    ""
                };
                let actor = pick(&mut rng, &members[position]);
                ledger.push(row(
                    Some(&open[position]),
                    &open[next],
                    actor,
                    at,
                    comment,
                    Some(gap),
                ));
                position = next;
            }
            if position == 0 {
                loaded.movable.push(deal_id);
            }
            deal_rows.push(deals::ActiveModel {
                id: Set(deal_id),
                title: Set(format!("{product} B{deal_id:07}")),
                client_id: Set(Some(client_id)),
                amount_minor: Set(Some(amount_minor)),
                currency: Set(currency.to_owned()),
                responsible_user_id: Set(responsible),
                pipeline_id: Set(pipeline.id.0),
                stage_id: Set(open[position].id.0),
                stage_entered_at: Set(at),
                created_at: Set(created),
                updated_at: Set(at),
                version: Set(version),
            });
        }
        loaded.transitions += ledger.len() as u64;
        let txn = db.begin().await?;
        clients::Entity::insert_many(client_rows)
            .exec_without_returning(&txn)
            .await?;
        deals::Entity::insert_many(deal_rows)
            .exec_without_returning(&txn)
            .await?;
        let mut ledger = ledger.into_iter().peekable();
        while ledger.peek().is_some() {
            transitions::Entity::insert_many(ledger.by_ref().take(CHUNK))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        let done = (chunk_no + 1) * CHUNK;
        if done.is_multiple_of(CHUNK * 10) {
            eprintln!(
                "  {} deals, {} transitions ({:.0} s)",
                done.min(args.deals),
                loaded.transitions,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if args.deals > 0 && db.get_database_backend() == DatabaseBackend::Postgres {
        // Ids were given explicitly, so the serial sequences must catch up; and autovacuum
        // would analyse (and, since PostgreSQL 13, vacuum) the tables after such a load
        // within a minute anyway: do it now so the first measurement sees the steady state.
        for statement in [
            "SELECT setval(pg_get_serial_sequence('deals', 'id'), (SELECT MAX(id) FROM deals))",
            "SELECT setval(pg_get_serial_sequence('clients', 'id'), (SELECT MAX(id) FROM clients))",
            "VACUUM ANALYZE clients, deals, transitions, transition_facts, transition_days, \
             visit_bins, cohort_days, return_reason_days, owner_transition_days, \
             owner_visit_bins, owner_cohort_days, owner_return_reason_days",
        ] {
            db.execute_unprepared(statement).await?;
        }
    }
    Ok(loaded)
}

/// The largest id in a table, 0 when it is empty.
async fn max_id<E: EntityTrait>(db: &Db, id: E::Column) -> anyhow::Result<i32> {
    let max: Option<Option<i32>> = E::find()
        .select_only()
        .column_as(sea_orm::sea_query::Expr::col(id).max(), "max_id")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

fn pick(rng: &mut StdRng, from: &[i32]) -> Option<i32> {
    from.choose(rng).copied()
}

/// Random histories of an exact number of moves between open stages (forward to the next
/// one, or back to any earlier one) that start in the first stage and end in `target`.
struct Walks {
    stages: usize,
    moves: usize,
    /// `reach[r][p]`: from stage `p`, `target` can be reached in exactly `r` moves.
    reach: Vec<Vec<bool>>,
}

impl Walks {
    fn new(stages: usize, target: usize, moves: usize) -> Self {
        let mut reach = vec![(0..stages).map(|p| p == target).collect::<Vec<_>>()];
        for r in 1..=moves {
            let before = &reach[r - 1];
            let row = (0..stages)
                .map(|p| (p + 1 < stages && before[p + 1]) || (0..p).any(|q| before[q]))
                .collect();
            reach.push(row);
        }
        Walks {
            stages,
            moves,
            reach,
        }
    }

    fn feasible(&self) -> bool {
        self.reach[self.moves][0]
    }

    /// The stages entered, in order; a move forward is four times likelier than a return.
    fn walk(&self, rng: &mut StdRng) -> Vec<usize> {
        let mut at = 0;
        let mut path = Vec::with_capacity(self.moves);
        for left in (0..self.moves).rev() {
            let ok = &self.reach[left];
            let forward = (at + 1 < self.stages && ok[at + 1]).then_some(at + 1);
            let back: Vec<usize> = (0..at).filter(|&q| ok[q]).collect();
            at = match (forward, back.choose(rng)) {
                (Some(next), Some(&earlier)) => {
                    if rng.gen_bool(0.8) {
                        next
                    } else {
                        earlier
                    }
                }
                (Some(next), None) => next,
                (None, Some(&earlier)) => earlier,
                // `feasible` was checked, so some move always keeps the target in reach.
                (None, None) => at,
            };
            path.push(at);
        }
        path
    }
}

/// Times `load_board` (every column) and the first column alone, unfiltered and with a
/// search, and prints p50 and max over `runs` calls after one warm-up (a quarter as many
/// for the search, which takes seconds at 100,000 deals).
async fn time_board(
    db: &Db,
    pipeline: &PipelineView,
    runs: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let admin = Actor::system();
    let searched = search_filter();
    let Some(first) = pipeline.stages.first() else {
        bail!("the pipeline has no stages");
    };
    println!("Board query in process (runs after a warm-up; p50 / max):");
    for (label, filter, runs) in [
        ("unfiltered", BoardFilter::default(), runs),
        ("search", searched, runs.div_ceil(4)),
    ] {
        let mut whole = Vec::with_capacity(runs);
        let mut column = Vec::with_capacity(runs);
        for run in 0..=runs {
            let started = Instant::now();
            load_board(db, &admin, pipeline.id, &filter, now)
                .await
                .map_err(anyhow::Error::msg)?;
            let board = started.elapsed();
            let started = Instant::now();
            load_column(db, &admin, pipeline, first, &filter, 0, now)
                .await
                .map_err(anyhow::Error::msg)?;
            if run > 0 {
                whole.push(board);
                column.push(started.elapsed());
            }
        }
        println!(
            "  {label:<10} board {}   first column {}   ({runs} runs)",
            p50_and_max(&mut whole),
            p50_and_max(&mut column),
        );
    }
    Ok(())
}

/// Times each analytics dashboard's service, as the pages call it, over the default period
/// (the last 30 days) as an administrator, and prints p50 and max over `runs` calls after
/// a warm-up.
async fn time_analytics(
    db: &Db,
    pipeline: &PipelineView,
    runs: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let admin = Actor::system();
    let period = AnalyticsFilter {
        pipeline: Some(pipeline.id),
        ..AnalyticsFilter::default()
    };
    let with_open = AnalyticsFilter {
        include_open: true,
        ..period.clone()
    };
    let by_week = AnalyticsFilter {
        granularity: Granularity::Week,
        ..period.clone()
    };
    println!("Analytics in process, last 30 days (runs after a warm-up; p50 / max):");
    let flow = time_runs(runs, || load_analytics(db, &admin, &period, now)).await?;
    println!("  flow                  {flow}");
    let open = time_runs(runs, || load_analytics(db, &admin, &with_open, now)).await?;
    println!("  flow with open visits {open}");
    let team = time_runs(runs, || load_team(db, &admin, &period, now)).await?;
    println!("  people, departments   {team}");
    let sla = time_runs(runs, || load_sla(db, &admin, &period, now)).await?;
    println!("  SLA                   {sla}");
    let days = time_runs(runs, || load_trends(db, &admin, &period, now)).await?;
    println!("  trends by day         {days}");
    let weeks = time_runs(runs, || load_trends(db, &admin, &by_week, now)).await?;
    println!("  trends by week        {weeks}");
    time_scoped_analytics(db, pipeline, &period, runs, now).await
}

/// Times every dashboard with a condition on the deal, which the stored rollups cannot
/// answer: an employee of the second open stage's department, a restricted user (the
/// first manager), a filter on that manager as responsible, amount filters letting
/// through every deal, about half of them and about a tenth, and an administrator whose
/// days are not the organisation's.
async fn time_scoped_analytics(
    db: &Db,
    pipeline: &PipelineView,
    period: &AnalyticsFilter,
    runs: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let people = user_service::list_users(db, &Actor::system())
        .await
        .map_err(anyhow::Error::msg)?;
    let department_of = |position: usize| {
        pipeline
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::Open)
            .nth(position)
            .and_then(|s| s.department_id)
    };
    let member_of = |department| {
        people
            .iter()
            .find(|u| u.active && u.role != Role::Admin && u.department_ids.contains(&department))
    };
    let (Some(employee), Some(manager)) = (
        department_of(1).and_then(member_of),
        department_of(0).and_then(member_of),
    ) else {
        bail!("the demo organisation has no employee of the first two open stages");
    };
    let admin = Actor::system();
    let mut cases: Vec<(String, Actor, AnalyticsFilter)> = vec![
        (
            format!("employee ({})", employee.name),
            Actor::user(employee.id, Role::Employee, employee.department_ids.clone()),
            period.clone(),
        ),
        (
            format!("restricted ({})", manager.name),
            Actor::user(manager.id, Role::Restricted, Vec::new()),
            period.clone(),
        ),
        (
            "responsible filter".to_owned(),
            admin.clone(),
            AnalyticsFilter {
                employee: Some(manager.id),
                ..period.clone()
            },
        ),
    ];
    for (label, rubles) in [
        ("amount >= 0 (all)", 0),
        ("amount >= 2.5M (about half)", 2_500_000),
        ("amount >= 15M (about a tenth)", 15_000_000),
    ] {
        cases.push((
            label.to_owned(),
            admin.clone(),
            AnalyticsFilter {
                amount_min: Some(rust_decimal::Decimal::new(rubles, 0)),
                ..period.clone()
            },
        ));
    }
    // Everyone above reads the organisation's days (the stored rollups' days); a person
    // elsewhere reads their own, summed from the facts.
    let zone = shared::analytics::service::organisation_zone(db)
        .await
        .map_err(anyhow::Error::msg)?;
    for user in [employee, manager] {
        let actor = Actor::user(user.id, user.role, user.department_ids.clone());
        user_service::set_time_zone(db, &actor, zone.name(), now)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    if let Some(elsewhere) = people.iter().find(|u| u.active && u.role == Role::Admin) {
        let actor = Actor::user(elsewhere.id, Role::Admin, Vec::new());
        let far = if zone.name() == "Asia/Vladivostok" {
            "Europe/Moscow"
        } else {
            "Asia/Vladivostok"
        };
        user_service::set_time_zone(db, &actor, far, now)
            .await
            .map_err(anyhow::Error::msg)?;
        cases.push((
            format!("administrator in {far} (organisation: {})", zone.name()),
            actor,
            period.clone(),
        ));
    }
    println!("Analytics with a condition on the deal (p50 / max):");
    for (label, actor, filter) in &cases {
        let flow = time_runs(runs, || load_analytics(db, actor, filter, now)).await?;
        let team = time_runs(runs, || load_team(db, actor, filter, now)).await?;
        let sla = time_runs(runs, || load_sla(db, actor, filter, now)).await?;
        let trends = time_runs(runs, || load_trends(db, actor, filter, now)).await?;
        println!("  {label}");
        println!("    flow {flow}");
        println!("    people {team}");
        println!("    SLA {sla}");
        println!("    trends {trends}");
    }
    Ok(())
}

/// Calls `call` once to warm up, then `runs` times; answers "p50 / max (n runs)".
async fn time_runs<T, F, Fut>(runs: usize, mut call: F) -> anyhow::Result<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, shared::AppError>>,
{
    let mut timings = Vec::with_capacity(runs);
    for run in 0..=runs {
        let started = Instant::now();
        call().await.map_err(anyhow::Error::msg)?;
        if run > 0 {
            timings.push(started.elapsed());
        }
    }
    Ok(format!("{}   ({runs} runs)", p50_and_max(&mut timings)))
}

/// The filtered search `scripts/bench.sh` sends too: a client surname and a minimum amount.
fn search_filter() -> BoardFilter {
    BoardFilter {
        search: Some("petrov".to_owned()),
        amount_min: Some(rust_decimal::Decimal::new(1_000_000, 0)),
        ..BoardFilter::default()
    }
}

/// `p50 / max` of the timings, for the printed tables.
fn p50_and_max(samples: &mut [Duration]) -> String {
    format!(
        "{} / {}",
        ms(p50(samples)),
        ms(samples.iter().max().copied())
    )
}

fn p50(samples: &mut [Duration]) -> Option<Duration> {
    samples.sort();
    samples.get(samples.len() / 2).copied()
}

fn ms(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_end_in_the_target_with_valid_moves() {
        let mut rng = StdRng::seed_from_u64(7);
        for target in 0..5 {
            let walks = Walks::new(5, target, 9);
            assert!(walks.feasible());
            for _ in 0..200 {
                let path = walks.walk(&mut rng);
                assert_eq!(path.len(), 9);
                assert_eq!(path.last(), Some(&target));
                let mut at = 0;
                for &next in &path {
                    assert!(next == at + 1 || next < at, "{at} -> {next}");
                    at = next;
                }
            }
        }
    }

    #[test]
    fn too_short_a_history_cannot_reach_the_last_stage() {
        assert!(!Walks::new(5, 4, 3).feasible());
        assert!(Walks::new(5, 4, 4).feasible());
    }
}
