//! Retries, timeouts and clock-skew correction of `jitstore_oss::client::Client`, against the
//! local OSS server's fault injection (503 bursts, dropped connections, slow answers). Every
//! test also checks that a failed upload leaves no half-written object behind.

use std::time::{Duration, Instant};

use bytes::Bytes;
use jitstore_oss::client::{
    Body, Client, ContentMd5, GetObjectOptions, PutObjectOptions, RetryPolicy, Timeouts,
    WriteOptions,
};
use jitstore_oss::credentials::StaticProvider;
use jitstore_oss::error::OssError;
use jitstore_oss::sign::SignatureVersion;
use jitstore_oss_server::{FaultPlan, RunningServer};
use jitstore_testkit::keys::{AK, BUCKET, SK};
use jitstore_testkit::Peer;

async fn start() -> (tempfile::TempDir, RunningServer) {
    let Peer { server, data, .. } = Peer::start().await;
    (data, server)
}

/// Fast retries so the tests stay quick: 3 attempts, 10 ms base.
fn fast_policy(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

fn client(server: &RunningServer, attempts: u32, read_timeout: Duration) -> Client {
    Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::from_keys(AK, SK))
        .retry_policy(fast_policy(attempts))
        .timeouts(Timeouts {
            connect: Duration::from_secs(2),
            read: read_timeout,
            total: None,
        })
        .build()
        .unwrap()
}

fn plan(methods: &[&str]) -> FaultPlan {
    FaultPlan {
        methods: methods.iter().map(|m| m.to_string()).collect(),
        ..FaultPlan::default()
    }
}

fn payload(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 253) as u8)
        .collect::<Vec<u8>>()
        .into()
}

async fn content(c: &Client, key: &str) -> Result<Bytes, OssError> {
    c.get_object(key, GetObjectOptions::default())
        .await?
        .body
        .bytes()
        .await
}

