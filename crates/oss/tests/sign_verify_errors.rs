//! Verification failures: each names its reason and maps to the OSS code and status; secrets
//! never show in Debug or Display output.

use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, HeaderValue};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::encoding::encode_strict;
use jitstore_oss::sign::{
    presign_v1, presign_v4, sign_v1_header, sign_v4_header, verify, ReceivedRequest, RequestParts,
    Verified, VerifyError, VerifyPolicy,
};

const SECRET: &str = "Sup3r-Secret-Value";
const TOKEN: &str = "STS.Token-Value-123";
const T0: i64 = 1_702_743_657;

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().expect("time")
}

fn creds() -> Credentials {
    Credentials::new("ak", SECRET)
}

fn sts() -> Credentials {
    creds().with_security_token(TOKEN)
}

fn wire_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{}={}", encode_strict(n), encode_strict(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn base_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("text/plain"));
    h
}

fn parts(h: &HeaderMap) -> RequestParts<'_> {
    RequestParts {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some("dir/file name.txt"),
        query: &[],
        headers: h,
    }
}

/// Runs the verifier with `known` as the only credentials the server knows.
fn run(
    headers: &HeaderMap,
    raw_query: &str,
    region: &str,
    now: i64,
    known: &Credentials,
) -> Result<Verified, VerifyError> {
    let req = ReceivedRequest {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some("dir/file name.txt"),
        raw_query,
        headers,
    };
    let lookup = |ak: &str| (ak == known.access_key_id).then(|| known.clone());
    verify(&req, &VerifyPolicy::new(region, at(now)), &lookup)
}

fn v4_header_request(c: &Credentials, region: &str, signed_at: i64) -> HeaderMap {
    let mut h = base_headers();
    sign_v4_header(&parts(&h.clone()), c, region, at(signed_at), &[])
        .expect("sign")
        .apply_to(&mut h);
    h
}

fn v4_presigned_query(c: &Credentials, signed_at: i64, expires: u64) -> String {
    let h = base_headers();
    wire_query(
        &presign_v4(&parts(&h), c, "cn-hangzhou", at(signed_at), expires, &[])
            .expect("presign")
            .query,
    )
}

#[test]
fn skewed_header_request() {
    let h = v4_header_request(&creds(), "cn-hangzhou", T0);
    assert!(run(&h, "", "cn-hangzhou", T0 + 15 * 60, &creds()).is_ok());
    let err = run(&h, "", "cn-hangzhou", T0 + 15 * 60 + 1, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("RequestTimeTooSkewed", 403));
    assert!(err.to_string().contains("901 s"), "{err}");
    let err = run(&h, "", "cn-hangzhou", T0 - 16 * 60, &creds()).unwrap_err();
    assert_eq!(err.code(), "RequestTimeTooSkewed");

    let mut h1 = base_headers();
    sign_v1_header(&parts(&h1.clone()), &creds(), at(T0))
        .expect("sign")
        .apply_to(&mut h1);
    assert!(run(&h1, "", "cn-hangzhou", T0 + 60, &creds()).is_ok());
    assert_eq!(
        run(&h1, "", "cn-hangzhou", T0 + 3600, &creds())
            .unwrap_err()
            .code(),
        "RequestTimeTooSkewed"
    );
}

#[test]
fn expired_and_not_yet_valid_presigned_urls() {
    let q = v4_presigned_query(&creds(), T0, 600);
    assert!(run(&base_headers(), &q, "cn-hangzhou", T0 + 600, &creds()).is_ok());
    let err = run(&base_headers(), &q, "cn-hangzhou", T0 + 601, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("AccessDenied", 403));
    assert!(
        err.to_string()
            .contains("expired at 2023-12-16 16:30:57 UTC"),
        "{err}"
    );
    // Usable from 15 minutes before x-oss-date, not earlier.
    assert!(run(&base_headers(), &q, "cn-hangzhou", T0 - 900, &creds()).is_ok());
    let err = run(&base_headers(), &q, "cn-hangzhou", T0 - 901, &creds()).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(err.to_string().contains("not valid yet"), "{err}");

    let h = base_headers();
    let v1 = wire_query(
        &presign_v1(&parts(&h), &creds(), T0 + 60)
            .expect("presign")
            .query,
    );
    assert!(run(&h, &v1, "cn-hangzhou", T0 + 60, &creds()).is_ok());
    let err = run(&h, &v1, "cn-hangzhou", T0 + 61, &creds()).unwrap_err();
    assert_eq!(err.code(), "AccessDenied");
    assert!(err.to_string().contains("Request has expired"), "{err}");
}

