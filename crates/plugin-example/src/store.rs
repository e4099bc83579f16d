//! The in-memory store behind `storages.MemoryType`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use jitstore_storages_plugin::protocol::{ObjectMeta, PutResponse};
use jitstore_storages_plugin::{PluginStorage, PluginStorageError};
use serde::Deserialize;

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

#[derive(Debug, Clone)]
struct Entry {
    data: Vec<u8>,
    content_type: Option<String>,
    modified_ms: i64,
    etag: String,
}

impl Entry {
    fn meta(&self, key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size: self.data.len() as u64,
            etag: Some(self.etag.clone()),
            content_type: self.content_type.clone(),
            last_modified_ms: Some(self.modified_ms),
            user_metadata: BTreeMap::new(),
        }
    }
}

/// Objects in memory, by key.
#[derive(Debug, Default)]
pub struct MemoryStore {
    config: MemoryConfig,
    objects: Mutex<BTreeMap<String, Entry>>,
}

/// FNV-1a 64: a content fingerprint for the entity tag.
fn fingerprint(data: &[u8]) -> String {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn check_key(key: &str) -> Result<(), PluginStorageError> {
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
            objects: Mutex::new(BTreeMap::new()),
        }
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.objects
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PluginStorage for MemoryStore {
    fn capabilities(&self) -> Vec<String> {
        ["read", "write", "delete", "list", "content-type"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn put(
        &self,
        key: &str,
        data: &[u8],
        content_type: Option<&str>,
    ) -> Result<PutResponse, PluginStorageError> {
        check_key(key)?;
        let mut objects = self.objects();
        if let Some(limit) = self.config.max_bytes {
            let others: u64 = objects
                .iter()
                .filter(|(k, _)| k.as_str() != key)
                .map(|(_, e)| e.data.len() as u64)
                .sum();
            if others + data.len() as u64 > limit {
                return Err(PluginStorageError::InvalidArgument(format!(
                    "storing {} bytes would exceed maxBytes {limit} ({others} bytes in use)",
                    data.len()
                )));
            }
        }
        let content_type = content_type
            .unwrap_or("application/octet-stream")
            .to_owned();
        let entry = Entry {
            data: data.to_vec(),
            content_type: Some(content_type.clone()),
            modified_ms: now_ms(),
            etag: fingerprint(data),
        };
        let response = PutResponse {
            size: data.len() as u64,
            etag: entry.etag.clone(),
            url: None,
            content_type: Some(content_type),
        };
        objects.insert(key.to_owned(), entry);
        Ok(response)
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, PluginStorageError> {
        check_key(key)?;
        if cfg!(feature = "panic-in-call") {
            panic!("deliberate panic while reading {key}");
        }
        self.objects()
            .get(key)
            .map(|e| e.data.clone())
            .ok_or(PluginStorageError::NotFound)
    }

    fn head(&self, key: &str) -> Result<ObjectMeta, PluginStorageError> {
        check_key(key)?;
        self.objects()
            .get(key)
            .map(|e| e.meta(key))
            .ok_or(PluginStorageError::NotFound)
    }

    fn delete(&self, key: &str) -> Result<(), PluginStorageError> {
        check_key(key)?;
        self.objects().remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError> {
        Ok(self
            .objects()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, e)| e.meta(k))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_lists_and_enforces_the_limit() {
        let store = MemoryStore::new(MemoryConfig { max_bytes: Some(5) });
        store.put("a/1", b"abc", None).expect("fits");
        store.put("b", b"de", Some("text/plain")).expect("fits");
        assert!(matches!(
            store.put("c", b"x", None),
            Err(PluginStorageError::InvalidArgument(_))
        ));
        store
            .put("a/1", b"xyz", None)
            .expect("replacing stays within the limit");
        assert_eq!(store.get("a/1").expect("present"), b"xyz");
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
            store.get(""),
            Err(PluginStorageError::InvalidKey(_))
        ));
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let error = MemoryConfig::parse(r#"{"maxByte": 3}"#).expect_err("typo");
        assert!(error.contains("maxByte"), "{error}");
    }
}
