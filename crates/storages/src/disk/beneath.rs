//! Files beneath DiskType's directory, reached one path segment at a time relative to an open
//! folder handle with `O_NOFOLLOW`: the OS, not a check on the key's text, keeps every
//! operation inside the directory. No symbolic link beneath the directory is followed, replaced
//! or removed, whether it points outside or inside (the configured directory itself may be a
//! link: it is opened as the user named it).

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::key::TEMP_PREFIX;
use crate::error::StorageError;

/// Flags opening a folder beneath the root: never through a link.
const FOLDER_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Flags opening an object for reading: never through a link; `NONBLOCK` so a FIFO planted
/// under a key cannot hang the reader (it is then refused as not a regular file).
const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NONBLOCK);

/// Flags creating a temporary file: a new name, never through a link.
const TEMP_FLAGS: OFlags = OFlags::WRONLY
    .union(OFlags::CREATE)
    .union(OFlags::EXCL)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// What DiskType reads from a directory entry: enough for size, ETag, last-modified and the
/// stamp binding a metadata sidecar to one version of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileFacts {
    /// Regular file, folder, link, ...
    pub kind: FileType,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, nanoseconds since the Unix epoch (negative before it).
    pub modified_nanos: i128,
    /// The inode number (kept by a rename, so it identifies the committed temp file).
    pub inode: u64,
}

impl FileFacts {
    // The field types of `Stat` differ between platforms (i64, c_long, u32, ...), so the
    // casts are needed on some and redundant on others.
    #[allow(clippy::unnecessary_cast)]
    fn from_stat(stat: &Stat) -> FileFacts {
        FileFacts {
            kind: FileType::from_raw_mode(stat.st_mode as _),
            size: stat.st_size as u64,
            modified_nanos: i128::from(stat.st_mtime as i64) * 1_000_000_000
                + i128::from(stat.st_mtime_nsec as u32),
            inode: stat.st_ino as u64,
        }
    }

    /// The modification time as a [`SystemTime`].
    pub fn modified(&self) -> SystemTime {
        let magnitude = Duration::from_nanos(
            u64::try_from(self.modified_nanos.unsigned_abs()).unwrap_or(u64::MAX),
        );
        if self.modified_nanos >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
        .unwrap_or(UNIX_EPOCH)
    }
}

/// The error for a symbolic link met beneath the root.
pub(crate) fn link_refused(path: &Path) -> StorageError {
    StorageError::conflict(format!(
        "{} is a symbolic link; DiskType neither follows nor replaces symbolic links",
        path.display()
    ))
}

/// An open folder beneath (or at) the root, with its path for messages.
#[derive(Debug)]
pub(crate) struct Folder {
    fd: OwnedFd,
    path: PathBuf,
}

