//! Errors: [`StorageError`] from a Type implementation, and [`Error`] from a
//! [`StorageHandle`](crate::StorageHandle), which adds the element, the Type, the operation and
//! the key.
//!
//! Every error has one [`ErrorKind`] (what a host branches on), an
//! [`is_temporary`](StorageError::is_temporary) flag (whether trying again later may succeed)
//! and keeps the underlying error as its [`source`](std::error::Error::source): for OssType
//! that is the [`jitstore_oss::error::OssError`], whose service details (request id, `EC`
//! code, `StringToSign`) stay reachable by downcasting. No conversion classifies an error by
//! its message text: kinds come from typed fields (HTTP status, service code, OS error kind).

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::types::Operation;

/// A boxed error from an implementation.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of failure an error is: the one thing a host needs to decide whether to retry,
/// report or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object (or bucket, or upload) does not exist.
    NotFound,
    /// The credentials are refused or lack the permission.
    PermissionDenied,
    /// The target exists and the request asked not to overwrite it.
    AlreadyExists,
    /// An `If-Match` (or other precondition) did not hold.
    ConditionNotMatch,
    /// An `If-None-Match` matched: the caller's copy is current (HTTP 304).
    NotModified,
    /// The requested byte range starts beyond the object's end (HTTP 416).
    RangeNotSatisfiable,
    /// The service throttled the request; try again later.
    RateLimited,
    /// The object key cannot be used with this storage.
    InvalidKey,
    /// The element's configuration is not acceptable.
    InvalidConfig,
    /// An argument other than the key is not acceptable.
    InvalidArgument,
    /// The Type cannot do this operation (see its capabilities).
    Unsupported,
    /// The target conflicts with existing data of another shape (a folder where an object
    /// should go, an append at the wrong position).
    Conflict,
    /// Data failed an integrity check (a CRC-64 mismatch, a short body).
    Integrity,
    /// A local file or folder operation failed.
    Io,
    /// The service could not be reached or the connection broke.
    Network,
    /// A connect or read timeout elapsed.
    Timeout,
    /// Anything else: a service error without a more precise kind, a protocol violation.
    Unexpected,
}

impl ErrorKind {
    /// A short name (`not-found`, `permission-denied`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not-found",
            ErrorKind::PermissionDenied => "permission-denied",
            ErrorKind::AlreadyExists => "already-exists",
            ErrorKind::ConditionNotMatch => "condition-not-match",
            ErrorKind::NotModified => "not-modified",
            ErrorKind::RangeNotSatisfiable => "range-not-satisfiable",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::InvalidKey => "invalid-key",
            ErrorKind::InvalidConfig => "invalid-config",
            ErrorKind::InvalidArgument => "invalid-argument",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Io => "io",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unexpected => "unexpected",
        }
    }

    /// Whether an error of this kind is temporary unless its origin says otherwise
    /// (rate limits, timeouts and network failures are).
    pub fn is_temporary_by_default(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Network
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a storage service said about a failed request: typed fields, so nobody parses
/// messages. Filled by service-backed Types (OssType; the S3 family).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceDetails {
    /// The HTTP status of the answer.
    pub status: Option<u16>,
    /// The service's error code (`NoSuchKey`, `AccessDenied`, ...).
    pub code: Option<String>,
    /// The request id, for the provider's support.
    pub request_id: Option<String>,
}

/// What went wrong inside a storage Type implementation: a kind, a message, whether it is
/// temporary, and the underlying error as [`source`](std::error::Error::source).
///
/// ```
/// use jitstore_storages::{ErrorKind, StorageError};
///
/// let error = StorageError::not_found();
/// assert_eq!(error.kind(), ErrorKind::NotFound);
/// assert!(!error.is_temporary());
///
/// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow disk");
/// let error = StorageError::io("/data/a.txt", io);
/// assert_eq!(error.kind(), ErrorKind::Timeout);
/// assert!(error.is_temporary());
/// assert!(std::error::Error::source(&error).is_some());
/// ```
pub struct StorageError(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    temporary: bool,
    path: Option<PathBuf>,
    operation: Option<Operation>,
    service: Option<ServiceDetails>,
    source: Option<BoxError>,
}

