//! The host examples, compiled into this test: `examples/serve_range.rs` serving DiskType and
//! OssType objects over HTTP with Range / If-None-Match, and `examples/error_kinds.rs` deciding
//! retry / report / give up from `ErrorKind` and `is_temporary()`.

#[path = "../examples/error_kinds.rs"]
mod error_kinds;
mod oss_type_support;
#[path = "../examples/serve_range.rs"]
mod serve_range;

use std::sync::Arc;

use jitstore::{ErrorKind, StorageHandle};
use jitstore_storages::DiskStorage;
use oss_type_support::OssTypePeer;

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the example server answers");
    let status = response.status().as_u16();
    let range = response
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        range,
        response.bytes().await.expect("body").to_vec(),
    )
}

async fn check_range_server(store: StorageHandle) {
    let data = oss_type_support::content(300_001, 5);
    store
        .upload_by_file("media/clip ü.bin", data.clone(), Some("video/mp4"))
        .await
        .expect("upload");
    let etag = store
        .stat("media/clip ü.bin")
        .await
        .expect("stat")
        .etag
        .expect("etag");
    let (address, server) = serve_range::serve(store).await.expect("serves");
    let url = format!("http://{address}/media/clip%20%C3%BC.bin");
    assert_eq!(get(&url, &[]).await, (200, None, data.clone()));
    assert_eq!(
        get(&url, &[("range", "bytes=0-99")]).await,
        (206, Some("bytes 0-99/300001".into()), data[..100].to_vec())
    );
    assert_eq!(
        get(&url, &[("range", "bytes=-64")]).await,
        (
            206,
            Some("bytes 299937-300000/300001".into()),
            data[299_937..].to_vec()
        )
    );
    assert_eq!(
        get(&url, &[("range", "bytes=299990-")]).await,
        (
            206,
            Some("bytes 299990-300000/300001".into()),
            data[299_990..].to_vec()
        )
    );
    let (status, range, body) = get(&url, &[("range", "bytes=300001-")]).await;
    assert_eq!(
        (status, range.as_deref(), body.len()),
        (416, Some("bytes */300001"), 0)
    );
    let (status, _, body) = get(&url, &[("if-none-match", &format!("\"{etag}\""))]).await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = get(&format!("http://{address}/media/missing"), &[]).await;
    assert_eq!(status, 404);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_range_example_streams_disk_objects_with_ranges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disk = DiskStorage::new(dir.path()).expect("disk");
    check_range_server(StorageHandle::new(
        "storages.Media",
        "storages.DiskType",
        Arc::new(disk),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_range_example_streams_oss_objects_with_ranges() {
    let peer = oss_type_support::start().await;
    check_range_server(peer.handle("Media", peer.config(serde_json::json!({})))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_kinds_example_retries_reports_or_gives_up_by_kind() {
    use error_kinds::{fetch, write_oss_element, Outcome};
    use jitstore_oss_server::{AccessKey, Server, ServerConfig};
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(
        ServerConfig::new(data.path())
            .bucket("demo-bucket")
            .credential(AccessKey::new("demo-key-id", "demo-secret")),
    )
    .await
    .expect("server");
    let app_dir = tempfile::tempdir().expect("temp dir");
    let endpoint = server.endpoint().to_string();
    write_oss_element(
        app_dir.path(),
        "Good",
        &endpoint,
        server.region(),
        "demo-secret",
    )
    .expect("element");
    write_oss_element(app_dir.path(), "Wrong", &endpoint, server.region(), "other")
        .expect("element");
    let app = jitstore::App::open(app_dir.path()).expect("app");
    let good = app.get_element("storages.Good").expect("good");
    let wrong = app.get_element("storages.Wrong").expect("wrong");
    good.upload_by_file("hello.txt", b"hello".to_vec(), None)
        .await
        .expect("upload");

    assert_eq!(
        fetch(&good, "hello.txt", 3).await,
        Outcome::Fetched("hello".into())
    );
    assert_eq!(fetch(&good, "nope.txt", 3).await, Outcome::Missing);
    assert_eq!(
        fetch(&wrong, "hello.txt", 3).await,
        Outcome::Report(ErrorKind::PermissionDenied)
    );
    let refused = wrong.download("hello.txt").await.expect_err("refused");
    let oss = refused
        .find_source::<jitstore_oss::error::OssError>()
        .and_then(|e| e.service())
        .expect("the OSS answer is reachable from the handle's error");
    assert_eq!(oss.code, "SignatureDoesNotMatch");
    assert!(
        oss.request_id.is_some() && oss.extra("StringToSign").is_some(),
        "{oss:?}"
    );
    assert_eq!(refused.service().and_then(|s| s.status), Some(403));
    server.shutdown().await;
    assert_eq!(
        fetch(&good, "hello.txt", 3).await,
        Outcome::GaveUp {
            kind: ErrorKind::Network,
            attempts: 3
        }
    );
}
