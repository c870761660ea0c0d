//! `konveyer bench-webhooks`: webhook deliveries per second through the real path, against
//! a receiver on loopback in the same process. Appends N `deal.created` events (one per
//! deal by default, so N lanes; `--lanes 1` puts them all in one ordered lane), turns them
//! into deliveries (`fan_out`, timed), then starts the job workers and times until every
//! delivery is delivered. `scripts/bench-webhooks.sh` drives it; `docs/benchmarks.md`
//! records the figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rand::rngs::OsRng;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use shared::access::Actor;
use shared::db::Db;
use shared::deal::DealId;
use shared::event::outbox;
use shared::event::{Audience, DealData, EventData};
use shared::outbound::AllowedHosts;
use shared::pipeline::{PipelineId, StageId};
use shared::webhook::entity::webhook_deliveries;
use shared::webhook::{DeliveryState, WebhookInput};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchWebhooksArgs {
    /// Events (and so deliveries) to send.
    #[arg(long, default_value_t = 5_000)]
    pub deliveries: usize,
    /// Records the events are about: each is a lane delivered in order.
    #[arg(long)]
    pub lanes: Option<usize>,
    /// Job workers, as the server runs them.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
}

pub async fn run(
    db: &Db,
    args: BenchWebhooksArgs,
    clock: fn() -> DateTime<Utc>,
) -> anyhow::Result<()> {
    if args.deliveries == 0 {
        bail!("--deliveries must be at least 1");
    }
    let lanes = args
        .lanes
        .unwrap_or(args.deliveries)
        .clamp(1, args.deliveries);
    crate::demo::seed_demo(db, &mut OsRng, clock())
        .await
        .map_err(anyhow::Error::msg)?;
    let admin = shared::user::service::list_users(db, &Actor::system())
        .await
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .find(|user| user.role == shared::user::Role::Admin && user.active)
        .context("no administrator")?;
    let (actor, _) = shared::user::service::load_actor(db, admin.id)
        .await
        .map_err(anyhow::Error::msg)?
        .context("the administrator's access")?;

    let received = Arc::new(AtomicU64::new(0));
    let counted = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::Relaxed);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let allowed = AllowedHosts::new(["127.0.0.1"]);
    shared::webhook::service::create_webhook(
        db,
        &actor,
        WebhookInput {
            url: format!("http://127.0.0.1:{port}/hook"),
            description: "bench".into(),
            event_types: vec!["deal.created".into()],
            pipeline_id: None,
        },
        &allowed,
        clock(),
    )
    .await
    .map_err(anyhow::Error::msg)?;

    eprintln!("appending {} events over {lanes} deals", args.deliveries);
    let first = outbox::last_id(db).await.map_err(anyhow::Error::msg)?;
    for chunk in (0..args.deliveries).collect::<Vec<_>>().chunks(1000) {
        let txn = db.begin().await?;
        for n in chunk {
            let deal = DealData {
                id: DealId(i32::try_from(n % lanes).unwrap_or(0) + 1_000_000),
                title: format!("Bench deal {n}"),
                pipeline_id: PipelineId(1),
                stage_id: StageId(1),
                client_id: None,
                amount: None,
                responsible_id: None,
                stage_entered_at: clock(),
                version: 1,
            };
            outbox::append(
                &txn,
                &Actor::system(),
                clock(),
                EventData::DealCreated { deal },
                Audience::Nobody,
            )
            .await
            .map_err(anyhow::Error::msg)?;
        }
        txn.commit().await?;
    }

    let started = Instant::now();
    let mut after = first;
    loop {
        let batch = outbox::read_after(db, after, 500)
            .await
            .map_err(anyhow::Error::msg)?;
        if batch.is_empty() {
            break;
        }
        for event in batch {
            after = event.record.id;
            shared::webhook::service::fan_out(db, &event, clock())
                .await
                .map_err(anyhow::Error::msg)?;
        }
    }
    let fan_out = started.elapsed();

    let wake = Arc::new(tokio::sync::Notify::new());
    crate::jobs::Workers {
        db: db.clone(),
        events: crate::events::EventBus::default(),
        digests: Arc::new(crate::jobs::digest::Digests::new(
            None,
            crate::outbound::Outbound::new(AllowedHosts::default())?,
            crate::jobs::digest::Retry::default(),
        )),
        webhooks: Arc::new(crate::jobs::webhook::WebhookSender::new(allowed)?),
        clock,
        instance: "bench".into(),
        wake,
    }
    .spawn(args.workers);
    let started = Instant::now();
    let total = args.deliveries as u64;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let delivered = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::State.eq(DeliveryState::Delivered.as_str()))
            .count(db)
            .await?;
        if delivered >= total {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("only {delivered} of {total} delivered after ten minutes");
        }
    }
    let sending = started.elapsed();
    println!(
        "deliveries: {total} over {lanes} lanes with {} workers on {}",
        args.workers,
        match sea_orm::ConnectionTrait::get_database_backend(db) {
            sea_orm::DbBackend::Postgres => "PostgreSQL",
            _ => "SQLite",
        }
    );
    println!(
        "fan-out: {:.2} s ({:.0} events/s)",
        fan_out.as_secs_f64(),
        total as f64 / fan_out.as_secs_f64()
    );
    println!(
        "delivery: {:.2} s ({:.0} deliveries/s); the receiver counted {}",
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        received.load(Ordering::Relaxed)
    );
    Ok(())
}
