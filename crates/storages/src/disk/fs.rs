//! Local file helpers for DiskType: the one atomic write (temporary file in the target folder,
//! fsync, rename, fsync of the folder), copying, and the ETag and time of a file.
//!
//! This is the descriptor-relative variant of `jitstore_util::atomic_file` (the atomic write
//! every other crate uses): the same steps, done with `openat`/`renameat` beneath a folder
//! descriptor so that no link on the way is followed (DiskType's confinement).

use std::fs::File;
use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::beneath::{FileFacts, Folder};
use crate::error::StorageError;

/// Writes `fill`'s output into `folder` as `name` atomically: readers see the old content or
/// the complete new one, and a crash never leaves a partial file at `name` (at most a
/// temporary file, which the start-up sweep removes). Returns the facts of the new file.
pub(crate) fn write_atomic_in(
    folder: &Folder,
    name: impl AsRef<Path>,
    fill: impl FnOnce(&mut File) -> Result<u64, StorageError>,
) -> Result<FileFacts, StorageError> {
    let mut temp = folder.create_temp()?;
    fill(temp.file_mut())?;
    let facts = temp.finish()?;
    temp.commit(name)?;
    Ok(facts)
}

/// Writes the local file `target` (outside any storage: a download's destination)
/// atomically, creating its folder; returns the bytes written.
pub(crate) fn write_atomic_local(
    target: &Path,
    fill: impl FnOnce(&mut File) -> Result<u64, StorageError>,
) -> Result<u64, StorageError> {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(StorageError::invalid_argument(format!(
            "{} is not a file path",
            target.display()
        )));
    };
    std::fs::create_dir_all(parent).map_err(|e| StorageError::io(parent, e))?;
    let folder = Folder::open_local(parent)?
        .ok_or_else(|| StorageError::io(parent, io::Error::from(io::ErrorKind::NotFound)))?;
    write_atomic_in(&folder, name, fill).map(|facts| facts.size)
}

/// Copies `reader` into `file`, returning the byte count.
pub(crate) fn copy_into(
    reader: &mut impl io::Read,
    file: &mut File,
    source: &Path,
) -> Result<u64, StorageError> {
    io::copy(reader, file).map_err(|e| StorageError::io(source, e))
}

/// DiskType's entity tag: size and modification time in upper-case hex, unquoted like
/// OssType's (DiskType does not hash: the tag names a version of the file, not its content).
pub(crate) fn etag_of(facts: &FileFacts) -> String {
    format!("{:X}-{:X}", facts.size, facts.modified_nanos.unsigned_abs())
}

/// The modification time.
pub(crate) fn modified_of(facts: &FileFacts) -> DateTime<Utc> {
    DateTime::<Utc>::from(facts.modified())
}
