//! Canonicalisation shared by signing and verification: the one place that decides which
//! headers and query parameters are signed and how they are rendered, for V1 and V4.
//!
//! Both the signer (from a [`super::RequestParts`]) and the verifier (from what was received)
//! call these functions, so a rule change applies to both ends at once.

use std::borrow::Cow;
use std::ops::Range;

use http::HeaderMap;

use crate::encoding::encode_into;

/// The V4 payload hash used when `x-oss-content-sha256` is absent (and the only value OSS
/// accepts for header auth).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Header carrying the V4 payload hash.
pub const CONTENT_SHA256: &str = "x-oss-content-sha256";
/// [`CONTENT_SHA256`] as a header name (no parsing on lookup).
pub const CONTENT_SHA256_NAME: http::HeaderName = http::HeaderName::from_static(CONTENT_SHA256);
/// `content-md5` as a header name.
pub const CONTENT_MD5_NAME: http::HeaderName = http::HeaderName::from_static("content-md5");
/// [`OSS_DATE`] as a header name.
pub const OSS_DATE_NAME: http::HeaderName = http::HeaderName::from_static(OSS_DATE);
/// [`SECURITY_TOKEN_HEADER`] as a header name.
pub const SECURITY_TOKEN_NAME: http::HeaderName =
    http::HeaderName::from_static(SECURITY_TOKEN_HEADER);
/// Header carrying the signing time.
pub const OSS_DATE: &str = "x-oss-date";
/// Header carrying the STS token (V1 and V4 header auth, V4 query auth).
pub const SECURITY_TOKEN_HEADER: &str = "x-oss-security-token";
/// Query parameter carrying the STS token in V1 presigned URLs.
pub const SECURITY_TOKEN_QUERY_V1: &str = "security-token";

/// A header value as signed: bytes as text (lossy for non-UTF-8), surrounding whitespace trimmed.
fn header_text(value: &http::HeaderValue) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
        return Cow::Borrowed(text.trim());
    }
    match String::from_utf8_lossy(value.as_bytes()) {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

/// All values of header `name`, trimmed and joined with `,`; `None` when absent.
pub fn joined_header<'h, K: http::header::AsHeaderName>(
    headers: &'h HeaderMap,
    name: K,
) -> Option<Cow<'h, str>> {
    let mut values = headers.get_all(name).iter();
    let first = header_text(values.next()?);
    let Some(second) = values.next() else {
        return Some(first);
    };
    let mut out = first.into_owned();
    for v in std::iter::once(second).chain(values) {
        out.push(',');
        out.push_str(&header_text(v));
    }
    Some(Cow::Owned(out))
}

/// The first value of header `name` as raw text (untrimmed), or `""` when absent.
pub fn raw_header<'h, K: http::header::AsHeaderName>(
    headers: &'h HeaderMap,
    name: K,
) -> Cow<'h, str> {
    match headers.get(name) {
        Some(v) => String::from_utf8_lossy(v.as_bytes()),
        None => Cow::Borrowed(""),
    }
}

/// Lower-case hexadecimal rendering of `bytes` (the form of V4 hashes and signatures).
pub fn hex_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex_lower(&mut out, bytes);
    out
}

/// Appends the lower-case hexadecimal rendering of `bytes` to `out`, without a temporary.
pub fn push_hex_lower(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// Whether V4 signs header `lower_name` without being listed in AdditionalHeaders.
pub fn v4_signed_by_default(lower_name: &str) -> bool {
    lower_name.starts_with("x-oss-") || lower_name == "content-type" || lower_name == "content-md5"
}

/// A header the signer adds (or overrides) before canonicalising, e.g. `x-oss-date`.
#[derive(Debug, Clone, Copy)]
pub struct HeaderOverride<'a> {
    /// Lower-case header name.
    pub name: &'a str,
    /// Value to sign.
    pub value: &'a str,
}

/// Normalises a V4 AdditionalHeaders list: lower-case, drop default-signed names and names
/// not `present` in the request, sort, de-duplicate.
pub fn normalize_additional_headers<'n>(
    names: impl IntoIterator<Item = &'n str>,
    present: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = names
        .into_iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty() && !v4_signed_by_default(n) && present(n))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether header `lower_name` is present in `headers` or among `overrides`.
