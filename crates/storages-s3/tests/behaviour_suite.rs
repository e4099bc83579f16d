//! The `storages.Meta` behaviour suite against each of the five S3-family Types on a real S3
//! server (moto on 127.0.0.1), built through the element registry from JitAI element folders,
//! plus targeted checks: multipart writes, ranged and conditional reads, delimiter listings,
//! error kinds with the service's status, presigned GETs fetched over HTTP.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use jitstore_element::App;
use jitstore_storages::testkit::{self, content};
use jitstore_storages::{
    ByteRange, ErrorKind, ReadOptions, SignUrlRequest, StorageHandle, UploadOptions,
};
use jitstore_storages_s3::presign::{presign, PresignInput};
use jitstore_storages_s3::{Credentials, ObjectUrl, S3Storage};
use support::moto::Moto;

const ACCESS_KEY: &str = "AKIAJITSTORETEST";
const SECRET_KEY: &str = "jitstore-test-secret";

/// Creates `bucket` on moto with one presigned PUT (path-style).
async fn create_bucket(moto: &Moto, bucket: &str) {
    let host = moto.end_point();
    let url = ObjectUrl {
        url: format!("http://{host}/{bucket}"),
        host: host.clone(),
        path: format!("/{bucket}"),
    };
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY);
    let signed = presign(&PresignInput {
        method: "PUT",
        url: &url,
        query: &[],
        headers: &BTreeMap::new(),
        credentials: &credentials,
        region: "us-east-1",
        at: chrono::Utc::now(),
        expires: Duration::from_secs(60),
    })
    .expect("presign the bucket creation");
    let response = reqwest::Client::new()
        .put(&signed.url)
        .header("content-length", "0")
        .body(Vec::new())
        .send()
        .await
        .expect("moto answers");
    assert!(
        response.status().is_success(),
        "creating bucket {bucket}: {}",
        response.status()
    );
}

/// An app folder holding one element per `(name, type, config)`.
fn app_with(elements: &[(&str, &str, String)]) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, type_name, config) in elements {
        let folder = dir.path().join("storages").join(name);
        std::fs::create_dir_all(&folder).expect("element folder");
        std::fs::write(
            folder.join("e.json"),
            format!(r#"{{"title": "{name}", "type": "{type_name}", "backendBundleEntry": "."}}"#),
        )
        .expect("e.json");
        std::fs::write(folder.join(format!("{name}.json")), config).expect("config");
    }
    // Names an item of the crate so its Type registrations are linked into this test binary.
    let _ = std::any::type_name::<S3Storage>();
    let app = App::open(dir.path()).expect("the app opens");
    (dir, app)
}

fn handle(app: &App, name: &str) -> StorageHandle {
    let loaded = app
        .get_element(&format!("storages.{name}"))
        .unwrap_or_else(|e| panic!("element {name}: {e}"));
    StorageHandle::from_loaded(&loaded).expect("a storage element")
}

fn config(moto: &Moto, bucket: &str, extra: &str) -> String {
    format!(
        r#"{{"accessKeyId": "{ACCESS_KEY}", "accessKeySecret": "{SECRET_KEY}", "endPoint": "{}", "bucketName": "{bucket}"{extra}}}"#,
        moto.end_point()
    )
}

/// The five Types, each with its JitAI fields; `scheme`/`region` only where the Type needs them
/// on a local HTTP server.
fn five_types(moto: &Moto) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "MyS3",
            "storages.AwsS3Type",
            config(
                moto,
                "aws-bucket",
                r#", "region": "us-east-1", "scheme": "http""#,
            ),
        ),
        (
            "MyMinio",
            "storages.MinioType",
            config(moto, "minio-bucket", ""),
        ),
        (
            "MyR2",
            "storages.CloudflareR2Type",
            config(moto, "r2-bucket", r#", "region": "auto", "scheme": "http""#),
        ),
        (
            "MyEos",
            "storages.EosType",
            config(moto, "eos-bucket", r#", "scheme": "http""#),
        ),
        (
            "MyQiniu",
            "storages.QiniuType",
            config(moto, "qiniu-bucket", ""),
        ),
    ]
}

