//! AgentBay parity: `env_init` builds an OssType at run time from STS credentials; `upload` /
//! `download` move a file **or a whole directory**; `upload_anonymous` /
//! `download_anonymous` use presigned or public URLs without credentials. Every call returns a
//! [`TransferReport`] with one structured [`FileOutcome`] per file (key, size, ETag, CRC-64 or
//! the error), never a bare message string.
//!
//! Directory semantics: uploads walk `local_path` recursively (symbolic links are not
//! followed) and store each file at `prefix + relative path`, with `/` separators; downloads
//! list `prefix` and write each object at `local_path/<key minus prefix>`. A key that would
//! land outside the target directory (`..` or `.` segments, a leading `/`, a backslash, a NUL,
//! an empty segment, or a path through a symbolic link) is refused and reported, never
//! written. Files move concurrently ([`DIRECTORY_CONCURRENCY`] at a time), each one streamed;
//! downloads land in a temporary file renamed into place.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::{self, StreamExt, TryStreamExt};
use jitstore_element::App;
use jitstore_oss::encoding;
use jitstore_oss::transfer::{ProgressFn, TransferOptions};
use serde::Serialize;

use super::dify::BatchStatus;
use super::error::{redact_url, WorkflowError};
use super::listing_plan::plan_directory_download;
use super::names::{segment_problem, MAX_KEY_BYTES};
use super::plain_http;
use crate::error::{ErrorKind, StorageError};
use crate::handle::{into_element_object, StorageHandle};
use crate::oss::{OssConfig, OssStorage};
use crate::storage::Storage;
use crate::types::UploadOptions;
use crate::OSS_TYPE;

/// Files transferred at once by directory uploads and downloads.
pub const DIRECTORY_CONCURRENCY: usize = 4;

/// What `env_init` needs: STS temporary credentials and where the bucket is.
#[derive(Clone, Default)]
pub struct EnvInit {
    /// STS AccessKeyId.
    pub access_key_id: String,
    /// STS AccessKeySecret (never printed).
    pub access_key_secret: String,
    /// STS security token (required; never printed).
    pub security_token: String,
    /// The endpoint; `oss-<region>.aliyuncs.com` when absent.
    pub endpoint: Option<String>,
    /// The region (derived from official endpoints when absent).
    pub region: Option<String>,
    /// The bucket.
    pub bucket: String,
}

impl fmt::Debug for EnvInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvInit")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"******")
            .field("security_token", &"******")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .finish()
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Transferred.
    Success,
    /// The transfer failed.
    Error,
    /// Refused before any byte moved (a hostile key, a symbolic link).
    Refused,
}

/// One file of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileOutcome {
    /// The object key (or the URL, without its query, for anonymous transfers).
    pub key: String,
    /// The local file.
    pub path: Option<PathBuf>,
    /// What happened.
    pub status: FileStatus,
    /// Bytes moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The ETag (uploads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// CRC-64/XZ of the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc64: Option<u64>,
    /// Why it failed or was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileOutcome {
    pub(crate) fn succeeded(
        key: String,
        path: PathBuf,
        size: u64,
        etag: Option<String>,
        crc64: Option<u64>,
    ) -> Self {
        FileOutcome {
            key,
            path: Some(path),
            status: FileStatus::Success,
            size: Some(size),
            etag,
            crc64,
            error: None,
        }
    }

    pub(crate) fn failed(
        key: String,
        path: Option<PathBuf>,
        status: FileStatus,
        error: String,
    ) -> Self {
        FileOutcome {
            key,
            path,
            status,
            size: None,
            etag: None,
            crc64: None,
            error: Some(error),
        }
    }
}

/// The outcome of an upload or download of a file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferReport {
    /// `completed` only when every file succeeded.
    pub status: BatchStatus,
    /// Files transferred.
    pub success_count: usize,
    /// Files that failed or were refused.
    pub error_count: usize,
    /// Bytes transferred.
    pub bytes: u64,
    /// Per file, sorted by key.
    pub files: Vec<FileOutcome>,
}

