//! The folder store behind `storages.FolderType`: one file per object in a folder, written
//! and read a chunk at a time, so neither side of the plugin boundary ever holds an object.
//!
//! Each object is the file `<root>/<hex of the key>.obj` (keys never become paths, so no key
//! can leave the folder), laid out as the body, then a JSON trailer (content type, user
//! metadata, ETag), then the trailer's length as a little-endian `u32`. A write goes to a
//! temporary file in the folder, renamed over the object at `finish`; a reader keeps the file
//! it opened, so a later write does not change what it reads.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use jitstore_storages_plugin::protocol::{ObjectMeta, PutResponse};
use jitstore_storages_plugin::{
    PluginReader, PluginStorage, PluginStorageError, PluginWriter, WriteRequest,
};
use serde::{Deserialize, Serialize};

use crate::store::{check_key, Fingerprint};

/// The instance config (`<Name>.json`) of `storages.FolderType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FolderConfig {
    /// The folder holding the objects (relative paths are relative to the app folder).
    pub root: PathBuf,
}

impl FolderConfig {
    /// Parses the merged config JSON.
    pub fn parse(json: &str) -> Result<FolderConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}

/// What follows an object's body in its file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Trailer {
    content_type: String,
    #[serde(default)]
    user_metadata: BTreeMap<String, String>,
    etag: String,
}

/// Objects as files in one folder.
#[derive(Debug)]
pub struct FolderStore {
    root: PathBuf,
}

const OBJECT_SUFFIX: &str = ".obj";
const TEMP_PREFIX: &str = ".tmp-";

fn io_error(what: &str, path: &Path, error: std::io::Error) -> PluginStorageError {
    if error.kind() == std::io::ErrorKind::NotFound {
        return PluginStorageError::NotFound;
    }
    PluginStorageError::Other(format!("{what} {}: {error}", path.display()))
}

fn hex(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    let decoded: Option<Vec<u8>> = bytes
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect();
    String::from_utf8(decoded?).ok()
}

/// Reads exactly `buf.len()` bytes at `offset`.
fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = read_at(file, offset + filled as u64, &mut buf[filled..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
    }
    Ok(())
}

#[cfg(unix)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// An object file, opened: its body size and trailer.
struct Opened {
    file: File,
    body_size: u64,
    trailer: Trailer,
    modified_ms: Option<i64>,
}

impl Opened {
    fn open(path: &Path) -> Result<Opened, PluginStorageError> {
        let file = File::open(path).map_err(|e| io_error("cannot open", path, e))?;
        let metadata = file
            .metadata()
            .map_err(|e| io_error("cannot stat", path, e))?;
        let corrupt = |why: &str| {
            PluginStorageError::Other(format!("object file {} is corrupt: {why}", path.display()))
        };
        let length = metadata.len();
        let mut tail = [0u8; 4];
        if length < 4 {
            return Err(corrupt("shorter than its trailer length"));
        }
        read_exact_at(&file, length - 4, &mut tail)
            .map_err(|e| io_error("cannot read", path, e))?;
        let trailer_len = u64::from(u32::from_le_bytes(tail));
        let Some(body_size) = length.checked_sub(4 + trailer_len) else {
            return Err(corrupt("trailer longer than the file"));
        };
        let mut trailer = vec![0u8; usize::try_from(trailer_len).unwrap_or(0)];
        read_exact_at(&file, body_size, &mut trailer)
            .map_err(|e| io_error("cannot read", path, e))?;
        let trailer: Trailer =
            serde_json::from_slice(&trailer).map_err(|e| corrupt(&e.to_string()))?;
        let modified_ms = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok());
        Ok(Opened {
            file,
            body_size,
            trailer,
            modified_ms,
        })
    }

    fn meta(&self, key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size: self.body_size,
            etag: Some(self.trailer.etag.clone()),
            content_type: Some(self.trailer.content_type.clone()),
            last_modified_ms: self.modified_ms,
            user_metadata: self.trailer.user_metadata.clone(),
        }
    }
}

impl PluginReader for Opened {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, PluginStorageError> {
        let left = self.body_size.saturating_sub(offset);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        read_at(&self.file, offset, &mut buf[..want])
            .map_err(|e| PluginStorageError::Other(format!("cannot read an object: {e}")))
    }
}

/// Writes one object into a temporary file; renamed into place at `finish`, removed on drop.
struct FolderWriter {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
    trailer: Trailer,
    fingerprint: Fingerprint,
    size: u64,
}

