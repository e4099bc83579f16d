//! Signature V4 (`OSS4-HMAC-SHA256`): header auth and presigned URLs.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use super::canonical::{
    header_present, hex_lower, normalize_additional_headers, push_hex_lower, v4_canonical_request,
    HeaderOverride, V4Canonical, CONTENT_SHA256, CONTENT_SHA256_NAME, OSS_DATE,
    SECURITY_TOKEN_HEADER, UNSIGNED_PAYLOAD,
};
use super::time::{http_date, iso8601_basic};
use super::{PresignOutput, RequestParts, SignError, SignOutput};
use crate::credentials::Credentials;

/// The V4 algorithm name, in Authorization headers and `x-oss-signature-version`.
pub const ALGORITHM_V4: &str = "OSS4-HMAC-SHA256";
/// The product part of the V4 scope.
pub const PRODUCT: &str = "oss";
/// The terminator of the V4 scope.
pub const SCOPE_TERMINATOR: &str = "aliyun_v4_request";
/// Longest validity of a V4 presigned URL, in seconds (7 days).
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of every length"),
    };
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The derived V4 signing key for one secret, day, region and product.
///
/// Deriving it costs four HMACs; callers that sign many requests per day may keep it. The key
/// also holds the HMAC state already keyed with it, so each signature skips the two
/// key-padding blocks of HMAC-SHA256.
#[derive(Clone)]
pub struct SigningKey {
    /// HMAC-SHA256 keyed with `kSigning`, cloned for every signature.
    mac: HmacSha256,
}

impl SigningKey {
    /// Wraps the derived `kSigning` bytes, keying the HMAC state once.
    fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mac = match HmacSha256::new_from_slice(&bytes) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 accepts keys of every length"),
        };
        SigningKey { mac }
    }

    /// Derives `kSigning` from the secret, the scope date (`yyyymmdd`), region and product.
    pub fn derive(secret: &str, date: &str, region: &str, product: &str) -> Self {
        let mut seed = Vec::with_capacity(9 + secret.len());
        seed.extend_from_slice(b"aliyun_v4");
        seed.extend_from_slice(secret.as_bytes());
        let k_date = hmac_sha256(&seed, date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_product = hmac_sha256(&k_region, product.as_bytes());
        SigningKey::from_bytes(hmac_sha256(&k_product, SCOPE_TERMINATOR.as_bytes()))
    }

    /// Lower-case hex HMAC-SHA256 of `message` under this key (the V4 signature).
    pub fn sign_hex(&self, message: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(message.as_bytes());
        hex_lower(&mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(******)")
    }
}

/// The last signing key derived on this thread, found again by a SHA-256 fingerprint of the
/// secret (the secret itself is not copied), the scope date and the region.
struct CachedKey {
    fingerprint: [u8; 32],
    date: String,
    region: String,
    key: SigningKey,
}

thread_local! {
    static LAST_KEY: std::cell::RefCell<Option<CachedKey>> = const { std::cell::RefCell::new(None) };
}

impl SigningKey {
    /// [`SigningKey::derive`] for product `oss`, memoised per thread: a client or server signs
    /// many requests a day with one secret and region, and a fingerprint costs one SHA-256 block
    /// where a derivation costs four HMACs. The result is the same as deriving afresh.
    pub fn derive_cached(secret: &str, date: &str, region: &str) -> Self {
        let fingerprint: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        LAST_KEY.with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else {
                return SigningKey::derive(secret, date, region, PRODUCT);
            };
            if let Some(hit) = slot
                .as_ref()
                .filter(|c| c.fingerprint == fingerprint && c.date == date && c.region == region)
            {
                return hit.key.clone();
            }
            let key = SigningKey::derive(secret, date, region, PRODUCT);
            *slot = Some(CachedKey {
                fingerprint,
                date: date.to_owned(),
                region: region.to_owned(),
                key: key.clone(),
            });
            key
        })
    }
}

/// `yyyymmdd/region/oss/aliyun_v4_request`.
pub fn scope(date: &str, region: &str) -> String {
    let mut s = String::with_capacity(date.len() + region.len() + 24);
    s.push_str(date);
    s.push('/');
    s.push_str(region);
    s.push('/');
    s.push_str(PRODUCT);
    s.push('/');
    s.push_str(SCOPE_TERMINATOR);
    s
}

