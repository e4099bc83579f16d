//! The sub-resource table: every OSS sub-resource (the union list the signer knows, plus
//! `x-oss-process`) x every method (GET, HEAD, PUT, POST, DELETE), on an object and on a bucket.
//! A combination that is not an implemented API must answer `501 NotImplemented` and change
//! nothing: the object's bytes and metadata, the buckets, their listings and ACLs stay as they
//! were, and the request body is stored nowhere.
//!
//! The implemented combinations are listed here, independently of the server's routing table;
//! they are exercised by the other conformance suites.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;
use jitstore_oss_server::RunningServer;
use jitstore_testkit::Peer;

const EMPTY: &str = "empty-bucket";
const OBJECT: &str = "obj";
const DATA: &str = "original object data";
const REFUSED_BODY: &str = "SHOULD-NOT-BE-STORED";

/// Sub-resources that implemented APIs take on their own, by method, on an object.
fn implemented_on_object(method: &Method, sub: &str) -> bool {
    match sub {
        "acl" => matches!(*method, Method::GET | Method::PUT),
        "tagging" => matches!(*method, Method::GET | Method::PUT | Method::DELETE),
        "symlink" => matches!(*method, Method::GET | Method::PUT),
        "objectMeta" => *method == Method::HEAD,
        "append" | "uploads" => *method == Method::POST,
        "uploadId" => matches!(
            *method,
            Method::GET | Method::PUT | Method::POST | Method::DELETE
        ),
        s if s.starts_with("response-") => matches!(*method, Method::GET | Method::HEAD),
        _ => false,
    }
}

/// Sub-resources that implemented APIs take on their own, by method, on a bucket.
fn implemented_on_bucket(method: &Method, sub: &str) -> bool {
    match sub {
        "acl" => matches!(*method, Method::GET | Method::PUT),
        "bucketInfo" | "location" | "uploads" | "continuation-token" => *method == Method::GET,
        "delete" => *method == Method::POST,
        _ => false,
    }
}

/// Everything a client can observe about the fixture.
#[derive(Debug, PartialEq)]
struct Snapshot {
    object_bytes: String,
    object_headers: Vec<(String, String)>,
    keys: Vec<String>,
    empty_bucket_keys: Vec<String>,
    acls: Vec<Option<String>>,
}

async fn snapshot(server: &RunningServer) -> Snapshot {
    let get = |c: Call<'static>| async move { outcome(c.send(server, Who::Owner, "").await).await };
    let r = Call::new(Method::GET, BUCKET, Some(OBJECT))
        .send(server, Who::Owner, "")
        .await;
    let mut object_headers: Vec<(String, String)> = r
        .headers()
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "date" | "x-oss-request-id"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    object_headers.sort();
    let object_bytes = r.text().await.unwrap();
    let (_, _, list) = get(Call::new(Method::GET, BUCKET, None)).await;
    let (status, _, empty) = get(Call::new(Method::GET, EMPTY, None)).await;
    assert_eq!(status, 200, "{EMPTY} must still exist");
    let mut acls = Vec::new();
    for bucket in [BUCKET, EMPTY] {
        let (_, _, acl) = get(Call::new(Method::GET, bucket, None).query("acl", "")).await;
        acls.push(xml_text(&acl, "Grant"));
    }
    Snapshot {
        object_bytes,
        object_headers,
        keys: xml_all(&list, "Key"),
        empty_bucket_keys: xml_all(&empty, "Key"),
        acls,
    }
}

#[tokio::test]
async fn every_unimplemented_sub_resource_is_refused_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let server = Peer::builder()
        .bucket(BUCKET)
        .bucket(EMPTY)
        .without_credentials()
        .start_in(dir.path())
        .await;
    let put = Call::new(Method::PUT, BUCKET, Some(OBJECT))
        .header("content-type", "text/plain")
        .header("x-oss-meta-owner", "table");
    assert_eq!(put.send(&server, Who::Owner, DATA).await.status(), 200);
    let before = snapshot(&server).await;
    assert_eq!(before.object_bytes, DATA);
    assert_eq!(before.keys, vec![OBJECT.to_string()]);

    let mut subs: Vec<(&str, &str)> = jitstore_oss::sign::canonical::V1_SUB_RESOURCES
        .iter()
        // `security-token` authenticates (an STS token); it selects no API.
        .filter(|s| **s != "security-token")
        .map(|s| (*s, ""))
        .collect();
    subs.push(("x-oss-process", "image/resize,w_10"));
    subs.push(("x-oss-traffic-limit", "819200"));
    let methods = [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::POST,
        Method::DELETE,
    ];
    let (mut refused, mut implemented) = (0, 0);
    for (sub, value) in &subs {
        for method in &methods {
            for (bucket, key) in [(BUCKET, Some(OBJECT)), (EMPTY, None)] {
                let is_implemented = match key {
                    Some(_) => implemented_on_object(method, sub),
                    None => implemented_on_bucket(method, sub),
                };
                if is_implemented {
                    implemented += 1;
                    continue;
                }
                let call = Call::new(method.clone(), bucket, key)
                    .query(sub, value)
                    .header("content-type", "text/plain");
                let (status, code, body) =
                    outcome(call.send(&server, Who::Owner, REFUSED_BODY).await).await;
                let what = format!("{method} {} ?{sub}", key.unwrap_or("<bucket>"));
                assert_eq!(
                    (status, code.as_deref()),
                    (501, Some("NotImplemented")),
                    "{what}: {body}"
                );
                assert!(!body.contains(REFUSED_BODY), "{what} echoed the body");
                refused += 1;
                assert_eq!(snapshot(&server).await, before, "{what} changed something");
            }
        }
    }
    // The table covers the whole list; 33 of its cells are implemented APIs (26 on an object:
    // acl 2, tagging 3, symlink 2, objectMeta 1, append 1, uploads 1, uploadId 4, response-* 12;
    // 7 on a bucket: acl 2, bucketInfo, location, uploads, continuation-token, delete).
    assert_eq!(refused + implemented, subs.len() * methods.len() * 2);
    assert_eq!(implemented, 26 + 7);
    server.shutdown().await;
}

