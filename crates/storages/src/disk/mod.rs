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

#[cfg(not(unix))]
compile_error!(
    "storages.DiskType needs a Unix platform: it confines keys with openat and O_NOFOLLOW"
);

mod beneath;
mod fs;
mod key;
mod meta;
mod sweep;
mod walk;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use jitstore_element::{register_type, BoxError, BuildContext, ElementObject};
use rustix::fs::FileType;
use serde::Deserialize;

use self::beneath::{link_refused, FileFacts, Folder, KeyPlace, TempFile};
use self::fs::{copy_into, etag_of, modified_of, write_atomic_local};
use self::key::{is_reserved, validate_key, validate_prefix};
use self::meta::StoredMeta;
use self::sweep::{sweep_leftovers, LEFTOVER_GRACE};
use self::walk::each_folder;
use crate::error::StorageError;
use crate::handle::into_element_object;
use crate::storage::Storage;
use crate::types::{
    Capabilities, Capability, ObjectInfo, UploadOptions, UploadResult, DEFAULT_CONTENT_TYPE,
};

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
        .map_err(|e| StorageError::Other(Box::new(e)))?
}

/// User metadata as OSS keeps it: names lower-case, and names and values that fit in an HTTP
/// header (`x-oss-meta-<name>: <value>`), so what DiskType accepts OssType accepts too.
fn normalise_user_metadata(
    metadata: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, StorageError> {
    let mut out = BTreeMap::new();
    for (name, value) in metadata {
        let lower = name.trim().to_ascii_lowercase();
        let header = format!("x-oss-meta-{lower}");
        if lower.is_empty() || http::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(StorageError::InvalidArgument {
                message: format!("user metadata name {name:?} is not a valid header name"),
            });
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err(StorageError::InvalidArgument {
                message: format!("the value of user metadata {name:?} is not a valid header value"),
            });
        }
        out.insert(lower, value.clone());
    }
    Ok(out)
}

/// An object opened for reading beneath the root: its file (positioned at the start) and its
/// metadata. The base for whole, ranged and streaming reads.
#[derive(Debug)]
pub(crate) struct OpenObject {
    /// The data.
    pub file: File,
    /// Size, ETag, time, content type, user metadata.
    pub info: ObjectInfo,
    /// The stored content type, when one was given at upload (not guessed).
    stored: StoredMeta,
}

/// An object being written beneath the root: content goes to a temporary file in the key's
/// folder; [`commit`](Self::commit) makes it (and its metadata) the object. Dropped
/// uncommitted, it leaves nothing behind. The base for whole and streaming writes.
#[derive(Debug)]
pub(crate) struct PendingObject {
    key: String,
    place: KeyPlace,
    temp: TempFile,
}

impl PendingObject {
    /// The file to write the content to.
    pub fn file_mut(&mut self) -> &mut File {
        self.temp.file_mut()
    }

    /// The local path the object will have (for messages).
    pub fn path(&self) -> PathBuf {
        self.place.path()
    }

    /// Flushes the content, commits it atomically under the key, then records `content_type`
    /// and `user_metadata` (a sidecar only when they differ from the defaults a reader would
    /// infer). Returns the upload result.
    pub fn commit(
        mut self,
        content_type: String,
        user_metadata: BTreeMap<String, String>,
    ) -> Result<UploadResult, StorageError> {
        let facts = self.temp.finish()?;
        self.temp.commit(self.place.leaf())?;
        let stored = StoredMeta {
            content_type: (content_type != mime_of(&self.key)).then(|| content_type.clone()),
            user_metadata,
        };
        meta::write(self.place.folder(), self.place.leaf(), &facts, &stored)?;
        let mut result = UploadResult::new(
            DiskStorage::url_of(&self.place.path()),
            self.key,
            facts.size,
            etag_of(&facts),
        );
        result.content_type = Some(content_type);
        Ok(result)
    }
}

