//! The `storages.Meta/2` wire protocol: operation names, status codes and the messages that
//! travel through the host's `jitstore_element::PluginObject::call`.
//!
//! Requests are framed as a little-endian `u32` header length, a JSON header, then the body
//! (a chunk of the object for `write`; empty otherwise). Responses are JSON, except `read`,
//! whose response is a chunk of the object's bytes.
//!
//! Bodies move in chunks, never whole: a read is `read_open`, then `read` calls of at most
//! [`CHUNK_SIZE`] bytes each at the offsets the host asks for (so a byte range costs only its
//! own bytes), then `read_close`; a write is `write_open`, `write` calls of at most
//! [`CHUNK_SIZE`] bytes, then `write_finish` (the object appears) or `write_abort` (nothing
//! appears). An open transfer is a *handle* the plugin keeps until it is closed, finished or
//! aborted (or the instance is destroyed); a plugin serves at most [`MAX_OPEN_TRANSFERS`] at a
//! time. No object size limit comes from the protocol: memory stays bounded by the chunk size
//! on both sides of the boundary.
//!
//! | operation      | request header         | body   | response                   |
//! |----------------|------------------------|--------|----------------------------|
//! | `capabilities` | `{}`                   |        | [`CapabilitiesResponse`]   |
//! | `head`         | [`KeyRequest`]         |        | [`ObjectMeta`]             |
//! | `delete`       | [`KeyRequest`]         |        | `{}`                       |
//! | `list`         | [`ListRequest`]        |        | `[ObjectMeta, ...]`        |
//! | `read_open`    | [`KeyRequest`]         |        | [`ReadOpened`]             |
//! | `read`         | [`ReadRequest`]        |        | up to `max` bytes; none at the end |
//! | `read_close`   | [`HandleRequest`]      |        | `{}`                       |
//! | `write_open`   | [`PutRequest`]         |        | [`WriteOpened`]            |
//! | `write`        | [`HandleRequest`]      | chunk  | `{}`                       |
//! | `write_finish` | [`HandleRequest`]      |        | [`PutResponse`]            |
//! | `write_abort`  | [`HandleRequest`]      |        | `{}`                       |
//!
//! The version is in the interface name. `storages.Meta/1` (whole objects of at most 256 MiB
//! in one `put`/`get` call) is retired: a host refuses a library that declares it, naming the
//! library and both versions.

use std::collections::BTreeMap;

use jitstore_plugin_abi::plugin_abi::STATUS_INTERFACE_BASE;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The interface name plugin storage Types declare (this version of the protocol).
pub const STORAGE_INTERFACE: &str = "storages.Meta/2";

/// Earlier versions of the interface, refused by the host with a "rebuild the plugin" error.
pub const RETIRED_STORAGE_INTERFACES: [&str; 1] = ["storages.Meta/1"];

/// The chunk size the host moves bodies in (each `read` asks for at most this much; each
/// `write` carries at most this much).
pub const CHUNK_SIZE: usize = 1 << 20;

/// The largest chunk a plugin serves in one `read`, whatever the host asks for.
pub const MAX_CHUNK_SIZE: u64 = 16 << 20;

/// The most transfers (open readers plus writers) one plugin instance keeps at a time.
pub const MAX_OPEN_TRANSFERS: usize = 1024;

/// Operation: which capabilities the storage has.
pub const OP_CAPABILITIES: &str = "capabilities";
/// Operation: read an object's metadata.
pub const OP_HEAD: &str = "head";
/// Operation: delete an object (a missing object is not an error).
pub const OP_DELETE: &str = "delete";
/// Operation: list objects under a prefix, in key order.
pub const OP_LIST: &str = "list";
/// Operation: open an object for reading (pins the version read).
pub const OP_READ_OPEN: &str = "read_open";
/// Operation: read a chunk of an open object.
pub const OP_READ: &str = "read";
/// Operation: close an open reader.
pub const OP_READ_CLOSE: &str = "read_close";
/// Operation: start writing an object.
pub const OP_WRITE_OPEN: &str = "write_open";
/// Operation: append a chunk to an object being written.
pub const OP_WRITE: &str = "write";
/// Operation: complete an object being written (it appears, replacing any previous one).
pub const OP_WRITE_FINISH: &str = "write_finish";
/// Operation: abandon an object being written (nothing appears).
pub const OP_WRITE_ABORT: &str = "write_abort";

/// Status: the object does not exist.
pub const STATUS_NOT_FOUND: i32 = STATUS_INTERFACE_BASE;
/// Status: the key cannot be used with this storage.
pub const STATUS_INVALID_KEY: i32 = STATUS_INTERFACE_BASE + 1;
/// Status: another argument is not acceptable.
pub const STATUS_INVALID_ARGUMENT: i32 = STATUS_INTERFACE_BASE + 2;
/// Status: the storage cannot do this operation.
pub const STATUS_UNSUPPORTED: i32 = STATUS_INTERFACE_BASE + 3;
/// Status: the transfer handle is not open (never opened, already closed, or in use).
pub const STATUS_UNKNOWN_HANDLE: i32 = STATUS_INTERFACE_BASE + 4;
/// Status: the instance already has [`MAX_OPEN_TRANSFERS`] open transfers.
pub const STATUS_TOO_MANY_TRANSFERS: i32 = STATUS_INTERFACE_BASE + 5;

