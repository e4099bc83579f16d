//! Local file operations for DiskType: atomic writes (temp file in the target folder, fsync,
//! rename, fsync of the folder) and metadata.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::key::TEMP_PREFIX;
use crate::error::StorageError;

/// Creates `dir` and its parents, explaining the failure when part of the path is a file.
fn create_parent(dir: &Path, stop_at: &Path) -> Result<(), StorageError> {
    if let Err(error) = std::fs::create_dir_all(dir) {
        let mut ancestor = Some(dir);
        while let Some(candidate) = ancestor {
            if candidate == stop_at {
                break;
            }
            if candidate.is_file() {
                return Err(StorageError::conflict(format!(
                    "{} is an object, so it cannot also be a folder",
                    candidate.display()
                )));
            }
            ancestor = candidate.parent();
        }
        return Err(StorageError::io(dir, error));
    }
    Ok(())
}

/// Writes `target` atomically: readers see the old content or the complete new one, and a
/// crash never leaves a partial file at `target`. `fill` writes the content and returns its
/// length.
pub(crate) fn write_atomic(
    target: &Path,
    root: &Path,
    fill: impl FnOnce(&mut File) -> Result<u64, StorageError>,
) -> Result<u64, StorageError> {
    let parent = target.parent().unwrap_or(root);
    create_parent(parent, root)?;
    if target.is_dir() {
        return Err(StorageError::conflict(format!(
            "{} is a folder",
            target.display()
        )));
    }
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(parent)
        .map_err(|e| StorageError::io(parent, e))?;
    let written = fill(temp.as_file_mut())?;
    temp.as_file_mut()
        .flush()
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| StorageError::io(temp.path(), e))?;
    temp.persist(target)
        .map_err(|e| StorageError::io(target, e.error))?;
    sync_dir(parent);
    Ok(written)
}

/// Makes a rename durable (best effort; not all platforms can fsync a folder).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Copies `reader` into `file`, returning the byte count.
pub(crate) fn copy_into(
    reader: &mut impl io::Read,
    file: &mut File,
    source: &Path,
) -> Result<u64, StorageError> {
    io::copy(reader, file).map_err(|e| StorageError::io(source, e))
}

/// Opens an object file for reading; a missing file (or a folder) is `NotFound`.
pub(crate) fn open_object(path: &Path) -> Result<(File, std::fs::Metadata), StorageError> {
    let file = File::open(path).map_err(|e| not_found_or_io(path, e))?;
    let metadata = file.metadata().map_err(|e| StorageError::io(path, e))?;
    if !metadata.is_file() {
        return Err(StorageError::not_found());
    }
    Ok((file, metadata))
}

/// Maps `NotFound`-like OS errors to [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
pub(crate) fn not_found_or_io(path: &Path, error: io::Error) -> StorageError {
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => StorageError::not_found(),
        _ => StorageError::io(path, error),
    }
}

/// A cheap entity tag derived from size and modification time (DiskType does not hash).
pub(crate) fn etag_of(metadata: &std::fs::Metadata) -> String {
    let nanos = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("\"{:x}-{:x}\"", metadata.len(), nanos)
}

/// The modification time.
pub(crate) fn modified_of(metadata: &std::fs::Metadata) -> Option<DateTime<Utc>> {
    metadata.modified().ok().map(DateTime::<Utc>::from)
}

/// Removes now-empty folders from `start` up to (not including) `root`.
pub(crate) fn prune_empty_dirs(start: Option<&Path>, root: &Path) {
    let mut current: Option<PathBuf> = start.map(Path::to_path_buf);
    while let Some(dir) = current {
        if dir == root || !dir.starts_with(root) || std::fs::remove_dir(&dir).is_err() {
            break;
        }
        current = dir.parent().map(Path::to_path_buf);
    }
}
