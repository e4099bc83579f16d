//! Server-side verification of V1 and V4 signatures (header and presigned), reporting why a
//! request failed with the OSS error code a real server would answer.

use std::fmt;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use subtle::ConstantTimeEq;

use super::authorization::{parse_authorization, Authorization};
use super::canonical::{
    joined_header, normalize_additional_headers, redact_secrets, v1_string_to_sign,
    v4_canonical_request, V1Canonical, V4Canonical, OSS_DATE, OSS_DATE_NAME, SECURITY_TOKEN_HEADER,
    SECURITY_TOKEN_NAME, SECURITY_TOKEN_QUERY_V1,
};
use super::query::{first_value, parse_query_borrowed, BorrowedPair};
use super::time::{parse_http_date, parse_iso8601_basic};
use super::v1::signature_v1;
use super::v4::{
    self, SigningKey, ALGORITHM_V4, MAX_PRESIGN_EXPIRES_SECS, PRODUCT, SCOPE_TERMINATOR,
};
use super::SignatureVersion;
use crate::credentials::{Credentials, Secret};

/// Decoded query pairs of a received request, borrowing the parts that held no escape.
type QueryPairs<'q> = [BorrowedPair<'q>];

/// A request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct ReceivedRequest<'a> {
    /// HTTP method as received.
    pub method: &'a str,
    /// Bucket the request addresses (from Host or the first path segment).
    pub bucket: Option<&'a str>,
    /// Decoded object key (the rest of the decoded path).
    pub key: Option<&'a str>,
    /// The query string exactly as received on the wire (without `?`).
    pub raw_query: &'a str,
    /// Received headers.
    pub headers: &'a HeaderMap,
}

/// The server's rules for accepting a signature.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// The region the server serves (V4 scopes must name it).
    pub region: String,
    /// The server's current time.
    pub now: DateTime<Utc>,
    /// Largest accepted clock difference for header auth (OSS: 15 minutes).
    pub max_skew: std::time::Duration,
}

/// The clock skew OSS tolerates, and how early a V4 presigned URL may be used.
pub const DEFAULT_MAX_SKEW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl VerifyPolicy {
    /// A policy for `region` at time `now` with the OSS default skew of 15 minutes.
    pub fn new(region: impl Into<String>, now: DateTime<Utc>) -> Self {
        VerifyPolicy {
            region: region.into(),
            now,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }

    fn max_skew(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.max_skew).unwrap_or_else(|_| chrono::Duration::days(365))
    }
}

/// Who sent an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// No Authorization header and no signature in the query.
    Anonymous,
    /// A valid signature.
    Authenticated {
        /// The AccessKeyId that signed.
        access_key_id: String,
        /// The signature version used.
        version: SignatureVersion,
        /// Whether the signature came in the query (presigned URL).
        presigned: bool,
    },
}

/// What a server needs to echo when a signature does not match (OSS puts these in the error
/// body).
#[derive(Clone)]
pub struct SignatureMismatch {
    /// The AccessKeyId the request named.
    pub access_key_id: String,
    /// The signature version used.
    pub version: SignatureVersion,
    /// Whether the signature came in the query.
    pub presigned: bool,
    /// The string to sign the server computed.
    pub string_to_sign: String,
    /// The canonical request the server computed (V4; empty for V1).
    pub canonical_request: String,
    /// The signature the request carried (secret-ish: not printed by `Debug`/`Display`).
    pub signature_provided: Secret,
}

impl fmt::Debug for SignatureMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureMismatch")
            .field("access_key_id", &self.access_key_id)
            .field("version", &self.version)
            .field("presigned", &self.presigned)
            .field("string_to_sign", &redact_secrets(&self.string_to_sign))
            .field(
                "canonical_request",
                &redact_secrets(&self.canonical_request),
            )
            .field("signature_provided", &self.signature_provided)
            .finish()
    }
}

