//! [`App`]: an app folder whose storage elements are ready to use.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jitstore_element::{
    Element, ElementDefine, ElementKind, Env, Implementation, ImplementationSource,
};
use jitstore_storages::{StorageHandle, STORAGES_META};

use crate::error::Error;

/// The default storage when app.json names none (JitAI's fallback).
pub const FALLBACK_DEFAULT_STORAGE: &str = "storages.Default";

/// An opened app folder: its elements (from the app, the apps it `extends` and the built-in
/// framework layer) and their storage handles, built on first use and cached.
///
/// `App` is cheap to clone and `Send + Sync`.
#[derive(Clone)]
pub struct App {
    registry: jitstore_element::App,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("App").field(&self.registry).finish()
    }
}

/// Options for opening an app (environment, extra Type implementations).
#[derive(Debug)]
pub struct AppBuilder {
    inner: jitstore_element::AppBuilder,
}

impl AppBuilder {
    /// Uses exactly these variables for `{{VAR}}` placeholders instead of the process
    /// environment.
    pub fn env<K, V>(self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        AppBuilder {
            inner: self.inner.env(vars),
        }
    }

    /// Uses this environment.
    pub fn with_env(self, env: Env) -> Self {
        AppBuilder {
            inner: self.inner.with_env(env),
        }
    }

    /// Adds a run-time Type implementation (overrides a built-in one for the same Type).
    pub fn implementation(self, implementation: Implementation) -> Self {
        AppBuilder {
            inner: self.inner.implementation(implementation),
        }
    }

    /// Adds a lazy implementation source (e.g. a plugin loader).
    pub fn implementation_source(self, source: Arc<dyn ImplementationSource>) -> Self {
        AppBuilder {
            inner: self.inner.implementation_source(source),
        }
    }

    /// Leaves broken element declarations out (listed by
    /// [`registry().broken_elements()`](jitstore_element::App::broken_elements)) instead of
    /// failing to open; see [`jitstore_element::AppBuilder::keep_broken`].
    pub fn keep_broken(self, keep: bool) -> Self {
        AppBuilder {
            inner: self.inner.keep_broken(keep),
        }
    }

    /// Loads app.json, the `extends` apps and every e.json.
    pub fn open(self) -> Result<App, Error> {
        Ok(App {
            registry: self.inner.open()?,
        })
    }
}

impl App {
    /// Opens the app folder `dir` (app.json is optional) with the process environment.
    pub fn open(dir: impl AsRef<Path>) -> Result<App, Error> {
        App::builder(dir).open()
    }

    /// Options for opening `dir`.
    pub fn builder(dir: impl AsRef<Path>) -> AppBuilder {
        // Links the plugin adapter so `inventory` sees it: plugin storage Types then come back
        // from `get_element` as storages like any other.
        let _ = jitstore_storages_plugin::adapter_installed();
        AppBuilder {
            inner: jitstore_element::App::builder(dir),
        }
    }

    /// Wraps an already opened registry.
    pub fn from_registry(registry: jitstore_element::App) -> App {
        App { registry }
    }

    /// The element registry: definitions, chains, listing by Type, run-time registration.
    pub fn registry(&self) -> &jitstore_element::App {
        &self.registry
    }

    /// The app folder.
    pub fn root(&self) -> &Path {
        self.registry.root()
    }

    /// The storage element `full_name` (built on first use, then cached).
    ///
    /// `storages.Default` always exists: when no layer declares it, it is the embedded
    /// DiskType default on `<app>/appData/storages/Default` (registered on first use).
    pub fn get_element(&self, full_name: &str) -> Result<StorageHandle, Error> {
        let loaded = match self.registry.get_element(full_name) {
            Err(jitstore_element::ElementError::NotFound { .. })
                if full_name == FALLBACK_DEFAULT_STORAGE =>
            {
                self.register_embedded_default()?;
                self.registry.get_element(full_name)?
            }
            other => other?,
        };
        StorageHandle::from_loaded(&loaded).ok_or_else(|| Error::NotAStorage {
            element: full_name.to_owned(),
            type_name: loaded.declared_types().to_string(),
        })
    }

    /// Registers the embedded `storages.Default` (DiskType on `appData/storages/Default`);
    /// a concurrent first use that registered it already is fine.
    fn register_embedded_default(&self) -> Result<(), Error> {
        let root = self.root().join("appData/storages/Default");
        let disk = jitstore_storages::DiskStorage::new(root).map_err(|source| {
            jitstore_element::ElementError::Build {
                full_name: FALLBACK_DEFAULT_STORAGE.to_owned(),
                type_name: jitstore_storages::DISK_TYPE.to_owned(),
                source: Box::new(source),
            }
        })?;
        let storage: Arc<dyn jitstore_storages::Storage> = Arc::new(disk);
        match self.registry.register_instance(
            FALLBACK_DEFAULT_STORAGE,
            jitstore_storages::DISK_TYPE,
            jitstore_storages::into_element_object(storage),
        ) {
            Ok(()) | Err(jitstore_element::ElementError::AlreadyRegistered { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The storage element `full_name` (same as [`get_element`](Self::get_element)).
    pub fn storage(&self, full_name: &str) -> Result<StorageHandle, Error> {
        self.get_element(full_name)
    }

    /// The fullName of the default storage: app.json
    /// `settings.defaultElement.defaultStorage` (nearest app that sets it), else
    /// `storages.Default`.
    pub fn default_storage_name(&self) -> &str {
        self.registry
            .default_element("defaultStorage")
            .unwrap_or(FALLBACK_DEFAULT_STORAGE)
    }

    /// The default storage.
    pub fn default_storage(&self) -> Result<StorageHandle, Error> {
        self.get_element(self.default_storage_name())
    }

    /// An element's parsed e.json, without building it.
    pub fn define(&self, full_name: &str) -> Option<&ElementDefine> {
        self.registry.define(full_name)
    }

    /// Every visible element, sorted by fullName.
    pub fn elements(&self) -> Vec<&Element> {
        self.registry.elements()
    }

    /// Every storage instance (chain reaching `storages.Meta`), sorted by fullName.
    pub fn storages(&self) -> Vec<&Element> {
        self.registry.instances_of(STORAGES_META)
    }

    /// Every instance whose chain contains `type_name` (e.g. `storages.OssType`).
    pub fn instances_of(&self, type_name: &str) -> Vec<&Element> {
        self.registry.instances_of(type_name)
    }

    /// True when `full_name` is an instance (not a Meta or Type).
    pub fn is_instance(&self, full_name: &str) -> bool {
        self.registry
            .element(full_name)
            .is_ok_and(|e| e.kind() == ElementKind::Instance)
    }
}