/// Request header of `head`, `delete` and `read_open`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRequest {
    /// The object key.
    pub key: String,
}

/// Request header of `write_open`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutRequest {
    /// The object key.
    pub key: String,
    /// The content type, when the caller gave one.
    #[serde(default)]
    pub content_type: Option<String>,
    /// User metadata (sent only to plugins declaring `user-metadata`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
}

/// Request header of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListRequest {
    /// The key prefix.
    pub prefix: String,
}

/// Request header of the operations on an open transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HandleRequest {
    /// The handle `read_open` or `write_open` returned.
    pub handle: u64,
}

/// Request header of `read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadRequest {
    /// The handle `read_open` returned.
    pub handle: u64,
    /// Where in the object to read from.
    pub offset: u64,
    /// The most bytes to return (the plugin caps it at [`MAX_CHUNK_SIZE`]).
    pub max: u64,
}

/// Response of `read_open`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadOpened {
    /// The transfer handle.
    pub handle: u64,
    /// The metadata of the object version the handle reads.
    pub meta: ObjectMeta,
}

/// Response of `write_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteOpened {
    /// The transfer handle.
    pub handle: u64,
}

/// Response of `write_finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutResponse {
    /// Bytes stored.
    pub size: u64,
    /// The entity tag.
    pub etag: String,
    /// A URL for the object, when the storage has one.
    #[serde(default)]
    pub url: Option<String>,
    /// The content type stored.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// Response of `head`; entries of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// The object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The entity tag.
    #[serde(default)]
    pub etag: Option<String>,
    /// The content type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Last modification, milliseconds since the Unix epoch.
    #[serde(default)]
    pub last_modified_ms: Option<i64>,
    /// User metadata.
    #[serde(default)]
    pub user_metadata: BTreeMap<String, String>,
}

/// Response of `capabilities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitiesResponse {
    /// Capability names as `jitstore_storages::Capability::as_str` spells them (`read`,
    /// `write`, `delete`, `list`, `content-type`, `user-metadata`); unknown names are ignored.
    pub capabilities: Vec<String>,
    /// The largest object the storage keeps, when it has a limit.
    #[serde(default)]
    pub max_object_size: Option<u64>,
}

/// Frames a request: header length, JSON header, body.
pub fn encode_request(header: &impl Serialize, body: &[u8]) -> Result<Vec<u8>, String> {
    let header = serde_json::to_vec(header).map_err(|e| format!("cannot encode request: {e}"))?;
    let length = u32::try_from(header.len()).map_err(|_| "request header too large".to_owned())?;
    let mut frame = Vec::with_capacity(4 + header.len() + body.len());
    frame.extend_from_slice(&length.to_le_bytes());
    frame.extend_from_slice(&header);
    frame.extend_from_slice(body);
    Ok(frame)
}

/// Splits a framed request into its parsed header and its body.
pub fn decode_request<T: DeserializeOwned>(frame: &[u8]) -> Result<(T, &[u8]), String> {
    let Some((length, rest)) = frame.split_first_chunk::<4>() else {
        return Err("request frame shorter than its length prefix".to_owned());
    };
    let length = u32::from_le_bytes(*length) as usize;
    if rest.len() < length {
        return Err(format!(
            "request header of {length} bytes, but only {} bytes follow",
            rest.len()
        ));
    }
    let (header, body) = rest.split_at(length);
    let header = serde_json::from_slice(header).map_err(|e| format!("bad request header: {e}"))?;
    Ok((header, body))
}

/// Parses a JSON response.
pub fn decode_response<T: DeserializeOwned>(output: &[u8]) -> Result<T, String> {
    serde_json::from_slice(output).map_err(|e| format!("bad response from the plugin: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let request = HandleRequest { handle: 7 };
        let frame = encode_request(&request, b"body bytes").expect("encodes");
        let (header, body): (HandleRequest, &[u8]) = decode_request(&frame).expect("decodes");
        assert_eq!(header, request);
        assert_eq!(body, b"body bytes");
    }

    #[test]
    fn truncated_frames_are_errors() {
        assert!(decode_request::<KeyRequest>(b"\x01").is_err());
        let error = decode_request::<KeyRequest>(b"\x10\x00\x00\x00{}").expect_err("short");
        assert!(error.contains("16 bytes"), "{error}");
        let error = decode_request::<KeyRequest>(b"\x02\x00\x00\x00{}").expect_err("no key");
        assert!(error.contains("key"), "{error}");
    }

    #[test]
    fn put_requests_leave_out_empty_metadata() {
        let request = PutRequest {
            key: "k".to_owned(),
            content_type: None,
            user_metadata: BTreeMap::new(),
        };
        let text = serde_json::to_string(&request).expect("encodes");
        assert_eq!(text, r#"{"key":"k","contentType":null}"#);
    }
}
