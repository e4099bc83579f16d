//! Command-line parsing and dispatch: one module per verb, plus the plumbing every verb shares
//! (`output`: text/JSON results and errors; `progress`: byte bars; `logging`: the tracing
//! subscriber; `target`: `--app` and the element argument).

mod anonymous;
mod dingtalk;
mod elements;
mod fetch_url;
mod get;
mod logging;
mod ls;
mod oss_common;
mod output;
mod progress;
mod put;
mod quickstart;
mod rm;
mod s3_sign;
mod serve;
mod sign;
mod stat;
mod stdio;
mod sync;
mod sync_any;
mod target;
mod upload;
mod upload_many;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub(crate) use output::print_json;
use output::{ErrorReport, OutputMode};
pub(crate) use target::AppArg;

/// What a verb returns: `Ok` or an error printed on stderr (exit code 1).
pub(crate) type CliResult = Result<(), CliError>;

/// Any error a verb reports.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;

/// jitstore: JitAI-style storage elements from an app folder.
///
/// ELEMENT is a fullName (`storages.MyOss`), a name below `storages.` without the prefix
/// (`MyOss`, `Team.Reports`), or `@default` for the app's default storage (also used when the
/// storage verbs get no ELEMENT). A file argument `-` means stdin or stdout.
#[derive(Debug, Parser)]
#[command(name = "jitstore", version, about, long_about)]
pub(crate) struct Cli {
    /// The app folder, for the verbs that read one (also accepted after the verb).
    #[arg(long = "app", value_name = "DIR")]
    app_before_verb: Option<PathBuf>,

    /// Print results as JSON on stdout and errors as a JSON object on stderr.
    #[arg(long, global = true)]
    json: bool,

    /// No progress bars and no log output but errors.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace); `RUST_LOG` overrides.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List elements with their Type chain and whether their config validates.
    Elements {
        #[command(flatten)]
        app: AppArg,
        #[command(flatten)]
        args: elements::Args,
    },
    /// Upload a local file (`-` for stdin) to KEY.
    #[command(override_usage = "jitstore put [OPTIONS] [ELEMENT] <LOCAL_PATH|-> <KEY>")]
    Put(put::Args),
    /// Download KEY to a local file (`-` for stdout).
    #[command(override_usage = "jitstore get [OPTIONS] [ELEMENT] <KEY> <LOCAL_PATH|->")]
    Get(get::Args),
    /// Show an object's metadata.
    #[command(override_usage = "jitstore stat [OPTIONS] [ELEMENT] <KEY>")]
    Stat(stat::Args),
    /// Delete an object.
    #[command(override_usage = "jitstore rm [OPTIONS] [ELEMENT] <KEY>")]
    Rm(rm::Args),
    /// List objects under a prefix.
    #[command(override_usage = "jitstore ls [OPTIONS] [ELEMENT] [PREFIX]")]
    Ls(ls::Args),
    /// Run the full tour on the embedded default: a local OSS server, DiskType and OssType.
    Quickstart(quickstart::Args),
    /// Upload a file the Dify way (Dify OSS plugin upload_file): directory and filename modes,
    /// full result.
    Upload(upload::Args),
    /// Upload several files concurrently (Dify OSS plugin multi_upload_files); per-file
    /// outcomes, colliding keys refused.
    UploadMany(upload_many::Args),
    /// Fetch an object by any URL of the element's bucket (Dify OSS plugin get_file_by_url;
    /// other hosts refused).
    FetchUrl(fetch_url::Args),
    /// Upload a file or a whole directory under a prefix (AgentBay upload; env_init with STS
    /// credentials instead of an element).
    #[command(override_usage = "jitstore sync-up [OPTIONS] [ELEMENT] <LOCAL> <PREFIX>")]
    SyncUp(sync::UpArgs),
    /// Download an object or a whole prefix into a directory (AgentBay download; env_init with
    /// STS credentials instead of an element).
    #[command(override_usage = "jitstore sync-down [OPTIONS] [ELEMENT] <PREFIX> <LOCAL>")]
    SyncDown(sync::DownArgs),
    /// PUT a file to a presigned/public URL without credentials (AgentBay upload_anonymous), or
    /// with a ticket's signed headers (DingTalk step 2: upload the file to OSS).
    PutUrl(anonymous::PutArgs),
    /// GET a presigned/public URL into a file without credentials (AgentBay
    /// download_anonymous).
    GetUrl(anonymous::GetArgs),
    /// Issue a header-signed upload ticket (DingTalk step 1: get file upload information).
    IssueUpload(dingtalk::IssueArgs),
    /// Commit a header-signed upload under a name (DingTalk step 3: commit the file).
    Commit(dingtalk::CommitArgs),
    /// Print a presigned URL (first line); --at fixes the time, --explain shows the signing texts.
    Sign(sign::Args),
    /// Run the local OSS-compatible server (`-v` logs its start; failures are always logged).
    Serve(jitstore_oss_server::cli::ServeArgs),
}

