//! A blocking facade over [`App`](crate::App) and its storages, for scripts and tools that do
//! not run an async runtime. Do not use it from inside an async runtime (it returns an error
//! instead of blocking one).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use jitstore_storages::{
    ByteRange, Capabilities, ListResult, ObjectInfo, Operation, ReadOptions, StorageHandle,
    UploadResult,
};

use crate::error::Error;

fn runtime() -> Result<Arc<tokio::runtime::Runtime>, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::Runtime(
            "called from inside an async runtime; use jitstore::App there".to_owned(),
        ));
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::Runtime(format!("cannot start a runtime: {e}")))
}

/// A blocking [`crate::App`].
#[derive(Debug, Clone)]
pub struct App {
    app: crate::App,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl App {
    /// Opens the app folder `dir` with the process environment.
    pub fn open(dir: impl AsRef<Path>) -> Result<App, Error> {
        App::from_app(crate::App::open(dir)?)
    }

    /// Wraps an async app.
    pub fn from_app(app: crate::App) -> Result<App, Error> {
        Ok(App {
            app,
            runtime: runtime()?,
        })
    }

    /// The async app.
    pub fn app(&self) -> &crate::App {
        &self.app
    }

    /// The storage element `full_name`.
    pub fn get_element(&self, full_name: &str) -> Result<Storage, Error> {
        Ok(Storage {
            handle: self.app.get_element(full_name)?,
            runtime: self.runtime.clone(),
        })
    }

    /// The storage element `full_name` (same as [`get_element`](Self::get_element)).
    pub fn storage(&self, full_name: &str) -> Result<Storage, Error> {
        self.get_element(full_name)
    }

    /// The app's default storage.
    pub fn default_storage(&self) -> Result<Storage, Error> {
        self.get_element(self.app.default_storage_name())
    }
}

/// A blocking storage handle.
#[derive(Debug, Clone)]
pub struct Storage {
    handle: StorageHandle,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Storage {
    /// The async handle.
    pub fn handle(&self) -> &StorageHandle {
        &self.handle
    }

    /// What this storage can do.
    pub fn capabilities(&self) -> Capabilities {
        self.handle.capabilities()
    }

    /// See [`StorageHandle::upload_by_file`].
    pub fn upload_by_file(
        &self,
        name: &str,
        data: impl Into<Bytes>,
        content_type: Option<&str>,
    ) -> Result<UploadResult, Error> {
        Ok(self
            .runtime
            .block_on(self.handle.upload_by_file(name, data, content_type))?)
    }

    /// See [`StorageHandle::upload_path`].
    pub fn upload_path(
        &self,
        name: &str,
        path: impl AsRef<Path>,
        content_type: Option<&str>,
    ) -> Result<UploadResult, Error> {
        Ok(self
            .runtime
            .block_on(self.handle.upload_path(name, path, content_type))?)
    }

    /// See [`StorageHandle::get_sign_url`].
    pub fn get_sign_url(
        &self,
        file: &str,
        content_type: Option<&str>,
        expires: Option<Duration>,
    ) -> Result<String, Error> {
        Ok(self
            .runtime
            .block_on(self.handle.get_sign_url(file, content_type, expires))?)
    }

    /// See [`StorageHandle::download`].
    pub fn download(&self, name: &str) -> Result<Bytes, Error> {
        Ok(self.runtime.block_on(self.handle.download(name))?)
    }

    /// See [`StorageHandle::download_to`].
    pub fn download_to(&self, name: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        Ok(self.runtime.block_on(self.handle.download_to(name, path))?)
    }

    /// See [`StorageHandle::get_object`].
    pub fn get_object(&self, name: &str) -> Result<ObjectInfo, Error> {
        Ok(self.runtime.block_on(self.handle.get_object(name))?)
    }

    /// See [`StorageHandle::exists`].
    pub fn exists(&self, name: &str) -> Result<bool, Error> {
        Ok(self.runtime.block_on(self.handle.exists(name))?)
    }

    /// See [`StorageHandle::delete`].
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        Ok(self.runtime.block_on(self.handle.delete(name))?)
    }

    /// Every object under `prefix`, in key order (collected).
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        Ok(self
            .runtime
            .block_on(self.handle.list(prefix).try_collect::<Vec<_>>())?)
    }

    /// See [`StorageHandle::stat`].
    pub fn stat(&self, name: &str) -> Result<ObjectInfo, Error> {
        Ok(self.runtime.block_on(self.handle.stat(name))?)
    }

    /// The bytes of `range` of the object, collected (see [`StorageHandle::read`] for
    /// streaming). Failures of the stream itself are named like the handle's errors.
    pub fn read_range(&self, name: &str, range: ByteRange) -> Result<Bytes, Error> {
        self.runtime.block_on(async {
            let read = self.handle.read(name, &ReadOptions::range(range)).await?;
            read.bytes().await.map_err(|source| {
                jitstore_storages::Error::new(
                    self.handle.element().into(),
                    self.handle.type_name().into(),
                    Operation::Read,
                    Some(name.to_owned()),
                    source,
                )
                .into()
            })
        })
    }

    /// See [`StorageHandle::list_with_delimiter`].
    pub fn list_with_delimiter(&self, prefix: &str) -> Result<ListResult, Error> {
        Ok(self
            .runtime
            .block_on(self.handle.list_with_delimiter(prefix))?)
    }

    /// See [`StorageHandle::copy`].
    pub fn copy(&self, from: &str, to: &str) -> Result<(), Error> {
        Ok(self.runtime.block_on(self.handle.copy(from, to))?)
    }
}
