//! Errors: [`StorageError`] from a Type implementation, and [`Error`] from a
//! [`StorageHandle`](crate::StorageHandle), which adds the element, the Type, the operation and
//! the key.

use std::path::PathBuf;
use std::sync::Arc;

use crate::types::Operation;

/// A boxed error from an implementation.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong inside a storage Type implementation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The object does not exist.
    #[error("object not found")]
    NotFound,

    /// The key cannot be used with this storage.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// Why it was refused.
        reason: String,
    },

    /// The Type cannot do this operation (see its capabilities).
    #[error("{operation} is not supported by this storage Type")]
    Unsupported {
        /// The operation.
        operation: Operation,
    },

    /// An argument is not acceptable (other than the key).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What was wrong.
        message: String,
    },

    /// The target conflicts with existing data (e.g. a folder where an object should go).
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },

    /// A local file or folder operation failed.
    #[error("{}{source}", .path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Io {
        /// The local path, when there is one.
        path: Option<PathBuf>,
        /// The OS error.
        source: std::io::Error,
    },

    /// The storage service answered with an error.
    #[error("{code}: {message}{}{}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), .request_id.as_ref().map(|r| format!(" [request id {r}]")).unwrap_or_default())]
    Service {
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// The service's error code (e.g. `NoSuchKey`, `SignatureDoesNotMatch`).
        code: String,
        /// The service's message.
        message: String,
        /// The request id, for support.
        request_id: Option<String>,
    },

    /// Data failed an integrity check (e.g. a CRC-64 mismatch).
    #[error("integrity check failed: {message}")]
    Integrity {
        /// What did not match.
        message: String,
    },

    /// Anything else.
    #[error(transparent)]
    Other(BoxError),
}

impl StorageError {
    /// An I/O error about `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StorageError {
        StorageError::Io {
            path: Some(path.into()),
            source,
        }
    }

    /// An invalid-key error.
    pub fn invalid_key(reason: impl Into<String>) -> StorageError {
        StorageError::InvalidKey {
            reason: reason.into(),
        }
    }

    /// True for [`StorageError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound)
    }
}

/// An error from a [`StorageHandle`](crate::StorageHandle): names the element, its Type, the
/// operation and the key.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0)]
pub struct Error(Box<ErrorContext>);

#[derive(Debug, thiserror::Error)]
#[error("{element} ({type_name}): {operation}{}: {source}", .key.as_ref().map(|k| format!(" `{k}`")).unwrap_or_default())]
struct ErrorContext {
    element: Arc<str>,
    type_name: Arc<str>,
    operation: Operation,
    key: Option<String>,
    #[source]
    source: StorageError,
}

impl Error {
    /// Wraps `source` with the element, Type, operation and key it happened at.
    pub fn new(
        element: Arc<str>,
        type_name: Arc<str>,
        operation: Operation,
        key: Option<String>,
        source: StorageError,
    ) -> Error {
        Error(Box::new(ErrorContext {
            element,
            type_name,
            operation,
            key,
            source,
        }))
    }

    /// The element fullName (e.g. `storages.MyOss`).
    pub fn element(&self) -> &str {
        &self.0.element
    }

    /// The Type fullName (e.g. `storages.OssType`); for an instance of a Type element, the
    /// declared chain up to it (`storages.CompanyOss -> storages.OssType`).
    pub fn type_name(&self) -> &str {
        &self.0.type_name
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.0.operation
    }

    /// The object key (or prefix), when the operation has one.
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &StorageError {
        &self.0.source
    }

    /// True when the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.0.source.is_not_found()
    }

    /// True when the Type does not support the operation.
    pub fn is_unsupported(&self) -> bool {
        matches!(self.0.source, StorageError::Unsupported { .. })
    }
}
