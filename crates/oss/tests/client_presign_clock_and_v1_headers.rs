//! `Client::presign` against the local OSS server: a presigning client that shares the clock of
//! the client sending requests signs with the correction that client learnt from
//! `RequestTimeTooSkewed`, and a V1 presign refuses a header V1 cannot sign.

use std::time::Duration;

use jitstore_oss::client::{Body, Client, PresignOptions, PutObjectOptions, RetryPolicy};
use jitstore_oss::credentials::StaticProvider;
use jitstore_oss::sign::SignatureVersion;
use jitstore_oss_server::RunningServer;
use jitstore_testkit::keys::{AK, BUCKET, SK};
use jitstore_testkit::Peer;

fn builder(
    server: &RunningServer,
    version: SignatureVersion,
) -> jitstore_oss::client::ClientBuilder {
    Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::from_keys(AK, SK))
        .signature_version(version)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        })
}

fn get_options() -> PresignOptions {
    PresignOptions {
        expires: Duration::from_secs(300),
        ..PresignOptions::default()
    }
}

#[tokio::test]
async fn a_presigner_sharing_the_clock_signs_with_the_learnt_correction() {
    let peer = Peer::start().await;
    let http = reqwest::Client::new();
    for version in [SignatureVersion::V4, SignatureVersion::V1] {
        // The host clock is two hours behind; neither client knows yet.
        let traffic = builder(&peer.server, version)
            .clock_offset(chrono::Duration::hours(-2))
            .build()
            .unwrap();
        let presigner = builder(&peer.server, version)
            .share_clock_with(&traffic)
            .build()
            .unwrap();
        let key = format!("clock-{version}.txt");
        let early = presigner.presign(&key, get_options()).await.unwrap();
        let refused = http.get(early.url).send().await.unwrap();
        assert_eq!(refused.status(), 403, "{version}: signed two hours ago");

        // The traffic client learns the server's time from RequestTimeTooSkewed ...
        traffic
            .put_object(&key, Body::from("on time"), PutObjectOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert!(
            presigner.clock_offset().num_seconds().abs() <= 5,
            "{version}: {:?}",
            presigner.clock_offset()
        );
        // ... and the presigner, which never sent a request, signs with it.
        let url = presigner.presign(&key, get_options()).await.unwrap();
        let got = http.get(url.url).send().await.unwrap();
        assert_eq!(got.status(), 200, "{version}");
        assert_eq!(got.text().await.unwrap(), "on time");
    }
}

#[tokio::test]
async fn a_v1_presign_refuses_a_header_v1_cannot_sign_and_v4_signs_it() {
    let peer = Peer::start().await;
    let mut options = get_options();
    options.sign_header(
        http::HeaderName::from_static("range"),
        http::HeaderValue::from_static("bytes=0-1"),
    );
    let v1 = builder(&peer.server, SignatureVersion::V1).build().unwrap();
    let err = v1.presign("k.txt", options.clone()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("V1") && text.contains("range"), "{text}");
    let v4 = builder(&peer.server, SignatureVersion::V4).build().unwrap();
    let signed = v4.presign("k.txt", options.clone()).await.unwrap();
    assert!(signed.signed_headers.contains_key("range"));
    // A V4 client asked for a V1 URL refuses it too.
    options.signature_version = Some(SignatureVersion::V1);
    assert!(v4.presign("k.txt", options).await.is_err());
}
