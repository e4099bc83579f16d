//! Shared set-up of the workflow tests: the test kit's local OSS server
//! (`jitstore_testkit::Peer`) with a private and a public-read bucket, and OssType storages
//! pointing at it, under the names these tests use.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

use jitstore_storages::{OssConfig, OssStorage};

pub use jitstore_testkit::keys::{AK, BUCKET, PUBLIC_BUCKET, SK, STS_AK, STS_SK, STS_TOKEN};
pub use jitstore_testkit::Peer;

/// Starts a server with [`BUCKET`], [`PUBLIC_BUCKET`], long-term and STS credentials.
pub async fn start() -> Peer {
    Peer::builder()
        .bucket(BUCKET)
        .public_read_bucket(PUBLIC_BUCKET)
        .start()
        .await
}

/// The names these tests give the kit's OssType helpers.
pub trait WorkflowPeer {
    /// A config for `bucket` on this server (V4, no checkpoints).
    fn config(&self, bucket: &str) -> OssConfig;
    /// An OssType storage from `config`.
    fn storage_from(&self, config: &OssConfig) -> OssStorage;
    /// An OssType storage on [`BUCKET`].
    fn storage(&self) -> OssStorage;
}

impl WorkflowPeer for Peer {
    fn config(&self, bucket: &str) -> OssConfig {
        self.oss_config(bucket)
    }

    fn storage_from(&self, config: &OssConfig) -> OssStorage {
        self.oss_storage(config)
    }

    fn storage(&self) -> OssStorage {
        self.oss_storage(&self.oss_config(BUCKET))
    }
}

/// Writes `content` to `dir/name` (creating folders) and returns the path.
pub fn file(dir: &std::path::Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    jitstore_testkit::write_file(dir, name, content)
}
