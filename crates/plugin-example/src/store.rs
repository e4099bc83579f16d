//! The in-memory store behind `storages.MemoryType`: objects kept as lists of the chunks they
//! arrived in (no whole-object buffer is ever assembled), read back a chunk at a time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use jitstore_plugin_abi::PluginFailure;
use jitstore_storages_plugin::protocol::{ObjectMeta, PutResponse};
use jitstore_storages_plugin::{
    PluginReader, PluginStorage, PluginStorageError, PluginWriter, WriteRequest,
};
use serde::{Deserialize, Serialize};

/// The extension operation answering [`TransferStats`] as JSON (diagnostics for tests).
pub const OP_TRANSFER_STATS: &str = "x-transfer-stats";

/// The instance config (`<Name>.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryConfig {
    /// The most bytes the instance stores (unlimited when absent).
    #[serde(default)]
    pub max_bytes: Option<u64>,
}

impl MemoryConfig {
    /// Parses the merged config JSON.
    pub fn parse(json: &str) -> Result<MemoryConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }
}

/// What the store saw of the host's transfers: how bodies crossed the boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferStats {
    /// Body chunks received by writers.
    pub write_chunks: u64,
    /// The largest body chunk received.
    pub largest_write_chunk: u64,
    /// Chunk reads served by readers.
    pub read_chunks: u64,
    /// The largest buffer a read was asked to fill.
    pub largest_read_chunk: u64,
    /// Bytes served by readers.
    pub read_bytes: u64,
    /// Readers open now.
    pub live_readers: u64,
    /// Writers open now.
    pub live_writers: u64,
}

/// One stored object version: its bytes as the chunks they arrived in.
#[derive(Debug, Default)]
struct Body {
    chunks: Vec<Vec<u8>>,
    /// Where each chunk starts in the object.
    starts: Vec<u64>,
    size: u64,
}

impl Body {
    fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.starts.push(self.size);
        self.size += data.len() as u64;
        self.chunks.push(data.to_vec());
    }

    /// Copies bytes from `offset` into `buf`, from the one chunk holding `offset`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let index = self.starts.partition_point(|start| *start <= offset) - 1;
        let chunk = &self.chunks[index];
        let skip = usize::try_from(offset - self.starts[index]).unwrap_or(usize::MAX);
        let available = &chunk[skip.min(chunk.len())..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        n
    }
}

#[derive(Debug, Clone)]
struct Entry {
    body: Arc<Body>,
    content_type: Option<String>,
    user_metadata: BTreeMap<String, String>,
    modified_ms: i64,
    etag: String,
}

impl Entry {
    fn meta(&self, key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size: self.body.size,
            etag: Some(self.etag.clone()),
            content_type: self.content_type.clone(),
            last_modified_ms: Some(self.modified_ms),
            user_metadata: self.user_metadata.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    objects: Mutex<BTreeMap<String, Entry>>,
    stats: Mutex<TransferStats>,
}

use jitstore_util::lock::lock;

impl Shared {
    fn objects(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        lock(&self.objects)
    }

    fn stats(&self) -> MutexGuard<'_, TransferStats> {
        lock(&self.stats)
    }
}

/// Objects in memory, by key.
#[derive(Debug, Default)]
pub struct MemoryStore {
    config: MemoryConfig,
    shared: Arc<Shared>,
}

/// FNV-1a 64, fed chunk by chunk: a content fingerprint for the entity tag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fingerprint(u64);

