//! The client's one home for signing: presigned URLs (V4 by default, V1 on request), headers
//! for a request someone else sends, PostObject form policies, and the requests the client
//! sends itself all take their signing time, credentials, region and signature version here.
//!
//! Every entry takes a [`SigningTime`]: [`SigningTime::Now`] is local time corrected by the
//! clock skew the client has observed (`RequestTimeTooSkewed`); [`SigningTime::At`] fixes the
//! instant so the same inputs always give the same signature (what `jitstore sign --at`
//! uses). Every result carries the canonical request and the string-to-sign it was computed
//! over, for explaining a `SignatureDoesNotMatch`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

use super::Client;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::OssError;
use crate::post_policy::{PostFormFields, PostPolicy};
use crate::sign::canonical::v4_signed_by_default;
use crate::sign::{self, RequestParts, SignOutput, SignatureVersion};

/// The instant a signature is computed for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SigningTime {
    /// Local time corrected by the clock skew the client has observed.
    #[default]
    Now,
    /// A fixed instant: the same inputs then always give the same signature.
    At(DateTime<Utc>),
}

/// What to presign.
#[derive(Debug, Clone)]
pub struct PresignOptions {
    /// The HTTP method the URL is for (GET by default).
    pub method: Method,
    /// Validity from the signing time (default 15 minutes; V4 allows at most 7 days).
    pub expires: Duration,
    /// Headers to sign (`Content-Type`, `Content-MD5`, `x-oss-*`, and any named in
    /// `additional_signed_headers`); whoever uses the URL must send them unchanged.
    pub headers: HeaderMap,
    /// Extra query parameters (decoded), e.g. `response-content-disposition`, `versionId`.
    pub query: Vec<(String, String)>,
    /// V4 only: optional headers to sign as well, e.g. `host`. A V1 presign refuses them
    /// (V1 signs only `Content-Type`, `Content-MD5` and `x-oss-*` headers).
    pub additional_signed_headers: Vec<String>,
    /// Override the client's signature version for this URL.
    pub signature_version: Option<SignatureVersion>,
    /// When to sign (now, clock-corrected, by default).
    pub at: SigningTime,
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
            at: SigningTime::Now,
        }
    }
}

impl PresignOptions {
    /// Adds a header the URL's user must send: signed by default when it is `Content-Type`,
    /// `Content-MD5` or `x-oss-*`, otherwise also listed in
    /// [`additional_signed_headers`](Self::additional_signed_headers) (which only V4 signs; a
    /// V1 presign refuses them).
    ///
    /// ```
    /// use http::{HeaderName, HeaderValue};
    /// use jitstore_oss::client::PresignOptions;
    ///
    /// let mut options = PresignOptions::default();
    /// options.sign_header(HeaderName::from_static("x-oss-meta-a"), HeaderValue::from_static("1"));
    /// options.sign_header(HeaderName::from_static("range"), HeaderValue::from_static("bytes=0-9"));
    /// assert_eq!(options.headers.len(), 2);
    /// assert_eq!(options.additional_signed_headers, vec!["range".to_owned()]);
    /// ```
    pub fn sign_header(&mut self, name: HeaderName, value: HeaderValue) {
        if !v4_signed_by_default(name.as_str()) {
            self.additional_signed_headers
                .push(name.as_str().to_owned());
        }
        self.headers.insert(name, value);
    }
}

