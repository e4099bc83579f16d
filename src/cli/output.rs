//! How verbs print: text or `--json` on stdout, progress hidden by `--quiet`, and errors as
//! text (`error: ...`) or, with `--json`, as one JSON object on stderr:
//!
//! ```json
//! {"error": {"message": "...", "kind": "not_found", "element": "storages.Files",
//!            "type": "storages.DiskType", "key": "a.txt"}}
//! ```
//!
//! `kind` is `usage` (bad arguments), `not_found` (object or element), or `failed`; the
//! `element`, `type` and `key` fields appear when the error names them. Stdout then holds at
//! most one JSON document: the verb's result (a batch report still prints its per-file
//! outcomes there before the error).

use std::sync::OnceLock;

use jitstore::storages::workflows::WorkflowError;
use serde::Serialize;

/// The output settings of this run, set once by `cli::main`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OutputMode {
    /// Print results (and errors) as JSON.
    pub json: bool,
    /// No progress bars; only errors in the log.
    pub quiet: bool,
}

static MODE: OnceLock<OutputMode> = OnceLock::new();

/// Records the settings (the first call wins).
pub(crate) fn set_mode(mode: OutputMode) {
    let _ = MODE.set(mode);
}

/// The settings of this run.
pub(crate) fn mode() -> OutputMode {
    MODE.get().copied().unwrap_or_default()
}

/// True when `--json` was given.
pub(crate) fn json() -> bool {
    mode().json
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(
    value: &T,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The JSON error object (see the module docs).
#[derive(Debug, Serialize)]
pub(crate) struct ErrorReport {
    /// The message, as the text mode prints it.
    pub message: String,
    /// `usage`, `not_found` or `failed`.
    pub kind: &'static str,
    /// The element the error names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// Its Type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// The object key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl ErrorReport {
    /// Describes `error`, taking element, Type and key from a storage error when it is one.
    pub(crate) fn from_error(error: &(dyn std::error::Error + 'static)) -> ErrorReport {
        let mut report = ErrorReport {
            message: error.to_string(),
            kind: "failed",
            element: None,
            type_name: None,
            key: None,
        };
        let storage = error
            .downcast_ref::<jitstore::storages::Error>()
            .or_else(|| match error.downcast_ref::<jitstore::Error>() {
                Some(jitstore::Error::Storage(e)) => Some(e),
                _ => None,
            })
            .or_else(|| match error.downcast_ref::<WorkflowError>() {
                Some(WorkflowError::Element(e)) => Some(e),
                _ => None,
            });
        if let Some(e) = storage {
            report.element = Some(e.element().to_owned());
            report.type_name = Some(e.type_name().to_owned());
            report.key = e.key().map(str::to_owned);
            if e.kind() == jitstore::storages::ErrorKind::NotFound {
                report.kind = "not_found";
            }
        } else if let Some(e) = error.downcast_ref::<jitstore::Error>() {
            if e.is_not_found() {
                report.kind = "not_found";
            }
        }
        report
    }

    /// A usage error (bad command line).
    pub(crate) fn usage(message: String) -> ErrorReport {
        ErrorReport {
            message,
            kind: "usage",
            element: None,
            type_name: None,
            key: None,
        }
    }

    /// Prints the error on stderr: JSON `{"error": {...}}` with `--json`, else `error: ...`.
    pub(crate) fn print(&self, json: bool) {
        if json {
            #[derive(Serialize)]
            struct Wrapped<'a> {
                error: &'a ErrorReport,
            }
            match serde_json::to_string(&Wrapped { error: self }) {
                Ok(text) => eprintln!("{text}"),
                Err(_) => eprintln!("error: {}", self.message),
            }
        } else {
            eprintln!("error: {}", self.message);
        }
    }
}