#[tokio::test]
async fn put_and_get_ride_through_a_503_burst() {
    let (_dir, server) = start().await;
    let c = client(&server, 3, Duration::from_secs(5));
    server.set_faults(FaultPlan {
        nth: vec![1, 2],
        status: Some(503),
        ..plan(&["PUT"])
    });
    let data = payload(200_000);
    c.put_object(
        "burst",
        Body::from(data.clone()),
        PutObjectOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(server.faults().fired(), 2, "two 503s, then success");

    server.set_faults(FaultPlan {
        nth: vec![1, 2],
        status: Some(500),
        ..plan(&["GET"])
    });
    assert_eq!(content(&c, "burst").await.unwrap(), data);
    assert_eq!(server.faults().fired(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_leaves_nothing() {
    let (_dir, server) = start().await;
    for attempts in [1u32, 3, 5] {
        let c = client(&server, attempts, Duration::from_secs(5));
        server.set_faults(FaultPlan {
            every: true,
            status: Some(503),
            ..plan(&["PUT"])
        });
        let key = format!("never-{attempts}");
        let err = c
            .put_object(&key, Body::from("x"), PutObjectOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503), "{err}");
        assert!(err.is_retryable());
        assert_eq!(server.faults().fired(), u64::from(attempts));
        server.faults().clear();
        assert!(c
            .head_object(&key, GetObjectOptions::default())
            .await
            .unwrap_err()
            .is_not_found());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn dropped_upload_connections_are_retried_and_never_half_write() {
    let (dir, server) = start().await;
    let c = client(&server, 3, Duration::from_secs(5));
    let data = payload(300_000);
    let file = dir.path().join("upload.bin");
    std::fs::write(&file, &data).unwrap();

    // First attempt cut after 50 KB; the file body is re-opened for the retry.
    server.set_faults(FaultPlan {
        nth: vec![1],
        cut_request_after: Some(50_000),
        ..plan(&["PUT"])
    });
    let out = c
        .put_object(
            "cut-once",
            Body::from_file(&file),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(server.faults().fired(), 1);
    assert_eq!(out.crc64, Some(jitstore_oss::crc64::checksum(&data)));
    server.faults().clear();
    assert_eq!(content(&c, "cut-once").await.unwrap(), data);

    // Every attempt cut: the upload fails with a network error after 3 tries, the new key does
    // not exist and an existing object keeps its old content.
    c.put_object(
        "existing",
        Body::from("old content"),
        PutObjectOptions::default(),
    )
    .await
    .unwrap();
    server.set_faults(FaultPlan {
        every: true,
        cut_request_after: Some(50_000),
        ..plan(&["PUT"])
    });
    for key in ["cut-always", "existing"] {
        let err = c
            .put_object(key, Body::from(data.clone()), PutObjectOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, OssError::Network { .. }),
            "expected a network error, got {err:?}"
        );
    }
    assert_eq!(server.faults().fired(), 6);
    server.faults().clear();
    assert!(c
        .head_object("cut-always", GetObjectOptions::default())
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(content(&c, "existing").await.unwrap(), "old content");

    // Multipart: a part upload cut once is retried; the completed object is whole.
    let init = c
        .initiate_multipart_upload("mp", WriteOptions::default())
        .await
        .unwrap();
    server.set_faults(FaultPlan {
        nth: vec![1],
        cut_request_after: Some(10_000),
        ..plan(&["PUT"])
    });
    let p1 = c
        .upload_part(
            "mp",
            &init.upload_id,
            1,
            Body::from_file_range(&file, 0, 200_000),
            ContentMd5::Compute,
        )
        .await
        .unwrap();
    assert_eq!(server.faults().fired(), 1);
    let p2 = c
        .upload_part(
            "mp",
            &init.upload_id,
            2,
            Body::from_file_range(&file, 200_000, 100_000),
            ContentMd5::None,
        )
        .await
        .unwrap();
    c.complete_multipart_upload(
        "mp",
        &init.upload_id,
        &[p1.completed(), p2.completed()],
        Default::default(),
    )
    .await
    .unwrap();
    server.faults().clear();
    assert_eq!(content(&c, "mp").await.unwrap(), data);
    server.shutdown().await;
}

#[tokio::test]
async fn dropped_download_surfaces_as_an_error_and_keeps_no_file() {
    let (dir, server) = start().await;
    let c = client(&server, 3, Duration::from_secs(5));
    let data = payload(200_000);
    c.put_object("dl", Body::from(data.clone()), PutObjectOptions::default())
        .await
        .unwrap();
    server.set_faults(FaultPlan {
        every: true,
        cut_response_after: Some(70_000),
        ..plan(&["GET"])
    });
    // Depending on where the cut falls the error shows while waiting for the answer (then
    // the GET is retried, and fails again) or while streaming the body; either way it is a
    // network error, never a short success.
    let err = content(&c, "dl").await.unwrap_err();
    assert!(matches!(err, OssError::Network { .. }), "{err:?}");
    assert!(server.faults().fired() >= 1);

    let target = dir.path().join("dl.bin");
    let saved = match c.get_object("dl", GetObjectOptions::default()).await {
        Ok(got) => got.body.save_to_file(&target).await,
        Err(e) => Err(e),
    };
    assert!(saved.is_err());
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "temporary download left behind");
    server.shutdown().await;
}

#[tokio::test]
async fn slow_answers_hit_the_read_timeout_and_are_retried() {
    let (_dir, server) = start().await;
    let c = client(&server, 3, Duration::from_millis(300));
    c.put_object("slow", Body::from("patience"), PutObjectOptions::default())
        .await
        .unwrap();

    server.set_faults(FaultPlan {
        nth: vec![1],
        delay_ms: 1500,
        ..plan(&["GET"])
    });
    let t0 = Instant::now();
    assert_eq!(content(&c, "slow").await.unwrap(), "patience");
    assert!(
        t0.elapsed() < Duration::from_millis(1400),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(server.faults().fired(), 1);

    server.set_faults(FaultPlan {
        every: true,
        delay_ms: 1000,
        ..plan(&["PUT"])
    });
    let t0 = Instant::now();
    let err = c
        .put_object("slow-put", Body::from("x"), PutObjectOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, OssError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        t0.elapsed() < Duration::from_millis(2000),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(server.faults().fired(), 3);
    server.faults().clear();
    // The delayed PUTs were abandoned before the server processed them... or after: either
    // way the object is whole or absent, never partial.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    match content(&c, "slow-put").await {
        Ok(b) => assert_eq!(b, "x"),
        Err(e) => assert!(e.is_not_found(), "{e}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn one_shot_streams_and_appends_are_not_retried() {
    let (_dir, server) = start().await;
    let c = client(&server, 3, Duration::from_secs(5));
    server.set_faults(FaultPlan {
        nth: vec![1],
        status: Some(503),
        ..plan(&["PUT"])
    });
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"once"))]);
    let err = c
        .put_object(
            "streamed",
            Body::from_stream(stream, Some(4)),
            PutObjectOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        server.faults().fired(),
        1,
        "a stream body cannot be replayed"
    );

    server.set_faults(FaultPlan {
        nth: vec![1],
        status: Some(503),
        ..plan(&["POST"])
    });
    let err = c
        .append_object(
            "appended",
            0,
            Body::from("a"),
            WriteOptions::default(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.faults().fired(), 1, "appends are not idempotent");
    server.shutdown().await;
}

#[tokio::test]
async fn clock_skew_is_corrected_from_the_server_date() {
    let (_dir, server) = start().await;
    for version in [SignatureVersion::V4, SignatureVersion::V1] {
        let c = Client::builder()
            .endpoint(server.endpoint())
            .bucket(BUCKET)
            .region(server.region())
            .credentials(StaticProvider::from_keys(AK, SK))
            .signature_version(version)
            .retry_policy(fast_policy(3))
            .clock_offset(chrono::Duration::hours(-2))
            .build()
            .unwrap();
        c.put_object("skewed", Body::from("on time"), PutObjectOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert!(
            c.clock_offset().num_seconds().abs() <= 5,
            "{version}: offset after correction {:?}",
            c.clock_offset()
        );
        // Without retries the skew error is reported as such.
        let strict = Client::builder()
            .endpoint(server.endpoint())
            .bucket(BUCKET)
            .region(server.region())
            .credentials(StaticProvider::from_keys(AK, SK))
            .signature_version(version)
            .retry_policy(RetryPolicy::none())
            .clock_offset(chrono::Duration::hours(2))
            .build()
            .unwrap();
        let err = strict.get_object_meta("skewed", None).await.unwrap_err();
        assert!(
            err.code() == Some("RequestTimeTooSkewed") || err.status() == Some(403),
            "{err}"
        );
        assert!(err.is_retryable() || err.code() != Some("RequestTimeTooSkewed"));
    }
    server.shutdown().await;
}
