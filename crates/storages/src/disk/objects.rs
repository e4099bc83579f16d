//! The object operations of DiskType beneath its directory, blocking (the `Storage` impl runs
//! them on tokio's blocking pool): open for reading, write and commit, stat, delete, list.
//! [`DiskStorage::open_object`] and [`DiskStorage::begin_write`] are the two entry points a
//! ranged read or a streaming writer builds on.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use super::beneath::{link_refused, FileFacts, Folder, KeyPlace, TempFile};
use super::fs::{etag_of, modified_of};
use super::key::{is_reserved, validate_key};
use super::meta::{self, StoredMeta};
use super::sweep::{sweep_leftovers, LEFTOVER_GRACE};
use super::walk::each_folder;
use super::{mime_of, DiskStorage};
use crate::error::StorageError;
use crate::types::{ObjectInfo, UploadResult};

/// An object opened for reading beneath the root: its file (positioned at the start) and its
/// metadata. The base for whole, ranged and streaming reads.
#[derive(Debug)]
pub(crate) struct OpenObject {
    /// The data.
    pub file: File,
    /// Size, ETag, time, content type, user metadata.
    pub info: ObjectInfo,
    /// What the sidecar holds (empty when there is none): the content type given at upload,
    /// if it differs from the guess, and the user metadata.
    pub stored: StoredMeta,
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

    pub(super) fn url_of(path: &Path) -> String {
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
        let place = self
            .place(key, false)?
            .ok_or_else(StorageError::not_found)?;
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
                return Err(StorageError::conflict(format!(
                    "{} is a folder",
                    path.display()
                )))
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

    pub(super) fn stat_blocking(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let place = self
            .place(key, false)?
            .ok_or_else(StorageError::not_found)?;
        let facts = place
            .folder()
            .entry(place.leaf())?
            .ok_or_else(StorageError::not_found)?;
        match facts.kind {
            FileType::RegularFile => {
                Ok(DiskStorage::info(key, place.folder(), place.leaf(), &facts).0)
            }
            FileType::Symlink => Err(link_refused(&place.path())),
            _ => Err(StorageError::not_found()),
        }
    }

    pub(super) fn delete_blocking(&self, key: &str) -> Result<(), StorageError> {
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

    pub(super) fn write_blocking(
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

    pub(super) fn list_blocking(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
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
