//! Storage Types in dynamic libraries: the `storages.Meta/2` plugin interface.
//!
//! A plugin storage Type is a `cdylib` exporting a [`PluginType`](jitstore_plugin_abi::PluginType)
//! whose instance is a [`StorageInstance`] over a [`PluginStorage`]; an app points a Type
//! element's `backendBundleEntry` at the library (see `jitstore_element`'s plugin loader). On
//! the host, this crate's [`PluginStorageAdapter`] turns each instance into an
//! `Arc<dyn Storage>`, so `get_element` and `StorageHandle` work as for any built-in Type.
//!
//! Plugins depend on this crate with `default-features = false` (no host dependencies: no
//! tokio, no HTTP stack; the plugin stays small and independent of the host's runtime). Hosts
//! use the default `host` feature and call [`adapter_installed`] once so the crate is linked.
//!
//! Every call crosses a C ABI with bytes only ([`protocol`]): no Rust type, allocation or panic
//! crosses the library boundary, so the plugin need not be built by the host's compiler.
//! Object bodies cross in chunks (open / read or write / close, finish or abort), so a plugin
//! storage has no object size limit of the protocol's and memory stays bounded on both sides.

mod export;
pub mod protocol;

#[cfg(feature = "host")]
mod host;

pub use export::{
    PluginReader, PluginStorage, PluginStorageError, PluginWriter, StorageInstance, WriteRequest,
};
#[cfg(feature = "host")]
pub use host::{adapt, adapter_installed, PluginStorageAdapter};
pub use protocol::{CHUNK_SIZE, STORAGE_INTERFACE};
