//! The `konveyer` command line: serve (default), migrate, seed-demo, create-user, seed-bench,
//! bench-webhooks, bench-automation.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use leptos::config::LeptosOptions;
use migrations::{Migrator, MigratorTrait};
use rand::rngs::OsRng;
use shared::access::Actor;
use shared::db::Db;
use shared::department::service::list_departments;
use shared::user::password::generate_password;
use shared::user::{NewUser, Role, service as user_service};

use crate::config::Config;
use crate::{AppState, build_router, demo};

#[derive(Debug, Parser)]
#[command(name = "konveyer", version, about = "Konveyer CRM server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, load demo data on the first start, and serve (the default).
    Serve {
        /// Do not load demo data into an empty database.
        #[arg(long)]
        no_demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo organisation into an empty database.
    SeedDemo,
    /// Add a user. The password is read from stdin when piped, otherwise generated and printed.
    CreateUser {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// admin, manager, employee or restricted
        #[arg(long, default_value = "employee")]
        role: String,
        /// Department name; repeat for several.
        #[arg(long = "department")]
        departments: Vec<String>,
    },
    /// Make an API token for a user and print its secret (shown this once).
    CreateToken {
        /// The user's e-mail.
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Scope codes such as `deals:write`; repeat for several (default: every scope with
        /// write access).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Calls a minute.
        #[arg(long)]
        rate: Option<u32>,
    },
    /// Bulk-load benchmark data (open deals with their history) and time the board.
    SeedBench(crate::bench::SeedBenchArgs),
    /// Time webhook deliveries to a receiver on loopback (a benchmark, not a test).
    BenchWebhooks(crate::bench::webhooks::BenchWebhooksArgs),
    /// Time the automation engine against a stream of moves (a benchmark, not a test).
    BenchAutomation(crate::bench::automation::BenchAutomationArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load().context("reading configuration")?;
    match cli.command.unwrap_or(Command::Serve { no_demo: false }) {
        Command::Serve { no_demo } => serve(config, !no_demo).await,
        Command::Migrate => {
            open_migrated(&config).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::SeedDemo => {
            let db = open_migrated(&config).await?;
            if demo::seed_demo(&db, &mut OsRng, now())
                .await
                .map_err(anyhow::Error::msg)?
            {
                println!(
                    "Demo data loaded.{}",
                    demo::sign_in_hint(&format!("http://{}", config.addr), true)
                );
            } else {
                println!("The database already has users; demo data not loaded.");
            }
            Ok(())
        }
        Command::CreateUser {
            name,
            email,
            role,
            departments,
        } => {
            let db = open_migrated(&config).await?;
            create_user(&db, name, email, &role, &departments).await
        }
        Command::CreateToken {
            email,
            name,
            scopes,
            rate,
        } => {
            let db = open_migrated(&config).await?;
            create_token(&db, &email, name, &scopes, rate).await
        }
        Command::SeedBench(args) => {
            let db = open_migrated(&config).await?;
            crate::bench::run(&db, args, now()).await
        }
        Command::BenchWebhooks(args) => {
            let db = open_migrated(&config).await?;
            crate::bench::webhooks::run(&db, args, now).await
        }
        Command::BenchAutomation(args) => {
            let db = open_migrated(&config).await?;
            crate::bench::automation::run(&db, args, now).await
        }
    }
}

/// `konveyer create-token`: the token is made as its user would make it for themselves.
async fn create_token(
    db: &Db,
    email: &str,
    name: String,
    scopes: &[String],
    rate: Option<u32>,
) -> anyhow::Result<()> {
    use shared::api_token::{ApiAccess, ApiResource, ApiScope, NewApiToken};
    let user = user_service::list_users(db, &Actor::system())
        .await
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .find(|user| user.active && user.email.eq_ignore_ascii_case(email.trim()))
        .with_context(|| format!("no active user with the e-mail {email}"))?;
    let scopes = if scopes.is_empty() {
        ApiResource::ALL
            .into_iter()
            .map(|resource| ApiScope {
                resource,
                access: ApiAccess::Write,
            })
            .collect()
    } else {
        scopes
            .iter()
            .map(|code| ApiScope::parse(code).with_context(|| format!("unknown scope {code}")))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let actor = Actor::user(user.id, user.role, user.department_ids.clone());
    let made = shared::api_token::service::create_token(
        db,
        &actor,
        NewApiToken {
            name,
            scopes,
            expires_at: None,
            user: None,
            rate_per_minute: rate,
        },
        now(),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    println!("{}", made.secret);
    Ok(())
}

#[expect(clippy::disallowed_methods, reason = "the command line is an adapter")]
fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

/// Connects and applies pending migrations, creating the data folder for SQLite.
pub async fn open_migrated(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = shared::db::connect_with_pool(&url, config.db_pool)
        .await
        .context("connecting to the database")?;
    Migrator::up(db.writer(), None)
        .await
        .context("migrating the database")?;
    Ok(db)
}

/// Loads the ledger's facts the dashboards sum in memory, so that the first dashboard with
/// a condition on the deal does not wait for it (a few seconds at a million moves).
async fn load_analytics_facts(db: Db) {
    if let Err(error) = db.facts().ensure_loaded(db.readers()).await {
        tracing::warn!(%error, "analytics facts not loaded; the first dashboard will load them");
    }
}

async fn serve(config: Config, load_demo: bool) -> anyhow::Result<()> {
    let db = open_migrated(&config).await?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.addr));
    let seeded = load_demo
        && demo::seed_demo(&db, &mut OsRng, now())
            .await
            .map_err(anyhow::Error::msg)?;
    if seeded {
        tracing::info!("first start: demo data loaded");
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("konveyer")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let state = AppState {
        leptos_options,
        db: db.clone(),
        config: Arc::new(config.clone()),
        events: crate::events::EventBus::default(),
        files: crate::files::Files::from_config(&config)?,
    };
    tokio::spawn(sweep_expired_sessions(db.clone()));
    tokio::spawn(load_analytics_facts(db.clone()));
    let postgres_url = Some(config.database_url()).filter(|url| !url.starts_with("sqlite:"));
    crate::events::start_dispatcher(db.clone(), state.events.clone(), postgres_url)
        .await
        .map_err(anyhow::Error::msg)?;
    let digests = crate::jobs::digest::Digests::new(
        crate::jobs::digest::Smtp::from_config(&config)?,
        crate::outbound::Outbound::new(config.outbound_allowed())?,
        crate::jobs::digest::Retry::default(),
    );
    let instance = format!("{}-{}", hostname(), std::process::id());
    let wake_workers = Arc::new(tokio::sync::Notify::new());
    crate::jobs::webhook::spawn(
        db.clone(),
        state.events.clone(),
        wake_workers.clone(),
        instance.clone(),
        now,
    );
    crate::jobs::automation::spawn(
        db.clone(),
        state.events.clone(),
        wake_workers.clone(),
        instance.clone(),
        config.automation_depth_limit,
        now,
    );
    crate::jobs::Workers {
        db: db.clone(),
        events: state.events.clone(),
        digests: Arc::new(digests),
        webhooks: Arc::new(crate::jobs::webhook::WebhookSender::new(
            config.outbound_allowed(),
        )?),
        clock: now,
        instance,
        wake: wake_workers,
    }
    .spawn(JOB_WORKERS);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let demo_there = demo::is_loaded(&db).await.map_err(anyhow::Error::msg)?;
    println!("{}", demo::sign_in_hint(&url, demo_there));
    axum::serve(
        listener,
        build_router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")
}

/// Background jobs run side by side on this many workers per server.
const JOB_WORKERS: usize = 4;

/// This machine's name, for naming the workers that hold a job's lease.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "konveyer".to_owned())
}

/// Deletes expired sessions every ten minutes.
async fn sweep_expired_sessions(db: Db) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        if let Err(err) = shared::session::service::delete_expired_sessions(&db, now()).await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
    }
}

async fn create_user(
    db: &Db,
    name: String,
    email: String,
    role: &str,
    department_names: &[String],
) -> anyhow::Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("unknown role {role:?}: use admin, manager, employee or restricted");
    };
    let all = list_departments(db).await.map_err(anyhow::Error::msg)?;
    let mut department_ids = Vec::new();
    for wanted in department_names {
        match all.iter().find(|d| d.name.eq_ignore_ascii_case(wanted)) {
            Some(found) => department_ids.push(found.id),
            None => bail!("no department named {wanted:?}"),
        }
    }
    let stdin = std::io::stdin();
    let (password, generated) = if stdin.is_terminal() {
        (generate_password(&mut OsRng), true)
    } else {
        let mut input = String::new();
        stdin
            .lock()
            .read_to_string(&mut input)
            .context("reading the password from stdin")?;
        let password = input.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            (generate_password(&mut OsRng), true)
        } else {
            (password, false)
        }
    };
    let user = user_service::create_user(
        db,
        &Actor::system(),
        NewUser {
            name,
            email,
            role,
            department_ids,
            password: password.clone(),
        },
        &mut OsRng,
        now(),
    )
    .await
    .map_err(|err| anyhow::anyhow!("{} ({})", err, err.code()))?;
    println!(
        "Created user {} <{}> ({}).",
        user.name,
        user.email,
        user.role.as_str()
    );
    if generated {
        println!("Password: {password}");
    }
    Ok(())
}
