//! [`OssWorkflows`]: the workflows as an extension trait of [`OssStorage`], so the storage's
//! own surface stays the storages.Meta interface and the workflows come in with one `use`.
//! Each method is implemented in the module named by what it does.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jitstore_element::App;
use jitstore_oss::transfer::ProgressFn;

use super::{
    directory_transfer, env_init, key_layout, presign_debug, staged_upload, url_fetch,
    CommittedObject, ConflictStrategy, DifyFile, DifyUploadOptions, DifyUploadResult, EnvInit,
    ExplainedPresign, FetchedFile, MultiUploadReport, ResolvedUrl, TransferReport, UploadTicket,
    UrlPolicy, WorkflowError,
};
use crate::error::StorageError;
use crate::handle::StorageHandle;
use crate::oss::OssStorage;
use crate::types::SignUrlRequest;

/// The OSS workflows (key layout, directory transfer, staged upload, URL fetch, presign
/// debugging, STS set-up) on an [`OssStorage`]: `use jitstore_storages::workflows::OssWorkflows`
/// and call them as methods.
///
/// ```no_run
/// # async fn demo(oss: &jitstore_storages::OssStorage) -> Result<(), Box<dyn std::error::Error>> {
/// use jitstore_storages::workflows::OssWorkflows;
///
/// let report = oss.upload_local("backup/run1/", "./results".as_ref()).await?;
/// println!("{} files, {} bytes", report.success_count, report.bytes);
/// # Ok(()) }
/// ```
#[async_trait]
pub trait OssWorkflows {
    /// Uploads one local file the Dify way (see the [module docs](super::key_layout)); the
    /// file is streamed (multipart above the element's threshold).
    async fn upload_file(
        &self,
        file: &DifyFile,
        options: &DifyUploadOptions,
    ) -> Result<DifyUploadResult, WorkflowError>;

    /// Uploads several files concurrently (`options.concurrency` at a time; `options.filename`
    /// is ignored). A failure affects only its own file; the report's status says whether
    /// any failed.
    ///
    /// Every key is computed before any byte moves, at one instant for the whole batch. Files
    /// whose keys collide (`a/b.png` and `c/b.png` into one directory) are not uploaded: each
    /// gets an error naming the key and the other inputs, so one never silently replaces
    /// another.
    async fn multi_upload_files(
        &self,
        files: &[DifyFile],
        options: &DifyUploadOptions,
    ) -> MultiUploadReport;

    /// Uploads a file to `key_or_prefix` (a key; or, ending in `/`, a folder for the file's
    /// own name) or a directory under the prefix `key_or_prefix`.
    async fn upload_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError>;

    /// [`upload_local`](Self::upload_local) reporting `(bytes done, total)` over all files.
    async fn upload_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError>;

    /// Downloads the object `key_or_prefix` to `local_path` (a file path, or an existing
    /// directory to hold it under its own name), or — when no such object exists or the
    /// argument ends in `/` — every object under that prefix into the directory `local_path`.
    async fn download_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError>;

    /// [`download_local`](Self::download_local) reporting `(bytes done, total)` over all files.
    async fn download_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError>;

    /// Streams the object `key` into `writer` (stdout, a pipe) with bounded memory, reporting
    /// `(bytes done, size)`; returns the byte count. The metadata is read first (a missing
    /// object is a [`StorageError`] of kind [`ErrorKind::NotFound`](crate::error::ErrorKind::NotFound)); the body's CRC-64 is checked at the end, after
    /// the bytes were written (a pipe cannot take them back), so a mismatch is an error after
    /// the fact.
    async fn download_to_writer<W>(
        &self,
        key: &str,
        writer: &mut W,
        progress: Option<ProgressFn>,
    ) -> Result<u64, StorageError>
    where
        W: tokio::io::AsyncWrite + Unpin + Send;

    /// Builds an OssType at run time from STS credentials (AgentBay's `env_init`).
    fn env_init(init: &EnvInit) -> Result<OssStorage, WorkflowError>
    where
        Self: Sized;

    /// Registers this storage in `app` as the `storages.OssType` instance `full_name` (so
    /// `app.get_element(full_name)` returns it) and returns its handle.
    fn register_in(self, app: &App, full_name: &str) -> Result<StorageHandle, WorkflowError>
    where
        Self: Sized;

    /// Step 1: a ticket for uploading `size` bytes, to be committed into `folder` (a key
    /// prefix such as `team/docs`, or `""` for the bucket root), valid for `expires` (1 s to
    /// 15 min).
    async fn issue_upload(
        &self,
        folder: &str,
        size: u64,
        expires: Duration,
    ) -> Result<UploadTicket, WorkflowError>;

    /// Step 3: commits the staged upload of `upload_key` as `name` in the ticket's folder.
    /// `expected_size`, when given, must match the announced and the uploaded size.
    async fn commit(
        &self,
        upload_key: &str,
        name: &str,
        expected_size: Option<u64>,
        conflict: ConflictStrategy,
    ) -> Result<CommittedObject, WorkflowError>;