impl StorageError {
    /// An error of `kind` with a message (temporary when the kind is by default).
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> StorageError {
        StorageError(Box::new(Inner {
            kind,
            message: message.into(),
            temporary: kind.is_temporary_by_default(),
            path: None,
            operation: None,
            service: None,
            source: None,
        }))
    }

    /// Keeps `source` as the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> StorageError {
        self.0.source = Some(source.into());
        self
    }

    /// Marks the error temporary (or not): whether the same request may succeed later.
    pub fn with_temporary(mut self, temporary: bool) -> StorageError {
        self.0.temporary = temporary;
        self
    }

    /// Attaches what the service said (status, code, request id).
    pub fn with_service(mut self, service: ServiceDetails) -> StorageError {
        self.0.service = Some(service);
        self
    }

    /// Attaches the local path the error is about.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> StorageError {
        self.0.path = Some(path.into());
        self
    }

    /// The object does not exist.
    pub fn not_found() -> StorageError {
        StorageError::new(ErrorKind::NotFound, "object not found")
    }

    /// The Type cannot do `operation`.
    pub fn unsupported(operation: Operation) -> StorageError {
        let mut error = StorageError::new(
            ErrorKind::Unsupported,
            format!("{operation} is not supported by this storage Type"),
        );
        error.0.operation = Some(operation);
        error
    }

    /// The key cannot be used with this storage; `reason` says why.
    pub fn invalid_key(reason: impl fmt::Display) -> StorageError {
        StorageError::new(ErrorKind::InvalidKey, format!("invalid key: {reason}"))
    }

    /// An argument other than the key is not acceptable.
    pub fn invalid_argument(message: impl fmt::Display) -> StorageError {
        StorageError::new(
            ErrorKind::InvalidArgument,
            format!("invalid argument: {message}"),
        )
    }

    /// The target conflicts with existing data (e.g. a folder where an object should go).
    pub fn conflict(message: impl fmt::Display) -> StorageError {
        StorageError::new(ErrorKind::Conflict, format!("conflict: {message}"))
    }

    /// Data failed an integrity check.
    pub fn integrity(message: impl fmt::Display) -> StorageError {
        StorageError::new(
            ErrorKind::Integrity,
            format!("integrity check failed: {message}"),
        )
    }

    /// Anything else, keeping `source`.
    pub fn unexpected(source: impl Into<BoxError>) -> StorageError {
        StorageError::new(ErrorKind::Unexpected, "").with_source(source)
    }

    /// A local I/O error about `path`, classified by the OS error kind (not found, permission
    /// denied, already exists, timed out, ...).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StorageError {
        let path = path.into();
        let kind = io_kind(source.kind());
        let message = path.display().to_string();
        StorageError::new(kind, message)
            .with_path(path)
            .with_source(source)
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Whether the same request may succeed if tried again later.
    pub fn is_temporary(&self) -> bool {
        self.0.temporary
    }

    /// The message (without the source's).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The local path, for I/O errors.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The unsupported operation, for [`ErrorKind::Unsupported`].
    pub fn operation(&self) -> Option<Operation> {
        self.0.operation
    }

    /// What the service said, when a service answered.
    pub fn service(&self) -> Option<&ServiceDetails> {
        self.0.service.as_ref()
    }

    /// True for [`ErrorKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.0.kind == ErrorKind::NotFound
    }

    /// The first error of type `T` in the source chain (e.g. the `OssError` of OssType).
    pub fn find_source<T: std::error::Error + 'static>(&self) -> Option<&T> {
        find_in_chain(std::error::Error::source(self))
    }
}

pub(crate) fn io_kind(kind: std::io::ErrorKind) -> ErrorKind {
    use std::io::ErrorKind as Os;
    match kind {
        Os::NotFound | Os::NotADirectory => ErrorKind::NotFound,
        Os::PermissionDenied | Os::ReadOnlyFilesystem => ErrorKind::PermissionDenied,
        Os::AlreadyExists => ErrorKind::AlreadyExists,
        Os::IsADirectory | Os::DirectoryNotEmpty => ErrorKind::Conflict,
        Os::TimedOut => ErrorKind::Timeout,
        Os::InvalidInput => ErrorKind::InvalidArgument,
        Os::Unsupported => ErrorKind::Unsupported,
        Os::UnexpectedEof | Os::InvalidData => ErrorKind::Integrity,
        Os::ConnectionRefused
        | Os::ConnectionReset
        | Os::ConnectionAborted
        | Os::NotConnected
        | Os::BrokenPipe => ErrorKind::Network,
        _ => ErrorKind::Io,
    }
}