/// The V4 string to sign for a canonical request.
pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM_V4.len() + datetime.len() + scope.len() + 67);
    s.push_str(ALGORITHM_V4);
    s.push('\n');
    s.push_str(datetime);
    s.push('\n');
    s.push_str(scope);
    s.push('\n');
    push_hex_lower(&mut s, &Sha256::digest(canonical_request.as_bytes()));
    s
}

/// Checks that `region` is a bare region id (`cn-hangzhou`): non-empty, `[a-z0-9-]`, and not
/// the endpoint spelling `oss-cn-hangzhou`.
pub fn validate_region(region: &str) -> Result<(), SignError> {
    if region.is_empty() {
        return Err(SignError::InvalidRegion {
            region: region.to_owned(),
            reason: "V4 signing needs a region (for example cn-hangzhou); none was given",
        });
    }
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(SignError::InvalidRegion {
            region: region.to_owned(),
            reason: "a region id contains only lower-case letters, digits and '-'",
        });
    }
    if region.starts_with("oss-") {
        return Err(SignError::InvalidRegion {
            region: region.to_owned(),
            reason: "this is an endpoint prefix; the region id has no 'oss-' (oss-cn-hangzhou -> cn-hangzhou)",
        });
    }
    Ok(())
}

fn header_value(name: &'static str, value: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue { name })
}

fn validate_additional(names: &[&str]) -> Result<(), SignError> {
    if names.iter().any(|n| n.trim().is_empty()) {
        return Err(SignError::EmptyAdditionalHeader);
    }
    Ok(())
}

/// Signs a request with V4 header auth.
///
/// The returned headers (`x-oss-date`, `x-oss-content-sha256` when the request has none,
/// `x-oss-security-token` for STS credentials, `Date`, `Authorization`) must be set on the request
/// as they are (replacing same-named headers). `additional_headers` names optional headers to
/// sign (e.g. `host`); default-signed and absent names are dropped.
pub fn sign_v4_header(
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    now: DateTime<Utc>,
    additional_headers: &[&str],
) -> Result<SignOutput, SignError> {
    validate_region(region)?;
    validate_additional(additional_headers)?;
    let datetime = iso8601_basic(now);
    let date = &datetime[..8];
    let http_now = http_date(now);

    let mut overrides: Vec<HeaderOverride<'_>> = Vec::with_capacity(4);
    overrides.push(HeaderOverride {
        name: OSS_DATE,
        value: &datetime,
    });
    let add_sha = !req.headers.contains_key(&CONTENT_SHA256_NAME);
    if add_sha {
        overrides.push(HeaderOverride {
            name: CONTENT_SHA256,
            value: UNSIGNED_PAYLOAD,
        });
    }
    if let Some(token) = &creds.security_token {
        overrides.push(HeaderOverride {
            name: SECURITY_TOKEN_HEADER,
            value: token.expose(),
        });
    }
    overrides.push(HeaderOverride {
        name: "date",
        value: &http_now,
    });

    let additional = normalize_additional_headers(additional_headers.iter().copied(), |n| {
        header_present(req.headers, &overrides, n)
    });
    let canonical_request = v4_canonical_request(&V4Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query: req.query,
        extra_query: &[],
        headers: req.headers,
        overrides: &overrides,
        additional: &additional,
    });
    let scope = scope(date, region);
    let string_to_sign = string_to_sign(&datetime, &scope, &canonical_request);
    let key = SigningKey::derive_cached(creds.access_key_secret.expose(), date, region);
    let signature = key.sign_hex(&string_to_sign);

    let mut authorization = String::with_capacity(200);
    authorization.push_str(ALGORITHM_V4);
    authorization.push_str(" Credential=");
    authorization.push_str(&creds.access_key_id);
    authorization.push('/');
    authorization.push_str(&scope);
    if !additional.is_empty() {
        authorization.push_str(",AdditionalHeaders=");
        authorization.push_str(&additional.join(";"));
    }
    authorization.push_str(",Signature=");
    authorization.push_str(&signature);

    let mut headers = Vec::with_capacity(5);
    headers.push((
        HeaderName::from_static(OSS_DATE),
        header_value(OSS_DATE, &datetime)?,
    ));
    if add_sha {
        headers.push((
            HeaderName::from_static(CONTENT_SHA256),
            HeaderValue::from_static(UNSIGNED_PAYLOAD),
        ));
    }
    if let Some(token) = &creds.security_token {
        let mut v = header_value(SECURITY_TOKEN_HEADER, token.expose())?;
        v.set_sensitive(true);
        headers.push((HeaderName::from_static(SECURITY_TOKEN_HEADER), v));
    }
    headers.push((http::header::DATE, header_value("date", &http_now)?));
    let mut auth = header_value("authorization", &authorization)?;
    auth.set_sensitive(true);
    headers.push((http::header::AUTHORIZATION, auth));

    Ok(SignOutput {
        headers,
        canonical_request,
        string_to_sign,
    })
}