async fn suite_for(index: usize) {
    let Some(moto) = Moto::start() else { return };
    let elements = five_types(&moto);
    let (name, _, config) = &elements[index];
    let bucket = serde_json::from_str::<serde_json::Value>(config).expect("json")["bucketName"]
        .as_str()
        .expect("bucket")
        .to_owned();
    create_bucket(&moto, &bucket).await;
    let (_dir, app) = app_with(&elements[index..=index]);
    testkit::run(&handle(&app, name)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_s3_type_passes_the_behaviour_suite() {
    suite_for(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minio_type_passes_the_behaviour_suite() {
    suite_for(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudflare_r2_type_passes_the_behaviour_suite() {
    suite_for(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eos_type_passes_the_behaviour_suite() {
    suite_for(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qiniu_type_passes_the_behaviour_suite() {
    suite_for(4).await;
}

/// One MinIO element on moto with 5 MiB parts from 5 MiB on.
async fn small_parts_store(moto: &Moto) -> (tempfile::TempDir, StorageHandle) {
    create_bucket(moto, "targeted").await;
    let extra = r#", "partSize": 5242880, "multipartThreshold": 5242880, "concurrency": 2"#;
    let (dir, app) = app_with(&[(
        "Targeted",
        "storages.MinioType",
        config(moto, "targeted", extra),
    )]);
    let store = handle(&app, "Targeted");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targeted_behaviour_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let (_dir, store) = small_parts_store(&moto).await;

    // Multipart write: 11 MiB + 3 in uneven chunks becomes a three-part upload (its ETag has
    // the `-<parts>` suffix of a multipart object) and reads back equal.
    let data = content((11 << 20) + 3, 7);
    let mut writer = store
        .write(
            "big/multipart.bin",
            &UploadOptions::content_type("application/x-test"),
        )
        .await
        .expect("writer");
    for chunk in data.chunks(1_000_003) {
        writer.put(chunk.to_vec()).await.expect("write a chunk");
    }
    let result = writer.finish().await.expect("finish");
    assert_eq!(result.size, data.len() as u64);
    assert!(
        result.etag.ends_with("-3"),
        "multipart ETag {:?}",
        result.etag
    );
    assert_eq!(
        &store.download("big/multipart.bin").await.expect("download")[..],
        &data[..]
    );
    let info = store.stat("big/multipart.bin").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("application/x-test"));

    // Ranged reads, served as ranges.
    let read = store
        .read(
            "big/multipart.bin",
            &ReadOptions::range(ByteRange::Bounded(5_242_870..5_242_890)),
        )
        .await
        .expect("ranged read");
    assert_eq!(read.range, 5_242_870..5_242_890);
    assert_eq!(read.info.size, data.len() as u64);
    assert_eq!(
        &read.bytes().await.expect("bytes")[..],
        &data[5_242_870..5_242_890]
    );
    let tail = store
        .read("big/multipart.bin", &ReadOptions::range(ByteRange::Last(5)))
        .await
        .expect("suffix read");
    assert_eq!(
        &tail.bytes().await.expect("bytes")[..],
        &data[data.len() - 5..]
    );
    let beyond = store
        .read(
            "big/multipart.bin",
            &ReadOptions::range(ByteRange::From(data.len() as u64)),
        )
        .await;
    assert_eq!(
        beyond.map(|_| ()).unwrap_err().kind(),
        ErrorKind::RangeNotSatisfiable
    );

    // Conditional reads.
    let v1 = store
        .upload_by_file("cond/a.txt", b"one".to_vec(), None)
        .await
        .expect("upload v1");
    let v2 = store
        .upload_by_file("cond/a.txt", b"two!".to_vec(), None)
        .await
        .expect("upload v2");
    let stale = store
        .read("cond/a.txt", &ReadOptions::new().if_match(v1.etag.clone()))
        .await;
    assert_eq!(
        stale.map(|_| ()).unwrap_err().kind(),
        ErrorKind::ConditionNotMatch
    );
    let current = store
        .read(
            "cond/a.txt",
            &ReadOptions::new().if_none_match(v2.etag.clone()),
        )
        .await;
    assert_eq!(
        current.map(|_| ()).unwrap_err().kind(),
        ErrorKind::NotModified
    );
    let fresh = store
        .read("cond/a.txt", &ReadOptions::new().if_match(v2.etag.clone()))
        .await
        .expect("If-Match of the current ETag");
    assert_eq!(&fresh.bytes().await.expect("bytes")[..], b"two!");

    // Delimiter listing: one level, natively and from a partial prefix.
    for key in [
        "tree/a.txt",
        "tree/b/1",
        "tree/b/2",
        "tree/c/x/y",
        "treetop",
    ] {
        store
            .upload_by_file(key, b"x".to_vec(), None)
            .await
            .expect("upload tree");
    }
    let level = store.list_with_delimiter("tree/").await.expect("level");
    let objects: Vec<&str> = level.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(objects, ["tree/a.txt"]);
    assert_eq!(level.common_prefixes, ["tree/b/", "tree/c/"]);
    let partial = store
        .list_with_delimiter("tre")
        .await
        .expect("partial level");
    let objects: Vec<&str> = partial.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(objects, ["treetop"]);
    assert_eq!(partial.common_prefixes, ["tree/"]);

    // Error kinds: a missing key is NotFound, with the service's status.
    let missing = store.stat("no/such/key").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(!missing.is_temporary());
    assert_eq!(missing.service().and_then(|s| s.status), Some(404));
    let missing = store.download("no/such/key").await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    // moto answers with `x-amzn-requestid`; the traced client keeps it.
    let request_id = missing.service().and_then(|s| s.request_id.clone());
    assert!(
        request_id.is_some_and(|id| !id.is_empty()),
        "{:?}",
        missing.service()
    );
    assert!(store.exists("no/such/key").await.is_ok_and(|e| !e));
    let unsupported = store
        .append("cond/a.txt", 4, b"x".to_vec())
        .await
        .unwrap_err();
    assert_eq!(unsupported.kind(), ErrorKind::Unsupported);
    assert!(unsupported
        .to_string()
        .contains("not supported by this storage Type"));

    // Presigned GET, fetched over plain HTTP, returns the bytes (and the asked content type).
    let key = "signed/ünï +=&.txt";
    store
        .upload_by_file(key, b"signed bytes".to_vec(), Some("text/plain"))
        .await
        .expect("upload signed");
    let url = store
        .get_sign_url(key, Some("text/markdown"), None)
        .await
        .expect("sign");
    let response = reqwest::get(&url).await.expect("fetch the signed URL");
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/markdown")
    );
    assert_eq!(&response.bytes().await.expect("body")[..], b"signed bytes");

    // A presigned PUT with its content type, then read back through the storage.
    let s3 = S3Storage::from_handle(&store).expect("an S3-family storage");
    let mut request = SignUrlRequest::new("PUT", "signed/put.txt");
    request.content_type = Some("text/plain".into());
    let signed = s3
        .presign_explained(&request, None)
        .await
        .expect("presign PUT");
    assert_eq!(
        signed.headers.get("content-type").map(String::as_str),
        Some("text/plain")
    );
    assert!(signed
        .canonical_request
        .starts_with("PUT\n/targeted/signed/put.txt\n"));
    let put = reqwest::Client::new()
        .put(&signed.url)
        .header("content-type", "text/plain")
        .body("put through a URL")
        .send()
        .await
        .expect("PUT the signed URL");
    assert!(put.status().is_success(), "{}", put.status());
    assert_eq!(
        &store.download("signed/put.txt").await.expect("download")[..],
        b"put through a URL"
    );
}

#[test]
fn every_type_validates_through_the_registry_and_config_errors_name_the_field() {
    let ok = |extra: &str| {
        format!(
            r#"{{"accessKeyId": "{{{{S3_AK}}}}", "accessKeySecret": "SK", "bucketName": "media"{extra}}}"#
        )
    };
    let (dir, app) = app_with(&[
        (
            "S3",
            "storages.AwsS3Type",
            ok(r#", "endPoint": "s3.amazonaws.com", "region": "us-east-1""#),
        ),
        (
            "Minio",
            "storages.MinioType",
            ok(r#", "endPoint": "127.0.0.1:9000""#),
        ),
        (
            "R2",
            "storages.CloudflareR2Type",
            ok(r#", "endPoint": "acc.r2.cloudflarestorage.com", "region": "auto""#),
        ),
        (
            "Eos",
            "storages.EosType",
            ok(r#", "endPoint": "eos-beijing-1.cmecloud.cn""#),
        ),
        ("Qiniu", "storages.QiniuType", ok("")),
        (
            "BadQiniu",
            "storages.QiniuType",
            ok(r#", "endPoint": "rs-z2.qiniuapi.com""#),
        ),
        (
            "NoRegion",
            "storages.AwsS3Type",
            ok(r#", "endPoint": "s3.amazonaws.com""#),
        ),
    ]);
    drop(app);
    let app = App::builder(dir.path())
        .env([("S3_AK", "AKFROMENV")])
        .open()
        .expect("the app opens");
    for name in ["S3", "Minio", "R2", "Eos", "Qiniu"] {
        let store = handle(&app, name);
        let s3 = S3Storage::from_handle(&store).expect("an S3-family storage");
        assert_eq!(s3.settings().credentials.access_key_id, "AKFROMENV");
    }
    let qiniu = handle(&app, "Qiniu");
    let s3 = S3Storage::from_handle(&qiniu).expect("S3");
    assert_eq!(
        s3.settings().endpoint.to_string(),
        "http://s3.cn-south-1.qiniucs.com"
    );
    let bad = app
        .get_element("storages.BadQiniu")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("endPoint") && bad.contains("s3.<region>.qiniucs.com"),
        "{bad}"
    );
    let bad = app
        .get_element("storages.NoRegion")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(bad.contains("region"), "{bad}");
}
