//! The `storages.Meta` interface: the [`Storage`] trait every storage Type implements — a small
//! streaming core plus JitAI's friendly methods built on it.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::StreamExt;
use jitstore_util::atomic_file::AtomicFile;
use tokio::io::AsyncReadExt;

use crate::capability::Capabilities;
use crate::error::{ErrorKind, StorageError};
use crate::list::{ListOptions, ListResult, ObjectStream};
use crate::read::{ReadOptions, ReadResult};
use crate::types::{ObjectInfo, Operation, SignUrlRequest, SignedUrl, UploadOptions, UploadResult};
use crate::write::ObjectWriter;

/// The chunk size the default methods stream local files with.
const FILE_CHUNK: usize = 1 << 20;

/// JitAI's storage interface (`storages.Meta`), async and object-safe.
///
/// **The core** — what every Type implements natively, in the spirit of `object_store`'s
/// `ObjectStore`: [`capabilities`](Self::capabilities), [`stat`](Self::stat),
/// [`read`](Self::read) (a stream, optionally of a byte range, optionally conditional on the
/// ETag), [`write`](Self::write) (a streaming [`ObjectWriter`] that becomes a multipart upload
/// where the Type has one), [`delete`](Self::delete), [`list_with`](Self::list_with) (recursive,
/// with start-after) and [`list_with_delimiter`](Self::list_with_delimiter) (one level: objects
/// plus common prefixes; the default groups a recursive listing).
///
/// **The JitAI surface** — `upload_by_file`, `get_sign_url`, `download`, `get_object`,
/// `delete`, plus `upload_with`, `upload_path`, `download_to`, `exists`, `list` — has default
/// bodies built on the core; a Type overrides one only to do better (OssType's parallel
/// multipart uploads and ranged downloads). Note that JitAI's `getObject` returns *metadata*,
/// not content: here it is [`get_object`](Self::get_object) = [`stat`](Self::stat).
///
/// Keys are `/`-separated object names (`docs/a.txt`). Operations a Type cannot do return
/// [`ErrorKind::Unsupported`]; [`capabilities`](Self::capabilities) says up front which ones
/// work and the limits that apply. Most users call these through a
/// [`StorageHandle`](crate::StorageHandle), which applies JitAI's defaults and names the
/// element, Type, operation and key in every error. Every Type passes the behaviour suite
/// (`jitstore_storages::testkit`, feature `testkit`).
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// What this storage can do, and its limits.
    fn capabilities(&self) -> Capabilities;

    /// The concrete storage, for Type-specific APIs (e.g. `OssStorage::from_handle`); `None`
    /// unless the Type opts in.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    // ----- the core -----

    /// The object's metadata, or [`ErrorKind::NotFound`].
    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError>;

    /// The object's metadata and a stream of its bytes (of `options.range` when given), with
    /// bounded memory whatever the object's size. See [`ByteRange`](crate::ByteRange) for the
    /// range rules; a failed `If-Match` is [`ErrorKind::ConditionNotMatch`], a matching
    /// `If-None-Match` [`ErrorKind::NotModified`].
    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError>;

    /// A writer for `name`; the object appears (atomically, replacing any previous one) when
    /// the writer finishes, and never if it is dropped unfinished.
    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError>;

    /// Deletes the object (JitAI `delete`). Deleting a missing object succeeds, as on OSS.
    async fn delete(&self, name: &str) -> Result<(), StorageError>;

    /// Every object matching `options` (prefix, start-after), recursively, in key order.
    fn list_with(&self, options: &ListOptions) -> ObjectStream;

    /// One level under `prefix`: the objects with no `/` after it and the common prefixes
    /// (`prefix + segment + "/"`) of the deeper ones, both in order. The default groups
    /// [`list_with`](Self::list_with); Types with a native delimiter listing override it.
    async fn list_with_delimiter(&self, prefix: &str) -> Result<ListResult, StorageError> {
        ListResult::from_stream(prefix, self.list_with(&ListOptions::prefix(prefix))).await
    }

    // ----- JitAI's surface, built on the core -----

    /// Stores `data` under `name` (JitAI `uploadByFile`). `content_type` defaults to
    /// `application/octet-stream` for Types that store one.
    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let options = UploadOptions {
            content_type: content_type.map(str::to_owned),
            ..UploadOptions::default()
        };
        self.upload_with(name, data, &options).await
    }

    /// Stores `data` with options (content type, user metadata): one [`write`](Self::write).
    async fn upload_with(
        &self,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<UploadResult, StorageError> {
        let mut writer = self.write(name, options).await?;
        writer.write(data).await?;
        writer.finish().await
    }

    /// Stores the local file at `path` under `name`, streaming (bounded memory).
    async fn upload_path(
        &self,
        name: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let options = UploadOptions {
            content_type: content_type.map(str::to_owned),
            ..UploadOptions::default()
        };
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| StorageError::io(path, e))?;
        let mut writer = self.write(name, &options).await?;
        loop {
            let mut chunk = Vec::with_capacity(FILE_CHUNK);
            let n = (&mut file)
                .take(FILE_CHUNK as u64)
                .read_to_end(&mut chunk)
                .await
                .map_err(|e| StorageError::io(path, e))?;
            if n == 0 {
                break;
            }
            writer.write(Bytes::from(chunk)).await?;
        }
        writer.finish().await
    }

    /// A presigned URL giving temporary GET access to `file` (JitAI `getSignUrl`);
    /// `content_type` sets the response content type where supported.
    async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Duration,
    ) -> Result<String, StorageError> {
        let _ = (file, content_type, expires);
        Err(StorageError::unsupported(Operation::GetSignUrl))
    }

    /// A presigned URL for any method, with the headers the caller must send.
    async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, StorageError> {
        let _ = request;
        Err(StorageError::unsupported(Operation::SignUrl))
    }

    /// The whole object in memory (JitAI `download`): [`read`](Self::read) collected. Use
    /// [`read`](Self::read) or [`download_to`](Self::download_to) for large objects.
    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        self.read(name, &ReadOptions::default())
            .await?
            .bytes()
            .await
    }

    /// Writes the object to the local file `path` atomically (never a partial file at `path`);
    /// returns the bytes written.
    async fn download_to(&self, name: &str, path: &Path) -> Result<u64, StorageError> {
        let result = self.read(name, &ReadOptions::default()).await?;
        save_stream(result, path).await
    }

    /// Object metadata (JitAI `getObject`, which returns metadata, not content): [`stat`](Self::stat).
    async fn get_object(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        self.stat(name).await
    }

    /// True when the object exists (asks [`stat`](Self::stat)).
    async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        match self.stat(name).await {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Deletes several objects. The default deletes them one by one, stopping at the first
    /// failure.
    async fn delete_many(&self, names: &[String]) -> Result<(), StorageError> {
        for name in names {
            self.delete(name).await?;
        }
        Ok(())
    }

    /// Every object whose key starts with `prefix`, in key order (recursive: no delimiter).
    fn list(&self, prefix: &str) -> ObjectStream {
        self.list_with(&ListOptions::prefix(prefix))
    }

    /// Copies an object inside the storage.
    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let _ = (from, to);
        Err(StorageError::unsupported(Operation::Copy))
    }

    /// Appends `data` at `position` (an appendable object); returns the next position.
    async fn append(&self, name: &str, position: u64, data: Bytes) -> Result<u64, StorageError> {
        let _ = (name, position, data);
        Err(StorageError::unsupported(Operation::Append))
    }
}

