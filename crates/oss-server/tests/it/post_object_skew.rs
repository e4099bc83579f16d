//! PostObject honours the server's configured clock-skew allowance, as header auth does.

use crate::common::*;
use chrono::{Duration as ChronoDuration, Utc};
use jitstore_oss::credentials::Credentials;
use jitstore_oss::post_policy::PostPolicy;
use jitstore_oss_server::RunningServer;
use jitstore_testkit::Peer;

const BOUNDARY: &str = "jitstore-test-boundary";

async fn server_with_skew(dir: &std::path::Path, max_skew_secs: u64) -> RunningServer {
    Peer::builder()
        .bucket(BUCKET)
        .configure(move |mut config| {
            config.max_skew_secs = max_skew_secs;
            config
        })
        .start_in(dir)
        .await
}

/// A V4-signed form upload of `up/file.txt`, signed `ahead` of the real time.
async fn post_signed_ahead(server: &RunningServer, ahead: ChronoDuration) -> reqwest::Response {
    let signed_at = Utc::now() + ahead;
    let fields = PostPolicy::new(signed_at + ChronoDuration::hours(1))
        .bucket(BUCKET)
        .starts_with("key", "up/")
        .sign_v4(&Credentials::new(AK, SK), server.region(), signed_at)
        .expect("sign the policy");
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("key", "up/file.txt");
    for (name, value) in &fields.fields {
        field(name, value);
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhello form\r\n--{BOUNDARY}--\r\n"
        )
        .as_bytes(),
    );
    client()
        .post(format!("{}/{}/", server.endpoint(), BUCKET))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("send the form")
}

#[tokio::test]
async fn post_object_uses_the_configured_skew() {
    let dir = tempfile::tempdir().expect("temp dir");
    let strict = server_with_skew(dir.path(), 60).await;
    let refused = post_signed_ahead(&strict, ChronoDuration::minutes(5)).await;
    assert_eq!(
        refused.status().as_u16(),
        403,
        "5 min ahead with a 60 s allowance"
    );
    let body = refused.text().await.unwrap_or_default();
    assert!(
        body.contains("60 s ahead"),
        "refused for the skew, not another reason: {body}"
    );
    let accepted = post_signed_ahead(&strict, ChronoDuration::zero()).await;
    assert_eq!(
        accepted.status().as_u16(),
        204,
        "{}",
        accepted.text().await.unwrap_or_default()
    );
    strict.shutdown().await;

    let dir = tempfile::tempdir().expect("temp dir");
    let default = server_with_skew(dir.path(), 900).await;
    let within = post_signed_ahead(&default, ChronoDuration::minutes(5)).await;
    assert_eq!(
        within.status().as_u16(),
        204,
        "5 min ahead within the default 15 min"
    );
    default.shutdown().await;
}
