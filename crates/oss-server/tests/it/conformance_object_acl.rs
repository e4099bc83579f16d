//! Object ACLs, from the OSS API reference (PutObjectAcl, GetObjectAcl, `x-oss-object-acl` on
//! PutObject / CopyObject / InitiateMultipartUpload / PostObject): answers, error codes,
//! enforcement for anonymous requests, and no side effect for refused requests.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;
use jitstore_testkit::Peer;

const PUBLIC: &str = "public-bucket";

async fn acl_of(server: &jitstore_oss_server::RunningServer, bucket: &str, key: &str) -> String {
    let (status, _, body) = outcome(
        Call::new(Method::GET, bucket, Some(key))
            .query("acl", "")
            .send(server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    xml_text(&body, "Grant").expect("Grant")
}

async fn anonymous_get(
    server: &jitstore_oss_server::RunningServer,
    bucket: &str,
    key: &str,
) -> u16 {
    Call::new(Method::GET, bucket, Some(key))
        .send(server, Who::Anonymous, "")
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn put_and_get_object_acl_change_only_the_acl() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let put = Call::new(Method::PUT, BUCKET, Some("k")).header("x-oss-meta-m", "1");
    let etag = put.send(&server, Who::Owner, "acl data").await.headers()["etag"].clone();
    assert_eq!(acl_of(&server, BUCKET, "k").await, "default");
    let head = |server| async move {
        Call::new(Method::HEAD, BUCKET, Some("k"))
            .send(server, Who::Owner, "")
            .await
    };
    let before = head(&server).await;
    // The reported data loss: PUT ?acl used to replace the object with an empty body.
    let r = Call::new(Method::PUT, BUCKET, Some("k"))
        .query("acl", "")
        .header("x-oss-object-acl", "public-read")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(acl_of(&server, BUCKET, "k").await, "public-read");
    let (_, _, body) = outcome(
        Call::new(Method::GET, BUCKET, Some("k"))
            .query("acl", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert!(body.contains("<AccessControlPolicy><Owner><ID>"), "{body}");
    let after = head(&server).await;
    for h in [
        "etag",
        "last-modified",
        "content-length",
        "x-oss-meta-m",
        "x-oss-hash-crc64ecma",
    ] {
        assert_eq!(before.headers()[h], after.headers()[h], "{h}");
    }
    let r = Call::new(Method::GET, BUCKET, Some("k"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["etag"], etag);
    assert_eq!(r.text().await.unwrap(), "acl data");
    // Back to default.
    Call::new(Method::PUT, BUCKET, Some("k"))
        .query("acl", "")
        .header("x-oss-object-acl", "default")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(acl_of(&server, BUCKET, "k").await, "default");
    server.shutdown().await;
}

#[tokio::test]
async fn refused_acl_requests_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("k"))
        .header("x-oss-object-acl", "private")
        .send(&server, Who::Owner, "v1")
        .await;
    for (call, want) in [
        (
            Call::new(Method::PUT, BUCKET, Some("k"))
                .query("acl", "")
                .header("x-oss-object-acl", "public"),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("k")).query("acl", ""),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("missing"))
                .query("acl", "")
                .header("x-oss-object-acl", "public-read"),
            (404, "NoSuchKey"),
        ),
        (
            Call::new(Method::GET, BUCKET, Some("missing")).query("acl", ""),
            (404, "NoSuchKey"),
        ),
        // A write with an invalid ACL is refused before its body is stored.
        (
            Call::new(Method::PUT, BUCKET, Some("k")).header("x-oss-object-acl", "everyone"),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("new")).header("x-oss-object-acl", "everyone"),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::POST, BUCKET, Some("new2"))
                .query("uploads", "")
                .header("x-oss-object-acl", "x"),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("new3"))
                .header("x-oss-copy-source", format!("/{BUCKET}/k"))
                .header("x-oss-object-acl", "x"),
            (400, "InvalidArgument"),
        ),
    ] {
        let (status, code, body) = outcome(call.send(&server, Who::Owner, "v2").await).await;
        assert_eq!((status, code.as_deref()), (want.0, Some(want.1)), "{body}");
    }
    assert_eq!(acl_of(&server, BUCKET, "k").await, "private");
    let r = Call::new(Method::GET, BUCKET, Some("k"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "v1");
    let (_, _, list) = outcome(
        Call::new(Method::GET, BUCKET, None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&list, "Key"), vec!["k".to_string()]);
    let (_, _, uploads) = outcome(
        Call::new(Method::GET, BUCKET, None)
            .query("uploads", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert!(xml_all(&uploads, "UploadId").is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn object_acls_are_enforced_for_anonymous_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let put = |bucket: &'static str, key: &'static str, acl: Option<&'static str>| {
        let mut c = Call::new(Method::PUT, bucket, Some(key));
        if let Some(acl) = acl {
            c = c.header("x-oss-object-acl", acl);
        }
        c
    };
    for (bucket, key, acl) in [
        (BUCKET, "default", None),
        (BUCKET, "public", Some("public-read")),
        (BUCKET, "writable", Some("public-read-write")),
        (PUBLIC, "inherits", None),
        (PUBLIC, "private", Some("private")),
    ] {
        let r = put(bucket, key, acl).send(&server, Who::Owner, key).await;
        assert_eq!(r.status(), 200);
    }
    // `default` inherits the bucket's ACL; an object's own ACL wins over the bucket's.
    assert_eq!(anonymous_get(&server, BUCKET, "default").await, 403);
    assert_eq!(anonymous_get(&server, BUCKET, "public").await, 200);
    assert_eq!(anonymous_get(&server, PUBLIC, "inherits").await, 200);
    assert_eq!(anonymous_get(&server, PUBLIC, "private").await, 403);
    let r = Call::new(Method::HEAD, PUBLIC, Some("private"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 403);
    let r = Call::new(Method::GET, BUCKET, Some("public"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "public");
    // public-read-write objects may be overwritten anonymously; others may not.
    let r = put(BUCKET, "writable", None)
        .send(&server, Who::Anonymous, "anonymous")
        .await;
    assert_eq!(r.status(), 200);
    let r = Call::new(Method::GET, BUCKET, Some("writable"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "anonymous");
    for key in ["default", "public"] {
        let (status, code, _) = outcome(
            put(BUCKET, key, None)
                .send(&server, Who::Anonymous, "x")
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (403, Some("AccessDenied")),
            "{key}"
        );
    }
    // Anonymous writers cannot set an ACL (that is PutObjectAcl, an owner's call).
    let (status, _, _) = outcome(
        put(BUCKET, "writable", Some("public-read"))
            .send(&server, Who::Anonymous, "x")
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // The refused writes changed nothing.
    for key in ["default", "public"] {
        let r = Call::new(Method::GET, BUCKET, Some(key))
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.text().await.unwrap(), key);
    }
    // Changing the ACL changes access at once.
    Call::new(Method::PUT, BUCKET, Some("public"))
        .query("acl", "")
        .header("x-oss-object-acl", "private")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(anonymous_get(&server, BUCKET, "public").await, 403);
    Call::new(Method::PUT, PUBLIC, Some("private"))
        .query("acl", "")
        .header("x-oss-object-acl", "default")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(anonymous_get(&server, PUBLIC, "private").await, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn copy_multipart_and_post_object_set_the_object_acl() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("src"))
        .header("x-oss-object-acl", "public-read")
        .send(&server, Who::Owner, "source")
        .await;
    // CopyObject: the source's ACL is not copied; x-oss-object-acl sets the destination's.
    Call::new(Method::PUT, BUCKET, Some("copy-default"))
        .header("x-oss-copy-source", format!("/{BUCKET}/src"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(acl_of(&server, BUCKET, "copy-default").await, "default");
    Call::new(Method::PUT, BUCKET, Some("copy-rw"))
        .header("x-oss-copy-source", format!("/{BUCKET}/src"))
        .header("x-oss-object-acl", "public-read-write")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(
        acl_of(&server, BUCKET, "copy-rw").await,
        "public-read-write"
    );
    // InitiateMultipartUpload's ACL applies to the completed object.
    let (_, _, body) = outcome(
        Call::new(Method::POST, BUCKET, Some("mp"))
            .query("uploads", "")
            .header("x-oss-object-acl", "public-read")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    let id = xml_text(&body, "UploadId").unwrap();
    let r = Call::new(Method::PUT, BUCKET, Some("mp"))
        .query("partNumber", "1")
        .query("uploadId", &id)
        .send(&server, Who::Owner, "part")
        .await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let complete = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = Call::new(Method::POST, BUCKET, Some("mp"))
        .query("uploadId", &id)
        .send(&server, Who::Owner, complete)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(acl_of(&server, BUCKET, "mp").await, "public-read");
    assert_eq!(anonymous_get(&server, BUCKET, "mp").await, 200);
    server.shutdown().await;
}

fn form(fields: &[(&str, &str)], content: &str) -> (String, String) {
    let boundary = "----conformance-boundary";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn post_object_stores_a_valid_object_acl_and_refuses_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    let url = format!("{}/{}", server.endpoint(), BUCKET);
    let (ct, body) = form(
        &[("key", "posted"), ("x-oss-object-acl", "public-read")],
        "p",
    );
    let r = client()
        .post(&url)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(acl_of(&server, BUCKET, "posted").await, "public-read");
    let (ct, body) = form(&[("key", "bad"), ("x-oss-object-acl", "world")], "p");
    let (status, code, _) = outcome(
        client()
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidArgument")));
    let r = Call::new(Method::GET, BUCKET, Some("bad"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 404);
    server.shutdown().await;
}

/// Writes an object file exactly as the server wrote them before ACL updates, tags and
/// symlinks existed (data, metadata JSON without the new fields, length, magic).
fn write_legacy_object(data_dir: &std::path::Path, bucket: &str, key: &str, data: &[u8]) {
    use md5::Digest;
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    let dir = data_dir
        .join("buckets")
        .join(bucket)
        .join("objects")
        .join(&digest[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    let md5 = md5::Md5::digest(data);
    let json = format!(
        r#"{{"key":"{key}","size":{},"etag":"{}","crc64":{},"content_md5":"{}","last_modified_ms":1700000000000,"object_type":"Normal","headers":{{"content_type":"text/plain","cache_control":null,"content_disposition":null,"content_encoding":null,"content_language":null,"expires":null,"user_meta":[["legacy","yes"]],"storage_class":null,"acl":null}}}}"#,
        data.len(),
        hex::encode_upper(md5),
        jitstore_oss::crc64::checksum(data),
        md5_base64(data),
    );
    let mut file = data.to_vec();
    file.extend_from_slice(json.as_bytes());
    file.extend_from_slice(&(json.len() as u64).to_le_bytes());
    file.extend_from_slice(b"JSOSS001");
    std::fs::write(dir.join(&digest), file).unwrap();
}

#[tokio::test]
async fn legacy_object_files_load_and_take_acls_and_tags_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let start = || Peer::builder().bucket(BUCKET).start_in(dir.path());
    // Create the bucket, then stop and plant an old-format object file.
    start().await.shutdown().await;
    write_legacy_object(dir.path(), BUCKET, "old/key.txt", b"legacy bytes");
    let server = start().await;
    let r = Call::new(Method::GET, BUCKET, Some("old/key.txt"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-oss-meta-legacy"], "yes");
    assert!(r.headers().get("x-oss-tagging-count").is_none());
    assert_eq!(r.text().await.unwrap(), "legacy bytes");
    assert_eq!(acl_of(&server, BUCKET, "old/key.txt").await, "default");
    Call::new(Method::PUT, BUCKET, Some("old/key.txt"))
        .query("acl", "")
        .header("x-oss-object-acl", "public-read")
        .send(&server, Who::Owner, "")
        .await;
    let r = Call::new(Method::PUT, BUCKET, Some("old/key.txt"))
        .query("tagging", "")
        .send(
            &server,
            Who::Owner,
            "<Tagging><TagSet><Tag><Key>era</Key><Value>old</Value></Tag></TagSet></Tagging>",
        )
        .await;
    assert_eq!(r.status(), 200);
    server.shutdown().await;
    // Both survive a restart, the data is intact.
    let server = start().await;
    assert_eq!(acl_of(&server, BUCKET, "old/key.txt").await, "public-read");
    let r = Call::new(Method::GET, BUCKET, Some("old/key.txt"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.headers()["x-oss-tagging-count"], "1");
    assert_eq!(r.text().await.unwrap(), "legacy bytes");
    server.shutdown().await;
}
