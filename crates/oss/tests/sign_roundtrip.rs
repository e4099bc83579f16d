//! Property test: whatever a client signs (V1/V4, header/presigned, with or without STS), the
//! server-side verifier accepts after the request crosses the wire; and any change to a signed
//! part of the request makes verification fail.

use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::encoding::{decode, encode_strict, object_path};
use jitstore_oss::sign::{
    presign_v1, presign_v4, sign_v1_header, sign_v4_header, verify, ReceivedRequest, RequestParts,
    SignatureVersion, Verified, VerifyError, VerifyPolicy,
};
use proptest::prelude::*;

const REGION: &str = "cn-hangzhou";

/// Text made of the characters that break naive encoders.
fn tricky_text(min: usize, max: usize) -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        " ", "+", "#", "?", "%", "&", "=", "中", "文", "😀", "/", "a", "Z", "0", "-", "_", ".",
        "~", "%2F", "%20", "*", "'", ";", ":", "@", "!", "(", ")", "ü",
    ]);
    prop::collection::vec(atoms, min..=max).prop_map(|v| v.concat())
}

fn object_key() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "中", "😀", "k", " ", "+", "#"]),
        tricky_text(0, 12),
    )
        .prop_map(|(first, rest)| format!("{first}{rest}"))
}

fn query_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let names = prop::sample::select(vec![
        "versionId",
        "uploadId",
        "partNumber",
        "response-content-disposition",
        "response-content-type",
        "x-oss-process",
        "acl",
        "prefix",
        "max-keys",
        "weird +name&=",
    ]);
    prop::collection::vec((names, tricky_text(0, 8)), 0..5).prop_map(|pairs| {
        let mut out: Vec<(String, String)> = Vec::new();
        for (n, v) in pairs {
            if !out.iter().any(|(m, _)| m == n) {
                out.push((n.to_owned(), v));
            }
        }
        out
    })
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    key: String,
    query: Vec<(String, String)>,
    meta: Vec<(String, String)>,
    content_type: Option<String>,
    secret: String,
    token: Option<String>,
    version: SignatureVersion,
    presign: bool,
    sign_time: i64,
    server_delay: i64,
    tamper: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "PUT", "HEAD", "DELETE", "POST"]),
        object_key(),
        query_pairs(),
        prop::collection::vec(("[a-z]{1,6}", "[ -~]{0,12}"), 0..3),
        prop::option::of(prop::sample::select(vec![
            "text/plain",
            "application/octet-stream",
            "image/png",
        ])),
        tricky_text(1, 10),
        prop::option::of("[A-Za-z0-9+/=]{1,40}"),
        any::<bool>(),
        any::<bool>(),
        1_600_000_000i64..1_900_000_000i64,
        0i64..600,
        0usize..8,
    )
        .prop_map(
            |(
                method,
                key,
                query,
                meta,
                ct,
                secret,
                token,
                v4,
                presign,
                sign_time,
                server_delay,
                tamper,
            )| {
                let mut meta_unique: Vec<(String, String)> = Vec::new();
                for (n, v) in meta {
                    let n = format!("x-oss-meta-{n}");
                    if !meta_unique.iter().any(|(m, _)| *m == n) {
                        meta_unique.push((n, v));
                    }
                }
                Case {
                    method,
                    key,
                    query,
                    meta: meta_unique,
                    content_type: ct.map(str::to_owned),
                    secret,
                    token,
                    version: if v4 {
                        SignatureVersion::V4
                    } else {
                        SignatureVersion::V1
                    },
                    presign,
                    sign_time,
                    server_delay,
                    tamper,
                }
            },
        )
}

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().expect("time in range")
}

/// A request as it arrives at the server.
struct Wire {
    method: String,
    path: String,
    raw_query: String,
    headers: HeaderMap,
}

