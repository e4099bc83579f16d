//! The server attacked as a hostile client would: every test here failed on the server before
//! it was hardened (forms staged before authentication, unbounded chunked bodies, unchecked
//! payload hashes, unstorable headers served as empty 200s, DeleteBucket racing a PUT,
//! half-validated batch deletes, clients trickling bytes forever, secrets in config errors,
//! ill-formed listing XML).

use std::time::{Duration, Instant};

use crate::common::*;
use chrono::{Duration as ChronoDuration, Utc};
use futures::SinkExt;
use http::HeaderMap;
use jitstore_oss::credentials::Credentials;
use jitstore_oss::post_policy::PostPolicy;
use jitstore_oss::sign::{sign_v4_header, RequestParts};
use jitstore_oss_server::RunningServer;
use jitstore_testkit::Peer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOUNDARY: &str = "hardening-boundary";

fn tmp_dir_of(data: &std::path::Path, bucket: &str) -> std::path::PathBuf {
    data.join("buckets").join(bucket).join("tmp")
}

fn staged_files(data: &std::path::Path, bucket: &str) -> usize {
    std::fs::read_dir(tmp_dir_of(data, bucket))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn form_field(name: &str, value: &str) -> Vec<u8> {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        .into_bytes()
}

fn form_file_head() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes()
}

type Sender = futures::channel::mpsc::Sender<Result<Vec<u8>, std::io::Error>>;

/// Starts a request whose body is fed through the returned sender and never ends by itself.
fn streaming(
    request: reqwest::RequestBuilder,
) -> (
    Sender,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (tx, rx) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let task = tokio::spawn(request.body(reqwest::Body::wrap_stream(rx)).send());
    (tx, task)
}

/// Waits for the answer of a request whose body is still open; `None` if none came in time.
async fn answer_while_body_open(
    task: tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) -> Option<(u16, String)> {
    let r = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .ok()?
        .expect("request task")
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}

/// Like [`answer_while_body_open`] for a refusal that closes the connection: `Some(None)` when
/// the connection was closed before the client could read the answer (the server closes with
/// the client's unread body in its socket, which can reset the connection under the answer).
/// `None` only if nothing happened in time, i.e. the server kept reading the body.
async fn refusal_while_body_open(
    task: tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) -> Option<Option<(u16, String)>> {
    let r = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .ok()?
        .expect("request task");
    let Ok(r) = r else {
        return Some(None);
    };
    let status = r.status().as_u16();
    Some(Some((status, r.text().await.unwrap_or_default())))
}

fn post_url(server: &RunningServer, bucket: &str) -> String {
    format!("{}/{}/", server.endpoint(), bucket)
}

