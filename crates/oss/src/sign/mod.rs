//! OSS request signing (V4 `OSS4-HMAC-SHA256` by default, V1 HMAC-SHA1 for legacy buckets) and
//! its verification, as pure functions: no clock, no I/O.
//!
//! The signer and the verifier share one canonicalisation ([`canonical`]): a client signs a
//! [`RequestParts`], a server rebuilds the same canonical form from a [`ReceivedRequest`] and
//! compares in constant time.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use http::HeaderMap;
//! use jitstore_oss::credentials::Credentials;
//! use jitstore_oss::sign::{sign_v4_header, RequestParts};
//!
//! let headers = HeaderMap::new();
//! let req = RequestParts {
//!     method: "GET",
//!     bucket: Some("examplebucket"),
//!     key: Some("photos/cat.jpg"),
//!     query: &[],
//!     headers: &headers,
//! };
//! let creds = Credentials::new("ak", "sk");
//! let now = Utc.timestamp_opt(1702743657, 0).unwrap();
//! let out = sign_v4_header(&req, &creds, "cn-hangzhou", now, &[]).unwrap();
//! assert!(out.authorization().unwrap().starts_with(
//!     "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature="
//! ));
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use http::{HeaderName, HeaderValue};

pub mod authorization;
mod by_version;
// The canonical-request internals, shared with the local server's verifier; users call the
// sign/presign/verify entry points re-exported below.
#[doc(hidden)]
pub mod canonical;
pub mod query;
pub mod redact;
pub mod time;
pub mod v1;
pub mod v4;
pub mod verify;

pub use authorization::{parse_authorization, Authorization, V4Authorization};
pub use by_version::{presign, sign_header};
pub use query::parse_query;
pub use v1::{presign_v1, sign_v1_header};
pub use v4::{presign_v4, sign_v4_header, SigningKey};
pub use verify::{verify, ReceivedRequest, SignatureMismatch, Verified, VerifyError, VerifyPolicy};

/// Which OSS signature algorithm to use.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SignatureVersion {
    /// HMAC-SHA1 (`OSS ak:sig`), for legacy buckets and tools.
    V1,
    /// `OSS4-HMAC-SHA256`, the default.
    #[default]
    V4,
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureVersion::V1 => "v1",
            SignatureVersion::V4 => "v4",
        })
    }
}

/// What the signer needs to know about a request, all decoded.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, upper-case (`GET`, `PUT`, ...).
    pub method: &'a str,
    /// Bucket name; `None` for service-level calls such as ListBuckets.
    pub bucket: Option<&'a str>,
    /// Decoded object key; `None` for bucket-level calls.
    pub key: Option<&'a str>,
    /// Decoded query pairs; an empty value is a flag such as `uploads` or `acl`.
    pub query: &'a [(String, String)],
    /// Headers the request will carry (Content-Type, Content-MD5, `x-oss-*`, ...).
    pub headers: &'a http::HeaderMap,
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The V4 region is missing or malformed.
    #[error("invalid V4 signing region {region:?}: {reason}")]
    InvalidRegion {
        /// The region given.
        region: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The V4 presign validity is outside 1..=604800 seconds.
    #[error("presigned URL validity of {expires_secs} s is out of range; OSS V4 allows 1 to 604800 s (7 days)")]
    InvalidExpires {
        /// The validity asked for.
        expires_secs: u64,
    },
    /// The V1 presign expiry is not a representable positive Unix time.
    #[error("presigned URL expiry {expires_at_unix} is not a valid positive Unix timestamp")]
    InvalidExpiresAt {
        /// The expiry asked for.
        expires_at_unix: i64,
    },
    /// An AdditionalHeaders entry is empty.
    #[error("an additional signed header name is empty")]
    EmptyAdditionalHeader,
    /// A value the signer must put into a header is not a valid header value.
    #[error("the value for header {name} contains characters not allowed in an HTTP header")]
    InvalidHeaderValue {
        /// The header name.
        name: &'static str,
    },
}

/// Headers to add to a request after signing, plus the intermediate texts (for debugging).
#[derive(Clone)]
pub struct SignOutput {
    /// Headers the caller must set (replacing same-named ones): `Authorization`, `Date`,
    /// `x-oss-date` and `x-oss-content-sha256` (V4), `x-oss-security-token` (STS).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The V4 canonical request; empty for V1.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl SignOutput {
    /// The `Authorization` value, if present and textual.
    pub fn authorization(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == http::header::AUTHORIZATION)
            .and_then(|(_, v)| v.to_str().ok())
    }

    /// Sets every output header on `headers`, replacing same-named values.
    pub fn apply_to(&self, headers: &mut http::HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

impl fmt::Debug for SignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if redact::is_secret_name(n.as_str()) {
                    "******".to_owned()
                } else {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("SignOutput")
            .field("headers", &headers)
            .field(
                "canonical_request",
                &canonical::redact_secrets(&self.canonical_request),
            )
            .field(
                "string_to_sign",
                &canonical::redact_secrets(&self.string_to_sign),
            )
            .finish()
    }
}

/// Query parameters that turn a request into a presigned URL.
#[derive(Clone)]
pub struct PresignOutput {
    /// Decoded query pairs to append to the request's own query (signature included); encode
    /// them strictly (see [`crate::encoding::encode_strict`]) when building the URL.
    pub query: Vec<(String, String)>,
    /// The V4 canonical request; empty for V1.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for PresignOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(n, v)| {
                let shown = if redact::is_secret_name(n) {
                    "******"
                } else {
                    v.as_str()
                };
                (n.as_str(), shown)
            })
            .collect();
        f.debug_struct("PresignOutput")
            .field("query", &query)
            .field(
                "canonical_request",
                &canonical::redact_secrets(&self.canonical_request),
            )
            .field(
                "string_to_sign",
                &canonical::redact_secrets(&self.string_to_sign),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
