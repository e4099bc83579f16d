//! The streaming writer of the core: [`ObjectWriter`], what a Type's
//! [`write`](crate::Storage::write) returns.
//!
//! A writer takes the object's bytes in order, keeps memory bounded (a Type uploads a part, or
//! writes to a temporary file, as data arrives), and makes the object visible only at
//! [`finish`](ObjectWriter::finish) — atomically, never half-written. A writer dropped without
//! `finish` (or explicitly [`abort`](ObjectWriter::abort)ed) leaves nothing behind: a
//! multipart upload is aborted, a temporary file removed.
//!
//! [`SpooledWriter`] is a ready writer for Types that can only store a finished file or a
//! whole body: it spools to a temporary file and hands it over at `finish`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::io::AsyncWriteExt;

use crate::error::{ErrorKind, StorageError};
use crate::types::UploadResult;

/// The writer of one object: bytes in order, bounded memory, visible only at `finish`, nothing
/// left behind when dropped unfinished or aborted.
#[async_trait]
pub trait ObjectWriter: Send {
    /// Appends `data` to the object. May upload a part (or write to a temporary file) before
    /// returning; memory stays bounded by the Type's part size.
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError>;

    /// Completes the object and makes it visible; returns what an upload returns. Calling
    /// `write` or `finish` after it is an error.
    async fn finish(&mut self) -> Result<UploadResult, StorageError>;

    /// Abandons the object: nothing becomes visible, uploaded parts are discarded.
    async fn abort(&mut self) -> Result<(), StorageError>;
}

/// The error of using a writer after `finish` or `abort`.
pub(crate) fn writer_closed() -> StorageError {
    StorageError::new(
        ErrorKind::InvalidArgument,
        "the writer is already finished or aborted",
    )
}

/// What a [`SpooledWriter`] calls at `finish`: the spooled file's path and size in, the upload
/// result out.
pub type SpoolCommit =
    Box<dyn FnOnce(PathBuf, u64) -> BoxFuture<'static, Result<UploadResult, StorageError>> + Send>;

/// An [`ObjectWriter`] that spools the bytes to a temporary file (bounded memory) and hands
/// the finished file to a commit function at [`finish`](ObjectWriter::finish); the temporary
/// file is removed afterwards, on abort and on drop.
pub struct SpooledWriter {
    file: Option<tokio::fs::File>,
    temp: Option<tempfile::TempPath>,
    size: u64,
    commit: Option<SpoolCommit>,
}

impl std::fmt::Debug for SpooledWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpooledWriter")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl SpooledWriter {
    /// A writer spooling into a new temporary file in `dir` (the system temporary folder when
    /// `None`), calling `commit` at `finish`.
    pub fn new(dir: Option<&Path>, commit: SpoolCommit) -> Result<SpooledWriter, StorageError> {
        let named = match dir {
            Some(dir) => tempfile::NamedTempFile::new_in(dir),
            None => tempfile::NamedTempFile::new(),
        }
        .map_err(|e| StorageError::io(dir.unwrap_or(&std::env::temp_dir()), e))?;
        let (file, temp) = named.into_parts();
        Ok(SpooledWriter {
            file: Some(tokio::fs::File::from_std(file)),
            temp: Some(temp),
            size: 0,
            commit: Some(commit),
        })
    }

    /// Bytes spooled so far.
    pub fn size(&self) -> u64 {
        self.size
    }
}

#[async_trait]
impl ObjectWriter for SpooledWriter {
    async fn write(&mut self, data: Bytes) -> Result<(), StorageError> {
        let (Some(file), Some(temp)) = (self.file.as_mut(), self.temp.as_ref()) else {
            return Err(writer_closed());
        };
        file.write_all(&data)
            .await
            .map_err(|e| StorageError::io(temp.to_path_buf(), e))?;
        self.size += data.len() as u64;
        Ok(())
    }

    async fn finish(&mut self) -> Result<UploadResult, StorageError> {
        let (Some(mut file), Some(temp), Some(commit)) =
            (self.file.take(), self.temp.take(), self.commit.take())
        else {
            return Err(writer_closed());
        };
        file.flush()
            .await
            .map_err(|e| StorageError::io(temp.to_path_buf(), e))?;
        drop(file);
        let result = commit(temp.to_path_buf(), self.size).await;
        drop(temp);
        result
    }

    async fn abort(&mut self) -> Result<(), StorageError> {
        self.file = None;
        self.commit = None;
        if let Some(temp) = self.temp.take() {
            let path = temp.to_path_buf();
            temp.close().map_err(|e| StorageError::io(path, e))?;
        }
        Ok(())
    }
}