/// Why a request was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VerifyError {
    /// The Authorization header cannot be parsed or uses an unsupported algorithm.
    #[error("{reason}")]
    MalformedAuthorization {
        /// What is wrong.
        reason: String,
    },
    /// A signature parameter or header is missing, malformed or inconsistent.
    #[error("{reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// The V4 scope names another region.
    #[error("{}", region_message(provided, expected))]
    WrongRegion {
        /// The region in the credential scope.
        provided: String,
        /// The region this server serves.
        expected: String,
    },
    /// The AccessKeyId is unknown.
    #[error("the OSS access key id {access_key_id:?} you provided does not exist in our records")]
    InvalidAccessKeyId {
        /// The AccessKeyId given.
        access_key_id: String,
    },
    /// The STS token does not belong to the credentials.
    #[error(
        "the security token you provided for access key id {access_key_id:?} is invalid: {reason}"
    )]
    InvalidSecurityToken {
        /// The AccessKeyId given.
        access_key_id: String,
        /// Missing, unexpected or different.
        reason: &'static str,
    },
    /// No usable date header (header auth).
    #[error("{reason}")]
    MissingOrBadDate {
        /// What is wrong.
        reason: String,
    },
    /// Header-auth request time differs too much from the server's.
    #[error("the difference between the request time {request_time} and the server's time {server_time} is {skew_secs} s, more than the {max_skew_secs} s allowed")]
    RequestTimeTooSkewed {
        /// Time the request claims.
        request_time: DateTime<Utc>,
        /// Server time.
        server_time: DateTime<Utc>,
        /// Absolute difference in seconds.
        skew_secs: i64,
        /// The limit in seconds.
        max_skew_secs: i64,
    },
    /// The presigned URL has expired.
    #[error(
        "Request has expired: the signature expired at {expired_at}, the server time is {now}"
    )]
    Expired {
        /// When the signature stopped being valid.
        expired_at: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// A V4 presigned URL is used more than 15 minutes before its x-oss-date.
    #[error("Request is not valid yet: the signature is valid from {valid_from}, the server time is {now}")]
    NotYetValid {
        /// Earliest accepted time.
        valid_from: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// The signature does not match the one the server computed.
    #[error("The request signature we calculated does not match the signature you provided ({} {}, access key id {:?}). Check your key and signing method. String to sign: {:?}",
        .0.version, if .0.presigned { "presigned URL" } else { "header" }, .0.access_key_id, redact_secrets(&.0.string_to_sign))]
    SignatureDoesNotMatch(Box<SignatureMismatch>),
}

fn region_message(provided: &str, expected: &str) -> String {
    if provided.strip_prefix("oss-") == Some(expected) {
        format!(
            "invalid signing region {provided:?}: the region id is {expected:?}, without the endpoint prefix 'oss-'"
        )
    } else {
        format!("invalid signing region {provided:?} in the credential scope; this server expects {expected:?}")
    }
}

impl VerifyError {
    /// The OSS error code to answer with.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MalformedAuthorization { .. }
            | VerifyError::InvalidArgument { .. }
            | VerifyError::WrongRegion { .. } => "InvalidArgument",
            VerifyError::InvalidAccessKeyId { .. } | VerifyError::InvalidSecurityToken { .. } => {
                "InvalidAccessKeyId"
            }
            VerifyError::MissingOrBadDate { .. }
            | VerifyError::Expired { .. }
            | VerifyError::NotYetValid { .. } => "AccessDenied",
            VerifyError::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            VerifyError::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self.code() {
            "InvalidArgument" => 400,
            _ => 403,
        }
    }

    /// The mismatch details, for `SignatureDoesNotMatch`.
    pub fn mismatch(&self) -> Option<&SignatureMismatch> {
        match self {
            VerifyError::SignatureDoesNotMatch(m) => Some(m),
            _ => None,
        }
    }
}

fn invalid(reason: impl Into<String>) -> VerifyError {
    VerifyError::InvalidArgument {
        reason: reason.into(),
    }
}