#[test]
fn wrong_region_names_both_regions() {
    let h = v4_header_request(&creds(), "cn-beijing", T0);
    let err = run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("InvalidArgument", 400));
    let msg = err.to_string();
    assert!(
        msg.contains("\"cn-beijing\"") && msg.contains("\"cn-hangzhou\""),
        "{msg}"
    );

    // The endpoint-prefix mistake: a client that signs with "oss-cn-hangzhou". Our signer refuses
    // to produce it, so forge the scope by hand.
    let mut forged = v4_header_request(&creds(), "cn-hangzhou", T0);
    let auth = forged[http::header::AUTHORIZATION]
        .to_str()
        .expect("ascii")
        .replace("/cn-hangzhou/", "/oss-cn-hangzhou/");
    forged.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&auth).expect("ascii"),
    );
    let err = run(&forged, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
    assert!(
        err.to_string()
            .contains("without the endpoint prefix 'oss-'"),
        "{err}"
    );
}

#[test]
fn wrong_secret_reports_the_string_to_sign() {
    let h = v4_header_request(&Credentials::new("ak", "another-secret"), "cn-hangzhou", T0);
    let err = run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("SignatureDoesNotMatch", 403));
    let m = err.mismatch().expect("mismatch details");
    assert_eq!(m.access_key_id, "ak");
    assert!(m.string_to_sign.starts_with(
        "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n"
    ));
    assert!(m
        .canonical_request
        .starts_with("PUT\n/bucket/dir/file%20name.txt\n"));
    let provided = h[http::header::AUTHORIZATION]
        .to_str()
        .expect("ascii")
        .rsplit('=')
        .next()
        .expect("sig")
        .to_owned();
    assert_eq!(m.signature_provided.expose(), provided);
    let msg = err.to_string();
    assert!(
        msg.contains("String to sign: \"OSS4-HMAC-SHA256\\n20231216T162057Z"),
        "{msg}"
    );
    assert!(!msg.contains(&provided) && !format!("{err:?}").contains(&provided));

    let mut h1 = base_headers();
    sign_v1_header(&parts(&h1.clone()), &Credentials::new("ak", "x"), at(T0))
        .expect("sign")
        .apply_to(&mut h1);
    let err = run(&h1, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(err
        .mismatch()
        .expect("details")
        .string_to_sign
        .ends_with("\n/bucket/dir/file name.txt"));
}

#[test]
fn unknown_access_key() {
    let h = v4_header_request(&Credentials::new("stranger", SECRET), "cn-hangzhou", T0);
    let err = run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("InvalidAccessKeyId", 403));
    assert!(err.to_string().contains("\"stranger\""));
}

#[test]
fn security_token_must_match_the_credentials() {
    let other = creds().with_security_token("another-token");
    // V4 header.
    let h = v4_header_request(&sts(), "cn-hangzhou", T0);
    assert!(run(&h, "", "cn-hangzhou", T0, &sts()).is_ok());
    assert_eq!(
        run(&h, "", "cn-hangzhou", T0, &other).unwrap_err().code(),
        "InvalidAccessKeyId"
    );
    assert_eq!(
        run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err().code(),
        "InvalidAccessKeyId"
    );
    // Temporary credentials used without their token.
    let plain = v4_header_request(&creds(), "cn-hangzhou", T0);
    let err = run(&plain, "", "cn-hangzhou", T0, &sts()).unwrap_err();
    assert_eq!(err.code(), "InvalidAccessKeyId");
    assert!(err.to_string().contains("security token"));
    // V4 query.
    let q = v4_presigned_query(&sts(), T0, 60);
    assert!(q.contains("x-oss-security-token="));
    assert!(run(&base_headers(), &q, "cn-hangzhou", T0, &sts()).is_ok());
    assert_eq!(
        run(&base_headers(), &q, "cn-hangzhou", T0, &other)
            .unwrap_err()
            .code(),
        "InvalidAccessKeyId"
    );
    // V1 header and query.
    let mut h1 = base_headers();
    sign_v1_header(&parts(&h1.clone()), &sts(), at(T0))
        .expect("sign")
        .apply_to(&mut h1);
    assert!(run(&h1, "", "cn-hangzhou", T0, &sts()).is_ok());
    assert_eq!(
        run(&h1, "", "cn-hangzhou", T0, &other).unwrap_err().code(),
        "InvalidAccessKeyId"
    );
    let hb = base_headers();
    let q1 = wire_query(
        &presign_v1(&parts(&hb), &sts(), T0 + 60)
            .expect("presign")
            .query,
    );
    assert!(q1.contains("security-token="));
    assert!(run(&hb, &q1, "cn-hangzhou", T0, &sts()).is_ok());
    assert_eq!(
        run(&hb, &q1, "cn-hangzhou", T0, &other).unwrap_err().code(),
        "InvalidAccessKeyId"
    );
}

