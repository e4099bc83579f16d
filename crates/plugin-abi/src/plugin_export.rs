//! The plugin side of the plugin ABI: implement [`PluginType`] for each Type a library
//! provides and export them with [`export_plugin!`](crate::export_plugin).
//!
//! The generated `extern "C"` functions catch every panic (reported to the host as
//! [`STATUS_PANIC`]) and copy every message and output into host-owned buffers, so nothing but
//! plain bytes crosses the library boundary.
//!
//! ```
//! use jitstore_plugin_abi::{PluginFailure, PluginInstance, PluginRequest, PluginType};
//!
//! struct Echo;
//! impl PluginInstance for Echo {
//!     fn call(&self, operation: &str, input: &[u8], output: &mut Vec<u8>) -> Result<(), PluginFailure> {
//!         match operation {
//!             "echo" => { output.extend_from_slice(input); Ok(()) }
//!             other => Err(PluginFailure::unknown_operation(other)),
//!         }
//!     }
//! }
//!
//! struct EchoType;
//! impl PluginType for EchoType {
//!     const TYPE_NAME: &'static str = "demo.EchoType";
//!     const INTERFACE: &'static str = "demo.Echo/1";
//!     type Instance = Echo;
//!     fn create(_request: &PluginRequest<'_>) -> Result<Echo, String> { Ok(Echo) }
//! }
//!
//! // In the plugin crate (crate-type = ["cdylib"]):
//! jitstore_plugin_abi::export_plugin!(EchoType);
//! ```

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::plugin_abi::{
    ByteSink, CreateRequest, PluginTypeDecl, RawStr, STATUS_ERROR, STATUS_OK, STATUS_PANIC,
    STATUS_UNKNOWN_OPERATION,
};

/// Why a plugin call failed: a status (see [`crate::plugin_abi`]) and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFailure {
    /// [`STATUS_ERROR`], [`STATUS_UNKNOWN_OPERATION`] or an interface's own code.
    pub status: i32,
    /// What went wrong.
    pub message: String,
}

impl PluginFailure {
    /// A failure with [`STATUS_ERROR`].
    pub fn error(message: impl Into<String>) -> PluginFailure {
        PluginFailure {
            status: STATUS_ERROR,
            message: message.into(),
        }
    }

    /// A failure with an interface-defined status.
    pub fn with_status(status: i32, message: impl Into<String>) -> PluginFailure {
        PluginFailure {
            status,
            message: message.into(),
        }
    }

    /// The instance does not know `operation`.
    pub fn unknown_operation(operation: &str) -> PluginFailure {
        PluginFailure {
            status: STATUS_UNKNOWN_OPERATION,
            message: format!("unknown operation `{operation}`"),
        }
    }
}

/// What a plugin is told about the element it creates an instance for.
#[derive(Debug, Clone, Copy)]
pub struct PluginRequest<'a> {
    /// The element fullName.
    pub element: &'a str,
    /// The Type fullName being implemented.
    pub type_name: &'a str,
    /// The merged business config as JSON text (secret-bearing: do not log it).
    pub config_json: &'a str,
    /// The root app folder.
    pub app_root: &'a str,
    /// The element folder, when it has one.
    pub element_dir: Option<&'a str>,
}

/// An instance built by a plugin: answers named operations with bytes in and bytes out.
pub trait PluginInstance: Send + Sync + 'static {
    /// Runs `operation` with `input`, appending its result to `output`.
    fn call(
        &self,
        operation: &str,
        input: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), PluginFailure>;
}

/// A Type implemented by a plugin library.
pub trait PluginType: 'static {
    /// The Type fullName (must equal the fullName of the Type element naming the library).
    const TYPE_NAME: &'static str;
    /// The interface its instances speak, e.g. `storages.Meta/2`.
    const INTERFACE: &'static str;
    /// The instance type.
    type Instance: PluginInstance;
    /// Creates an instance for the element described by `request`.
    fn create(request: &PluginRequest<'_>) -> Result<Self::Instance, String>;
}

/// The declaration of `T` for the library's entry point (used by
/// [`export_plugin!`](crate::export_plugin)).
pub const fn declare<T: PluginType>() -> PluginTypeDecl {
    PluginTypeDecl {
        type_name: RawStr::from_static(T::TYPE_NAME),
        interface: RawStr::from_static(T::INTERFACE),
        create: create_instance::<T>,
        call: call_instance::<T::Instance>,
        destroy: destroy_instance::<T::Instance>,
    }
}

