//! The `storages.Meta` interface: the [`Storage`] trait every storage Type implements.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::StorageError;
use crate::types::{
    Capabilities, ObjectInfo, Operation, SignUrlRequest, SignedUrl, UploadOptions, UploadResult,
};

/// JitAI's storage interface (`storages.Meta`), async and object-safe.
///
/// Keys are `/`-separated object names (`docs/a.txt`). Operations a Type cannot do keep their
/// default body, which returns [`StorageError::Unsupported`]; [`capabilities`](Self::capabilities)
/// says up front which ones work. Most users call these through a
/// [`StorageHandle`](crate::StorageHandle), which applies JitAI's defaults and names the
/// element, Type, operation and key in every error.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// What this storage can do.
    fn capabilities(&self) -> Capabilities;

    /// The concrete storage, for Type-specific APIs (e.g. `OssStorage::from_handle`); `None`
    /// unless the Type opts in.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// Stores `data` under `name` (JitAI `uploadByFile`). `content_type` defaults to
    /// `application/octet-stream` for Types that store one.
    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError>;

    /// Stores `data` with options (content type, user metadata). The default accepts options
    /// without user metadata and forwards to [`upload_by_file`](Self::upload_by_file).
    async fn upload_with(
        &self,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<UploadResult, StorageError> {
        if !options.user_metadata.is_empty() {
            return Err(StorageError::Unsupported {
                operation: Operation::UploadWith,
            });
        }
        self.upload_by_file(name, data, options.content_type.as_deref())
            .await
    }

    /// Stores the local file at `path` under `name`, streaming (bounded memory).
    async fn upload_path(
        &self,
        name: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError>;

    /// A presigned URL giving temporary GET access to `file` (JitAI `getSignUrl`);
    /// `content_type` sets the response content type where supported.
    async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Duration,
    ) -> Result<String, StorageError> {
        let _ = (file, content_type, expires);
        Err(StorageError::Unsupported {
            operation: Operation::GetSignUrl,
        })
    }

    /// A presigned URL for any method, with the headers the caller must send.
    async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, StorageError> {
        let _ = request;
        Err(StorageError::Unsupported {
            operation: Operation::SignUrl,
        })
    }

    /// The whole object (JitAI `download`). Use [`download_to`](Self::download_to) for large
    /// objects.
    async fn download(&self, name: &str) -> Result<Bytes, StorageError>;

    /// Writes the object to the local file `path` atomically (never a partial file at `path`);
    /// returns the bytes written.
    async fn download_to(&self, name: &str, path: &Path) -> Result<u64, StorageError>;

    /// Object metadata (JitAI `getObject`).
    async fn get_object(&self, name: &str) -> Result<ObjectInfo, StorageError>;

    /// True when the object exists. The default asks [`get_object`](Self::get_object).
    async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        match self.get_object(name).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Deletes the object (JitAI `delete`). Deleting a missing object succeeds, as on OSS.
    async fn delete(&self, name: &str) -> Result<(), StorageError>;

    /// Deletes several objects. The default deletes them one by one, stopping at the first
    /// failure.
    async fn delete_many(&self, names: &[String]) -> Result<(), StorageError> {
        for name in names {
            self.delete(name).await?;
        }
        Ok(())
    }

    /// Every object whose key starts with `prefix`, in key order (recursive: no delimiter).
    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ObjectInfo, StorageError>>;

    /// Copies an object inside the storage.
    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let _ = (from, to);
        Err(StorageError::Unsupported {
            operation: Operation::Copy,
        })
    }

    /// Appends `data` at `position` (an appendable object); returns the next position.
    async fn append(&self, name: &str, position: u64, data: Bytes) -> Result<u64, StorageError> {
        let _ = (name, position, data);
        Err(StorageError::Unsupported {
            operation: Operation::Append,
        })
    }
}
