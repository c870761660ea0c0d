//! The `konveyer` binary.

use clap::Parser;
use tracing_subscriber::EnvFilter;

// mimalloc hands freed pages back to the system; glibc's per-thread arenas kept the server
// near its peak after a burst of large requests.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    server::cli::run(server::cli::Cli::parse()).await
}
