//! A local, OSS-compatible HTTP server: the embedded default backend of `storages.OssType`, the
//! peer every OSS test talks to, and what `jitstore serve` runs for offline development.
//!
//! Objects live on the local filesystem (written to a temp file, fsynced, renamed into place);
//! requests are authenticated with the same V1/V4 signature code the client signs with
//! (`jitstore_oss::sign`), and failures answer with OSS's error codes and XML bodies. Faults
//! (5xx answers, cut connections, delays) can be injected for retry tests.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use jitstore_oss_server::{AccessKey, Server, ServerConfig};
//! let dir = tempfile::tempdir().unwrap();
//! let config = ServerConfig::new(dir.path())
//!     .bucket("demo")
//!     .credential(AccessKey::new("test-ak", "test-sk"));
//! let server = Server::start(config).await.unwrap();
//! println!("OSS endpoint: {}", server.endpoint());
//! server.shutdown().await;
//! # }
//! ```

pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
mod conn;
pub mod faults;
pub mod server;
pub mod storage;

#[cfg(feature = "cli")]
pub use cli::{run_serve, ServeArgs};
pub use config::{AccessKey, ServerConfig, DEFAULT_REGION};
pub use faults::{FaultHandle, FaultPlan};
pub use server::{RunningServer, Server, ServerError};
