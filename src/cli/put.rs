//! `jitstore put [ELEMENT] LOCAL_PATH KEY`: a local file, or stdin (`-`), to KEY; a byte
//! progress bar on a terminal (OssType: multipart parts combined); `--json` prints
//! `{"element", "key", "size", "url", "etag"}`.

use std::path::Path;

use jitstore::storages::{OssStorage, UploadOptions};
use jitstore::StorageHandle;
use serde_json::json;

use super::progress::{progress_bar, when_drawn};
use super::target::{split_element, storage_error};
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `put`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] LOCAL_PATH KEY: the storage element (omitted or `@default`: the app's default
    /// storage), the local file (`-` for stdin) and the object key.
    #[arg(num_args = 2..=3, required = true, value_name = "ARGS")]
    words: Vec<String>,
    /// Content type (default: application/octet-stream, or inferred by the Type).
    #[arg(long)]
    content_type: Option<String>,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let (element, rest) = split_element(&args.words, 2);
    let [local, key] = rest else {
        return Err("put takes [ELEMENT] LOCAL_PATH KEY".into());
    };
    let store = super::target::storage(&args.app, element)?;
    let content_type = args.content_type.as_deref();
    let (bar, progress) = progress_bar("put");
    let progress = when_drawn(&bar, progress);
    let result = if local == "-" {
        upload_stdin(&store, key, content_type, progress).await
    } else {
        upload_file(&store, key, Path::new(local), content_type, progress).await
    };
    bar.finish_and_clear();
    let result = result?;
    if output::json() {
        return print_json(&json!({
            "element": store.element(),
            "key": result.key,
            "size": result.size,
            "url": result.url,
            "etag": result.etag,
        }));
    }
    println!("uploaded {} ({} bytes)", result.key, result.size);
    println!("url:  {}", result.url);
    println!("etag: {}", result.etag);
    Ok(())
}

/// Streams the file; OssType reports every byte (parts combined), other Types when done.
async fn upload_file(
    store: &StorageHandle,
    key: &str,
    path: &Path,
    content_type: Option<&str>,
    progress: Option<jitstore_oss::transfer::ProgressFn>,
) -> Result<jitstore::UploadResult, Box<dyn std::error::Error + Send + Sync>> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if let Some(oss) = OssStorage::from_handle(store) {
        let mut transfer = oss.transfer_options().clone();
        transfer.progress = progress;
        let options = match content_type {
            Some(t) => UploadOptions::content_type(t),
            None => UploadOptions::default(),
        };
        return oss
            .upload_path_with(key, path, &options, &transfer)
            .await
            .map_err(|e| storage_error(store, jitstore::Operation::UploadPath, key, e));
    }
    let report = |done| {
        if let Some(progress) = &progress {
            progress(done, Some(size));
        }
    };
    report(0);
    let result = store.upload_path(key, path, content_type).await?;
    report(size);
    Ok(result)
}

/// Stdin: streamed on OssType; spooled to a temporary file for other Types (bounded memory
/// either way).
async fn upload_stdin(
    store: &StorageHandle,
    key: &str,
    content_type: Option<&str>,
    progress: Option<jitstore_oss::transfer::ProgressFn>,
) -> Result<jitstore::UploadResult, Box<dyn std::error::Error + Send + Sync>> {
    if let Some(oss) = OssStorage::from_handle(store) {
        let mut transfer = oss.transfer_options().clone();
        transfer.progress = progress;
        let options = match content_type {
            Some(t) => UploadOptions::content_type(t),
            None => UploadOptions::default(),
        };
        return oss
            .upload_stream(key, tokio::io::stdin(), None, &options, &transfer)
            .await
            .map_err(|e| storage_error(store, jitstore::Operation::UploadPath, key, e));
    }
    let spooled = super::stdio::spool_stdin().await?;
    upload_file(store, key, spooled.path(), content_type, progress).await
}
