//! The client's configuration surface, without a network: builder validation, region
//! derivation, public/CNAME URLs, defaults, thread-safety and secret-free `Debug`.

use std::time::Duration;

use jitstore_oss::client::{
    Body, Client, GetObjectOptions, PutObjectOptions, RetryPolicy, Timeouts,
};
use jitstore_oss::credentials::{Credentials, StaticProvider};
use jitstore_oss::endpoint::{AddressingStyle, Endpoint};
use jitstore_oss::error::OssError;
use jitstore_oss::sign::SignatureVersion;

fn provider() -> StaticProvider {
    StaticProvider::new(
        Credentials::new("AKID", "super-secret-key").with_security_token("sts-token-xyz"),
    )
}

#[test]
fn client_and_its_futures_are_thread_safe() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Client>();
    let c = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    // Futures of the calls can be spawned on a multi-threaded runtime.
    let put = c.put_object("k", Body::from("x"), PutObjectOptions::default());
    send(&put);
    let get = c.get_object("k", GetObjectOptions::default());
    send(&get);
    let list = c.list_objects_v2(Default::default());
    send(&list);
}

#[test]
fn region_is_derived_or_required_for_v4() {
    let c = Client::builder()
        .endpoint("https://oss-cn-shenzhen-internal.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(c.region(), "cn-shenzhen");
    assert_eq!(c.signature_version(), SignatureVersion::V4);

    let err = Client::builder()
        .endpoint("oss-accelerate.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap_err();
    assert!(
        matches!(err, OssError::InvalidInput { what: "region", .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("oss-accelerate.aliyuncs.com"),
        "{err}"
    );

    // V1 does not sign the region, so it is optional there.
    let v1 = Client::builder()
        .endpoint("cdn.example.com")
        .bucket("bkt")
        .credentials(provider())
        .signature_version(SignatureVersion::V1)
        .build()
        .unwrap();
    assert_eq!(v1.region(), "");

    // Region alone gives the public endpoint.
    let by_region = Client::builder()
        .region("eu-central-1")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(
        by_region.endpoint().to_string(),
        "https://oss-eu-central-1.aliyuncs.com"
    );
}

#[test]
fn builder_rejects_incomplete_or_invalid_configuration() {
    let no_bucket = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .credentials(provider())
        .build();
    assert!(no_bucket.is_err());
    let bad_bucket = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("Bad_Bucket")
        .credentials(provider())
        .build();
    assert!(matches!(
        bad_bucket,
        Err(OssError::InvalidInput {
            what: "bucket name",
            ..
        })
    ));
    let no_creds = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .build();
    assert!(no_creds.is_err());
    let bad_region = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .region("oss-cn-hangzhou")
        .bucket("bkt")
        .credentials(provider())
        .build();
    assert!(bad_region.is_err());
    let bucket_in_endpoint = Client::builder()
        .endpoint("bkt.oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap_err();
    assert!(
        bucket_in_endpoint.to_string().contains("separately"),
        "{bucket_in_endpoint}"
    );
}

#[test]
fn public_urls_use_the_public_endpoint_and_its_style() {
    let internal = Client::builder()
        .endpoint("oss-cn-hangzhou-internal.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(
        internal.public_url("a b/c.txt").unwrap().as_str(),
        "https://bkt.oss-cn-hangzhou-internal.aliyuncs.com/a%20b/c.txt"
    );
    let with_cdn = Client::builder()
        .endpoint("oss-cn-hangzhou-internal.aliyuncs.com")
        .public_endpoint_parsed(
            Endpoint::parse("https://static.example.com")
                .unwrap()
                .with_style(AddressingStyle::Cname),
        )
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(
        with_cdn.public_url("img/猫.png").unwrap().as_str(),
        "https://static.example.com/img/%E7%8C%AB.png"
    );
    let path_style = Client::builder()
        .endpoint("https://oss.private.example")
        .region("cn-hangzhou")
        .addressing_style(AddressingStyle::Path)
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(
        path_style.public_url("k").unwrap().as_str(),
        "https://oss.private.example/bkt/k"
    );
    assert!(path_style.public_url("/abs").is_err());
}

#[test]
fn defaults_match_the_official_sdks() {
    let c = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    assert_eq!(
        c.retry_policy(),
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20)
        }
    );
    assert_eq!(
        c.timeouts(),
        Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(10),
            total: None
        }
    );
    let tuned = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(tuned.timeouts().connect, Duration::from_secs(1));
    assert_eq!(tuned.timeouts().read, Duration::from_secs(60));
}

#[test]
fn debug_output_holds_no_secret() {
    let c = Client::builder()
        .endpoint("oss-cn-hangzhou.aliyuncs.com")
        .bucket("bkt")
        .credentials(provider())
        .build()
        .unwrap();
    let text = format!("{c:?}");
    assert!(
        text.contains("bkt") && text.contains("cn-hangzhou"),
        "{text}"
    );
    assert!(!text.contains("super-secret-key"), "{text}");
    assert!(!text.contains("sts-token-xyz"), "{text}");
}

#[tokio::test]
async fn invalid_keys_are_refused_before_any_request() {
    // Port 9 (discard) on loopback: nothing is listening, so any request would fail with a
    // network error; invalid input must be reported first.
    let c = Client::builder()
        .endpoint("http://127.0.0.1:9")
        .region("cn-hangzhou")
        .bucket("bkt")
        .credentials(provider())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for key in ["", "/leading-slash", "\\backslash", ".."] {
        let err = c
            .put_object(key, Body::from("x"), PutObjectOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, OssError::InvalidInput { .. }),
            "{key:?}: {err:?}"
        );
    }
    let long = "k".repeat(1024);
    assert!(matches!(
        c.get_object_meta(&long, None).await,
        Err(OssError::InvalidInput { .. })
    ));
    let err = c.get_object_meta("fine", None).await.unwrap_err();
    assert!(matches!(err, OssError::Network { .. }), "{err:?}");
    // The message names the root cause, not just "error sending request".
    let text = err.to_string();
    assert!(
        text.contains("GetObjectMeta") && text.matches(": ").count() >= 2,
        "{text}"
    );
    assert!(!text.contains("super-secret-key"));
}