impl DiskStorage {
    /// A storage on `root` (made absolute; created on first write). Opening sweeps away the
    /// temporary files and orphaned sidecars killed uploads left, once older than an hour.
    pub fn new(root: impl Into<PathBuf>) -> Result<DiskStorage, StorageError> {
        let root = root.into();
        let root = std::path::absolute(&root).map_err(|e| StorageError::io(&root, e))?;
        let storage = DiskStorage { root };
        storage.sweep(LEFTOVER_GRACE);
        Ok(storage)
    }

    /// Removes leftovers of killed uploads older than `grace`; problems are logged, not
    /// fatal (the storage works with leftovers present: they are never listed).
    fn sweep(&self, grace: std::time::Duration) {
        let outcome = self
            .root_folder(false)
            .and_then(|root| root.map_or(Ok(0), |root| sweep_leftovers(root, grace)));
        match outcome {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(
                directory = %self.root.display(),
                removed,
                "removed leftovers of interrupted uploads"
            ),
            Err(error) => tracing::warn!(
                directory = %self.root.display(),
                %error,
                "could not sweep leftovers of interrupted uploads"
            ),
        }
    }

    /// The storage directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path `key` names (after validating the key's text). Informational: DiskType
    /// itself never opens this path as a whole, it walks the key beneath the directory without
    /// following links.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    fn url_of(path: &Path) -> String {
        url::Url::from_file_path(path)
            .map(String::from)
            .unwrap_or_else(|()| format!("file://{}", path.display()))
    }

    /// The directory, opened; `create` makes it first. `None`: it does not exist (yet).
    fn root_folder(&self, create: bool) -> Result<Option<Folder>, StorageError> {
        if create {
            std::fs::create_dir_all(&self.root).map_err(|e| StorageError::io(&self.root, e))?;
        }
        Folder::open_local(&self.root)
    }

    /// Where `key` lives beneath the root; `None` when a folder on the way does not exist
    /// (and `create` is false).
    fn place(&self, key: &str, create: bool) -> Result<Option<KeyPlace>, StorageError> {
        validate_key(key)?;
        match self.root_folder(create)? {
            Some(root) => KeyPlace::walk(root, key, create),
            None => Ok(None),
        }
    }

    fn info(key: &str, folder: &Folder, name: &str, facts: &FileFacts) -> (ObjectInfo, StoredMeta) {
        let stored = meta::read(folder, name, facts).unwrap_or_default();
        let mut info = ObjectInfo::new(key, facts.size);
        info.etag = Some(etag_of(facts));
        info.content_type = Some(stored.content_type.clone().unwrap_or_else(|| mime_of(key)));
        info.last_modified = Some(modified_of(facts));
        info.user_metadata = stored.user_metadata.clone();
        (info, stored)
    }

    /// Opens the object `key` for reading, beneath the root and through no link.
    pub(crate) fn open_object(&self, key: &str) -> Result<OpenObject, StorageError> {
        let place = self.place(key, false)?.ok_or(StorageError::NotFound)?;
        let (file, facts) = place.folder().open_file(place.leaf())?;
        let (info, stored) = DiskStorage::info(key, place.folder(), place.leaf(), &facts);
        Ok(OpenObject { file, info, stored })
    }

    /// Starts writing the object `key`: makes its folders (refusing links and objects in the
    /// way) and a temporary file in the last one.
    pub(crate) fn begin_write(&self, key: &str) -> Result<PendingObject, StorageError> {
        let place = self
            .place(key, true)?
            .ok_or_else(|| StorageError::io(&self.root, std::io::ErrorKind::NotFound.into()))?;
        let path = place.path();
        match place.folder().entry(place.leaf())?.map(|facts| facts.kind) {
            Some(FileType::Directory) => {
                return Err(StorageError::Conflict {
                    message: format!("{} is a folder", path.display()),
                })
            }
            Some(FileType::Symlink) => return Err(link_refused(&path)),
            _ => {}
        }
        let temp = place.folder().create_temp()?;
        Ok(PendingObject {
            key: key.to_owned(),
            place,
            temp,
        })
    }

    fn stat_blocking(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let place = self.place(key, false)?.ok_or(StorageError::NotFound)?;
        let facts = place
            .folder()
            .entry(place.leaf())?
            .ok_or(StorageError::NotFound)?;
        match facts.kind {
            FileType::RegularFile => {
                Ok(DiskStorage::info(key, place.folder(), place.leaf(), &facts).0)
            }
            FileType::Symlink => Err(link_refused(&place.path())),
            _ => Err(StorageError::NotFound),
        }
    }

    fn delete_blocking(&self, key: &str) -> Result<(), StorageError> {
        let Some(place) = self.place(key, false)? else {
            return Ok(());
        };
        match place.folder().entry(place.leaf())?.map(|facts| facts.kind) {
            // Missing, or a folder (not an object): nothing to delete, as on OSS.
            None | Some(FileType::Directory) => return Ok(()),
            Some(FileType::Symlink) => return Err(link_refused(&place.path())),
            Some(FileType::RegularFile) => {}
            // A FIFO, socket or device is no object (`get` says not found): left alone.
            Some(_) => return Ok(()),
        }
        place.folder().remove_file(place.leaf())?;
        meta::remove(place.folder(), place.leaf())?;
        place.prune_empty_folders();
        Ok(())
    }

    fn write_blocking(
        &self,
        key: &str,
        content_type: String,
        user_metadata: BTreeMap<String, String>,
        fill: impl FnOnce(&mut File, &Path) -> Result<u64, StorageError>,
    ) -> Result<UploadResult, StorageError> {
        let mut pending = self.begin_write(key)?;
        let path = pending.path();
        fill(pending.file_mut(), &path)?;
        pending.commit(content_type, user_metadata)
    }

    fn list_blocking(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let Some(mut start) = self.root_folder(false)? else {
            return Ok(Vec::new());
        };
        // Open the folders the prefix names completely (`a/b/` of `a/b/c`).
        let folder_part = prefix.rfind('/').map_or("", |slash| &prefix[..=slash]);
        for segment in folder_part.split('/').filter(|s| !s.is_empty()) {
            match start.child(segment, false)? {
                Some(next) => start = next,
                None => return Ok(Vec::new()),
            }
        }
        let mut found = Vec::new();
        each_folder(
            start,
            folder_part.to_owned(),
            |folder_prefix| folder_prefix.starts_with(prefix) || prefix.starts_with(folder_prefix),
            |folder, folder_prefix, entries| {
                for entry in entries {
                    if entry.facts.kind != FileType::RegularFile || is_reserved(&entry.name) {
                        continue;
                    }
                    let key = format!("{folder_prefix}{}", entry.name);
                    if key.starts_with(prefix) {
                        found.push(DiskStorage::info(&key, folder, &entry.name, &entry.facts).0);
                    }
                }
                Ok(())
            },
        )?;
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
            Capability::UserMetadata,
            Capability::ContentType,
        ])
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

    async fn get_object(&self, name: &str) -> Result<ObjectInfo, StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        blocking(move || this.stat_blocking(&key)).await
    }

    async fn exists(&self, name: &str) -> Result<bool, StorageError> {
        match self.get_object(name).await {
            Ok(_) => Ok(true),
            Err(StorageError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let this = self.clone();
        let key = name.to_owned();
        blocking(move || this.delete_blocking(&key)).await
    }

    fn list(&self, prefix: &str) -> BoxStream<'static, Result<ObjectInfo, StorageError>> {
        if let Err(error) = validate_prefix(prefix) {
            return stream::once(async move { Err(error) }).boxed();
        }
        let this = self.clone();
        let prefix = prefix.to_owned();
        stream::once(blocking(move || this.list_blocking(&prefix)))
            .flat_map(|listed| match listed {
                Ok(items) => stream::iter(items.into_iter().map(Ok)).boxed(),
                Err(error) => stream::once(async move { Err(error) }).boxed(),
            })
            .boxed()
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
