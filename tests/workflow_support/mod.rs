//! Shared set-up of the workflow tests: an in-process local OSS server on 127.0.0.1 and
//! OssType storages pointing at it.
#![allow(dead_code)]

use jitstore_oss_server::{AccessKey, RunningServer, Server, ServerConfig};
use jitstore_storages::{OssConfig, OssStorage};

/// Long-term test credentials.
pub const AK: &str = "wf-access-key-id";
/// Their secret.
pub const SK: &str = "wf-secret-Pq81!zz";
/// STS credentials.
pub const STS_AK: &str = "STS.wf-temporary-id";
/// STS secret.
pub const STS_SK: &str = "wf-sts-secret-77";
/// STS token.
pub const STS_TOKEN: &str = "wf-sts-token-CAIS-42";
/// The private bucket.
pub const BUCKET: &str = "wf-bucket";
/// A public-read bucket.
pub const PUBLIC_BUCKET: &str = "wf-public";

/// A running server and its data directory.
pub struct Peer {
    pub server: RunningServer,
    pub data: tempfile::TempDir,
}

/// Starts a server with [`BUCKET`], [`PUBLIC_BUCKET`], long-term and STS credentials.
pub async fn start() -> Peer {
    let data = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig::new(data.path())
        .bucket(BUCKET)
        .public_read_bucket(PUBLIC_BUCKET)
        .credential(AccessKey::new(AK, SK))
        .credential(AccessKey::new(STS_AK, STS_SK).with_security_token(STS_TOKEN));
    let server = Server::start(config).await.expect("server starts");
    Peer { server, data }
}

impl Peer {
    /// A config for `bucket` on this server (V4, no checkpoints).
    pub fn config(&self, bucket: &str) -> OssConfig {
        OssConfig {
            access_key_id: Some(AK.into()),
            access_key_secret: Some(SK.into()),
            end_point: self.server.endpoint(),
            bucket_name: bucket.into(),
            region: Some(self.server.region().into()),
            checkpoint_dir: Some(String::new()),
            ..OssConfig::default()
        }
    }

    /// An OssType storage from `config`.
    pub fn storage_from(&self, config: &OssConfig) -> OssStorage {
        OssStorage::from_config(config, |_| None, None).expect("storage builds")
    }

    /// An OssType storage on [`BUCKET`].
    pub fn storage(&self) -> OssStorage {
        self.storage_from(&self.config(BUCKET))
    }
}

/// Writes `content` to `dir/name` and returns the path.
pub fn file(dir: &std::path::Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent dir");
    }
    std::fs::write(&path, content).expect("write file");
    path
}
