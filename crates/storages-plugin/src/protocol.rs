//! The `storages.Meta/1` wire protocol: operation names, status codes and the messages that
//! travel through [`PluginObject::call`](jitstore_element::PluginObject::call).
//!
//! Requests are framed as a little-endian `u32` header length, a JSON header, then the body
//! (the object bytes of `put`; empty otherwise). Responses are JSON, except `get`, whose
//! response is the object's bytes.
//!
//! | operation      | request header        | body   | response                    |
//! |----------------|-----------------------|--------|-----------------------------|
//! | `capabilities` | `{}`                  |        | [`CapabilitiesResponse`]    |
//! | `put`          | [`PutRequest`]        | bytes  | [`PutResponse`]             |
//! | `get`          | [`KeyRequest`]        |        | the object's bytes          |
//! | `head`         | [`KeyRequest`]        |        | [`ObjectMeta`]              |
//! | `delete`       | [`KeyRequest`]        |        | `{}`                        |
//! | `list`         | [`ListRequest`]       |        | `[ObjectMeta, ...]`         |

use std::collections::BTreeMap;

use jitstore_element::plugin_abi::STATUS_INTERFACE_BASE;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The interface name plugin storage Types declare.
pub const STORAGE_INTERFACE: &str = "storages.Meta/1";

/// Operation: which capabilities the storage has.
pub const OP_CAPABILITIES: &str = "capabilities";
/// Operation: store an object.
pub const OP_PUT: &str = "put";
/// Operation: read an object.
pub const OP_GET: &str = "get";
/// Operation: read an object's metadata.
pub const OP_HEAD: &str = "head";
/// Operation: delete an object (a missing object is not an error).
pub const OP_DELETE: &str = "delete";
/// Operation: list objects under a prefix, in key order.
pub const OP_LIST: &str = "list";

/// Status: the object does not exist.
pub const STATUS_NOT_FOUND: i32 = STATUS_INTERFACE_BASE;
/// Status: the key cannot be used with this storage.
pub const STATUS_INVALID_KEY: i32 = STATUS_INTERFACE_BASE + 1;
/// Status: another argument is not acceptable.
pub const STATUS_INVALID_ARGUMENT: i32 = STATUS_INTERFACE_BASE + 2;
/// Status: the storage cannot do this operation.
pub const STATUS_UNSUPPORTED: i32 = STATUS_INTERFACE_BASE + 3;

/// The largest object a `storages.Meta/1` plugin transfers (whole objects cross the boundary
/// in memory).
pub const MAX_OBJECT_SIZE: u64 = 256 * 1024 * 1024;

/// Request header of `get`, `head` and `delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRequest {
    /// The object key.
    pub key: String,
}

/// Request header of `put`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutRequest {
    /// The object key.
    pub key: String,
    /// The content type, when the caller gave one.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// Request header of `list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListRequest {
    /// The key prefix.
    pub prefix: String,
}

/// Response of `put`.
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
    /// `write`, `delete`, `list`, `content-type`, ...); unknown names are ignored.
    pub capabilities: Vec<String>,
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
        let request = PutRequest {
            key: "a/b.txt".to_owned(),
            content_type: Some("text/plain".to_owned()),
        };
        let frame = encode_request(&request, b"body bytes").expect("encodes");
        let (header, body): (PutRequest, &[u8]) = decode_request(&frame).expect("decodes");
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
}
