//! Parsing of an incoming request: addressing (bucket/key), query parameters, body stream.

use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::{HeaderMap, Method, StatusCode};

use super::error::ApiError;
use crate::storage::StagingFile;

/// The request body as a stream of chunks.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Decoded query parameters, in wire order. `+` is kept as is here: the router has already
/// turned form-encoded `+` into `%20` before parsing.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string; undecodable items are kept verbatim.
    pub fn parse(raw: &str) -> Query {
        let pairs = raw
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|item| {
                let (name, value) = item.split_once('=').unwrap_or((item, ""));
                (decode_lossy(name), decode_lossy(value))
            })
            .collect();
        Query { pairs }
    }

    /// First value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present (with or without a value).
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// All pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

fn decode_lossy(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Everything a handler needs to know about the request, body aside.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// HTTP method.
    pub method: Method,
    /// Bucket addressed (virtual host or first path segment).
    pub bucket: Option<String>,
    /// Object key, percent-decoded.
    pub key: Option<String>,
    /// Query string as received (without `?`).
    pub raw_query: String,
    /// Decoded query parameters.
    pub query: Query,
    /// Request headers.
    pub headers: HeaderMap,
    /// `x-oss-request-id` of this request.
    pub request_id: String,
    /// Host header value (for `HostId` and `Location`).
    pub host: String,
}

impl RequestCtx {
    /// A header as text (`None` if absent or not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether `x-oss-forbid-overwrite: true` was sent.
    pub fn forbid_overwrite(&self) -> bool {
        self.header("x-oss-forbid-overwrite")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// The bucket, or an error for service-level requests.
    pub fn bucket_name(&self) -> Result<&str, ApiError> {
        self.bucket
            .as_deref()
            .ok_or_else(ApiError::method_not_allowed)
    }

    /// The key, or an error for bucket-level requests.
    pub fn key_name(&self) -> Result<&str, ApiError> {
        self.key
            .as_deref()
            .ok_or_else(|| ApiError::invalid_object_name("The object key is empty."))
    }
}

/// Where a request points: `(bucket, key)`.
///
/// Virtual-hosted when the Host (port stripped) is neither an IP literal, nor one of
/// `server_names`, nor a single label: then the bucket is the first Host label. Otherwise
/// path-style: the bucket is the first path segment. The path is percent-decoded once
/// (`%2F` and `/` are equivalent) before it is split.
pub fn resolve_address(
    host: Option<&str>,
    raw_path: &str,
    server_names: &[String],
) -> Result<(Option<String>, Option<String>), ApiError> {
    let path = jitstore_oss::encoding::decode(raw_path)
        .map_err(|e| ApiError::invalid_object_name(e.to_string()).ec("0016-00000002"))?;
    let rest = path.strip_prefix('/').unwrap_or(&path);
    if let Some(bucket) = host.and_then(|h| virtual_host_bucket(h, server_names)) {
        let key = (!rest.is_empty()).then(|| rest.to_string());
        return Ok((Some(bucket), key));
    }
    if rest.is_empty() {
        return Ok((None, None));
    }
    match rest.split_once('/') {
        Some((bucket, key)) => Ok((
            Some(bucket.to_string()),
            (!key.is_empty()).then(|| key.to_string()),
        )),
        None => Ok((Some(rest.to_string()), None)),
    }
}

fn virtual_host_bucket(host: &str, server_names: &[String]) -> Option<String> {
    let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    if name.parse::<std::net::IpAddr>().is_ok()
        || name.starts_with('[')
        || !name.contains('.')
        || server_names.iter().any(|s| s.eq_ignore_ascii_case(&name))
    {
        return None;
    }
    for server in server_names {
        if let Some(prefix) = name.strip_suffix(&format!(".{}", server.to_ascii_lowercase())) {
            return (!prefix.is_empty() && !prefix.contains('.')).then(|| prefix.to_string());
        }
    }
    name.split('.').next().map(str::to_string)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map(|(h, _)| &host[..h.len() + 1])
            .unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Streams the body into a staging file; returns the number of bytes written.
pub async fn stream_into(
    staging: &mut StagingFile,
    body: &mut BodyStream,
) -> Result<u64, ApiError> {
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                format!("The request body could not be read completely: {e}"),
            )
        })?;
        staging
            .write(&chunk)
            .await
            .map_err(|e| ApiError::internal(format!("writing the object data failed: {e}")))?;
    }
    Ok(staging.size())
}

/// Reads a small body (XML) into memory, refusing more than `limit` bytes.
pub async fn read_small(body: &mut BodyStream, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "IncompleteBody", e.to_string()))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::malformed_xml(format!(
                "The request body is larger than {limit} bytes."
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["localhost".to_string()]
    }

    #[test]
    fn path_style_on_ip_and_server_name() {
        let r = resolve_address(Some("127.0.0.1:9000"), "/bkt/a%2Fb/c", &names()).unwrap();
        assert_eq!(r, (Some("bkt".into()), Some("a/b/c".into())));
        let r = resolve_address(Some("localhost:9000"), "/bkt/", &names()).unwrap();
        assert_eq!(r, (Some("bkt".into()), None));
        let r = resolve_address(Some("localhost"), "/", &names()).unwrap();
        assert_eq!(r, (None, None));
    }

    #[test]
    fn virtual_host_style() {
        let r = resolve_address(Some("bkt.localhost:9000"), "/x%2By", &names()).unwrap();
        assert_eq!(r, (Some("bkt".into()), Some("x+y".into())));
        let r = resolve_address(Some("bkt.127.0.0.1.nip.io:80"), "/", &names()).unwrap();
        assert_eq!(r, (Some("bkt".into()), None));
    }

    #[test]
    fn query_plus_is_literal() {
        let q = Query::parse("prefix=a+b%2Fc&uploads&max-keys=");
        assert_eq!(q.get("prefix"), Some("a+b/c"));
        assert!(q.has("uploads"));
        assert_eq!(q.get("max-keys"), Some(""));
    }
}
