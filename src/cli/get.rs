//! `jitstore get [ELEMENT] KEY LOCAL_PATH`: KEY to a local file, or stdout (`-`); a byte
//! progress bar on a terminal (OssType: ranged parts combined); `--json` prints
//! `{"element", "key", "size", "path"}` (nothing when the object itself goes to stdout).

use std::path::Path;

use jitstore::storages::OssStorage;
use jitstore::StorageHandle;
use serde_json::json;

use super::progress::{progress_bar, when_drawn};
use super::target::{split_element, storage_error};
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `get`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] KEY LOCAL_PATH: the storage element (omitted or `@default`: the app's default
    /// storage), the object key, and where to write it (`-` for stdout).
    #[arg(num_args = 2..=3, required = true, value_name = "ARGS")]
    words: Vec<String>,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let (element, rest) = split_element(&args.words, 2);
    let [key, local] = rest else {
        return Err("get takes [ELEMENT] KEY LOCAL_PATH".into());
    };
    let store = super::target::storage(&args.app, element)?;
    if local == "-" {
        return to_stdout(&store, key).await;
    }
    let (bar, progress) = progress_bar("get");
    let path = Path::new(local);
    let written = download_file(&store, key, path, when_drawn(&bar, progress)).await;
    bar.finish_and_clear();
    let written = written?;
    if output::json() {
        return print_json(&json!({
            "element": store.element(),
            "key": key,
            "size": written,
            "path": path,
        }));
    }
    eprintln!("downloaded {key} ({written} bytes) to {}", path.display());
    Ok(())
}

/// The object on stdout, streamed with bounded memory (with progress on OssType).
async fn to_stdout(store: &StorageHandle, key: &str) -> CliResult {
    if let Some(oss) = OssStorage::from_handle(store) {
        super::stdio::object_to_stdout(oss, key)
            .await
            .map_err(|e| storage_error(store, jitstore::Operation::Download, key, e))?;
        return Ok(());
    }
    super::sync_any::to_stdout(store, key).await?;
    Ok(())
}

/// OssType reports every byte (ranged parts combined); other Types report when done.
async fn download_file(
    store: &StorageHandle,
    key: &str,
    path: &Path,
    progress: Option<jitstore_oss::transfer::ProgressFn>,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    if let Some(oss) = OssStorage::from_handle(store) {
        let mut transfer = oss.transfer_options().clone();
        transfer.progress = progress;
        return oss
            .download_to_with(key, path, &transfer)
            .await
            .map_err(|e| storage_error(store, jitstore::Operation::DownloadTo, key, e));
    }
    let written = store.download_to(key, path).await?;
    if let Some(progress) = progress {
        progress(written, Some(written));
    }
    Ok(written)
}
