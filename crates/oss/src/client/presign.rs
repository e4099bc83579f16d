//! Presigned URLs (V4 by default, V1 on request) for handing an operation to someone without
//! credentials: a browser, `curl`, another service.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

use super::Client;
use crate::error::OssError;
use crate::sign::{self, RequestParts, SignatureVersion};

/// What to presign.
#[derive(Debug, Clone)]
pub struct PresignOptions {
    /// The HTTP method the URL is for (GET by default).
    pub method: Method,
    /// Validity from now (default 15 minutes; V4 allows at most 7 days).
    pub expires: Duration,
    /// Headers to sign (`Content-Type`, `Content-MD5`, `x-oss-*`, and any named in
    /// `additional_signed_headers`); whoever uses the URL must send them unchanged.
    pub headers: HeaderMap,
    /// Extra query parameters (decoded), e.g. `response-content-disposition`, `versionId`.
    pub query: Vec<(String, String)>,
    /// V4 only: optional headers to sign as well, e.g. `host`.
    pub additional_signed_headers: Vec<String>,
    /// Override the client's signature version for this URL.
    pub signature_version: Option<SignatureVersion>,
}

impl Default for PresignOptions {
    fn default() -> Self {
        PresignOptions {
            method: Method::GET,
            expires: Duration::from_secs(15 * 60),
            headers: HeaderMap::new(),
            query: Vec::new(),
            additional_signed_headers: Vec::new(),
            signature_version: None,
        }
    }
}

/// A presigned request: everything a credential-less client needs.
#[derive(Clone)]
pub struct PresignedRequest {
    /// The method to use.
    pub method: Method,
    /// The full URL, signature included (treat it as a secret until it expires).
    pub url: Url,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
    /// Headers that were signed and must be sent exactly so.
    pub signed_headers: HeaderMap,
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        shown.set_query(Some("<signed>"));
        f.debug_struct("PresignedRequest")
            .field("method", &self.method)
            .field("url", &shown.as_str())
            .field("expires_at", &self.expires_at)
            .field(
                "signed_headers",
                &self.signed_headers.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Client {
    /// Presigns a request on `key`, using the public endpoint when one is configured.
    pub async fn presign(
        &self,
        key: &str,
        options: PresignOptions,
    ) -> Result<PresignedRequest, OssError> {
        let inner = &self.inner;
        let endpoint = inner.public_endpoint.as_ref().unwrap_or(&inner.endpoint);
        let mut url = endpoint.object_url(&inner.bucket, key)?;
        let creds = inner
            .credentials
            .credentials()
            .await
            .map_err(|e| OssError::Credentials(e.to_string()))?;
        let version = options.signature_version.unwrap_or(inner.signature_version);
        let mut headers = options.headers.clone();
        let additional: Vec<String> = options
            .additional_signed_headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if additional.iter().any(|h| h == "host") && !headers.contains_key(http::header::HOST) {
            let host = endpoint.host_for_bucket(&inner.bucket);
            let v = HeaderValue::from_str(&host)
                .map_err(|_| OssError::invalid("endpoint", format!("host {host:?}")))?;
            headers.insert(http::header::HOST, v);
        }
        let parts = RequestParts {
            method: options.method.as_str(),
            bucket: Some(&inner.bucket),
            key: Some(key),
            query: &options.query,
            headers: &headers,
        };
        let now = self.signing_time();
        let expires_secs = options.expires.as_secs();
        let presigned = match version {
            SignatureVersion::V4 => {
                let region = if inner.region.is_empty() {
                    endpoint.resolve_region(None)?
                } else {
                    inner.region.clone()
                };
                let names: Vec<&str> = additional.iter().map(String::as_str).collect();
                sign::presign_v4(&parts, &creds, &region, now, expires_secs, &names)
            }
            SignatureVersion::V1 => {
                let at = now
                    .timestamp()
                    .saturating_add(i64::try_from(expires_secs).unwrap_or(i64::MAX));
                sign::presign_v1(&parts, &creds, at)
            }
        }
        .map_err(|e| OssError::invalid("presign request", e.to_string()))?;
        let mut query = options.query.clone();
        query.extend(presigned.query);
        crate::endpoint::set_query(&mut url, &query);

        let mut signed_headers = HeaderMap::new();
        for (name, value) in &headers {
            let n = name.as_str();
            let signed = n.starts_with("x-oss-")
                || n == "content-type"
                || n == "content-md5"
                || (version == SignatureVersion::V4 && additional.iter().any(|a| a == n));
            if signed {
                signed_headers.append(HeaderName::clone(name), value.clone());
            }
        }
        Ok(PresignedRequest {
            method: options.method,
            url,
            expires_at: presigned.expires_at,
            signed_headers,
        })
    }
}
