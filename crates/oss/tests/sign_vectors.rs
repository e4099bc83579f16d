//! Every signing vector of `oss-protocol.md` section 3, bit for bit, and each one accepted by
//! the verifier the local server uses.

use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::encoding::{content_md5, encode_strict, object_path};
use jitstore_oss::sign::time::parse_http_date;
use jitstore_oss::sign::{
    presign_v1, presign_v4, sign_v1_header, sign_v4_header, verify, PresignOutput, ReceivedRequest,
    RequestParts, SignOutput, Verified, VerifyPolicy,
};
use sha2::{Digest, Sha256};

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0)
        .single()
        .expect("valid test timestamp")
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in pairs {
        h.append(
            HeaderName::from_bytes(n.as_bytes()).expect("test header name"),
            HeaderValue::from_str(v).expect("test header value"),
        );
    }
    h
}

fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Renders decoded pairs as a wire query, strict-encoded and sorted by name (as GO2 emits).
fn wire_query(pairs: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (encode_strict(n), encode_strict(v)))
        .collect();
    enc.sort();
    enc.iter()
        .map(|(n, v)| {
            if v.is_empty() {
                n.clone()
            } else {
                format!("{n}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn value<'a>(out: &'a PresignOutput, name: &str) -> &'a str {
    out.query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("presign output lacks {name}"))
}

/// Replays a signed request through the verifier, as the local server would receive it.
#[allow(clippy::too_many_arguments)]
fn assert_verifies(
    method: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    base_query: &[(String, String)],
    mut hdrs: HeaderMap,
    signed: Option<&SignOutput>,
    presigned: Option<&PresignOutput>,
    creds: &Credentials,
    region: &str,
    now: DateTime<Utc>,
) {
    let mut all_query = base_query.to_vec();
    if let Some(s) = signed {
        s.apply_to(&mut hdrs);
    }
    if let Some(p) = presigned {
        all_query.extend(p.query.iter().cloned());
    }
    let raw = wire_query(&all_query);
    let req = ReceivedRequest {
        method,
        bucket,
        key,
        raw_query: &raw,
        headers: &hdrs,
    };
    let policy = VerifyPolicy::new(region, now);
    let lookup = |ak: &str| (ak == creds.access_key_id).then(|| creds.clone());
    match verify(&req, &policy, &lookup) {
        Ok(Verified::Authenticated { access_key_id, .. }) => {
            assert_eq!(access_key_id, creds.access_key_id)
        }
        other => panic!("vector did not verify: {other:?}"),
    }
}

// ---------------------------------------------------------------- V1 header (3.1)

#[test]
fn v1_doc_example() {
    let h = headers(&[
        (
            "Content-MD5",
            "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
        ),
        ("Content-Type", "text/html"),
        ("X-OSS-Meta-Author", "foo@bar.com"),
        ("X-OSS-Magic", "abracadabra"),
    ]);
    let now = parse_http_date("Thu, 17 Nov 2005 18:49:58 GMT").expect("date");
    let creds = Credentials::new(
        "44CF9590006BF252F707",
        "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
    );
    let req = RequestParts {
        method: "PUT",
        bucket: Some("oss-example"),
        key: Some("nelson"),
        query: &[],
        headers: &h,
    };
    let out = sign_v1_header(&req, &creds, now).expect("sign");
    assert_eq!(
        out.string_to_sign,
        "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson"
    );
    assert_eq!(
        out.authorization(),
        Some("OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=")
    );
    assert!(out
        .headers
        .iter()
        .any(|(n, v)| n == http::header::DATE && v == "Thu, 17 Nov 2005 18:49:58 GMT"));
    assert_verifies(
        "PUT",
        Some("oss-example"),
        Some("nelson"),
        &[],
        h,
        Some(&out),
        None,
        &creds,
        "cn-hangzhou",
        now,
    );
}

fn v1_sdk_headers() -> HeaderMap {
    headers(&[
        ("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw=="),
        ("Content-Type", "text/html"),
        ("x-oss-meta-author", "alice"),
        ("x-oss-meta-magic", "abracadabra"),
        ("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT"),
    ])
}

/// The SDK tests sign at 2023-12-16 while x-oss-date carries 2022: the Date line must be x-oss-date.
fn sdk_sign_time() -> DateTime<Utc> {
    at(1702743657)
}

fn server_time_v1() -> DateTime<Utc> {
    parse_http_date("Wed, 28 Dec 2022 10:30:00 GMT").expect("date")
}

#[test]
fn v1_a_b_header() {
    let creds = Credentials::new("ak", "sk");
    let h = v1_sdk_headers();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("examplebucket"),
        key: Some("nelson"),
        query: &[],
        headers: &h,
    };
    let a = sign_v1_header(&req, &creds, sdk_sign_time()).expect("sign");
    assert_eq!(
        a.string_to_sign,
        "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson"
    );
    assert_eq!(
        a.authorization(),
        Some("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=")
    );
    assert_verifies(
        "PUT",
        Some("examplebucket"),
        Some("nelson"),
        &[],
        h.clone(),
        Some(&a),
        None,
        &creds,
        "cn-hangzhou",
        server_time_v1(),
    );

    let q = query(&[("acl", "")]);
    let req_b = RequestParts { query: &q, ..req };
    let b = sign_v1_header(&req_b, &creds, sdk_sign_time()).expect("sign");
    assert!(b.string_to_sign.ends_with("/examplebucket/nelson?acl"));
    assert_eq!(
        b.authorization(),
        Some("OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=")
    );
    assert_verifies(
        "PUT",
        Some("examplebucket"),
        Some("nelson"),
        &q,
        h,
        Some(&b),
        None,
        &creds,
        "cn-hangzhou",
        server_time_v1(),
    );
}

#[test]
fn v1_c_d_bucket_level_sub_resources() {
    let creds = Credentials::new("ak", "sk");
    let h = headers(&[("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT")]);
    let qc = query(&[("resourceGroup", ""), ("non-resousce", "null")]);
    let c = sign_v1_header(
        &RequestParts {
            method: "GET",
            bucket: Some("examplebucket"),
            key: None,
            query: &qc,
            headers: &h,
        },
        &creds,
        sdk_sign_time(),
    )
    .expect("sign");
    assert_eq!(
        c.string_to_sign,
        "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?resourceGroup"
    );
    assert_eq!(
        c.authorization(),
        Some("OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=")
    );
    assert_verifies(
        "GET",
        Some("examplebucket"),
        None,
        &qc,
        h.clone(),
        Some(&c),
        None,
        &creds,
        "cn-hangzhou",
        server_time_v1(),
    );

    let qd = query(&[("resourceGroup", ""), ("acl", "")]);
    let d = sign_v1_header(
        &RequestParts {
            method: "GET",
            bucket: Some("examplebucket"),
            key: None,
            query: &qd,
            headers: &h,
        },
        &creds,
        sdk_sign_time(),
    )
    .expect("sign");
    assert!(d
        .string_to_sign
        .ends_with("/examplebucket/?acl&resourceGroup"));
    assert_eq!(
        d.authorization(),
        Some("OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=")
    );
}

#[test]
fn v1_sts_header_token_is_canonicalised() {
    let creds =
        Credentials::new("access_key_id", "access_key_secret").with_security_token("sts-token");
    let h = headers(&[("x-oss-meta-color", "blue")]);
    let now = at(1717332000);
    let out = sign_v1_header(
        &RequestParts {
            method: "GET",
            bucket: Some("bucket"),
            key: Some("object.txt"),
            query: &[],
            headers: &h,
        },
        &creds,
        now,
    )
    .expect("sign");
    assert_eq!(
        out.string_to_sign,
        "GET\n\n\nSun, 02 Jun 2024 12:40:00 GMT\nx-oss-meta-color:blue\nx-oss-security-token:sts-token\n/bucket/object.txt"
    );
    assert_eq!(
        out.authorization(),
        Some("OSS access_key_id:RTgMIQ5c/Q/SlTXcQO/1JLTuItI=")
    );
    assert!(out
        .headers
        .iter()
        .any(|(n, v)| n == "x-oss-security-token" && v == "sts-token"));
    assert_verifies(
        "GET",
        Some("bucket"),
        Some("object.txt"),
        &[],
        h,
        Some(&out),
        None,
        &creds,
        "cn-beijing",
        now,
    );
}

// ---------------------------------------------------------------- V1 presign (3.2)

#[test]
fn p1_a_b_c_presigned_urls() {
    let h = HeaderMap::new();
    let q = query(&[("versionId", "versionId")]);
    let base = RequestParts {
        method: "GET",
        bucket: Some("bucket"),
        key: Some("key"),
        query: &q,
        headers: &h,
    };
    let creds = Credentials::new("ak", "sk");
    let a = presign_v1(&base, &creds, 1699807420).expect("presign");
    assert_eq!(
        a.string_to_sign,
        "GET\n\n\n1699807420\n/bucket/key?versionId=versionId"
    );
    let mut all = q.clone();
    all.extend(a.query.iter().cloned());
    assert_eq!(
        format!("http://bucket.oss-cn-hangzhou.aliyuncs.com{}?{}", object_path("key").unwrap(), wire_query(&all)),
        "http://bucket.oss-cn-hangzhou.aliyuncs.com/key?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId"
    );
    assert_eq!(a.expires_at, at(1699807420));
    assert_verifies(
        "GET",
        Some("bucket"),
        Some("key"),
        &q,
        h.clone(),
        None,
        Some(&a),
        &creds,
        "cn-hangzhou",
        at(1699807000),
    );

    let sts = Credentials::new("ak", "sk").with_security_token("token");
    let req_b = RequestParts {
        key: Some("key+123"),
        ..base
    };
    let b = presign_v1(&req_b, &sts, 1699808204).expect("presign");
    assert_eq!(
        b.string_to_sign,
        "GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId"
    );
    let mut all = q.clone();
    all.extend(b.query.iter().cloned());
    assert_eq!(
        format!("http://bucket.oss-cn-hangzhou.aliyuncs.com{}?{}", object_path("key+123").unwrap(), wire_query(&all)),
        "http://bucket.oss-cn-hangzhou.aliyuncs.com/key%2B123?Expires=1699808204&OSSAccessKeyId=ak&Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D&security-token=token&versionId=versionId"
    );
    assert_verifies(
        "GET",
        Some("bucket"),
        Some("key+123"),
        &q,
        h.clone(),
        None,
        Some(&b),
        &sts,
        "cn-hangzhou",
        at(1699808000),
    );

    let sts_c =
        Credentials::new("ak", "sk").with_security_token("attachment; /file/name==example.txt++");
    let c = presign_v1(&req_b, &sts_c, 1699808204).expect("presign");
    assert!(c.string_to_sign.ends_with(
        "/bucket/key+123?security-token=attachment; /file/name==example.txt++&versionId=versionId"
    ));
    assert_eq!(value(&c, "Signature"), "su58IVk06Q73DHwcMsXft/RTZ98=");
    let mut all = q.clone();
    all.extend(c.query.iter().cloned());
    let wire = wire_query(&all);
    assert!(wire.contains("Signature=su58IVk06Q73DHwcMsXft%2FRTZ98%3D"));
    assert!(wire.contains("security-token=attachment%3B%20%2Ffile%2Fname%3D%3Dexample.txt%2B%2B"));
    assert_verifies(
        "GET",
        Some("bucket"),
        Some("key+123"),
        &q,
        h,
        None,
        Some(&c),
        &sts_c,
        "cn-hangzhou",
        at(1699808000),
    );
}

#[test]
fn p1_d_presign_with_headers_and_many_params() {
    let h = headers(&[
        ("x-oss-head1", "value"),
        ("abc", "value"),
        ("ZAbc", "value"),
        ("XYZ", "value"),
        ("content-type", "application/octet-stream"),
    ]);
    let q = query(&[
        ("versionId", "versionId"),
        ("param1", "value1"),
        ("+param1", "value3"),
        ("|param1", "value4"),
        ("+param2", ""),
        ("|param2", ""),
        ("param2", ""),
        (
            "response-content-disposition",
            "attachment; filename=example.txt",
        ),
    ]);
    let sts = Credentials::new("ak", "sk").with_security_token("token");
    let req = RequestParts {
        method: "GET",
        bucket: Some("bucket"),
        key: Some("key"),
        query: &q,
        headers: &h,
    };
    let d = presign_v1(&req, &sts, 1699808204).expect("presign");
    assert_eq!(
        d.string_to_sign,
        "GET\n\napplication/octet-stream\n1699808204\nx-oss-head1:value\n/bucket/key?response-content-disposition=attachment; filename=example.txt&security-token=token&versionId=versionId"
    );
    assert_eq!(value(&d, "Signature"), "VmWfLWfxbR3MSFvUx5+nyQhCa3g=");
    assert_verifies(
        "GET",
        Some("bucket"),
        Some("key"),
        &q,
        h,
        None,
        Some(&d),
        &sts,
        "cn-hangzhou",
        at(1699808000),
    );
}

#[test]
fn p1_doc_example() {
    let h = HeaderMap::new();
    let creds = Credentials::new(
        "44CF9590006BF252F707",
        "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV",
    );
    let out = presign_v1(
        &RequestParts {
            method: "GET",
            bucket: Some("oss-example"),
            key: Some("oss-api.pdf"),
            query: &[],
            headers: &h,
        },
        &creds,
        1141889120,
    )
    .expect("presign");
    assert_eq!(
        out.string_to_sign,
        "GET\n\n\n1141889120\n/oss-example/oss-api.pdf"
    );
    assert_eq!(
        wire_query(&out.query),
        "Expires=1141889120&OSSAccessKeyId=44CF9590006BF252F707&Signature=EwaNTn1erJGkimiJ9WmXgwnANLc%3D"
    );
}

// ---------------------------------------------------------------- V4 header (3.3)

fn v4_sdk_headers(content_type: &str, with_sha: bool) -> HeaderMap {
    let mut pairs = vec![
        ("x-oss-head1", "value"),
        ("abc", "value"),
        ("ZAbc", "value"),
        ("XYZ", "value"),
        ("content-type", content_type),
    ];
    if with_sha {
        pairs.push(("x-oss-content-sha256", "UNSIGNED-PAYLOAD"));
    }
    headers(&pairs)
}

fn v4_sdk_query() -> Vec<(String, String)> {
    query(&[
        ("param1", "value1"),
        ("+param1", "value3"),
        ("|param1", "value4"),
        ("+param2", ""),
        ("|param2", ""),
        ("param2", ""),
    ])
}

const V4_KEY: &str = "1234+-/123/1.txt";

#[test]
fn v4_a_header() {
    let h = v4_sdk_headers("text/plain", true);
    let q = v4_sdk_query();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(V4_KEY),
        query: &q,
        headers: &h,
    };
    let creds = Credentials::new("ak", "sk");
    let out = sign_v4_header(&req, &creds, "cn-hangzhou", at(1702743657), &[]).expect("sign");
    assert_eq!(
        out.canonical_request,
        "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
    );
    assert_eq!(
        out.string_to_sign,
        "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
    );
    assert_eq!(
        out.authorization(),
        Some("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
    );
    // The request already carries x-oss-content-sha256, so the signer does not add another.
    assert!(!out.headers.iter().any(|(n, _)| n == "x-oss-content-sha256"));
    assert!(out
        .headers
        .iter()
        .any(|(n, v)| n == "x-oss-date" && v == "20231216T162057Z"));
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        Some(&out),
        None,
        &creds,
        "cn-hangzhou",
        at(1702743657 + 60),
    );
}

