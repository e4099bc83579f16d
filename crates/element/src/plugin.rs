//! Plugin Types: a Type element whose e.json `backendBundleEntry` names a dynamic library is
//! implemented by that library, loaded with `libloading` the first time an element of that
//! Type is built.
//!
//! ```text
//! storages/MemoryType/e.json   {"title": "In-memory", "type": "storages.Meta",
//!                               "backendBundleEntry": "lib/libjitstore_plugin_example"}
//! storages/MemoryType/lib/libjitstore_plugin_example.so
//! storages/Scratch/e.json      {"title": "Scratch", "type": "storages.MemoryType"}
//! ```
//!
//! The entry is relative to the element folder; when it has no extension (or another
//! platform's), the platform's one is used (`.so`, `.dylib`, `.dll`). Loading checks, in order:
//! the file exists and loads; it exports the [`PluginMarker`] (read as data, before any plugin
//! function is called) with the right magic and [`PLUGIN_ABI_VERSION`]; it exports the entry
//! point; the entry point declares the Type element's fullName. Each failure is an
//! [`ElementError::Plugin`] naming the element, the Type and the library path.
//!
//! The library stays loaded while the [`App`](crate::App) or any object built from it lives.
//! Instances are [`PluginObject`]s (bytes-in, bytes-out operations over the C ABI); a crate that
//! owns an element family registers a [`PluginInterface`] adapter to turn them into its own
//! object type (e.g. `jitstore-storages-plugin` turns `storages.Meta/2` objects into storages).

use std::collections::HashMap;
use std::ffi::{c_void, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::catalog::Element;
use crate::context::BuildContext;
use crate::error::{BoxError, ElementError};
use crate::plugin_abi::{
    ByteSink, CallFn, CreateFn, CreateRequest, DestroyFn, EntryFn, PluginEntry, PluginMarker,
    RawStr, ENTRY_SYMBOL, MARKER_SYMBOL, PLUGIN_ABI_VERSION, PLUGIN_MAGIC, STATUS_OK, STATUS_PANIC,
};
use crate::registry::{
    ElementObject, Implementation, ImplementationOrigin, ImplementationSource, TypeFactory,
};

/// What went wrong with a plugin library (the library path, the element and the Type are in
/// the enclosing [`ElementError::Plugin`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PluginProblem {
    /// No file at the resolved path.
    #[error("library not found (backendBundleEntry `{entry}`)")]
    MissingLibrary {
        /// The entry as written in e.json.
        entry: String,
    },
    /// The file exists but the dynamic loader refused it.
    #[error("cannot load library: {message}")]
    LoadFailed {
        /// The loader's message.
        message: String,
    },
    /// A required symbol is not exported.
    #[error("missing symbol `{symbol}`: not a jitstore plugin, or built without `export_plugin!`")]
    MissingSymbol {
        /// The symbol name.
        symbol: String,
    },
    /// The marker symbol exists but does not start with the jitstore magic.
    #[error("symbol `JITSTORE_PLUGIN_MARKER` does not hold a jitstore plugin marker")]
    BadMarker,
    /// The library was built for another plugin ABI.
    #[error("plugin ABI mismatch: the library speaks ABI {found} (built against jitstore-element {built_against}), this host speaks ABI {expected} (jitstore-element {host}); rebuild the plugin against this jitstore")]
    AbiMismatch {
        /// The library's ABI version.
        found: u32,
        /// This host's ABI version.
        expected: u32,
        /// The jitstore-element version the library was built against.
        built_against: String,
        /// This host's jitstore-element version.
        host: String,
    },
    /// The entry point's declarations are unusable.
    #[error("invalid plugin declaration: {reason}")]
    InvalidDeclaration {
        /// What was wrong.
        reason: String,
    },
    /// The library does not implement the Type element that names it.
    #[error("the library registers {}, not {expected}", list_or_nothing(.registered))]
    WrongType {
        /// The Type element's fullName.
        expected: String,
        /// What the library registers.
        registered: Vec<String>,
    },
    /// The plugin's factory returned an error.
    #[error("the plugin's factory failed: {message}")]
    FactoryFailed {
        /// The plugin's message.
        message: String,
    },
    /// The plugin's factory panicked (caught inside the library).
    #[error("the plugin's factory panicked (caught in the library): {message}")]
    FactoryPanicked {
        /// The panic message.
        message: String,
    },
    /// The interface adapter refused the plugin's object.
    #[error("the {interface} adapter refused the plugin object: {message}")]
    AdapterFailed {
        /// The interface.
        interface: String,
        /// Why.
        message: String,
    },
}

