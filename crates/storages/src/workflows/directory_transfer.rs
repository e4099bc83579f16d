//! Directory transfer (AgentBay's `upload` / `download`): move a file **or a whole
//! directory** between the local disk and a key or prefix of the bucket. Every call returns
//! a [`TransferReport`] with one structured [`FileOutcome`] per file (key, size, ETag, CRC-64
//! or the error), never a bare message string.
//!
//! Directory semantics: uploads walk `local_path` recursively (symbolic links are not
//! followed) and store each file at `prefix + relative path`, with `/` separators; downloads
//! list `prefix` and write each object at `local_path/<key minus prefix>`. A key that would
//! land outside the target directory (`..` or `.` segments, a leading `/`, a backslash, a NUL,
//! an empty segment, or a path through a symbolic link) is refused and reported, never
//! written. Files move concurrently ([`DIRECTORY_CONCURRENCY`] at a time), each one streamed;
//! downloads land in a temporary file renamed into place.
//!
//! STS set-up (`env_init`) lives in [`env_init`](super::env_init), credential-less URL
//! transfers in [`anonymous_transfer`](super::anonymous_transfer).

use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt, TryStreamExt};
use jitstore_oss::transfer::{ProgressFn, TransferOptions};

use super::error::WorkflowError;
use super::listing_plan::plan_directory_download;
use super::names::{segment_problem, MAX_KEY_BYTES};
use super::report::{Aggregate, FileOutcome, FileStatus, TransferReport};
use crate::error::{ErrorKind, StorageError};
use crate::oss::OssStorage;
use crate::storage::Storage;
use crate::types::UploadOptions;

/// Files transferred at once by directory uploads and downloads.
pub const DIRECTORY_CONCURRENCY: usize = 4;

pub(crate) fn as_prefix(prefix: &str) -> String {
    let p = prefix.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

/// Files under `root` as (relative key part, path), or a refusal per entry.
pub(crate) fn walk(root: &Path) -> Vec<Result<(String, PathBuf, u64), FileOutcome>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf);
                out.push(Err(FileOutcome::failed(
                    path.as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    path,
                    FileStatus::Error,
                    e.to_string(),
                )));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = match path.strip_prefix(root) {
            Ok(r) => r,
            Err(_) => continue,
        };
        let mut parts = Vec::new();
        let mut bad = None;
        for c in rel.components() {
            match c.as_os_str().to_str() {
                Some(s) => parts.push(s.to_owned()),
                None => bad = Some("the file name is not valid UTF-8".to_owned()),
            }
        }
        let rel_key = parts.join("/");
        if ft.is_symlink() {
            bad = Some("symbolic links are not followed".to_owned());
        } else if !ft.is_file() {
            bad = Some("not a regular file".to_owned());
        }
        if let Some(reason) = bad {
            out.push(Err(FileOutcome::failed(
                rel_key,
                Some(path),
                FileStatus::Refused,
                reason,
            )));
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        out.push(Ok((rel_key, path, size)));
    }
    out
}

impl OssStorage {
    async fn download_one(
        &self,
        key: String,
        path: PathBuf,
        transfer: &TransferOptions,
    ) -> FileOutcome {
        match self.download_to_with(&key, &path, transfer).await {
            Ok(size) => FileOutcome::succeeded(key, path, size, None, None),
            Err(e) => FileOutcome::failed(key, Some(path), FileStatus::Error, e.to_string()),
        }
    }
}

/// The implementation of [`OssWorkflows::upload_local`](super::OssWorkflows::upload_local).
pub(crate) async fn upload_local(
    oss: &OssStorage,
    key_or_prefix: &str,
    local_path: &Path,
) -> Result<TransferReport, WorkflowError> {
    upload_local_with_progress(oss, key_or_prefix, local_path, None).await
}