#[test]
fn v4_b_header_sts() {
    let h = v4_sdk_headers("text/plain", true);
    let q = v4_sdk_query();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(V4_KEY),
        query: &q,
        headers: &h,
    };
    let creds = Credentials::new("ak", "sk").with_security_token("token");
    let out = sign_v4_header(&req, &creds, "cn-hangzhou", at(1702784856), &[]).expect("sign");
    assert!(out
        .canonical_request
        .contains("x-oss-date:20231217T034736Z\nx-oss-head1:value\nx-oss-security-token:token\n\n\nUNSIGNED-PAYLOAD"));
    assert_eq!(
        sha256_hex(&out.canonical_request),
        "69494678fb11579d4ee12996e2796d9e2ba43c34aa4c723c4aec018f3d6b86b8"
    );
    assert_eq!(
        out.authorization(),
        Some("OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea")
    );
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        Some(&out),
        None,
        &creds,
        "cn-hangzhou",
        at(1702784856),
    );
}

#[test]
fn v4_c_header_additional_headers() {
    let h = v4_sdk_headers("text/plain", true);
    let q = v4_sdk_query();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(V4_KEY),
        query: &q,
        headers: &h,
    };
    let creds = Credentials::new("ak", "sk");
    let expected = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f";
    for additional in [
        &["ZAbc", "abc"][..],
        &["x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"][..],
    ] {
        let out =
            sign_v4_header(&req, &creds, "cn-hangzhou", at(1702747512), additional).expect("sign");
        assert!(out.canonical_request.contains(
            "abc:value\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T172512Z\nx-oss-head1:value\nzabc:value\n\nabc;zabc\nUNSIGNED-PAYLOAD"
        ));
        assert_eq!(
            sha256_hex(&out.canonical_request),
            "16b86004ed2cc3406dd7a13081bd940ef6a5ad49e508da2d4fdf84e8a5dd2145"
        );
        assert_eq!(out.authorization(), Some(expected));
        assert_verifies(
            "PUT",
            Some("bucket"),
            Some(V4_KEY),
            &q,
            h.clone(),
            Some(&out),
            None,
            &creds,
            "cn-hangzhou",
            at(1702747512),
        );
    }
}