fn find_in_chain<'a, T: std::error::Error + 'static>(
    mut next: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a T> {
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

impl fmt::Debug for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageError")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("temporary", &self.0.temporary)
            .field("path", &self.0.path)
            .field("service", &self.0.service)
            .field("source", &self.0.source)
            .finish()
    }
}

/// The message, then the source's text (so one line tells the whole story).
impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&*self.0.message, &self.0.source) {
            ("", Some(source)) => write!(f, "{source}"),
            (message, Some(source)) => write!(f, "{message}: {source}"),
            (message, None) => f.write_str(message),
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for StorageError {
    fn from(error: std::io::Error) -> StorageError {
        let kind = io_kind(error.kind());
        StorageError::new(kind, "").with_source(error)
    }
}

/// An error from a [`StorageHandle`](crate::StorageHandle): names the element, its Type, the
/// operation and the key; [`kind`](Error::kind) and [`is_temporary`](Error::is_temporary)
/// come from the [`StorageError`] it wraps (its [`source`](std::error::Error::source)).
///
/// ```
/// use std::sync::Arc;
/// use jitstore_storages::{Error, ErrorKind, Operation, StorageError};
///
/// let error = Error::new(Arc::from("storages.Docs"), Arc::from("storages.DiskType"),
///     Operation::Download, Some("a.txt".into()), StorageError::not_found());
/// assert_eq!(error.kind(), ErrorKind::NotFound);
/// assert_eq!(error.to_string(),
///     "storages.Docs (storages.DiskType): download `a.txt`: object not found");
/// ```
#[derive(thiserror::Error)]
#[error("{}", .0)]
pub struct Error(Box<ErrorContext>);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("element", &self.0.element)
            .field("type_name", &self.0.type_name)
            .field("operation", &self.0.operation)
            .field("key", &self.0.key)
            .field("source", &self.0.source)
            .finish()
    }
}

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

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.source.kind()
    }

    /// Whether the same request may succeed if tried again later.
    pub fn is_temporary(&self) -> bool {
        self.0.source.is_temporary()
    }

    /// The Type's error (also the [`source`](std::error::Error::source)).
    pub fn storage_error(&self) -> &StorageError {
        &self.0.source
    }

    /// Unwraps the Type's error.
    pub fn into_storage_error(self) -> StorageError {
        self.0.source
    }

    /// What the service said, when a service answered.
    pub fn service(&self) -> Option<&ServiceDetails> {
        self.0.source.service()
    }

    /// The first error of type `T` in the source chain, e.g.
    /// `error.find_source::<jitstore_oss::error::OssError>()` for OSS's request id, `EC` code
    /// and `StringToSign`.
    pub fn find_source<T: std::error::Error + 'static>(&self) -> Option<&T> {
        find_in_chain(Some(&self.0.source))
    }

    /// True when the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// True when the Type does not support the operation.
    pub fn is_unsupported(&self) -> bool {
        self.kind() == ErrorKind::Unsupported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_message_and_source() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let error = StorageError::io("/x/y", io);
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
        assert_eq!(error.to_string(), "/x/y: denied");
        assert!(!error.is_temporary());
        assert!(error.find_source::<std::io::Error>().is_some());
    }

    #[test]
    fn handle_error_reaches_the_innermost_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let inner = StorageError::unexpected(io);
        let error = Error::new(
            Arc::from("storages.A"),
            Arc::from("storages.DiskType"),
            Operation::Read,
            Some("k".into()),
            inner,
        );
        assert_eq!(error.kind(), ErrorKind::Unexpected);
        assert!(error.find_source::<std::io::Error>().is_some());
        assert!(error.find_source::<StorageError>().is_some());
        assert_eq!(
            error.to_string(),
            "storages.A (storages.DiskType): read `k`: reset"
        );
    }

    #[test]
    fn kinds_default_temporary() {
        assert!(StorageError::new(ErrorKind::RateLimited, "slow down").is_temporary());
        assert!(!StorageError::not_found().is_temporary());
        assert!(!StorageError::not_found()
            .with_temporary(false)
            .is_temporary());
        assert!(StorageError::new(ErrorKind::Unexpected, "5xx")
            .with_temporary(true)
            .is_temporary());
    }
}
