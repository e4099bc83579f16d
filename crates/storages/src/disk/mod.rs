//! `storages.DiskType`: the storages.Meta interface on a local directory — the embedded
//! default storage.
//!
//! Config (`<Name>.json`): `directory`, relative to the app folder (absolute paths are used as
//! they are), default `appData/storages/<Name>`. URLs are `file://` URLs.
//!
//! - Confinement: every key is resolved one segment at a time beneath an open handle on the
//!   directory, never following a symbolic link ([`beneath`]); links inside the directory are
//!   refused by `get`/`put`/`delete`/`stat` with an error naming them, and never listed.
//! - Writes are atomic (temporary file, fsync, rename, fsync of the folder; [`fs`]).
//! - Content type and user metadata live in a sidecar beside the object, bound to one version
//!   of its data ([`meta`]).
//! - Opening a storage sweeps away what killed uploads left behind ([`sweep`]).
//! - The object operations themselves are in [`objects`]; this module registers the Type and
//!   runs them for the `Storage` trait on tokio's blocking pool.

#[cfg(not(unix))]
compile_error!(
    "storages.DiskType needs a Unix platform: it confines keys with openat and O_NOFOLLOW"
);

mod beneath;
mod fs;
mod key;
mod meta;
mod objects;
mod sweep;
mod walk;
mod writer;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
use serde::Deserialize;

use self::fs::{copy_into, write_atomic_local};
use self::key::{validate_key, validate_prefix};
use self::meta::normalise_user_metadata;
use self::writer::DiskWriter;
use crate::capability::{Capabilities, Capability, Limits};
use crate::error::StorageError;
use crate::handle::into_element_object;
use crate::list::{ListOptions, ObjectStream};
use crate::read::{ReadOptions, ReadResult};
use crate::storage::Storage;
use crate::types::{ObjectInfo, UploadOptions, UploadResult, DEFAULT_CONTENT_TYPE};
use crate::write::ObjectWriter;

/// The chunk size of DiskType's read streams.
const READ_CHUNK: usize = 256 * 1024;

/// The Type fullName.
pub const DISK_TYPE: &str = "storages.DiskType";

/// DiskType's business config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiskConfig {
    /// The storage directory: relative to the app folder, or absolute.
    #[serde(default)]
    pub directory: Option<String>,
}

/// A storage on a local directory (`storages.DiskType`). Every key is resolved beneath the
/// directory without following symbolic links; content type and user metadata are kept.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use bytes::Bytes;
/// use jitstore_storages::{DiskStorage, Storage, UploadOptions};
///
/// let dir = tempfile::tempdir()?;
/// let disk = DiskStorage::new(dir.path())?;
/// let mut options = UploadOptions::content_type("text/markdown");
/// options.user_metadata.insert("owner".into(), "ana".into());
/// disk.upload_with("docs/a.md", Bytes::from_static(b"# hi"), &options).await?;
/// let info = disk.get_object("docs/a.md").await?;
/// assert_eq!(info.content_type.as_deref(), Some("text/markdown"));
/// assert_eq!(info.user_metadata["owner"], "ana");
///
/// // A link beneath the directory is never followed, even to read.
/// std::os::unix::fs::symlink("/etc", dir.path().join("etc"))?;
/// let error = disk.download("etc/hostname").await.unwrap_err();
/// assert!(error.to_string().contains("is a symbolic link"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DiskStorage {
    root: PathBuf,
}

fn build_disk(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    let config: DiskConfig = ctx.parse_config()?;
    let directory = config
        .directory
        .unwrap_or_else(|| format!("appData/storages/{}", ctx.name()));
    if directory.trim().is_empty() {
        return Err(ctx
            .config_error(Some("directory"), "must not be empty")
            .into());
    }
    let directory = Path::new(&directory);
    let root = if directory.is_absolute() {
        directory.to_path_buf()
    } else {
        ctx.app_root().join(directory)
    };
    let storage: Arc<dyn Storage> = Arc::new(DiskStorage::new(root)?);
    Ok(into_element_object(storage))
}

register_type!(builtin DISK_TYPE, build_disk);

fn mime_of(key: &str) -> String {
    mime_guess::from_path(key)
        .first_raw()
        .unwrap_or(DEFAULT_CONTENT_TYPE)
        .to_owned()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(StorageError::unexpected)?
}

