//! `storages.MemoryType` as a plugin: an in-memory storage Type built as a `cdylib` and loaded
//! by jitstore from an app folder. The library also implements `storages.FolderType` (objects
//! as files in a folder, config `{"root": "<folder>"}`), a store whose memory stays bounded
//! whatever the object size.
//!
//! ```text
//! storages/MemoryType/e.json  {"title": "In-memory storage", "type": "storages.Meta",
//!                              "backendBundleEntry": "lib/libjitstore_plugin_example"}
//! storages/MemoryType/lib/libjitstore_plugin_example.so   (this crate, built)
//! storages/Scratch/e.json     {"title": "Scratch", "type": "storages.MemoryType"}
//! storages/Scratch/Scratch.json  {"maxBytes": 1048576}
//! ```
//!
//! Each instance holds its objects in memory for the life of the app, as the chunks they
//! arrived in; bodies cross the plugin boundary a chunk at a time in both directions. The
//! extension operation [`OP_TRANSFER_STATS`] reports what the store saw of those chunks. Config: `maxBytes`
//! (optional): the most bytes the instance stores; a write beyond it is refused. The plugin
//! depends only on `jitstore-plugin-abi` and `jitstore-storages-plugin` without host features:
//! it carries neither the element registry nor the host's async runtime.
//!
//! The cargo features `abi-mismatch`, `no-entry`, `wrong-type-name`, `panic-in-factory`,
//! `panic-in-call` and `retired-interface` build deliberately broken variants that the loader's tests use; `oss-type` builds the same
//! store as an implementation of `storages.OssType`, for an app whose `storages/OssType`
//! element names the library (an app-level override of the official Type).

mod folder;
mod store;

pub use folder::{FolderConfig, FolderStore};
pub use store::{MemoryConfig, MemoryStore, TransferStats, OP_TRANSFER_STATS};

use jitstore_plugin_abi::{PluginRequest, PluginType};
use jitstore_storages_plugin::{StorageInstance, STORAGE_INTERFACE};

/// The Type fullName this library implements.
#[cfg(not(any(feature = "wrong-type-name", feature = "oss-type")))]
pub const TYPE_NAME: &str = "storages.MemoryType";
/// The Type fullName this (deliberately wrong) variant implements.
#[cfg(feature = "wrong-type-name")]
pub const TYPE_NAME: &str = "storages.OtherMemoryType";
/// The Type fullName of the variant that stands in for the official OSS Type.
#[cfg(all(feature = "oss-type", not(feature = "wrong-type-name")))]
pub const TYPE_NAME: &str = "storages.OssType";

/// The interface this library declares.
#[cfg(not(feature = "retired-interface"))]
pub const INTERFACE: &str = STORAGE_INTERFACE;
/// The interface the variant built "for an older jitstore" declares: the retired
/// `storages.Meta/1`, which hosts refuse.
#[cfg(feature = "retired-interface")]
pub const INTERFACE: &str = jitstore_storages_plugin::protocol::RETIRED_STORAGE_INTERFACES[0];

/// `storages.MemoryType`.
#[derive(Debug)]
pub struct MemoryType;

impl PluginType for MemoryType {
    const TYPE_NAME: &'static str = TYPE_NAME;
    const INTERFACE: &'static str = INTERFACE;
    type Instance = StorageInstance<MemoryStore>;

    fn create(request: &PluginRequest<'_>) -> Result<Self::Instance, String> {
        if cfg!(feature = "panic-in-factory") {
            panic!("deliberate panic while creating {}", request.element);
        }
        let config = MemoryConfig::parse(request.config_json)
            .map_err(|e| format!("{} config: {e}", request.element))?;
        Ok(StorageInstance::new(MemoryStore::new(config)))
    }
}

/// `storages.FolderType`: objects as files in a folder (config `root`), streamed a chunk at a
/// time in both directions.
#[derive(Debug)]
pub struct FolderType;

impl PluginType for FolderType {
    const TYPE_NAME: &'static str = "storages.FolderType";
    const INTERFACE: &'static str = INTERFACE;
    type Instance = StorageInstance<FolderStore>;

    fn create(request: &PluginRequest<'_>) -> Result<Self::Instance, String> {
        let config = FolderConfig::parse(request.config_json)
            .map_err(|e| format!("{} config: {e}", request.element))?;
        let store = FolderStore::new(config, std::path::Path::new(request.app_root))
            .map_err(|e| format!("{}: {e}", request.element))?;
        Ok(StorageInstance::new(store))
    }
}

#[cfg(not(any(
    feature = "abi-mismatch",
    feature = "no-entry",
    feature = "wrong-type-name",
    feature = "oss-type"
)))]
jitstore_plugin_abi::export_plugin!(MemoryType, FolderType);

/// The variants that register one Type only (the loader's tests name exactly what they expect).
#[cfg(all(
    any(feature = "wrong-type-name", feature = "oss-type"),
    not(any(feature = "abi-mismatch", feature = "no-entry"))
))]
jitstore_plugin_abi::export_plugin!(MemoryType);

/// The variant announcing a future ABI: the marker is all the loader may read.
#[cfg(feature = "abi-mismatch")]
#[allow(unsafe_code)] // `no_mangle`: the exported symbol the host's loader looks up
#[no_mangle]
pub static JITSTORE_PLUGIN_MARKER: jitstore_plugin_abi::plugin_abi::PluginMarker = {
    let mut marker = jitstore_plugin_abi::plugin_abi::PluginMarker::current();
    marker.abi_version = jitstore_plugin_abi::plugin_abi::PLUGIN_ABI_VERSION + 1;
    marker
};

/// The variant without an entry point: only the marker is exported.
#[cfg(all(feature = "no-entry", not(feature = "abi-mismatch")))]
#[allow(unsafe_code)] // `no_mangle`: the exported symbol the host's loader looks up
#[no_mangle]
pub static JITSTORE_PLUGIN_MARKER: jitstore_plugin_abi::plugin_abi::PluginMarker =
    jitstore_plugin_abi::plugin_abi::PluginMarker::current();
