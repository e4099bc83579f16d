//! [`StorageHandle`]: what `get_element` gives users — a storage plus its names, applying
//! JitAI's defaults and naming element, Type, operation and key in every error.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use jitstore_element::{ElementObject, LoadedElement};

use crate::capability::Capabilities;
use crate::error::{Error, StorageError};
use crate::list::{ListOptions, ListResult};
use crate::read::{ReadOptions, ReadResult};
use crate::storage::Storage;
use crate::types::{
    ObjectInfo, Operation, SignUrlRequest, SignedUrl, UploadOptions, UploadResult,
    DEFAULT_SIGN_EXPIRES,
};
use crate::writer::Writer;

/// Wraps a storage as the object a Type factory returns (`Arc<dyn Storage>` behind `Any`).
pub fn into_element_object(storage: Arc<dyn Storage>) -> ElementObject {
    Arc::new(storage)
}

/// A storage element, ready to use. Cheap to clone.
#[derive(Clone)]
pub struct StorageHandle {
    element: Arc<str>,
    type_name: Arc<str>,
    /// What errors call the Type: the declared chain up to the implementing Type
    /// (`storages.CompanyOss -> storages.OssType`), see `LoadedElement::declared_types`.
    declared_types: Arc<str>,
    storage: Arc<dyn Storage>,
}

impl fmt::Debug for StorageHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageHandle")
            .field("element", &self.element)
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

impl StorageHandle {
    /// A handle over `storage` for element `element` of Type `type_name`.
    pub fn new(
        element: impl Into<Arc<str>>,
        type_name: impl Into<Arc<str>>,
        storage: Arc<dyn Storage>,
    ) -> StorageHandle {
        let type_name = type_name.into();
        StorageHandle {
            element: element.into(),
            declared_types: type_name.clone(),
            type_name,
            storage,
        }
    }

    /// The handle for a built element, when its object is a storage.
    pub fn from_loaded(loaded: &LoadedElement) -> Option<StorageHandle> {
        loaded
            .downcast_ref::<Arc<dyn Storage>>()
            .map(|storage| StorageHandle {
                element: loaded.full_name().clone(),
                type_name: loaded.type_name().clone(),
                declared_types: loaded.declared_types().clone(),
                storage: storage.clone(),
            })
    }

    /// The element fullName (e.g. `storages.MyOss`).
    pub fn element(&self) -> &str {
        &self.element
    }

    /// The implementing Type fullName (e.g. `storages.OssType`).
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The underlying storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// What this storage can do.
    pub fn capabilities(&self) -> Capabilities {
        self.storage.capabilities()
    }

    fn wrap(&self, operation: Operation, key: Option<&str>) -> impl FnOnce(StorageError) -> Error {
        let element = self.element.clone();
        let type_name = self.declared_types.clone();
        let key = key.map(str::to_owned);
        move |source| Error::new(element, type_name, operation, key, source)
    }

    /// The object's metadata (the core's `stat`; JitAI's `getObject` is the same thing).
    pub async fn stat(&self, name: &str) -> Result<ObjectInfo, Error> {
        self.storage
            .stat(name)
            .await
            .map_err(self.wrap(Operation::Stat, Some(name)))
    }

