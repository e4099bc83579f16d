//! Service and bucket calls, from the OSS API reference: ListBuckets, PutBucket, HeadBucket,
//! GetBucketInfo, GetBucketLocation, Get/PutBucketAcl, DeleteBucket: answer shapes and headers,
//! error codes, and no side effect for refused requests.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;

#[tokio::test]
async fn list_buckets_names_every_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let (status, _, body) = outcome(
        Call::new(Method::GET, "", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<ListAllMyBucketsResult><Owner><ID>"),
        "{body}"
    );
    // Sorted by name.
    assert_eq!(
        xml_all(&body, "Name"),
        vec!["public-bucket".to_string(), BUCKET.to_string()]
    );
    assert!(xml_all(&body, "Location")
        .iter()
        .all(|l| l.starts_with("oss-")));
    assert_eq!(xml_all(&body, "CreationDate").len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn put_bucket_acl_info_location_and_head() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let r = Call::new(Method::PUT, "made-here", None)
        .header("x-oss-acl", "public-read")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["location"], "/made-here");
    let (status, code, _) = outcome(
        Call::new(Method::PUT, "made-here", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (409, Some("BucketAlreadyExists"))
    );
    let acl = |server| async move {
        let (_, _, body) = outcome(
            Call::new(Method::GET, "made-here", None)
                .query("acl", "")
                .send(server, Who::Owner, "")
                .await,
        )
        .await;
        assert!(body.contains("<AccessControlPolicy>"), "{body}");
        xml_text(&body, "Grant").expect("Grant")
    };
    assert_eq!(acl(&server).await, "public-read");
    let (status, code, _) = outcome(
        Call::new(Method::PUT, "made-here", None)
            .query("acl", "")
            .header("x-oss-acl", "everyone")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidArgument")));
    assert_eq!(acl(&server).await, "public-read");
    let r = Call::new(Method::PUT, "made-here", None)
        .query("acl", "")
        .header("x-oss-acl", "private")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(acl(&server).await, "private");
    let (status, _, info) = outcome(
        Call::new(Method::GET, "made-here", None)
            .query("bucketInfo", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(info.contains("<BucketInfo><Bucket>"), "{info}");
    assert_eq!(xml_text(&info, "Name").as_deref(), Some("made-here"));
    assert_eq!(xml_text(&info, "Grant").as_deref(), Some("private"));
    assert_eq!(xml_text(&info, "StorageClass").as_deref(), Some("Standard"));
    let (_, _, location) = outcome(
        Call::new(Method::GET, "made-here", None)
            .query("location", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert!(xml_text(&location, "LocationConstraint").is_some_and(|l| l.starts_with("oss-")));
    let r = Call::new(Method::HEAD, "made-here", None)
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    let (status, code, _) = outcome(
        Call::new(Method::HEAD, "no-such-bucket", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchBucket")));
    let (status, code, _) = outcome(
        Call::new(Method::PUT, "Bad_Name", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidBucketName")));
    server.shutdown().await;
}

#[tokio::test]
async fn delete_bucket_only_when_empty() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, "doomed", None)
        .send(&server, Who::Owner, "")
        .await;
    Call::new(Method::PUT, "doomed", Some("k"))
        .send(&server, Who::Owner, "v")
        .await;
    let delete = || Call::new(Method::DELETE, "doomed", None);
    let (status, code, _) = outcome(delete().send(&server, Who::Owner, "").await).await;
    assert_eq!((status, code.as_deref()), (409, Some("BucketNotEmpty")));
    Call::new(Method::DELETE, "doomed", Some("k"))
        .send(&server, Who::Owner, "")
        .await;
    // An upload in progress is content too.
    let (_, _, body) = outcome(
        Call::new(Method::POST, "doomed", Some("mp"))
            .query("uploads", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    let id = xml_text(&body, "UploadId").unwrap();
    let (status, code, _) = outcome(delete().send(&server, Who::Owner, "").await).await;
    assert_eq!((status, code.as_deref()), (409, Some("BucketNotEmpty")));
    Call::new(Method::DELETE, "doomed", Some("mp"))
        .query("uploadId", &id)
        .send(&server, Who::Owner, "")
        .await;
    let r = delete().send(&server, Who::Owner, "").await;
    assert_eq!(r.status(), 204);
    let (status, code, _) = outcome(
        Call::new(Method::GET, "doomed", None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchBucket")));
    let (status, code, _) = outcome(delete().send(&server, Who::Owner, "").await).await;
    assert_eq!((status, code.as_deref()), (404, Some("NoSuchBucket")));
    server.shutdown().await;
}
