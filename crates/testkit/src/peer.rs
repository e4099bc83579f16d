//! The in-process local OSS server a test talks real HTTP to (127.0.0.1, port 0), with its
//! temporary data directory and an app folder beside it.

use std::path::Path;

use jitstore_oss_server::{AccessKey, RunningServer, Server, ServerConfig};

use crate::keys::{AK, BUCKET, SK, STS_AK, STS_SK, STS_TOKEN};
use crate::AppDir;

/// A running local OSS server, the temporary directory holding its data and an (initially
/// empty) app folder for elements pointing at it. Everything is removed when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use jitstore_testkit::keys::BUCKET;
///
/// let peer = jitstore_testkit::Peer::start().await;
/// let url = format!("{}/{BUCKET}/missing", peer.server.endpoint());
/// let status = jitstore_testkit::http_client().get(url).send().await.unwrap().status();
/// assert_eq!(status, 403, "unsigned request to a private bucket");
/// # }
/// ```
pub struct Peer {
    /// The server.
    pub server: RunningServer,
    /// Its data directory.
    pub data: tempfile::TempDir,
    /// An app folder for elements (empty until a test writes to it).
    pub app: AppDir,
}

impl Peer {
    /// Starts the standard server: bucket [`BUCKET`], the long-term ([`AK`]/[`SK`]) and the STS
    /// ([`STS_AK`]/[`STS_SK`]/[`STS_TOKEN`]) credentials.
    pub async fn start() -> Peer {
        Peer::builder().bucket(BUCKET).start().await
    }

    /// A server to configure: no bucket yet, the long-term and STS credentials.
    pub fn builder() -> PeerBuilder {
        PeerBuilder {
            buckets: Vec::new(),
            public_read_buckets: Vec::new(),
            credentials: vec![
                AccessKey::new(AK, SK),
                AccessKey::new(STS_AK, STS_SK).with_security_token(STS_TOKEN),
            ],
            configure: Box::new(|config| config),
        }
    }

    /// The business config of an OssType element on `bucket` of this server (JSON, as in
    /// `<Name>.json`): endpoint, bucket, region and the long-term credentials. The fields of
    /// `extra` (an object) are merged in; a `null` field removes that key.
    pub fn oss_element_config(&self, bucket: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut config = serde_json::json!({
            "accessKeyId": AK,
            "accessKeySecret": SK,
            "endPoint": self.server.endpoint(),
            "bucketName": bucket,
            "region": self.server.region(),
        });
        if let (Some(base), serde_json::Value::Object(more)) = (config.as_object_mut(), extra) {
            for (key, value) in more {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    base.insert(key, value);
                }
            }
        }
        config
    }
}

/// What server to start; made by [`Peer::builder`].
pub struct PeerBuilder {
    buckets: Vec<String>,
    public_read_buckets: Vec<String>,
    credentials: Vec<AccessKey>,
    configure: Box<dyn FnOnce(ServerConfig) -> ServerConfig + Send>,
}

impl PeerBuilder {
    /// Adds a private bucket.
    pub fn bucket(mut self, name: &str) -> Self {
        self.buckets.push(name.to_owned());
        self
    }

    /// Adds a public-read bucket (anonymous reads allowed).
    pub fn public_read_bucket(mut self, name: &str) -> Self {
        self.public_read_buckets.push(name.to_owned());
        self
    }

    /// Accepts `key` too, beside the kit's credentials.
    pub fn credential(mut self, key: AccessKey) -> Self {
        self.credentials.push(key);
        self
    }

    /// Drops every credential: the server then accepts unsigned requests (an open server).
    pub fn without_credentials(mut self) -> Self {
        self.credentials.clear();
        self
    }

    /// Changes anything else of the config (limits, timeouts, faults, clock skew) after the
    /// buckets and credentials are set; called again, runs after the earlier changes.
    pub fn configure(
        mut self,
        configure: impl FnOnce(ServerConfig) -> ServerConfig + Send + 'static,
    ) -> Self {
        let earlier = self.configure;
        self.configure = Box::new(move |config| configure(earlier(config)));
        self
    }

    /// The server config with `data_dir` as its data directory.
    pub fn config(self, data_dir: &Path) -> ServerConfig {
        let mut config = ServerConfig::new(data_dir);
        for bucket in self.buckets {
            config = config.bucket(bucket);
        }
        for bucket in self.public_read_buckets {
            config = config.public_read_bucket(bucket);
        }
        for key in self.credentials {
            config = config.credential(key);
        }
        (self.configure)(config)
    }

    /// Starts the server on `data_dir` (which the caller keeps, e.g. to restart on it).
    pub async fn start_in(self, data_dir: &Path) -> RunningServer {
        let config = self.config(data_dir);
        Server::start(config)
            .await
            .unwrap_or_else(|e| panic!("start the local OSS server on {}: {e}", data_dir.display()))
    }

    /// Starts the server on a new temporary data directory.
    pub async fn start(self) -> Peer {
        let data =
            tempfile::tempdir().unwrap_or_else(|e| panic!("create a temp data directory: {e}"));
        let server = self.start_in(data.path()).await;
        Peer {
            server,
            data,
            app: AppDir::new(),
        }
    }
}
