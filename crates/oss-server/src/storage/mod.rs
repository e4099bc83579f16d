//! Filesystem storage: buckets, objects and multipart uploads under one data directory.
//!
//! Layout (every name below is generated or validated; object keys never become paths):
//!
//! ```text
//! <data>/buckets/<bucket>/bucket.json          bucket settings
//! <data>/buckets/<bucket>/objects/<hh>/<sha256(key)>   data + metadata trailer (see `meta`)
//! <data>/buckets/<bucket>/tmp/                 staging files, swept at start
//! <data>/buckets/<bucket>/uploads/<upload-id>/ multipart state (see `multipart`)
//! <data>/buckets/<bucket>/segments/<sha256(key)>/<version>/  parts of completed multipart
//!                                              objects, linked not copied (see `segments`)
//! <data>/trash/                                buckets being created or removed, swept at start
//! ```
//!
//! A write streams into a staging file, fsyncs it and renames it over the object path while
//! holding the bucket's index lock, so readers see one whole version or the other and the
//! in-memory index (used for listings) always matches the file on disk.
//!
//! Bucket creation and removal are single renames between `trash/` and `buckets/`: a bucket is
//! built in `trash/` and renamed into place, and removed by renaming it into `trash/`. A crash
//! at any point leaves either the whole bucket or none (the trash is emptied at start). Removal
//! holds the bucket's index lock, the lock every commit takes, and refuses while objects,
//! multipart uploads or in-flight writes (staging files) exist; once removed, a bucket accepts
//! no further staging or commit.

pub mod byte_budget;
pub mod md5_lanes;
pub mod md5_service;
pub mod meta;
pub mod meta_update;
pub mod multipart;
pub mod read;
pub mod segments;
pub mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use segments::{Segments, StoredMeta};

pub use meta::{ContentHeaders, ObjectMeta, ObjectType};
pub use read::RangeReader;
pub use writer::{DataDigest, StagingFile};

/// A storage failure, mapped to an OSS error by the API layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The bucket does not exist.
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    /// The bucket exists already.
    #[error("bucket {0} already exists")]
    BucketAlreadyExists(String),
    /// The bucket still holds objects or uploads.
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    /// `x-oss-forbid-overwrite` was set and the key exists.
    #[error("object {0} already exists")]
    FileAlreadyExists(String),
    /// A commit precondition (append position, object type) failed.
    #[error("precondition failed for object {key}: {reason}")]
    Conflict {
        /// The object key.
        key: String,
        /// What was wrong.
        reason: ConflictReason,
    },
    /// A filesystem operation failed.
    #[error("storage I/O error at {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Why a conditional commit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictReason {
    /// Append position differs from the current length (which is carried).
    PositionNotEqualToLength(u64),
    /// Append on an object that is not appendable.
    ObjectNotAppendable,
    /// The object was replaced while its metadata was being rewritten, again and again.
    ChangedConcurrently,
}

impl std::fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConflictReason::PositionNotEqualToLength(len) => {
                write!(f, "position is not equal to the object length {len}")
            }
            ConflictReason::ObjectNotAppendable => write!(f, "object is not appendable"),
            ConflictReason::ChangedConcurrently => {
                write!(f, "object kept changing while its metadata was updated")
            }
        }
    }
}

