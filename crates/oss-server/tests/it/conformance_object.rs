//! Object calls, from the OSS API reference: PutObject, GetObject, HeadObject, GetObjectMeta,
//! DeleteObject, CopyObject: answer shapes and headers, error codes, and no side effect for
//! refused requests.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;

#[tokio::test]
async fn put_get_head_and_meta_answer_with_oss_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let data = b"object conformance";
    let r = Call::new(Method::PUT, BUCKET, Some("o"))
        .header("x-oss-meta-author", "alice")
        .header("cache-control", "no-cache")
        .send(&server, Who::Owner, &data[..])
        .await;
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["etag"].to_str().unwrap(), md5_etag(data));
    assert_eq!(h["content-md5"].to_str().unwrap(), md5_base64(data));
    assert_eq!(
        h["x-oss-hash-crc64ecma"].to_str().unwrap(),
        jitstore_oss::crc64::checksum(data).to_string()
    );
    assert!(h.contains_key("x-oss-request-id"));
    assert_eq!(h["server"], "AliyunOSS");
    for method in [Method::GET, Method::HEAD] {
        let r = Call::new(method.clone(), BUCKET, Some("o"))
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["etag"].to_str().unwrap(), md5_etag(data));
        assert_eq!(h["content-length"], data.len().to_string().as_str());
        assert_eq!(h["content-type"], "application/octet-stream");
        assert_eq!(h["x-oss-object-type"], "Normal");
        assert_eq!(h["x-oss-storage-class"], "Standard");
        assert_eq!(h["accept-ranges"], "bytes");
        assert_eq!(h["x-oss-meta-author"], "alice");
        assert_eq!(h["cache-control"], "no-cache");
        assert!(h.contains_key("last-modified"));
        assert!(h.get("x-oss-tagging-count").is_none());
        let body = r.bytes().await.unwrap();
        if method == Method::GET {
            assert_eq!(body.as_ref(), data);
        } else {
            assert!(body.is_empty());
        }
    }
    let r = Call::new(Method::HEAD, BUCKET, Some("o"))
        .query("objectMeta", "")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-length"],
        data.len().to_string().as_str()
    );
    assert!(r.headers().contains_key("x-oss-last-access-time"));
    assert!(r.headers().get("x-oss-meta-author").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn object_errors_have_codes_and_no_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("kept"))
        .send(&server, Who::Owner, "kept")
        .await;
    let (status, code, body) = outcome(
        Call::new(Method::GET, BUCKET, Some("missing"))
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchKey")));
    assert_eq!(xml_text(&body, "Key").as_deref(), Some("missing"));
    let (status, code, _) = outcome(
        Call::new(Method::HEAD, BUCKET, Some("missing"))
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchKey")));
    for (call, want) in [
        (
            Call::new(Method::PUT, BUCKET, Some("kept"))
                .header("content-md5", md5_base64(b"other")),
            (400, "InvalidDigest"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("kept")).header("x-oss-forbid-overwrite", "true"),
            (409, "FileAlreadyExists"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("copy"))
                .header("x-oss-copy-source", format!("/{BUCKET}/missing")),
            (404, "NoSuchKey"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("copy"))
                .header("x-oss-copy-source", format!("/{BUCKET}/kept"))
                .header("x-oss-metadata-directive", "MERGE"),
            (400, "InvalidArgument"),
        ),
    ] {
        let (status, code, body) =
            outcome(call.send(&server, Who::Owner, "replacement").await).await;
        assert_eq!((status, code.as_deref()), (want.0, Some(want.1)), "{body}");
    }
    let r = Call::new(Method::GET, BUCKET, Some("kept"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "kept");
    let (_, _, list) = outcome(
        Call::new(Method::GET, BUCKET, None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&list, "Key"), vec!["kept".to_string()]);
    // DeleteObject answers 204 whether or not the key exists.
    for key in ["kept", "kept", "never"] {
        let r = Call::new(Method::DELETE, BUCKET, Some(key))
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.status(), 204);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn copy_object_answers_copy_object_result() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("src"))
        .header("content-type", "text/plain")
        .header("x-oss-meta-from", "source")
        .send(&server, Who::Owner, "copy me")
        .await;
    let (status, _, body) = outcome(
        Call::new(Method::PUT, BUCKET, Some("same-meta"))
            .header("x-oss-copy-source", format!("/{BUCKET}/src"))
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<CopyObjectResult><ETag>"), "{body}");
    let etag = xml_text(&body, "ETag").map(|t| t.replace("&quot;", "\""));
    assert_eq!(etag, Some(md5_etag(b"copy me")));
    assert!(xml_text(&body, "LastModified").is_some_and(|t| t.ends_with(".000Z")));
    let r = Call::new(Method::GET, BUCKET, Some("same-meta"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["x-oss-meta-from"], "source");
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.text().await.unwrap(), "copy me");
    Call::new(Method::PUT, BUCKET, Some("new-meta"))
        .header("x-oss-copy-source", format!("/{BUCKET}/src"))
        .header("x-oss-metadata-directive", "REPLACE")
        .header("x-oss-meta-to", "target")
        .send(&server, Who::Owner, "")
        .await;
    let r = Call::new(Method::HEAD, BUCKET, Some("new-meta"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["x-oss-meta-to"], "target");
    assert!(r.headers().get("x-oss-meta-from").is_none());
    server.shutdown().await;
}
