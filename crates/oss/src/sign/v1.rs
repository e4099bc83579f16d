//! Signature V1 (HMAC-SHA1, `OSS ak:signature`): header auth and presigned URLs.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue};
use sha1::Sha1;

use super::canonical::{
    joined_header, v1_string_to_sign, HeaderOverride, V1Canonical, OSS_DATE_NAME,
    SECURITY_TOKEN_HEADER, SECURITY_TOKEN_QUERY_V1,
};
use super::time::http_date;
use super::{PresignOutput, RequestParts, SignError, SignOutput};
use crate::credentials::Credentials;

/// Base64 HMAC-SHA1 of `string_to_sign` under `secret`: the V1 signature.
pub fn signature_v1(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA1 accepts keys of every length"),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs a request with V1 header auth.
///
/// The Date line is the request's `x-oss-date` header when present and non-empty, otherwise the
/// `Date` header this function returns (from `now`). The returned headers (`Date`,
/// `x-oss-security-token` for STS credentials, `Authorization`) must be set on the request.
pub fn sign_v1_header(
    req: &RequestParts<'_>,
    creds: &Credentials,
    now: DateTime<Utc>,
) -> Result<SignOutput, SignError> {
    let http_now = http_date(now);
    let oss_date = joined_header(req.headers, &OSS_DATE_NAME).filter(|d| !d.is_empty());
    let date_line = oss_date.as_deref().unwrap_or(&http_now);
    let mut overrides: Vec<HeaderOverride<'_>> = Vec::with_capacity(1);
    if let Some(token) = &creds.security_token {
        overrides.push(HeaderOverride {
            name: SECURITY_TOKEN_HEADER,
            value: token.expose(),
        });
    }
    let string_to_sign = v1_string_to_sign(&V1Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query: req.query,
        extra_query: &[],
        headers: req.headers,
        overrides: &overrides,
        date: date_line,
    });
    let signature = signature_v1(creds.access_key_secret.expose(), &string_to_sign);
    let mut authorization = String::with_capacity(5 + creds.access_key_id.len() + signature.len());
    authorization.push_str("OSS ");
    authorization.push_str(&creds.access_key_id);
    authorization.push(':');
    authorization.push_str(&signature);

    let mut headers = Vec::with_capacity(3);
    headers.push((
        http::header::DATE,
        HeaderValue::from_str(&http_now)
            .map_err(|_| SignError::InvalidHeaderValue { name: "date" })?,
    ));
    if let Some(token) = &creds.security_token {
        let mut v =
            HeaderValue::from_str(token.expose()).map_err(|_| SignError::InvalidHeaderValue {
                name: SECURITY_TOKEN_HEADER,
            })?;
        v.set_sensitive(true);
        headers.push((HeaderName::from_static(SECURITY_TOKEN_HEADER), v));
    }
    let mut auth =
        HeaderValue::from_str(&authorization).map_err(|_| SignError::InvalidHeaderValue {
            name: "authorization",
        })?;
    auth.set_sensitive(true);
    headers.push((http::header::AUTHORIZATION, auth));
    Ok(SignOutput {
        headers,
        canonical_request: String::new(),
        string_to_sign,
    })
}

/// Presigns a request with V1 query auth, valid until `expires_at_unix` (absolute seconds).
///
/// Returns `OSSAccessKeyId`, `Expires`, `Signature` and, for STS credentials,
/// `security-token` (decoded), to append to the request's own query. `x-oss-*`, `Content-Type`
/// and `Content-MD5` headers in `req.headers` are signed and must be sent by the URL's user.
pub fn presign_v1(
    req: &RequestParts<'_>,
    creds: &Credentials,
    expires_at_unix: i64,
) -> Result<PresignOutput, SignError> {
    let expires_at = DateTime::<Utc>::from_timestamp(expires_at_unix, 0)
        .ok_or(SignError::InvalidExpiresAt { expires_at_unix })?;
    if expires_at_unix <= 0 {
        return Err(SignError::InvalidExpiresAt { expires_at_unix });
    }
    let expires = expires_at_unix.to_string();
    let mut extra: Vec<(&str, &str)> = Vec::with_capacity(1);
    if let Some(token) = &creds.security_token {
        extra.push((SECURITY_TOKEN_QUERY_V1, token.expose()));
    }
    let string_to_sign = v1_string_to_sign(&V1Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query: req.query,
        extra_query: &extra,
        headers: req.headers,
        overrides: &[],
        date: &expires,
    });
    let signature = signature_v1(creds.access_key_secret.expose(), &string_to_sign);
    let mut query = vec![
        ("OSSAccessKeyId".to_owned(), creds.access_key_id.clone()),
        ("Expires".to_owned(), expires),
        ("Signature".to_owned(), signature),
    ];
    if let Some(token) = &creds.security_token {
        query.push((
            SECURITY_TOKEN_QUERY_V1.to_owned(),
            token.expose().to_owned(),
        ));
    }
    Ok(PresignOutput {
        query,
        canonical_request: String::new(),
        string_to_sign,
        expires_at,
    })
}
