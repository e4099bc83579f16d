//! The jitstore plugin ABI, on its own: what a Type plugin (a `cdylib` named by a Type element's
//! `backendBundleEntry`) and its host share, and the plugin side of it.
//!
//! [`plugin_abi`] holds the `#[repr(C)]` data and `extern "C"` function shapes; the plugin side
//! is [`PluginType`] / [`PluginInstance`] plus [`export_plugin!`], which writes the exported
//! marker and entry point. The crate has no dependencies, so a plugin library links neither
//! the element registry nor anything of the host; the host side (loading, ABI checks, calls)
//! is `jitstore_element`'s plugin loader, which re-exports this crate's items.

#[allow(unsafe_code)]
pub mod plugin_abi;
#[allow(unsafe_code)]
mod plugin_export;

/// Used by [`export_plugin!`]'s expansion, not by hand.
#[doc(hidden)]
pub use plugin_export::{declare as plugin_declare, DeclList};
pub use plugin_export::{PluginFailure, PluginInstance, PluginRequest, PluginType};
