//! The opened app: merged element table, implementations, and the per-process element cache.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use once_cell::sync::OnceCell;

use serde_json::Value;

use crate::catalog::{declared_types, Catalog, Element, ElementKind};
use crate::config::{display_config, load_config};
use crate::context::BuildContext;
use crate::define::ElementDefine;
use crate::env::Env;
use crate::error::{ChainNames, ElementError};
use crate::layers::{load_layers, AppLayer};
use crate::manifest::AppManifest;
use crate::registry::{ElementObject, ImplRegistry, Implementation, ImplementationSource};

/// A built element: the object its Type's factory returned, with its names.
pub struct LoadedElement {
    full_name: Arc<str>,
    type_name: Arc<str>,
    declared_types: Arc<str>,
    object: ElementObject,
}

impl LoadedElement {
    /// The element's fullName.
    pub fn full_name(&self) -> &Arc<str> {
        &self.full_name
    }

    /// The Type whose implementation built it (e.g. `storages.OssType` for an instance of
    /// `storages.CompanyOss -> storages.OssType`).
    pub fn type_name(&self) -> &Arc<str> {
        &self.type_name
    }

    /// The Types it declares, from its own `type` up to the implementing one, as errors name
    /// them: `storages.CompanyOss -> storages.OssType` for an instance of
    /// `storages.CompanyOss`; the implementing Type alone for a direct instance.
    pub fn declared_types(&self) -> &Arc<str> {
        &self.declared_types
    }

    /// The built object.
    pub fn object(&self) -> &ElementObject {
        &self.object
    }

    /// The object as `T`, when it is one.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.object.downcast_ref::<T>()
    }
}

impl fmt::Debug for LoadedElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedElement")
            .field("full_name", &self.full_name)
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

struct Slot {
    loaded: OnceCell<Arc<LoadedElement>>,
}

struct AppInner {
    root: PathBuf,
    catalog: Catalog,
    slots: HashMap<String, Slot>,
    env: Env,
    registry: RwLock<ImplRegistry>,
    sources: Vec<Arc<dyn ImplementationSource>>,
    plugin_loader: Option<crate::plugin::PluginLoader>,
    consulted: Mutex<HashSet<String>>,
    runtime: RwLock<HashMap<String, Arc<LoadedElement>>>,
}

/// An opened app: its layers, its elements, and their built objects (cached per process).
///
/// `App` is cheap to clone (an `Arc`) and `Send + Sync`.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("root", &self.inner.root)
            .field("elements", &self.inner.slots.len())
            .field("env", &self.inner.env)
            .finish_non_exhaustive()
    }
}

/// Options for opening an app.
pub struct AppBuilder {
    root: PathBuf,
    env: Env,
    implementations: Vec<Implementation>,
    sources: Vec<Arc<dyn ImplementationSource>>,
    plugins: bool,
    keep_broken: bool,
}

impl fmt::Debug for AppBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppBuilder")
            .field("root", &self.root)
            .field("env", &self.env)
            .field("implementations", &self.implementations)
            .finish_non_exhaustive()
    }
}