#[test]
fn v4_doc_header() {
    let h = headers(&[
        ("Content-Disposition", "attachment"),
        ("Content-Length", "3"),
        ("Content-MD5", "ICy5YqxZB1uWSwcVLSNLcA=="),
        ("Content-Type", "text/plain"),
    ]);
    let req = RequestParts {
        method: "PUT",
        bucket: Some("examplebucket"),
        key: Some("exampleobject"),
        query: &[],
        headers: &h,
    };
    let creds = Credentials::new("testid", "yourAccessKeySecret");
    let out = sign_v4_header(
        &req,
        &creds,
        "cn-hangzhou",
        at(1744353684),
        &["content-disposition", "content-length"],
    )
    .expect("sign");
    assert_eq!(
        out.canonical_request,
        "PUT\n/examplebucket/exampleobject\n\ncontent-disposition:attachment\ncontent-length:3\ncontent-md5:ICy5YqxZB1uWSwcVLSNLcA==\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20250411T064124Z\n\ncontent-disposition;content-length\nUNSIGNED-PAYLOAD"
    );
    assert_eq!(
        sha256_hex(&out.canonical_request),
        "c46d96390bdbc2d739ac9363293ae9d710b14e48081fcb22cd8ad54b63136eca"
    );
    assert_eq!(
        out.authorization(),
        Some("OSS4-HMAC-SHA256 Credential=testid/20250411/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=content-disposition;content-length,Signature=d3694c2dfc5371ee6acd35e88c4871ac95a7ba01d3a2f476768fe61218590097")
    );
    assert!(out
        .headers
        .iter()
        .any(|(n, v)| n == "x-oss-content-sha256" && v == "UNSIGNED-PAYLOAD"));
    assert_verifies(
        "PUT",
        Some("examplebucket"),
        Some("exampleobject"),
        &[],
        h.clone(),
        Some(&out),
        None,
        &creds,
        "cn-hangzhou",
        at(1744353684),
    );

    // The spelling the doc and reqsign use (", " separators) verifies too.
    let mut hdrs = h;
    out.apply_to(&mut hdrs);
    hdrs.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("OSS4-HMAC-SHA256 Credential=testid/20250411/cn-hangzhou/oss/aliyun_v4_request, AdditionalHeaders=content-disposition;content-length, Signature=d3694c2dfc5371ee6acd35e88c4871ac95a7ba01d3a2f476768fe61218590097"),
    );
    let req = ReceivedRequest {
        method: "PUT",
        bucket: Some("examplebucket"),
        key: Some("exampleobject"),
        raw_query: "",
        headers: &hdrs,
    };
    let lookup = |ak: &str| (ak == "testid").then(|| creds.clone());
    assert!(verify(
        &req,
        &VerifyPolicy::new("cn-hangzhou", at(1744353684)),
        &lookup
    )
    .is_ok());
}