fn list_or_nothing(names: &[String]) -> String {
    if names.is_empty() {
        "no Type".to_owned()
    } else {
        names.join(", ")
    }
}

/// A plugin library problem, naming the element, the Type and the library
/// (inside [`ElementError::Plugin`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("element {element} (type {type_name}): plugin library {}: {problem}", .library.display())]
pub struct PluginError {
    /// The element being built (or the Type element, when loading failed on its own).
    pub element: String,
    /// The Type whose element names the library.
    pub type_name: String,
    /// The library file.
    pub library: PathBuf,
    /// What went wrong.
    pub problem: PluginProblem,
}

impl PluginError {
    fn into_element_error(self) -> ElementError {
        ElementError::Plugin(Box::new(self))
    }
}

/// An error from a call into a plugin instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{type_name} plugin {} failed `{operation}` (status {status}): {message}", .library.display())]
pub struct PluginCallError {
    /// The Type implemented by the plugin.
    pub type_name: String,
    /// The library.
    pub library: PathBuf,
    /// The operation.
    pub operation: String,
    /// The status the plugin returned (see [`crate::plugin_abi`]).
    pub status: i32,
    /// The plugin's message.
    pub message: String,
}

impl PluginCallError {
    /// True when the plugin panicked (the panic was caught inside the library).
    pub fn is_panic(&self) -> bool {
        self.status == STATUS_PANIC
    }
}

/// Turns plugin objects of one interface into an element family's own object type; collected
/// with `inventory`.
///
/// ```
/// use std::sync::Arc;
/// use jitstore_element::{BoxError, ElementObject, PluginInterface, PluginObject};
///
/// fn adapt(object: Arc<PluginObject>) -> Result<ElementObject, BoxError> {
///     Ok(Arc::new(object))
/// }
/// jitstore_element::inventory::submit! {
///     PluginInterface::new("demo.Echo/1", adapt, module_path!())
/// }
/// ```
#[derive(Debug)]
pub struct PluginInterface {
    /// The interface name plugins declare (e.g. `storages.Meta/2`).
    pub interface: &'static str,
    /// The adapter.
    pub adapt: fn(Arc<PluginObject>) -> Result<ElementObject, BoxError>,
    /// Where it is registered (`module_path!()`).
    pub origin: &'static str,
}

impl PluginInterface {
    /// An adapter registration.
    pub const fn new(
        interface: &'static str,
        adapt: fn(Arc<PluginObject>) -> Result<ElementObject, BoxError>,
        origin: &'static str,
    ) -> PluginInterface {
        PluginInterface {
            interface,
            adapt,
            origin,
        }
    }
}

inventory::collect!(PluginInterface);

/// One Type declared by a loaded library.
#[derive(Debug, Clone)]
struct LibraryType {
    type_name: String,
    interface: String,
    create: CreateFn,
    call: CallFn,
    destroy: DestroyFn,
}

/// A loaded plugin library; unloaded when the last [`Arc`] to it is dropped.
pub struct PluginLibrary {
    path: PathBuf,
    marker: PluginMarker,
    types: Vec<LibraryType>,
    // Last field: dropped after everything that points into it.
    _library: libloading::Library,
}