    /// Maps `url` to an object key of this bucket (or to an allowed foreign host), refusing
    /// anything else. No network access.
    fn resolve_url(&self, url: &str, policy: &UrlPolicy) -> Result<ResolvedUrl, WorkflowError>;

    /// Fetches the object named by `url` into `dest` (a file path, or an existing directory to
    /// put the file in under its own name), streamed through a temporary file and renamed into
    /// place once complete and CRC-checked.
    async fn get_file_by_url(
        &self,
        url: &str,
        policy: &UrlPolicy,
        dest: &Path,
    ) -> Result<FetchedFile, WorkflowError>;

    /// [`get_file_by_url`](Self::get_file_by_url) reporting `(bytes done, total)`.
    async fn get_file_by_url_with_progress(
        &self,
        url: &str,
        policy: &UrlPolicy,
        dest: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<FetchedFile, WorkflowError>;

    /// Presigns `request` as if the time were `at` (now when `None`), with the element's
    /// signature version, returning the URL and the canonical texts. The same inputs always
    /// give the same URL: the one [`Storage::sign_url`](crate::Storage::sign_url) gives at
    /// that time, since both go through the client's one presign entry
    /// ([`Client::presign`](jitstore_oss::client::Client::presign)) with the same options.
    async fn presign_explained(
        &self,
        request: &SignUrlRequest,
        at: Option<DateTime<Utc>>,
    ) -> Result<ExplainedPresign, WorkflowError>;
}

#[async_trait]
impl OssWorkflows for OssStorage {
    async fn upload_file(
        &self,
        file: &DifyFile,
        options: &DifyUploadOptions,
    ) -> Result<DifyUploadResult, WorkflowError> {
        key_layout::upload_file(self, file, options).await
    }

    async fn multi_upload_files(
        &self,
        files: &[DifyFile],
        options: &DifyUploadOptions,
    ) -> MultiUploadReport {
        key_layout::multi_upload_files(self, files, options).await
    }

    async fn upload_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        directory_transfer::upload_local(self, key_or_prefix, local_path).await
    }

    async fn upload_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
        directory_transfer::upload_local_with_progress(self, key_or_prefix, local_path, progress)
            .await
    }

    async fn download_local(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
    ) -> Result<TransferReport, WorkflowError> {
        directory_transfer::download_local(self, key_or_prefix, local_path).await
    }

    async fn download_local_with_progress(
        &self,
        key_or_prefix: &str,
        local_path: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<TransferReport, WorkflowError> {
        directory_transfer::download_local_with_progress(self, key_or_prefix, local_path, progress)
            .await
    }

    async fn download_to_writer<W>(
        &self,
        key: &str,
        writer: &mut W,
        progress: Option<ProgressFn>,
    ) -> Result<u64, StorageError>
    where
        W: tokio::io::AsyncWrite + Unpin + Send,
    {
        directory_transfer::download_to_writer(self, key, writer, progress).await
    }

    fn env_init(init: &EnvInit) -> Result<OssStorage, WorkflowError>
    where
        Self: Sized,
    {
        env_init::env_init(init)
    }

    fn register_in(self, app: &App, full_name: &str) -> Result<StorageHandle, WorkflowError>
    where
        Self: Sized,
    {
        env_init::register_in(self, app, full_name)
    }

    async fn issue_upload(
        &self,
        folder: &str,
        size: u64,
        expires: Duration,
    ) -> Result<UploadTicket, WorkflowError> {
        staged_upload::issue_upload(self, folder, size, expires).await
    }

    async fn commit(
        &self,
        upload_key: &str,
        name: &str,
        expected_size: Option<u64>,
        conflict: ConflictStrategy,
    ) -> Result<CommittedObject, WorkflowError> {
        staged_upload::commit(self, upload_key, name, expected_size, conflict).await
    }

    fn resolve_url(&self, url: &str, policy: &UrlPolicy) -> Result<ResolvedUrl, WorkflowError> {
        url_fetch::resolve_url(self, url, policy)
    }

    async fn get_file_by_url(
        &self,
        url: &str,
        policy: &UrlPolicy,
        dest: &Path,
    ) -> Result<FetchedFile, WorkflowError> {
        url_fetch::get_file_by_url(self, url, policy, dest).await
    }

    async fn get_file_by_url_with_progress(
        &self,
        url: &str,
        policy: &UrlPolicy,
        dest: &Path,
        progress: Option<ProgressFn>,
    ) -> Result<FetchedFile, WorkflowError> {
        url_fetch::get_file_by_url_with_progress(self, url, policy, dest, progress).await
    }

    async fn presign_explained(
        &self,
        request: &SignUrlRequest,
        at: Option<DateTime<Utc>>,
    ) -> Result<ExplainedPresign, WorkflowError> {
        presign_debug::presign_explained(self, request, at).await
    }
}