#[async_trait]
impl Storage for DiskStorage {
    fn capabilities(&self) -> Capabilities {
        Capabilities::of(&[
            Capability::Read,
            Capability::Write,
            Capability::Delete,
            Capability::List,
            Capability::Copy,
            Capability::UserMetadata,
            Capability::ContentType,
            Capability::RangeRead,
            Capability::ConditionalRead,
            Capability::ListStartAfter,
        ])
        .with_limits(Limits::default())
    }

    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        blocking(move || this.stat_blocking(&key)).await
    }

    /// Opens the object beneath the directory (no link followed), checks the conditions,
    /// seeks to the range and streams it in 256 KiB chunks.
    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        if let Some(range) = &options.range {
            range.validate()?;
        }
        let this = self.clone();
        let key = name.to_owned();
        let object = blocking(move || this.open_object(&key)).await?;
        options.check_conditions(object.info.etag.as_deref())?;
        let range = match &options.range {
            Some(range) => range.resolve(object.info.size)?,
            None => 0..object.info.size,
        };
        let mut file = tokio::fs::File::from_std(object.file);
        if range.start > 0 {
            use tokio::io::AsyncSeekExt;
            file.seek(std::io::SeekFrom::Start(range.start))
                .await
                .map_err(|e| StorageError::io(self.root.join(name), e))?;
        }
        let body = tokio::io::AsyncReadExt::take(file, range.end - range.start);
        let stream = tokio_util::io::ReaderStream::with_capacity(body, READ_CHUNK)
            .map(|chunk| chunk.map_err(StorageError::from))
            .boxed();
        Ok(ReadResult::new(object.info, range, stream))
    }

    /// A temporary file beside the object, renamed into place (with its metadata sidecar) at
    /// `finish`; dropped unfinished, it is removed.
    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        let content_type = options
            .content_type
            .clone()
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        let user_metadata = normalise_user_metadata(&options.user_metadata)?;
        let pending = blocking(move || this.begin_write(&key)).await?;
        Ok(Box::new(DiskWriter::new(
            pending,
            content_type,
            user_metadata,
        )))
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        if let Err(error) = validate_prefix(&options.prefix) {
            return stream::once(async move { Err(error) }).boxed();
        }
        let this = self.clone();
        let options = options.clone();
        stream::once(blocking(move || {
            let all = this.list_blocking(&options.prefix)?;
            Ok(all.into_iter().filter(|o| options.admits(&o.key)).collect())
        }))
        .flat_map(
            |listed: Result<Vec<ObjectInfo>, StorageError>| match listed {
                Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
                Err(error) => stream::once(async move { Err(error) }).boxed(),
            },
        )
        .boxed()
    }

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

    async fn upload_with(
        &self,
        name: &str,
        data: Bytes,
        options: &UploadOptions,
    ) -> Result<UploadResult, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        let content_type = options
            .content_type
            .clone()
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        let user_metadata = normalise_user_metadata(&options.user_metadata)?;
        blocking(move || {
            this.write_blocking(&key, content_type, user_metadata, |file, path| {
                file.write_all(&data)
                    .map(|()| data.len() as u64)
                    .map_err(|e| StorageError::io(path, e))
            })
        })
        .await
    }

    async fn upload_path(
        &self,
        name: &str,
        source: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        // As OssType: the content type defaults to a guess from the key's extension.
        let content_type = content_type.map_or_else(|| mime_of(name), str::to_owned);
        let source = source.to_path_buf();
        blocking(move || {
            validate_key(&key)?;
            let mut reader = File::open(&source).map_err(|e| StorageError::io(&source, e))?;
            this.write_blocking(&key, content_type, BTreeMap::new(), |file, _| {
                copy_into(&mut reader, file, &source)
            })
        })
        .await
    }

    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        blocking(move || {
            let mut object = this.open_object(&key)?;
            let mut data = Vec::with_capacity(usize::try_from(object.info.size).unwrap_or(0));
            object
                .file
                .read_to_end(&mut data)
                .map_err(|e| StorageError::io(this.root.join(&key), e))?;
            Ok(Bytes::from(data))
        })
        .await
    }

    async fn download_to(&self, name: &str, target: &Path) -> Result<u64, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        let target = std::path::absolute(target).map_err(|e| StorageError::io(target, e))?;
        blocking(move || {
            let mut object = this.open_object(&key)?;
            let source = this.root.join(&key);
            write_atomic_local(&target, |out| copy_into(&mut object.file, out, &source))
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        blocking(move || this.delete_blocking(&key)).await
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let this = self.clone();
        let (from, to) = (from.to_owned(), to.to_owned());
        blocking(move || {
            validate_key(&to)?;
            let mut object = this.open_object(&from)?;
            // As on OSS, a copy keeps the source's content type and user metadata.
            let content_type = object
                .stored
                .content_type
                .take()
                .unwrap_or_else(|| mime_of(&from));
            let user_metadata = std::mem::take(&mut object.stored.user_metadata);
            let source = this.root.join(&from);
            this.write_blocking(&to, content_type, user_metadata, |out, _| {
                copy_into(&mut object.file, out, &source)
            })
            .map(|_| ())
        })
        .await
    }
}
