//! Objects stored by reference: a completed multipart upload keeps its part files.
//!
//! ```text
//! objects/<hh>/<sha256(key)>                       manifest: no data, trailer = StoredMeta
//! segments/<sha256(key)>/<version>/part-00001      hard links to the upload's part files
//! ```
//!
//! CompleteMultipartUpload hard-links the chosen part files into a new version directory, writes
//! a manifest (an object file with no data whose metadata lists the parts) and renames it over
//! the object path like any other commit. Nothing is copied or re-hashed. A crash before the
//! rename leaves an unreferenced version directory, one after it leaves the previous version's
//! directory: both are swept when the bucket is loaded, so a restart shows either no object or
//! the whole object. A reader opens every part file when it opens the object, so a version it
//! reads stays whole while later writes replace it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::meta::ObjectMeta;
use super::{io_at, StoreError};

/// The parts an object is made of, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segments {
    /// Version directory name (32 hex characters, generated).
    pub version: String,
    /// The parts: number (names the file) and data size.
    pub parts: Vec<SegmentPart>,
}

/// One part of an object stored by reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPart {
    /// Part number, 1..=10000.
    pub number: u32,
    /// Data bytes (at the start of the part file; its trailer follows).
    pub size: u64,
}

impl Segments {
    /// Total data size.
    pub fn size(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    /// Whether the version name is one this server generates (it becomes a path).
    pub fn is_valid(&self) -> bool {
        self.version.len() == 32 && self.version.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// What an object file's trailer holds: the metadata, plus the parts for an object stored by
/// reference. Readers that only need [`ObjectMeta`] parse the same JSON and ignore `segments`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredMeta {
    /// The object's metadata.
    #[serde(flatten)]
    pub meta: ObjectMeta,
    /// The parts, when the data lives in part files rather than in the object file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segments>,
}

/// File name of a part inside a version directory (and inside an upload directory).
pub fn part_file_name(number: u32) -> String {
    format!("part-{number:05}")
}

/// `segments/<key hash>` of a bucket directory.
pub fn key_dir(bucket_dir: &Path, key_hash: &str) -> PathBuf {
    bucket_dir.join("segments").join(key_hash)
}

/// Removes the version directories under `segments/` that no current object references (left by
/// a crash during CompleteMultipartUpload, or by one between a commit and its cleanup).
pub(crate) fn sweep(
    bucket_dir: &Path,
    referenced: &HashSet<(String, String)>,
) -> Result<(), StoreError> {
    let root = bucket_dir.join("segments");
    let keys = match std::fs::read_dir(&root) {
        Ok(k) => k,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_at(&root)(e)),
    };
    for key_entry in keys {
        let key_dir = key_entry.map_err(io_at(&root))?.path();
        let key_hash = file_name(&key_dir);
        let versions = std::fs::read_dir(&key_dir).map_err(io_at(&key_dir))?;
        let mut kept = 0;
        for version_entry in versions {
            let dir = version_entry.map_err(io_at(&key_dir))?.path();
            if referenced.contains(&(key_hash.clone(), file_name(&dir))) {
                kept += 1;
            } else {
                std::fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
            }
        }
        if kept == 0 {
            std::fs::remove_dir(&key_dir).map_err(io_at(&key_dir))?;
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