// ---------------------------------------------------------------- V4 presign (3.4)

fn p4(
    creds: &Credentials,
    sign_time: i64,
    expiration: i64,
    additional: &[&str],
) -> (PresignOutput, HeaderMap, Vec<(String, String)>) {
    let h = v4_sdk_headers("application/octet-stream", false);
    let q = v4_sdk_query();
    let req = RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some(V4_KEY),
        query: &q,
        headers: &h,
    };
    let out = presign_v4(
        &req,
        creds,
        "cn-hangzhou",
        at(sign_time),
        (expiration - sign_time) as u64,
        additional,
    )
    .expect("presign");
    (out, h, q)
}

#[test]
fn p4_a_presign() {
    let creds = Credentials::new("ak", "sk");
    let (out, h, q) = p4(&creds, 1702781677, 1702782276, &[]);
    assert_eq!(
        out.canonical_request,
        "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256\ncontent-type:application/octet-stream\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
    );
    assert_eq!(
        sha256_hex(&out.canonical_request),
        "48814c11f278d51662015bf2f896b66ca10b6de0187ed8d952e341bbce0aa336"
    );
    assert_eq!(value(&out, "x-oss-date"), "20231217T025437Z");
    assert_eq!(value(&out, "x-oss-expires"), "599");
    assert_eq!(value(&out, "x-oss-signature-version"), "OSS4-HMAC-SHA256");
    assert!(wire_query(&out.query)
        .contains("x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"));
    assert!(!out
        .query
        .iter()
        .any(|(n, _)| n == "x-oss-additional-headers"));
    assert_eq!(
        value(&out, "x-oss-signature"),
        "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe"
    );
    assert_eq!(out.expires_at, at(1702782276));
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        None,
        Some(&out),
        &creds,
        "cn-hangzhou",
        at(1702781677 + 10),
    );
}

