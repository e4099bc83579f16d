//! Starting and stopping the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::AppState;
use crate::config::ServerConfig;
use crate::faults::{FaultHandle, FaultPlan};
use crate::storage::{now_ms, BucketInfo, Store, StoreError};

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory could not be opened.
    #[error("cannot open the data directory {path}: {source}")]
    Storage {
        /// The data directory.
        path: PathBuf,
        /// What went wrong.
        source: StoreError,
    },
    /// A configured bucket name is not a valid OSS bucket name.
    #[error("invalid bucket name in the server configuration: {0}")]
    InvalidBucket(String),
    /// A configured region is not a valid region id.
    #[error("invalid region {0:?}: use a bare region id such as cn-hangzhou (lower-case letters, digits, '-')")]
    InvalidRegion(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Entry point: `Server::start(config)`.
pub struct Server;

impl Server {
    /// Opens the data directory, creates the configured buckets and starts serving.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use jitstore_oss_server::{Server, ServerConfig};
    /// let dir = tempfile::tempdir().unwrap();
    /// let server = Server::start(ServerConfig::new(dir.path()).bucket("demo")).await.unwrap();
    /// assert!(server.endpoint().starts_with("http://127.0.0.1:"));
    /// server.shutdown().await;
    /// # }
    /// ```
    pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
        if config.region.is_empty()
            || !config
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ServerError::InvalidRegion(config.region.clone()));
        }
        let data_dir = config.data_dir.clone();
        let store_dir = data_dir.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&store_dir))
            .await
            .map_err(|e| ServerError::Storage {
                path: data_dir.clone(),
                source: StoreError::Io {
                    path: data_dir.clone(),
                    source: std::io::Error::other(e),
                },
            })?
            .map_err(|source| ServerError::Storage {
                path: data_dir.clone(),
                source,
            })?;
        let store = Arc::new(store);
        let storage_err = |source| ServerError::Storage {
            path: data_dir.clone(),
            source,
        };
        for (name, public) in config
            .buckets
            .iter()
            .map(|b| (b, false))
            .chain(config.public_read.iter().map(|b| (b, true)))
        {
            jitstore_oss::encoding::validate_bucket_name(name)
                .map_err(|e| ServerError::InvalidBucket(e.to_string()))?;
            let acl = if public { "public-read" } else { "private" };
            match store.bucket(name) {
                Some(bucket) => {
                    if public && !bucket.info().is_public_read() {
                        bucket.set_acl(acl).map_err(storage_err)?;
                    }
                }
                None => {
                    store
                        .create_bucket(BucketInfo {
                            name: name.clone(),
                            created_ms: now_ms(),
                            region: config.region.clone(),
                            acl: acl.to_string(),
                            storage_class: "Standard".to_string(),
                        })
                        .map_err(storage_err)?;
                }
            }
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
        let faults = FaultHandle::new(config.faults.clone());
        let state = Arc::new(AppState {
            store,
            region: config.region.clone(),
            credentials: config.credentials.clone(),
            server_names: config.server_names.clone(),
            max_skew: Duration::from_secs(config.max_skew_secs),
            faults: faults.clone(),
            requests: AtomicU64::new(0),
            id_prefix: rand::random(),
            limits: config.limits(),
        });
        let deadlines = crate::conn::Deadlines {
            header_read: millis(config.header_read_timeout_ms),
            idle: millis(config.idle_timeout_ms),
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            crate::conn::serve(listener, state, deadlines, shutdown).await;
        });
        tracing::info!(%addr, "OSS-compatible server listening");
        Ok(RunningServer {
            addr,
            region: config.region,
            data_dir: config.data_dir,
            faults,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// `Some(duration)` for a positive number of milliseconds, `None` (no limit) for 0.
fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// A server serving in the background; dropping it stops it too (without waiting).
pub struct RunningServer {
    addr: SocketAddr,
    region: String,
    data_dir: PathBuf,
    faults: FaultHandle,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The region the server serves.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The run-time fault injection handle.
    pub fn faults(&self) -> &FaultHandle {
        &self.faults
    }

    /// Replaces the fault plan (shortcut for `faults().set(plan)`).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.faults.set(plan);
    }

    /// Stops accepting connections and waits (at most 5 s) for in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