pub fn header_present(
    headers: &HeaderMap,
    overrides: &[HeaderOverride<'_>],
    lower_name: &str,
) -> bool {
    overrides.iter().any(|o| o.name == lower_name) || headers.contains_key(lower_name)
}

/// Everything that goes into a V4 canonical request.
///
/// `Q` is the text type of the decoded query pairs: `String` for the signer's
/// [`super::RequestParts`], `Cow<str>` for the verifier, which borrows unescaped parts from
/// the received query.
#[derive(Debug, Clone, Copy)]
pub struct V4Canonical<'a, Q: AsRef<str> = String> {
    /// HTTP method, upper-case as sent.
    pub method: &'a str,
    /// Bucket, if the request addresses one.
    pub bucket: Option<&'a str>,
    /// Decoded object key, if the request addresses an object.
    pub key: Option<&'a str>,
    /// Decoded query pairs of the request (without `x-oss-signature`).
    pub query: &'a [(Q, Q)],
    /// Further decoded query pairs (the presign parameters the signer adds).
    pub extra_query: &'a [(&'a str, &'a str)],
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Headers added by the signer; they replace request headers of the same name.
    pub overrides: &'a [HeaderOverride<'a>],
    /// Normalised AdditionalHeaders (see [`normalize_additional_headers`]).
    pub additional: &'a [String],
}

/// Appends the V4 canonical URI: strict-encoded `/bucket/key` keeping `/`.
pub fn v4_canonical_uri(out: &mut String, bucket: Option<&str>, key: Option<&str>) {
    out.push('/');
    if let Some(bucket) = bucket {
        encode_into(out, bucket, true);
        out.push('/');
        if let Some(key) = key {
            encode_into(out, key, true);
        }
    }
}

/// Appends the V4 canonical query: every pair strict-encoded (`/` too), sorted, `name` alone
/// for an empty value, joined by `&`.
///
/// All pairs are encoded once into one scratch buffer and sorted as byte ranges of it, so the
/// cost is two allocations whatever the number of parameters. Sorting is by encoded name, then
/// encoded value (the order OSS signs).
pub fn v4_canonical_query<Q: AsRef<str>>(
    out: &mut String,
    query: &[(Q, Q)],
    extra: &[(&str, &str)],
) {
    let pairs = query
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .chain(extra.iter().copied());
    let count = query.len() + extra.len();
    let mut scratch = String::with_capacity(count * 24);
    let mut ranges: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(count);
    for (n, v) in pairs {
        let name_start = scratch.len();
        encode_into(&mut scratch, n, false);
        let value_start = scratch.len();
        encode_into(&mut scratch, v, false);
        ranges.push((name_start..value_start, value_start..scratch.len()));
    }
    let text = scratch.as_str();
    ranges.sort_unstable_by(|(an, av), (bn, bv)| {
        text[an.clone()]
            .cmp(&text[bn.clone()])
            .then_with(|| text[av.clone()].cmp(&text[bv.clone()]))
    });
    for (i, (n, v)) in ranges.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&text[n]);
        if !v.is_empty() {
            out.push('=');
            out.push_str(&text[v]);
        }
    }
}

/// The signed V4 headers, lower-case name and value, sorted by name.
pub fn v4_canonical_headers<'c, Q: AsRef<str>>(
    c: &V4Canonical<'c, Q>,
) -> Vec<(&'c str, Cow<'c, str>)> {
    let mut out: Vec<(&'c str, Cow<'c, str>)> = Vec::with_capacity(8);
    // `HeaderMap::iter` yields every value of a name consecutively, so repeated values are
    // joined as they come (the same text as `joined_header`) without hashing any name again.
    let mut last_signed: Option<&'c http::HeaderName> = None;
    for (name, value) in c.headers.iter() {
        if last_signed == Some(name) {
            if let Some((_, joined)) = out.last_mut() {
                let joined = joined.to_mut();
                joined.push(',');
                joined.push_str(&header_text(value));
            }
            continue;
        }
        last_signed = None;
        let lower = name.as_str();
        if c.overrides.iter().any(|o| o.name == lower) {
            continue;
        }
        if v4_signed_by_default(lower) || c.additional.iter().any(|a| a == lower) {
            out.push((lower, header_text(value)));
            last_signed = Some(name);
        }
    }
    for o in c.overrides {
        if v4_signed_by_default(o.name) || c.additional.iter().any(|a| a == o.name) {
            out.push((o.name, Cow::Borrowed(o.value.trim())));
        }
    }
    out.sort_unstable();
    out
}

