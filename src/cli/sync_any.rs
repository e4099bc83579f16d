//! `sync-up`/`sync-down` and `get -` on elements that are not of `storages.OssType` (the S3
//! family, DiskType, plugins): the element's handle, the Type-neutral directory transfer of
//! `storages::workflows::any_storage`, and objects streamed to stdout.

use std::path::Path;

use jitstore::storages::workflows::any_storage;
use jitstore::storages::workflows::TransferReport;
use jitstore::storages::OssStorage;
use jitstore::{ReadOptions, StorageHandle};
use tokio::io::AsyncWriteExt;

use super::oss_common::StsArgs;
use super::progress::progress_bar;
use super::target::storage;
use super::{AppArg, CliError};

/// The element's handle when a sync verb goes the Type-neutral way: an element (named, or the
/// default storage) that is not an OssType, and no env_init (STS credentials without an
/// ELEMENT). `None` means the OssType way.
pub(crate) fn other_type(
    app: &AppArg,
    element: Option<&str>,
    sts: &StsArgs,
) -> Result<Option<StorageHandle>, CliError> {
    if element.is_none() && sts.has_credentials() {
        return Ok(None);
    }
    let handle = storage(app, element)?;
    if OssStorage::from_handle(&handle).is_some() {
        return Ok(None);
    }
    if sts.has_bucket() {
        return Err(format!(
            "--bucket: the bucket of {} is fixed by its config; --bucket applies to env_init \
             (STS credentials without ELEMENT)",
            handle.element()
        )
        .into());
    }
    Ok(Some(handle))
}

/// Uploads a file or directory under `prefix` (see [`any_storage::upload_local`]).
pub(crate) async fn up(
    store: &StorageHandle,
    local: &Path,
    prefix: &str,
) -> Result<TransferReport, CliError> {
    let (bar, progress) = progress_bar("sync-up");
    let result = any_storage::upload_local(store, prefix, local, Some(progress)).await;
    bar.finish_and_clear();
    result.map_err(|e| in_element(store, "sync-up", prefix, e))
}

/// Downloads an object or a prefix into `local` (see [`any_storage::download_local`]).
pub(crate) async fn down(
    store: &StorageHandle,
    prefix: &str,
    local: &Path,
) -> Result<TransferReport, CliError> {
    let (bar, progress) = progress_bar("sync-down");
    let result = any_storage::download_local(store, prefix, local, Some(progress)).await;
    bar.finish_and_clear();
    result.map_err(|e| in_element(store, "sync-down", prefix, e))
}

/// The handle's error of the streaming `read`, reported as the `download` it serves (same
/// element, declared Type chain, key and cause).
fn as_download(error: jitstore::storages::Error) -> jitstore::storages::Error {
    jitstore::storages::Error::new(
        error.element().into(),
        error.type_name().into(),
        jitstore::Operation::Download,
        error.key().map(str::to_owned),
        error.into_storage_error(),
    )
}

/// `error` of `verb` on `prefix`, naming the element and its Type.
fn in_element(
    store: &StorageHandle,
    verb: &str,
    prefix: &str,
    error: impl std::fmt::Display,
) -> CliError {
    format!(
        "{} ({}): {verb} `{prefix}`: {error}",
        store.element(),
        store.type_name()
    )
    .into()
}

/// Streams the object `key` to stdout with bounded memory; returns the byte count. Errors
/// name the operation `download`, as the OssType path and the JitAI method do.
pub(crate) async fn to_stdout(store: &StorageHandle, key: &str) -> Result<u64, CliError> {
    let read = store
        .read(key, &ReadOptions::new())
        .await
        .map_err(as_download)?;
    let mut body = read.into_async_read();
    let mut stdout = tokio::io::stdout();
    let written = tokio::io::copy(&mut body, &mut stdout).await?;
    stdout.flush().await?;
    Ok(written)
}
