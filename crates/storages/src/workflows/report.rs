//! What batch workflows report: one [`BatchReport`] (a [`BatchStatus`], counts and one result
//! per file), the [`FileOutcome`] of a directory or URL transfer, and the running progress
//! total over all files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jitstore_oss::transfer::{ProgressFn, TransferOptions};
use serde::Serialize;

/// How a batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Every file succeeded (or there were none).
    Completed,
    /// Some files failed.
    PartiallyFailed,
    /// Every file failed.
    Failed,
}

impl BatchStatus {
    /// From the counts.
    pub fn from_counts(success: usize, errors: usize) -> BatchStatus {
        match (success, errors) {
            (_, 0) => BatchStatus::Completed,
            (0, _) => BatchStatus::Failed,
            _ => BatchStatus::PartiallyFailed,
        }
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

/// What one file of a batch contributes to the batch's counts.
pub trait FileResult {
    /// Whether this file was transferred.
    fn is_success(&self) -> bool;
    /// Bytes transferred for this file (0 when it failed).
    fn bytes(&self) -> u64;
}

/// The one report of every batch workflow (directory and URL transfers, batch uploads): the
/// batch's status and counts, and one result per file (`F`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport<F> {
    /// `completed` only when every file succeeded.
    pub status: BatchStatus,
    /// Files transferred.
    pub success_count: usize,
    /// Files that failed or were refused.
    pub error_count: usize,
    /// Bytes transferred.
    pub bytes: u64,
    /// Per file (transfers: sorted by key; batch uploads: in input order).
    pub files: Vec<F>,
}

impl<F: FileResult> BatchReport<F> {
    /// The report over `files`, in the order given.
    pub fn from_files(files: Vec<F>) -> BatchReport<F> {
        let success_count = files.iter().filter(|f| f.is_success()).count();
        let error_count = files.len() - success_count;
        BatchReport {
            status: BatchStatus::from_counts(success_count, error_count),
            success_count,
            error_count,
            bytes: files.iter().map(FileResult::bytes).sum(),
            files,
        }
    }
}

impl FileResult for FileOutcome {
    fn is_success(&self) -> bool {
        self.status == FileStatus::Success
    }

    fn bytes(&self) -> u64 {
        if self.is_success() {
            self.size.unwrap_or(0)
        } else {
            0
        }
    }
}

/// The outcome of an upload or download of a file or directory.
pub type TransferReport = BatchReport<FileOutcome>;

impl TransferReport {
    /// The report over `files`, sorted by key.
    pub(crate) fn sorted_by_key(mut files: Vec<FileOutcome>) -> TransferReport {
        files.sort_by(|a, b| a.key.cmp(&b.key));
        BatchReport::from_files(files)
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
            let delta = {
                let mut l = jitstore_util::lock::lock(&last);
                let d = now.saturating_sub(*l);
                *l = (*l).max(now);
                d
            };
            let all = done.fetch_add(delta, Ordering::Relaxed) + delta;
            sink(all, total);
        }))
    }

    pub(crate) fn transfer(&self, base: &TransferOptions) -> TransferOptions {
        let mut t = base.clone();
        if let Some(p) = self.per_file() {
            t.progress = Some(p);
        }
        t
    }
}