/// Presigns a request with V4 query auth, valid for `expires_secs` (1..=604800) from `now`.
///
/// The returned query pairs (decoded) must be appended to the request's own query; every
/// `x-oss-*`, `content-type` and `content-md5` header in `req.headers` is signed and must be
/// sent by whoever uses the URL, as must the headers named in `additional_headers`.
pub fn presign_v4(
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    now: DateTime<Utc>,
    expires_secs: u64,
    additional_headers: &[&str],
) -> Result<PresignOutput, SignError> {
    validate_region(region)?;
    validate_additional(additional_headers)?;
    if !(1..=MAX_PRESIGN_EXPIRES_SECS).contains(&expires_secs) {
        return Err(SignError::InvalidExpires { expires_secs });
    }
    let datetime = iso8601_basic(now);
    let date = &datetime[..8];
    let scope = scope(date, region);
    let mut credential = String::with_capacity(creds.access_key_id.len() + 1 + scope.len());
    credential.push_str(&creds.access_key_id);
    credential.push('/');
    credential.push_str(&scope);
    let expires = expires_secs.to_string();
    let additional = normalize_additional_headers(additional_headers.iter().copied(), |n| {
        header_present(req.headers, &[], n)
    });
    let additional_joined = additional.join(";");

    let mut params: Vec<(&str, &str)> = Vec::with_capacity(6);
    params.push(("x-oss-signature-version", ALGORITHM_V4));
    params.push(("x-oss-credential", &credential));
    params.push(("x-oss-date", &datetime));
    params.push(("x-oss-expires", &expires));
    if !additional.is_empty() {
        params.push(("x-oss-additional-headers", &additional_joined));
    }
    if let Some(token) = &creds.security_token {
        params.push(("x-oss-security-token", token.expose()));
    }

    let canonical_request = v4_canonical_request(&V4Canonical {
        method: req.method,
        bucket: req.bucket,
        key: req.key,
        query: req.query,
        extra_query: &params,
        headers: req.headers,
        overrides: &[],
        additional: &additional,
    });
    let string_to_sign = string_to_sign(&datetime, &scope, &canonical_request);
    let key = SigningKey::derive_cached(creds.access_key_secret.expose(), date, region);
    let signature = key.sign_hex(&string_to_sign);

    let mut query: Vec<(String, String)> = params
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    query.push(("x-oss-signature".to_owned(), signature));
    let expires_at = now
        .checked_add_signed(chrono::Duration::seconds(expires_secs as i64))
        .ok_or(SignError::InvalidExpires { expires_secs })?;
    Ok(PresignOutput {
        query,
        canonical_request,
        string_to_sign,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_derivation_matches_a_fresh_one_whatever_changes() {
        let inputs = [
            ("secret-1", "20231216", "cn-hangzhou"),
            ("secret-2", "20231216", "cn-hangzhou"),
            ("secret-2", "20231217", "cn-hangzhou"),
            ("secret-2", "20231217", "cn-beijing"),
            ("secret-1", "20231216", "cn-hangzhou"),
        ];
        for (secret, date, region) in inputs {
            for _ in 0..2 {
                assert_eq!(
                    SigningKey::derive_cached(secret, date, region).sign_hex("probe"),
                    SigningKey::derive(secret, date, region, PRODUCT).sign_hex("probe")
                );
            }
        }
    }

    #[test]
    fn region_validation() {
        assert!(validate_region("cn-hangzhou").is_ok());
        assert!(validate_region("").is_err());
        assert!(validate_region("oss-cn-hangzhou").is_err());
        assert!(validate_region("CN_Hangzhou").is_err());
    }
}