/// Verifies the signature of a received request.
///
/// `lookup` maps an AccessKeyId to its credentials (with the STS token the request must carry,
/// if any). Requests without any signature are [`Verified::Anonymous`]; deciding whether
/// anonymous access is allowed is the caller's business.
pub fn verify(
    req: &ReceivedRequest<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, VerifyError> {
    let query = parse_query_borrowed(req.raw_query)
        .map_err(|e| invalid(format!("bad query string: {e}")))?;
    if let Some(value) = req.headers.get(http::header::AUTHORIZATION) {
        let text = value
            .to_str()
            .map_err(|_| VerifyError::MalformedAuthorization {
                reason: "the Authorization header is not ASCII text".to_owned(),
            })?;
        let parsed =
            parse_authorization(text).map_err(|e| VerifyError::MalformedAuthorization {
                reason: e.to_string(),
            })?;
        return match parsed {
            Authorization::V1 {
                access_key_id,
                signature,
            } => verify_v1_header(req, &query, policy, lookup, access_key_id, signature),
            Authorization::V4(v4) => verify_v4(
                req,
                &query,
                policy,
                lookup,
                V4Claim {
                    credential: v4.credential,
                    additional: v4.additional_headers,
                    signature: v4.signature,
                    presign: None,
                },
            ),
        };
    }
    let has = |name: &str| query.iter().any(|(n, _)| n == name);
    if has("x-oss-signature") || has("x-oss-signature-version") || has("x-oss-credential") {
        return verify_v4_query(req, &query, policy, lookup);
    }
    if has("OSSAccessKeyId") || has("Signature") {
        return verify_v1_query(req, &query, policy, lookup);
    }
    Ok(Verified::Anonymous)
}

fn lookup_credentials(
    lookup: &dyn Fn(&str) -> Option<Credentials>,
    access_key_id: &str,
) -> Result<Credentials, VerifyError> {
    lookup(access_key_id).ok_or_else(|| VerifyError::InvalidAccessKeyId {
        access_key_id: access_key_id.to_owned(),
    })
}

fn check_token(creds: &Credentials, provided: Option<&str>) -> Result<(), VerifyError> {
    let fail = |reason| {
        Err(VerifyError::InvalidSecurityToken {
            access_key_id: creds.access_key_id.clone(),
            reason,
        })
    };
    match (&creds.security_token, provided) {
        (None, None) => Ok(()),
        (Some(_), None) => {
            fail("these temporary credentials need a security token and none was sent")
        }
        (None, Some(_)) => fail("a security token was sent for long-term credentials"),
        (Some(expected), Some(given)) => {
            if bool::from(expected.expose().as_bytes().ct_eq(given.as_bytes())) {
                Ok(())
            } else {
                fail("it does not match the token issued with these credentials")
            }
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Constant-time comparison of the lower-case hex `expected` with `provided` in any case.
fn hex_eq_ignore_case(expected: &str, provided: &str) -> bool {
    if expected.len() != provided.len() {
        return false;
    }
    // Fold every byte difference without branching, then decide once through `subtle`.
    let diff = expected
        .bytes()
        .zip(provided.bytes())
        .fold(0u8, |acc, (e, p)| acc | (e ^ p.to_ascii_lowercase()));
    diff.ct_eq(&0).into()
}

fn check_skew(policy: &VerifyPolicy, request_time: DateTime<Utc>) -> Result<(), VerifyError> {
    let skew = (policy.now - request_time).num_seconds().abs();
    let max = policy.max_skew().num_seconds();
    if skew > max {
        return Err(VerifyError::RequestTimeTooSkewed {
            request_time,
            server_time: policy.now,
            skew_secs: skew,
            max_skew_secs: max,
        });
    }
    Ok(())
}

fn verify_v1_header(
    req: &ReceivedRequest<'_>,
    query: &QueryPairs<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
    access_key_id: &str,
    signature: &str,
) -> Result<Verified, VerifyError> {
    let date_line = joined_header(req.headers, &OSS_DATE_NAME)
        .filter(|d| !d.is_empty())
        .or_else(|| joined_header(req.headers, &http::header::DATE).filter(|d| !d.is_empty()))
        .ok_or_else(|| VerifyError::MissingOrBadDate {
            reason: "the request has neither an x-oss-date nor a Date header".to_owned(),
        })?;
    let request_time =
        parse_http_date(&date_line).ok_or_else(|| VerifyError::MissingOrBadDate {
            reason: format!("the request date {date_line:?} is not an RFC 1123 HTTP date"),
        })?;
    check_skew(policy, request_time)?;
    let creds = lookup_credentials(lookup, access_key_id)?;
    let token = joined_header(req.headers, &SECURITY_TOKEN_NAME);
    check_token(&creds, token.as_deref())?;
    // The date line is the raw (untrimmed of inner text) header value, as the signer used it.
    check_v1_signature(
        req,
        query,
        &creds,
        access_key_id,
        &date_line,
        signature,
        false,
    )
}

fn verify_v1_query(
    req: &ReceivedRequest<'_>,
    query: &QueryPairs<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, VerifyError> {
    let need = |name: &'static str| {
        first_value(query, name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("the presigned URL lacks the {name} parameter")))
    };
    let access_key_id = need("OSSAccessKeyId")?;
    let expires = need("Expires")?;
    let signature = need("Signature")?;
    let expires_unix: i64 = expires.parse().map_err(|_| {
        invalid(format!(
            "Expires {expires:?} is not a Unix timestamp in seconds"
        ))
    })?;
    let expired_at = DateTime::<Utc>::from_timestamp(expires_unix, 0)
        .ok_or_else(|| invalid(format!("Expires {expires:?} is out of range")))?;
    if policy.now > expired_at {
        return Err(VerifyError::Expired {
            expired_at,
            now: policy.now,
        });
    }
    let creds = lookup_credentials(lookup, access_key_id)?;
    check_token(&creds, first_value(query, SECURITY_TOKEN_QUERY_V1))?;
    check_v1_signature(req, query, &creds, access_key_id, expires, signature, true)
}

/// Recomputes the V1 signature of `req` with `date` as the Date line (the request date for
/// header auth, `Expires` for a presigned URL) and compares it with the one sent.
fn check_v1_signature(
    req: &ReceivedRequest<'_>,
    query: &QueryPairs<'_>,
    creds: &Credentials,
    access_key_id: &str,
    date: &str,
    signature: &str,
    presigned: bool,
) -> Result<Verified, VerifyError> {
    let string_to_sign = v1_string_to_sign(&V1Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query,
        extra_query: &[],
        headers: req.headers,
        overrides: &[],
        date,
    });
    let expected = signature_v1(creds.access_key_secret.expose(), &string_to_sign);
    if !constant_time_eq(&expected, signature) {
        return Err(mismatch(
            access_key_id,
            SignatureVersion::V1,
            presigned,
            string_to_sign,
            String::new(),
            signature,
        ));
    }
    Ok(Verified::Authenticated {
        access_key_id: access_key_id.to_owned(),
        version: SignatureVersion::V1,
        presigned,
    })
}

/// The authentication values of a V4 request, from the header or the query.
struct V4Claim<'a> {
    credential: &'a str,
    additional: Option<&'a str>,
    signature: &'a str,
    /// For query auth: the `x-oss-expires` value.
    presign: Option<&'a str>,
}

/// A V4 credential split into its five parts.
struct Scope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
}