impl fmt::Debug for PluginLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginLibrary")
            .field("path", &self.path)
            .field("jitstore_version", &self.marker.jitstore_version())
            .field(
                "types",
                &self.types.iter().map(|t| &t.type_name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl PluginLibrary {
    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The Type fullNames the library implements.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        self.types.iter().map(|t| t.type_name.as_str())
    }

    /// The `jitstore-element` version the library was built against.
    pub fn built_against(&self) -> String {
        self.marker.jitstore_version()
    }

    /// Loads `path` and checks its marker and declarations.
    fn load(path: &Path) -> Result<PluginLibrary, PluginProblem> {
        // SAFETY: loading a library runs its initialisers. The library was named by the app's
        // own element folder, which the host chose to open; nothing else of it runs before the
        // marker check below.
        let library = unsafe { libloading::Library::new(path) }.map_err(|error| {
            PluginProblem::LoadFailed {
                message: error.to_string(),
            }
        })?;
        let marker = read_marker(&library)?;
        // SAFETY: the marker says the library speaks our ABI, whose entry point has this type.
        let entry: libloading::Symbol<'_, EntryFn> =
            unsafe { library.get(ENTRY_SYMBOL) }.map_err(|_| PluginProblem::MissingSymbol {
                symbol: symbol_name(ENTRY_SYMBOL),
            })?;
        // SAFETY: a plain `extern "C"` function without arguments returning static data.
        let declared = unsafe { entry() };
        let types = read_declarations(&declared)?;
        Ok(PluginLibrary {
            path: path.to_path_buf(),
            marker,
            types,
            _library: library,
        })
    }
}

fn symbol_name(symbol: &[u8]) -> String {
    String::from_utf8_lossy(symbol.strip_suffix(b"\0").unwrap_or(symbol)).into_owned()
}

fn read_marker(library: &libloading::Library) -> Result<PluginMarker, PluginProblem> {
    // SAFETY: a data symbol; we only take its address here.
    let symbol: libloading::Symbol<'_, *const u8> =
        unsafe { library.get(MARKER_SYMBOL) }.map_err(|_| PluginProblem::MissingSymbol {
            symbol: symbol_name(MARKER_SYMBOL),
        })?;
    let address = *symbol;
    if address.is_null() {
        return Err(PluginProblem::BadMarker);
    }
    // SAFETY: an exported object named JITSTORE_PLUGIN_MARKER is at least as large as the
    // magic we compare first; only a matching magic lets us read the whole marker.
    let magic = unsafe { std::ptr::read_unaligned(address as *const [u8; 16]) };
    if magic != PLUGIN_MAGIC {
        return Err(PluginProblem::BadMarker);
    }
    // SAFETY: the magic identifies a `PluginMarker`, whose layout is fixed for every ABI.
    let marker = unsafe { std::ptr::read_unaligned(address as *const PluginMarker) };
    if marker.abi_version != PLUGIN_ABI_VERSION {
        return Err(PluginProblem::AbiMismatch {
            found: marker.abi_version,
            expected: PLUGIN_ABI_VERSION,
            built_against: marker.jitstore_version(),
            host: crate::plugin_abi::JITSTORE_ELEMENT_VERSION.to_owned(),
        });
    }
    Ok(marker)
}

/// Sanity bound on the number of Types one library declares.
const MAX_DECLARED_TYPES: usize = 4096;

fn read_declarations(entry: &PluginEntry) -> Result<Vec<LibraryType>, PluginProblem> {
    let invalid = |reason: String| PluginProblem::InvalidDeclaration { reason };
    if entry.abi_version != PLUGIN_ABI_VERSION {
        return Err(invalid(format!(
            "the entry point speaks ABI {}, the marker says {PLUGIN_ABI_VERSION}",
            entry.abi_version
        )));
    }
    if entry.types_len > MAX_DECLARED_TYPES {
        return Err(invalid(format!("{} Types declared", entry.types_len)));
    }
    if entry.types_len > 0 && entry.types.is_null() {
        return Err(invalid("null Type list".to_owned()));
    }
    let declared = if entry.types_len == 0 {
        &[][..]
    } else {
        // SAFETY: the entry point returned a pointer to `types_len` static declarations.
        unsafe { std::slice::from_raw_parts(entry.types, entry.types_len) }
    };
    let mut types: Vec<LibraryType> = Vec::with_capacity(declared.len());
    for (index, decl) in declared.iter().enumerate() {
        let text = |raw: &RawStr, what: &str| {
            // SAFETY: declarations point at static text of the library, which stays loaded.
            unsafe { raw.as_str() }
                .map(str::to_owned)
                .ok_or_else(|| invalid(format!("Type #{index}: {what} is not UTF-8")))
        };
        let type_name = text(&decl.type_name, "name")?;
        if types.iter().any(|t| t.type_name == type_name) {
            return Err(invalid(format!("Type {type_name} is declared twice")));
        }
        types.push(LibraryType {
            interface: text(&decl.interface, "interface")?,
            type_name,
            create: decl.create,
            call: decl.call,
            destroy: decl.destroy,
        });
    }
    Ok(types)
}

/// Appends the plugin's bytes to the host's `Vec<u8>`.
unsafe extern "C" fn append_to_vec(context: *mut c_void, data: *const u8, len: usize) {
    // SAFETY: `context` is the `Vec<u8>` the host put in the sink for this call.
    let Some(buffer) = (unsafe { (context as *mut Vec<u8>).as_mut() }) else {
        return;
    };
    if len > 0 && !data.is_null() {
        // SAFETY: the plugin passes `len` readable bytes it owns for the duration of the call.
        buffer.extend_from_slice(unsafe { std::slice::from_raw_parts(data, len) });
    }
}

fn sink_for(buffer: &mut Vec<u8>) -> ByteSink {
    ByteSink {
        context: buffer as *mut Vec<u8> as *mut c_void,
        write: append_to_vec,
    }
}

/// An instance created by a plugin library: named operations with bytes in and bytes out.
///
/// Keeps its library loaded; destroyed inside the library when dropped.
pub struct PluginObject {
    instance: *mut c_void,
    call: CallFn,
    destroy: DestroyFn,
    element: String,
    type_name: String,
    interface: String,
    library: Arc<PluginLibrary>,
}

// SAFETY: `PluginInstance` requires `Send + Sync` of every instance a plugin exports, and the
// function pointers are plain code of the library, which `library` keeps loaded.
unsafe impl Send for PluginObject {}
// SAFETY: as above.
unsafe impl Sync for PluginObject {}

impl fmt::Debug for PluginObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginObject")
            .field("element", &self.element)
            .field("type_name", &self.type_name)
            .field("interface", &self.interface)
            .field("library", &self.library.path)
            .finish()
    }
}

