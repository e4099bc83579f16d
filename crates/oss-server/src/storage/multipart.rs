//! Multipart upload state on disk.
//!
//! ```text
//! uploads/<upload-id>/upload.json     key, initiation time, content headers
//! uploads/<upload-id>/part-00001      part data + PartMeta trailer (same format as objects)
//! ```
//!
//! Upload ids are generated hex strings and part numbers are validated integers, so neither
//! reaches the filesystem unchecked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::meta::{read_trailer, ContentHeaders, ObjectMeta};
use super::segments::{part_file_name, SegmentPart, Segments, StoredMeta};
use super::{io_at, sync_dir, Bucket, StagingFile, StoreError};

/// A multipart upload in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadInfo {
    /// Upload id (32 upper-case hex characters).
    pub upload_id: String,
    /// Target object key.
    pub key: String,
    /// Initiation time, milliseconds since the Unix epoch.
    pub initiated_ms: i64,
    /// Content headers given at initiation, applied to the completed object.
    pub headers: ContentHeaders,
    /// `x-oss-forbid-overwrite` given at initiation.
    #[serde(default)]
    pub forbid_overwrite: bool,
}

/// One uploaded part.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartMeta {
    /// Part number, 1..=10000.
    pub part_number: u32,
    /// Upper-hex MD5 of the part, without quotes.
    pub etag: String,
    /// CRC-64/XZ of the part.
    pub crc64: u64,
    /// Part size in bytes.
    pub size: u64,
    /// Upload time, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
}

/// True when `id` has the shape of an upload id this server generates.
pub fn is_valid_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
}

/// Removes half-created uploads (no `upload.json`) and stray temp files after a crash.
pub(crate) fn sweep_staging(uploads: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(uploads) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_at(uploads)(e)),
    };
    for entry in entries {
        let path = entry.map_err(io_at(uploads))?.path();
        if path.is_dir() && !path.join("upload.json").exists() {
            std::fs::remove_dir_all(&path).map_err(io_at(&path))?;
        }
    }
    Ok(())
}