fn parse_scope<'a>(credential: &'a str, policy: &VerifyPolicy) -> Result<Scope<'a>, VerifyError> {
    let mut parts = credential.split('/');
    let (Some(access_key_id), Some(date), Some(region), Some(product), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid(format!(
            "the credential {credential:?} must be AccessKeyId/yyyymmdd/region/oss/aliyun_v4_request"
        )));
    };
    if access_key_id.is_empty() {
        return Err(invalid("the credential has an empty AccessKeyId"));
    }
    if terminator != SCOPE_TERMINATOR {
        return Err(invalid(format!(
            "the credential scope ends with {terminator:?}; expected {SCOPE_TERMINATOR:?}"
        )));
    }
    if product != PRODUCT {
        return Err(invalid(format!(
            "the credential scope names product {product:?}; expected {PRODUCT:?}"
        )));
    }
    if region != policy.region {
        return Err(VerifyError::WrongRegion {
            provided: region.to_owned(),
            expected: policy.region.clone(),
        });
    }
    Ok(Scope {
        access_key_id,
        date,
        region,
    })
}

fn verify_v4_query(
    req: &ReceivedRequest<'_>,
    query: &QueryPairs<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
) -> Result<Verified, VerifyError> {
    let need = |name: &'static str| {
        first_value(query, name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid(format!("the presigned URL lacks the {name} parameter")))
    };
    let version = need("x-oss-signature-version")?;
    if version != ALGORITHM_V4 {
        return Err(invalid(format!(
            "x-oss-signature-version {version:?} is not supported; expected {ALGORITHM_V4:?}"
        )));
    }
    let claim = V4Claim {
        credential: need("x-oss-credential")?,
        additional: first_value(query, "x-oss-additional-headers"),
        signature: need("x-oss-signature")?,
        presign: Some(need("x-oss-expires")?),
    };
    need("x-oss-date")?;
    verify_v4(req, query, policy, lookup, claim)
}