impl TransferReport {
    pub(crate) fn from_files(mut files: Vec<FileOutcome>) -> TransferReport {
        files.sort_by(|a, b| a.key.cmp(&b.key));
        let success_count = files
            .iter()
            .filter(|f| f.status == FileStatus::Success)
            .count();
        let error_count = files.len() - success_count;
        TransferReport {
            status: BatchStatus::from_counts(success_count, error_count),
            success_count,
            error_count,
            bytes: files
                .iter()
                .filter(|f| f.status == FileStatus::Success)
                .filter_map(|f| f.size)
                .sum(),
            files,
        }
    }
}

/// Adds each file's progress into one running total for the whole transfer.
#[derive(Clone)]
pub(crate) struct Aggregate {
    done: Arc<AtomicU64>,
    total: Option<u64>,
    sink: Option<ProgressFn>,
}

impl Aggregate {
    pub(crate) fn new(total: Option<u64>, sink: Option<ProgressFn>) -> Aggregate {
        Aggregate {
            done: Arc::new(AtomicU64::new(0)),
            total,
            sink,
        }
    }

    /// A per-file callback feeding the total (per-file reports never go backwards).
    pub(crate) fn per_file(&self) -> Option<ProgressFn> {
        let sink = self.sink.clone()?;
        let done = self.done.clone();
        let total = self.total;
        let last = Arc::new(Mutex::new(0u64));
        Some(Arc::new(move |now: u64, _| {
            let delta = match last.lock() {
                Ok(mut l) => {
                    let d = now.saturating_sub(*l);
                    *l = (*l).max(now);
                    d
                }
                Err(_) => 0,
            };
            let all = done.fetch_add(delta, Ordering::Relaxed) + delta;
            sink(all, total);
        }))
    }

