//! `konveyer bench-automation`: how fast the engine keeps up with a stream of moves. Loads
//! the demo, adds `--rules` enabled rules on the loan conveyor: `--matching` of them
//! triggered by a deal entering the second stage (with a condition on the amount and a
//! comment as the action), the rest watching a field the moves never change (so each
//! event is checked against every rule, and most let it pass, as in a real organisation);
//! makes `--moves` moves through the move use case (timed: the rules add nothing to a move,
//! they run after it from the event log), then times the event-log consumer (`on_event`:
//! trigger checks per second) and the job workers executing the runs.
//! `scripts/bench-automation.sh` drives it; `docs/benchmarks.md` records the figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rand::rngs::OsRng;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::access::Actor;
use shared::automation::entity::automation_runs;
use shared::automation::{
    Action, Condition, NumberOp, RuleDefinition, RuleInput, RunState, Trigger,
};
use shared::db::Db;
use shared::deal::MoveDeal;
use shared::event::outbox;
use shared::outbound::AllowedHosts;
use shared::pipeline::StageKind;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchAutomationArgs {
    /// Enabled rules on the pipeline.
    #[arg(long, default_value_t = 1_000)]
    pub rules: usize,
    /// Of those, rules triggered by the moves (into the second stage).
    #[arg(long, default_value_t = 10)]
    pub matching: usize,
    /// Moves made (each one event every rule's trigger is checked against).
    #[arg(long, default_value_t = 1_000)]
    pub moves: usize,
    /// Job workers, as the server runs them.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
}

pub async fn run(
    db: &Db,
    args: BenchAutomationArgs,
    clock: fn() -> DateTime<Utc>,
) -> anyhow::Result<()> {
    if args.moves == 0 {
        bail!("--moves must be at least 1");
    }
    crate::demo::seed_demo(db, &mut OsRng, clock())
        .await
        .map_err(anyhow::Error::msg)?;
    let system = Actor::system();
    let (pipeline_id, _) = shared::pipeline::service::list_pipelines(db)
        .await
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .next()
        .context("no pipeline")?;
    let pipeline = shared::pipeline::service::load_pipeline(db, pipeline_id)
        .await
        .map_err(anyhow::Error::msg)?;
    let open: Vec<_> = pipeline
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Open)
        .map(|s| s.id)
        .collect();
    let (Some(first), Some(second)) = (open.first().copied(), open.get(1).copied()) else {
        bail!("the pipeline needs two open stages");
    };
    // The demo's rules are switched off or on another pipeline; these are the load.
    for n in 0..args.rules {
        let trigger = if n < args.matching {
            Trigger::StageEntered {
                stage_id: Some(second),
            }
        } else {
            Trigger::FieldChanged {
                field: shared::automation::TriggerField::Title,
                to: None,
            }
        };
        shared::automation::service::create_rule(
            db,
            &system,
            RuleInput {
                name: format!("Bench rule {n}"),
                pipeline_id,
                enabled: true,
                retrigger_self: false,
                definition: RuleDefinition {
                    trigger,
                    conditions: vec![Condition::Amount {
                        op: NumberOp::Gt,
                        value: Decimal::new(4_500_000, 0),
                    }],
                    actions: vec![Action::Comment {
                        text: format!("Bench rule {n} passed"),
                    }],
                },
            },
            clock(),
        )
        .await
        .map_err(anyhow::Error::msg)?;
    }

    // Deals in the first two stages, moved back and forth (a return needs a reason).
    let deals: Vec<_> = shared::deal::entity::deals::Entity::find()
        .filter(shared::deal::entity::deals::Column::StageId.is_in([first.0, second.0]))
        .all(db)
        .await?;
    if deals.is_empty() {
        bail!("no deal in the first two stages");
    }
    let first_event = outbox::last_id(db).await.map_err(anyhow::Error::msg)?;
    let mut latencies = Vec::with_capacity(args.moves);
    let mut moved = 0;
    for n in 0..args.moves {
        let id = shared::deal::DealId(deals[n % deals.len()].id);
        let deal = shared::deal::service::get_deal(db, &system, id)
            .await
            .map_err(anyhow::Error::msg)?;
        let to = if deal.stage_id == first {
            second
        } else {
            first
        };
        let started = Instant::now();
        let result = shared::deal::service::move_deal(
            db,
            &(),
            &system,
            MoveDeal {
                deal_id: id,
                to_stage: to,
                version: deal.version,
                comment: "Bench: back for rework".into(),
            },
            clock(),
        )
        .await;
        latencies.push(started.elapsed());
        if result.is_ok() {
            moved += 1;
        }
    }
    latencies.sort();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };

    let started = Instant::now();
    let mut after = first_event;
    let mut events = 0_u64;
    let mut queued = 0_u64;
    loop {
        let batch = outbox::read_after(db, after, 500)
            .await
            .map_err(anyhow::Error::msg)?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            after = event.record.id;
            events += 1;
            queued += shared::automation::engine::on_event(
                db,
                &event,
                shared::automation::DEPTH_LIMIT_DEFAULT,
                clock(),
            )
            .await
            .map_err(anyhow::Error::msg)? as u64;
        }
    }
    let consuming = started.elapsed();

    let wake = Arc::new(tokio::sync::Notify::new());
    crate::jobs::Workers {
        db: db.clone(),
        events: crate::events::EventBus::default(),
        digests: Arc::new(crate::jobs::digest::Digests::new(
            None,
            crate::outbound::Outbound::new(AllowedHosts::default())?,
            crate::jobs::digest::Retry::default(),
        )),
        webhooks: Arc::new(crate::jobs::webhook::WebhookSender::new(
            AllowedHosts::default(),
        )?),
        clock,
        instance: "bench".into(),
        wake,
    }
    .spawn(args.workers);
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let waiting = automation_runs::Entity::find()
            .filter(automation_runs::Column::State.eq(RunState::Queued.as_str()))
            .count(db)
            .await?;
        if waiting == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("{waiting} runs still queued after half an hour");
        }
    }
    let running = started.elapsed();
    let done = automation_runs::Entity::find()
        .filter(automation_runs::Column::State.eq(RunState::Done.as_str()))
        .count(db)
        .await?;
    println!(
        "automation: {} enabled rules, {moved} moves on {}",
        args.rules,
        match sea_orm::ConnectionTrait::get_database_backend(db) {
            sea_orm::DbBackend::Postgres => "PostgreSQL",
            _ => "SQLite",
        }
    );
    println!(
        "move (no consumer running): p50 {:.2} ms, p99 {:.2} ms",
        percentile(0.5),
        percentile(0.99)
    );
    println!(
        "consumer: {events} events in {:.2} s ({:.0} events/s, {:.0} trigger checks/s), {queued} runs queued",
        consuming.as_secs_f64(),
        events as f64 / consuming.as_secs_f64(),
        (events * args.rules as u64) as f64 / consuming.as_secs_f64()
    );
    println!(
        "runs: {queued} in {:.2} s with {} workers ({:.0} runs/s, conditions evaluated; {done} passed and commented)",
        running.as_secs_f64(),
        args.workers,
        queued as f64 / running.as_secs_f64()
    );
    Ok(())
}
