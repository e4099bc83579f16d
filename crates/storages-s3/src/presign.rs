//! AWS Signature Version 4 query presigning, as a pure function of (method, URL, query,
//! headers, credentials, region, time, expiry): no clock, no I/O.
//!
//! `object_store` presigns only "from now", so fixed-time presigning (`jitstore sign --at`)
//! and the canonical texts (`--explain`) come from here; `get_sign_url` uses it too, so there
//! is one presign path. The URL's query has botocore's order: the request's own parameters
//! (e.g. `response-content-type`) as given, then `X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Security-Token` (with a session
//! token) and last `X-Amz-Signature`, so URLs compare equal with botocore's as text.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jitstore_oss::encoding::encode_strict;
use sha2::{Digest, Sha256};

use crate::endpoint::ObjectUrl;
use jitstore_oss::credentials::Credentials;

/// The longest validity SigV4 allows: 7 days.
pub const MAX_EXPIRES: Duration = Duration::from_secs(7 * 24 * 3600);

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What to presign.
#[derive(Debug, Clone, Copy)]
pub struct PresignInput<'a> {
    /// The HTTP method (upper case).
    pub method: &'a str,
    /// The object's URL, `Host` and canonical URI.
    pub url: &'a ObjectUrl,
    /// The request's own query parameters (not yet encoded), in URL order.
    pub query: &'a [(String, String)],
    /// Headers the request will carry and that are signed besides `host` (lower-case names).
    pub headers: &'a BTreeMap<String, String>,
    /// The credentials.
    pub credentials: &'a Credentials,
    /// The signing region.
    pub region: &'a str,
    /// The signing time.
    pub at: DateTime<Utc>,
    /// How long the URL stays valid (1 s to 7 days).
    pub expires: Duration,
}

/// A presigned URL and the texts its signature was computed over.
#[derive(Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The URL (a bearer secret until it expires).
    pub url: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl std::fmt::Debug for Presigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("Presigned")
            .field("url", &format_args!("{shown}?<signed>"))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why a request cannot be presigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresignError {
    /// The validity is zero or longer than 7 days.
    #[error("a SigV4 presigned URL must be valid for 1 to 604800 seconds, not {0} s")]
    Expires(u64),
    /// A header name is not a token.
    #[error("{0:?} is not a valid header name")]
    HeaderName(String),
    /// A header value holds a control character.
    #[error("the value of header {0} holds a control character")]
    HeaderValue(String),
    /// The method is not an upper-case token.
    #[error("{0:?} is not an HTTP method")]
    Method(String),
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Trims a header value and collapses inner runs of spaces, as SigV4 canonicalises it.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Presigns a request with SigV4 query parameters.
///
/// ```
/// use std::collections::BTreeMap;
/// use jitstore_storages_s3::presign::{presign, PresignInput};
/// use jitstore_storages_s3::{AddressingStyle, Credentials, Endpoint};
///
/// // AWS's published example (S3 "Authenticating Requests: Using Query Parameters").
/// let endpoint = Endpoint::parse("s3.amazonaws.com").unwrap().with_default_scheme();
/// let url = endpoint.object_url("examplebucket", "test.txt", AddressingStyle::Virtual);
/// let credentials = Credentials::new("AKIAIOSFODNN7EXAMPLE",
///     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// let at = chrono::DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z").unwrap().to_utc();
/// let signed = presign(&PresignInput {
///     method: "GET", url: &url, query: &[], headers: &BTreeMap::new(),
///     credentials: &credentials, region: "us-east-1", at,
///     expires: std::time::Duration::from_secs(86400),
/// }).unwrap();
/// assert!(signed.url.ends_with(
///     "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
/// ```
pub fn presign(input: &PresignInput<'_>) -> Result<Presigned, PresignError> {
    let expires = input.expires.as_secs();
    if expires == 0 || input.expires > MAX_EXPIRES {
        return Err(PresignError::Expires(expires));
    }
    if input.method.is_empty() || !input.method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(PresignError::Method(input.method.to_owned()));
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    headers.insert("host".into(), input.url.host.clone());
    for (name, value) in input.headers {
        let lower = name.trim().to_ascii_lowercase();
        let token = !lower.is_empty()
            && lower
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(PresignError::HeaderName(name.clone()));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(PresignError::HeaderValue(lower));
        }
        if lower != "host" {
            headers.insert(lower, canonical_value(value));
        }
    }
    let signed_headers = headers.keys().cloned().collect::<Vec<_>>().join(";");
    let date = input.at.format("%Y%m%d").to_string();
    let amz_date = input.at.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{date}/{}/s3/aws4_request", input.region);
    let mut auth: Vec<(&str, String)> = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", input.credentials.access_key_id),
        ),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires.to_string()),
        ("X-Amz-SignedHeaders", signed_headers.clone()),
    ];
    if let Some(token) = &input.credentials.security_token {
        auth.push(("X-Amz-Security-Token", token.expose().to_owned()));
    }
    let encoded: Vec<(String, String)> = input
        .query
        .iter()
        .map(|(k, v)| (encode_strict(k), encode_strict(v)))
        .chain(
            auth.iter()
                .map(|(k, v)| (encode_strict(k), encode_strict(v))),
        )
        .collect();
    let mut sorted = encoded.clone();
    sorted.sort();
    let canonical_query = join_query(&sorted);
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let canonical_request = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{UNSIGNED_PAYLOAD}",
        input.method, input.url.path
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let secret = format!("AWS4{}", input.credentials.access_key_secret.expose());
    let key = hmac(secret.as_bytes(), &date);
    let key = hmac(&key, input.region);
    let key = hmac(&key, "s3");
    let key = hmac(&key, "aws4_request");
    let signature = hex::encode(hmac(&key, &string_to_sign));
    let url = format!(
        "{}?{}&X-Amz-Signature={signature}",
        input.url.url,
        join_query(&encoded)
    );
    let seconds = i64::try_from(expires).unwrap_or(i64::MAX);
    Ok(Presigned {
        url,
        expires_at: input.at + chrono::Duration::seconds(seconds),
        canonical_request,
        string_to_sign,
    })
}