/// The V4 payload hash: `x-oss-content-sha256` (override first, then request) or
/// `UNSIGNED-PAYLOAD`.
pub fn v4_payload_hash<'c, Q: AsRef<str>>(c: &V4Canonical<'c, Q>) -> Cow<'c, str> {
    if let Some(o) = c.overrides.iter().find(|o| o.name == CONTENT_SHA256) {
        return Cow::Borrowed(o.value.trim());
    }
    joined_header(c.headers, &CONTENT_SHA256_NAME).unwrap_or(Cow::Borrowed(UNSIGNED_PAYLOAD))
}

/// Builds the V4 canonical request.
pub fn v4_canonical_request<Q: AsRef<str>>(c: &V4Canonical<'_, Q>) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(c.method);
    out.push('\n');
    v4_canonical_uri(&mut out, c.bucket, c.key);
    out.push('\n');
    v4_canonical_query(&mut out, c.query, c.extra_query);
    out.push('\n');
    for (name, value) in v4_canonical_headers(c) {
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('\n');
    for (i, a) in c.additional.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(a);
    }
    out.push('\n');
    out.push_str(&v4_payload_hash(c));
    out
}

/// Query parameter names that V1 signs (the union of every official SDK's list, so the server
/// knows every real sub-resource). Any name starting with `x-oss-` is signed as well.
pub const V1_SUB_RESOURCES: &[&str] = &[
    "accessPoint",
    "acl",
    "append",
    "asyncFetch",
    "bucketInfo",
    "callback",
    "callback-var",
    "cloudboxes",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "httpsConfig",
    "img",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "publicAccessBlock",
    "qos",
    "qosInfo",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "resourceGroup",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "responseHeader",
    "restore",
    "rtc",
    "seal",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "udf",
    "udfApplication",
    "udfApplicationLog",
    "udfId",
    "udfImage",
    "udfImageDesc",
    "udfName",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "withHashContext",
    "worm",
    "wormExtend",
    "wormId",
];

/// Whether V1 signs query parameter `name` (decoded).
pub fn v1_is_sub_resource(name: &str) -> bool {
    name.starts_with("x-oss-") || V1_SUB_RESOURCES.binary_search(&name).is_ok()
}

/// Everything that goes into a V1 string to sign (`Q` as in [`V4Canonical`]).
#[derive(Debug, Clone, Copy)]
pub struct V1Canonical<'a, Q: AsRef<str> = String> {
    /// HTTP method, upper-case as sent.
    pub method: &'a str,
    /// Bucket, if the request addresses one.
    pub bucket: Option<&'a str>,
    /// Decoded object key, if the request addresses an object.
    pub key: Option<&'a str>,
    /// Decoded query pairs (only sub-resources are signed).
    pub query: &'a [(Q, Q)],
    /// Further decoded query pairs (e.g. `security-token` added by the presigner).
    pub extra_query: &'a [(&'a str, &'a str)],
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Headers added by the signer; they replace request headers of the same name.
    pub overrides: &'a [HeaderOverride<'a>],
    /// The Date line: `x-oss-date`/`Date` for header auth, `Expires` for presigned URLs.
    pub date: &'a str,
}

/// Appends the V1 CanonicalizedResource: `/bucket/key` (raw key) plus sorted sub-resources.
pub fn v1_canonical_resource<Q: AsRef<str>>(
    out: &mut String,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(Q, Q)],
    extra: &[(&str, &str)],
) {
    out.push('/');
    if let Some(bucket) = bucket {
        out.push_str(bucket);
        out.push('/');
        if let Some(key) = key {
            out.push_str(key);
        }
    }
    let mut subs: Vec<(&str, &str)> = query
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .chain(extra.iter().copied())
        .filter(|(n, _)| v1_is_sub_resource(n))
        .collect();
    if subs.is_empty() {
        return;
    }
    subs.sort_unstable();
    out.push('?');
    for (i, (n, v)) in subs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        if !v.is_empty() {
            out.push('=');
            out.push_str(v);
        }
    }
}