/// Attaches the path to an I/O error.
pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Settings of one bucket, stored in `bucket.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BucketInfo {
    /// Bucket name.
    pub name: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Region the bucket lives in.
    pub region: String,
    /// `private`, `public-read` or `public-read-write`.
    pub acl: String,
    /// Storage class.
    pub storage_class: String,
}

impl BucketInfo {
    /// Whether anonymous GET/HEAD requests are allowed.
    pub fn is_public_read(&self) -> bool {
        self.acl == "public-read" || self.acl == "public-read-write"
    }
}

/// The whole object store.
pub struct Store {
    root: PathBuf,
    buckets: RwLock<BTreeMap<String, Arc<Bucket>>>,
}

/// One bucket: its directory and the in-memory key index.
pub struct Bucket {
    dir: PathBuf,
    info: RwLock<BucketInfo>,
    index: Mutex<BTreeMap<String, ObjectMeta>>,
    /// Staging files alive for this bucket (in-flight writes): they count as content.
    writers: Arc<AtomicUsize>,
    /// Set (under the index lock) when the bucket is removed: no staging or commit after it.
    removed: AtomicBool,
}

/// Current time in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (or creates) the store under `root`, sweeping staging files left by a crash
    /// and loading every bucket's index.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let buckets_dir = root.join("buckets");
        std::fs::create_dir_all(&buckets_dir).map_err(io_at(&buckets_dir))?;
        let trash = root.join("trash");
        if trash.exists() {
            std::fs::remove_dir_all(&trash).map_err(io_at(&trash))?;
        }
        let mut buckets = BTreeMap::new();
        for entry in std::fs::read_dir(&buckets_dir).map_err(io_at(&buckets_dir))? {
            let entry = entry.map_err(io_at(&buckets_dir))?;
            let dir = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let info_path = dir.join("bucket.json");
            // Leftovers of an interrupted creation (`.new-*` from older versions) or of a
            // commit racing a removal (no bucket.json) are not buckets: remove them, so that
            // they can neither come back as a bucket nor block the name.
            if name.starts_with('.') || !info_path.is_file() {
                tracing::warn!(path = %dir.display(), "removing a directory that is not a bucket");
                std::fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
                continue;
            }
            let text = std::fs::read(&info_path).map_err(io_at(&info_path))?;
            let info: BucketInfo = serde_json::from_slice(&text).map_err(|e| StoreError::Io {
                path: info_path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            if info.name != name {
                tracing::warn!(path = %dir.display(), bucket = %info.name, "skipping a bucket directory whose name does not match its bucket.json");
                continue;
            }
            let bucket = Bucket::load(dir, info)?;
            buckets.insert(bucket.name(), Arc::new(bucket));
        }
        Ok(Store {
            root: root.to_path_buf(),
            buckets: RwLock::new(buckets),
        })
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Looks a bucket up.
    pub fn bucket(&self, name: &str) -> Option<Arc<Bucket>> {
        read_lock(&self.buckets).get(name).cloned()
    }

    /// All buckets, sorted by name.
    pub fn list_buckets(&self) -> Vec<BucketInfo> {
        read_lock(&self.buckets)
            .values()
            .map(|b| b.info())
            .collect()
    }

    /// Creates a bucket; the name must already be validated.
    pub fn create_bucket(&self, info: BucketInfo) -> Result<Arc<Bucket>, StoreError> {
        let mut buckets = write_lock(&self.buckets);
        if buckets.contains_key(&info.name) {
            return Err(StoreError::BucketAlreadyExists(info.name));
        }
        let buckets_dir = self.root.join("buckets");
        let final_dir = buckets_dir.join(&info.name);
        let trash = self.root.join("trash");
        std::fs::create_dir_all(&trash).map_err(io_at(&trash))?;
        if final_dir.exists() {
            // Not a bucket (it is not in the map): a leftover that must not block the name.
            let junk = trash.join(format!("junk-{:016x}", rand::random::<u64>()));
            std::fs::rename(&final_dir, &junk).map_err(io_at(&final_dir))?;
            let _ = std::fs::remove_dir_all(&junk);
        }
        // Built in the trash (emptied at start), then renamed into place in one step.
        let staging = trash.join(format!("new-{:016x}", rand::random::<u64>()));
        for sub in ["objects", "tmp", "uploads"] {
            let d = staging.join(sub);
            std::fs::create_dir_all(&d).map_err(io_at(&d))?;
        }
        let info_path = staging.join("bucket.json");
        let json = serde_json::to_vec_pretty(&info).map_err(|e| StoreError::Io {
            path: info_path.clone(),
            source: std::io::Error::other(e),
        })?;
        write_synced(&info_path, &json)?;
        if let Err(e) = std::fs::rename(&staging, &final_dir) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(io_at(&final_dir)(e));
        }
        sync_dir(&buckets_dir);
        let bucket = Arc::new(Bucket::empty(final_dir, info.clone()));
        buckets.insert(info.name, bucket.clone());
        Ok(bucket)
    }

    /// Deletes an empty bucket.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut buckets = write_lock(&self.buckets);
        let bucket = buckets
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::NoSuchBucket(name.to_string()))?;
        // The lock every commit takes: no object can appear between the check and the removal.
        let index = lock(&bucket.index);
        if !index.is_empty() || bucket.writers.load(Ordering::SeqCst) > 0 || bucket.has_uploads()? {
            return Err(StoreError::BucketNotEmpty(name.to_string()));
        }
        let trash = self.root.join("trash");
        std::fs::create_dir_all(&trash).map_err(io_at(&trash))?;
        let target = trash.join(format!("{name}-{:016x}", rand::random::<u64>()));
        std::fs::rename(&bucket.dir, &target).map_err(io_at(&bucket.dir))?;
        sync_dir(&self.root.join("buckets"));
        bucket.removed.store(true, Ordering::SeqCst);
        drop(index);
        buckets.remove(name);
        drop(buckets);
        // Best effort: whatever is left in the trash is removed at the next start.
        if let Err(e) = std::fs::remove_dir_all(&target) {
            tracing::warn!(path = %target.display(), error = %e, "cannot empty the trash");
        }
        Ok(())
    }
}

impl Bucket {
    fn load(dir: PathBuf, info: BucketInfo) -> Result<Bucket, StoreError> {
        let tmp = dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io_at(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io_at(&tmp))?;
        for sub in ["objects", "uploads"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(io_at(&d))?;
        }
        multipart::sweep_staging(&dir.join("uploads"))?;
        let mut index = BTreeMap::new();
        let mut referenced = std::collections::HashSet::new();
        let objects = dir.join("objects");
        for shard in std::fs::read_dir(&objects).map_err(io_at(&objects))? {
            let shard = shard.map_err(io_at(&objects))?.path();
            if !shard.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&shard).map_err(io_at(&shard))? {
                let path = file.map_err(io_at(&shard))?.path();
                match read_meta_blocking(&path) {
                    Ok(stored) => {
                        if let Some(seg) = &stored.segments {
                            referenced.insert((key_hash(&stored.meta.key), seg.version.clone()));
                        }
                        index.insert(stored.meta.key.clone(), stored.meta);
                    }
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "skipping unreadable object file");
                    }
                }
            }
        }
        segments::sweep(&dir, &referenced)?;
        let bucket = Bucket::empty(dir, info);
        *lock(&bucket.index) = index;
        Ok(bucket)
    }

    fn empty(dir: PathBuf, info: BucketInfo) -> Bucket {
        Bucket {
            dir,
            info: RwLock::new(info),
            index: Mutex::new(BTreeMap::new()),
            writers: Arc::new(AtomicUsize::new(0)),
            removed: AtomicBool::new(false),
        }
    }

    /// Bucket name.
    pub fn name(&self) -> String {
        read_lock(&self.info).name.clone()
    }

    /// Bucket settings.
    pub fn info(&self) -> BucketInfo {
        read_lock(&self.info).clone()
    }

    /// Changes the bucket ACL (persisted in `bucket.json`).
    pub fn set_acl(&self, acl: &str) -> Result<(), StoreError> {
        let mut info = write_lock(&self.info);
        let mut updated = info.clone();
        updated.acl = acl.to_string();
        let path = self.dir.join("bucket.json");
        let json = serde_json::to_vec_pretty(&updated)
            .map_err(|e| io_at(&path)(std::io::Error::other(e)))?;
        jitstore_util::atomic_file::write_atomic(&path, &json).map_err(io_at(&path))?;
        *info = updated;
        Ok(())
    }

    /// Where an object key is stored: a hash, never the key itself.
    pub fn object_path(&self, key: &str) -> PathBuf {
        let digest = key_hash(key);
        self.dir.join("objects").join(&digest[..2]).join(digest)
    }

    /// The directory holding the part files of one version of an object stored by reference.
    pub fn segments_dir(&self, key: &str, version: &str) -> PathBuf {
        segments::key_dir(&self.dir, &key_hash(key)).join(version)
    }

    /// The part files of the version at `path`, if it is stored by reference (read under the
    /// index lock, before that version is replaced or deleted).
    fn segments_of(&self, key: &str, path: &Path) -> Option<PathBuf> {
        let file = std::fs::File::open(path).ok()?;
        let (stored, _) = read_meta_from(&file).ok()?;
        let seg = stored.segments.filter(Segments::is_valid)?;
        Some(self.segments_dir(key, &seg.version))
    }

    /// Removes the part files of a replaced or deleted version (best effort: a leftover is swept
    /// at the next start). Readers that opened that version keep their open files.
    fn drop_segments(dir: Option<PathBuf>) {
        if let Some(dir) = dir {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(path = %dir.display(), error = %e, "cannot remove replaced parts");
            }
        }
    }

    /// Directory for staging files.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Directory holding multipart uploads.
    pub fn uploads_dir(&self) -> PathBuf {
        self.dir.join("uploads")
    }

    /// Starts a new staging file for this bucket; it counts as content (DeleteBucket refuses)
    /// until it is dropped. Fails with `NoSuchBucket` once the bucket is removed.
    pub async fn stage(&self) -> Result<StagingFile, StoreError> {
        let guard = {
            let _index = lock(&self.index);
            if self.removed.load(Ordering::SeqCst) {
                return Err(StoreError::NoSuchBucket(self.name()));
            }
            WriterGuard::new(self.writers.clone())
        };
        let tmp = self.tmp_dir();
        let staging = StagingFile::create(&tmp).await.map_err(io_at(&tmp))?;
        Ok(staging.with_guard(guard))
    }

    /// Metadata of a key from the index (fast; used by listings and existence checks).
    pub fn lookup(&self, key: &str) -> Option<ObjectMeta> {
        lock(&self.index).get(key).cloned()
    }

    /// Makes a sealed staging file the current version of `meta.key`.
    ///
    /// `check` runs under the index lock with the current version (if any) and may refuse the
    /// commit; `forbid_overwrite` refuses when the key exists.
    pub fn commit(
        &self,
        staging: &mut StagingFile,
        meta: ObjectMeta,
        forbid_overwrite: bool,
        check: impl FnOnce(Option<&ObjectMeta>) -> Result<(), StoreError>,
    ) -> Result<ObjectMeta, StoreError> {
        let target = self.object_path(&meta.key);
        let shard = target.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut index = lock(&self.index);
        if self.removed.load(Ordering::SeqCst) {
            return Err(StoreError::NoSuchBucket(self.name()));
        }
        let current = index.get(&meta.key);
        if forbid_overwrite && current.is_some() {
            return Err(StoreError::FileAlreadyExists(meta.key.clone()));
        }
        check(current)?;
        let replaced = current
            .filter(|c| c.object_type == ObjectType::Multipart)
            .and_then(|_| self.segments_of(&meta.key, &target));
        std::fs::create_dir_all(&shard).map_err(io_at(&shard))?;
        std::fs::rename(staging.path(), &target).map_err(io_at(&target))?;
        staging.mark_committed();
        index.insert(meta.key.clone(), meta.clone());
        drop(index);
        Self::drop_segments(replaced);
        Ok(meta)
    }

    /// Opens the current version of a key for reading, in one blocking call. Objects up to
    /// [`INLINE_READ`] bytes are read whole in the same call.
    pub async fn open(&self, key: &str) -> Result<Option<OpenObject>, StoreError> {
        let path = self.object_path(key);
        let seg_root = segments::key_dir(&self.dir, &key_hash(key));
        let key = key.to_string();
        let p = path.clone();
        let opened = tokio::task::spawn_blocking(move || open_blocking(&p, &seg_root, &key))
            .await
            .map_err(|e| io_at(&path)(std::io::Error::other(e)))?
            .map_err(io_at(&path))?;
        Ok(opened)
    }

    /// Removes a key; returns whether it existed.
    pub fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.object_path(key);
        let mut index = lock(&self.index);
        let removed = index.remove(key);
        let parts = removed
            .as_ref()
            .filter(|m| m.object_type == ObjectType::Multipart)
            .and_then(|_| self.segments_of(key, &path));
        let result = match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(removed.is_some()),
            Err(e) => Err(io_at(&path)(e)),
        };
        drop(index);
        if result.is_ok() {
            Self::drop_segments(parts);
        }
        result
    }

    /// Up to `limit` index entries with keys `> after` (or all when `None`) that start with
    /// `prefix`, in byte order. The closure may stop early by returning `false`.
    pub fn scan(
        &self,
        prefix: &str,
        after: Option<&str>,
        mut visit: impl FnMut(&ObjectMeta) -> bool,
    ) {
        use std::ops::Bound;
        let index = lock(&self.index);
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a.to_string()),
            _ => Bound::Included(prefix.to_string()),
        };
        for (key, meta) in index.range((start, Bound::Unbounded)) {
            if !key.starts_with(prefix) {
                break;
            }
            if !visit(meta) {
                break;
            }
        }
    }

    fn has_uploads(&self) -> Result<bool, StoreError> {
        let dir = self.uploads_dir();
        let mut entries = std::fs::read_dir(&dir).map_err(io_at(&dir))?;
        Ok(entries.next().is_some())
    }
}

/// Counts one in-flight write of a bucket while alive.
pub struct WriterGuard(Arc<AtomicUsize>);

impl WriterGuard {
    fn new(count: Arc<AtomicUsize>) -> WriterGuard {
        count.fetch_add(1, Ordering::SeqCst);
        WriterGuard(count)
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Writes a small file and fsyncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(io_at(path))?;
    f.write_all(bytes).map_err(io_at(path))?;
    f.sync_all().map_err(io_at(path))
}

/// Makes a rename in `dir` durable (best effort: not every filesystem can sync a directory).
pub(crate) use jitstore_util::atomic_file::sync_dir;

/// Objects up to this size are read whole when opened.
pub const INLINE_READ: u64 = 256 * 1024;

/// An object opened for reading: the open files pin this version.
pub struct OpenObject {
    /// The files holding the data, in order, each with the number of data bytes at its start
    /// (one file for an object written whole; the part files of one stored by reference).
    pieces: Vec<(std::fs::File, u64)>,
    /// The version's metadata.
    pub meta: ObjectMeta,
    /// The whole data, for objects up to [`INLINE_READ`] bytes.
    pub data: Option<bytes::Bytes>,
    /// The parts, for a version stored by reference (a completed multipart upload).
    pub(crate) segments: Option<Segments>,
}

impl OpenObject {
    /// An async reader of the data bytes `start..start + len` (clamped to the object), reading
    /// across the object's files in order. The readers of one `OpenObject` share its files'
    /// cursors: read them one after the other, not interleaved.
    pub fn range_reader(&self, start: u64, len: u64) -> std::io::Result<RangeReader> {
        let mut pieces = std::collections::VecDeque::new();
        let mut offset = 0u64;
        let end = start.saturating_add(len);
        for (file, size) in &self.pieces {
            let (lo, hi) = (offset, offset + size);
            offset = hi;
            if hi <= start || lo >= end || *size == 0 {
                continue;
            }
            pieces.push_back(read::Piece {
                file: file.try_clone()?,
                at: start.max(lo) - lo,
                end: end.min(hi) - lo,
            });
        }
        Ok(RangeReader::new(pieces))
    }
}

fn open_blocking(path: &Path, seg_root: &Path, key: &str) -> std::io::Result<Option<OpenObject>> {
    // A version stored by reference may be replaced between opening its manifest and opening
    // its parts (whose directory is then removed): start over with the new version.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match open_version(path, seg_root, key) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 4 => continue,
            other => return other,
        }
    }
}

/// Opens one version; `NotFound` from a part means the version was replaced meanwhile.
fn open_version(path: &Path, seg_root: &Path, key: &str) -> std::io::Result<Option<OpenObject>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let (stored, data_len) = read_meta_from(&file)?;
    if stored.meta.key != key || check_size(&stored, data_len).is_err() {
        // A hash collision or a damaged file: report the key as absent.
        return Ok(None);
    }
    let pieces = match &stored.segments {
        None => vec![(file, stored.meta.size)],
        Some(seg) => {
            let dir = seg_root.join(&seg.version);
            let mut pieces = Vec::with_capacity(seg.parts.len());
            for part in &seg.parts {
                let f = std::fs::File::open(dir.join(segments::part_file_name(part.number)))?;
                pieces.push((f, part.size));
            }
            pieces
        }
    };
    let meta = stored.meta;
    let segments = stored.segments;
    let data = if meta.size <= INLINE_READ {
        Some(read_whole(&pieces, meta.size)?)
    } else {
        None
    };
    Ok(Some(OpenObject {
        pieces,
        meta,
        data,
        segments,
    }))
}

/// The data of a small object: every piece's data bytes, read straight into one buffer (not
/// zeroed first). The files are the ones just opened (their cursors at the start).
fn read_whole(pieces: &[(std::fs::File, u64)], size: u64) -> std::io::Result<bytes::Bytes> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(usize::try_from(size).map_err(std::io::Error::other)?);
    for (file, part) in pieces {
        let before = buf.len() as u64;
        file.take(*part).read_to_end(&mut buf)?;
        if buf.len() as u64 - before != *part {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "object data is shorter than its metadata says",
            ));
        }
    }
    Ok(bytes::Bytes::from(buf))
}

/// Checks that the data the trailer describes is all there.
fn check_size(stored: &StoredMeta, data_len: u64) -> std::io::Result<()> {
    let ok = match &stored.segments {
        None => stored.meta.size == data_len,
        Some(seg) => data_len == 0 && seg.is_valid() && seg.size() == stored.meta.size,
    };
    if ok {
        Ok(())
    } else {
        Err(std::io::Error::other(
            "object size does not match its metadata",
        ))
    }
}

/// Reads the metadata trailer of an object file; returns it with the data length.
fn read_meta_from(file: &std::fs::File) -> std::io::Result<(StoredMeta, u64)> {
    use std::os::unix::fs::FileExt;
    let total = file.metadata()?.len();
    if total < meta::TRAILER_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "short object file",
        ));
    }
    let mut tail = [0u8; meta::TRAILER_LEN as usize];
    file.read_exact_at(&mut tail, total - meta::TRAILER_LEN)?;
    let (data_len, mut json) = meta::locate_meta(&tail, total)?;
    file.read_exact_at(&mut json, data_len)?;
    Ok((meta::parse_meta(&json)?, data_len))
}

fn read_meta_blocking(path: &Path) -> std::io::Result<StoredMeta> {
    let file = std::fs::File::open(path)?;
    let (stored, data_len) = read_meta_from(&file)?;
    check_size(&stored, data_len)?;
    Ok(stored)
}

/// Hex SHA-256 of a key: its file name (keys never become paths).
fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

// The one lock-poisoning rule (recover the data), shared by every jitstore crate.
pub(crate) use jitstore_util::lock::lock;
use jitstore_util::lock::{read as read_lock, write as write_lock};