impl AppBuilder {
    /// Uses exactly these variables for `{{VAR}}` instead of the process environment.
    pub fn env<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Env::from_map(vars);
        self
    }

    /// Uses this environment.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Adds a run-time implementation (it overrides a built-in one for the same Type).
    pub fn implementation(mut self, implementation: Implementation) -> Self {
        self.implementations.push(implementation);
        self
    }

    /// Adds a lazy implementation source (e.g. a plugin loader).
    pub fn implementation_source(mut self, source: Arc<dyn ImplementationSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// Whether Type elements whose `backendBundleEntry` names a dynamic library are loaded
    /// as plugins (default `true`; see [`PluginLoader`](crate::PluginLoader)).
    pub fn plugins(mut self, enabled: bool) -> Self {
        self.plugins = enabled;
        self
    }

    /// Whether a broken element declaration (an unreadable or malformed e.json, an element
    /// defined twice in one app, an override of a protected element) is left out and kept in
    /// [`App::broken_elements`] instead of failing [`open`](Self::open) (default `false`).
    /// Problems of the app itself (app.json, `extends`) still fail it. For tools that list
    /// every problem at once, such as `jitstore elements`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jitstore_element::App;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir_all(dir.path().join("storages/Bad"))?;
    /// std::fs::write(dir.path().join("storages/Bad/e.json"), "{ not json")?;
    /// assert!(App::open(dir.path()).is_err());
    ///
    /// let app = App::builder(dir.path()).keep_broken(true).open()?;
    /// assert_eq!(app.broken_elements()[0].element(), Some("storages.Bad"));
    /// # Ok(()) }
    /// ```
    pub fn keep_broken(mut self, keep: bool) -> Self {
        self.keep_broken = keep;
        self
    }

    /// Loads app.json, the `extends` apps and every e.json.
    pub fn open(self) -> Result<App, ElementError> {
        let mut registry = ImplRegistry::from_inventory();
        for implementation in self.implementations {
            registry.add(implementation);
        }
        let (loaded, broken) = load_layers(&self.root, self.keep_broken)?;
        let catalog = Catalog::build(
            loaded,
            &|name| !registry.all(name).is_empty(),
            self.keep_broken.then_some(broken),
        )?;
        let root = catalog
            .layers
            .first()
            .map(|l| l.root.clone())
            .unwrap_or(self.root);
        let slots = catalog
            .elements
            .keys()
            .map(|name| {
                (
                    name.clone(),
                    Slot {
                        loaded: OnceCell::new(),
                    },
                )
            })
            .collect();
        Ok(App {
            inner: Arc::new(AppInner {
                root,
                catalog,
                slots,
                env: self.env,
                registry: RwLock::new(registry),
                sources: self.sources,
                plugin_loader: self.plugins.then(crate::plugin::PluginLoader::new),
                consulted: Mutex::new(HashSet::new()),
                runtime: RwLock::new(HashMap::new()),
            }),
        })
    }
}

impl App {
    /// Opens the app folder `root` with the process environment.
    pub fn open(root: impl AsRef<Path>) -> Result<App, ElementError> {
        App::builder(root).open()
    }

    /// Options for opening `root`.
    pub fn builder(root: impl AsRef<Path>) -> AppBuilder {
        AppBuilder {
            root: root.as_ref().to_path_buf(),
            env: Env::Process,
            implementations: Vec::new(),
            sources: Vec::new(),
            plugins: true,
            keep_broken: false,
        }
    }

    /// The app folder (canonical path).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The app's own app.json (default when absent).
    pub fn manifest(&self) -> &AppManifest {
        &self.inner.catalog.layers[0].manifest
    }

    /// The app and the apps it extends, nearest first.
    pub fn layers(&self) -> &[AppLayer] {
        &self.inner.catalog.layers
    }

    /// The environment used for `{{VAR}}`.
    pub fn env(&self) -> &Env {
        &self.inner.env
    }

    /// A visible element's declaration, without building it.
    pub fn element(&self, full_name: &str) -> Result<&Element, ElementError> {
        self.inner.catalog.visible(full_name)
    }

    /// A visible element's parsed e.json, without building it.
    pub fn define(&self, full_name: &str) -> Option<&ElementDefine> {
        self.element(full_name).ok().map(Element::define)
    }

    /// Every visible element, sorted by fullName.
    pub fn elements(&self) -> Vec<&Element> {
        let mut all: Vec<&Element> = self
            .inner
            .catalog
            .elements
            .values()
            .filter(|e| Catalog::visible_from_app(e))
            .collect();
        all.sort_by(|a, b| a.full_name().cmp(b.full_name()));
        all
    }

    /// The element declarations left out because they are broken, when the app was opened
    /// with [`AppBuilder::keep_broken`] (empty otherwise). Each error names the element
    /// (when its folder gives a fullName) and the file.
    pub fn broken_elements(&self) -> &[ElementError] {
        &self.inner.catalog.broken
    }

