//! Object tagging, from the OSS API reference (PutObjectTagging, GetObjectTagging,
//! DeleteObjectTagging, `x-oss-tagging` on PutObject / CopyObject / InitiateMultipartUpload,
//! `x-oss-tagging-count` on GET/HEAD): answers, OSS's limits (10 tags, keys up to 128 and values
//! up to 256 characters), error codes, and no side effect for refused requests.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;
use jitstore_oss_server::RunningServer;

fn tagging_xml(tags: &[(&str, &str)]) -> String {
    let mut xml = String::from("<Tagging><TagSet>");
    for (k, v) in tags {
        xml.push_str(&format!("<Tag><Key>{k}</Key><Value>{v}</Value></Tag>"));
    }
    xml.push_str("</TagSet></Tagging>");
    xml
}

async fn tags_of(server: &RunningServer, key: &str) -> Vec<(String, String)> {
    let (status, _, body) = outcome(
        Call::new(Method::GET, BUCKET, Some(key))
            .query("tagging", "")
            .send(server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Tagging><TagSet>"), "{body}");
    xml_all(&body, "Key")
        .into_iter()
        .zip(xml_all(&body, "Value"))
        .collect()
}

fn owned(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn put_get_delete_tagging_keep_data_and_report_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let r = Call::new(Method::PUT, BUCKET, Some("t"))
        .header("x-oss-tagging", "a=1&two%20words=x%2Fy&flag")
        .send(&server, Who::Owner, "tagged data")
        .await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].clone();
    assert_eq!(
        tags_of(&server, "t").await,
        owned(&[("a", "1"), ("two words", "x/y"), ("flag", "")])
    );
    for method in [Method::GET, Method::HEAD] {
        let r = Call::new(method, BUCKET, Some("t"))
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.headers()["x-oss-tagging-count"], "3");
    }
    // The reported data loss: PUT ?tagging replaced the object with the XML.
    let r = Call::new(Method::PUT, BUCKET, Some("t"))
        .query("tagging", "")
        .send(&server, Who::Owner, tagging_xml(&[("k", "v")]))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(tags_of(&server, "t").await, owned(&[("k", "v")]));
    let r = Call::new(Method::GET, BUCKET, Some("t"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["etag"], etag);
    assert_eq!(r.headers()["x-oss-tagging-count"], "1");
    assert_eq!(r.text().await.unwrap(), "tagged data");
    // ... and DELETE ?tagging deleted the object itself.
    let r = Call::new(Method::DELETE, BUCKET, Some("t"))
        .query("tagging", "")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 204);
    assert!(tags_of(&server, "t").await.is_empty());
    let r = Call::new(Method::GET, BUCKET, Some("t"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-oss-tagging-count").is_none());
    assert_eq!(r.text().await.unwrap(), "tagged data");
    server.shutdown().await;
}

#[tokio::test]
async fn oss_tag_limits_are_enforced_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("t"))
        .header("x-oss-tagging", "keep=me")
        .send(&server, Who::Owner, "v1")
        .await;
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    let eleven_ref: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bad_bodies = [
        tagging_xml(&eleven_ref),
        tagging_xml(&[(&long_key, "v")]),
        tagging_xml(&[("k", &long_value)]),
        tagging_xml(&[("dup", "1"), ("dup", "2")]),
        tagging_xml(&[("bad*char", "1")]),
    ];
    for body in &bad_bodies {
        let (status, code, text) = outcome(
            Call::new(Method::PUT, BUCKET, Some("t"))
                .query("tagging", "")
                .send(&server, Who::Owner, body.clone())
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (400, Some("InvalidTag")),
            "{text}"
        );
    }
    let (status, code, _) = outcome(
        Call::new(Method::PUT, BUCKET, Some("t"))
            .query("tagging", "")
            .send(&server, Who::Owner, "<Tagging><TagSet><Tag>")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("MalformedXML")));
    assert_eq!(tags_of(&server, "t").await, owned(&[("keep", "me")]));
    // The limits themselves are allowed.
    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
    let ten_ref: Vec<(&str, &str)> = ten.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = Call::new(Method::PUT, BUCKET, Some("t"))
        .query("tagging", "")
        .send(&server, Who::Owner, tagging_xml(&ten_ref))
        .await;
    assert_eq!(r.status(), 200);
    let longest = tagging_xml(&[(&"k".repeat(128), &"v".repeat(256))]);
    let r = Call::new(Method::PUT, BUCKET, Some("t"))
        .query("tagging", "")
        .send(&server, Who::Owner, longest)
        .await;
    assert_eq!(r.status(), 200);
    // x-oss-tagging on PUT is checked before the body is stored.
    let eleven_header: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    for (header, code) in [
        (eleven_header.join("&"), "InvalidTag"),
        (format!("{long_key}=v"), "InvalidTag"),
        ("aa=bb=cc".to_string(), "InvalidArgument"),
    ] {
        for key in ["t", "fresh"] {
            let (status, got, text) = outcome(
                Call::new(Method::PUT, BUCKET, Some(key))
                    .header("x-oss-tagging", header.clone())
                    .send(&server, Who::Owner, "v2")
                    .await,
            )
            .await;
            assert_eq!((status, got.as_deref()), (400, Some(code)), "{text}");
        }
    }
    let r = Call::new(Method::GET, BUCKET, Some("t"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), "v1");
    let r = Call::new(Method::GET, BUCKET, Some("fresh"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 404);
    // Tagging a missing key creates nothing.
    for call in [
        Call::new(Method::PUT, BUCKET, Some("missing")).query("tagging", ""),
        Call::new(Method::GET, BUCKET, Some("missing")).query("tagging", ""),
        Call::new(Method::DELETE, BUCKET, Some("missing")).query("tagging", ""),
    ] {
        let (status, code, _) = outcome(
            call.send(&server, Who::Owner, tagging_xml(&[("a", "b")]))
                .await,
        )
        .await;
        assert_eq!((status, code.as_deref()), (404, Some("NoSuchKey")));
    }
    let (_, _, list) = outcome(
        Call::new(Method::GET, BUCKET, None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&list, "Key"), vec!["t".to_string()]);
    server.shutdown().await;
}