/// What an upload of `local_path` to `key_or_prefix` will send: the (key, path, size) jobs,
/// and the entries refused before any byte is sent (as failed outcomes, keys prefixed). A file
/// goes to the key itself, or under the prefix by its name when the key is empty or ends in
/// `/`; a directory's files go under the prefix by their relative paths.
pub(crate) async fn plan_upload(
    key_or_prefix: &str,
    local_path: &Path,
) -> Result<(Vec<(String, PathBuf, u64)>, Vec<FileOutcome>), WorkflowError> {
    let meta = tokio::fs::metadata(local_path)
        .await
        .map_err(|e| WorkflowError::io(local_path, e))?;
    let mut jobs = Vec::new();
    let mut files = Vec::new();
    if meta.is_file() {
        let key = if key_or_prefix.is_empty() || key_or_prefix.ends_with('/') {
            let name = local_path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    WorkflowError::invalid("path", "the file name is not valid UTF-8")
                })?;
            format!("{}{name}", as_prefix(key_or_prefix))
        } else {
            key_or_prefix.to_owned()
        };
        jobs.push((key, local_path.to_path_buf(), meta.len()));
    } else {
        let prefix = as_prefix(key_or_prefix);
        for item in walk(local_path) {
            match item {
                Ok((rel, path, size)) => jobs.push((format!("{prefix}{rel}"), path, size)),
                Err(mut refused) => {
                    refused.key = format!("{prefix}{}", refused.key);
                    files.push(refused);
                }
            }
        }
    }
    Ok((jobs, files))
}

/// The implementation of [`OssWorkflows::upload_local_with_progress`](super::OssWorkflows::upload_local_with_progress).
pub(crate) async fn upload_local_with_progress(
    oss: &OssStorage,
    key_or_prefix: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let (jobs, mut files) = plan_upload(key_or_prefix, local_path).await?;
    let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
    let base = oss.transfer_options().clone();
    let done: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(key, path, _)| {
            let transfer = aggregate.transfer(&base);
            async move {
                if key.len() > MAX_KEY_BYTES {
                    return FileOutcome::failed(
                        key,
                        Some(path),
                        FileStatus::Refused,
                        format!("the key is longer than {MAX_KEY_BYTES} bytes"),
                    );
                }
                match oss
                    .upload_path_with(&key, &path, &UploadOptions::default(), &transfer)
                    .await
                {
                    Ok(up) => FileOutcome::succeeded(key, path, up.size, Some(up.etag), up.crc64),
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
    Ok(TransferReport::sorted_by_key(files))
}

/// The implementation of [`OssWorkflows::download_local`](super::OssWorkflows::download_local).
pub(crate) async fn download_local(
    oss: &OssStorage,
    key_or_prefix: &str,
    local_path: &Path,
) -> Result<TransferReport, WorkflowError> {
    download_local_with_progress(oss, key_or_prefix, local_path, None).await
}

/// The implementation of [`OssWorkflows::download_local_with_progress`](super::OssWorkflows::download_local_with_progress).
pub(crate) async fn download_local_with_progress(
    oss: &OssStorage,
    key_or_prefix: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let base = oss.transfer_options().clone();
    if !key_or_prefix.is_empty() && !key_or_prefix.ends_with('/') {
        match Storage::get_object(oss, key_or_prefix).await {
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
                        return Ok(TransferReport::sorted_by_key(vec![FileOutcome::failed(
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
                let outcome = oss
                    .download_one(key_or_prefix.to_owned(), target, &aggregate.transfer(&base))
                    .await;
                return Ok(TransferReport::sorted_by_key(vec![outcome]));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    let prefix = as_prefix(key_or_prefix);
    let listed: Vec<crate::types::ObjectInfo> = Storage::list(oss, &prefix).try_collect().await?;
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
    let jobs = plan.jobs;
    let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
    let done: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(key, path, _)| {
            let transfer = aggregate.transfer(&base);
            async move { oss.download_one(key, path, &transfer).await }
        })
        .buffer_unordered(DIRECTORY_CONCURRENCY)
        .collect()
        .await;
    files.extend(done);
    Ok(TransferReport::sorted_by_key(files))
}

/// The implementation of [`OssWorkflows::download_to_writer`](super::OssWorkflows::download_to_writer).
pub(crate) async fn download_to_writer<W>(
    oss: &OssStorage,
    key: &str,
    writer: &mut W,
    progress: Option<ProgressFn>,
) -> Result<u64, StorageError>
where
    W: tokio::io::AsyncWrite + Unpin + Send,
{
    use tokio::io::AsyncWriteExt;
    let info = Storage::get_object(oss, key).await?;
    let got = oss
        .client()
        .get_object(key, jitstore_oss::client::GetObjectOptions::default())
        .await
        .map_err(crate::oss::errors::map)?;
    let mut body = got.body;
    let mut done = 0u64;
    let io = StorageError::from;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(crate::oss::errors::map)?;
        writer.write_all(&chunk).await.map_err(io)?;
        done += chunk.len() as u64;
        if let Some(p) = &progress {
            p(done, Some(info.size));
        }
    }
    writer.flush().await.map_err(io)?;
    Ok(done)
}