impl Bucket {
    fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        is_valid_upload_id(upload_id).then(|| self.uploads_dir().join(upload_id))
    }

    /// Starts a multipart upload.
    pub fn initiate_upload(
        &self,
        key: &str,
        headers: ContentHeaders,
        forbid_overwrite: bool,
    ) -> Result<UploadInfo, StoreError> {
        let upload_id = format!("{:032X}", rand::random::<u128>());
        let dir = self.uploads_dir().join(&upload_id);
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let info = UploadInfo {
            upload_id,
            key: key.to_string(),
            initiated_ms: super::now_ms(),
            headers,
            forbid_overwrite,
        };
        let json = serde_json::to_vec(&info).map_err(|e| io_at(&dir)(std::io::Error::other(e)))?;
        let done = dir.join("upload.json");
        jitstore_util::atomic_file::write_atomic(&done, &json).map_err(io_at(&done))?;
        Ok(info)
    }

    /// Reads an upload's state; `None` if unknown, completed or aborted.
    pub fn upload(&self, upload_id: &str) -> Result<Option<UploadInfo>, StoreError> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(None);
        };
        let path = dir.join("upload.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| io_at(&path)(std::io::Error::new(std::io::ErrorKind::InvalidData, e))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// All uploads in progress, sorted by key then initiation time.
    pub fn uploads(&self) -> Result<Vec<UploadInfo>, StoreError> {
        let dir = self.uploads_dir();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_at(&dir))? {
            let name = entry.map_err(io_at(&dir))?.file_name();
            if let Some(info) = self.upload(&name.to_string_lossy())? {
                out.push(info);
            }
        }
        out.sort_by(|a, b| (&a.key, a.initiated_ms).cmp(&(&b.key, b.initiated_ms)));
        Ok(out)
    }

    fn part_path(&self, upload_id: &str, part_number: u32) -> Option<PathBuf> {
        self.upload_dir(upload_id)
            .map(|d| d.join(part_file_name(part_number)))
    }

    /// Completes an upload by reference: hard-links the chosen part files into a new version
    /// directory of `meta.key` and commits a manifest listing them (see `segments`); no data is
    /// copied. `Ok(None)` when a part file has gone (the upload was aborted or completed
    /// meanwhile). The upload itself is left for the caller to remove.
    pub async fn complete_upload(
        &self,
        upload_id: &str,
        parts: &[PartMeta],
        meta: ObjectMeta,
        forbid_overwrite: bool,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        let Some(upload_dir) = self.upload_dir(upload_id) else {
            return Ok(None);
        };
        let segments = Segments {
            version: format!("{:032x}", rand::random::<u128>()),
            parts: parts
                .iter()
                .map(|p| SegmentPart {
                    number: p.part_number,
                    size: p.size,
                })
                .collect(),
        };
        let dir = self.segments_dir(&meta.key, &segments.version);
        let result = self
            .link_and_commit(&upload_dir, &dir, segments, meta, forbid_overwrite)
            .await;
        if !matches!(result, Ok(Some(_))) {
            // Not committed: the new version directory is nobody's.
            let _ = std::fs::remove_dir_all(&dir);
        }
        result
    }

    async fn link_and_commit(
        &self,
        upload_dir: &Path,
        dir: &Path,
        segments: Segments,
        meta: ObjectMeta,
        forbid_overwrite: bool,
    ) -> Result<Option<ObjectMeta>, StoreError> {
        std::fs::create_dir_all(dir).map_err(io_at(dir))?;
        for part in &segments.parts {
            let name = part_file_name(part.number);
            let from = upload_dir.join(&name);
            match std::fs::hard_link(&from, dir.join(&name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io_at(&from)(e)),
            }
        }
        // The links must be durable before the manifest that names them.
        sync_dir(dir);
        if let Some(parent) = dir.parent() {
            sync_dir(parent);
        }
        let mut staging = self.stage().await?;
        let stored = StoredMeta {
            meta,
            segments: Some(segments),
        };
        let tmp = self.tmp_dir();
        staging.seal(&stored).await.map_err(io_at(&tmp))?;
        let committed = self.commit(&mut staging, stored.meta, forbid_overwrite, |_| Ok(()))?;
        Ok(Some(committed))
    }

    /// Stores a sealed staging file as a part; `Ok(false)` if the upload is gone.
    pub fn commit_part(
        &self,
        upload_id: &str,
        part_number: u32,
        staging: &mut StagingFile,
    ) -> Result<bool, StoreError> {
        let Some(path) = self.part_path(upload_id, part_number) else {
            return Ok(false);
        };
        match std::fs::rename(staging.path(), &path) {
            Ok(()) => {
                staging.mark_committed();
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// The parts of an upload, ascending by part number.
    pub async fn parts(&self, upload_id: &str) -> Result<Vec<PartMeta>, StoreError> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(Vec::new());
        };
        let mut names = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_at(&dir)(e)),
        };
        for entry in entries {
            let name = entry
                .map_err(io_at(&dir))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("part-") {
                names.push(name);
            }
        }
        names.sort();
        let mut parts = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(&name);
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_at(&path)(e)),
            };
            let (meta, _len): (PartMeta, u64) =
                read_trailer(&mut file).await.map_err(io_at(&path))?;
            parts.push(meta);
        }
        Ok(parts)
    }

    /// Opens a part's data file.
    pub async fn open_part(
        &self,
        upload_id: &str,
        part_number: u32,
    ) -> Result<Option<tokio::fs::File>, StoreError> {
        let Some(path) = self.part_path(upload_id, part_number) else {
            return Ok(None);
        };
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(&path)(e)),
        }
    }

    /// Removes an upload and its parts; returns whether it existed.
    pub fn remove_upload(&self, upload_id: &str) -> Result<bool, StoreError> {
        let Some(dir) = self.upload_dir(upload_id) else {
            return Ok(false);
        };
        // Rename first so the upload disappears atomically, then delete.
        let trash = self
            .tmp_dir()
            .join(format!("upload-{upload_id}-{:08x}", rand::random::<u32>()));
        match std::fs::rename(&dir, &trash) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_at(&dir)(e)),
        }
        std::fs::remove_dir_all(&trash).map_err(io_at(&trash))?;
        Ok(true)
    }
}