#[test]
fn p4_b_presign_sts() {
    let creds = Credentials::new("ak", "sk").with_security_token("token");
    let (out, h, q) = p4(&creds, 1702785388, 1702785987, &[]);
    assert!(out.canonical_request.contains(
        "&x-oss-expires=599&x-oss-security-token=token&x-oss-signature-version=OSS4-HMAC-SHA256\n"
    ));
    assert_eq!(value(&out, "x-oss-date"), "20231217T035628Z");
    assert_eq!(value(&out, "x-oss-security-token"), "token");
    assert_eq!(
        value(&out, "x-oss-signature"),
        "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5"
    );
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        None,
        Some(&out),
        &creds,
        "cn-hangzhou",
        at(1702785388),
    );
}

#[test]
fn p4_c_presign_additional_headers() {
    let creds = Credentials::new("ak", "sk");
    let (out, h, q) = p4(&creds, 1702783809, 1702784408, &["ZAbc", "abc"]);
    assert!(out
        .canonical_request
        .contains("&param2&x-oss-additional-headers=abc%3Bzabc&x-oss-credential="));
    assert!(out.canonical_request.contains(
        "\nabc:value\ncontent-type:application/octet-stream\nx-oss-head1:value\nzabc:value\n\nabc;zabc\nUNSIGNED-PAYLOAD"
    ));
    assert_eq!(value(&out, "x-oss-date"), "20231217T033009Z");
    assert_eq!(value(&out, "x-oss-additional-headers"), "abc;zabc");
    assert!(wire_query(&out.query).contains("x-oss-additional-headers=abc%3Bzabc"));
    assert_eq!(
        value(&out, "x-oss-signature"),
        "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7"
    );
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        None,
        Some(&out),
        &creds,
        "cn-hangzhou",
        at(1702784000),
    );
}

