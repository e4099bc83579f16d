//! The plugin side: implement [`PluginStorage`] and expose it as a
//! [`PluginType`](jitstore_element::PluginType) whose instance is a [`StorageInstance`].

use jitstore_element::{PluginFailure, PluginInstance};
use serde::Serialize;

use crate::protocol::{
    decode_request, CapabilitiesResponse, KeyRequest, ListRequest, ObjectMeta, PutRequest,
    PutResponse, OP_CAPABILITIES, OP_DELETE, OP_GET, OP_HEAD, OP_LIST, OP_PUT,
    STATUS_INVALID_ARGUMENT, STATUS_INVALID_KEY, STATUS_NOT_FOUND, STATUS_UNSUPPORTED,
};

/// Why a plugin storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginStorageError {
    /// The object does not exist.
    NotFound,
    /// The key cannot be used.
    InvalidKey(String),
    /// Another argument is not acceptable.
    InvalidArgument(String),
    /// The storage cannot do this.
    Unsupported(String),
    /// Anything else.
    Other(String),
}

impl From<PluginStorageError> for PluginFailure {
    fn from(error: PluginStorageError) -> PluginFailure {
        match error {
            PluginStorageError::NotFound => {
                PluginFailure::with_status(STATUS_NOT_FOUND, "object not found")
            }
            PluginStorageError::InvalidKey(m) => PluginFailure::with_status(STATUS_INVALID_KEY, m),
            PluginStorageError::InvalidArgument(m) => {
                PluginFailure::with_status(STATUS_INVALID_ARGUMENT, m)
            }
            PluginStorageError::Unsupported(m) => PluginFailure::with_status(STATUS_UNSUPPORTED, m),
            PluginStorageError::Other(m) => PluginFailure::error(m),
        }
    }
}

/// A storage implemented inside a plugin library: synchronous, whole objects.
pub trait PluginStorage: Send + Sync + 'static {
    /// Capability names (`read`, `write`, `delete`, `list`, `content-type`, ...).
    fn capabilities(&self) -> Vec<String> {
        ["read", "write", "delete", "list"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Stores `data` under `key`.
    fn put(
        &self,
        key: &str,
        data: &[u8],
        content_type: Option<&str>,
    ) -> Result<PutResponse, PluginStorageError>;

    /// The object's bytes.
    fn get(&self, key: &str) -> Result<Vec<u8>, PluginStorageError>;

    /// The object's metadata.
    fn head(&self, key: &str) -> Result<ObjectMeta, PluginStorageError>;

    /// Deletes the object; a missing object is not an error.
    fn delete(&self, key: &str) -> Result<(), PluginStorageError>;

    /// Objects whose key starts with `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, PluginStorageError>;
}

/// Serves the `storages.Meta/1` operations of a [`PluginStorage`].
#[derive(Debug)]
pub struct StorageInstance<S>(pub S);

fn json(value: &impl Serialize, output: &mut Vec<u8>) -> Result<(), PluginFailure> {
    serde_json::to_writer(output, value)
        .map_err(|e| PluginFailure::error(format!("cannot encode response: {e}")))
}

fn bad_request(message: String) -> PluginFailure {
    PluginFailure::with_status(STATUS_INVALID_ARGUMENT, message)
}

impl<S: PluginStorage> PluginInstance for StorageInstance<S> {
    fn call(
        &self,
        operation: &str,
        input: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), PluginFailure> {
        let storage = &self.0;
        match operation {
            OP_CAPABILITIES => json(
                &CapabilitiesResponse {
                    capabilities: storage.capabilities(),
                },
                output,
            ),
            OP_PUT => {
                let (request, body): (PutRequest, _) =
                    decode_request(input).map_err(bad_request)?;
                let response = storage.put(&request.key, body, request.content_type.as_deref())?;
                json(&response, output)
            }
            OP_GET => {
                let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
                output.extend_from_slice(&storage.get(&request.key)?);
                Ok(())
            }
            OP_HEAD => {
                let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
                json(&storage.head(&request.key)?, output)
            }
            OP_DELETE => {
                let (request, _): (KeyRequest, _) = decode_request(input).map_err(bad_request)?;
                storage.delete(&request.key)?;
                output.extend_from_slice(b"{}");
                Ok(())
            }
            OP_LIST => {
                let (request, _): (ListRequest, _) = decode_request(input).map_err(bad_request)?;
                json(&storage.list(&request.prefix)?, output)
            }
            other => Err(PluginFailure::unknown_operation(other)),
        }
    }
}
