//! Anonymous access to a public-read bucket (OSS: "public-read" lets anyone read objects and
//! list them): reading and listing work, nothing else does. The bucket's ACL, info, location
//! and existence probe, multipart listings and object ACL/tagging stay owner-only, and no
//! anonymous write succeeds. Every refused request leaves the bucket as it was.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;

const PUBLIC: &str = "public-bucket";

#[tokio::test]
async fn anonymous_reads_and_lists_a_public_read_bucket_and_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let put = Call::new(Method::PUT, PUBLIC, Some("dir/o.txt"));
    assert_eq!(
        put.send(&server, Who::Owner, "public data").await.status(),
        200
    );
    let init = Call::new(Method::POST, PUBLIC, Some("mp")).query("uploads", "");
    let body = init
        .send(&server, Who::Owner, "")
        .await
        .text()
        .await
        .unwrap();
    let upload_id = xml_text(&body, "UploadId").expect("upload id");

    // Reading objects and listing them is what public-read grants.
    let r = Call::new(Method::GET, PUBLIC, Some("dir/o.txt"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "public data");
    let r = Call::new(Method::HEAD, PUBLIC, Some("dir/o.txt"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 200);
    let r = Call::new(Method::HEAD, PUBLIC, Some("dir/o.txt"))
        .query("objectMeta", "")
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 200);
    for list in [
        Call::new(Method::GET, PUBLIC, None),
        Call::new(Method::GET, PUBLIC, None).query("list-type", "2"),
    ] {
        let (status, _, body) = outcome(list.send(&server, Who::Anonymous, "").await).await;
        assert_eq!(status, 200);
        assert_eq!(xml_all(&body, "Key"), vec!["dir/o.txt".to_string()]);
    }

    // Everything else is the owner's.
    let owner_only = [
        Call::new(Method::GET, PUBLIC, None).query("acl", ""),
        Call::new(Method::GET, PUBLIC, None).query("bucketInfo", ""),
        Call::new(Method::GET, PUBLIC, None).query("location", ""),
        Call::new(Method::GET, PUBLIC, None).query("uploads", ""),
        Call::new(Method::HEAD, PUBLIC, None),
        Call::new(Method::GET, PUBLIC, Some("mp")).query("uploadId", &upload_id),
        Call::new(Method::GET, PUBLIC, Some("dir/o.txt")).query("acl", ""),
        Call::new(Method::GET, PUBLIC, Some("dir/o.txt")).query("tagging", ""),
        Call::new(Method::PUT, PUBLIC, Some("dir/o.txt")),
        Call::new(Method::PUT, PUBLIC, Some("new.txt")),
        Call::new(Method::DELETE, PUBLIC, Some("dir/o.txt")),
        Call::new(Method::POST, PUBLIC, Some("x")).query("uploads", ""),
        Call::new(Method::DELETE, PUBLIC, Some("mp")).query("uploadId", &upload_id),
        Call::new(Method::PUT, PUBLIC, None)
            .query("acl", "")
            .header("x-oss-acl", "public-read-write"),
        Call::new(Method::DELETE, PUBLIC, None),
    ];
    for call in &owner_only {
        let (status, code, body) =
            outcome(call.send(&server, Who::Anonymous, "anonymous body").await).await;
        assert_eq!(
            (status, code.as_deref()),
            (403, Some("AccessDenied")),
            "anonymous {} {} ?{:?}: {body}",
            call.method,
            call.key.unwrap_or("<bucket>"),
            call.query
        );
    }

    // Nothing changed: the object, the upload, the bucket ACL.
    let r = Call::new(Method::GET, PUBLIC, Some("dir/o.txt"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "public data");
    let (_, _, uploads) = outcome(
        Call::new(Method::GET, PUBLIC, None)
            .query("uploads", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&uploads, "UploadId"), vec![upload_id]);
    let (_, _, acl) = outcome(
        Call::new(Method::GET, PUBLIC, None)
            .query("acl", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_text(&acl, "Grant").as_deref(), Some("public-read"));
    let (_, _, list) = outcome(
        Call::new(Method::GET, PUBLIC, None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&list, "Key"), vec!["dir/o.txt".to_string()]);
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_gets_nothing_from_a_private_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("secret"))
        .send(&server, Who::Owner, "s")
        .await;
    for call in [
        Call::new(Method::GET, BUCKET, Some("secret")),
        Call::new(Method::HEAD, BUCKET, Some("secret")),
        Call::new(Method::GET, BUCKET, None),
        Call::new(Method::GET, BUCKET, None).query("list-type", "2"),
        Call::new(Method::GET, BUCKET, Some("secret")).query("symlink", ""),
    ] {
        let (status, code, _) = outcome(call.send(&server, Who::Anonymous, "").await).await;
        assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_cannot_list_buckets_or_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let r = client().get(server.endpoint()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let (status, code, _) = outcome(
        Call::new(Method::PUT, "anonymous-bucket", None)
            .send(&server, Who::Anonymous, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    let (status, code, _) = outcome(
        Call::new(Method::GET, "anonymous-bucket", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchBucket")));
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_writes_a_public_read_write_bucket_but_never_lists_its_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let r = Call::new(Method::PUT, PUBLIC, None)
        .query("acl", "")
        .header("x-oss-acl", "public-read-write")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    let r = Call::new(Method::PUT, PUBLIC, Some("drop"))
        .send(&server, Who::Anonymous, "anonymous upload")
        .await;
    assert_eq!(r.status(), 200);
    let (status, _, body) = outcome(
        Call::new(Method::POST, PUBLIC, Some("mp"))
            .query("uploads", "")
            .send(&server, Who::Anonymous, "")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let id = xml_text(&body, "UploadId").unwrap();
    for call in [
        Call::new(Method::GET, PUBLIC, None).query("uploads", ""),
        Call::new(Method::GET, PUBLIC, Some("mp")).query("uploadId", &id),
        Call::new(Method::GET, PUBLIC, None).query("acl", ""),
        // Setting an ACL or tags is the owner's, even where anyone may write.
        Call::new(Method::PUT, PUBLIC, Some("drop")).header("x-oss-object-acl", "private"),
        Call::new(Method::PUT, PUBLIC, Some("drop")).header("x-oss-tagging", "a=b"),
        Call::new(Method::PUT, PUBLIC, Some("copy"))
            .header("x-oss-copy-source", format!("/{PUBLIC}/drop")),
    ] {
        let (status, code, _) = outcome(call.send(&server, Who::Anonymous, "x").await).await;
        assert_eq!((status, code.as_deref()), (403, Some("AccessDenied")));
    }
    let r = Call::new(Method::GET, PUBLIC, Some("drop"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "anonymous upload");
    let r = Call::new(Method::DELETE, PUBLIC, Some("drop"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 204);
    server.shutdown().await;
}
