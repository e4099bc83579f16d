//! The `tracing` span of every OSS request: operation, key, attempt and `x-oss-request-id`
//! are recorded, retries are logged, and no secret, token or signature is ever printed.
//! (Alone in its test binary: `tracing`'s per-callsite interest cache is process-wide, so a
//! scoped subscriber must not race with other tests.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jitstore_oss::client::{Body, Client, PutObjectOptions, RetryPolicy};
use jitstore_oss::credentials::{Credentials, StaticProvider};
use jitstore_oss_server::FaultPlan;
use jitstore_testkit::keys::{BUCKET, STS_AK, STS_SK, STS_TOKEN};
use jitstore_testkit::Peer;

/// A writer that collects everything `tracing` prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tracing_spans_carry_request_ids_but_no_secrets() {
    let Peer {
        server,
        data: _data,
        ..
    } = Peer::start().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let c = Client::builder()
        .endpoint(server.endpoint())
        .bucket(BUCKET)
        .region(server.region())
        .credentials(StaticProvider::new(
            Credentials::new(STS_AK, STS_SK).with_security_token(STS_TOKEN),
        ))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        })
        .build()
        .unwrap();
    server.set_faults(FaultPlan {
        nth: vec![1],
        status: Some(503),
        methods: vec!["PUT".into()],
        ..FaultPlan::default()
    });
    let out = c
        .put_object(
            "traced/key.txt",
            Body::from("t"),
            PutObjectOptions::default(),
        )
        .await
        .unwrap();
    let _ = c.get_object_meta("traced/missing", None).await;
    let presigned = c
        .presign("traced/key.txt", Default::default())
        .await
        .unwrap();
    let debug = format!("{c:?} {presigned:?}");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("oss_request"), "{logs}");
    assert!(
        logs.contains("PutObject") && logs.contains("traced/key.txt"),
        "{logs}"
    );
    assert!(logs.contains("retrying"), "the 503 retry is logged: {logs}");
    assert!(
        logs.contains(out.request_id.as_deref().unwrap()),
        "request id recorded: {logs}"
    );
    for secret in [STS_SK, STS_TOKEN] {
        assert!(!logs.contains(secret), "secret in logs: {logs}");
        assert!(!debug.contains(secret), "secret in Debug: {debug}");
    }
    assert!(!logs.contains("Signature"), "{logs}");
    server.shutdown().await;
}