#[tokio::test]
async fn bucket_sub_resources_never_delete_an_empty_bucket() {
    // The reported data loss: `DELETE /bucket?lifecycle` and `?cors` deleted an empty bucket.
    let dir = tempfile::tempdir().unwrap();
    let server = Peer::builder()
        .bucket(EMPTY)
        .without_credentials()
        .start_in(dir.path())
        .await;
    for sub in [
        "lifecycle",
        "cors",
        "website",
        "policy",
        "tagging",
        "encryption",
    ] {
        let (status, code, _) = outcome(
            Call::new(Method::DELETE, EMPTY, None)
                .query(sub, "")
                .send(&server, Who::Owner, "")
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_deref()),
            (501, Some("NotImplemented")),
            "?{sub}"
        );
        let r = Call::new(Method::GET, EMPTY, None)
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.status(), 200, "the bucket survived DELETE ?{sub}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn combined_and_valued_sub_resources_are_classified_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = open_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some(OBJECT))
        .send(&server, Who::Owner, DATA)
        .await;
    for call in [
        // An implemented sub-resource plus an unimplemented one is not the implemented API.
        Call::new(Method::PUT, BUCKET, Some(OBJECT))
            .query("acl", "")
            .query("versionId", "v1"),
        Call::new(Method::GET, BUCKET, Some(OBJECT))
            .query("tagging", "")
            .query("x-oss-process", "image/info"),
        Call::new(Method::PUT, BUCKET, Some(OBJECT))
            .query("tagging", "")
            .query("acl", ""),
        Call::new(Method::GET, BUCKET, Some(OBJECT)).query("versionId", "null"),
        Call::new(Method::POST, BUCKET, Some(OBJECT)).query("position", "0"),
    ] {
        let (status, code, body) =
            outcome(call.send(&server, Who::Owner, REFUSED_BODY).await).await;
        assert_eq!(
            (status, code.as_deref()),
            (501, Some("NotImplemented")),
            "{body}"
        );
    }
    let r = Call::new(Method::GET, BUCKET, Some(OBJECT))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), DATA);
    // Ordinary (non sub-resource) parameters do not change the API.
    let r = Call::new(Method::GET, BUCKET, None)
        .query("prefix", "o")
        .query("max-keys", "5")
        .query("unknown-param", "x")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    // Methods that apply to nothing answer 405, also without side effects.
    let r = Call::new(Method::PATCH, BUCKET, Some(OBJECT))
        .send(&server, Who::Owner, REFUSED_BODY)
        .await;
    assert_eq!(r.status(), 405);
    let r = Call::new(Method::GET, BUCKET, Some(OBJECT))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), DATA);
    server.shutdown().await;
}

#[tokio::test]
async fn writes_and_deletes_refuse_parameters_they_do_not_know() {
    // OSS keeps adding sub-resources; one this server has never heard of must not turn a
    // request into DeleteBucket, DeleteObject or PutObject.
    let dir = tempfile::tempdir().unwrap();
    let server = Peer::builder()
        .bucket(BUCKET)
        .bucket(EMPTY)
        .without_credentials()
        .start_in(dir.path())
        .await;
    Call::new(Method::PUT, BUCKET, Some(OBJECT))
        .send(&server, Who::Owner, DATA)
        .await;
    let before = snapshot(&server).await;
    for call in [
        Call::new(Method::DELETE, EMPTY, None).query("someFutureApi", ""),
        Call::new(Method::DELETE, EMPTY, None).query("redundancyTransition", ""),
        Call::new(Method::PUT, "fresh-bucket", None).query("resourcePool", "p"),
        Call::new(Method::DELETE, BUCKET, Some(OBJECT)).query("someFutureApi", "1"),
        Call::new(Method::PUT, BUCKET, Some(OBJECT)).query("someFutureApi", ""),
        Call::new(Method::PUT, BUCKET, Some("other"))
            .query("someFutureApi", "")
            .header("x-oss-copy-source", format!("/{BUCKET}/{OBJECT}")),
    ] {
        let (status, code, body) =
            outcome(call.send(&server, Who::Owner, REFUSED_BODY).await).await;
        assert_eq!(
            (status, code.as_deref()),
            (501, Some("NotImplemented")),
            "{body}"
        );
        assert_eq!(snapshot(&server).await, before);
    }
    let r = Call::new(Method::GET, "fresh-bucket", None)
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 404);
    // Reads ignore parameters they do not know (cache busters and the like).
    let r = Call::new(Method::GET, BUCKET, Some(OBJECT))
        .query("cachebust", "12345")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), DATA);
    server.shutdown().await;
}