impl PluginWriter for FolderWriter {
    fn write(&mut self, data: &[u8]) -> Result<(), PluginStorageError> {
        let Some(file) = self.file.as_mut() else {
            return Err(PluginStorageError::Other("the writer is closed".to_owned()));
        };
        file.write_all(data)
            .map_err(|e| io_error("cannot write", &self.temp, e))?;
        self.fingerprint.update(data);
        self.size += data.len() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<PutResponse, PluginStorageError> {
        let Some(mut file) = self.file.take() else {
            return Err(PluginStorageError::Other("the writer is closed".to_owned()));
        };
        self.trailer.etag = self.fingerprint.etag();
        let trailer = serde_json::to_vec(&self.trailer)
            .map_err(|e| PluginStorageError::Other(format!("cannot encode the trailer: {e}")))?;
        let trailer_len = u32::try_from(trailer.len())
            .map_err(|_| PluginStorageError::InvalidArgument("metadata too large".to_owned()))?;
        file.write_all(&trailer)
            .and_then(|()| file.write_all(&trailer_len.to_le_bytes()))
            .map_err(|e| io_error("cannot write", &self.temp, e))?;
        if let Err(e) = jitstore_util::atomic_file::commit_synced(&file, &self.temp, &self.target) {
            let _ = std::fs::remove_file(&self.temp);
            return Err(io_error("cannot store", &self.target, e));
        }
        drop(file);
        Ok(PutResponse {
            size: self.size,
            etag: self.trailer.etag.clone(),
            url: None,
            content_type: Some(self.trailer.content_type.clone()),
        })
    }
}

impl Drop for FolderWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Unfinished: nothing may remain. A failure leaves only a `.tmp-` file, which
            // listing ignores.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

impl FolderStore {
    /// A store in `config.root` (relative to `app_root`), created when missing.
    pub fn new(config: FolderConfig, app_root: &Path) -> Result<FolderStore, String> {
        let root = app_root.join(&config.root);
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("cannot create the folder {}: {e}", root.display()))?;
        Ok(FolderStore { root })
    }

    fn object_path(&self, key: &str) -> Result<PathBuf, PluginStorageError> {
        check_key(key)?;
        Ok(self.root.join(format!("{}{OBJECT_SUFFIX}", hex(key))))
    }

    fn temp_path(&self) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        self.root
            .join(format!("{TEMP_PREFIX}{}-{n}", std::process::id()))
    }
}

impl PluginStorage for FolderStore {
    fn capabilities(&self) -> Vec<String> {
        [
            "read",
            "write",
            "delete",
            "list",
            "content-type",
            "user-metadata",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    }

    fn open_read(
        &self,
        key: &str,
    ) -> Result<(ObjectMeta, Box<dyn PluginReader>), PluginStorageError> {
        let opened = Opened::open(&self.object_path(key)?)?;
        Ok((opened.meta(key), Box::new(opened)))
    }

    fn open_write(
        &self,
        request: &WriteRequest<'_>,
    ) -> Result<Box<dyn PluginWriter>, PluginStorageError> {
        let target = self.object_path(request.key)?;
        let temp = self.temp_path();
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| io_error("cannot create", &temp, e))?;
        Ok(Box::new(FolderWriter {
            file: Some(file),
            temp,
            target,
            trailer: Trailer {
                content_type: request
                    .content_type
                    .unwrap_or("application/octet-stream")
                    .to_owned(),
                user_metadata: request.user_metadata.clone(),
                etag: String::new(),
            },
            fingerprint: Fingerprint::new(),
            size: 0,
        }))
    }

    fn head(&self, key: &str) -> Result<ObjectMeta, PluginStorageError> {
        Ok(Opened::open(&self.object_path(key)?)?.meta(key))
    }

    fn delete(&self, key: &str) -> Result<(), PluginStorageError> {
        let path = self.object_path(key)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error("cannot delete", &path, e))
            }
            _ => Ok(()),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError> {
        let entries =
            std::fs::read_dir(&self.root).map_err(|e| io_error("cannot list", &self.root, e))?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("cannot list", &self.root, e))?;
            let name = entry.file_name();
            let Some(key) = name
                .to_str()
                .and_then(|n| n.strip_suffix(OBJECT_SUFFIX))
                .and_then(unhex)
            else {
                continue;
            };
            if !key.starts_with(prefix) {
                continue;
            }
            match Opened::open(&entry.path()) {
                Ok(opened) => listed.push(opened.meta(&key)),
                // Deleted while listing.
                Err(PluginStorageError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_file_names() {
        for key in ["a/b.txt", "../../etc/passwd", "ключ/😀", "x"] {
            let name = hex(key);
            assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(unhex(&name).as_deref(), Some(key));
        }
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn objects_round_trip_and_unfinished_writes_leave_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FolderStore::new(
            FolderConfig {
                root: PathBuf::from("objects"),
            },
            dir.path(),
        )
        .expect("store");
        let metadata = BTreeMap::new();
        let request = |key| WriteRequest {
            key,
            content_type: Some("text/plain"),
            user_metadata: &metadata,
        };
        let mut writer = store.open_write(&request("a/1")).expect("opens");
        writer.write(b"hello ").expect("writes");
        writer.write(b"folder").expect("writes");
        let put = writer.finish().expect("finishes");
        assert_eq!(put.size, 12);
        let (meta, mut reader) = store.open_read("a/1").expect("reads");
        assert_eq!(
            (meta.size, meta.content_type.as_deref()),
            (12, Some("text/plain"))
        );
        let mut buf = [0u8; 64];
        let n = reader.read_at(6, &mut buf).expect("reads");
        assert_eq!(&buf[..n], b"folder", "the trailer is not part of the body");
        let mut unfinished = store.open_write(&request("b")).expect("opens");
        unfinished.write(b"partial").expect("writes");
        drop(unfinished);
        let keys: Vec<String> = store
            .list("")
            .expect("lists")
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(keys, ["a/1"]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("objects"))
                .expect("folder")
                .count(),
            1,
            "no temporary file is left"
        );
        store.delete("a/1").expect("deletes");
        store
            .delete("a/1")
            .expect("deleting a missing object succeeds");
        assert!(matches!(
            store.head("a/1"),
            Err(PluginStorageError::NotFound)
        ));
    }
}