impl PluginObject {
    /// The element it was built for.
    pub fn element(&self) -> &str {
        &self.element
    }

    /// The Type the library implements.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The interface the instance speaks (e.g. `storages.Meta/2`).
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The library file.
    pub fn library_path(&self) -> &Path {
        &self.library.path
    }

    /// Runs `operation` with `input` and returns its output. Synchronous: call it from a
    /// blocking context when the plugin may block.
    pub fn call(&self, operation: &str, input: &[u8]) -> Result<Vec<u8>, PluginCallError> {
        let mut output = Vec::new();
        let mut sink = sink_for(&mut output);
        // SAFETY: `instance` is alive until drop; the strings and the sink outlive the call.
        let status = unsafe {
            (self.call)(
                self.instance,
                RawStr::from_bytes(operation.as_bytes()),
                RawStr::from_bytes(input),
                &mut sink,
            )
        };
        if status == STATUS_OK {
            Ok(output)
        } else {
            Err(PluginCallError {
                type_name: self.type_name.clone(),
                library: self.library.path.clone(),
                operation: operation.to_owned(),
                status,
                message: String::from_utf8_lossy(&output).into_owned(),
            })
        }
    }
}

impl Drop for PluginObject {
    fn drop(&mut self) {
        // SAFETY: created by this library's `create`, destroyed exactly once, while `library`
        // (dropped after this) keeps the code loaded.
        unsafe { (self.destroy)(self.instance) };
    }
}

/// Builds instances of one plugin Type.
struct PluginFactory {
    library: Arc<PluginLibrary>,
    declared: LibraryType,
}

impl PluginFactory {
    fn problem(&self, ctx: &BuildContext<'_>, problem: PluginProblem) -> ElementError {
        PluginError {
            element: ctx.full_name().to_owned(),
            type_name: self.declared.type_name.clone(),
            library: self.library.path.clone(),
            problem,
        }
        .into_element_error()
    }
}

