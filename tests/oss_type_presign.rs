//! Presigned URLs of storages.OssType against the local OSS server: they follow the clock
//! correction the storage learnt from `RequestTimeTooSkewed`, and V1 URLs sign the `x-oss-*`
//! headers they were asked to (or refuse a header V1 cannot sign, as `sign --explain` does).

mod oss_type_support;

use std::time::Duration;

use jitstore_storages::{OssStorage, SignUrlRequest};
use oss_type_support::*;
use serde_json::json;

/// A wrong host clock is simulated by the client's clock correction: two hours behind.
const SKEW_HOURS: i64 = -2;

#[tokio::test]
async fn presigned_urls_use_the_clock_correction_learnt_from_the_server() {
    let peer = start().await;
    let http = reqwest::Client::new();
    for version in ["v4", "v1"] {
        let handle = peer.handle(
            &format!("Skewed{version}"),
            peer.config(json!({"signatureVersion": version})),
        );
        let oss = OssStorage::from_handle(&handle).expect("an OssType storage");
        let key = format!("clock/{version}.txt");
        handle
            .upload_by_file(&key, b"on time".to_vec(), None)
            .await
            .unwrap();

        // The host clock goes wrong: the server refuses what is signed with it, presigned
        // URLs included (so the local server does check presigned times).
        oss.client()
            .set_clock_offset(chrono::Duration::hours(SKEW_HOURS));
        let early = handle
            .get_sign_url(&key, None, Some(Duration::from_secs(300)))
            .await
            .unwrap();
        let refused = http.get(&early).send().await.unwrap();
        assert_eq!(refused.status(), 403, "{version}: a URL signed 2 h ago");

        // One request learns the server's time from RequestTimeTooSkewed (and is retried).
        assert_eq!(
            &handle.download(&key).await.unwrap()[..],
            b"on time",
            "{version}"
        );
        assert!(
            oss.client().clock_offset().num_seconds().abs() <= 5,
            "{version}: the client corrected its clock: {:?}",
            oss.client().clock_offset()
        );

        // Every presign path now signs with the corrected clock.
        let url = handle
            .get_sign_url(&key, None, Some(Duration::from_secs(300)))
            .await
            .unwrap();
        let got = http.get(&url).send().await.unwrap();
        assert_eq!(
            got.status(),
            200,
            "{version}: {}",
            got.text().await.unwrap()
        );
        assert_eq!(got.text().await.unwrap(), "on time");
        let signed = handle
            .sign_url(&SignUrlRequest::new("GET", key.clone()))
            .await
            .unwrap();
        assert!(
            (signed.expires_at - chrono::Utc::now()).num_seconds() > 200,
            "{version}: expires at {}",
            signed.expires_at
        );
        assert_eq!(
            http.get(&signed.url).send().await.unwrap().status(),
            200,
            "{version}"
        );
    }
}

#[tokio::test]
async fn v1_urls_sign_x_oss_headers_and_refuse_headers_v1_cannot_sign() {
    let peer = start().await;
    let http = reqwest::Client::new();
    let v1 = peer.handle("OldOss", peer.config(json!({"signatureVersion": "v1"})));

    let mut request = SignUrlRequest::new("PUT", "v1/with-meta.txt");
    request
        .headers
        .insert("X-Oss-Meta-Owner".into(), "alice".into());
    request.content_type = Some("text/plain".into());
    let signed = v1.sign_url(&request).await.unwrap();
    assert!(signed.url.contains("Signature="), "{}", signed.url);
    assert_eq!(
        signed.headers.get("x-oss-meta-owner").map(String::as_str),
        Some("alice"),
        "the signed header is reported: {:?}",
        signed.headers
    );

    // Without the header, or with another value, the server refuses the URL.
    let without = http
        .put(&signed.url)
        .header("content-type", "text/plain")
        .body("no meta")
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let other = http
        .put(&signed.url)
        .header("content-type", "text/plain")
        .header("x-oss-meta-owner", "mallory")
        .body("other meta")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    let mut put = http.put(&signed.url).body("with meta");
    for (name, value) in &signed.headers {
        put = put.header(name, value);
    }
    let put = put.send().await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    let info = v1.get_object("v1/with-meta.txt").await.unwrap();
    assert_eq!(
        info.user_metadata.get("owner").map(String::as_str),
        Some("alice")
    );

    // A header V1 cannot sign is refused with its name, not silently left unsigned.
    let mut request = SignUrlRequest::new("GET", "v1/with-meta.txt");
    request.headers.insert("Range".into(), "bytes=0-3".into());
    let err = v1.sign_url(&request).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("range"), "{text}");
    assert!(text.contains("V1"), "{text}");
}
