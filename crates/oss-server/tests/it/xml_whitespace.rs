//! Whitespace at the ends of XML text is data: OSS keys, tag keys and tag values may start or
//! end with spaces, tabs or line breaks. The server must read request documents (Delete,
//! Tagging, CompleteMultipartUpload) without trimming them, and its listings must carry such
//! keys so the client's parsers give them back exactly.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;
use jitstore_oss_server::RunningServer;

async fn put(server: &RunningServer, key: &str) {
    let r = Call::new(Method::PUT, BUCKET, Some(key))
        .send(server, Who::Owner, key.to_string())
        .await;
    assert_eq!(r.status(), 200, "put {key:?}");
}

async fn exists(server: &RunningServer, key: &str) -> bool {
    let r = Call::new(Method::HEAD, BUCKET, Some(key))
        .send(server, Who::Owner, "")
        .await;
    r.status() == 200
}

#[tokio::test]
async fn delete_multiple_deletes_exactly_the_key_with_spaces_at_its_ends() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    for key in ["a", " a ", "b"] {
        put(&server, key).await;
    }
    let body = "<Delete>\n  <Quiet>false</Quiet>\n  <Object><Key> a </Key></Object>\n</Delete>";
    let (status, _, answer) = outcome(
        Call::new(Method::POST, BUCKET, None)
            .query("delete", "")
            .header("content-md5", md5_base64(body.as_bytes()))
            .send(&server, Who::Owner, body)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        exists(&server, "a").await,
        "`a` was deleted instead of ` a `"
    );
    assert!(!exists(&server, " a ").await, "` a ` is still there");
    let deleted = jitstore_oss::xml::parse_delete_result(answer.as_bytes()).unwrap();
    let keys: Vec<&str> = deleted.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, [" a "], "{answer}");

    // Through the client's request writer too: ` b` does not exist (and must not become `b`),
    // `b\n` does.
    for key in ["\tb", "b\n"] {
        put(&server, key).await;
    }
    let body = jitstore_oss::xml::delete_body(&[" b".into(), "b\n".into()], false).unwrap();
    let (status, _, answer) = outcome(
        Call::new(Method::POST, BUCKET, None)
            .query("delete", "")
            .query("encoding-type", "url")
            .header("content-md5", md5_base64(body.as_bytes()))
            .send(&server, Who::Owner, body)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(exists(&server, "b").await && exists(&server, "\tb").await);
    assert!(!exists(&server, "b\n").await);
    server.shutdown().await;
}

#[tokio::test]
async fn listings_give_back_keys_with_whitespace_at_their_ends() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let mut keys = vec![" a", " a ", "\ta", "a", "a ", "a\n", "a\r\nb"];
    for key in &keys {
        put(&server, key).await;
    }
    keys.sort_unstable();
    for encoding in [None, Some("url")] {
        let mut call = Call::new(Method::GET, BUCKET, None).query("list-type", "2");
        if let Some(e) = encoding {
            call = call.query("encoding-type", e);
        }
        let (status, _, body) = outcome(call.send(&server, Who::Owner, "").await).await;
        assert_eq!(status, 200, "{body}");
        let page = jitstore_oss::xml::parse_list_objects_v2(body.as_bytes()).unwrap();
        let listed: Vec<&str> = page.contents.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(listed, keys, "encoding-type {encoding:?}: {body}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn tag_keys_and_values_keep_their_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    put(&server, "t").await;
    let xml = "<Tagging>\n <TagSet>\n  <Tag><Key> k </Key><Value> x </Value></Tag>\n  \
               <Tag><Key>k</Key><Value>  y</Value></Tag>\n </TagSet>\n</Tagging>";
    let (status, _, body) = outcome(
        Call::new(Method::PUT, BUCKET, Some("t"))
            .query("tagging", "")
            .send(&server, Who::Owner, xml)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = outcome(
        Call::new(Method::GET, BUCKET, Some("t"))
            .query("tagging", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(xml_all(&body, "Key"), [" k ", "k"], "{body}");
    assert_eq!(xml_all(&body, "Value"), [" x ", "  y"], "{body}");

    // A tab is not a tag character: refused, not silently trimmed away.
    let (status, code, body) = outcome(
        Call::new(Method::PUT, BUCKET, Some("t"))
            .query("tagging", "")
            .send(
                &server,
                Who::Owner,
                "<Tagging><TagSet><Tag><Key>k</Key><Value>y\t</Value></Tag></TagSet></Tagging>",
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (400, Some("InvalidTag")),
        "{body}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn complete_multipart_accepts_etags_and_numbers_wrapped_in_whitespace() {
    // OSS compares ETags without their quotes and surrounding blanks; reading text exactly
    // must not make a pretty-printed Complete document fail.
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let (_, _, body) = outcome(
        Call::new(Method::POST, BUCKET, Some(" mp "))
            .query("uploads", "")
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    let id = xml_text(&body, "UploadId").unwrap();
    let r = Call::new(Method::PUT, BUCKET, Some(" mp "))
        .query("partNumber", "1")
        .query("uploadId", &id)
        .send(&server, Who::Owner, "part one")
        .await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let xml = format!(
        "<CompleteMultipartUpload>\n  <Part>\n    <PartNumber> 1 </PartNumber>\n    \
         <ETag>\n      {etag}\n    </ETag>\n  </Part>\n</CompleteMultipartUpload>"
    );
    let (status, _, body) = outcome(
        Call::new(Method::POST, BUCKET, Some(" mp "))
            .query("uploadId", &id)
            .send(&server, Who::Owner, xml)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, data) = outcome(
        Call::new(Method::GET, BUCKET, Some(" mp "))
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!((status, data.as_str()), (200, "part one"));
    assert!(!exists(&server, "mp").await);
    server.shutdown().await;
}