fn form_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_form_to_a_private_bucket_is_refused_before_the_file_is_staged() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let (mut tx, task) = streaming(
        client()
            .post(post_url(&server, BUCKET))
            .header("content-type", form_content_type()),
    );
    tx.send(Ok(form_field("key", "anon.bin"))).await.unwrap();
    tx.send(Ok(form_file_head())).await.unwrap();
    for _ in 0..8 {
        // A server that refuses early closes the connection and the body stream with it.
        if tx.send(Ok(vec![1u8; 64 * 1024])).await.is_err() {
            break;
        }
    }
    let answer = refusal_while_body_open(task).await;
    let staged = staged_files(dir.path(), BUCKET);
    drop(tx);
    if let Some((status, body)) = answer.expect("no answer before the whole file was sent") {
        assert_eq!(status, 403, "{body}");
        assert_eq!(xml_text(&body, "Code").as_deref(), Some("AccessDenied"));
    }
    assert_eq!(
        staged, 0,
        "a staging file was created for an anonymous form"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_larger_than_its_content_length_range_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let now = Utc::now();
    let fields = PostPolicy::new(now + ChronoDuration::hours(1))
        .bucket(BUCKET)
        .content_length_range(0, 100 * 1024)
        .sign_v4(&Credentials::new(AK, SK), server.region(), now)
        .unwrap();
    let (mut tx, task) = streaming(
        client()
            .post(post_url(&server, BUCKET))
            .header("content-type", form_content_type()),
    );
    tx.send(Ok(form_field("key", "limited.bin"))).await.unwrap();
    for (name, value) in &fields.fields {
        tx.send(Ok(form_field(name, value))).await.unwrap();
    }
    tx.send(Ok(form_file_head())).await.unwrap();
    for _ in 0..8 {
        // A server that refuses early closes the connection and the body stream with it.
        if tx.send(Ok(vec![2u8; 64 * 1024])).await.is_err() {
            break;
        }
    }
    let answer = refusal_while_body_open(task).await;
    drop(tx);
    if let Some((status, body)) = answer.expect("no answer before the whole file was sent") {
        assert_eq!(status, 400, "{body}");
        assert_eq!(xml_text(&body, "Code").as_deref(), Some("EntityTooLarge"));
    }
    let r = client()
        .get(format!("{}/{}/limited.bin", server.endpoint(), BUCKET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "anonymous read of a private bucket");
    assert_eq!(staged_files(dir.path(), BUCKET), 0);
    server.shutdown().await;
}

async fn limited_server(dir: &std::path::Path, limit: u64) -> RunningServer {
    Peer::builder()
        .bucket(BUCKET)
        .without_credentials()
        .configure(move |config| config.max_object_size(limit))
        .start_in(dir)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_put_and_upload_part_stop_at_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    const LIMIT: u64 = 1024 * 1024;
    let server = limited_server(dir.path(), LIMIT).await;
    // Exactly the limit is fine.
    let r = client()
        .put(url(&server, "exact"))
        .body(vec![0u8; LIMIT as usize])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{}?uploads", url(&server, "mp")))
        .send()
        .await
        .unwrap();
    let upload_id = xml_text(&r.text().await.unwrap(), "UploadId").unwrap();
    for target in [
        url(&server, "chunked"),
        format!("{}?partNumber=1&uploadId={upload_id}", url(&server, "mp")),
    ] {
        let (mut tx, task) = streaming(client().put(&target));
        for _ in 0..24 {
            if tx.send(Ok(vec![3u8; 64 * 1024])).await.is_err() {
                break;
            }
        }
        let answer = answer_while_body_open(task).await;
        drop(tx);
        let (status, body) = answer.expect("no answer to an over-long chunked body");
        assert_eq!(status, 400, "{target}: {body}");
        assert_eq!(xml_text(&body, "Code").as_deref(), Some("EntityTooLarge"));
    }
    assert_eq!(
        client()
            .get(url(&server, "chunked"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let parts = client()
        .get(format!("{}?uploadId={upload_id}", url(&server, "mp")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml_all(&parts, "Part").is_empty(), "{parts}");
    assert_eq!(staged_files(dir.path(), BUCKET), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_payload_hash_other_than_unsigned_payload_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let body = b"checked?".to_vec();
    let mut headers = HeaderMap::new();
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    headers.insert("x-oss-content-sha256", digest.parse().unwrap());
    let parts = RequestParts {
        method: "PUT",
        bucket: Some(BUCKET),
        key: Some("hashed"),
        query: &[],
        headers: &headers,
    };
    sign_v4_header(
        &parts,
        &Credentials::new(AK, SK),
        server.region(),
        Utc::now(),
        &[],
    )
    .unwrap()
    .apply_to(&mut headers);
    // The body differs from the signed digest: OSS never checks it, so it refuses the header.
    let r = client()
        .put(url(&server, "hashed"))
        .headers(headers)
        .body("something else")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert_eq!(xml_text(&text, "Code").as_deref(), Some("InvalidArgument"));
    assert_eq!(xml_text(&text, "EC").as_deref(), Some("0002-00000214"));
    assert!(!dir
        .path()
        .join("buckets")
        .join(BUCKET)
        .join("objects")
        .read_dir()
        .unwrap()
        .any(|_| true));
    server.shutdown().await;
}

fn form_with(fields: &[(&str, &str)], file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (n, v) in fields {
        body.extend(form_field(n, v));
    }
    body.extend(form_file_head());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn unstorable_content_headers_are_refused_at_write_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    for (name, value) in [
        ("content-type", "text/plain\r\nx-injected: 1"),
        ("cache-control", "no-cache\u{1}"),
        ("content-disposition", "attachment\nfilename=x"),
        ("x-oss-meta-note", "line\nbreak"),
        ("x-oss-meta-bad name", "v"),
    ] {
        let r = http
            .post(post_url(&server, BUCKET))
            .header("content-type", form_content_type())
            .body(form_with(&[("key", "form.txt"), (name, value)], b"data"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(
            xml_text(&body, "Code").as_deref(),
            Some("InvalidArgument"),
            "{name}"
        );
        assert!(body.contains(name), "the error names the field: {body}");
        let r = http.get(url(&server, "form.txt")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{name}: the object was written anyway");
    }
    // User metadata with UTF-8 (obs-text on the wire) is stored and served back, not dropped.
    let value = http::HeaderValue::from_bytes("café".as_bytes()).unwrap();
    let r = http
        .put(url(&server, "meta"))
        .header("x-oss-meta-word", value.clone())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(url(&server, "meta")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("x-oss-meta-word"), Some(&value));
    assert_eq!(r.text().await.unwrap(), "x");
    server.shutdown().await;
}

#[tokio::test]
async fn delete_multiple_validates_every_key_before_deleting() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    for key in ["first", "second"] {
        let r = http.put(url(&server, key)).body(key).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let xml = "<Delete><Quiet>false</Quiet><Object><Key>first</Key></Object>\
               <Object><Key>\\bad</Key></Object><Object><Key>second</Key></Object></Delete>";
    let r = http
        .post(format!("{}/{}/?delete", server.endpoint(), BUCKET))
        .header("content-md5", md5_base64(xml.as_bytes()))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("InvalidObjectName")
    );
    for key in ["first", "second"] {
        let r = http.get(url(&server, key)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{key} was deleted by a refused request");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_bucket_cannot_race_a_put_and_the_name_stays_reusable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let server = open_server(&data).await;
    let http = client();
    let racy = format!("{}/racy", server.endpoint());
    assert_eq!(http.put(&racy).send().await.unwrap().status(), 200);
    let (mut tx, task) = streaming(http.put(format!("{racy}/inflight")));
    tx.send(Ok(vec![4u8; 512 * 1024])).await.unwrap();
    // Wait until the PUT is being staged.
    let start = Instant::now();
    while staged_files(&data, "racy") == 0 && start.elapsed() < Duration::from_secs(5) {
        tx.send(Ok(vec![4u8; 256 * 1024])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = http.delete(&racy).send().await.unwrap();
    assert_eq!(r.status(), 409, "DeleteBucket during a PUT");
    assert_eq!(
        xml_text(&r.text().await.unwrap(), "Code").as_deref(),
        Some("BucketNotEmpty")
    );
    drop(tx);
    let put = task.await.unwrap().unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(
        http.delete(format!("{racy}/inflight"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(http.delete(&racy).send().await.unwrap().status(), 204);
    // The name can be created again, and a crash leftover of a creation is no bucket.
    assert_eq!(http.put(&racy).send().await.unwrap().status(), 200);
    assert_eq!(http.delete(&racy).send().await.unwrap().status(), 204);
    server.shutdown().await;
    let ghost = data.join("buckets").join(".new-00000000deadbeef");
    std::fs::create_dir_all(ghost.join("objects")).unwrap();
    std::fs::write(
        ghost.join("bucket.json"),
        r#"{"name":"ghost","created_ms":0,"region":"cn-hangzhou","acl":"private","storage_class":"Standard"}"#,
    )
    .unwrap();
    let server = open_server(&data).await;
    let http = client();
    for name in ["racy", "ghost"] {
        let r = http
            .get(format!("{}/{name}/", server.endpoint()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{name} came back after a restart");
    }
    assert!(!ghost.exists(), "the creation leftover was not swept");
    assert_eq!(
        http.put(format!("{}/ghost", server.endpoint()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    server.shutdown().await;
}

async fn timed_server(dir: &std::path::Path) -> RunningServer {
    Peer::builder()
        .bucket(BUCKET)
        .without_credentials()
        .configure(|mut config| {
            config.header_read_timeout_ms = 800;
            config.idle_timeout_ms = 800;
            config.min_body_rate = 64 * 1024;
            config.min_body_rate_grace_ms = 500;
            config
        })
        .start_in(dir)
        .await
}

/// Reads until the server closes the connection; returns what was read and when it closed.
async fn until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(out),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_header_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let server = timed_server(dir.path()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let request = format!("GET /{BUCKET}/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    let started = Instant::now();
    let mut closed = false;
    for byte in request.bytes().chain(std::iter::repeat(b'a')).take(200) {
        if tcp.write_all(&[byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > Duration::from_secs(6) {
            break;
        }
        let mut probe = [0u8; 1];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut probe)).await {
            if matches!(r, Ok(0) | Err(_)) {
                closed = true;
                break;
            }
        }
    }
    assert!(closed, "a one-byte-at-a-time header was held open");
    assert!(started.elapsed() < Duration::from_secs(4));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = timed_server(dir.path()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(format!("GET /{BUCKET}/ HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let got = until_closed(&mut tcp, Duration::from_secs(5))
        .await
        .expect("the idle connection stayed open");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500),
        "closed too early: {elapsed:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_cut_off_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = timed_server(dir.path()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    tcp.write_all(
        format!(
            "PUT /{BUCKET}/slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut cut = false;
    while started.elapsed() < Duration::from_secs(6) {
        if tcp.write_all(&[b'x'; 16]).await.is_err() {
            cut = true;
            break;
        }
        let mut probe = [0u8; 256];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut probe)).await
        {
            if matches!(r, Ok(_) | Err(_)) {
                cut = true;
                break;
            }
        }
    }
    assert!(cut, "a 160 B/s body was accepted for 6 s");
    assert!(started.elapsed() < Duration::from_secs(4));
    let r = client().get(url(&server, "slow")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    server.shutdown().await;
}

#[test]
fn serve_config_errors_never_echo_a_secret() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: jitstore_oss_server::ServeArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    for text in [
        r#"{"data_dir": "/x", "credentials": ["ak:TOPSECRET-1"]}"#,
        r#"{"data_dir": "/x", "credentials": [{"access_key_id": "ak", "access_key_secret": 7777777}]}"#,
        r#"{"data_dir": "/x", "max_skew_secs": "TOPSECRET-1"}"#,
        r#"{"data_dir": "/x", "credentials": [{"access_key_id": "ak", "access_key_secret": "TOPSECRET-1", "security_token": "TOPSECRET-1",}]}"#,
    ] {
        let file = dir.path().join("server.json");
        std::fs::write(&file, text).unwrap();
        let args = Cli::try_parse_from(["serve", "--config", file.to_str().unwrap()])
            .unwrap()
            .serve;
        let err = args.to_config().expect_err("bad config accepted");
        let shown = format!("{err} / {err:?}");
        assert!(
            !shown.contains("TOPSECRET") && !shown.contains("7777777"),
            "{shown}"
        );
        assert!(shown.contains("server.json"), "{shown}");
    }
}

/// True when every character may appear in an XML 1.0 document.
fn xml10_chars_only(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    })
}

#[tokio::test]
async fn listings_stay_well_formed_for_keys_with_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let http = client();
    let keys = ["ctl\u{1}key", "cr\rkey", "plain", "tab\tkey"];
    for key in keys {
        let r = http.put(url(&server, key)).body("x").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let base = format!("{}/{}/", server.endpoint(), BUCKET);
    for query in ["", "?list-type=2", "?prefix=ctl%01", "?delimiter=%01"] {
        let body = http
            .get(format!("{base}{query}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(xml10_chars_only(&body), "{query}: {body:?}");
        let mut reader = quick_xml::Reader::from_str(&body);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{query}: {e}: {body}"),
            }
        }
        if query.is_empty() || query == "?list-type=2" {
            let encoded = xml_text(&body, "EncodingType").as_deref() == Some("url");
            assert!(encoded, "{query}: {body}");
            let mut listed: Vec<String> = xml_all(&body, "Key")
                .iter()
                .map(|k| jitstore_oss::encoding::decode(k).unwrap())
                .collect();
            listed.sort();
            let mut expected = keys.to_vec();
            expected.sort();
            assert_eq!(listed, expected);
        }
    }
    // Without such keys the listing keeps plain keys.
    let body = http
        .get(format!("{base}?prefix=plain"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(xml_text(&body, "EncodingType"), None);
    assert_eq!(xml_all(&body, "Key"), vec!["plain".to_string()]);
    // Multipart answers naming such a key switch to url encoding too.
    let r = http
        .post(format!("{}?uploads", url(&server, "ctl\u{1}key")))
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(xml10_chars_only(&body), "{body:?}");
    assert_eq!(xml_text(&body, "Key").as_deref(), Some("ctl%01key"));
    let body = http
        .get(format!("{base}?uploads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml10_chars_only(&body), "{body:?}");
    assert_eq!(xml_text(&body, "EncodingType").as_deref(), Some("url"));
    // The error for a missing control-character key is well-formed too.
    let body = http
        .get(url(&server, "missing\u{2}key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml10_chars_only(&body), "{body:?}");
    server.shutdown().await;
}
