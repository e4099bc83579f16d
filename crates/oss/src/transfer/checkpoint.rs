//! Upload checkpoints: what an interrupted multipart upload needs to resume.
//!
//! A checkpoint is a small JSON file, rewritten atomically (temp file + rename) after every
//! part, named after a SHA-256 of bucket, key and absolute source path so each (source,
//! target) pair has exactly one. It holds no credential.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::OssError;

/// Format marker written in every checkpoint.
const MAGIC: &str = "jitstore-upload-checkpoint/1";

/// One part already uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointPart {
    /// Part number (1-based).
    pub number: u32,
    /// ETag the server returned.
    pub etag: String,
    /// Bytes in the part.
    pub size: u64,
    /// CRC-64 of the part.
    pub crc64: u64,
}

/// The state of one resumable upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format marker.
    pub magic: String,
    /// Target bucket.
    pub bucket: String,
    /// Target key.
    pub key: String,
    /// Absolute source path.
    pub source: PathBuf,
    /// Source size when the upload started.
    pub source_size: u64,
    /// Source modification time (ns since the epoch) when the upload started.
    pub source_mtime_ns: u128,
    /// Part size used.
    pub part_size: u64,
    /// The multipart upload id.
    pub upload_id: String,
    /// Parts done, in any order.
    pub parts: Vec<CheckpointPart>,
}

/// Size and modification time of a source file.
pub(crate) fn source_stamp(path: &Path) -> Result<(u64, u128), OssError> {
    let meta = std::fs::metadata(path).map_err(|source| OssError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok((meta.len(), mtime))
}

impl Checkpoint {
    /// A fresh checkpoint.
    pub(crate) fn new(
        bucket: &str,
        key: &str,
        source: &Path,
        (source_size, source_mtime_ns): (u64, u128),
        part_size: u64,
        upload_id: String,
    ) -> Checkpoint {
        Checkpoint {
            magic: MAGIC.to_owned(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source: source.to_owned(),
            source_size,
            source_mtime_ns,
            part_size,
            upload_id,
            parts: Vec::new(),
        }
    }

    /// The checkpoint file for uploading `source` to `bucket`/`key`, inside `dir`.
    pub fn path_for(dir: &Path, bucket: &str, key: &str, source: &Path) -> PathBuf {
        let mut h = Sha256::new();
        h.update(bucket.as_bytes());
        h.update([0]);
        h.update(key.as_bytes());
        h.update([0]);
        h.update(source.as_os_str().as_encoded_bytes());
        dir.join(format!("{}.ucp", hex::encode(&h.finalize()[..16])))
    }

    /// Reads a checkpoint; `None` when missing, unreadable or not a checkpoint (a damaged
    /// checkpoint only means starting over).
    pub fn load(path: &Path) -> Option<Checkpoint> {
        let text = std::fs::read(path).ok()?;
        let cp: Checkpoint = serde_json::from_slice(&text).ok()?;
        (cp.magic == MAGIC).then_some(cp)
    }

    /// Whether this checkpoint belongs to this upload of this (unchanged) source.
    pub(crate) fn matches(
        &self,
        bucket: &str,
        key: &str,
        source: &Path,
        stamp: (u64, u128),
        part_size: u64,
    ) -> bool {
        self.bucket == bucket
            && self.key == key
            && self.source == source
            && (self.source_size, self.source_mtime_ns) == stamp
            && self.part_size == part_size
    }

    /// Writes the checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<(), OssError> {
        let io = |source| OssError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| OssError::invalid("checkpoint", e.to_string()))?;
        jitstore_util::atomic_file::write_atomic(path, &json).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_a_changed_source() {
        let dir = tempfile_dir();
        let src = dir.join("src.bin");
        std::fs::write(&src, b"abc").unwrap();
        let stamp = source_stamp(&src).unwrap();
        let path = Checkpoint::path_for(&dir, "b", "k", &src);
        assert_eq!(path, Checkpoint::path_for(&dir, "b", "k", &src));
        assert_ne!(path, Checkpoint::path_for(&dir, "b", "k2", &src));
        let mut cp = Checkpoint::new("b", "k", &src, stamp, 1 << 20, "up-1".into());
        cp.parts.push(CheckpointPart {
            number: 1,
            etag: "\"E\"".into(),
            size: 3,
            crc64: 7,
        });
        cp.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap();
        assert_eq!(back, cp);
        assert!(back.matches("b", "k", &src, stamp, 1 << 20));
        assert!(!back.matches("b", "k", &src, (4, stamp.1), 1 << 20));
        assert!(!back.matches("b", "k", &src, stamp, 2 << 20));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(Checkpoint::load(&path).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "jitstore-cp-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
