//! Sending one OSS request: URL, signing, body, idle timeout, error mapping, upload CRC
//! check, clock-skew correction and retries — all inside one `tracing` span.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tracing::{field::Empty, Instrument};

use super::body::{Body, Progress};
use super::Client;
use super::SigningTime;
use crate::error::{OssError, ServiceError};
use crate::sign::RequestParts;

/// Largest error body read into memory.
const MAX_ERROR_BODY: usize = 256 * 1024;

/// Largest XML answer accepted (a 1000-key listing of 1023-byte keys is about 1.5 MB).
const MAX_XML_BODY: usize = 32 * 1024 * 1024;

/// What to do when an answer exceeds the size limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Keep the first bytes (error bodies: enough to diagnose).
    Truncate,
    /// Fail (documents that must be complete to parse).
    Fail,
}

/// One OSS request as a per-call function describes it.
pub(crate) struct OssRequest<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) key: Option<&'a str>,
    /// Decoded query pairs (empty value = flag).
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: &'a Body,
    /// Compare the server's `x-oss-hash-crc64ecma` with the CRC of the sent body.
    pub(crate) check_upload_crc: bool,
    /// Whether the call may be retried at all (false for non-idempotent calls such as
    /// AppendObject).
    pub(crate) retryable: bool,
}

impl<'a> OssRequest<'a> {
    pub(crate) fn new(
        operation: &'static str,
        method: Method,
        key: Option<&'a str>,
        body: &'a Body,
    ) -> Self {
        OssRequest {
            operation,
            method,
            key,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body,
            check_upload_crc: false,
            retryable: true,
        }
    }

    pub(crate) fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    pub(crate) fn query_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self, OssError> {
        let v = HeaderValue::from_str(value).map_err(|_| {
            OssError::invalid(
                "header value",
                format!("{name}: {value:?} is not a valid header value"),
            )
        })?;
        self.headers.insert(name, v);
        Ok(self)
    }

    pub(crate) fn header_opt(
        self,
        name: &'static str,
        value: Option<&str>,
    ) -> Result<Self, OssError> {
        match value {
            Some(v) => self.header(name, v),
            None => Ok(self),
        }
    }
}

/// A successful answer whose body has not been read yet.
pub(crate) struct OssResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) response: reqwest::Response,
    pub(crate) request_id: Option<String>,
    /// CRC-64 and length of the body sent.
    pub(crate) sent: (u64, u64),
    pub(crate) operation: &'static str,
    pub(crate) read_timeout: Duration,
}

impl OssResponse {
    /// Reads the whole (small, XML) body, with the idle timeout per chunk.
    pub(crate) async fn bytes(self) -> Result<Bytes, OssError> {
        read_limited(
            self.operation,
            self.response,
            self.read_timeout,
            MAX_XML_BODY,
            Overflow::Fail,
        )
        .await
    }

    /// The value of a response header as text.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The server's CRC-64 header, parsed.
    pub(crate) fn crc64(&self) -> Result<Option<u64>, OssError> {
        match self.header(crate::crc64::HEADER) {
            None => Ok(None),
            Some(v) => crate::crc64::parse_header(&v).map(Some).ok_or_else(|| {
                OssError::protocol(
                    self.operation,
                    format!("bad {} header {v:?}", crate::crc64::HEADER),
                )
            }),
        }
    }
}

async fn read_limited(
    operation: &'static str,
    response: reqwest::Response,
    read_timeout: Duration,
    limit: usize,
    overflow: Overflow,
) -> Result<Bytes, OssError> {
    let mut stream = response.bytes_stream();
    let mut out = bytes::BytesMut::new();
    loop {
        let next = tokio::time::timeout(read_timeout, stream.next())
            .await
            .map_err(|_| OssError::Timeout {
                operation,
                after: read_timeout,
            })?;
        match next {
            None => break,
            Some(Ok(chunk)) => {
                if out.len() + chunk.len() > limit {
                    if overflow == Overflow::Fail {
                        return Err(OssError::protocol(
                            operation,
                            format!("answer body larger than {limit} bytes"),
                        ));
                    }
                    out.extend_from_slice(&chunk[..limit - out.len()]);
                    break;
                }
                out.extend_from_slice(&chunk);
            }
            Some(Err(e)) => return Err(map_reqwest(operation, e, read_timeout)),
        }
    }
    Ok(out.freeze())
}

pub(crate) fn map_reqwest(
    operation: &'static str,
    e: reqwest::Error,
    timeout: Duration,
) -> OssError {
    if e.is_timeout() {
        OssError::Timeout {
            operation,
            after: timeout,
        }
    } else {
        OssError::Network {
            operation,
            source: Box::new(TransportError(e.without_url())),
        }
    }
}

/// A transport error whose `Display` spells out the whole cause chain ("error sending
/// request: connection refused"), since reqwest's own message stops at the first level.
#[derive(Debug)]
pub(crate) struct TransportError(reqwest::Error);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = std::error::Error::source(&self.0);
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

impl Client {
    /// Sends `req`, retrying per the policy, and returns the successful answer.
    pub(crate) async fn execute(&self, req: OssRequest<'_>) -> Result<OssResponse, OssError> {
        let span = tracing::info_span!(
            "oss_request",
            operation = req.operation,
            method = %req.method,
            bucket = %self.inner.bucket,
            key = req.key.unwrap_or(""),
            attempt = Empty,
            status = Empty,
            request_id = Empty,
        );
        self.execute_in_span(req).instrument(span).await
    }