/// The list of declarations a library exports (static data; see
/// [`export_plugin!`](crate::export_plugin)).
#[derive(Debug)]
pub struct DeclList(pub &'static [PluginTypeDecl]);

// SAFETY: the declarations point only at static text and functions of the library, which are
// immutable and valid from any thread.
unsafe impl Sync for DeclList {}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Writes `bytes` to a host sink.
///
/// # Safety
/// `sink` must be null or a valid [`ByteSink`] from the host.
unsafe fn write_sink(sink: *mut ByteSink, bytes: &[u8]) {
    // SAFETY: the host passes a valid sink for the duration of the call (or null).
    if let Some(sink) = unsafe { sink.as_ref() } {
        // SAFETY: the sink's function copies `len` bytes from `data`, which we own.
        unsafe { (sink.write)(sink.context, bytes.as_ptr(), bytes.len()) };
    }
}

unsafe extern "C" fn create_instance<T: PluginType>(
    request: *const CreateRequest,
    instance: *mut *mut c_void,
    message: *mut ByteSink,
) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the host passes a valid request whose strings live for this call.
        let Some(request) = (unsafe { request.as_ref() }) else {
            return Err("no request".to_owned());
        };
        let text = |raw: &RawStr, what: &str| {
            // SAFETY: as above.
            unsafe { raw.as_str() }.ok_or_else(|| format!("{what} is not UTF-8"))
        };
        let element_dir = text(&request.element_dir, "element folder")?;
        let request = PluginRequest {
            element: text(&request.element, "element name")?,
            type_name: text(&request.type_name, "Type name")?,
            config_json: text(&request.config_json, "config")?,
            app_root: text(&request.app_root, "app folder")?,
            element_dir: (!element_dir.is_empty()).then_some(element_dir),
        };
        T::create(&request)
    }));
    match outcome {
        Ok(Ok(created)) => {
            let raw = Box::into_raw(Box::new(created)) as *mut c_void;
            // SAFETY: the host passes a valid out-pointer.
            match unsafe { instance.as_mut() } {
                Some(slot) => {
                    *slot = raw;
                    STATUS_OK
                }
                None => {
                    // SAFETY: `raw` came from Box::into_raw just above.
                    drop(unsafe { Box::from_raw(raw as *mut T::Instance) });
                    STATUS_ERROR
                }
            }
        }
        Ok(Err(reason)) => {
            // SAFETY: the host's sink (or null).
            unsafe { write_sink(message, reason.as_bytes()) };
            STATUS_ERROR
        }
        Err(payload) => {
            let text = format!("panicked: {}", panic_message(payload.as_ref()));
            // SAFETY: as above.
            unsafe { write_sink(message, text.as_bytes()) };
            STATUS_PANIC
        }
    }
}

unsafe extern "C" fn call_instance<I: PluginInstance>(
    instance: *const c_void,
    operation: RawStr,
    input: RawStr,
    output: *mut ByteSink,
) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `instance` came from `create_instance::<T>` with `T::Instance == I`.
        let Some(instance) = (unsafe { (instance as *const I).as_ref() }) else {
            return Err(PluginFailure::error("no instance"));
        };
        // SAFETY: the host's strings live for this call.
        let operation = unsafe { operation.as_str() }
            .ok_or_else(|| PluginFailure::error("operation name is not UTF-8"))?;
        // SAFETY: as above.
        let input = unsafe { input.as_bytes() };
        let mut buffer = Vec::new();
        instance.call(operation, input, &mut buffer)?;
        Ok(buffer)
    }));
    match outcome {
        Ok(Ok(buffer)) => {
            // SAFETY: the host's sink (or null).
            unsafe { write_sink(output, &buffer) };
            STATUS_OK
        }
        Ok(Err(failure)) => {
            // SAFETY: as above.
            unsafe { write_sink(output, failure.message.as_bytes()) };
            if failure.status == STATUS_OK {
                STATUS_ERROR
            } else {
                failure.status
            }
        }
        Err(payload) => {
            let text = format!("panicked: {}", panic_message(payload.as_ref()));
            // SAFETY: as above.
            unsafe { write_sink(output, text.as_bytes()) };
            STATUS_PANIC
        }
    }
}

unsafe extern "C" fn destroy_instance<I: PluginInstance>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // A panicking Drop must not unwind into the host; the instance is gone either way.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `instance` came from Box::into_raw in `create_instance` and is destroyed once.
        drop(unsafe { Box::from_raw(instance as *mut I) });
    }));
}

/// Exports a plugin library's marker and entry point for the listed [`PluginType`]s.
///
/// Use it once, in the root of a `cdylib` crate:
///
/// ```ignore
/// jitstore_plugin_abi::export_plugin!(MemoryType, AuditType);
/// ```
///
/// It defines the `JITSTORE_PLUGIN_MARKER` static (ABI version and the jitstore version) and the `jitstore_plugin_entry` function that the host's loader looks up.
#[macro_export]
macro_rules! export_plugin {
    ($($plugin_type:ty),+ $(,)?) => {
        /// The jitstore plugin ABI marker, read by the host before it calls anything.
        #[no_mangle]
        pub static JITSTORE_PLUGIN_MARKER: $crate::plugin_abi::PluginMarker =
            $crate::plugin_abi::PluginMarker::current();

        /// The jitstore plugin entry point: the Types this library implements.
        #[no_mangle]
        pub extern "C" fn jitstore_plugin_entry() -> $crate::plugin_abi::PluginEntry {
            static TYPES: $crate::DeclList =
                $crate::DeclList(&[$($crate::plugin_declare::<$plugin_type>()),+]);
            $crate::plugin_abi::PluginEntry {
                abi_version: $crate::plugin_abi::PLUGIN_ABI_VERSION,
                types: TYPES.0.as_ptr(),
                types_len: TYPES.0.len(),
            }
        }
    };
}
