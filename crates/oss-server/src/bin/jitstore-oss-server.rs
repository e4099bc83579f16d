//! `jitstore-oss-server`: the local OSS-compatible server as a standalone command
//! (same flags as `jitstore serve`).

use clap::Parser;
use jitstore_oss_server::cli::{run_serve, ServeArgs};

#[derive(Parser)]
#[command(
    name = "jitstore-oss-server",
    version,
    about = "Local OSS-compatible server"
)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    match run_serve(cli.serve).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