    fn transfer(&self, base: &TransferOptions) -> TransferOptions {
        let mut t = base.clone();
        if let Some(p) = self.per_file() {
            t.progress = Some(p);
        }
        t
    }
}

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
    /// Builds an OssType at run time from STS credentials (AgentBay's `env_init`).
    pub fn env_init(init: &EnvInit) -> Result<OssStorage, WorkflowError> {
        if init.security_token.trim().is_empty() {
            return Err(WorkflowError::invalid(
                "security_token",
                "env_init takes STS temporary credentials; the security token is required",
            ));
        }
        let endpoint = match (&init.endpoint, &init.region) {
            (Some(e), _) if !e.trim().is_empty() => e.trim().to_owned(),
            (_, Some(r)) if !r.trim().is_empty() => format!("oss-{}.aliyuncs.com", r.trim()),
            _ => {
                return Err(WorkflowError::invalid(
                    "endpoint",
                    "give an endpoint or a region",
                ))
            }
        };
        let config = OssConfig {
            access_key_id: Some(init.access_key_id.clone()),
            access_key_secret: Some(init.access_key_secret.clone()),
            security_token: Some(init.security_token.clone()),
            end_point: endpoint,
            bucket_name: init.bucket.clone(),
            region: init.region.clone().filter(|r| !r.trim().is_empty()),
            checkpoint_dir: Some(String::new()),
            ..OssConfig::default()
        };
        OssStorage::from_config(&config, |_| None, None).map_err(|p| {
            WorkflowError::InvalidEnvInit {
                field: p.field,
                message: p.message,
            }
        })
    }

    /// Registers this storage in `app` as the `storages.OssType` instance `full_name` (so
    /// `app.get_element(full_name)` returns it) and returns its handle.
    pub fn register_in(self, app: &App, full_name: &str) -> Result<StorageHandle, WorkflowError> {
        let storage: Arc<dyn Storage> = Arc::new(self);
        app.register_instance(full_name, OSS_TYPE, into_element_object(storage.clone()))
            .map_err(|e| WorkflowError::invalid("fullName", e.to_string()))?;
        Ok(StorageHandle::new(full_name, OSS_TYPE, storage))
    }

    /// AgentBay's verbs under their own names: `oss.agentbay().upload(prefix, path)`.
    /// (Inherent `upload`/`download` methods would shadow [`Storage::download`].)
    pub fn agentbay(&self) -> AgentBayOss<'_> {
        AgentBayOss(self)
    }

    /// Uploads a file to `key_or_prefix` (a key; or, ending in `/`, a folder for the file's
    /// own name) or a directory under the prefix `key_or_prefix`.
    pub async fn upload_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        self.upload_local_with_progress(key_or_prefix, local_path, None)
            .await
    }

    /// [`upload_local`](Self::upload_local) reporting `(bytes done, total)` over all files.
    pub async fn upload_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
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
        let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
        let base = self.transfer_options().clone();
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
                    match self
                        .upload_path_with(&key, &path, &UploadOptions::default(), &transfer)
                        .await
                    {
                        Ok(up) => {
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

    /// Downloads the object `key_or_prefix` to `local_path` (a file path, or an existing
    /// directory to hold it under its own name), or — when no such object exists or the
    /// argument ends in `/` — every object under that prefix into the directory `local_path`.
    pub async fn download_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        self.download_local_with_progress(key_or_prefix, local_path, None)
            .await
    }

    /// [`download_local`](Self::download_local) reporting `(bytes done, total)` over all files.
    pub async fn download_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
        let base = self.transfer_options().clone();
        if !key_or_prefix.is_empty() && !key_or_prefix.ends_with('/') {
            match Storage::get_object(self, key_or_prefix).await {
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
                    let outcome = self
                        .download_one(key_or_prefix.to_owned(), target, &aggregate.transfer(&base))
                        .await;
                    return Ok(TransferReport::from_files(vec![outcome]));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        let prefix = as_prefix(key_or_prefix);
        let listed: Vec<crate::types::ObjectInfo> =
            Storage::list(self, &prefix).try_collect().await?;
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
                async move { self.download_one(key, path, &transfer).await }
            })
            .buffer_unordered(DIRECTORY_CONCURRENCY)
            .collect()
            .await;
        files.extend(done);
        Ok(TransferReport::from_files(files))
    }

    /// Streams the object `key` into `writer` (stdout, a pipe) with bounded memory, reporting
    /// `(bytes done, size)`; returns the byte count. The metadata is read first (a missing
    /// object is a [`StorageError`] of kind [`ErrorKind::NotFound`]); the body's CRC-64 is checked at the end, after
    /// the bytes were written (a pipe cannot take them back), so a mismatch is an error after
    /// the fact.
    pub async fn download_to_writer<W>(
        &self,
        key: &str,
        writer: &mut W,
        progress: Option<ProgressFn>,
    ) -> Result<u64, StorageError>
    where
        W: tokio::io::AsyncWrite + Unpin,
    {
        use tokio::io::AsyncWriteExt;
        let info = Storage::get_object(self, key).await?;
        let got = self
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

/// Uploads a file with a plain HTTP PUT to `url` (presigned or public-write), without
/// credentials and without a Content-Type; or a directory, each file to `url` + its relative
/// path (only for URLs without a query: a presigned URL is valid for one key).
pub async fn upload_anonymous(
    url: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    let meta = tokio::fs::metadata(local_path)
        .await
        .map_err(|e| WorkflowError::io(local_path, e))?;
    let mut jobs: Vec<(String, PathBuf, u64)> = Vec::new();
    let mut files = Vec::new();
    if meta.is_file() {
        jobs.push((url.trim().to_owned(), local_path.to_path_buf(), meta.len()));
    } else {
        let base = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        if base.query().is_some() {
            return Err(WorkflowError::invalid(
                "url",
                "a directory needs a base URL without a query (a presigned URL covers one object only)",
            ));
        }
        let mut base_text = String::from(base);
        if !base_text.ends_with('/') {
            base_text.push('/');
        }
        for item in walk(local_path) {
            match item {
                Ok((rel, path, size)) => {
                    let encoded: Vec<String> =
                        rel.split('/').map(encoding::encode_strict).collect();
                    jobs.push((format!("{base_text}{}", encoded.join("/")), path, size));
                }
                Err(refused) => files.push(refused),
            }
        }
    }
    let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
    let done: Vec<FileOutcome> = stream::iter(jobs)
        .map(|(target, path, _)| {
            let per_file = aggregate.per_file();
            async move {
                match plain_http::put_file(&target, &[], &path, per_file.as_ref()).await {
                    Ok(put) => FileOutcome::succeeded(
                        redact_url(&target),
                        path,
                        put.size,
                        put.etag,
                        put.crc64,
                    ),
                    Err(e) => FileOutcome::failed(
                        redact_url(&target),
                        Some(path),
                        FileStatus::Error,
                        e.to_string(),
                    ),
                }
            }
        })
        .buffer_unordered(DIRECTORY_CONCURRENCY)
        .collect()
        .await;
    files.extend(done);
    Ok(TransferReport::from_files(files))
}

/// Downloads `url` (presigned or public) with a plain HTTP GET, without credentials, into
/// `local_path` (a file path, or an existing directory to hold it under the URL's file name),
/// through a temporary file renamed into place when complete.
///
/// A query-less URL whose path ends with `/` names a folder of a public-read bucket
/// (`http://127.0.0.1:9000/bucket/photos/` path-style for IP and `localhost` hosts, else
/// `https://bucket.oss-cn-hangzhou.aliyuncs.com/photos/`): it is listed anonymously
/// (ListObjectsV2) and every object under it is downloaded to `local_path` + its relative key;
/// keys that would land outside `local_path` are refused and reported, never written.
pub async fn download_anonymous(
    url: &str,
    local_path: &Path,
    progress: Option<ProgressFn>,
) -> Result<TransferReport, WorkflowError> {
    if let Some(folder) = PublicFolder::from_url(url)? {
        return folder.download(local_path, progress).await;
    }
    let target = if local_path.is_dir() {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        let name = parsed
            .path_segments()
            .and_then(|mut s| s.next_back().map(str::to_owned))
            .and_then(|s| encoding::decode(&s).ok())
            .filter(|n| segment_problem(n).is_none() && !n.contains('\\') && !n.contains('/'))
            .unwrap_or_else(|| "downloaded_file".to_owned());
        local_path.join(name)
    } else {
        local_path.to_path_buf()
    };
    let outcome = match plain_http::get_to_file(url.trim(), &target, progress.as_ref()).await {
        Ok(got) => FileOutcome::succeeded(redact_url(url), got.path, got.size, None, got.crc64),
        Err(e) => FileOutcome::failed(
            redact_url(url),
            Some(target),
            FileStatus::Error,
            e.to_string(),
        ),
    };
    Ok(TransferReport::from_files(vec![outcome]))
}

/// Downloads `url` (presigned or public) with a plain HTTP GET, without credentials, into
/// `writer` (e.g. stdout), streamed; returns the byte count. Length and CRC-64 are checked
/// when the answer carries them (after the bytes were written: a pipe cannot take them back).
pub async fn download_anonymous_to_writer<W>(
    url: &str,
    writer: &mut W,
    progress: Option<ProgressFn>,
) -> Result<u64, WorkflowError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    plain_http::get_to_writer(url.trim(), writer, progress.as_ref()).await
}

