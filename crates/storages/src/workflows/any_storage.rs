//! AgentBay's file-or-directory `upload`/`download` on a storage element of any Type (the
//! S3 family, DiskType, plugins), through its [`StorageHandle`]: the same key mapping, the same
//! refusals (symbolic links, hostile keys on the way down, keys outside the prefix) and the same
//! [`TransferReport`] as the OssType methods in [`directory_transfer`](super::directory_transfer), with the
//! Type's own streaming `upload_path`/`download_to` (memory bounded) and progress reported per
//! finished file.

use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt, TryStreamExt};
use jitstore_oss::transfer::ProgressFn;

use super::directory_transfer::{as_prefix, plan_upload};
use super::error::WorkflowError;
use super::listing_plan::plan_directory_download;
use super::names::{segment_problem, MAX_KEY_BYTES};
use super::report::{Aggregate, FileOutcome, FileStatus, TransferReport};
use super::DIRECTORY_CONCURRENCY;
use crate::error::ErrorKind;
use crate::handle::StorageHandle;

/// Uploads a file to `key_or_prefix` (a key; or, ending in `/`, a folder for the file's own
/// name) or a directory under the prefix `key_or_prefix`, reporting `(bytes done, total)` as
/// files finish.
///
/// ```no_run
/// # async fn demo(store: jitstore_storages::StorageHandle) -> Result<(), Box<dyn std::error::Error>> {
/// use jitstore_storages::workflows::any_storage::upload_local;
///
/// let report = upload_local(&store, "backup/", std::path::Path::new("./photos"), None).await?;
/// println!("{} files, {} bytes", report.success_count, report.bytes);
/// # Ok(()) }
/// ```
pub async fn upload_local(
    store: &StorageHandle,
    key_or_prefix: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let (jobs, mut files) = plan_upload(key_or_prefix, local_path).await?;
    let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
    let done: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(key, path, _)| {
            let report = aggregate.per_file();
            async move {
                if key.len() > MAX_KEY_BYTES {
                    return FileOutcome::failed(
                        key,
                        Some(path),
                        FileStatus::Refused,
                        format!("the key is longer than {MAX_KEY_BYTES} bytes"),
                    );
                }
                match store.upload_path(&key, &path, None).await {
                    Ok(up) => {
                        if let Some(report) = report {
                            report(up.size, Some(up.size));
                        }
                        FileOutcome::succeeded(key, path, up.size, Some(up.etag), up.crc64)
                    }
                    Err(e) => {
                        FileOutcome::failed(key, Some(path), FileStatus::Error, e.to_string())
                    }
                }
            }
        })
        .buffer_unordered(DIRECTORY_CONCURRENCY)
        .collect()
        .await;
    files.extend(done);
    Ok(TransferReport::from_files(files))
}

/// Downloads the object `key_or_prefix` to `local_path` (a file path, or an existing directory
/// to hold it under its own name), or — when no such object exists or the argument ends in `/`
/// — every object under that prefix into the directory `local_path`, refusing keys that would
/// leave it.
pub async fn download_local(
    store: &StorageHandle,
    key_or_prefix: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let storage = store.storage();
    if !key_or_prefix.is_empty() && !key_or_prefix.ends_with('/') {
        match storage.get_object(key_or_prefix).await {
            Ok(info) => {
                let names_a_folder = local_path.is_dir()
                    || local_path
                        .as_os_str()
                        .to_string_lossy()
                        .ends_with(['/', '\\']);
                let target = if names_a_folder {
                    let name = key_or_prefix.rsplit('/').next().unwrap_or(key_or_prefix);
                    if let Some(problem) = segment_problem(name).or_else(|| {
                        (name.contains('\\') || name.contains('\0'))
                            .then(|| "the name contains a path separator or NUL".to_owned())
                    }) {
                        return Ok(TransferReport::from_files(vec![FileOutcome::failed(
                            key_or_prefix.to_owned(),
                            None,
                            FileStatus::Refused,
                            problem,
                        )]));
                    }
                    tokio::fs::create_dir_all(local_path)
                        .await
                        .map_err(|e| WorkflowError::io(local_path, e))?;
                    local_path.join(name)
                } else {
                    local_path.to_path_buf()
                };
                let aggregate = Aggregate::new(Some(info.size), progress);
                let outcome =
                    download_one(store, key_or_prefix.to_owned(), target, &aggregate).await;
                return Ok(TransferReport::from_files(vec![outcome]));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    let prefix = as_prefix(key_or_prefix);
    let listed: Vec<crate::types::ObjectInfo> = storage.list(&prefix).try_collect().await?;
    if listed.is_empty() {
        return Err(WorkflowError::invalid(
            "key_or_prefix",
            format!("no object {key_or_prefix:?} and nothing under the prefix {prefix:?}"),
        ));
    }
    tokio::fs::create_dir_all(local_path)
        .await
        .map_err(|e| WorkflowError::io(local_path, e))?;
    let plan = plan_directory_download(
        &prefix,
        listed.into_iter().map(|o| (o.key, o.size)),
        local_path,
    );
    let mut files = plan.refused;
    let aggregate = Aggregate::new(Some(plan.jobs.iter().map(|j| j.2).sum()), progress);
    let done: Vec<FileOutcome> = stream::iter(plan.jobs)
        .map(|(key, path, _)| download_one(store, key, path, &aggregate))
        .buffer_unordered(DIRECTORY_CONCURRENCY)
        .collect()
        .await;
    files.extend(done);
    Ok(TransferReport::from_files(files))
}

async fn download_one(
    store: &StorageHandle,
    key: String,
    path: PathBuf,
    aggregate: &Aggregate,
) -> FileOutcome {
    match store.download_to(&key, &path).await {
        Ok(size) => {
            if let Some(report) = aggregate.per_file() {
                report(size, Some(size));
            }
            FileOutcome::succeeded(key, path, size, None, None)
        }
        Err(e) => FileOutcome::failed(key, Some(path), FileStatus::Error, e.to_string()),
    }
}