impl Folder {
    /// Opens the local folder `path` as named (links in `path` itself are followed: this is
    /// the configured directory or a download target's folder, not a key); `None` when it
    /// does not exist.
    pub fn open_local(path: &Path) -> Result<Option<Folder>, StorageError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Folder {
                fd,
                path: path.to_path_buf(),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(StorageError::io(path, e.into())),
        }
    }

    /// A second handle on the same folder.
    pub fn try_clone(&self) -> Result<Folder, StorageError> {
        Ok(Folder {
            fd: self
                .fd
                .try_clone()
                .map_err(|e| StorageError::io(&self.path, e))?,
            path: self.path.clone(),
        })
    }

    /// The folder's path (for messages and `file://` URLs).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Facts about the entry `name` in this folder, without following a link; `None` when
    /// there is no such entry.
    pub fn entry(&self, name: impl AsRef<Path>) -> Result<Option<FileFacts>, StorageError> {
        let name = name.as_ref();
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(FileFacts::from_stat(&stat))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(StorageError::io(self.path.join(name), e.into())),
        }
    }

    /// Opens the sub-folder `name` without following a link. `create` makes it when missing.
    /// A missing folder (or an object in its place) is `Ok(None)` when not creating.
    pub fn child(&self, name: &str, create: bool) -> Result<Option<Folder>, StorageError> {
        let path = self.path.join(name);
        for _attempt in 0..3 {
            match rustix::fs::openat(&self.fd, name, FOLDER_FLAGS, Mode::empty()) {
                Ok(fd) => return Ok(Some(Folder { fd, path })),
                Err(Errno::NOENT) if create => {
                    match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => continue,
                        Err(e) => return Err(StorageError::io(&path, e.into())),
                    }
                }
                Err(Errno::NOENT) => return Ok(None),
                Err(error) => {
                    return match self.entry(name)?.map(|facts| facts.kind) {
                        Some(FileType::Symlink) => Err(link_refused(&path)),
                        Some(FileType::Directory) | None => {
                            Err(StorageError::io(&path, error.into()))
                        }
                        Some(_) if create => Err(StorageError::conflict(format!(
                            "{} is an object, so it cannot also be a folder",
                            path.display()
                        ))),
                        Some(_) => Ok(None),
                    }
                }
            }
        }
        Err(StorageError::io(
            &path,
            io::Error::other("the folder kept disappearing while it was being created"),
        ))
    }

    /// Opens the regular file `name` for reading, without following a link. A missing entry,
    /// a folder or another non-regular file is `NotFound`; a link is refused.
    pub fn open_file(&self, name: &str) -> Result<(File, FileFacts), StorageError> {
        let path = self.path.join(name);
        let fd = match rustix::fs::openat(&self.fd, name, READ_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) | Err(Errno::NOTDIR) => return Err(StorageError::not_found()),
            Err(error) => {
                return match self.entry(name)?.map(|facts| facts.kind) {
                    Some(FileType::Symlink) => Err(link_refused(&path)),
                    _ => Err(StorageError::io(&path, error.into())),
                }
            }
        };
        let facts = rustix::fs::fstat(&fd)
            .map(|stat| FileFacts::from_stat(&stat))
            .map_err(|e| StorageError::io(&path, e.into()))?;
        if facts.kind != FileType::RegularFile {
            return Err(StorageError::not_found());
        }
        // Back to blocking reads (NONBLOCK only guarded the open against a FIFO).
        rustix::fs::fcntl_setfl(&fd, OFlags::empty())
            .map_err(|e| StorageError::io(&path, e.into()))?;
        Ok((File::from(fd), facts))
    }

    /// Creates a new temporary file (mode from the umask, like any new file) in this folder.
    pub fn create_temp(&self) -> Result<TempFile, StorageError> {
        for _attempt in 0..8 {
            let name = format!("{TEMP_PREFIX}{:016x}", rand::random::<u64>());
            match rustix::fs::openat(&self.fd, &*name, TEMP_FLAGS, Mode::from_raw_mode(0o666)) {
                Ok(fd) => {
                    return Ok(TempFile {
                        folder: self.try_clone()?,
                        file: File::from(fd),
                        name: Some(name),
                    })
                }
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(StorageError::io(self.path.join(&name), e.into())),
            }
        }
        Err(StorageError::io(
            &self.path,
            io::Error::other("could not find a free temporary file name"),
        ))
    }

    /// Removes the file (or link itself) `name`; a missing entry is not an error.
    pub fn remove_file(&self, name: impl AsRef<Path>) -> Result<(), StorageError> {
        let name = name.as_ref();
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(StorageError::io(self.path.join(name), e.into())),
        }
    }

    /// Removes the sub-folder `name` if it is empty; false when it was not removed.
    pub fn remove_empty_child(&self, name: &str) -> bool {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).is_ok()
    }

    /// The names in this folder with their kinds (the kind as the folder reports it; `Unknown`
    /// on file systems that do not say). Names that are not UTF-8 are skipped: no key names
    /// them.
    pub fn names(&self) -> Result<Vec<(String, FileType)>, StorageError> {
        let dir = rustix::fs::Dir::read_from(&self.fd)
            .map_err(|e| StorageError::io(&self.path, e.into()))?;
        let mut names = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| StorageError::io(&self.path, e.into()))?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name != "." && name != ".." {
                names.push((name.to_owned(), entry.file_type()));
            }
        }
        Ok(names)
    }

    /// Makes renames in this folder durable (best effort: not every file system can fsync a
    /// folder).
    pub fn sync(&self) {
        let _ = rustix::fs::fsync(&self.fd);
    }
}

