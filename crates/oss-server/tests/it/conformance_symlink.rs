//! Symlinks, from the OSS API reference (PutSymlink, GetSymlink; GetObject/HeadObject through a
//! link): answers and headers (`x-oss-object-type: Symlink`, `x-oss-symlink-target`), errors
//! (`NoSuchKey` for a missing link or target, `NotSymlink`), ACL checks on link and target, and
//! no side effect for refused requests.

use crate::common::signing::{outcome, Call, Who};
use crate::common::*;
use http::Method;

#[tokio::test]
async fn put_symlink_and_read_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    let target = "dir/a b+é.txt";
    let data = "0123456789 target data";
    let put = Call::new(Method::PUT, BUCKET, Some(target)).header("content-type", "text/plain");
    let target_etag = put.send(&server, Who::Owner, data).await.headers()["etag"].clone();
    // The reported bug: PutSymlink wrote an empty object instead of a link.
    let r = Call::new(Method::PUT, BUCKET, Some("link"))
        .query("symlink", "")
        .header(
            "x-oss-symlink-target",
            jitstore_oss::encoding::encode_strict(target),
        )
        .header("x-oss-meta-role", "alias")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    // GetSymlink names the target.
    let r = Call::new(Method::GET, BUCKET, Some("link"))
        .query("symlink", "")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 200);
    let named = r.headers()["x-oss-symlink-target"].to_str().unwrap();
    assert_eq!(jitstore_oss::encoding::decode(named).unwrap(), target);
    assert_eq!(r.headers()["x-oss-meta-role"], "alias");
    assert_eq!(r.headers()["x-oss-object-type"], "Symlink");
    // GET and HEAD through the link serve the target.
    for method in [Method::GET, Method::HEAD] {
        let r = Call::new(method.clone(), BUCKET, Some("link"))
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.status(), 200, "{method}");
        assert_eq!(r.headers()["x-oss-object-type"], "Symlink");
        assert_eq!(r.headers()["etag"], target_etag);
        assert_eq!(r.headers()["content-type"], "text/plain");
        assert_eq!(
            r.headers()["content-length"],
            data.len().to_string().as_str()
        );
        assert!(r.headers().contains_key("x-oss-symlink-target"));
        if method == Method::GET {
            assert_eq!(r.text().await.unwrap(), data);
        }
    }
    let r = Call::new(Method::GET, BUCKET, Some("link"))
        .header("range", "bytes=2-5")
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.text().await.unwrap(), "2345");
    // Listings show the link as a Symlink; copying through it copies the target's data.
    let (_, _, list) = outcome(
        Call::new(Method::GET, BUCKET, None)
            .send(&server, Who::Owner, "")
            .await,
    )
    .await;
    assert_eq!(xml_all(&list, "Type"), vec!["Normal", "Symlink"]);
    Call::new(Method::PUT, BUCKET, Some("copy"))
        .header("x-oss-copy-source", format!("/{BUCKET}/link"))
        .send(&server, Who::Owner, "")
        .await;
    let r = Call::new(Method::GET, BUCKET, Some("copy"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["x-oss-object-type"], "Normal");
    assert_eq!(r.text().await.unwrap(), data);
    // Deleting the link leaves the target.
    Call::new(Method::DELETE, BUCKET, Some("link"))
        .send(&server, Who::Owner, "")
        .await;
    let r = Call::new(Method::GET, BUCKET, Some(target))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.text().await.unwrap(), data);
    server.shutdown().await;
}

#[tokio::test]
async fn symlink_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("plain"))
        .send(&server, Who::Owner, "plain")
        .await;
    Call::new(Method::PUT, BUCKET, Some("dangling"))
        .query("symlink", "")
        .header("x-oss-symlink-target", "nowhere")
        .send(&server, Who::Owner, "")
        .await;
    Call::new(Method::PUT, BUCKET, Some("link-to-link"))
        .query("symlink", "")
        .header("x-oss-symlink-target", "dangling")
        .send(&server, Who::Owner, "")
        .await;
    for (call, want) in [
        // Reading through a link whose target is missing.
        (
            Call::new(Method::GET, BUCKET, Some("dangling")),
            (404, "NoSuchKey"),
        ),
        (
            Call::new(Method::HEAD, BUCKET, Some("dangling")),
            (404, "NoSuchKey"),
        ),
        (
            Call::new(Method::GET, BUCKET, Some("link-to-link")),
            (404, "NoSuchKey"),
        ),
        // GetSymlink on a missing key and on a normal object.
        (
            Call::new(Method::GET, BUCKET, Some("missing")).query("symlink", ""),
            (404, "NoSuchKey"),
        ),
        (
            Call::new(Method::GET, BUCKET, Some("plain")).query("symlink", ""),
            (400, "NotSymlink"),
        ),
        // PutSymlink without a target, or over an object with forbid-overwrite.
        (
            Call::new(Method::PUT, BUCKET, Some("plain")).query("symlink", ""),
            (400, "InvalidArgument"),
        ),
        (
            Call::new(Method::PUT, BUCKET, Some("plain"))
                .query("symlink", "")
                .header("x-oss-symlink-target", "dangling")
                .header("x-oss-forbid-overwrite", "true"),
            (409, "FileAlreadyExists"),
        ),
        // Appending to a link.
        (
            Call::new(Method::POST, BUCKET, Some("dangling"))
                .query("append", "")
                .query("position", "0"),
            (409, "ObjectNotAppendable"),
        ),
    ] {
        let (status, code, body) = outcome(call.send(&server, Who::Owner, "body").await).await;
        assert_eq!(
            (status, code.as_deref()),
            (want.0, Some(want.1)),
            "{} {:?} ?{:?}: {body}",
            call.method,
            call.key,
            call.query
        );
    }
    let r = Call::new(Method::GET, BUCKET, Some("plain"))
        .send(&server, Who::Owner, "")
        .await;
    assert_eq!(r.headers()["x-oss-object-type"], "Normal");
    assert_eq!(r.text().await.unwrap(), "plain");
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_reads_through_a_link_need_both_acls() {
    let dir = tempfile::tempdir().unwrap();
    let server = secured_server(dir.path()).await;
    Call::new(Method::PUT, BUCKET, Some("private-target"))
        .send(&server, Who::Owner, "secret")
        .await;
    Call::new(Method::PUT, BUCKET, Some("public-target"))
        .header("x-oss-object-acl", "public-read")
        .send(&server, Who::Owner, "open")
        .await;
    for (link, target) in [
        ("to-private", "private-target"),
        ("to-public", "public-target"),
    ] {
        let r = Call::new(Method::PUT, BUCKET, Some(link))
            .query("symlink", "")
            .header("x-oss-symlink-target", target)
            .header("x-oss-object-acl", "public-read")
            .send(&server, Who::Owner, "")
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = Call::new(Method::GET, BUCKET, Some("to-private"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 403);
    let r = Call::new(Method::GET, BUCKET, Some("to-public"))
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "open");
    // Creating links is the owner's.
    let r = Call::new(Method::PUT, BUCKET, Some("anon-link"))
        .query("symlink", "")
        .header("x-oss-symlink-target", "public-target")
        .send(&server, Who::Anonymous, "")
        .await;
    assert_eq!(r.status(), 403);
    server.shutdown().await;
}
