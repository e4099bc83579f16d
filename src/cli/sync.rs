//! `jitstore sync-up ELEMENT LOCAL PREFIX` and `jitstore sync-down ELEMENT PREFIX LOCAL`:
//! AgentBay's upload/download of a file or a whole directory (recursive, key = prefix +
//! relative path, concurrent, streamed; hostile keys refused on the way down).

use std::path::Path;

use jitstore::storages::workflows::OssWorkflows;
use jitstore::storages::workflows::{BatchStatus, FileStatus, TransferReport};

use super::oss_common::StsArgs;
use super::progress::progress_bar;
use super::target::split_element;
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `sync-up`.
#[derive(Debug, clap::Args)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] LOCAL PREFIX: the storage element (omitted: env_init from STS credentials
    /// when given, else the app's default storage), a local file or directory, and the key
    /// (for a file) or prefix (for a directory, or ending in `/`).
    #[arg(num_args = 2..=3, required = true, value_name = "ARGS")]
    words: Vec<String>,
    #[command(flatten)]
    sts: StsArgs,
}

/// Arguments of `sync-down`.
#[derive(Debug, clap::Args)]
pub(crate) struct DownArgs {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] PREFIX LOCAL: the storage element (omitted: env_init from STS credentials
    /// when given, else the app's default storage), an object key or a prefix (ending in `/`,
    /// or naming no object), and the local file or directory (`-`: the object to stdout).
    #[arg(num_args = 2..=3, required = true, value_name = "ARGS")]
    words: Vec<String>,
    #[command(flatten)]
    sts: StsArgs,
}

/// Prints a transfer report (text or JSON); an error when any file failed.
pub(crate) fn report(report: &TransferReport) -> CliResult {
    if output::json() {
        print_json(report)?;
    } else {
        for f in &report.files {
            let path = f
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            match f.status {
                FileStatus::Success => println!(
                    "ok      {} <-> {} ({} bytes)",
                    f.key,
                    path,
                    f.size.unwrap_or(0)
                ),
                FileStatus::Error => {
                    println!("error   {}: {}", f.key, f.error.as_deref().unwrap_or(""))
                }
                FileStatus::Refused => {
                    println!("refused {}: {}", f.key, f.error.as_deref().unwrap_or(""))
                }
            }
        }
        println!(
            "{} files, {} bytes transferred, {} failed",
            report.success_count, report.bytes, report.error_count
        );
    }
    if report.status != BatchStatus::Completed {
        return Err(format!(
            "{} of {} files failed or were refused",
            report.error_count,
            report.files.len()
        )
        .into());
    }
    Ok(())
}

pub(crate) async fn run_up(args: UpArgs) -> CliResult {
    let (element, rest) = split_element(&args.words, 2);
    let [local, prefix] = rest else {
        return Err("sync-up takes [ELEMENT] LOCAL PREFIX".into());
    };
    let other = super::sync_any::other_type(&args.app, element, &args.sts)?;
    let spooled = if local == "-" {
        if prefix.is_empty() || prefix.ends_with('/') {
            return Err(format!(
                "sync-up - {prefix:?}: stdin has no file name; give a full object key"
            )
            .into());
        }
        Some(super::stdio::spool_stdin().await?)
    } else {
        None
    };
    let path = spooled.as_ref().map_or(Path::new(local), |s| s.path());
    if let Some(store) = other {
        return report(&super::sync_any::up(&store, path, prefix).await?);
    }
    let oss = args.sts.storage(&args.app, element)?;
    let (bar, progress) = progress_bar("sync-up");
    let result = oss
        .upload_local_with_progress(prefix, path, Some(progress))
        .await;
    bar.finish_and_clear();
    report(&result?)
}

pub(crate) async fn run_down(args: DownArgs) -> CliResult {
    let (element, rest) = split_element(&args.words, 2);
    let [prefix, local] = rest else {
        return Err("sync-down takes [ELEMENT] PREFIX LOCAL".into());
    };
    if let Some(store) = super::sync_any::other_type(&args.app, element, &args.sts)? {
        if local == "-" {
            super::sync_any::to_stdout(&store, prefix)
                .await
                .map_err(|e| format!("sync-down `{prefix}` to stdout: {e}"))?;
            return Ok(());
        }
        return report(&super::sync_any::down(&store, prefix, Path::new(local)).await?);
    }
    let oss = args.sts.storage(&args.app, element)?;
    if local == "-" {
        super::stdio::object_to_stdout(&oss, prefix)
            .await
            .map_err(|e| format!("sync-down `{prefix}` to stdout: {e}"))?;
        return Ok(());
    }
    let (bar, progress) = progress_bar("sync-down");
    let result = oss
        .download_local_with_progress(prefix, Path::new(local), Some(progress))
        .await;
    bar.finish_and_clear();
    report(&result?)
}