/// A presigned request: everything a credential-less client needs, and what it was signed
/// over.
#[derive(Clone)]
pub struct PresignedRequest {
    /// The method to use.
    pub method: Method,
    /// The full URL, signature included (treat it as a secret until it expires).
    pub url: Url,
    /// The signature version used.
    pub signature_version: SignatureVersion,
    /// The signing time.
    pub signed_at: DateTime<Utc>,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
    /// Headers that were signed and must be sent exactly so.
    pub signed_headers: HeaderMap,
    /// The V4 canonical request (empty for V1). May hold an STS token: print it through
    /// [`redact_secrets`](crate::sign::canonical::redact_secrets).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        shown.set_query(Some("<signed>"));
        f.debug_struct("PresignedRequest")
            .field("method", &self.method)
            .field("url", &shown.as_str())
            .field("signature_version", &self.signature_version)
            .field("signed_at", &self.signed_at)
            .field("expires_at", &self.expires_at)
            .field(
                "signed_headers",
                &self.signed_headers.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// What to sign with header authentication, for a request another party sends (for
/// example a browser handed an upload ticket).
#[derive(Debug, Clone)]
pub struct SignRequestOptions {
    /// The HTTP method.
    pub method: Method,
    /// Query parameters (decoded).
    pub query: Vec<(String, String)>,
    /// Headers the request will carry and that are signed with it.
    pub headers: HeaderMap,
    /// When to sign (now, clock-corrected, by default).
    pub at: SigningTime,
}

impl Default for SignRequestOptions {
    fn default() -> Self {
        SignRequestOptions {
            method: Method::GET,
            query: Vec::new(),
            headers: HeaderMap::new(),
            at: SigningTime::Now,
        }
    }
}

/// A request signed with header authentication.
#[derive(Clone)]
pub struct SignedRequest {
    /// The method to use.
    pub method: Method,
    /// The plain object URL on the client's endpoint (the query, if any, unsigned).
    pub url: Url,
    /// The signature version used.
    pub signature_version: SignatureVersion,
    /// The signing time; OSS accepts the request within 15 minutes of it.
    pub signed_at: DateTime<Utc>,
    /// Only the headers the signer added (`Authorization`, `Date`, `x-oss-date`,
    /// `x-oss-content-sha256`, `x-oss-security-token`); send them with the request's own.
    pub signature_headers: Vec<(HeaderName, HeaderValue)>,
    /// The V4 canonical request (empty for V1).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("signature_version", &self.signature_version)
            .field("signed_at", &self.signed_at)
            .field(
                "signature_headers",
                &self
                    .signature_headers
                    .iter()
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A signed PostObject policy: the form fields and what they were signed over.
#[derive(Debug, Clone)]
pub struct SignedPostPolicy {
    /// The form fields to send before the file (signature included; `Debug` masks it).
    pub fields: PostFormFields,
    /// The signature version used.
    pub signature_version: SignatureVersion,
    /// The signing time (V4's `x-oss-date`).
    pub signed_at: DateTime<Utc>,
}

impl Client {
    /// The instant `at` stands for: the fixed time, or local time corrected by the clock skew
    /// the client has observed. The one place "now + clock offset" is computed.
    pub fn signing_time(&self, at: SigningTime) -> DateTime<Utc> {
        match at {
            SigningTime::At(t) => t,
            SigningTime::Now => Utc::now() + self.clock_offset(),
        }
    }

    /// Presigns a request on `key`, using the public endpoint when one is configured, at the
    /// clock-corrected time (see [`signing_time`](Self::signing_time)).
    ///
    /// Every header given is signed: `Content-Type`, `Content-MD5` and `x-oss-*` by both
    /// versions, the [`additional_signed_headers`](PresignOptions::additional_signed_headers)
    /// by V4 only. A V1 presign with an additional header fails (naming the header) rather
    /// than hand out a URL that does not bind it.
    pub async fn presign(
        &self,
        key: &str,
        options: PresignOptions,
    ) -> Result<PresignedRequest, OssError> {
        let inner = &self.inner;
        let endpoint = inner.public_endpoint.as_ref().unwrap_or(&inner.endpoint);
        let mut url = endpoint.object_url(&inner.bucket, key)?;
        let creds = self.current_credentials().await?;
        let version = options.signature_version.unwrap_or(inner.signature_version);
        let mut headers = options.headers.clone();
        let additional: Vec<String> = options
            .additional_signed_headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if version == SignatureVersion::V1 {
            if let Some(name) = additional.first() {
                return Err(OssError::invalid(
                    "presign headers",
                    format!(
                        "V1 signatures cannot cover the {name} header; only Content-Type, \
                         Content-MD5 and x-oss-* headers (sign with V4 to cover {name})"
                    ),
                ));
            }
        }
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
        let now = self.signing_time(options.at);
        let region = self.region_for(endpoint, version)?;
        let names: Vec<&str> = additional.iter().map(String::as_str).collect();
        let presigned = sign::presign(
            version,
            &parts,
            &creds,
            &region,
            now,
            options.expires.as_secs(),
            &names,
        )
        .map_err(|e| OssError::invalid("presign request", e.to_string()))?;
        let mut query = options.query.clone();
        query.extend(presigned.query);
        crate::endpoint::set_query(&mut url, &query);

        let mut signed_headers = HeaderMap::new();
        for (name, value) in &headers {
            let n = name.as_str();
            let signed = v4_signed_by_default(n)
                || (version == SignatureVersion::V4 && additional.iter().any(|a| a == n));
            if signed {
                signed_headers.append(HeaderName::clone(name), value.clone());
            }
        }
        Ok(PresignedRequest {
            method: options.method,
            url,
            signature_version: version,
            signed_at: now,
            expires_at: presigned.expires_at,
            signed_headers,
            canonical_request: presigned.canonical_request,
            string_to_sign: presigned.string_to_sign,
        })
    }

    /// Signs a request on `key` with header authentication (the client's signature version),
    /// for another party to send to the client's endpoint within 15 minutes.
    pub async fn sign_request(
        &self,
        key: &str,
        options: SignRequestOptions,
    ) -> Result<SignedRequest, OssError> {
        let inner = &self.inner;
        let mut url = inner.endpoint.object_url(&inner.bucket, key)?;
        crate::endpoint::set_query(&mut url, &options.query);
        let creds = self.current_credentials().await?;
        let parts = RequestParts {
            method: options.method.as_str(),
            bucket: Some(&inner.bucket),
            key: Some(key),
            query: &options.query,
            headers: &options.headers,
        };
        let now = self.signing_time(options.at);
        let signed = self.sign_parts(&parts, &creds, now)?;
        Ok(SignedRequest {
            method: options.method,
            url,
            signature_version: inner.signature_version,
            signed_at: now,
            signature_headers: signed.headers,
            canonical_request: signed.canonical_request,
            string_to_sign: signed.string_to_sign,
        })
    }

    /// Signs a PostObject `policy` (its expiration as given) with the client's signature
    /// version, credentials and region, at `at`.
    pub async fn sign_post_policy(
        &self,
        policy: &PostPolicy,
        at: SigningTime,
    ) -> Result<SignedPostPolicy, OssError> {
        let creds = self.current_credentials().await?;
        let now = self.signing_time(at);
        let version = self.inner.signature_version;
        let fields = policy
            .sign(version, &creds, &self.inner.region, now)
            .map_err(|e| OssError::invalid("post policy", e.to_string()))?;
        Ok(SignedPostPolicy {
            fields,
            signature_version: version,
            signed_at: now,
        })
    }

    /// Header-signs `parts` at `now` with the client's version and region: how the client
    /// signs every request it sends itself.
    pub(crate) fn sign_parts(
        &self,
        parts: &RequestParts<'_>,
        creds: &Credentials,
        now: DateTime<Utc>,
    ) -> Result<SignOutput, OssError> {
        let inner = &self.inner;
        sign::sign_header(
            inner.signature_version,
            parts,
            creds,
            &inner.region,
            now,
            &[],
        )
        .map_err(|e| OssError::invalid("request signature input", e.to_string()))
    }

    /// The credentials to sign with now.
    async fn current_credentials(&self) -> Result<Credentials, OssError> {
        self.inner
            .credentials
            .credentials()
            .await
            .map_err(|e| OssError::Credentials(e.to_string()))
    }

    /// The V4 region for `version` on `endpoint`: the client's, or the endpoint's own for a
    /// V1 client asked for a V4 URL.
    fn region_for(
        &self,
        endpoint: &Endpoint,
        version: SignatureVersion,
    ) -> Result<String, OssError> {
        if self.inner.region.is_empty() && version == SignatureVersion::V4 {
            endpoint.resolve_region(None)
        } else {
            Ok(self.inner.region.clone())
        }
    }
}
