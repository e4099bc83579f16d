//! `jitstore sync-up ELEMENT LOCAL PREFIX` and `jitstore sync-down ELEMENT PREFIX LOCAL`:
//! AgentBay's upload/download of a file or a whole directory (recursive, key = prefix +
//! relative path, concurrent, streamed; hostile keys refused on the way down).

use std::path::{Path, PathBuf};

use jitstore::storages::workflows::{BatchStatus, FileStatus, TransferReport};

use super::oss_common::{oss_storage, print_json, progress_bar};
use super::CliResult;

/// Arguments of `sync-up`.
#[derive(Debug, clap::Args)]
pub(crate) struct UpArgs {
    /// The OssType element.
    element: String,
    /// A local file or directory.
    local: PathBuf,
    /// The key (for a file) or prefix (for a directory, or ending in `/`).
    prefix: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `sync-down`.
#[derive(Debug, clap::Args)]
pub(crate) struct DownArgs {
    /// The OssType element.
    element: String,
    /// An object key, or a prefix (ending in `/`, or naming no object).
    prefix: String,
    /// The local file or directory.
    local: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Prints a transfer report (text or JSON); an error when any file failed.
pub(crate) fn report(report: &TransferReport, json: bool) -> CliResult {
    if json {
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

pub(crate) async fn run_up(app: &Path, args: UpArgs) -> CliResult {
    let oss = oss_storage(app, &args.element)?;
    let (bar, progress) = progress_bar("sync-up");
    let result = oss
        .upload_local_with_progress(&args.prefix, &args.local, Some(progress))
        .await;
    bar.finish_and_clear();
    report(&result?, args.json)
}

pub(crate) async fn run_down(app: &Path, args: DownArgs) -> CliResult {
    let oss = oss_storage(app, &args.element)?;
    let (bar, progress) = progress_bar("sync-down");
    let result = oss
        .download_local_with_progress(&args.prefix, &args.local, Some(progress))
        .await;
    bar.finish_and_clear();
    report(&result?, args.json)
}
