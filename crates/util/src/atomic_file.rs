//! The one atomic file write of jitstore: content goes to a temporary file in the target's
//! folder, is fsynced, renamed onto the target, and the folder is fsynced so the rename itself
//! survives a crash. Readers see the old file or the complete new one, never a part.
//!
//! Three entry points, from the simplest:
//! - [`write_atomic`] writes a byte slice;
//! - [`AtomicFile`] is a temporary file to stream into, committed with
//!   [`AtomicFile::commit`] and removed when dropped uncommitted;
//! - [`commit_synced`] / [`rename_into_place`] finish a temporary file a caller wrote itself
//!   (for example with positional writes from several tasks).
//!
//! DiskType's confined writes (beneath a folder descriptor, no link followed) keep their own
//! descriptor-relative variant in `jitstore-storages`; the steps are the same.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("jitstore-util-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let target = dir.join("note.txt");
//! jitstore_util::atomic_file::write_atomic(&target, b"hello").unwrap();
//! assert_eq!(std::fs::read(&target).unwrap(), b"hello");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The folder holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A fresh hidden temporary path beside `target`:
/// `.<file name>.<process id>.<unique hex><suffix>` in the target's folder. Unique within the
/// process and unlikely to clash across processes; create it with `create_new` all the same.
pub fn temp_path_beside(target: &Path, suffix: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let unique = u64::from(nanos) ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
    let mut file_name = OsString::from(format!(".{name}.{}.{unique:08x}", std::process::id()));
    file_name.push(suffix);
    parent_dir(target).join(file_name)
}

/// Makes renames in `dir` durable (best effort: not every file system can fsync a folder, and
/// the rename already happened, so a failure here is not reported).
pub fn sync_dir(dir: &Path) {
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
}

/// Renames the finished temporary file `temp` onto `target` (atomically replacing it) and,
/// when `durable`, fsyncs the folder so the rename survives a crash. The caller has fsynced
/// the content (or chose not to). On failure `temp` is left for the caller to remove.
pub fn rename_into_place(temp: &Path, target: &Path, durable: bool) -> io::Result<()> {
    std::fs::rename(temp, target)?;
    if durable {
        sync_dir(&parent_dir(target));
    }
    Ok(())
}

/// Finishes a temporary file the caller wrote itself: fsyncs `file` (the open `temp`), renames
/// `temp` onto `target` and fsyncs the folder. On failure `temp` is left for the caller to
/// remove.
pub fn commit_synced(file: &File, temp: &Path, target: &Path) -> io::Result<()> {
    file.sync_all()?;
    rename_into_place(temp, target, true)
}

/// Writes `bytes` to `target` atomically (temporary file beside it, fsync, rename, fsync of
/// the folder). On failure the target is untouched and no temporary file remains.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(target, ".tmp")?;
    file.file_mut().write_all(bytes)?;
    file.commit()
}

/// A temporary file beside its target, to be written and then [`commit`](Self::commit)ted;
/// dropped uncommitted, it is removed and the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates a new temporary file for `target` in its folder, named by
    /// [`temp_path_beside`] with `suffix` (the folder must exist).
    pub fn create(target: &Path, suffix: &str) -> io::Result<AtomicFile> {
        let mut last = None;
        for _attempt in 0..8 {
            let temp = temp_path_beside(target, suffix);
            match Self::create_at(target, temp) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free temporary file name")))
    }

    /// Creates the temporary file `temp` (which must not exist; it must be in the target's
    /// folder for the rename to be atomic) for `target`.
    pub fn create_at(target: &Path, temp: PathBuf) -> io::Result<AtomicFile> {
        let file = File::options().write(true).create_new(true).open(&temp)?;
        Ok(AtomicFile {
            file,
            temp,
            target: target.to_owned(),
            committed: false,
        })
    }

    /// The open temporary file, to write the content to.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The open temporary file, mutably.
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Where the temporary file is.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Where the content goes on commit.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Fsyncs the content, renames it onto the target and fsyncs the folder. On failure the
    /// temporary file is removed and the target is untouched.
    pub fn commit(mut self) -> io::Result<()> {
        commit_synced(&self.file, &self.temp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "jitstore-util-{name}-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_atomic_replaces_the_target_and_leaves_no_temporary_file() {
        let dir = scratch("replace");
        let target = dir.join("a.bin");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, b"new content").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new content");
        assert_eq!(names(&dir), vec!["a.bin"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_uncommitted_file_is_removed_and_the_target_untouched() {
        let dir = scratch("drop");
        let target = dir.join("a.bin");
        std::fs::write(&target, b"old").unwrap();
        let mut file = AtomicFile::create(&target, ".part").unwrap();
        file.file_mut().write_all(b"half").unwrap();
        let temp = file.temp_path().to_owned();
        assert!(temp.exists());
        assert_eq!(temp.parent(), Some(dir.as_path()));
        let temp_name = temp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(temp_name.starts_with(".a.bin."), "{temp_name}");
        assert!(temp_name.ends_with(".part"), "{temp_name}");
        drop(file);
        assert!(!temp.exists());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_rename_keeps_the_target_and_removes_the_temporary_file() {
        let dir = scratch("fail");
        // A folder at the target: a file cannot be renamed onto it.
        let target = dir.join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::NotFound, "{err}");
        assert!(target.is_dir());
        assert_eq!(names(&dir), vec!["taken"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporary_paths_are_hidden_unique_and_beside_the_target() {
        let a = temp_path_beside(Path::new("dir/x.txt"), ".tmp");
        let b = temp_path_beside(Path::new("dir/x.txt"), ".tmp");
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("dir")));
        assert_eq!(
            temp_path_beside(Path::new("x"), "").parent(),
            Some(Path::new("."))
        );
    }
}