impl Fingerprint {
    pub(crate) fn new() -> Fingerprint {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0 = data.iter().fold(self.0, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    }

    pub(crate) fn etag(self) -> String {
        format!("\"{:016x}\"", self.0)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn check_key(key: &str) -> Result<(), PluginStorageError> {
    if key.is_empty() {
        return Err(PluginStorageError::InvalidKey("empty key".to_owned()));
    }
    if key.len() > 1023 {
        return Err(PluginStorageError::InvalidKey(format!(
            "key of {} bytes (at most 1023)",
            key.len()
        )));
    }
    if key.contains('\0') {
        return Err(PluginStorageError::InvalidKey(
            "key contains NUL".to_owned(),
        ));
    }
    Ok(())
}

impl MemoryStore {
    /// An empty store.
    pub fn new(config: MemoryConfig) -> MemoryStore {
        MemoryStore {
            config,
            shared: Arc::new(Shared::default()),
        }
    }

    /// What the store saw of the transfers so far.
    pub fn transfer_stats(&self) -> TransferStats {
        *self.shared.stats()
    }
}

/// Reads one pinned object version.
struct MemoryReader {
    body: Arc<Body>,
    shared: Arc<Shared>,
}

impl PluginReader for MemoryReader {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, PluginStorageError> {
        let n = self.body.read_at(offset, buf);
        let mut stats = self.shared.stats();
        stats.read_chunks += 1;
        stats.largest_read_chunk = stats.largest_read_chunk.max(buf.len() as u64);
        stats.read_bytes += n as u64;
        Ok(n)
    }
}

impl Drop for MemoryReader {
    fn drop(&mut self) {
        let mut stats = self.shared.stats();
        stats.live_readers = stats.live_readers.saturating_sub(1);
    }
}

/// Collects one object's chunks; stores them at `finish`, drops them otherwise.
struct MemoryWriter {
    key: String,
    content_type: String,
    user_metadata: BTreeMap<String, String>,
    max_bytes: Option<u64>,
    body: Body,
    fingerprint: Fingerprint,
    shared: Arc<Shared>,
}

impl MemoryWriter {
    /// Fails when storing `size` bytes under the key would exceed `maxBytes`.
    fn check_limit(&self, size: u64) -> Result<(), PluginStorageError> {
        let Some(limit) = self.max_bytes else {
            return Ok(());
        };
        let others: u64 = self
            .shared
            .objects()
            .iter()
            .filter(|(k, _)| **k != self.key)
            .map(|(_, e)| e.body.size)
            .sum();
        if others.saturating_add(size) > limit {
            return Err(PluginStorageError::InvalidArgument(format!(
                "storing {size} bytes would exceed maxBytes {limit} ({others} bytes in use)"
            )));
        }
        Ok(())
    }
}

impl PluginWriter for MemoryWriter {
    fn write(&mut self, data: &[u8]) -> Result<(), PluginStorageError> {
        self.check_limit(self.body.size + data.len() as u64)?;
        let mut stats = self.shared.stats();
        stats.write_chunks += 1;
        stats.largest_write_chunk = stats.largest_write_chunk.max(data.len() as u64);
        drop(stats);
        self.fingerprint.update(data);
        self.body.push(data);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<PutResponse, PluginStorageError> {
        self.check_limit(self.body.size)?;
        let entry = Entry {
            body: Arc::new(std::mem::take(&mut self.body)),
            content_type: Some(self.content_type.clone()),
            user_metadata: std::mem::take(&mut self.user_metadata),
            modified_ms: now_ms(),
            etag: self.fingerprint.etag(),
        };
        let response = PutResponse {
            size: entry.body.size,
            etag: entry.etag.clone(),
            url: None,
            content_type: entry.content_type.clone(),
        };
        self.shared.objects().insert(self.key.clone(), entry);
        Ok(response)
    }
}

impl Drop for MemoryWriter {
    fn drop(&mut self) {
        let mut stats = self.shared.stats();
        stats.live_writers = stats.live_writers.saturating_sub(1);
    }
}

impl PluginStorage for MemoryStore {
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

    fn max_object_size(&self) -> Option<u64> {
        self.config.max_bytes
    }

    fn open_read(
        &self,
        key: &str,
    ) -> Result<(ObjectMeta, Box<dyn PluginReader>), PluginStorageError> {
        check_key(key)?;
        if cfg!(feature = "panic-in-call") {
            panic!("deliberate panic while reading {key}");
        }
        let entry = self
            .shared
            .objects()
            .get(key)
            .cloned()
            .ok_or(PluginStorageError::NotFound)?;
        self.shared.stats().live_readers += 1;
        let reader = MemoryReader {
            body: entry.body.clone(),
            shared: self.shared.clone(),
        };
        Ok((entry.meta(key), Box::new(reader)))
    }

    fn open_write(
        &self,
        request: &WriteRequest<'_>,
    ) -> Result<Box<dyn PluginWriter>, PluginStorageError> {
        check_key(request.key)?;
        self.shared.stats().live_writers += 1;
        Ok(Box::new(MemoryWriter {
            key: request.key.to_owned(),
            content_type: request
                .content_type
                .unwrap_or("application/octet-stream")
                .to_owned(),
            user_metadata: request.user_metadata.clone(),
            max_bytes: self.config.max_bytes,
            body: Body::default(),
            fingerprint: Fingerprint::new(),
            shared: self.shared.clone(),
        }))
    }

    fn head(&self, key: &str) -> Result<ObjectMeta, PluginStorageError> {
        check_key(key)?;
        self.shared
            .objects()
            .get(key)
            .map(|e| e.meta(key))
            .ok_or(PluginStorageError::NotFound)
    }

    fn delete(&self, key: &str) -> Result<(), PluginStorageError> {
        check_key(key)?;
        self.shared.objects().remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError> {
        Ok(self
            .shared
            .objects()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, e)| e.meta(k))
            .collect())
    }

    fn extension(
        &self,
        operation: &str,
        _input: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), PluginFailure> {
        if operation != OP_TRANSFER_STATS {
            return Err(PluginFailure::unknown_operation(operation));
        }
        serde_json::to_writer(output, &self.transfer_stats())
            .map_err(|e| PluginFailure::error(format!("cannot encode the stats: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(
        store: &MemoryStore,
        key: &str,
        chunks: &[&[u8]],
    ) -> Result<PutResponse, PluginStorageError> {
        let metadata = BTreeMap::new();
        let mut writer = store.open_write(&WriteRequest {
            key,
            content_type: None,
            user_metadata: &metadata,
        })?;
        for chunk in chunks {
            writer.write(chunk)?;
        }
        writer.finish()
    }

    fn get(store: &MemoryStore, key: &str) -> Result<Vec<u8>, PluginStorageError> {
        let (meta, mut reader) = store.open_read(key)?;
        let mut data = Vec::new();
        let mut buf = [0u8; 2];
        loop {
            let n = reader.read_at(data.len() as u64, &mut buf)?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
        }
        assert_eq!(data.len() as u64, meta.size);
        Ok(data)
    }

    #[test]
    fn stores_lists_and_enforces_the_limit() {
        let store = MemoryStore::new(MemoryConfig { max_bytes: Some(5) });
        put(&store, "a/1", &[b"ab", b"c"]).expect("fits");
        put(&store, "b", &[b"de"]).expect("fits");
        assert!(matches!(
            put(&store, "c", &[b"x"]),
            Err(PluginStorageError::InvalidArgument(_))
        ));
        put(&store, "a/1", &[b"x", b"yz"]).expect("replacing stays within the limit");
        assert_eq!(get(&store, "a/1").expect("present"), b"xyz");
        let keys: Vec<String> = store
            .list("a/")
            .expect("lists")
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(keys, ["a/1"]);
        store.delete("a/1").expect("deletes");
        assert_eq!(store.head("a/1"), Err(PluginStorageError::NotFound));
        assert!(matches!(
            store.open_read(""),
            Err(PluginStorageError::InvalidKey(_))
        ));
    }

    #[test]
    fn readers_keep_the_version_they_opened_and_unfinished_writes_vanish() {
        let store = MemoryStore::new(MemoryConfig::default());
        put(&store, "k", &[b"old", b" bytes"]).expect("first");
        let (_, mut reader) = store.open_read("k").expect("opens");
        put(&store, "k", &[b"new"]).expect("second");
        let mut buf = [0u8; 16];
        let n = reader.read_at(4, &mut buf).expect("reads");
        assert_eq!(
            &buf[..n],
            b"bytes",
            "one chunk at a time, from the pinned version"
        );
        drop(reader);
        let metadata = BTreeMap::new();
        let mut writer = store
            .open_write(&WriteRequest {
                key: "gone",
                content_type: None,
                user_metadata: &metadata,
            })
            .expect("opens");
        writer.write(b"partial").expect("writes");
        drop(writer);
        assert_eq!(store.head("gone"), Err(PluginStorageError::NotFound));
        let stats = store.transfer_stats();
        assert_eq!((stats.live_readers, stats.live_writers), (0, 0));
        assert_eq!(stats.write_chunks, 4);
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let error = MemoryConfig::parse(r#"{"maxByte": 3}"#).expect_err("typo");
        assert!(error.contains("maxByte"), "{error}");
    }
}