/// Largest listing page accepted from a server (1000 keys of 1023 bytes, URL-encoded, fit).
const MAX_LISTING_BYTES: usize = 16 * 1024 * 1024;

/// A folder of a public-read bucket named by a URL: the bucket's root URL and the key prefix.
struct PublicFolder {
    /// `scheme://host[:port]/` (virtual-hosted) or `scheme://host[:port]/bucket/` (path-style).
    root: String,
    /// The decoded key prefix, ending with `/` (or empty for the whole bucket).
    prefix: String,
}

impl PublicFolder {
    /// The folder a query-less URL ending with `/` names; `None` for any other URL.
    fn from_url(url: &str) -> Result<Option<PublicFolder>, WorkflowError> {
        let parsed = url::Url::parse(url.trim())
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        if parsed.query().is_some() || !parsed.path().ends_with('/') {
            return Ok(None);
        }
        let path = encoding::decode(parsed.path().trim_start_matches('/'))
            .map_err(|e| WorkflowError::invalid("url", format!("{}: {e}", redact_url(url))))?;
        let path_style = match parsed.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(_) => true,
            None => {
                return Err(WorkflowError::invalid(
                    "url",
                    format!("{} has no host", redact_url(url)),
                ))
            }
        };
        let mut root = parsed.clone();
        root.set_path("/");
        let mut root = String::from(root);
        let prefix = if path_style {
            let (bucket, rest) = path.split_once('/').unwrap_or((path.as_str(), ""));
            if encoding::validate_bucket_name(bucket).is_err() {
                return Err(WorkflowError::invalid(
                    "url",
                    format!(
                        "{} does not start with a bucket name (path-style for this host)",
                        redact_url(url)
                    ),
                ));
            }
            root.push_str(bucket);
            root.push('/');
            rest.to_owned()
        } else {
            path
        };
        Ok(Some(PublicFolder { root, prefix }))
    }

    /// The URL of one object of the bucket.
    fn object_url(&self, key: &str) -> String {
        let encoded: Vec<String> = key.split('/').map(encoding::encode_strict).collect();
        format!("{}{}", self.root, encoded.join("/"))
    }

    /// Every object under the prefix, listed anonymously page by page.
    async fn list(&self) -> Result<Vec<jitstore_oss::xml::ObjectSummary>, WorkflowError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = format!(
                "list-type=2&max-keys=1000&encoding-type=url&prefix={}",
                encoding::encode_strict(&self.prefix)
            );
            if let Some(token) = &token {
                query.push_str("&continuation-token=");
                query.push_str(&encoding::encode_strict(token));
            }
            let url = format!("{}?{query}", self.root);
            let body = plain_http::get_document(&url, MAX_LISTING_BYTES).await?;
            let page = jitstore_oss::xml::parse_list_objects_v2(&body).map_err(|e| {
                WorkflowError::invalid("url", format!("{}: {e}", redact_url(&self.root)))
            })?;
            objects.extend(page.contents);
            match page.next_continuation_token {
                Some(next) if page.is_truncated => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }

    /// Downloads every object under the prefix into `local_path`.
    async fn download(
        &self,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
        let listed = self.list().await?;
        if listed.is_empty() {
            return Err(WorkflowError::invalid(
                "url",
                format!(
                    "nothing under {}",
                    redact_url(&self.object_url(&self.prefix))
                ),
            ));
        }
        let plan = plan_directory_download(
            &self.prefix,
            listed.into_iter().map(|o| (o.key, o.size)),
            local_path,
        );
        let mut files = plan.refused;
        let jobs = plan.jobs;
        let aggregate = Aggregate::new(Some(jobs.iter().map(|j| j.2).sum()), progress);
        let done: Vec<FileOutcome> = stream::iter(jobs)
            .map(|(key, path, _)| {
                let per_file = aggregate.per_file();
                let url = self.object_url(&key);
                async move {
                    match plain_http::get_to_file(&url, &path, per_file.as_ref()).await {
                        Ok(got) => FileOutcome::succeeded(key, got.path, got.size, None, got.crc64),
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
}

/// AgentBay's OSS verbs on a storage (see [`OssStorage::agentbay`]).
#[derive(Debug, Clone, Copy)]
pub struct AgentBayOss<'a>(&'a OssStorage);

impl AgentBayOss<'_> {
    /// [`OssStorage::upload_local`]: a file or a directory to a key or prefix.
    pub async fn upload(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        self.0.upload_local(key_or_prefix, local_path).await
    }

    /// [`OssStorage::download_local`]: an object or a prefix to a file or a directory.
    pub async fn download(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        self.0.download_local(key_or_prefix, local_path).await
    }

    /// [`upload_anonymous`]: a plain PUT through a presigned or public-write URL.
    pub async fn upload_anonymous(
        &self,
        url: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        upload_anonymous(url, local_path, None).await
    }

    /// [`download_anonymous`]: a plain GET of a presigned or public URL.
    pub async fn download_anonymous(
        &self,
        url: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        download_anonymous(url, local_path, None).await
    }
}
