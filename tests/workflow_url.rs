//! get_file_by_url end to end: path-style, virtual-hosted, custom-domain and presigned URLs of
//! the configured bucket are fetched with our credentials; foreign hosts and other buckets are
//! refused without any request (no SSRF) unless explicitly allowed.

mod workflow_support;

use std::time::Duration;

use bytes::Bytes;
use jitstore_storages::workflows::OssWorkflows;
use jitstore_storages::workflows::{UrlForm, UrlPolicy, WorkflowError};
use jitstore_storages::Storage;
use workflow_support::*;

#[tokio::test]
async fn every_url_form_of_the_bucket_is_fetched_with_our_credentials() {
    let peer = start().await;
    let port = peer.server.addr().port();
    // A named host, so that the virtual-hosted form `bucket.localhost` is a valid URL.
    let mut config = peer.config(BUCKET);
    config.end_point = format!("http://localhost:{port}");
    let oss = peer.storage_from(&config);
    let key = "reports/2025/季度 报告+final.txt";
    oss.upload_by_file(
        key,
        Bytes::from_static(b"quarterly numbers"),
        Some("text/plain"),
    )
    .await
    .unwrap();
    let encoded = "reports/2025/%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E5%91%8A%2Bfinal.txt";
    let presigned = oss
        .get_sign_url(key, None, Duration::from_secs(60))
        .await
        .unwrap();
    let policy = UrlPolicy {
        custom_domains: vec![format!("files.example.test:{port}")],
        allowed_hosts: vec![],
    };
    let cases = [
        (
            format!("http://localhost:{port}/{BUCKET}/{encoded}"),
            UrlForm::PathStyle,
            false,
        ),
        (
            format!("http://{BUCKET}.localhost:{port}/{encoded}"),
            UrlForm::VirtualHosted,
            false,
        ),
        (
            format!("https://files.example.test:{port}/{encoded}"),
            UrlForm::CustomDomain,
            false,
        ),
        (presigned.clone(), UrlForm::PathStyle, true),
    ];
    let out = tempfile::tempdir().unwrap();
    for (i, (url, form, signed)) in cases.iter().enumerate() {
        let resolved = oss.resolve_url(url, &policy).unwrap();
        assert_eq!(resolved.form, *form, "{url}");
        assert_eq!(resolved.presigned, *signed, "{url}");
        assert_eq!(resolved.key.as_deref(), Some(key));
        let dest = out.path().join(format!("{i}.txt"));
        let fetched = oss.get_file_by_url(url, &policy, &dest).await.unwrap();
        assert_eq!(fetched.size, 17);
        assert_eq!(fetched.filename, "季度 报告+final.txt");
        assert_eq!(fetched.content_type.as_deref(), Some("text/plain"));
        assert_eq!(std::fs::read(&dest).unwrap(), b"quarterly numbers");
    }
    // Into a directory: the file keeps its name.
    let fetched = oss
        .get_file_by_url(&cases[0].0, &policy, out.path())
        .await
        .unwrap();
    assert_eq!(fetched.path, out.path().join("季度 报告+final.txt"));
}

#[tokio::test]
async fn foreign_hosts_and_other_buckets_are_refused_unless_allowed() {
    let peer = start().await;
    let oss = peer.storage();
    let port = peer.server.addr().port();
    let out = tempfile::tempdir().unwrap();
    let policy = UrlPolicy::default();
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://localhost:22/".to_owned(),
        format!("http://127.0.0.1:{}/{BUCKET}/x", port.wrapping_add(1)),
        format!("http://127.0.0.1:{port}/other-bucket/x"),
        format!("http://other-bucket.127.0.0.1:{port}/x"),
        "file:///etc/passwd".to_owned(),
        "gopher://127.0.0.1/".to_owned(),
        format!("http://user:pw@127.0.0.1:{port}/{BUCKET}/x"),
    ] {
        let err = oss
            .get_file_by_url(&url, &policy, &out.path().join("x"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, WorkflowError::RefusedUrl { .. }),
            "{url}: {err}"
        );
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);

    // An explicitly allowed host is fetched anonymously (here: the public bucket's URL).
    let public = peer.storage_from(&peer.config(PUBLIC_BUCKET));
    public
        .upload_by_file("pub.txt", Bytes::from_static(b"open data"), None)
        .await
        .unwrap();
    let url = format!("http://localhost:{port}/{PUBLIC_BUCKET}/pub.txt");
    assert!(oss.resolve_url(&url, &policy).is_err());
    let allowing = UrlPolicy {
        custom_domains: vec![],
        allowed_hosts: vec![format!("localhost:{port}")],
    };
    let fetched = oss
        .get_file_by_url(&url, &allowing, out.path())
        .await
        .unwrap();
    assert_eq!(fetched.resolved.form, UrlForm::AllowedHost);
    assert_eq!(
        std::fs::read(out.path().join("pub.txt")).unwrap(),
        b"open data"
    );
    // Anonymous means anonymous: our credentials are not sent, so a private object fails.
    oss.upload_by_file("secret.txt", Bytes::from_static(b"s"), None)
        .await
        .unwrap();
    let private = format!("http://localhost:{port}/{BUCKET}/secret.txt");
    let err = oss
        .get_file_by_url(&private, &allowing, out.path())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
}