    async fn execute_in_span(&self, req: OssRequest<'_>) -> Result<OssResponse, OssError> {
        let policy = self.inner.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            tracing::Span::current().record("attempt", attempt);
            let started = std::time::Instant::now();
            let result = self.attempt(&req).await;
            match result {
                Ok(resp) => {
                    let span = tracing::Span::current();
                    span.record("status", resp.status.as_u16());
                    if let Some(id) = &resp.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "OSS request succeeded"
                    );
                    return Ok(resp);
                }
                Err(err) => {
                    let span = tracing::Span::current();
                    if let Some(status) = err.status() {
                        span.record("status", status);
                    }
                    if let Some(id) = err.request_id() {
                        span.record("request_id", id);
                    }
                    if let Some(service) = err.service() {
                        if service.is_clock_skew() {
                            self.correct_clock(service);
                        }
                    }
                    let retry = attempt < max_attempts
                        && req.retryable
                        && err.is_retryable()
                        && req.body.is_replayable();
                    if !retry {
                        tracing::debug!(error = %err, "OSS request failed");
                        return Err(err);
                    }
                    let delay = policy.delay(attempt);
                    tracing::warn!(error = %err, delay_ms = delay.as_millis() as u64, "OSS request failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Adjusts the signing clock by the difference between the server's `Date` and ours.
    fn correct_clock(&self, service: &ServiceError) {
        let server = service
            .server_date
            .as_deref()
            .and_then(crate::sign::time::parse_http_date)
            .or_else(|| {
                service
                    .extra("ServerTime")
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&chrono::Utc))
            });
        if let Some(server) = server {
            let offset = server.signed_duration_since(chrono::Utc::now());
            self.inner.clock_offset_ms.store(
                offset.num_milliseconds(),
                std::sync::atomic::Ordering::Relaxed,
            );
            tracing::warn!(
                offset_ms = offset.num_milliseconds(),
                "clock skew detected; correcting signing time"
            );
        }
    }

    async fn attempt(&self, req: &OssRequest<'_>) -> Result<OssResponse, OssError> {
        let inner = &self.inner;
        let op = req.operation;
        let creds = inner
            .credentials
            .credentials()
            .await
            .map_err(|e| OssError::Credentials(e.to_string()))?;

        let mut url = match req.key {
            Some(key) => inner.endpoint.object_url(&inner.bucket, key)?,
            None => inner.endpoint.bucket_url(&inner.bucket)?,
        };
        crate::endpoint::set_query(&mut url, &req.query);

        let progress = Progress::new();
        let mut prepared = req.body.prepare(&progress).await?;
        let mut headers = req.headers.clone();
        match prepared.len {
            Some(0) if req.method != Method::PUT && req.method != Method::POST => {}
            Some(len) => {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            None => {}
        }
        let parts = RequestParts {
            method: req.method.as_str(),
            bucket: Some(&inner.bucket),
            key: req.key,
            query: &req.query,
            headers: &headers,
        };
        let signed = self.sign_parts(&parts, &creds, self.signing_time(SigningTime::Now))?;
        signed.apply_to(&mut headers);
        if !headers.contains_key(http::header::USER_AGENT) {
            headers.insert(
                http::header::USER_AGENT,
                HeaderValue::from_static(super::USER_AGENT),
            );
        }

        let mut builder = inner.http.request(req.method.clone(), url).headers(headers);
        if prepared.len != Some(0) {
            builder = builder.body(prepared.take_body());
        }
        if let Some(total) = inner.timeouts.total {
            builder = builder.timeout(total);
        }
        let read_timeout = inner.timeouts.read;
        progress.touch();
        let response = tokio::select! {
            r = builder.send() => match r {
                Ok(r) => r,
                Err(e) => {
                    let after = if e.is_connect() { inner.timeouts.connect } else { read_timeout };
                    return Err(map_reqwest(op, e, after));
                }
            },
            () = progress.stalled(read_timeout) => {
                return Err(OssError::Timeout { operation: op, after: read_timeout });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-oss-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if !status.is_success() {
            // An error answer cut short means the connection dropped: report that (it is
            // retryable) rather than a half-read service error.
            let body = if req.method == Method::HEAD {
                Bytes::new()
            } else {
                read_limited(
                    op,
                    response,
                    read_timeout,
                    MAX_ERROR_BODY,
                    Overflow::Truncate,
                )
                .await?
            };
            return Err(ServiceError::from_response(status.as_u16(), &headers, &body).into());
        }
        let resp = OssResponse {
            status,
            headers,
            response,
            request_id,
            sent: prepared.sent(),
            operation: op,
            read_timeout,
        };
        if req.check_upload_crc && inner.crc_check {
            if let Some(server) = resp.crc64()? {
                let (client, sent_len) = resp.sent;
                if server != client {
                    return Err(OssError::CrcMismatch {
                        operation: op,
                        key: req.key.unwrap_or_default().to_owned(),
                        client,
                        server,
                    });
                }
                if let Some(expected) = prepared.len {
                    if expected != sent_len {
                        return Err(OssError::protocol(
                            op,
                            format!("sent {sent_len} bytes of a {expected}-byte body"),
                        ));
                    }
                }
            }
        }
        Ok(resp)
    }
}
