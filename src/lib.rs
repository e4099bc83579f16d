//! jitstore: JitAI-style typed storage elements for Rust.
//!
//! An app folder declares storage elements (`storages/MyOss/e.json` plus the business config
//! `storages/MyOss/MyOss.json`); [`App::open`] loads them (with the apps the app `extends` and
//! the built-in framework layer) and [`App::get_element`] returns a ready
//! [`StorageHandle`] with JitAI's methods (`upload_by_file`, `get_sign_url`, `download`,
//! `get_object`, `delete`, ...). `storages.DiskType` (local files) is built in;
//! `storages.OssType` (Alibaba Cloud OSS) is declared by the framework layer. A [`blocking`]
//! facade serves scripts, and the `jitstore` binary is a CLI over the same API.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir_all(dir.path().join("storages/Default"))?;
//! std::fs::write(dir.path().join("storages/Default/e.json"),
//!     r#"{"title": "Local files", "type": "storages.DiskType", "backendBundleEntry": "."}"#)?;
//! std::fs::write(dir.path().join("storages/Default/Default.json"),
//!     r#"{"directory": "appData/storages/Default"}"#)?;
//!
//! let app = jitstore::App::open(dir.path())?;
//! let store = app.get_element("storages.Default")?;
//! let result = store.upload_by_file("docs/a.txt", b"hi".to_vec(), Some("text/plain")).await?;
//! assert_eq!(result.size, 2);
//! assert_eq!(&store.download("docs/a.txt").await?[..], b"hi");
//! # Ok(()) }
//! ```
//!
//! # Cargo features
//!
//! * `cli` (default): the `jitstore` command-line tool and what only it links (clap,
//!   indicatif, tracing-subscriber). Implies `local-server`.
//! * `local-server` (default): [`local_server`], the local OSS-compatible server that
//!   `jitstore serve` and `jitstore quickstart` run, usable in-process as an OSS endpoint for
//!   tests. It brings axum and hyper.
//!
//! A library user builds with `default-features = false`: `App`, the storages and the
//! [`blocking`] facade need neither feature (the embedded `storages.Default` is a DiskType).

mod app;
pub mod blocking;
mod error;

pub use app::{App, AppBuilder, FALLBACK_DEFAULT_STORAGE};
pub use error::Error;

/// The element registry crate.
pub use jitstore_element as element;
/// The local OSS-compatible server (feature `local-server`).
#[cfg(feature = "local-server")]
pub use jitstore_oss_server as local_server;
/// The storages crate (the `storages.Meta` interface and its Types).
pub use jitstore_storages as storages;
/// The S3-family storage Types (AwsS3, MinIO, Cloudflare R2, EOS, Qiniu); linked so they register.
pub use jitstore_storages_s3 as storages_s3;

pub use jitstore_storages::{
    ByteRange, Capabilities, Capability, ErrorKind, Limits, ListOptions, ListResult, ObjectInfo,
    Operation, ReadOptions, ReadResult, SignUrlRequest, SignedUrl, Storage, StorageError,
    StorageHandle, UploadOptions, UploadResult, Writer,
};
