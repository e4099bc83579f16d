//! `storages.DiskType`: the storages.Meta interface on a local directory — the embedded
//! default storage.
//!
//! Config (`<Name>.json`): `directory`, relative to the app folder (absolute paths are used as
//! they are), default `appData/storages/<Name>`. Writes are atomic (temp file, fsync, rename);
//! keys that could leave the directory are refused; URLs are `file://` URLs.

mod fs;
mod key;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
use serde::Deserialize;

use self::fs::{
    copy_into, etag_of, modified_of, not_found_or_io, open_object, prune_empty_dirs, write_atomic,
};
use self::key::{validate_key, validate_prefix, TEMP_PREFIX};
use crate::capability::{Capabilities, Capability};
use crate::error::ErrorKind;
use crate::error::StorageError;
use crate::handle::into_element_object;
use crate::list::{ListOptions, ObjectStream};
use crate::read::{ReadOptions, ReadResult};
use crate::storage::Storage;
use crate::types::{ObjectInfo, UploadOptions, UploadResult, DEFAULT_CONTENT_TYPE};
use crate::write::{ObjectWriter, SpooledWriter};

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

/// A storage on a local directory.
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

impl DiskStorage {
    /// A storage on `root` (made absolute; created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Result<DiskStorage, StorageError> {
        let root = root.into();
        let root = std::path::absolute(&root).map_err(|e| StorageError::io(&root, e))?;
        Ok(DiskStorage { root })
    }

    /// The storage directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`, after validating it.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    fn url_of(path: &Path) -> String {
        url::Url::from_file_path(path)
            .map(String::from)
            .unwrap_or_else(|()| format!("file://{}", path.display()))
    }

    fn info(key: &str, metadata: &std::fs::Metadata) -> ObjectInfo {
        let mut info = ObjectInfo::new(key, metadata.len());
        info.etag = Some(etag_of(metadata));
        info.content_type = Some(mime_of(key));
        info.last_modified = modified_of(metadata);
        info
    }

    fn result(
        key: &str,
        path: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let metadata = std::fs::metadata(path).map_err(|e| StorageError::io(path, e))?;
        let mut result = UploadResult::new(
            DiskStorage::url_of(path),
            key,
            metadata.len(),
            etag_of(&metadata),
        );
        result.content_type = Some(
            content_type
                .map(str::to_owned)
                .unwrap_or_else(|| mime_of(key)),
        );
        Ok(result)
    }

    fn list_blocking(root: &Path, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let start = match prefix.rfind('/') {
            Some(slash) => root.join(&prefix[..slash]),
            None => root.to_path_buf(),
        };
        if !start.is_dir() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(&start).follow_links(false) {
            let entry = entry.map_err(|e| {
                let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop while listing"));
                StorageError::io(path, source)
            })?;
            if !entry.file_type().is_file()
                || entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(key) = relative
                .components()
                .map(|c| c.as_os_str().to_str())
                .collect::<Option<Vec<&str>>>()
                .map(|parts| parts.join("/"))
            else {
                continue; // not valid UTF-8: cannot be named by a key
            };
            if !key.starts_with(prefix) {
                continue;
            }
            let metadata = entry
                .metadata()
                .map_err(|e| StorageError::io(entry.path(), e.into()))?;
            found.push(DiskStorage::info(&key, &metadata));
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }
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
        ])
    }

    async fn read(&self, name: &str, options: &ReadOptions) -> Result<ReadResult, StorageError> {
        let path = self.path_of(name)?;
        let key = name.to_owned();
        let (file, metadata) = blocking(move || open_object(&path)).await?;
        let info = DiskStorage::info(&key, &metadata);
        options.check_conditions(info.etag.as_deref())?;
        let range = match &options.range {
            Some(range) => range.resolve(metadata.len())?,
            None => 0..metadata.len(),
        };
        let mut file = tokio::fs::File::from_std(file);
        if range.start > 0 {
            use tokio::io::AsyncSeekExt;
            file.seek(std::io::SeekFrom::Start(range.start))
                .await
                .map_err(|e| StorageError::io(self.root.join(&key), e))?;
        }
        let body = tokio::io::AsyncReadExt::take(file, range.end - range.start);
        let stream = tokio_util::io::ReaderStream::with_capacity(body, 256 * 1024)
            .map(|chunk| chunk.map_err(StorageError::from))
            .boxed();
        Ok(ReadResult::new(info, range, stream))
    }

    async fn write(
        &self,
        name: &str,
        options: &UploadOptions,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        if !options.user_metadata.is_empty() {
            return Err(StorageError::unsupported(
                crate::types::Operation::UploadWith,
            ));
        }
        self.path_of(name)?;
        let storage = self.clone();
        let key = name.to_owned();
        let content_type = options.content_type.clone();
        let writer = SpooledWriter::new(
            None,
            Box::new(move |spool, _size| {
                Box::pin(async move {
                    storage
                        .upload_path(&key, &spool, content_type.as_deref())
                        .await
                })
            }),
        )?;
        Ok(Box::new(writer))
    }

    async fn upload_by_file(
        &self,
        name: &str,
        data: Bytes,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let path = self.path_of(name)?;
        let root = self.root.clone();
        let target = path.clone();
        blocking(move || {
            write_atomic(&target, &root, |file| {
                std::io::Write::write_all(file, &data)
                    .map(|()| data.len() as u64)
                    .map_err(|e| StorageError::io(&target, e))
            })
        })
        .await?;
        DiskStorage::result(name, &path, content_type)
    }

    async fn upload_path(
        &self,
        name: &str,
        source: &Path,
        content_type: Option<&str>,
    ) -> Result<UploadResult, StorageError> {
        let path = self.path_of(name)?;
        let root = self.root.clone();
        let target = path.clone();
        let source = source.to_path_buf();
        blocking(move || {
            let mut reader =
                std::fs::File::open(&source).map_err(|e| StorageError::io(&source, e))?;
            write_atomic(&target, &root, |file| copy_into(&mut reader, file, &source))
        })
        .await?;
        DiskStorage::result(name, &path, content_type)
    }

    async fn download(&self, name: &str) -> Result<Bytes, StorageError> {
        let path = self.path_of(name)?;
        blocking(move || {
            let (mut file, metadata) = open_object(&path)?;
            let mut data = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
            std::io::Read::read_to_end(&mut file, &mut data)
                .map_err(|e| StorageError::io(&path, e))?;
            Ok(Bytes::from(data))
        })
        .await
    }

    async fn download_to(&self, name: &str, target: &Path) -> Result<u64, StorageError> {
        let path = self.path_of(name)?;
        let target = std::path::absolute(target).map_err(|e| StorageError::io(target, e))?;
        blocking(move || {
            let (mut file, _) = open_object(&path)?;
            let parent = target.parent().unwrap_or(Path::new("/")).to_path_buf();
            write_atomic(&target, &parent, |out| copy_into(&mut file, out, &path))
        })
        .await
    }

    async fn stat(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        let path = self.path_of(name)?;
        let key = name.to_owned();
        blocking(move || {
            let metadata = std::fs::metadata(&path).map_err(|e| not_found_or_io(&path, e))?;
            if !metadata.is_file() {
                return Err(StorageError::not_found());
            }
            Ok(DiskStorage::info(&key, &metadata))
        })
        .await
    }

    async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        let path = self.path_of(name)?;
        blocking(move || match std::fs::metadata(&path) {
            Ok(metadata) => Ok(metadata.is_file()),
            Err(error) => match not_found_or_io(&path, error) {
                e if e.kind() == ErrorKind::NotFound => Ok(false),
                other => Err(other),
            },
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let path = self.path_of(name)?;
        let root = self.root.clone();
        blocking(move || {
            if path.is_dir() {
                return Ok(()); // a folder is not an object: nothing to delete
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) => match not_found_or_io(&path, error) {
                    e if e.kind() == ErrorKind::NotFound => return Ok(()),
                    other => return Err(other),
                },
            }
            prune_empty_dirs(path.parent(), &root);
            Ok(())
        })
        .await
    }

    fn list_with(&self, options: &ListOptions) -> ObjectStream {
        if let Err(error) = validate_prefix(&options.prefix) {
            return stream::once(async move { Err(error) }).boxed();
        }
        let root = self.root.clone();
        let options = options.clone();
        stream::once(blocking(move || {
            DiskStorage::list_blocking(&root, &options.prefix)
                .map(|all| all.into_iter().filter(|o| options.admits(&o.key)).collect())
        }))
        .flat_map(
            |listed: Result<Vec<ObjectInfo>, StorageError>| match listed {
                Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
                Err(error) => stream::once(async move { Err(error) }).boxed(),
            },
        )
        .boxed()
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let source = self.path_of(from)?;
        let target = self.path_of(to)?;
        let root = self.root.clone();
        blocking(move || {
            let (mut file, _) = open_object(&source)?;
            write_atomic(&target, &root, |out| copy_into(&mut file, out, &source)).map(|_| ())
        })
        .await
    }
}