/// Builds the V1 string to sign.
pub fn v1_string_to_sign<Q: AsRef<str>>(c: &V1Canonical<'_, Q>) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(c.method);
    out.push('\n');
    out.push_str(&raw_header(c.headers, &CONTENT_MD5_NAME));
    out.push('\n');
    out.push_str(&raw_header(c.headers, &http::header::CONTENT_TYPE));
    out.push('\n');
    out.push_str(c.date);
    out.push('\n');
    let mut oss_headers: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(6);
    for name in c.headers.keys() {
        let lower = name.as_str();
        if lower.starts_with("x-oss-") && !c.overrides.iter().any(|o| o.name == lower) {
            if let Some(value) = joined_header(c.headers, name) {
                oss_headers.push((lower, value));
            }
        }
    }
    for o in c.overrides {
        if o.name.starts_with("x-oss-") {
            oss_headers.push((o.name, Cow::Borrowed(o.value.trim())));
        }
    }
    oss_headers.sort_unstable();
    for (n, v) in &oss_headers {
        out.push_str(n);
        out.push(':');
        out.push_str(v);
        out.push('\n');
    }
    v1_canonical_resource(&mut out, c.bucket, c.key, c.query, c.extra_query);
    out
}

/// Masks secret values (signatures, tokens) in text about to be printed; lives in
/// [`redact`](super::redact), re-exported here where its callers have always found it.
pub use super::redact::redact_secrets;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_resource_list_is_sorted_for_binary_search() {
        let mut sorted = V1_SUB_RESOURCES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, V1_SUB_RESOURCES);
        assert!(v1_is_sub_resource("uploadId"));
        assert!(v1_is_sub_resource("x-oss-process"));
        assert!(!v1_is_sub_resource("prefix"));
        assert!(!v1_is_sub_resource("max-keys"));
    }

    #[test]
    fn additional_headers_normalisation() {
        let present = |n: &str| matches!(n, "abc" | "zabc" | "x-oss-head1");
        assert_eq!(
            normalize_additional_headers(["x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"], present),
            vec!["abc", "zabc"]
        );
    }

    #[test]
    fn repeated_headers_are_joined_in_order_like_joined_header() {
        let mut headers = HeaderMap::new();
        headers.append("x-oss-meta-a", http::HeaderValue::from_static(" one "));
        headers.append("content-type", http::HeaderValue::from_static("text/plain"));
        headers.append("x-oss-meta-a", http::HeaderValue::from_static("two"));
        headers.append("x-oss-meta-b", http::HeaderValue::from_static("b"));
        headers.append("x-oss-meta-a", http::HeaderValue::from_static(" three"));
        let c: V4Canonical<'_> = V4Canonical {
            method: "GET",
            bucket: None,
            key: None,
            query: &[],
            extra_query: &[],
            headers: &headers,
            overrides: &[],
            additional: &[],
        };
        let got: Vec<(&str, String)> = v4_canonical_headers(&c)
            .into_iter()
            .map(|(n, v)| (n, v.into_owned()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("content-type", "text/plain".to_owned()),
                ("x-oss-meta-a", "one,two,three".to_owned()),
                ("x-oss-meta-b", "b".to_owned()),
            ]
        );
        assert_eq!(
            joined_header(&headers, "x-oss-meta-a").as_deref(),
            Some("one,two,three")
        );
    }

    #[test]
    fn canonical_query_sorts_encoded_pairs() {
        let query = vec![
            ("b".to_owned(), "2".to_owned()),
            ("a b".to_owned(), "x/y".to_owned()),
            ("a".to_owned(), String::new()),
        ];
        let mut out = String::new();
        v4_canonical_query(&mut out, &query, &[("~", "z"), ("a", "1")]);
        assert_eq!(out, "a&a=1&a%20b=x%2Fy&b=2&~=z");
    }
}