fn wire_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| {
            if v.is_empty() {
                encode_strict(n)
            } else {
                format!("{}={}", encode_strict(n), encode_strict(v))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn sign(case: &Case) -> Wire {
    let mut creds = Credentials::new("LTAI-test-ak", case.secret.clone());
    if let Some(t) = &case.token {
        creds = creds.with_security_token(t.clone());
    }
    let mut headers = HeaderMap::new();
    for (n, v) in &case.meta {
        headers.insert(
            HeaderName::from_bytes(n.as_bytes()).expect("meta name"),
            HeaderValue::from_str(v).expect("printable ASCII"),
        );
    }
    if let Some(ct) = &case.content_type {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(ct).expect("ct"),
        );
    }
    headers.insert(
        http::header::HOST,
        HeaderValue::from_static("bucket-1.oss-cn-hangzhou.aliyuncs.com"),
    );
    let req = RequestParts {
        method: case.method,
        bucket: Some("bucket-1"),
        key: Some(&case.key),
        query: &case.query,
        headers: &headers,
    };
    let now = at(case.sign_time);
    let mut query = case.query.clone();
    match (case.version, case.presign) {
        (SignatureVersion::V4, false) => sign_v4_header(&req, &creds, REGION, now, &["host"])
            .expect("sign")
            .apply_to(&mut headers),
        (SignatureVersion::V1, false) => sign_v1_header(&req, &creds, now)
            .expect("sign")
            .apply_to(&mut headers),
        (SignatureVersion::V4, true) => query.extend(
            presign_v4(&req, &creds, REGION, now, 900, &["host"])
                .expect("presign")
                .query,
        ),
        (SignatureVersion::V1, true) => query.extend(
            presign_v1(&req, &creds, case.sign_time + 900)
                .expect("presign")
                .query,
        ),
    }
    Wire {
        method: case.method.to_owned(),
        path: object_path(&case.key).expect("valid key"),
        raw_query: wire_query(&query),
        headers,
    }
}

fn server_verify(case: &Case, wire: &Wire) -> Result<Verified, VerifyError> {
    let key = decode(wire.path.trim_start_matches('/')).expect("path decodes");
    let req = ReceivedRequest {
        method: &wire.method,
        bucket: Some("bucket-1"),
        key: Some(&key),
        raw_query: &wire.raw_query,
        headers: &wire.headers,
    };
    let mut creds = Credentials::new("LTAI-test-ak", case.secret.clone());
    if let Some(t) = &case.token {
        creds = creds.with_security_token(t.clone());
    }
    let lookup = move |ak: &str| (ak == "LTAI-test-ak").then(|| creds.clone());
    verify(
        &req,
        &VerifyPolicy::new(REGION, at(case.sign_time + case.server_delay)),
        &lookup,
    )
}

/// Changes one signed part of the request; returns what was changed.
fn tamper(case: &Case, wire: &mut Wire) -> &'static str {
    let sub_resource_value =
        wire.raw_query.contains("versionId=") || wire.raw_query.contains("uploadId=");
    match case.tamper {
        0 => {
            wire.method = if wire.method == "GET" {
                "PUT".into()
            } else {
                "GET".into()
            };
            "method"
        }
        1 => {
            wire.path.push('x');
            "key"
        }
        2 => {
            wire.path = wire.path.replacen('/', "/z", 1);
            "key prefix"
        }
        3 => {
            // Add a sub-resource (signed by V1 and V4 alike).
            wire.raw_query = if wire.raw_query.is_empty() {
                "acl".into()
            } else if wire.raw_query.contains("acl") {
                format!("{}&uploads", wire.raw_query)
            } else {
                format!("{}&acl", wire.raw_query)
            };
            "added sub-resource"
        }
        4 if sub_resource_value => {
            wire.raw_query = wire
                .raw_query
                .replacen("versionId=", "versionId=1", 1)
                .replacen("uploadId=", "uploadId=1", 1);
            "sub-resource value"
        }
        5 if wire.headers.contains_key(http::header::CONTENT_TYPE) => {
            wire.headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/evil"),
            );
            "content-type"
        }
        6 => {
            wire.headers.insert(
                HeaderName::from_static("x-oss-meta-injected"),
                HeaderValue::from_static("1"),
            );
            "added x-oss header"
        }
        _ => {
            // Flip the signature itself.
            if let Some(auth) = wire
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
            {
                let mut flipped = auth.to_owned();
                let last = flipped.pop().unwrap_or('0');
                flipped.push(if last == 'a' { 'b' } else { 'a' });
                wire.headers.insert(
                    http::header::AUTHORIZATION,
                    HeaderValue::from_str(&flipped).expect("ascii"),
                );
            } else {
                wire.raw_query = wire
                    .raw_query
                    .replacen("Signature=", "Signature=A", 1)
                    .replacen("x-oss-signature=", "x-oss-signature=0", 1);
            }
            "signature"
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn signed_requests_verify_and_tampered_ones_do_not(case in case()) {
        let mut wire = sign(&case);
        let verified = server_verify(&case, &wire);
        match verified {
            Ok(Verified::Authenticated { access_key_id, version, presigned }) => {
                prop_assert_eq!(access_key_id, "LTAI-test-ak");
                prop_assert_eq!(version, case.version);
                prop_assert_eq!(presigned, case.presign);
            }
            other => prop_assert!(false, "untampered request refused: {:?}", other),
        }
        let what = tamper(&case, &mut wire);
        let result = server_verify(&case, &wire);
        prop_assert!(result.is_err(), "tampered {} still verified", what);
    }
}

#[test]
fn v1_header_auth_with_changed_date_fails() {
    let case = Case {
        method: "GET",
        key: "a b+c/中😀#?%&=".into(),
        query: vec![("versionId".into(), "v 1+2".into())],
        meta: vec![],
        content_type: None,
        secret: "s".into(),
        token: Some("t".into()),
        version: SignatureVersion::V1,
        presign: false,
        sign_time: 1_700_000_000,
        server_delay: 5,
        tamper: 0,
    };
    let mut wire = sign(&case);
    assert!(server_verify(&case, &wire).is_ok());
    wire.headers.insert(
        http::header::DATE,
        HeaderValue::from_static("Tue, 14 Nov 2023 22:13:21 GMT"),
    );
    let err = server_verify(&case, &wire).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever arrives on the wire, verification answers with a result, never a panic.
    #[test]
    fn hostile_input_never_panics(
        auth in prop::option::of(prop_oneof![
            "OSS4-HMAC-SHA256 [ -~]{0,120}",
            "OSS [ -~]{0,60}",
            "[ -~]{0,80}",
            "OSS4-HMAC-SHA256 Credential=[a-z]{1,4}/[0-9]{0,10}/[a-z-]{0,12}/[a-z]{0,4}/[a-z_]{0,20},AdditionalHeaders=[a-z;]{0,12},Signature=[0-9a-f]{0,64}",
        ]),
        raw_query in prop_oneof![
            "[ -~]{0,120}",
            "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=[a-z%0-9F/]{0,60}&x-oss-date=[0-9TZ]{0,18}&x-oss-expires=[0-9-]{0,22}&x-oss-signature=[0-9a-f]{0,64}",
            "OSSAccessKeyId=[a-z]{0,4}&Expires=[0-9-]{0,22}&Signature=[A-Za-z0-9%]{0,30}",
        ],
        date in prop::option::of("[ -~]{0,40}"),
        key in prop::option::of("[^\u{0}]{0,20}"),
    ) {
        let mut headers = HeaderMap::new();
        if let Some(a) = auth.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
            headers.insert(http::header::AUTHORIZATION, a);
        }
        if let Some(d) = date.as_deref().and_then(|d| HeaderValue::from_str(d).ok()) {
            headers.insert("x-oss-date", d.clone());
            headers.insert(http::header::DATE, d);
        }
        let req = ReceivedRequest {
            method: "GET",
            bucket: Some("bucket-1"),
            key: key.as_deref(),
            raw_query: &raw_query,
            headers: &headers,
        };
        let creds = Credentials::new("a", "s");
        let lookup = move |ak: &str| (ak == "a").then(|| creds.clone());
        let result = verify(&req, &VerifyPolicy::new(REGION, at(1_700_000_000)), &lookup);
        if let Err(e) = result {
            prop_assert!(matches!(e.status(), 400 | 403));
            prop_assert!(!e.code().is_empty());
        }
    }
}