    /// The object's metadata and a stream of its bytes (a range of them, conditionally on the
    /// ETag, per `options`); memory stays bounded whatever the size. Stream errors are the
    /// Type's [`StorageError`]s.
    ///
    /// ```no_run
    /// # async fn demo(store: jitstore_storages::StorageHandle) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures::StreamExt;
    /// use jitstore_storages::{ByteRange, ReadOptions};
    /// // The last 64 KiB of a Parquet file: one request, 64 KiB of memory.
    /// let mut read = store.read("data/table.parquet", &ReadOptions::range(ByteRange::Last(65536))).await?;
    /// println!("object of {} bytes; reading {:?}", read.info.size, read.range);
    /// while let Some(chunk) = read.stream.next().await {
    ///     let _bytes = chunk?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, Error> {
        self.storage
            .read(name, options)
            .await
            .map_err(self.wrap(Operation::Read, Some(name)))
    }

    /// A [`Writer`] for `name`: stream bytes in, then `finish`. A multipart upload where the
    /// Type has one; nothing visible until `finish`, nothing left behind if dropped.
    pub async fn write(&self, name: &str, options: &UploadOptions) -> Result<Writer, Error> {
        let inner = self
            .storage
            .write(name, options)
            .await
            .map_err(self.wrap(Operation::Write, Some(name)))?;
        Ok(Writer::new(
            inner,
            self.element.clone(),
            self.declared_types.clone(),
            name,
        ))
    }

    /// One level under `prefix`: objects and common prefixes (delimiter `/`).
    pub async fn list_with_delimiter(&self, prefix: &str) -> Result<ListResult, Error> {
        self.storage
            .list_with_delimiter(prefix)
            .await
            .map_err(self.wrap(Operation::ListWithDelimiter, Some(prefix)))
    }

    /// Every object matching `options` (prefix, start-after), in key order.
    pub fn list_with(
        &self,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ObjectInfo, Error>> {
        self.wrap_list(self.storage.list_with(options), &options.prefix)
    }

    fn wrap_list(
        &self,
        stream: BoxStream<'static, Result<ObjectInfo, StorageError>>,
        prefix: &str,
    ) -> BoxStream<'static, Result<ObjectInfo, Error>> {
        let element = self.element.clone();
        let type_name = self.declared_types.clone();
        let key = prefix.to_owned();
        stream
            .map(move |item| {
                item.map_err(|source| {
                    Error::new(
                        element.clone(),
                        type_name.clone(),
                        Operation::List,
                        Some(key.clone()),
                        source,
                    )
                })
            })
            .boxed()
    }

    /// Stores `data` under `name`; `content_type` defaults to `application/octet-stream`.
    ///
    /// ```no_run
    /// # async fn demo(store: jitstore_storages::StorageHandle) -> Result<(), jitstore_storages::Error> {
    /// let result = store.upload_by_file("docs/a.txt", b"hi".to_vec(), Some("text/plain")).await?;
    /// println!("{} ({} bytes, etag {})", result.url, result.size, result.etag);
    /// # Ok(()) }
    /// ```
    pub async fn upload_by_file(
        &self,
        name: &str,
        data: impl Into<Bytes>,
        content_type: Option<&str>,
    ) -> Result<UploadResult, Error> {
        self.storage
            .upload_by_file(name, data.into(), content_type)
            .await
            .map_err(self.wrap(Operation::UploadByFile, Some(name)))
    }

    /// Stores `data` with options (content type, user metadata).
    pub async fn upload_with(
        &self,
        name: &str,
        data: impl Into<Bytes>,
        options: &UploadOptions,
    ) -> Result<UploadResult, Error> {
        self.storage
            .upload_with(name, data.into(), options)
            .await
            .map_err(self.wrap(Operation::UploadWith, Some(name)))
    }

    /// Streams the local file at `path` to `name`.
    pub async fn upload_path(
        &self,
        name: &str,
        path: impl AsRef<Path>,
        content_type: Option<&str>,
    ) -> Result<UploadResult, Error> {
        self.storage
            .upload_path(name, path.as_ref(), content_type)
            .await
            .map_err(self.wrap(Operation::UploadPath, Some(name)))
    }

    /// A presigned GET URL for `file`, valid for `expires` (default 300 s).
    pub async fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Option<Duration>,
    ) -> Result<String, Error> {
        self.storage
            .get_sign_url(file, content_type, expires.unwrap_or(DEFAULT_SIGN_EXPIRES))
            .await
            .map_err(self.wrap(Operation::GetSignUrl, Some(file)))
    }

    /// A presigned URL for any method.
    pub async fn sign_url(&self, request: &SignUrlRequest) -> Result<SignedUrl, Error> {
        self.storage
            .sign_url(request)
            .await
            .map_err(self.wrap(Operation::SignUrl, Some(&request.key)))
    }

    /// The whole object.
    pub async fn download(&self, name: &str) -> Result<Bytes, Error> {
        self.storage
            .download(name)
            .await
            .map_err(self.wrap(Operation::Download, Some(name)))
    }

    /// Writes the object to the local file `path` atomically; returns the bytes written.
    pub async fn download_to(&self, name: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        self.storage
            .download_to(name, path.as_ref())
            .await
            .map_err(self.wrap(Operation::DownloadTo, Some(name)))
    }

    /// Object metadata (JitAI `getObject` returns metadata, not content; see [`read`](Self::read)
    /// for content).
    pub async fn get_object(&self, name: &str) -> Result<ObjectInfo, Error> {
        self.storage
            .get_object(name)
            .await
            .map_err(self.wrap(Operation::GetObject, Some(name)))
    }

    /// True when the object exists.
    pub async fn exists(&self, name: &str) -> Result<bool, Error> {
        self.storage
            .exists(name)
            .await
            .map_err(self.wrap(Operation::Exists, Some(name)))
    }

    /// Deletes the object (a missing object is not an error).
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        self.storage
            .delete(name)
            .await
            .map_err(self.wrap(Operation::Delete, Some(name)))
    }

    /// Deletes several objects.
    pub async fn delete_many(&self, names: &[String]) -> Result<(), Error> {
        let first = names.first().map(String::as_str);
        self.storage
            .delete_many(names)
            .await
            .map_err(self.wrap(Operation::DeleteMany, first))
    }

    /// Every object under `prefix`, in key order.
    pub fn list(&self, prefix: &str) -> BoxStream<'static, Result<ObjectInfo, Error>> {
        self.wrap_list(self.storage.list(prefix), prefix)
    }

    /// Copies an object inside the storage.
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), Error> {
        self.storage
            .copy(from, to)
            .await
            .map_err(self.wrap(Operation::Copy, Some(from)))
    }

    /// Appends `data` at `position`; returns the next position.
    pub async fn append(
        &self,
        name: &str,
        position: u64,
        data: impl Into<Bytes>,
    ) -> Result<u64, Error> {
        self.storage
            .append(name, position, data.into())
            .await
            .map_err(self.wrap(Operation::Append, Some(name)))
    }
}
