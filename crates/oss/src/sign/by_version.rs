//! The signature version as a parameter: one header-signing and one presigning function that
//! dispatch to V4 or V1, so no caller writes the `match` (or the V1 expiry arithmetic) itself.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use http::HeaderMap;
//! use jitstore_oss::credentials::Credentials;
//! use jitstore_oss::sign::{presign, RequestParts, SignatureVersion};
//!
//! let headers = HeaderMap::new();
//! let req = RequestParts {
//!     method: "GET",
//!     bucket: Some("examplebucket"),
//!     key: Some("exampleobject"),
//!     query: &[],
//!     headers: &headers,
//! };
//! let creds = Credentials::new("ak", "sk");
//! let at = Utc.timestamp_opt(1702743657, 0).unwrap();
//! let v1 = presign(SignatureVersion::V1, &req, &creds, "", at, 60, &[]).unwrap();
//! assert_eq!(v1.expires_at.timestamp(), 1702743717);
//! let v4 = presign(SignatureVersion::V4, &req, &creds, "cn-hangzhou", at, 60, &[]).unwrap();
//! assert!(v4.string_to_sign.starts_with("OSS4-HMAC-SHA256\n20231216T162057Z\n"));
//! ```

use chrono::{DateTime, Utc};

use super::{
    presign_v1, presign_v4, sign_v1_header, sign_v4_header, PresignOutput, RequestParts, SignError,
    SignOutput, SignatureVersion,
};
use crate::credentials::Credentials;

/// Signs `req` with header authentication at `now`.
///
/// `region` and `additional_headers` (AdditionalHeaders) are V4 inputs; V1 signs its fixed
/// header set and ignores them.
pub fn sign_header(
    version: SignatureVersion,
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    now: DateTime<Utc>,
    additional_headers: &[&str],
) -> Result<SignOutput, SignError> {
    match version {
        SignatureVersion::V4 => sign_v4_header(req, creds, region, now, additional_headers),
        SignatureVersion::V1 => sign_v1_header(req, creds, now),
    }
}

/// Presigns `req` at `now` for `expires_secs` seconds (V4: 1 to 604800; V1: an expiry time
/// of `now + expires_secs`).
///
/// `region` and `additional_headers` (AdditionalHeaders) are V4 inputs; V1 signs its fixed
/// header set and ignores them.
pub fn presign(
    version: SignatureVersion,
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    now: DateTime<Utc>,
    expires_secs: u64,
    additional_headers: &[&str],
) -> Result<PresignOutput, SignError> {
    match version {
        SignatureVersion::V4 => {
            presign_v4(req, creds, region, now, expires_secs, additional_headers)
        }
        SignatureVersion::V1 => {
            let at = now
                .timestamp()
                .saturating_add(i64::try_from(expires_secs).unwrap_or(i64::MAX));
            presign_v1(req, creds, at)
        }
    }
}
