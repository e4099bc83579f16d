//! Interoperability with an independent signer: requests signed by `reqsign-aliyun-oss`
//! (V4 header, V4 presigned, V1 header, V1 presigned, with and without STS) are accepted by our
//! verifier, and rejected once tampered with. reqsign always signs at the current time, so the
//! verifier runs at the current time too.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use chrono::Utc;
use http::HeaderValue;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::encoding::decode;
use jitstore_oss::sign::{verify, ReceivedRequest, SignatureVersion, Verified, VerifyPolicy};
use reqsign_aliyun_oss::{Credential as PeerCredential, RequestSigner, SigningVersion};
use reqsign_core::SignRequest;

fn poll_ready<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("reqsign signing awaited unexpectedly"),
    }
}

const AK: &str = "LTAI-peer-ak";
const SK: &str = "peer secret/+=";
const BUCKET: &str = "bucket";
/// `photos/a b+c/中.txt`, encoded the way the wire carries it.
const WIRE_PATH: &str = "/photos/a%20b%2Bc/%E4%B8%AD.txt";
const WIRE_QUERY: &str =
    "versionId=v%2B1&response-content-disposition=attachment%3B%20filename%3Da.txt";

fn peer_request(
    token: Option<&str>,
    version: SigningVersion,
    expires: Option<Duration>,
) -> http::request::Parts {
    let (mut parts, ()) = http::Request::builder()
        .method("GET")
        .uri(format!(
            "https://{BUCKET}.oss-cn-hangzhou.aliyuncs.com{WIRE_PATH}?{WIRE_QUERY}"
        ))
        .header("content-type", "text/plain")
        .header("x-oss-meta-note", "hello")
        .body(())
        .expect("request")
        .into_parts();
    let cred = PeerCredential {
        access_key_id: AK.into(),
        access_key_secret: SK.into(),
        security_token: token.map(str::to_owned),
        expires_in: None,
    };
    let signer = RequestSigner::new(BUCKET)
        .with_signing_version(version)
        .with_region("cn-hangzhou");
    poll_ready(signer.sign_request(
        &reqsign_core::Context::new(),
        &mut parts,
        Some(&cred),
        expires,
    ))
    .expect("reqsign signs");
    parts
}

fn our_verify(
    parts: &http::request::Parts,
    token: Option<&str>,
) -> Result<Verified, jitstore_oss::sign::VerifyError> {
    let path = parts.uri.path();
    let key = decode(path.trim_start_matches('/')).expect("path decodes");
    let req = ReceivedRequest {
        method: parts.method.as_str(),
        bucket: Some(BUCKET),
        key: Some(&key),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
    };
    let mut creds = Credentials::new(AK, SK);
    if let Some(t) = token {
        creds = creds.with_security_token(t);
    }
    let lookup = move |ak: &str| (ak == AK).then(|| creds.clone());
    verify(&req, &VerifyPolicy::new("cn-hangzhou", Utc::now()), &lookup)
}

#[test]
fn reqsign_signatures_verify() {
    for token in [None, Some("sts/token+=")] {
        for (version, expires, ours, presigned) in [
            (SigningVersion::V4, None, SignatureVersion::V4, false),
            (
                SigningVersion::V4,
                Some(Duration::from_secs(600)),
                SignatureVersion::V4,
                true,
            ),
            (SigningVersion::V1, None, SignatureVersion::V1, false),
            (
                SigningVersion::V1,
                Some(Duration::from_secs(600)),
                SignatureVersion::V1,
                true,
            ),
        ] {
            let mut parts = peer_request(token, version, expires);
            let label = format!("{ours} presigned={presigned} sts={}", token.is_some());
            match our_verify(&parts, token) {
                Ok(Verified::Authenticated {
                    access_key_id,
                    version,
                    presigned: p,
                }) => {
                    assert_eq!(access_key_id, AK, "{label}");
                    assert_eq!(version, ours, "{label}");
                    assert_eq!(p, presigned, "{label}");
                }
                other => panic!("{label}: reqsign's signature refused: {other:?}"),
            }
            parts
                .headers
                .insert("x-oss-meta-note", HeaderValue::from_static("tampered"));
            let err = our_verify(&parts, token).expect_err("tampered header must fail");
            assert_eq!(err.code(), "SignatureDoesNotMatch", "{label}");
        }
    }
}
