//! The facade's error type.

use jitstore_element::ElementError;

/// An error from [`App`](crate::App) or a storage handle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening the app or building an element failed (names the element, Type, file, field).
    #[error(transparent)]
    Element(Box<ElementError>),

    /// A storage operation failed (names the element, Type, operation and key).
    #[error(transparent)]
    Storage(#[from] jitstore_storages::Error),

    /// The element exists but is not a storage.
    #[error("element {element} (type {type_name}) is not a storage")]
    NotAStorage {
        /// The element.
        element: String,
        /// The Type that built it.
        type_name: String,
    },

    /// The blocking facade could not run.
    #[error("blocking facade: {0}")]
    Runtime(String),
}

impl From<ElementError> for Error {
    fn from(error: ElementError) -> Error {
        Error::Element(Box::new(error))
    }
}

impl Error {
    /// The kind of a storage failure (`None` for app and element errors, which name their
    /// file and field instead).
    pub fn storage_kind(&self) -> Option<jitstore_storages::ErrorKind> {
        match self {
            Error::Storage(error) => Some(error.kind()),
            _ => None,
        }
    }

    /// Whether trying the same storage operation again later may succeed.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Storage(error) => error.is_temporary(),
            _ => false,
        }
    }

    /// True when an object (or element) was not found.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Storage(error) => error.is_not_found(),
            Error::Element(error) => matches!(**error, ElementError::NotFound { .. }),
            _ => false,
        }
    }
}