impl TypeFactory for PluginFactory {
    fn build(&self, ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
        let config = ctx.config_text();
        let app_root = ctx.app_root().to_string_lossy().into_owned();
        let element_dir = ctx
            .element_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let request = CreateRequest {
            element: RawStr::from_bytes(ctx.full_name().as_bytes()),
            type_name: RawStr::from_bytes(self.declared.type_name.as_bytes()),
            config_json: RawStr::from_bytes(config.as_bytes()),
            app_root: RawStr::from_bytes(app_root.as_bytes()),
            element_dir: RawStr::from_bytes(element_dir.as_bytes()),
        };
        let mut instance: *mut c_void = std::ptr::null_mut();
        let mut message = Vec::new();
        let mut sink = sink_for(&mut message);
        // SAFETY: the request's strings, the out-pointer and the sink outlive the call.
        let status = unsafe { (self.declared.create)(&request, &mut instance, &mut sink) };
        let message = String::from_utf8_lossy(&message).into_owned();
        if status != STATUS_OK || instance.is_null() {
            let problem = if status == STATUS_PANIC {
                PluginProblem::FactoryPanicked { message }
            } else {
                PluginProblem::FactoryFailed { message }
            };
            return Err(Box::new(self.problem(ctx, problem)));
        }
        let object = Arc::new(PluginObject {
            instance,
            call: self.declared.call,
            destroy: self.declared.destroy,
            element: ctx.full_name().to_owned(),
            type_name: self.declared.type_name.clone(),
            interface: self.declared.interface.clone(),
            library: self.library.clone(),
        });
        match inventory::iter::<PluginInterface>
            .into_iter()
            .find(|adapter| adapter.interface == self.declared.interface)
        {
            Some(adapter) => (adapter.adapt)(object).map_err(|error| {
                Box::new(self.problem(
                    ctx,
                    PluginProblem::AdapterFailed {
                        interface: self.declared.interface.clone(),
                        message: error.to_string(),
                    },
                )) as BoxError
            }),
            None => Ok(Arc::new(object)),
        }
    }
}

/// True when a `backendBundleEntry` may name a library: anything but the element folder itself
/// (`"."`). The loader also skips entries that name an existing folder (`"./backend"`).
pub fn is_library_entry(entry: &str) -> bool {
    let entry = entry.trim();
    !(entry.is_empty() || entry == "." || entry == "./")
}

/// The library file for `entry` relative to `element_dir`: the path as written when that file
/// exists; otherwise with the platform's extension (`lib/libx` and `lib/libx.so` both become
/// `lib/libx.dylib` on macOS). On platforms whose libraries carry no `lib` prefix (Windows),
/// `lib/libx` also finds `lib/x.dll`, the name cargo gives a `cdylib` there.
pub fn resolve_library_path(element_dir: &Path, entry: &str) -> PathBuf {
    let candidates = library_candidates(
        element_dir,
        entry,
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_EXTENSION,
    );
    candidates
        .iter()
        .find(|candidate| candidate.is_file())
        .or(candidates.get(1))
        .cloned()
        .unwrap_or_else(|| element_dir.join(entry.trim()))
}

/// The files `entry` may name, in order: as written, with the platform's extension, and (when
/// the platform's prefix is empty) with the extension and without a leading `lib`.
fn library_candidates(
    element_dir: &Path,
    entry: &str,
    platform_prefix: &str,
    platform_extension: &str,
) -> Vec<PathBuf> {
    let given = element_dir.join(entry.trim());
    let is_library_extension = given
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "so" | "dylib" | "dll"));
    let with_extension = if is_library_extension {
        given.with_extension(platform_extension)
    } else {
        let mut file: OsString = given.clone().into_os_string();
        file.push(".");
        file.push(platform_extension);
        PathBuf::from(file)
    };
    let mut candidates = vec![given, with_extension.clone()];
    let unprefixed = with_extension
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_prefix("lib"))
        .filter(|rest| !rest.is_empty());
    if let (true, Some(rest)) = (platform_prefix.is_empty(), unprefixed) {
        candidates.push(with_extension.with_file_name(rest));
    }
    candidates
}

/// The [`ImplementationSource`] that loads plugin libraries named by Type elements. Installed
/// by default in every [`App`](crate::App) (see
/// [`AppBuilder::plugins`](crate::AppBuilder::plugins)); keeps each library loaded for its own
/// lifetime (the App's).
#[derive(Debug, Default)]
pub struct PluginLoader {
    libraries: Mutex<HashMap<PathBuf, Arc<PluginLibrary>>>,
}

impl PluginLoader {
    /// A loader with no library loaded yet.
    pub fn new() -> PluginLoader {
        PluginLoader::default()
    }

    /// The libraries loaded so far.
    pub fn loaded(&self) -> Vec<Arc<PluginLibrary>> {
        jitstore_util::lock::lock(&self.libraries)
            .values()
            .cloned()
            .collect()
    }

