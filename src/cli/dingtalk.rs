//! `jitstore issue-upload ELEMENT FOLDER --size N` and `jitstore commit ELEMENT UPLOAD_KEY
//! NAME`: the server side of DingTalk's header-signed upload (step 2 is `put-url --ticket`).

use std::time::Duration;

use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::workflows::{ConflictStrategy, WorkflowError};

use super::oss_common::oss_storage;
use super::{output, print_json, AppArg, CliError, CliResult};

/// Arguments of `issue-upload`.
#[derive(Debug, clap::Args)]
pub(crate) struct IssueArgs {
    #[command(flatten)]
    app: AppArg,
    /// The OssType element (`@default`: the app's default storage).
    element: String,
    /// The folder (key prefix) the file will be committed into; `""` for the root.
    folder: String,
    /// The size in bytes the client will upload.
    #[arg(long)]
    size: u64,
    /// Validity in seconds (at most 900).
    #[arg(long, default_value_t = 900)]
    expires: u64,
}

/// Arguments of `commit`.
#[derive(Debug, clap::Args)]
pub(crate) struct CommitArgs {
    #[command(flatten)]
    app: AppArg,
    /// The OssType element (`@default`: the app's default storage).
    element: String,
    /// The upload key from `issue-upload`.
    upload_key: String,
    /// The file name to commit as.
    name: String,
    /// The size the upload must have.
    #[arg(long)]
    size: Option<u64>,
    /// AUTO_RENAME (default), OVERWRITE or FAIL_IF_EXISTS.
    #[arg(long, default_value = "AUTO_RENAME")]
    conflict: String,
}

pub(crate) async fn run_issue(args: IssueArgs) -> CliResult {
    let oss = oss_storage(&args.app, Some(&args.element))?;
    let ticket = oss
        .issue_upload(&args.folder, args.size, Duration::from_secs(args.expires))
        .await?;
    if output::json() {
        return print_json(&ticket);
    }
    println!("upload key:  {}", ticket.upload_key);
    for url in &ticket.resource_urls {
        println!("resource:    {url}");
    }
    for (name, value) in &ticket.headers {
        println!("header:      {name}: {value}");
    }
    println!("expires in:  {} s", ticket.expiration_seconds);
    println!("PUT the file to the resource URL with exactly these headers and no Content-Type.");
    Ok(())
}

pub(crate) async fn run_commit(args: CommitArgs) -> CliResult {
    let oss = oss_storage(&args.app, Some(&args.element))?;
    let conflict: ConflictStrategy = args.conflict.parse()?;
    let done = oss
        .commit(&args.upload_key, &args.name, args.size, conflict)
        .await
        .map_err(|e| match (&e, args.size) {
            (WorkflowError::SizeMismatch { expected, .. }, Some(size)) if *expected == size => {
                format!("commit --size {size}: {e}").into()
            }
            _ => CliError::from(e),
        })?;
    if output::json() {
        return print_json(&done);
    }
    println!(
        "committed {} ({} bytes, etag {}){}",
        done.key,
        done.size,
        done.etag,
        if done.renamed { " [renamed]" } else { "" }
    );
    Ok(())
}