    /// The config `full_name` is built with, for display: its own `<Name>.json` merged over
    /// the config defaults of the Types in its chain, with every `{{VAR}}` placeholder kept as
    /// written (its value is never inserted). `None` when no file in the chain holds a config.
    /// Literal values are returned as written: mask secret-looking keys before printing.
    pub fn effective_config(&self, full_name: &str) -> Result<Option<Value>, ElementError> {
        let element = self.element(full_name)?;
        let chain = self.inner.catalog.chain(element)?;
        display_config(&chain)
    }

    /// The chain `full_name -> Type -> ... -> Meta`.
    pub fn chain(&self, full_name: &str) -> Result<Vec<&Element>, ElementError> {
        let element = self.element(full_name)?;
        self.inner.catalog.chain(element)
    }

    /// Every visible instance whose chain contains `type_name` (e.g. all instances of
    /// `storages.OssType`, directly or through intermediate Types), sorted by fullName.
    /// Elements whose chain does not resolve are left out.
    pub fn instances_of(&self, type_name: &str) -> Vec<&Element> {
        self.elements()
            .into_iter()
            .filter(|e| e.kind() == ElementKind::Instance)
            .filter(|e| {
                self.inner
                    .catalog
                    .chain(e)
                    .map(|chain| chain[1..].iter().any(|t| t.full_name() == type_name))
                    .unwrap_or(false)
            })
            .collect()
    }

    /// `settings.defaultElement.<key>` of the nearest app that sets it (e.g.
    /// `default_element("defaultStorage")`).
    pub fn default_element(&self, key: &str) -> Option<&str> {
        self.inner.catalog.default_element(key)
    }

    /// True once `full_name` has been built (or registered at run time).
    pub fn is_loaded(&self, full_name: &str) -> bool {
        self.inner
            .slots
            .get(full_name)
            .is_some_and(|s| s.loaded.get().is_some())
            || self
                .inner
                .runtime
                .read()
                .map(|r| r.contains_key(full_name))
                .unwrap_or(false)
    }

    /// Builds `full_name` on first use and returns the cached object afterwards. Concurrent
    /// first calls build it once; a failed build is not cached.
    pub fn get_element(&self, full_name: &str) -> Result<Arc<LoadedElement>, ElementError> {
        if let Some(slot) = self.inner.slots.get(full_name) {
            if let Some(loaded) = slot.loaded.get() {
                return Ok(loaded.clone());
            }
            let element = self.inner.catalog.visible(full_name)?;
            return slot
                .loaded
                .get_or_try_init(|| self.build(element).map(Arc::new))
                .cloned();
        }
        if let Some(loaded) = self
            .inner
            .runtime
            .read()
            .ok()
            .and_then(|r| r.get(full_name).cloned())
        {
            return Ok(loaded);
        }
        Err(self
            .inner
            .catalog
            .visible(full_name)
            .err()
            .unwrap_or_else(|| ElementError::NotFound {
                full_name: full_name.to_owned(),
                hint: None,
            }))
    }

