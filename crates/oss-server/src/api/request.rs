//! Parsing of an incoming request: addressing (bucket/key), query parameters, body stream.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http::{HeaderMap, Method, StatusCode};
use jitstore_oss::sign::canonical::{CONTENT_SHA256, UNSIGNED_PAYLOAD};

use super::error::ApiError;
use crate::config::Limits;
use crate::storage::{ContentHeaders, StagingFile};

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

use jitstore_oss::encoding::decode_lossy;

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

/// Wraps a request body so that it fails with `TimedOut` when the client sends slower than
/// `limits.min_body_rate` bytes per second of waiting, after a grace period. Only time spent
/// waiting for the client counts (not the time the server takes to store what it got).
pub fn min_body_rate(body: BodyStream, limits: &Limits) -> BodyStream {
    if limits.min_body_rate == 0 {
        return body;
    }
    Box::pin(MinRate {
        inner: body,
        rate: limits.min_body_rate,
        grace: limits.min_body_rate_grace,
        received: 0,
        waited: Duration::ZERO,
        wait_start: None,
        sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
    })
}

struct MinRate {
    inner: BodyStream,
    rate: u64,
    grace: Duration,
    received: u64,
    waited: Duration,
    wait_start: Option<Instant>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for MinRate {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(item) => {
                if let Some(start) = this.wait_start.take() {
                    this.waited += start.elapsed();
                }
                if let Some(Ok(chunk)) = &item {
                    this.received += chunk.len() as u64;
                }
                Poll::Ready(item)
            }
            Poll::Pending => {
                let start = *this.wait_start.get_or_insert_with(Instant::now);
                // Allowed waiting so far: the grace period plus 1/rate s per byte received.
                let earned = Duration::from_secs_f64(this.received as f64 / this.rate as f64);
                let deadline = start + (this.grace + earned).saturating_sub(this.waited);
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                if this.sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("the request body arrived slower than {} bytes/s", this.rate),
                    ))));
                }
                Poll::Pending
            }
        }
    }
}

/// Refuses content headers (`Content-Type`, `Cache-Control`, `x-oss-meta-*`, ...) that could not
/// be sent back as HTTP headers on GET/HEAD: they are refused when written (400, naming the
/// header), so that no stored object can make a read fail.
pub fn validate_content_headers(h: &ContentHeaders) -> Result<(), ApiError> {
    let named = [
        ("content-type", &h.content_type),
        ("cache-control", &h.cache_control),
        ("content-disposition", &h.content_disposition),
        ("content-encoding", &h.content_encoding),
        ("content-language", &h.content_language),
        ("expires", &h.expires),
        ("x-oss-storage-class", &h.storage_class),
        ("x-oss-object-acl", &h.acl),
    ];
    for (name, value) in named {
        if let Some(v) = value {
            check_header_value(name, v)?;
        }
    }
    for (suffix, value) in &h.user_meta {
        let name = format!("x-oss-meta-{suffix}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ApiError::invalid_argument(format!(
                "The user metadata name {name:?} is not a valid HTTP header name."
            ))
            .extra("ArgumentName", name));
        }
        check_header_value(&name, value)?;
    }
    Ok(())
}

fn check_header_value(name: &str, value: &str) -> Result<(), ApiError> {
    if http::HeaderValue::from_bytes(value.as_bytes()).is_err() {
        return Err(ApiError::invalid_argument(format!(
            "The value of {name} contains characters not allowed in an HTTP header (control characters such as CR or LF)."
        ))
        .extra("ArgumentName", name.to_string()));
    }
    Ok(())
}

/// Refuses an `x-oss-content-sha256` other than `UNSIGNED-PAYLOAD`, as OSS does
/// (`400 InvalidArgument`, EC 0002-00000214): the server never hashes the body, so a signed
/// digest must not pass for a checked one.
pub fn check_payload_hash(ctx: &RequestCtx) -> Result<(), ApiError> {
    match ctx.headers.get(CONTENT_SHA256) {
        None => Ok(()),
        Some(v) if v.as_bytes() == UNSIGNED_PAYLOAD.as_bytes() => Ok(()),
        Some(_) => Err(ApiError::invalid_argument(
            "x-oss-content-sha256 must be UNSIGNED-PAYLOAD: OSS does not accept payload hashes.",
        )
        .ec("0002-00000214")
        .extra("ArgumentName", "x-oss-content-sha256")),
    }
}

/// Streams the body into a staging file; returns the number of bytes written.
///
/// Reading stops the moment the staged data would pass `limit` bytes (the 5 GiB object or part
/// limit, whatever the body declared): the answer is `EntityTooLarge` and nothing beyond the
/// limit is staged.
pub async fn stream_into(
    staging: &mut StagingFile,
    body: &mut BodyStream,
    limit: u64,
) -> Result<u64, ApiError> {
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(body_error)?;
        if staging.size().saturating_add(chunk.len() as u64) > limit {
            return Err(entity_too_large());
        }
        staging
            .write_bytes(chunk)
            .await
            .map_err(|e| ApiError::internal(format!("writing the object data failed: {e}")))?;
    }
    staging
        .finish_writes()
        .await
        .map_err(|e| ApiError::internal(format!("writing the object data failed: {e}")))?;
    Ok(staging.size())
}

/// The answer to a body that failed: `RequestTimeout` for a client too slow (the connection is
/// closed), `IncompleteBody` otherwise.
pub fn body_error(e: std::io::Error) -> ApiError {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "RequestTimeout",
            format!("Your socket connection to the server was not read from or written to within the timeout period: {e}"),
        )
        .header("connection", "close");
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "IncompleteBody",
        format!("The request body could not be read completely: {e}"),
    )
}

/// `400 EntityTooLarge`. The rest of the body is not read: the answer closes the connection.
pub fn entity_too_large() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size.",
    )
    .header("connection", "close")
}

/// Refuses a declared `Content-Length` above `limit` before any byte is read.
pub fn check_declared_length(ctx: &RequestCtx, limit: u64) -> Result<(), ApiError> {
    match ctx.header("content-length") {
        None => Ok(()),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(len) if len > limit => Err(entity_too_large()),
            Ok(_) => Ok(()),
            Err(_) => Err(ApiError::invalid_argument(
                "Content-Length is not a number.",
            )),
        },
    }
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
