//! The errors real OSS gives for AppendObject and CompleteMultipartUpload misuse, with no side
//! effect: appending to a Normal object is `409 ObjectNotAppendable`; completing with parts out
//! of ascending order is `400 InvalidPartOrder` and leaves the upload in place.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;

#[tokio::test]
async fn append_to_a_normal_object_is_object_not_appendable() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let r = Call::new(Method::PUT, BUCKET, Some("normal"))
        .send(&server, Who::Owner, "normal")
        .await;
    let etag = r.headers()["etag"].clone();
    for position in ["0", "6"] {
        let (status, code, body) = outcome(
            Call::new(Method::POST, BUCKET, Some("normal"))
                .query("append", "")
                .query("position", position)
                .send(&server, Who::Owner, "more")
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (409, Some("ObjectNotAppendable")),
            "{body}"
        );
    }
    let r = Call::new(Method::GET, BUCKET, Some("normal"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["etag"], etag);
    assert_eq!(r.headers()["x-oss-object-type"], "Normal");
    assert_eq!(r.text().await.unwrap(), "normal");
    // An appendable object still appends.
    let r = Call::new(Method::POST, BUCKET, Some("log"))
        .query("append", "")
        .query("position", "0")
        .send(&server, Who::Owner, "ab")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-oss-next-append-position"], "2");
    server.shutdown().await;
}

#[tokio::test]
async fn complete_with_parts_out_of_order_is_invalid_part_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let (_, _, body) = outcome(
        Call::new(Method::POST, BUCKET, Some("mp"))
            .query("uploads", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    let id = xml_text(&body, "UploadId").unwrap();
    let part = vec![b'p'; 100 * 1024];
    let mut etags = Vec::new();
    for n in ["1", "2"] {
        let r = Call::new(Method::PUT, BUCKET, Some("mp"))
            .query("partNumber", n)
            .query("uploadId", &id)
            .send(&server, Who::Owner, part.clone())
            .await;
        assert_eq!(r.status(), 200);
        etags.push(r.headers()["etag"].to_str().unwrap().to_string());
    }
    let list = |order: &[usize]| {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for &i in order {
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                etags[i]
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        xml
    };
    for order in [&[1usize, 0][..], &[0, 0][..]] {
        let (status, code, body) = outcome(
            Call::new(Method::POST, BUCKET, Some("mp"))
                .query("uploadId", &id)
                .send(&server, Who::Owner, list(order))
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (400, Some("InvalidPartOrder")),
            "{body}"
        );
    }
    // No object, and the upload with both parts is still there.
    let r = Call::new(Method::GET, BUCKET, Some("mp"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 404);
    let (_, _, parts) = outcome(
        Call::new(Method::GET, BUCKET, Some("mp"))
            .query("uploadId", &id)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&parts, "PartNumber"), vec!["1", "2"]);
    // In order it completes.
    let r = Call::new(Method::POST, BUCKET, Some("mp"))
        .query("uploadId", &id)
        .send(&server, Who::Owner, list(&[0, 1]))
        .await;
    assert_eq!(r.status(), 200);
    server.shutdown().await;
}
