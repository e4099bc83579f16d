//! Command-line parsing and dispatch: one module per verb.

mod anonymous;
mod dingtalk;
mod elements;
mod fetch_url;
mod get;
mod ls;
mod oss_common;
mod put;
mod quickstart;
mod rm;
mod serve;
mod sign;
mod stat;
mod sync;
mod upload;
mod upload_many;

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
    /// Run the full tour on the embedded default: a local OSS server, DiskType and OssType.
    Quickstart(quickstart::Args),
    /// Upload a file the Dify way: directory and filename modes, full result.
    Upload(upload::Args),
    /// Upload several files concurrently (Dify multi_upload_files); per-file outcomes.
    UploadMany(upload_many::Args),
    /// Fetch an object by any URL of the element's bucket (others refused).
    FetchUrl(fetch_url::Args),
    /// Upload a file or a whole directory under a prefix.
    SyncUp(sync::UpArgs),
    /// Download an object or a whole prefix into a directory.
    SyncDown(sync::DownArgs),
    /// PUT a file to a presigned/public URL without credentials (or with signed headers).
    PutUrl(anonymous::PutArgs),
    /// GET a presigned/public URL into a file without credentials.
    GetUrl(anonymous::GetArgs),
    /// Issue a header-signed upload ticket (DingTalk step 1).
    IssueUpload(dingtalk::IssueArgs),
    /// Commit a header-signed upload under a name (DingTalk step 3).
    Commit(dingtalk::CommitArgs),
    /// Print a presigned URL (first line); --at fixes the time, --explain shows the signing texts.
    Sign(sign::Args),
    /// Run the local OSS-compatible server.
    Serve(jitstore_oss_server::cli::ServeArgs),
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
        Command::Upload(args) => upload::run(&cli.app, args).await,
        Command::UploadMany(args) => upload_many::run(&cli.app, args).await,
        Command::FetchUrl(args) => fetch_url::run(&cli.app, args).await,
        Command::SyncUp(args) => sync::run_up(&cli.app, args).await,
        Command::SyncDown(args) => sync::run_down(&cli.app, args).await,
        Command::PutUrl(args) => anonymous::run_put(args).await,
        Command::GetUrl(args) => anonymous::run_get(args).await,
        Command::IssueUpload(args) => dingtalk::run_issue(&cli.app, args).await,
        Command::Commit(args) => dingtalk::run_commit(&cli.app, args).await,
        Command::Sign(args) => sign::run(&cli.app, args).await,
        Command::Serve(args) => serve::run(args).await,
    }
}

/// Parses the command line, runs the verb, and maps failures to exit code 1.
/// `default_sigpipe` is applied for every verb but `serve` (see `main.rs`).
pub(crate) fn main(default_sigpipe: fn()) -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        default_sigpipe();
    }
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