#[test]
fn p4_d_presign_five_days() {
    let creds = Credentials::new("ak", "sk");
    let (out, h, q) = p4(&creds, 1702781677, 1702781677 + 5 * 86400, &[]);
    assert_eq!(value(&out, "x-oss-expires"), "432000");
    assert_eq!(
        value(&out, "x-oss-signature"),
        "31029123dc7732d2d2cfd4006ea4fdb6cf86da6478f813e2bf8f87877c7b9fec"
    );
    assert_verifies(
        "PUT",
        Some("bucket"),
        Some(V4_KEY),
        &q,
        h,
        None,
        Some(&out),
        &creds,
        "cn-hangzhou",
        at(1702781677 + 4 * 86400),
    );
}

#[test]
fn p4_doc_presign_signs_host() {
    let h = headers(&[("host", "examplebucket.oss-cn-hangzhou.aliyuncs.com")]);
    let req = RequestParts {
        method: "GET",
        bucket: Some("examplebucket"),
        key: Some("exampleobject"),
        query: &[],
        headers: &h,
    };
    let creds = Credentials::new("testid", "yourAccessKeySecret");
    let out = presign_v4(
        &req,
        &creds,
        "cn-hangzhou",
        at(1733196187),
        86400,
        &["host"],
    )
    .expect("presign");
    assert_eq!(
        out.canonical_request,
        "GET\n/examplebucket/exampleobject\nx-oss-additional-headers=host&x-oss-credential=testid%2F20241203%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20241203T032307Z&x-oss-expires=86400&x-oss-signature-version=OSS4-HMAC-SHA256\nhost:examplebucket.oss-cn-hangzhou.aliyuncs.com\n\nhost\nUNSIGNED-PAYLOAD"
    );
    let wire = wire_query(&out.query);
    assert_eq!(
        wire,
        "x-oss-additional-headers=host&x-oss-credential=testid%2F20241203%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20241203T032307Z&x-oss-expires=86400&x-oss-signature=a9ad2ce702a93c7c36ace35dd4e1b80cb76a999c890d7dfe78ff342a23dac8e0&x-oss-signature-version=OSS4-HMAC-SHA256"
    );
    assert_verifies(
        "GET",
        Some("examplebucket"),
        Some("exampleobject"),
        &[],
        h,
        None,
        Some(&out),
        &creds,
        "cn-hangzhou",
        at(1733196187 + 3600),
    );
}

// ---------------------------------------------------------------- checksums (3.5)

#[test]
fn content_md5_examples() {
    assert_eq!(content_md5(b"0123456789"), "eB5eJF1ptWaXm4bijSPyxw==");
    assert_eq!(content_md5(b""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}
