//! The element registry of jitstore: JitAI's Meta -> Type -> Instance model for Rust hosts.
//!
//! An app folder holds element folders (`storages/MyOss/e.json` plus the business config
//! `storages/MyOss/MyOss.json`). [`App::open`] discovers them in the app and in the apps it
//! `extends`, merges those layers with the built-in framework layer, and
//! [`App::get_element`] builds an element on first use with the implementation registered for
//! the nearest Type in its chain, then caches it. This crate knows nothing of storage: Types
//! register factories ([`register_type!`]) that turn a [`BuildContext`] into a type-erased
//! object, and framework crates declare their Meta and official Types
//! ([`FrameworkElement`]).
//!
//! ```
//! use std::sync::Arc;
//! use jitstore_element::{register_type, App, BoxError, BuildContext, ElementObject, FrameworkElement};
//!
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct GreeterConfig { greeting: String }
//!
//! fn build_greeter(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
//!     let config: GreeterConfig = ctx.parse_config()?;
//!     Ok(Arc::new(format!("{} from {}", config.greeting, ctx.full_name())))
//! }
//! register_type!("greeters.HelloType", build_greeter);
//! jitstore_element::inventory::submit! {
//!     FrameworkElement::new("greeters.Meta", r#"{"title": "Greeters", "type": ""}"#, module_path!())
//! }
//! jitstore_element::inventory::submit! {
//!     FrameworkElement::new("greeters.HelloType", r#"{"title": "Hello", "type": "greeters.Meta"}"#, module_path!())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let element = dir.path().join("greeters/Hi");
//! std::fs::create_dir_all(&element)?;
//! std::fs::write(element.join("e.json"), r#"{"title": "Hi", "type": "greeters.HelloType"}"#)?;
//! std::fs::write(element.join("Hi.json"), r#"{"greeting": "{{GREETING}}"}"#)?;
//!
//! let app = App::builder(dir.path()).env([("GREETING", "hello")]).open()?;
//! let greeting: String = app.get_element_as("greeters.Hi")?;
//! assert_eq!(greeting, "hello from greeters.Hi");
//! # Ok(()) }
//! ```

mod app;
mod catalog;
mod config;
mod context;
mod define;
mod discovery;
mod env;
mod error;
mod framework;
pub mod json;
mod layers;
mod manifest;
// The plugin loader: opens libraries and calls through the C ABI.
#[allow(unsafe_code)]
mod plugin;
mod plugin_wrap;
mod registry;

pub use app::{App, AppBuilder, LoadedElement};
pub use catalog::{Element, ElementKind, ElementOrigin};
pub use config::config_file_of;
pub use context::BuildContext;
pub use define::{AccessModifier, DeclaredKind, ElementDefine, VariableDecl};
pub use discovery::{full_name_of, APP_FILE, DEFINE_FILE};
pub use env::Env;
pub use error::{BoxError, ChainNames, ConfigIssue, ElementError, Location};
pub use framework::FrameworkElement;
/// The plugin ABI (the `#[repr(C)]` data shared with Type plugins), from
/// [`jitstore_plugin_abi`].
pub use jitstore_plugin_abi::plugin_abi;
pub use jitstore_plugin_abi::{
    export_plugin, PluginFailure, PluginInstance, PluginRequest, PluginType,
};
#[doc(hidden)]
pub use jitstore_plugin_abi::{plugin_declare, DeclList};
pub use layers::AppLayer;
pub use manifest::{AppManifest, AppSettings, DefaultElements, APP_JSON_KEYS};
pub use plugin::{
    is_library_entry, resolve_library_path, PluginCallError, PluginError, PluginInterface,
    PluginLibrary, PluginLoader, PluginObject, PluginProblem,
};
pub use registry::{
    ElementObject, FactoryFn, ImplRegistry, Implementation, ImplementationOrigin,
    ImplementationSource, TypeFactory, TypeRegistration,
};

/// Re-exported so that `register_type!` and `inventory::submit!` work without a direct
/// dependency on `inventory`.
pub use inventory;
