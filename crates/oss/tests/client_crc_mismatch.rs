//! CRC-64 mismatch detection and mid-body stalls.
//!
//! The local OSS server (`jitstore_oss_server`) always reports correct CRCs and cannot stall in
//! the middle of a body, so these cases use a minimal loopback HTTP listener on 127.0.0.1 that
//! answers like OSS but lies about `x-oss-hash-crc64ecma` (paths containing `lie`) or stops
//! sending half-way (paths containing `stall`). Everything else about the client is tested
//! against the real server in the root `tests/oss_client_*.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jitstore_oss::client::{
    Body, ByteRange, Client, GetObjectOptions, PutObjectOptions, RetryPolicy, Timeouts,
};
use jitstore_oss::credentials::StaticProvider;
use jitstore_oss::error::OssError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONTENT: &[u8] = b"the quick brown fox jumps over the lazy dog";

struct Lying {
    endpoint: String,
    requests: Arc<AtomicUsize>,
}

async fn start_lying_listener() -> Lying {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let _ = serve_one(socket, &counter).await;
            });
        }
    });
    Lying { endpoint, requests }
}

async fn serve_one(mut socket: TcpStream, counter: &AtomicUsize) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let lower = head.to_ascii_lowercase();
    let content_length: usize = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let ranged = lower.lines().any(|l| l.starts_with("range:"));
    let mut body = buf[header_end..].to_vec();
    while body.len() < content_length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let lie = path.contains("lie");
    let crc_of = |data: &[u8]| {
        let honest = jitstore_oss::crc64::checksum(data);
        if lie {
            honest ^ 1
        } else {
            honest
        }
    };
    let mut response = Vec::new();
    match method.as_str() {
        "PUT" => {
            response.extend_from_slice(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"ABC\"\r\n\
                     x-oss-request-id: LOOPBACK\r\nx-oss-hash-crc64ecma: {}\r\nConnection: close\r\n\r\n",
                    crc_of(&body)
                )
                .as_bytes(),
            );
        }
        "GET" if path.contains("stall") => {
            response.extend_from_slice(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nx-oss-request-id: LOOPBACK\r\n\
                     Connection: close\r\n\r\n",
                    CONTENT.len()
                )
                .as_bytes(),
            );
            response.extend_from_slice(&CONTENT[..10]);
            socket.write_all(&response).await?;
            socket.flush().await?;
            tokio::time::sleep(Duration::from_secs(3)).await;
            return Ok(());
        }
        "GET" if ranged => {
            response.extend_from_slice(
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/{}\r\n\
                     x-oss-request-id: LOOPBACK\r\nx-oss-hash-crc64ecma: {}\r\nConnection: close\r\n\r\n",
                    CONTENT.len(),
                    crc_of(CONTENT)
                )
                .as_bytes(),
            );
            response.extend_from_slice(&CONTENT[..5]);
        }
        _ => {
            response.extend_from_slice(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nx-oss-request-id: LOOPBACK\r\n\
                     x-oss-hash-crc64ecma: {}\r\nConnection: close\r\n\r\n",
                    CONTENT.len(),
                    crc_of(CONTENT)
                )
                .as_bytes(),
            );
            response.extend_from_slice(CONTENT);
        }
    }
    socket.write_all(&response).await?;
    socket.shutdown().await
}

fn client(endpoint: &str, crc_check: bool) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .bucket("crc-bucket")
        .region("cn-hangzhou")
        .credentials(StaticProvider::from_keys("ak", "sk"))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .timeouts(Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_millis(300),
            total: None,
        })
        .crc_check(crc_check)
        .build()
        .unwrap()
}

#[tokio::test]
async fn full_download_with_a_wrong_crc_fails_at_the_end_of_the_stream() {
    let lying = start_lying_listener().await;
    let c = client(&lying.endpoint, true);

    let honest = c
        .get_object("honest", GetObjectOptions::default())
        .await
        .unwrap();
    assert!(honest.body.is_crc_checked());
    assert_eq!(honest.body.bytes().await.unwrap(), CONTENT);

    let got = c
        .get_object("lie", GetObjectOptions::default())
        .await
        .unwrap();
    let server_crc = got.meta.crc64.unwrap();
    match got.body.bytes().await {
        Err(OssError::CrcMismatch {
            operation,
            key,
            client,
            server,
        }) => {
            assert_eq!(operation, "GetObject");
            assert_eq!(key, "lie");
            assert_eq!(client, jitstore_oss::crc64::checksum(CONTENT));
            assert_eq!(server, server_crc);
        }
        other => panic!("expected a CRC mismatch, got {other:?}"),
    }

    // A ranged read carries the whole-object CRC, so it is not checked.
    let ranged = c
        .get_object(
            "lie",
            GetObjectOptions {
                range: Some(ByteRange::Inclusive(0, 4)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!ranged.body.is_crc_checked());
    assert_eq!(ranged.body.bytes().await.unwrap(), &CONTENT[..5]);

    // With CRC checks off the lie goes unnoticed.
    let unchecked = client(&lying.endpoint, false);
    let got = unchecked
        .get_object("lie", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(got.body.bytes().await.unwrap(), CONTENT);
}

#[tokio::test]
async fn corrupted_download_is_not_kept_on_disk() {
    let lying = start_lying_listener().await;
    let c = client(&lying.endpoint, true);
    let dir = std::env::temp_dir().join(format!("jitstore-crc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("download.txt");
    std::fs::write(&target, b"previous version").unwrap();

    let got = c
        .get_object("lie", GetObjectOptions::default())
        .await
        .unwrap();
    let err = got.body.save_to_file(&target).await.unwrap_err();
    assert!(matches!(err, OssError::CrcMismatch { .. }), "{err:?}");
    assert_eq!(std::fs::read(&target).unwrap(), b"previous version");
    let entries = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(entries, 1, "temporary file removed");

    let got = c
        .get_object("honest", GetObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(
        got.body.save_to_file(&target).await.unwrap(),
        CONTENT.len() as u64
    );
    assert_eq!(std::fs::read(&target).unwrap(), CONTENT);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn upload_with_a_wrong_crc_is_retried_then_reported() {
    let lying = start_lying_listener().await;
    let c = client(&lying.endpoint, true);
    c.put_object("honest", Body::from(CONTENT), PutObjectOptions::default())
        .await
        .unwrap();
    assert_eq!(lying.requests.load(Ordering::SeqCst), 1);

    let err = c
        .put_object("lie", Body::from(CONTENT), PutObjectOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, OssError::CrcMismatch { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(
        lying.requests.load(Ordering::SeqCst),
        1 + 3,
        "three attempts"
    );

    let unchecked = client(&lying.endpoint, false);
    unchecked
        .put_object("lie", Body::from(CONTENT), PutObjectOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_body_that_stalls_mid_way_hits_the_read_timeout() {
    let lying = start_lying_listener().await;
    let c = client(&lying.endpoint, true);
    let t0 = std::time::Instant::now();
    let got = c
        .get_object("stall", GetObjectOptions::default())
        .await
        .unwrap();
    let err = got.body.bytes().await.unwrap_err();
    assert!(matches!(err, OssError::Timeout { .. }), "{err:?}");
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}