#[tokio::test]
async fn copy_and_multipart_carry_tags() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("src"))
        .header("x-oss-tagging", "from=source")
        .send(&server, Who::Owner, "s")
        .await;
    let copy = |key: &'static str| {
        Call::new(Method::PUT, BUCKET, Some(key))
            .header("x-oss-copy-source", format!("/{BUCKET}/src"))
    };
    // Default directive: Copy (even with x-oss-tagging given).
    copy("c1")
        .header("x-oss-tagging", "ignored=yes")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(tags_of(&server, "c1").await, owned(&[("from", "source")]));
    copy("c2")
        .header("x-oss-tagging-directive", "Replace")
        .header("x-oss-tagging", "new=tags")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(tags_of(&server, "c2").await, owned(&[("new", "tags")]));
    let (status, code, _) = outcome(
        copy("c3")
            .header("x-oss-tagging-directive", "Merge")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidArgument")));
    // InitiateMultipartUpload's tags apply to the completed object.
    let (_, _, body) = outcome(
        Call::new(Method::POST, BUCKET, Some("mp"))
            .query("uploads", "")
            .header("x-oss-tagging", "stage=upload")
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
    Call::new(Method::POST, BUCKET, Some("mp"))
        .query("uploadId", &id)
        .send(
            &server,
            Who::Owner,
            format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"),
        )
        .await;
    assert_eq!(tags_of(&server, "mp").await, owned(&[("stage", "upload")]));
    server.shutdown().await;
}

#[tokio::test]
async fn tag_updates_keep_large_data_and_never_undo_a_concurrent_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    // Larger than what the server reads inline: the data is copied from the file.
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let r = Call::new(Method::PUT, BUCKET, Some("big"))
        .send(&server, Who::Owner, big.clone())
        .await;
    let etag = r.headers()["etag"].clone();
    let r = Call::new(Method::PUT, BUCKET, Some("big"))
        .query("tagging", "")
        .send(&server, Who::Owner, tagging_xml(&[("size", "large")]))
        .await;
    assert_eq!(r.status(), 200);
    let r = Call::new(Method::GET, BUCKET, Some("big"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["etag"], etag);
    assert_eq!(r.bytes().await.unwrap().as_ref(), big.as_slice());

    // Overwrites racing tag updates: a tag update must never commit the data it read after a
    // newer write has landed.
    let writer = {
        let server = &server;
        async move {
            for i in 0..40 {
                let r = Call::new(Method::PUT, BUCKET, Some("raced"))
                    .send(server, Who::Owner, format!("version {i}"))
                    .await;
                assert_eq!(r.status(), 200);
            }
        }
    };
    let tagger = async {
        for i in 0..40 {
            let r = Call::new(Method::PUT, BUCKET, Some("raced"))
                .query("tagging", "")
                .send(&server, Who::Owner, tagging_xml(&[("n", &i.to_string())]))
                .await;
            // 409 OperationAborted ("try again") is what a tag update gets when overwrites
            // keep replacing the object through all of its retries; it must change nothing.
            let status = r.status().as_u16();
            if status == 409 {
                let body = r.text().await.unwrap();
                assert!(body.contains("<Code>OperationAborted</Code>"), "{body}");
                continue;
            }
            assert!(matches!(status, 200 | 404), "{status}");
        }
    };
    tokio::join!(writer, tagger);
    let r = Call::new(Method::GET, BUCKET, Some("raced"))
        .send(&server, Who::Owner, "")
        .await;
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body = r.text().await.unwrap();
    assert_eq!(body, "version 39");
    assert_eq!(etag, md5_etag(body.as_bytes()));
    server.shutdown().await;
}
