//! The jitstore test kit (dev-only, never published): one home for what integration tests
//! of every crate start from — the shared test credentials ([`keys`]), temporary app folders
//! with element definitions ([`AppDir`]), an in-process local OSS server on 127.0.0.1 with its
//! data directory (`Peer`, feature `server`), the server binary as a child process
//! (`ServerProcess`, feature `server`) and clients pointed at a server.
//!
//! Not to be confused with `jitstore_storages::testkit`, the `storages.Meta` behaviour suite
//! every storage Type must pass; this crate only sets up what such tests run against.
//!
//! Parts that need other workspace crates sit behind features, so a crate's tests build only
//! what they use: `element` (open an [`AppDir`] as an app), `server` (the local OSS server and
//! clients), `storages` (storage handles; with `server`, OssType configs and storages on a
//! server).
//!
//! ```
//! let app = jitstore_testkit::AppDir::new();
//! app.disk_element("Files", "{}");
//! assert!(app.path().join("storages/Files/e.json").is_file());
//! ```

pub mod keys;

mod app_dir;
mod content;

#[cfg(feature = "server")]
mod client;
#[cfg(feature = "server")]
mod peer;
#[cfg(feature = "server")]
mod process;
#[cfg(all(feature = "storages", feature = "server"))]
mod storages;

pub use app_dir::{write_file, AppDir};
pub use content::content;

#[cfg(feature = "server")]
pub use client::http_client;
#[cfg(feature = "server")]
pub use peer::{Peer, PeerBuilder};
#[cfg(feature = "server")]
pub use process::ServerProcess;
