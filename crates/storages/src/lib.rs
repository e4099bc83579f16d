//! The `storages` element family of jitstore: the `storages.Meta` interface and its Types.
//!
//! [`Storage`] is a small streaming core every Type implements (`stat`, ranged and conditional
//! `read`, a streaming `write`, `delete`, `list_with`, `list_with_delimiter`) with JitAI's
//! storage interface built on it (`upload_by_file`, `get_sign_url`, `download`, `get_object`,
//! `delete`, plus `exists`, `list`, `upload_path`/`download_to`), [capabilities with
//! limits](Capabilities) and [`ErrorKind::Unsupported`] for what a Type cannot do.
//! [`StorageHandle`] is what users hold: it applies JitAI's defaults and names the element,
//! the Type, the operation and the key in every [`Error`], whose [`ErrorKind`] and
//! `is_temporary()` tell a host whether to retry, report or give up. The behaviour suite every
//! Type must pass is `testkit` (feature `testkit`). This crate declares the framework
//! elements `storages.Meta`, `storages.OssType` and `storages.DiskType` and registers
//! [`DiskStorage`] as `storages.DiskType`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jitstore_element::App;
//! use jitstore_storages::StorageHandle;
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir_all(dir.path().join("storages/Default"))?;
//! std::fs::write(dir.path().join("storages/Default/e.json"),
//!     r#"{"title": "Local files", "type": "storages.DiskType", "backendBundleEntry": "."}"#)?;
//! std::fs::write(dir.path().join("storages/Default/Default.json"), "{}")?;
//!
//! let app = App::open(dir.path())?;
//! let store = StorageHandle::from_loaded(&*app.get_element("storages.Default")?)
//!     .expect("a storage");
//! store.upload_by_file("docs/a.txt", b"hi".to_vec(), Some("text/plain")).await?;
//! assert_eq!(&store.download("docs/a.txt").await?[..], b"hi");
//! # Ok(()) }
//! ```

mod capability;
mod disk;
mod error;
mod handle;
mod list;
mod oss;
mod read;
mod storage;
#[cfg(feature = "testkit")]
pub mod testkit;
mod types;
pub mod workflows;
mod write;
mod writer;

pub use capability::{Capabilities, Capability, Limits};
pub use disk::{DiskConfig, DiskStorage, DISK_TYPE};
pub use error::{BoxError, Error, ErrorKind, ServiceDetails, StorageError};
pub use handle::{into_element_object, StorageHandle};
pub use list::{ListOptions, ListResult, ObjectStream, DELIMITER};
pub use oss::{
    AddressingStyleConfig, ConfigProblem, OssConfig, OssStorage, PostForm, PostPolicyRequest,
    SchemeConfig, SignatureVersionConfig, UrlMode,
};
pub use read::{ByteRange, ByteStream, ReadOptions, ReadResult};
pub use storage::Storage;
pub use types::{
    ObjectInfo, Operation, SignUrlRequest, SignedUrl, UploadOptions, UploadResult,
    DEFAULT_CONTENT_TYPE, DEFAULT_SIGN_EXPIRES,
};
pub use write::{ObjectWriter, SpoolCommit, SpooledWriter};
pub use writer::Writer;

/// The Meta of the family.
pub const STORAGES_META: &str = "storages.Meta";
/// The Alibaba Cloud OSS Type.
pub const OSS_TYPE: &str = "storages.OssType";

use jitstore_element::{inventory, FrameworkElement};

inventory::submit! {
    FrameworkElement::new(
        STORAGES_META,
        r#"{"title": "Storages", "type": ""}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        OSS_TYPE,
        r#"{"title": "Alibaba Cloud OSS", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
inventory::submit! {
    FrameworkElement::new(
        DISK_TYPE,
        r#"{"title": "Local disk", "type": "storages.Meta", "backendBundleEntry": "."}"#,
        module_path!(),
    )
}