    fn library(&self, path: &Path) -> Result<Arc<PluginLibrary>, PluginProblem> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut libraries = jitstore_util::lock::lock(&self.libraries);
        if let Some(library) = libraries.get(&key) {
            return Ok(library.clone());
        }
        let library = Arc::new(PluginLibrary::load(path)?);
        libraries.insert(key, library.clone());
        Ok(library)
    }
}

impl ImplementationSource for PluginLoader {
    fn implementations_for(
        &self,
        type_element: &Element,
        _app_root: &Path,
    ) -> Result<Vec<Implementation>, ElementError> {
        let Some(entry) = type_element.define().backend_bundle_entry.as_deref() else {
            return Ok(Vec::new());
        };
        let Some(dir) = type_element.dir() else {
            return Ok(Vec::new());
        };
        // `"."` and folders (JitAI's `"./backend"` of front+back elements) are not libraries.
        if !is_library_entry(entry) || dir.join(entry.trim()).is_dir() {
            return Ok(Vec::new());
        }
        let type_name = type_element.full_name();
        let path = resolve_library_path(dir, entry);
        let fail = |problem: PluginProblem| {
            PluginError {
                element: type_name.to_owned(),
                type_name: type_name.to_owned(),
                library: path.clone(),
                problem,
            }
            .into_element_error()
        };
        if !path.is_file() {
            return Err(fail(PluginProblem::MissingLibrary {
                entry: entry.to_owned(),
            }));
        }
        let library = self.library(&path).map_err(fail)?;
        let Some(declared) = library
            .types
            .iter()
            .find(|t| t.type_name == type_name)
            .cloned()
        else {
            return Err(fail(PluginProblem::WrongType {
                expected: type_name.to_owned(),
                registered: library.types.iter().map(|t| t.type_name.clone()).collect(),
            }));
        };
        Ok(vec![Implementation::new(
            type_name,
            ImplementationOrigin::Plugin(library.path.clone()),
            Arc::new(PluginFactory { library, declared }),
        )])
    }
}

impl ElementError {
    /// Names `instance` (the element being built) in a plugin loading error raised while
    /// resolving one of its Types.
    pub(crate) fn while_building(self, instance: &str) -> ElementError {
        match self {
            ElementError::Plugin(mut error) => {
                instance.clone_into(&mut error.element);
                ElementError::Plugin(error)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_entries_exclude_the_folder_itself() {
        assert!(!is_library_entry("."));
        assert!(!is_library_entry(" ./ "));
        assert!(!is_library_entry(""));
        assert!(is_library_entry("lib/libmy_type"));
    }

    #[test]
    fn resolves_the_platform_extension() {
        let dir = Path::new("/nonexistent-element");
        let ext = std::env::consts::DLL_EXTENSION;
        assert_eq!(
            resolve_library_path(dir, "lib/libmy_type"),
            dir.join(format!("lib/libmy_type.{ext}"))
        );
        assert_eq!(
            resolve_library_path(dir, "lib/libmy_type.so"),
            dir.join(format!("lib/libmy_type.{ext}"))
        );
        assert_eq!(
            resolve_library_path(dir, "lib/libmy.type"),
            dir.join(format!("lib/libmy.type.{ext}"))
        );
    }

    #[test]
    fn windows_names_drop_the_lib_prefix() {
        let dir = Path::new("/app/storages/MemoryType");
        assert_eq!(
            library_candidates(dir, "lib/libmy_type", "", "dll"),
            [
                dir.join("lib/libmy_type"),
                dir.join("lib/libmy_type.dll"),
                dir.join("lib/my_type.dll"),
            ]
        );
        assert_eq!(
            library_candidates(dir, "lib/libmy_type.so", "lib", "dylib"),
            [
                dir.join("lib/libmy_type.so"),
                dir.join("lib/libmy_type.dylib")
            ]
        );
    }

    #[test]
    fn keeps_an_existing_file_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("plugin.bin"), b"x").expect("write");
        assert_eq!(
            resolve_library_path(dir.path(), "plugin.bin"),
            dir.path().join("plugin.bin")
        );
    }

    #[test]
    fn marker_carries_abi_and_version() {
        let marker = PluginMarker::current();
        assert_eq!(marker.magic, PLUGIN_MAGIC);
        assert_eq!(marker.abi_version, PLUGIN_ABI_VERSION);
        assert_eq!(
            marker.jitstore_version(),
            crate::plugin_abi::JITSTORE_ELEMENT_VERSION
        );
    }
}
