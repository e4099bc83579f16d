//! Presigned URLs at a chosen signing time, with the canonical request and the string-to-sign:
//! what `jitstore sign --at ... --explain` prints to debug `SignatureDoesNotMatch`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use jitstore_oss::sign::{self, RequestParts, SignatureVersion};
use serde::Serialize;

use super::error::WorkflowError;
use crate::oss::OssStorage;
use crate::types::SignUrlRequest;

/// A presigned URL with the texts its signature was computed over.
#[derive(Clone, Serialize)]
pub struct ExplainedPresign {
    /// The presigned URL (a bearer secret until it expires).
    pub url: String,
    /// The method it is valid for.
    pub method: String,
    /// `v4` or `v1`.
    pub signature_version: String,
    /// The signing time.
    pub signed_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Headers the request must carry exactly.
    pub headers: BTreeMap<String, String>,
    /// The V4 canonical request (empty for V1).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl fmt::Debug for ExplainedPresign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("ExplainedPresign")
            .field("url", &format_args!("{shown}?<signed>"))
            .field("method", &self.method)
            .field("signature_version", &self.signature_version)
            .field("signed_at", &self.signed_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), WorkflowError> {
    let n = HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes())
        .map_err(|_| WorkflowError::invalid("header", format!("{name:?} is not a header name")))?;
    let v = HeaderValue::from_str(value.trim()).map_err(|_| {
        WorkflowError::invalid(
            "header",
            format!("the value of {name} is not a valid header value"),
        )
    })?;
    Ok((n, v))
}

impl OssStorage {
    /// Presigns `request` as if the time were `at` (now when `None`), with the element's
    /// signature version, returning the URL and the canonical texts. The same inputs always
    /// give the same URL.
    pub async fn presign_explained(
        &self,
        request: &SignUrlRequest,
        at: Option<DateTime<Utc>>,
    ) -> Result<ExplainedPresign, WorkflowError> {
        let method = Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                WorkflowError::invalid(
                    "method",
                    format!("{:?} is not an HTTP method", request.method),
                )
            })?;
        let client = self.presigner();
        let version = client.signature_version();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers = HeaderMap::new();
        let mut additional: Vec<String> = Vec::new();
        if let Some(ct) = request
            .content_type
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            if method == Method::GET || method == Method::HEAD {
                query.push(("response-content-type".into(), ct.trim().to_owned()));
            } else {
                let (n, v) = header("content-type", ct)?;
                headers.insert(n, v);
            }
        }
        for (name, value) in &request.headers {
            let (n, v) = header(name, value)?;
            let lower = n.as_str().to_owned();
            if !(lower.starts_with("x-oss-") || lower == "content-type" || lower == "content-md5") {
                if version == SignatureVersion::V1 {
                    return Err(WorkflowError::invalid(
                        "header",
                        format!("V1 signatures cannot cover {lower}; only Content-Type, Content-MD5 and x-oss-* headers"),
                    ));
                }
                additional.push(lower);
            }
            headers.insert(n, v);
        }
        let creds = self
            .credentials_provider()
            .credentials()
            .await
            .map_err(|e| WorkflowError::invalid("credentials", e.to_string()))?;
        let bucket = client.bucket().to_owned();
        let endpoint = client.endpoint().clone();
        let mut url = endpoint
            .object_url(&bucket, &request.key)
            .map_err(|e| WorkflowError::invalid("key", e.to_string()))?;
        if additional.iter().any(|h| h == "host") && !headers.contains_key(http::header::HOST) {
            let (n, v) = header("host", &endpoint.host_for_bucket(&bucket))?;
            headers.insert(n, v);
        }
        let now = at.unwrap_or_else(|| Utc::now() + client.clock_offset());
        let parts = RequestParts {
            method: method.as_str(),
            bucket: Some(&bucket),
            key: Some(&request.key),
            query: &query,
            headers: &headers,
        };
        let expires = request.expires.as_secs();
        if expires == 0 {
            return Err(WorkflowError::invalid(
                "expires",
                "a presigned URL must be valid for at least one second",
            ));
        }
        let presigned = match version {
            SignatureVersion::V4 => {
                let region = if client.region().is_empty() {
                    endpoint
                        .resolve_region(None)
                        .map_err(|e| WorkflowError::invalid("region", e.to_string()))?
                } else {
                    client.region().to_owned()
                };
                let names: Vec<&str> = additional.iter().map(String::as_str).collect();
                sign::presign_v4(&parts, &creds, &region, now, expires, &names)
            }
            SignatureVersion::V1 => {
                let at = now
                    .timestamp()
                    .saturating_add(i64::try_from(expires).unwrap_or(i64::MAX));
                sign::presign_v1(&parts, &creds, at)
            }
        }
        .map_err(|e| WorkflowError::invalid("presign request", e.to_string()))?;
        let mut all_query = query.clone();
        all_query.extend(presigned.query);
        jitstore_oss::endpoint::set_query(&mut url, &all_query);
        let signed_headers = headers
            .iter()
            .filter(|(n, _)| n.as_str() != "host")
            .filter_map(|(n, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (n.as_str().to_owned(), v.to_owned()))
            })
            .collect();
        Ok(ExplainedPresign {
            url: url.into(),
            method: method.as_str().to_owned(),
            signature_version: version.to_string(),
            signed_at: super::whole_seconds(now),
            expires_at: super::whole_seconds(presigned.expires_at),
            headers: signed_headers,
            canonical_request: presigned.canonical_request,
            string_to_sign: presigned.string_to_sign,
        })
    }
}