/// A temporary file being written in a folder; removed when dropped uncommitted.
#[derive(Debug)]
pub(crate) struct TempFile {
    folder: Folder,
    file: File,
    name: Option<String>,
}

impl TempFile {
    /// The file to write the content to.
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Flushes the content to disk and returns its facts (size, time, inode).
    pub fn finish(&mut self) -> Result<FileFacts, StorageError> {
        let path = self.path();
        self.file
            .sync_all()
            .map_err(|e| StorageError::io(&path, e))?;
        rustix::fs::fstat(&self.file)
            .map(|stat| FileFacts::from_stat(&stat))
            .map_err(|e| StorageError::io(&path, e.into()))
    }

    fn path(&self) -> PathBuf {
        self.folder
            .path
            .join(self.name.as_deref().unwrap_or_default())
    }

    /// Renames the (finished) file to `target` in the same folder, atomically replacing an
    /// object there. A folder or a link at `target` is refused and left alone.
    pub fn commit(mut self, target: impl AsRef<Path>) -> Result<(), StorageError> {
        let target = target.as_ref();
        let target_path = self.folder.path.join(target);
        match self.folder.entry(target)?.map(|facts| facts.kind) {
            Some(FileType::Directory) => {
                return Err(StorageError::conflict(format!(
                    "{} is a folder",
                    target_path.display()
                )))
            }
            Some(FileType::Symlink) => return Err(link_refused(&target_path)),
            _ => {}
        }
        let Some(name) = self.name.take() else {
            return Ok(());
        };
        if let Err(error) = rustix::fs::renameat(&self.folder.fd, &*name, &self.folder.fd, target) {
            let _ = self.folder.remove_file(&name);
            return Err(StorageError::io(target_path, error.into()));
        }
        self.folder.sync();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let _ = self.folder.remove_file(&name);
        }
    }
}

/// The folders from the root down to the one holding a key's last segment.
#[derive(Debug)]
pub(crate) struct KeyPlace {
    /// Root first; each next one is the child named by the matching `segments` entry.
    folders: Vec<Folder>,
    segments: Vec<String>,
    /// The key's last segment.
    leaf: String,
}

impl KeyPlace {
    /// Walks `key` (already validated: relative, no `.`/`..`/empty segments) from the root
    /// folder. `create` makes missing folders. `Ok(None)` when a folder on the way is missing
    /// (reads: the object does not exist).
    pub fn walk(root: Folder, key: &str, create: bool) -> Result<Option<KeyPlace>, StorageError> {
        let mut parts: Vec<&str> = key.split('/').collect();
        let leaf = parts.pop().unwrap_or_default().to_owned();
        let mut folders = vec![root];
        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            let Some(current) = folders.last() else {
                break;
            };
            match current.child(part, create)? {
                Some(next) => folders.push(next),
                None => return Ok(None),
            }
            segments.push(part.to_owned());
        }
        Ok(Some(KeyPlace {
            folders,
            segments,
            leaf,
        }))
    }

    /// The folder holding the object.
    pub fn folder(&self) -> &Folder {
        // `walk` always holds at least the root.
        &self.folders[self.folders.len() - 1]
    }

    /// The key's last segment (the file name in [`folder`](Self::folder)).
    pub fn leaf(&self) -> &str {
        &self.leaf
    }

    /// The object's local path (for messages and URLs).
    pub fn path(&self) -> PathBuf {
        self.folder().path().join(&self.leaf)
    }

    /// Removes the folders the key went through that are now empty, deepest first, stopping
    /// at the first that is not (never the root).
    pub fn prune_empty_folders(&self) {
        for depth in (0..self.segments.len()).rev() {
            if !self.folders[depth].remove_empty_child(&self.segments[depth]) {
                break;
            }
        }
    }
}
