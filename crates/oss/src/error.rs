//! The typed error of every OSS call: service errors parsed from OSS's XML error body (or, for
//! HEAD and 304 answers that carry no body, from the base64 `x-oss-err` header), and distinct
//! variants for network failures, timeouts, CRC-64 mismatches and invalid input.
//!
//! No variant ever holds an access key secret, an STS token or a signature: the fields OSS
//! echoes for debugging (`StringToSign`, `CanonicalRequest`) are kept with any security token
//! masked, and `SignatureProvided` is dropped.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;

/// Everything an OSS call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OssError {
    /// OSS answered with an error status (4xx/5xx, or 304 for a conditional read).
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// The request never got a complete answer: connection refused or reset, TLS, DNS, a body
    /// cut short.
    #[error("network error during {operation}: {source}")]
    Network {
        /// The OSS operation, e.g. `PutObject`.
        operation: &'static str,
        /// The underlying transport error (its URL stripped).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The connect or read timeout elapsed.
    #[error("timeout during {operation} after {after:?}")]
    Timeout {
        /// The OSS operation.
        operation: &'static str,
        /// The configured timeout that elapsed.
        after: Duration,
    },

    /// The CRC-64 computed over the transferred bytes differs from the server's
    /// `x-oss-hash-crc64ecma`.
    #[error("CRC-64 mismatch during {operation} of {key:?}: client computed {client}, server reported {server}")]
    CrcMismatch {
        /// The OSS operation.
        operation: &'static str,
        /// The object key.
        key: String,
        /// CRC-64 of the bytes this client sent or received.
        client: u64,
        /// CRC-64 reported by the server.
        server: u64,
    },

    /// A caller-supplied value is not acceptable (bucket name, key, region, endpoint, part
    /// number, expiry, ...). Nothing was sent.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was invalid, e.g. `object key`.
        what: &'static str,
        /// Why.
        reason: String,
    },

    /// The credentials provider failed to produce credentials.
    #[error("credentials unavailable: {0}")]
    Credentials(String),

    /// Reading a local file used as a request body failed.
    #[error("reading local file {path:?}: {source}")]
    Io {
        /// The file path.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The server's answer could not be understood (malformed XML, missing or bad header).
    #[error("unexpected response to {operation}: {reason}")]
    Protocol {
        /// The OSS operation.
        operation: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl OssError {
    /// The OSS error code (`NoSuchKey`, `AccessDenied`, ...), if this is a service error that has one.
    pub fn code(&self) -> Option<&str> {
        match self {
            OssError::Service(e) if !e.code.is_empty() => Some(&e.code),
            _ => None,
        }
    }

    /// The `x-oss-request-id` of the failed request, if the server answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            OssError::Service(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            OssError::Service(e) => Some(e.status),
            _ => None,
        }
    }

    /// The service error details, if the server answered with an error.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            OssError::Service(e) => Some(e),
            _ => None,
        }
    }

    /// True for 404 answers: missing object, bucket or multipart upload.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// True for `304 Not Modified` (If-None-Match / If-Modified-Since matched).
    pub fn is_not_modified(&self) -> bool {
        self.status() == Some(304)
    }

    /// True for `412 Precondition Failed` (If-Match / If-Unmodified-Since failed).
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(412)
    }

    /// Whether retrying the same request may succeed: 5xx, 408, 429, `RequestTimeTooSkewed`,
    /// network errors, timeouts and CRC mismatches. (Whether a retry is *possible* also depends
    /// on the body being replayable; the client checks that separately.)
    pub fn is_retryable(&self) -> bool {
        match self {
            OssError::Service(e) => {
                e.status >= 500 || e.status == 408 || e.status == 429 || e.is_clock_skew()
            }
            OssError::Network { .. } | OssError::Timeout { .. } | OssError::CrcMismatch { .. } => {
                true
            }
            _ => false,
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        OssError::InvalidInput {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn protocol(operation: &'static str, reason: impl Into<String>) -> Self {
        OssError::Protocol {
            operation,
            reason: reason.into(),
        }
    }
}

impl From<ServiceError> for OssError {
    fn from(e: ServiceError) -> Self {
        OssError::Service(Box::new(e))
    }
}

/// An error answer from OSS.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status code.
    pub status: u16,
    /// OSS error code, e.g. `NoSuchKey`; empty when the answer carried none.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// `RequestId` (body) or `x-oss-request-id` (header).
    pub request_id: Option<String>,
    /// `HostId`.
    pub host_id: Option<String>,
    /// The detailed error code `EC` (`xxxx-xxxxxxxx`), from the body or `x-oss-ec`.
    pub ec: Option<String>,
    /// The server's `Date` header, used for clock-skew correction.
    pub server_date: Option<String>,
    /// `x-oss-next-append-position` of a `PositionNotEqualToLength` answer: the object's
    /// current length, where the next append must start.
    pub next_append_position: Option<u64>,
    /// Further elements of the error body (`StringToSign`, `CanonicalRequest`, `BucketName`,
    /// `Key`, ...), with security tokens masked and signatures removed.
    pub extras: BTreeMap<String, String>,
}

impl ServiceError {
    /// Builds the error from an HTTP answer: the XML body if there is one, else the base64 XML in
    /// `x-oss-err`, else just the status and headers.
    pub fn from_response(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut fields = parse_error_xml(body);
        if fields.is_none() {
            fields = header("x-oss-err").and_then(|b64| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .ok()
                    .and_then(|xml| parse_error_xml(&xml))
            });
        }
        let mut fields = fields.unwrap_or_default();
        let mut take = |name: &str| fields.remove(name).filter(|v| !v.is_empty());
        let code = take("Code").unwrap_or_default();
        let message = take("Message").unwrap_or_else(|| {
            if body.is_empty() || code.is_empty() {
                http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("unknown status")
                    .to_owned()
            } else {
                String::new()
            }
        });
        let request_id = take("RequestId").or_else(|| header("x-oss-request-id"));
        let host_id = take("HostId");
        let ec = take("EC").or_else(|| header("x-oss-ec"));
        fields.remove("SignatureProvided");
        let extras = fields
            .into_iter()
            .map(|(k, v)| {
                let v = mask_security_tokens(&v);
                (k, v)
            })
            .collect();
        ServiceError {
            status,
            code,
            message,
            request_id,
            host_id,
            ec,
            server_date: header("date"),
            next_append_position: header("x-oss-next-append-position")
                .and_then(|v| v.trim().parse().ok()),
            extras,
        }
    }

    /// An extra element of the error body, e.g. `StringToSign`.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extras.get(name).map(String::as_str)
    }

    /// True for `RequestTimeTooSkewed`.
    pub fn is_clock_skew(&self) -> bool {
        self.code == "RequestTimeTooSkewed"
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("host_id", &self.host_id)
            .field("ec", &self.ec)
            .field("next_append_position", &self.next_append_position)
            .field("extras", &self.extras)
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OSS answered {}", self.status)?;
        if !self.code.is_empty() {
            write!(f, " {}", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(ec) = &self.ec {
            write!(f, " (EC {ec})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Reads the direct children of `<Error>` into a name → text map; `None` if `body` is not an
/// OSS error document.
fn parse_error_xml(body: &[u8]) -> Option<BTreeMap<String, String>> {
    use quick_xml::events::Event;
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut saw_error_root = false;
    let mut current: Option<String> = None;
    let mut fields = BTreeMap::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if depth == 1 {
                    if name != "Error" {
                        return None;
                    }
                    saw_error_root = true;
                } else if depth == 2 {
                    current = Some(name);
                }
            }
            Event::Empty(e) if depth == 1 => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                fields.insert(name, String::new());
            }
            Event::Text(t) if depth == 2 => {
                if let Some(name) = &current {
                    let text = t.unescape().ok()?.into_owned();
                    fields
                        .entry(name.clone())
                        .or_insert_with(String::new)
                        .push_str(&text);
                }
            }
            Event::CData(t) if depth == 2 => {
                if let Some(name) = &current {
                    let text = String::from_utf8_lossy(&t).into_owned();
                    fields
                        .entry(name.clone())
                        .or_insert_with(String::new)
                        .push_str(&text);
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    if let Some(name) = current.take() {
                        fields.entry(name).or_insert_with(String::new);
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    saw_error_root.then_some(fields)
}

/// Replaces the value after every `security-token=` / `security-token:` (query or header form,
/// V1 or V4 spelling) with `***`, up to the next `&`, newline or end.
pub(crate) fn mask_security_tokens(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let needle = "security-token";
    let mut out = String::with_capacity(text.len());
    let mut pos = 0usize;
    while let Some(found) = lower[pos..].find(needle) {
        let after_name = pos + found + needle.len();
        out.push_str(&text[pos..after_name]);
        pos = after_name;
        let sep = text[pos..].chars().next();
        if matches!(sep, Some('=') | Some(':')) {
            out.push_str(&text[pos..pos + 1]);
            pos += 1;
            let end = text[pos..]
                .find(['&', '\n', '\r', ' ', '"', '<'])
                .map_or(text.len(), |i| pos + i);
            if end > pos {
                out.push_str("***");
            }
            pos = end;
        }
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn parses_error_body() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The specified key does not exist.</Message>
  <RequestId>6556E3AED11E553933CCDEDF</RequestId>
  <HostId>demo-bucket.oss-cn-hangzhou.aliyuncs.com</HostId>
  <Key>missing &amp; gone.txt</Key>
  <EC>0026-00000001</EC>
</Error>"#;
        let e = ServiceError::from_response(404, &headers(&[("date", "x")]), body);
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.message, "The specified key does not exist.");
        assert_eq!(e.request_id.as_deref(), Some("6556E3AED11E553933CCDEDF"));
        assert_eq!(
            e.host_id.as_deref(),
            Some("demo-bucket.oss-cn-hangzhou.aliyuncs.com")
        );
        assert_eq!(e.ec.as_deref(), Some("0026-00000001"));
        assert_eq!(e.extra("Key"), Some("missing & gone.txt"));
        let err = OssError::from(e);
        assert!(err.is_not_found());
        assert!(!err.is_retryable());
        assert_eq!(err.code(), Some("NoSuchKey"));
        let text = err.to_string();
        assert!(text.contains("404 NoSuchKey"), "{text}");
        assert!(text.contains("6556E3AED11E553933CCDEDF"), "{text}");
    }

    #[test]
    fn head_error_from_x_oss_err_header() {
        let xml = "<Error><Code>AccessDenied</Code><Message>no</Message><RequestId>R1</RequestId></Error>";
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let h = headers(&[
            ("x-oss-err", &b64),
            ("x-oss-ec", "0003-00000001"),
            ("x-oss-request-id", "R2"),
        ]);
        let e = ServiceError::from_response(403, &h, b"");
        assert_eq!(e.code, "AccessDenied");
        assert_eq!(e.request_id.as_deref(), Some("R1"));
        assert_eq!(e.ec.as_deref(), Some("0003-00000001"));
    }

    #[test]
    fn bodyless_error_uses_status_and_headers() {
        let h = headers(&[("x-oss-request-id", "R9")]);
        let e = ServiceError::from_response(404, &h, b"");
        assert_eq!(e.code, "");
        assert_eq!(e.message, "Not Found");
        assert_eq!(e.request_id.as_deref(), Some("R9"));
        let err = OssError::from(e);
        assert_eq!(err.code(), None);
        assert!(err.is_not_found());
        let e = ServiceError::from_response(503, &http::HeaderMap::new(), b"<html>busy</html>");
        assert!(OssError::from(e).is_retryable());
    }

    #[test]
    fn signatures_and_tokens_never_kept() {
        let body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>\
<SignatureProvided>abcdef0123</SignatureProvided>\
<StringToSign>GET\n\n\n1699808204\n/bucket/key?security-token=SECRETTOKEN&amp;versionId=v</StringToSign>\
<CanonicalRequest>GET\n/b/k\nx-oss-security-token=SECRET2\nx-oss-security-token:SECRET3\n</CanonicalRequest>\
</Error>";
        let e = ServiceError::from_response(403, &http::HeaderMap::new(), body);
        let all = format!("{e:?} {e}");
        assert!(!all.contains("abcdef0123"));
        assert!(!all.contains("SECRET"), "{all}");
        assert_eq!(
            e.extra("StringToSign"),
            Some("GET\n\n\n1699808204\n/bucket/key?security-token=***&versionId=v")
        );
        assert!(e.extra("SignatureProvided").is_none());
    }

    #[test]
    fn retryable_classification() {
        let mk = |status, code: &str| {
            OssError::from(ServiceError {
                status,
                code: code.into(),
                message: String::new(),
                request_id: None,
                host_id: None,
                ec: None,
                server_date: None,
                next_append_position: None,
                extras: BTreeMap::new(),
            })
        };
        assert!(mk(500, "InternalError").is_retryable());
        assert!(mk(503, "").is_retryable());
        assert!(mk(408, "").is_retryable());
        assert!(mk(429, "").is_retryable());
        assert!(mk(403, "RequestTimeTooSkewed").is_retryable());
        assert!(!mk(403, "AccessDenied").is_retryable());
        assert!(!mk(409, "FileAlreadyExists").is_retryable());
        assert!(mk(304, "").is_not_modified());
        assert!(mk(412, "PreconditionFailed").is_precondition_failed());
    }
}
