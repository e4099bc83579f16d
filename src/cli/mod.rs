//! Command-line parsing and dispatch: one module per verb.

mod elements;
mod get;
mod ls;
mod put;
mod quickstart;
mod rm;
mod stat;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What a verb returns: `Ok` or an error printed on stderr (exit code 1).
pub(crate) type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// jitstore: JitAI-style storage elements from an app folder.
#[derive(Debug, Parser)]
#[command(name = "jitstore", version, about)]
pub(crate) struct Cli {
    /// The app folder (holding app.json and element folders).
    #[arg(
        long,
        global = true,
        default_value = ".",
        value_name = "DIR",
        env = "JITSTORE_APP"
    )]
    app: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List elements with their Type chain and whether their config validates.
    Elements(elements::Args),
    /// Upload a local file (`-` for stdin) to KEY.
    Put(put::Args),
    /// Download KEY to a local file (`-` for stdout).
    Get(get::Args),
    /// Show an object's metadata.
    Stat(stat::Args),
    /// Delete an object.
    Rm(rm::Args),
    /// List objects under a prefix.
    Ls(ls::Args),
    /// Run the main job on the embedded default storage in a temporary app.
    Quickstart(quickstart::Args),
}

/// Accepts `Default` as shorthand for `storages.Default`.
pub(crate) fn element_name(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("storages.{name}")
    }
}

/// Opens the app named by `--app`.
pub(crate) fn open_app(dir: &std::path::Path) -> Result<jitstore::App, jitstore::Error> {
    jitstore::App::open(dir)
}

async fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Elements(args) => elements::run(&cli.app, args).await,
        Command::Put(args) => put::run(&cli.app, args).await,
        Command::Get(args) => get::run(&cli.app, args).await,
        Command::Stat(args) => stat::run(&cli.app, args).await,
        Command::Rm(args) => rm::run(&cli.app, args).await,
        Command::Ls(args) => ls::run(&cli.app, args).await,
        Command::Quickstart(args) => quickstart::run(args).await,
    }
}

/// Parses the command line, runs the verb, and maps failures to exit code 1.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
