//! The request both signing benches use (the one of the official V4 vectors) and helpers to
//! drive the peer signer.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use http::{HeaderMap, HeaderName, HeaderValue};
use jitstore_oss::encoding::encode_strict;

/// Region of every signature in the benches.
pub const REGION: &str = "cn-hangzhou";
/// Object key of the benchmarked request.
pub const KEY: &str = "1234+-/123/1.txt";
/// Access key id of the benchmarked credentials.
pub const AK: &str = "LTAI5tExampleAccessKey";
/// Access key secret of the benchmarked credentials.
pub const SK: &str = "ExampleAccessKeySecretValue0123";

/// Six headers, two of them `x-oss-*` and one `content-type`.
pub fn headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (n, v) in [
        ("x-oss-head1", "value"),
        ("abc", "value"),
        ("zabc", "value"),
        ("xyz", "value"),
        ("content-type", "text/plain"),
        ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        h.insert(HeaderName::from_static(n), HeaderValue::from_static(v));
    }
    h
}

/// Six query parameters, four of which need percent-encoding.
pub fn query() -> Vec<(String, String)> {
    [
        ("param1", "value1"),
        ("+param1", "value3"),
        ("|param1", "value4"),
        ("+param2", ""),
        ("|param2", ""),
        ("param2", ""),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect()
}

/// Decoded pairs rendered as a strict-encoded wire query.
pub fn wire_query(pairs: &[(String, String)]) -> String {
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

/// The same request as an `http::request::Parts`, the input of reqsign.
pub fn peer_parts() -> http::request::Parts {
    let uri = format!(
        "https://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-/123/1.txt?{}",
        wire_query(&query())
    );
    let (mut parts, ()) = http::Request::builder()
        .method("PUT")
        .uri(uri)
        .body(())
        .expect("static request")
        .into_parts();
    parts.headers = headers();
    parts
}

/// Polls a future that completes without waiting (reqsign's signing does no I/O).
pub fn poll_ready<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("peer signer unexpectedly awaited"),
    }
}