    /// [`get_element`](Self::get_element), downcast to `T` (cloned out of the cache).
    pub fn get_element_as<T: Any + Clone>(&self, full_name: &str) -> Result<T, ElementError> {
        let loaded = self.get_element(full_name)?;
        loaded
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| ElementError::WrongObjectType {
                full_name: full_name.to_owned(),
                type_name: loaded.declared_types.to_string(),
                expected: std::any::type_name::<T>(),
            })
    }

    /// Adds an implementation at run time; elements built afterwards see it.
    pub fn register_implementation(&self, implementation: Implementation) {
        if let Ok(mut registry) = self.inner.registry.write() {
            registry.add(implementation);
        }
    }

    /// Registers an already-built object under a fullName that no element folder declares
    /// (e.g. a storage built from temporary credentials). `type_name` is reported in errors.
    pub fn register_instance(
        &self,
        full_name: &str,
        type_name: &str,
        object: ElementObject,
    ) -> Result<(), ElementError> {
        if self.inner.slots.contains_key(full_name) {
            return Err(ElementError::AlreadyRegistered {
                full_name: full_name.to_owned(),
                reason: "an element with this fullName is declared by the app".to_owned(),
            });
        }
        let mut runtime =
            self.inner
                .runtime
                .write()
                .map_err(|_| ElementError::AlreadyRegistered {
                    full_name: full_name.to_owned(),
                    reason: "the run-time registry is unusable after a panic".to_owned(),
                })?;
        if runtime.contains_key(full_name) {
            return Err(ElementError::AlreadyRegistered {
                full_name: full_name.to_owned(),
                reason: "it is already registered".to_owned(),
            });
        }
        runtime.insert(
            full_name.to_owned(),
            Arc::new(LoadedElement {
                full_name: full_name.into(),
                type_name: type_name.into(),
                declared_types: type_name.into(),
                object,
            }),
        );
        Ok(())
    }

    /// The nearest implementation up `chain` (excluding the element itself).
    pub(crate) fn implementation_for(
        &self,
        chain: &[&Element],
    ) -> Result<(String, Implementation), ElementError> {
        for type_element in &chain[1..] {
            self.consult_sources(type_element)
                .map_err(|error| error.while_building(chain[0].full_name()))?;
            let registry =
                self.inner
                    .registry
                    .read()
                    .map_err(|_| ElementError::NoImplementation {
                        full_name: chain[0].full_name().to_owned(),
                        chain: ChainNames(vec!["(registry unusable after a panic)".to_owned()]),
                    })?;
            if let Some(implementation) = registry.select(type_element.full_name())? {
                return Ok((type_element.full_name().to_owned(), implementation.clone()));
            }
        }
        Err(ElementError::NoImplementation {
            full_name: chain[0].full_name().to_owned(),
            chain: ChainNames(chain.iter().map(|e| e.full_name().to_owned()).collect()),
        })
    }

    fn consult_sources(&self, type_element: &Element) -> Result<(), ElementError> {
        if self.inner.sources.is_empty() && self.inner.plugin_loader.is_none() {
            return Ok(());
        }
        let name = type_element.full_name();
        // Held while the sources run, so each Type is consulted exactly once.
        let mut consulted = jitstore_util::lock::lock(&self.inner.consulted);
        if consulted.contains(name) {
            return Ok(());
        }
        let mut found = Vec::new();
        for source in &self.inner.sources {
            found.extend(source.implementations_for(type_element, &self.inner.root)?);
        }
        // The plugin loader is the fallback: a host source that handles a Type wins.
        if let (true, Some(loader)) = (found.is_empty(), &self.inner.plugin_loader) {
            found.extend(loader.implementations_for(type_element, &self.inner.root)?);
        }
        consulted.insert(name.to_owned());
        if let Ok(mut registry) = self.inner.registry.write() {
            for implementation in found {
                registry.add(implementation);
            }
        }
        Ok(())
    }

    /// The built-in implementation of `type_name`, even when an override wins over it.
    pub(crate) fn builtin_implementation(&self, type_name: &str) -> Option<Implementation> {
        let registry = self.inner.registry.read().ok()?;
        registry
            .all(type_name)
            .iter()
            .find(|i| i.origin.is_builtin())
            .cloned()
    }

    fn build(&self, element: &Element) -> Result<LoadedElement, ElementError> {
        let chain = self.inner.catalog.instance_chain(element)?;
        let (type_name, implementation) = self.implementation_for(&chain)?;
        let declared = declared_types(&chain, &type_name);
        let config = load_config(&chain, &declared, &self.inner.env)?;
        let ctx = BuildContext {
            element,
            chain: &chain,
            implementing_type: &type_name,
            config: &config,
            app_root: &self.inner.root,
            env: &self.inner.env,
            app: self,
        };
        let object = implementation.factory.build(&ctx).map_err(|source| {
            match source.downcast::<ElementError>() {
                Ok(error) => *error,
                Err(source) => ElementError::Build {
                    full_name: element.full_name().to_owned(),
                    type_name: declared.clone(),
                    source,
                },
            }
        })?;
        Ok(LoadedElement {
            full_name: element.full_name().into(),
            type_name: type_name.into(),
            declared_types: declared.into(),
            object,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn app_is_send_and_sync() {
        assert_send_sync::<App>();
        assert_send_sync::<LoadedElement>();
    }
}