fn verify_v4(
    req: &ReceivedRequest<'_>,
    query: &QueryPairs<'_>,
    policy: &VerifyPolicy,
    lookup: &dyn Fn(&str) -> Option<Credentials>,
    claim: V4Claim<'_>,
) -> Result<Verified, VerifyError> {
    let scope = parse_scope(claim.credential, policy)?;
    let presigned = claim.presign.is_some();
    let datetime_owned;
    let datetime: &str = if presigned {
        first_value(query, OSS_DATE).unwrap_or("")
    } else {
        datetime_owned = joined_header(req.headers, &OSS_DATE_NAME).ok_or_else(|| {
            VerifyError::MissingOrBadDate {
                reason: "V4 header auth needs an x-oss-date header".to_owned(),
            }
        })?;
        &datetime_owned
    };
    let request_time =
        parse_iso8601_basic(datetime).ok_or_else(|| VerifyError::MissingOrBadDate {
            reason: format!("x-oss-date {datetime:?} is not ISO 8601 basic (yyyymmddTHHMMSSZ)"),
        })?;
    if datetime.get(..8) != Some(scope.date) {
        return Err(invalid(format!(
            "the credential date {:?} is not the day of x-oss-date {datetime:?}",
            scope.date
        )));
    }
    match claim.presign {
        Some(expires) => {
            let secs: u64 = expires
                .parse()
                .ok()
                .filter(|s| (1..=MAX_PRESIGN_EXPIRES_SECS).contains(s))
                .ok_or_else(|| {
                    invalid(format!(
                        "x-oss-expires {expires:?} must be a number of seconds from 1 to {MAX_PRESIGN_EXPIRES_SECS}"
                    ))
                })?;
            let valid_from = request_time
                .checked_sub_signed(policy.max_skew())
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            if policy.now < valid_from {
                return Err(VerifyError::NotYetValid {
                    valid_from,
                    now: policy.now,
                });
            }
            let expired_at = request_time
                .checked_add_signed(chrono::Duration::seconds(secs as i64))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if policy.now > expired_at {
                return Err(VerifyError::Expired {
                    expired_at,
                    now: policy.now,
                });
            }
        }
        None => check_skew(policy, request_time)?,
    }
    let creds = lookup_credentials(lookup, scope.access_key_id)?;
    let token_joined;
    let token: Option<&str> = if presigned {
        first_value(query, SECURITY_TOKEN_HEADER)
    } else {
        token_joined = joined_header(req.headers, &SECURITY_TOKEN_NAME);
        token_joined.as_deref()
    };
    check_token(&creds, token)?;

    // An empty list (`AdditionalHeaders=`, as reqsign sends) means none; an empty entry in a
    // non-empty list (`host;`) is malformed.
    let additional = match claim.additional.filter(|l| !l.trim().is_empty()) {
        Some(list) => {
            if list.split(';').any(|n| n.trim().is_empty()) {
                return Err(invalid(format!(
                    "AdditionalHeaders {list:?} has an empty entry"
                )));
            }
            normalize_additional_headers(list.split(';'), |n| req.headers.contains_key(n))
        }
        None => Vec::new(),
    };
    let filtered;
    let canonical_query: &QueryPairs<'_> = if presigned {
        filtered = query
            .iter()
            .filter(|(n, _)| n != "x-oss-signature")
            .cloned()
            .collect::<Vec<_>>();
        &filtered
    } else {
        query
    };
    let canonical_request = v4_canonical_request(&V4Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query: canonical_query,
        extra_query: &[],
        headers: req.headers,
        overrides: &[],
        additional: &additional,
    });
    let scope_text = v4::scope(scope.date, scope.region);
    let string_to_sign = v4::string_to_sign(datetime, &scope_text, &canonical_request);
    let key = SigningKey::derive_cached(creds.access_key_secret.expose(), scope.date, scope.region);
    let expected = key.sign_hex(&string_to_sign);
    // Hex digits may come in either case; compare case-insensitively without a lowered copy.
    if !hex_eq_ignore_case(&expected, claim.signature) {
        return Err(mismatch(
            scope.access_key_id,
            SignatureVersion::V4,
            presigned,
            string_to_sign,
            canonical_request,
            claim.signature,
        ));
    }
    Ok(Verified::Authenticated {
        access_key_id: scope.access_key_id.to_owned(),
        version: SignatureVersion::V4,
        presigned,
    })
}

fn mismatch(
    access_key_id: &str,
    version: SignatureVersion,
    presigned: bool,
    string_to_sign: String,
    canonical_request: String,
    provided: &str,
) -> VerifyError {
    VerifyError::SignatureDoesNotMatch(Box::new(SignatureMismatch {
        access_key_id: access_key_id.to_owned(),
        version,
        presigned,
        string_to_sign,
        canonical_request,
        signature_provided: Secret::new(provided),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_signatures_compare_case_insensitively_and_exactly() {
        let expected = "4a41bf0c9e";
        assert!(hex_eq_ignore_case(expected, "4a41bf0c9e"));
        assert!(hex_eq_ignore_case(expected, "4A41BF0C9E"));
        assert!(!hex_eq_ignore_case(expected, "4a41bf0c9f"));
        assert!(!hex_eq_ignore_case(expected, "4a41bf0c9"));
        assert!(!hex_eq_ignore_case(expected, "4a41bf0c9e0"));
        assert!(!hex_eq_ignore_case(expected, ""));
    }
}
