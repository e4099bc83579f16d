//! Shared set-up of the OssType and transfer tests: an in-process local OSS server on
//! 127.0.0.1 with a temporary data directory, and JSON app folders pointing at it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jitstore_element::App;
use jitstore_oss_server::{AccessKey, RunningServer, Server, ServerConfig};
use jitstore_storages::StorageHandle;
use serde_json::{json, Value};

/// Long-term test credentials.
pub const AK: &str = "test-access-key-id";
/// Their secret.
pub const SK: &str = "test-secret-Zq81!vL";
/// STS test credentials.
pub const STS_AK: &str = "STS.test-temporary-id";
/// STS secret.
pub const STS_SK: &str = "sts-secret-Kk20p";
/// STS token.
pub const STS_TOKEN: &str = "sts-token-CAIS-0123456789";
/// The bucket every server has.
pub const BUCKET: &str = "jit-bucket";

/// A running server and the temp dirs it and the app live in.
pub struct Peer {
    pub server: RunningServer,
    pub data: tempfile::TempDir,
    pub app: tempfile::TempDir,
}

/// Starts a local OSS server with [`BUCKET`], the long-term and the STS credentials.
pub async fn start() -> Peer {
    let data = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig::new(data.path())
        .bucket(BUCKET)
        .credential(AccessKey::new(AK, SK))
        .credential(AccessKey::new(STS_AK, STS_SK).with_security_token(STS_TOKEN));
    let server = Server::start(config).await.expect("server starts");
    Peer {
        server,
        data,
        app: tempfile::tempdir().expect("temp dir"),
    }
}

impl Peer {
    /// The business config of an OssType element on this server, with `extra` fields merged.
    pub fn config(&self, extra: Value) -> Value {
        let mut c = json!({
            "accessKeyId": AK,
            "accessKeySecret": SK,
            "endPoint": self.server.endpoint(),
            "bucketName": BUCKET,
            "region": self.server.region(),
        });
        if let (Some(base), Value::Object(more)) = (c.as_object_mut(), extra) {
            for (k, v) in more {
                if v.is_null() {
                    base.remove(&k);
                } else {
                    base.insert(k, v);
                }
            }
        }
        c
    }

    /// Writes `storages/<name>/e.json` and `<name>.json` into the app folder.
    pub fn write_element(&self, name: &str, config: &Value) -> PathBuf {
        write_element(self.app.path(), name, config)
    }

    /// Opens the app folder and returns the storage handle of `storages.<name>`.
    pub fn handle(&self, name: &str, config: Value) -> StorageHandle {
        self.write_element(name, &config);
        let app = App::open(self.app.path()).expect("app opens");
        let loaded = app
            .get_element(&format!("storages.{name}"))
            .expect("element builds");
        StorageHandle::from_loaded(&loaded).expect("a storage element")
    }
}

/// Writes an OssType element folder under `root`.
pub fn write_element(root: &Path, name: &str, config: &Value) -> PathBuf {
    let dir = root.join("storages").join(name);
    std::fs::create_dir_all(&dir).expect("element dir");
    std::fs::write(
        dir.join("e.json"),
        r#"{"title": "Test OSS", "type": "storages.OssType", "backendBundleEntry": ".", "variables": []}"#,
    )
    .expect("e.json");
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_vec_pretty(config).expect("json"),
    )
    .expect("config");
    dir
}

/// Deterministic pseudo-random content.
pub fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A per-call client on the peer's bucket (V4), with quick retries.
pub fn client(peer: &Peer) -> jitstore_oss::client::Client {
    jitstore_oss::client::Client::builder()
        .endpoint(peer.server.endpoint())
        .bucket(BUCKET)
        .region(peer.server.region())
        .credentials(jitstore_oss::credentials::StaticProvider::from_keys(AK, SK))
        .retry_policy(jitstore_oss::client::RetryPolicy {
            max_attempts: 4,
            base_delay: std::time::Duration::from_millis(20),
            max_delay: std::time::Duration::from_millis(200),
        })
        .build()
        .expect("client")
}

/// Every `(done, total)` progress report, in order.
pub type Reports = std::sync::Arc<std::sync::Mutex<Vec<(u64, Option<u64>)>>>;

/// Records every progress report.
#[derive(Clone, Default)]
pub struct ProgressLog(pub Reports);

impl ProgressLog {
    /// A callback feeding this log.
    pub fn callback(&self) -> jitstore_oss::transfer::ProgressFn {
        let log = self.0.clone();
        std::sync::Arc::new(move |done, total| log.lock().expect("log").push((done, total)))
    }

    /// Asserts the reports grow monotonically, never pass `total` and end exactly at it.
    pub fn assert_complete(&self, total: u64) {
        let log = self.0.lock().expect("log");
        assert!(!log.is_empty(), "no progress reported");
        let mut last = 0;
        for (done, t) in log.iter() {
            assert!(*done >= last, "progress went back: {log:?}");
            assert!(*done <= total, "progress {done} passed the total {total}");
            if let Some(t) = t {
                assert_eq!(*t, total);
            }
            last = *done;
        }
        assert_eq!(last, total, "progress did not end at the total");
    }
}

/// Files in `dir` whose name contains `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(needle))
                .collect()
        })
        .unwrap_or_default()
}