impl Command {
    /// True for the verbs that read an app folder (`--app` applies to them).
    fn reads_an_app(&self) -> bool {
        !matches!(
            self,
            Command::Quickstart(_) | Command::PutUrl(_) | Command::GetUrl(_) | Command::Serve(_)
        )
    }

    /// The verb's name, for messages.
    fn name(&self) -> &'static str {
        match self {
            Command::Quickstart(_) => "quickstart",
            Command::PutUrl(_) => "put-url",
            Command::GetUrl(_) => "get-url",
            Command::Serve(_) => "serve",
            _ => "this verb",
        }
    }
}

async fn run(command: Command) -> CliResult {
    match command {
        Command::Elements { app, args } => elements::run(&app.dir(), args).await,
        Command::Put(args) => put::run(args).await,
        Command::Get(args) => get::run(args).await,
        Command::Stat(args) => stat::run(args).await,
        Command::Rm(args) => rm::run(args).await,
        Command::Ls(args) => ls::run(args).await,
        Command::Quickstart(args) => quickstart::run(args).await,
        Command::Upload(args) => upload::run(args).await,
        Command::UploadMany(args) => upload_many::run(args).await,
        Command::FetchUrl(args) => fetch_url::run(args).await,
        Command::SyncUp(args) => sync::run_up(args).await,
        Command::SyncDown(args) => sync::run_down(args).await,
        Command::PutUrl(args) => anonymous::run_put(args).await,
        Command::GetUrl(args) => anonymous::run_get(args).await,
        Command::IssueUpload(args) => dingtalk::run_issue(args).await,
        Command::Commit(args) => dingtalk::run_commit(args).await,
        Command::Sign(args) => sign::run(args).await,
        Command::Serve(args) => serve::run(args).await,
    }
}

/// True when `--json` appears among the raw arguments (for errors found while parsing them).
fn json_requested() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Parses the command line, runs the verb, and maps failures to exit code 1 (2 for usage
/// errors). `default_sigpipe` is applied for every verb but `serve` (see `main.rs`).
pub(crate) fn main(default_sigpipe: fn()) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if json_requested() && error.use_stderr() => {
            let text = error.render().to_string();
            let message = text
                .lines()
                .take_while(|line| !line.starts_with("Usage:"))
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                .trim_start_matches("error: ")
                .to_owned();
            ErrorReport::usage(message).print(true);
            return ExitCode::from(2);
        }
        Err(error) => error.exit(),
    };
    output::set_mode(OutputMode {
        json: cli.json,
        quiet: cli.quiet,
    });
    logging::init(cli.verbose, cli.quiet);
    if cli.app_before_verb.is_some() && !cli.command.reads_an_app() {
        ErrorReport::usage(format!(
            "--app: {} does not read an app folder",
            cli.command.name()
        ))
        .print(cli.json);
        return ExitCode::from(2);
    }
    if cli.json && matches!(cli.command, Command::Quickstart(_) | Command::Serve(_)) {
        ErrorReport::usage(format!(
            "--json: {} prints text only (its lines are documented in the README)",
            cli.command.name()
        ))
        .print(true);
        return ExitCode::from(2);
    }
    target::set_app_before_verb(cli.app_before_verb);
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
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            ErrorReport::from_error(error.as_ref()).print(cli.json);
            ExitCode::FAILURE
        }
    }
}
