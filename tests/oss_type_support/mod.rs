//! Shared set-up of the OssType and transfer tests: the test kit's local OSS server
//! (`jitstore_testkit::Peer`) under the names these tests use, and progress/leftover probes.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

use jitstore_storages::StorageHandle;
use serde_json::Value;

pub use jitstore_testkit::keys::{AK, BUCKET, SK, STS_AK, STS_SK, STS_TOKEN};
pub use jitstore_testkit::{content, Peer};

/// Starts the kit's standard server: [`BUCKET`], the long-term and the STS credentials.
pub async fn start() -> Peer {
    Peer::start().await
}

/// The names these tests give the kit's OssType helpers (all on [`BUCKET`]).
pub trait OssTypePeer {
    /// The business config of an OssType element on this server, with `extra` fields merged
    /// (a `null` field removes that key).
    fn config(&self, extra: Value) -> Value;
    /// Writes `storages/<name>/e.json` and `<name>.json` into the app folder.
    fn write_element(&self, name: &str, config: &Value) -> PathBuf;
    /// Writes the element, opens the app folder and returns the storage handle of
    /// `storages.<name>`.
    fn handle(&self, name: &str, config: Value) -> StorageHandle;
}

impl OssTypePeer for Peer {
    fn config(&self, extra: Value) -> Value {
        self.oss_element_config(BUCKET, extra)
    }

    fn write_element(&self, name: &str, config: &Value) -> PathBuf {
        self.app.oss_element(name, config)
    }

    fn handle(&self, name: &str, config: Value) -> StorageHandle {
        self.oss_handle(name, &config)
    }
}

/// A per-call client on the peer's bucket (V4), with quick retries.
pub fn client(peer: &Peer) -> jitstore_oss::client::Client {
    peer.client(BUCKET)
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