#[test]
fn malformed_requests_are_invalid_arguments() {
    let mut h = base_headers();
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static(
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request",
        ),
    );
    let err = run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!((err.code(), err.status()), ("InvalidArgument", 400));
    assert!(err.to_string().contains("Signature"));

    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=x"),
    );
    assert_eq!(
        run(&h, "", "cn-hangzhou", T0, &creds()).unwrap_err().code(),
        "InvalidArgument"
    );

    // An empty entry in AdditionalHeaders is malformed (doc 0002-00000210).
    let mut trailing = v4_header_request(&creds(), "cn-hangzhou", T0);
    let auth = trailing[http::header::AUTHORIZATION]
        .to_str()
        .expect("ascii")
        .replace(",Signature=", ",AdditionalHeaders=host;,Signature=");
    trailing.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&auth).expect("ascii"),
    );
    let err = run(&trailing, "", "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
    assert!(err.to_string().contains("empty entry"), "{err}");

    // V4 header auth without x-oss-date is refused.
    let mut no_date = v4_header_request(&creds(), "cn-hangzhou", T0);
    no_date.remove("x-oss-date");
    assert_eq!(
        run(&no_date, "", "cn-hangzhou", T0, &creds())
            .unwrap_err()
            .code(),
        "AccessDenied"
    );

    // Presigned URL missing x-oss-expires, or with too long a validity.
    let q = v4_presigned_query(&creds(), T0, 60);
    let without: String = q
        .split('&')
        .filter(|p| !p.starts_with("x-oss-expires="))
        .collect::<Vec<_>>()
        .join("&");
    let err = run(&base_headers(), &without, "cn-hangzhou", T0, &creds()).unwrap_err();
    assert_eq!(err.code(), "InvalidArgument");
    assert!(err.to_string().contains("x-oss-expires"));
    let too_long = q.replace("x-oss-expires=60", "x-oss-expires=604801");
    assert_eq!(
        run(&base_headers(), &too_long, "cn-hangzhou", T0, &creds())
            .unwrap_err()
            .code(),
        "InvalidArgument"
    );
    assert_eq!(
        run(&base_headers(), "a=%zz", "cn-hangzhou", T0, &creds())
            .unwrap_err()
            .code(),
        "InvalidArgument"
    );
}

#[test]
fn requests_without_signature_are_anonymous() {
    assert_eq!(
        run(
            &base_headers(),
            "versionId=1&acl",
            "cn-hangzhou",
            T0,
            &creds()
        )
        .expect("ok"),
        Verified::Anonymous
    );
}

#[test]
fn outputs_and_errors_never_print_secrets() {
    let c = sts();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(SECRET) && !dbg.contains(TOKEN), "{dbg}");
    assert!(dbg.contains("\"ak\""));

    let h = base_headers();
    for out in [
        sign_v4_header(&parts(&h), &c, "cn-hangzhou", at(T0), &[]).expect("sign"),
        sign_v1_header(&parts(&h), &c, at(T0)).expect("sign"),
    ] {
        let auth = out.authorization().expect("auth").to_owned();
        let sig = auth
            .split_once("Signature=")
            .or_else(|| auth.split_once(':'))
            .map(|(_, s)| s.to_owned())
            .expect("sig");
        let shown = format!("{out:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains(&sig), "{shown}");
        assert!(!shown.contains(SECRET));
        assert!(
            out.string_to_sign.contains(TOKEN) || out.canonical_request.contains(TOKEN),
            "the raw field keeps the token for the caller"
        );
    }
    for out in [
        presign_v4(&parts(&h), &c, "cn-hangzhou", at(T0), 60, &[]).expect("presign"),
        presign_v1(&parts(&h), &c, T0 + 60).expect("presign"),
    ] {
        let sig = out
            .query
            .iter()
            .find(|(n, _)| n == "x-oss-signature" || n == "Signature")
            .map(|(_, v)| v.clone())
            .expect("signature");
        let shown = format!("{out:?}");
        assert!(
            !shown.contains(TOKEN) && !shown.contains(&sig) && !shown.contains(SECRET),
            "{shown}"
        );
    }
    // A mismatch on an STS request does not leak the token through Display or Debug.
    let signed = v4_header_request(
        &Credentials::new("ak", "wrong").with_security_token(TOKEN),
        "cn-hangzhou",
        T0,
    );
    let err = run(&signed, "", "cn-hangzhou", T0, &sts()).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
}

#[test]
fn extreme_policy_values_do_not_panic() {
    let q = v4_presigned_query(&creds(), T0, 60);
    let h = base_headers();
    let req = ReceivedRequest {
        method: "PUT",
        bucket: Some("bucket"),
        key: Some("dir/file name.txt"),
        raw_query: &q,
        headers: &h,
    };
    let lookup = |ak: &str| (ak == "ak").then(creds);
    for skew in [
        std::time::Duration::ZERO,
        // Within chrono's range but beyond any date: x-oss-date minus it underflows.
        std::time::Duration::from_secs(1_000_000_000_000_000),
        std::time::Duration::from_secs(u64::MAX / 4),
    ] {
        let mut policy = VerifyPolicy::new("cn-hangzhou", at(T0));
        policy.max_skew = skew;
        assert!(verify(&req, &policy, &lookup).is_ok());
    }
    // A hostile x-oss-date far in the future is refused, not a panic.
    let far = q.replace(
        &format!("x-oss-date={}", "20231216T162057Z"),
        "x-oss-date=99991231T235959Z",
    );
    assert!(run(&base_headers(), &far, "cn-hangzhou", T0, &creds()).is_err());
    assert!(creds()
        .with_expires_at(at(T0))
        .expires_within(at(T0 - 10), chrono::Duration::MAX));
}