/// Streams a read into `path` through a temporary file beside it, renamed into place only
/// when the whole range arrived.
pub(crate) async fn save_stream(result: ReadResult, path: &Path) -> Result<u64, StorageError> {
    use tokio::io::AsyncWriteExt;
    let path = std::path::absolute(path).map_err(|e| StorageError::io(path, e))?;
    let temp = AtomicFile::create(&path, ".part").map_err(|e| StorageError::io(&path, e))?;
    let temp_path = temp.temp_path().to_owned();
    let file = temp
        .file()
        .try_clone()
        .map_err(|e| StorageError::io(&temp_path, e))?;
    let mut file = tokio::fs::File::from_std(file);
    let expected = result.range.end - result.range.start;
    let mut written = 0u64;
    let mut stream = result.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        file.write_all(&chunk)
            .await
            .map_err(|e| StorageError::io(&temp_path, e))?;
        written += chunk.len() as u64;
    }
    if written != expected {
        return Err(StorageError::integrity(format!(
            "received {written} of {expected} bytes"
        )));
    }
    file.flush()
        .await
        .map_err(|e| StorageError::io(&temp_path, e))?;
    drop(file);
    tokio::task::spawn_blocking(move || temp.commit())
        .await
        .map_err(|e| StorageError::io(&path, std::io::Error::other(e.to_string())))?
        .map_err(|e| StorageError::io(&path, e))?;
    Ok(written)
}
