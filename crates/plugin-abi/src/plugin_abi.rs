//! The plugin ABI: the `#[repr(C)]` data and `extern "C"` function shapes shared by a host and
//! a Type plugin (a dynamic library named by a Type element's `backendBundleEntry`).
//!
//! The boundary is a stable C ABI, so a plugin does not have to be built by the same compiler,
//! with the same crate features or the same dependency versions as its host: only
//! [`PLUGIN_ABI_VERSION`] has to match. No Rust type, allocation or panic crosses it:
//!
//! * strings and bytes travel as borrowed `(pointer, length)` pairs ([`RawStr`]);
//! * data coming back (an error message, an operation's output) is copied out through a
//!   host-owned [`ByteSink`] while the plugin still owns it;
//! * every plugin-side entry point catches panics and reports them as [`STATUS_PANIC`].
//!
//! A library exports two symbols:
//!
//! 1. [`MARKER_SYMBOL`], a static [`PluginMarker`] read as data before any plugin code runs;
//! 2. [`ENTRY_SYMBOL`], an [`EntryFn`] returning the Types the library implements
//!    ([`PluginEntry`]), each with the functions that create, call and destroy its instances
//!    ([`PluginTypeDecl`]).
//!
//! Plugin authors do not write these by hand: see [`export_plugin!`](crate::export_plugin).

use std::ffi::c_void;

/// The version of this ABI. A library whose marker carries another version is refused.
pub const PLUGIN_ABI_VERSION: u32 = 1;

/// The first bytes of every [`PluginMarker`].
pub const PLUGIN_MAGIC: [u8; 16] = *b"jitstore-plugin\0";

/// The exported name of the [`PluginMarker`] static (NUL-terminated for `dlsym`).
pub const MARKER_SYMBOL: &[u8] = b"JITSTORE_PLUGIN_MARKER\0";

/// The exported name of the [`EntryFn`] (NUL-terminated for `dlsym`).
pub const ENTRY_SYMBOL: &[u8] = b"jitstore_plugin_entry\0";

/// The jitstore version a plugin was built against (the workspace version this crate shares
/// with `jitstore-element`; shown in mismatch errors).
pub const JITSTORE_ELEMENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Status: success.
pub const STATUS_OK: i32 = 0;
/// Status: the call failed; the message sink holds the reason.
pub const STATUS_ERROR: i32 = 1;
/// Status: the plugin panicked; the panic was caught on the plugin side.
pub const STATUS_PANIC: i32 = 2;
/// Status: the instance does not know the operation.
pub const STATUS_UNKNOWN_OPERATION: i32 = 3;
/// First status code an interface may give its own meaning (e.g. "not found").
pub const STATUS_INTERFACE_BASE: i32 = 16;

/// A borrowed UTF-8 string or byte slice: a pointer and a length, valid for the duration of
/// the call that receives it (or for the life of the library when it points at static data).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RawStr {
    /// First byte (may dangle when `len` is 0).
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl RawStr {
    /// A view of static text (usable in `const` items).
    pub const fn from_static(text: &'static str) -> RawStr {
        RawStr {
            ptr: text.as_ptr(),
            len: text.len(),
        }
    }

    /// A view of `bytes` for the duration of a call.
    pub fn from_bytes(bytes: &[u8]) -> RawStr {
        RawStr {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` must point at `len` readable bytes that stay valid for `'a` (or `len` must be 0).
    pub unsafe fn as_bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            &[]
        } else {
            // SAFETY: guaranteed by the caller.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }

    /// The text, when it is UTF-8.
    ///
    /// # Safety
    /// As for [`as_bytes`](Self::as_bytes).
    pub unsafe fn as_str<'a>(&self) -> Option<&'a str> {
        // SAFETY: guaranteed by the caller.
        std::str::from_utf8(unsafe { self.as_bytes() }).ok()
    }
}

/// A host-owned buffer the plugin writes into: `write(context, bytes, len)` appends a copy.
#[repr(C)]
pub struct ByteSink {
    /// Host state (a `Vec<u8>`), opaque to the plugin.
    pub context: *mut c_void,
    /// Appends `len` bytes at `data` to the buffer.
    pub write: unsafe extern "C" fn(context: *mut c_void, data: *const u8, len: usize),
}

/// The marker a library exports as [`MARKER_SYMBOL`]; checked before any plugin code runs.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginMarker {
    /// Always [`PLUGIN_MAGIC`].
    pub magic: [u8; 16],
    /// The [`PLUGIN_ABI_VERSION`] the library was built for.
    pub abi_version: u32,
    /// The jitstore version it was built against ([`JITSTORE_ELEMENT_VERSION`]), NUL-padded
    /// ASCII.
    pub jitstore_version: [u8; 32],
}

impl PluginMarker {
    /// The marker of a library built against this crate.
    pub const fn current() -> PluginMarker {
        let mut jitstore_version = [0u8; 32];
        let version = JITSTORE_ELEMENT_VERSION.as_bytes();
        let mut i = 0;
        while i < version.len() && i < 31 {
            jitstore_version[i] = version[i];
            i += 1;
        }
        PluginMarker {
            magic: PLUGIN_MAGIC,
            abi_version: PLUGIN_ABI_VERSION,
            jitstore_version,
        }
    }

    /// The `jitstore_version` field as text (lossy, up to the first NUL).
    pub fn jitstore_version(&self) -> String {
        let end = self
            .jitstore_version
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(self.jitstore_version.len());
        String::from_utf8_lossy(&self.jitstore_version[..end]).into_owned()
    }
}

/// What the host tells a plugin about the element it is creating an instance for.
#[repr(C)]
pub struct CreateRequest {
    /// The element's fullName (e.g. `storages.Scratch`).
    pub element: RawStr,
    /// The Type being implemented (e.g. `storages.MemoryType`).
    pub type_name: RawStr,
    /// The merged business config as JSON text (secret-bearing: do not log it).
    pub config_json: RawStr,
    /// The root app folder.
    pub app_root: RawStr,
    /// The element folder, or empty when the element has none.
    pub element_dir: RawStr,
}

/// Creates an instance; on success stores it in `*instance` and returns [`STATUS_OK`], else
/// writes a message to `message` and returns another status.
pub type CreateFn = unsafe extern "C" fn(
    request: *const CreateRequest,
    instance: *mut *mut c_void,
    message: *mut ByteSink,
) -> i32;

/// Runs operation `operation` of an instance with `input`; writes the result (or, on failure,
/// a message) to `output`.
pub type CallFn = unsafe extern "C" fn(
    instance: *const c_void,
    operation: RawStr,
    input: RawStr,
    output: *mut ByteSink,
) -> i32;

/// Destroys an instance created by [`CreateFn`].
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);

/// One Type a library implements.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTypeDecl {
    /// The Type fullName (static data of the library).
    pub type_name: RawStr,
    /// The interface its instances speak (e.g. `storages.Meta/2`; static data of the library).
    pub interface: RawStr,
    /// Creates an instance.
    pub create: CreateFn,
    /// Calls an operation on an instance.
    pub call: CallFn,
    /// Destroys an instance.
    pub destroy: DestroyFn,
}

/// What [`EntryFn`] returns: the library's Types (static data of the library).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginEntry {
    /// The [`PLUGIN_ABI_VERSION`] the entry point speaks (checked again).
    pub abi_version: u32,
    /// The first declaration.
    pub types: *const PluginTypeDecl,
    /// How many declarations.
    pub types_len: usize,
}

/// The registration entry point a library exports as [`ENTRY_SYMBOL`].
pub type EntryFn = unsafe extern "C" fn() -> PluginEntry;