fn join_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AddressingStyle;
    use crate::endpoint::{Endpoint, Scheme};

    fn credentials(token: Option<&str>) -> Credentials {
        let credentials = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        match token {
            Some(token) => credentials.with_security_token(token),
            None => credentials,
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn aws() -> Endpoint {
        Endpoint::parse("s3.amazonaws.com")
            .unwrap()
            .with_default_scheme()
    }

    fn sign(url: &ObjectUrl, query: &[(String, String)], token: Option<&str>) -> Presigned {
        presign(&PresignInput {
            method: "GET",
            url,
            query,
            headers: &BTreeMap::new(),
            credentials: &credentials(token),
            region: "us-east-1",
            at: at(),
            expires: Duration::from_secs(86400),
        })
        .unwrap()
    }

    /// AWS's published example: `GET examplebucket/test.txt` as of 20130524T000000Z, 86400 s.
    #[test]
    fn aws_published_example() {
        let url = aws().object_url("examplebucket", "test.txt", AddressingStyle::Virtual);
        let signed = sign(&url, &[], None);
        assert_eq!(
            signed.url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
        assert_eq!(
            signed.canonical_request,
            "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(
            signed.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"
        );
        assert_eq!(signed.expires_at.to_rfc3339(), "2013-05-25T00:00:00+00:00");
    }

    #[test]
    fn keys_are_encoded_once_in_path_and_url() {
        let url = aws().object_url("examplebucket", "ünï/a+b=c&d e.txt", AddressingStyle::Path);
        let signed = sign(&url, &[], None);
        assert!(
            signed.url.starts_with(
                "https://s3.amazonaws.com/examplebucket/%C3%BCn%C3%AF/a%2Bb%3Dc%26d%20e.txt?"
            ),
            "{}",
            signed.url
        );
        assert!(signed
            .canonical_request
            .contains("\n/examplebucket/%C3%BCn%C3%AF/a%2Bb%3Dc%26d%20e.txt\n"));
        assert!(signed
            .canonical_request
            .contains("\nhost:s3.amazonaws.com\n"));
    }

    #[test]
    fn session_token_is_signed_and_placed_after_signed_headers() {
        let url = aws().object_url("examplebucket", "test.txt", AddressingStyle::Virtual);
        let with = sign(&url, &[], Some("TOKEN/+="));
        let without = sign(&url, &[], None);
        assert!(
            with.url.contains(
                "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=TOKEN%2F%2B%3D&X-Amz-Signature="
            ),
            "{}",
            with.url
        );
        assert!(with
            .canonical_request
            .contains("X-Amz-Security-Token=TOKEN%2F%2B%3D&X-Amz-SignedHeaders"));
        assert_ne!(with.string_to_sign, without.string_to_sign);
    }

    #[test]
    fn request_parameters_come_first_and_are_sorted_in_the_canonical_query() {
        let url = aws().object_url("examplebucket", "test.txt", AddressingStyle::Virtual);
        let query = [(
            "response-content-type".to_owned(),
            "text/plain; charset=utf-8".to_owned(),
        )];
        let signed = sign(&url, &query, None);
        assert!(
            signed.url.contains(
                "test.txt?response-content-type=text%2Fplain%3B%20charset%3Dutf-8&X-Amz-Algorithm="
            ),
            "{}",
            signed.url
        );
        assert!(
            signed
                .canonical_request
                .contains("&X-Amz-SignedHeaders=host&response-content-type=text%2Fplain"),
            "{}",
            signed.canonical_request
        );
    }

    #[test]
    fn custom_endpoint_port_and_extra_headers() {
        let endpoint = Endpoint {
            scheme: Scheme::Http,
            host: "127.0.0.1".into(),
            port: Some(9000),
        };
        let url = endpoint.object_url("b", "k", AddressingStyle::Path);
        let mut headers = BTreeMap::new();
        headers.insert("Content-Type".to_owned(), "  text/plain  ".to_owned());
        let signed = presign(&PresignInput {
            method: "PUT",
            url: &url,
            query: &[],
            headers: &headers,
            credentials: &credentials(None),
            region: "us-east-1",
            at: at(),
            expires: Duration::from_secs(60),
        })
        .unwrap();
        assert!(signed.url.starts_with("http://127.0.0.1:9000/b/k?"));
        assert!(signed
            .url
            .contains("X-Amz-SignedHeaders=content-type%3Bhost"));
        assert!(signed
            .canonical_request
            .contains("content-type:text/plain\nhost:127.0.0.1:9000\n\ncontent-type;host\n"));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let url = aws().object_url("b", "k", AddressingStyle::Path);
        let mut input = PresignInput {
            method: "GET",
            url: &url,
            query: &[],
            headers: &BTreeMap::new(),
            credentials: &credentials(None),
            region: "us-east-1",
            at: at(),
            expires: Duration::ZERO,
        };
        assert_eq!(presign(&input).unwrap_err(), PresignError::Expires(0));
        input.expires = MAX_EXPIRES + Duration::from_secs(1);
        assert_eq!(presign(&input).unwrap_err(), PresignError::Expires(604801));
        input.expires = MAX_EXPIRES;
        assert!(presign(&input).is_ok());
        input.method = "get";
        assert!(matches!(
            presign(&input).unwrap_err(),
            PresignError::Method(_)
        ));
        input.method = "GET";
        let mut headers = BTreeMap::new();
        headers.insert("bad header".to_owned(), "v".to_owned());
        input.headers = &headers;
        assert!(matches!(
            presign(&input).unwrap_err(),
            PresignError::HeaderName(_)
        ));
        let mut headers = BTreeMap::new();
        headers.insert("x-amz-meta-a".to_owned(), "v\nw".to_owned());
        input.headers = &headers;
        assert!(matches!(
            presign(&input).unwrap_err(),
            PresignError::HeaderValue(_)
        ));
    }
}
