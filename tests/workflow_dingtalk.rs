//! DingTalk's header-signed upload end to end: issue_upload, put_with_signed_headers (no
//! Content-Type), commit with each conflict strategy; Content-Type added by mistake is refused
//! by the server as OSS would; forged and expired upload keys and size mismatches fail clearly
//! and leave nothing half-committed.

mod workflow_support;

use std::time::Duration;

use futures::TryStreamExt;
use jitstore_storages::workflows::staged_upload::STAGING_PREFIX;
use jitstore_storages::workflows::OssWorkflows;
use jitstore_storages::workflows::{put_with_signed_headers, ConflictStrategy, WorkflowError};
use jitstore_storages::Storage;
use workflow_support::*;

#[tokio::test]
async fn three_steps_commit_with_each_conflict_strategy() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "TestFile.xlsx", &[7u8; 512]);

    let ticket = oss
        .issue_upload("kb/team", 512, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(ticket.expiration_seconds, 600);
    assert!(ticket.headers.contains_key("Authorization"));
    assert!(ticket.headers["Authorization"].starts_with("OSS4-HMAC-SHA256 Credential="));
    assert!(ticket.headers.contains_key("x-oss-date"));
    assert!(!ticket
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("content-type")));
    assert!(
        !ticket.resource_urls[0].contains('?'),
        "a plain URL, not presigned"
    );
    let debug = format!("{ticket:?}");
    assert!(!debug.contains("Signature="), "{debug}");

    let put = put_with_signed_headers(&ticket.resource_urls[0], &ticket.headers, &src, None)
        .await
        .unwrap();
    assert_eq!(put.size, 512);
    let done = oss
        .commit(
            &ticket.upload_key,
            "TestFile.xlsx",
            Some(512),
            ConflictStrategy::AutoRename,
        )
        .await
        .unwrap();
    assert_eq!(done.key, "kb/team/TestFile.xlsx");
    assert!(!done.renamed);
    assert_eq!(done.size, 512);
    assert_eq!(
        done.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        oss.get_object("kb/team/TestFile.xlsx").await.unwrap().size,
        512
    );
    // The staging object is gone, and the key cannot be committed twice.
    let staged: Vec<_> = oss.list(STAGING_PREFIX).try_collect().await.unwrap();
    assert!(staged.is_empty(), "{staged:?}");
    let again = oss
        .commit(
            &ticket.upload_key,
            "Other.xlsx",
            None,
            ConflictStrategy::AutoRename,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, WorkflowError::NotUploaded { .. }),
        "{again}"
    );

    // Same name again: AUTO_RENAME picks "name (1).ext", OVERWRITE replaces, FAIL refuses.
    let other = file(dir.path(), "v2.xlsx", &[9u8; 100]);
    let run = |strategy| {
        let oss = oss.clone();
        let other = other.clone();
        async move {
            let t = oss
                .issue_upload("kb/team/", 100, Duration::from_secs(60))
                .await
                .unwrap();
            put_with_signed_headers(&t.resource_urls[0], &t.headers, &other, None)
                .await
                .unwrap();
            oss.commit(&t.upload_key, "TestFile.xlsx", None, strategy)
                .await
        }
    };
    let renamed = run(ConflictStrategy::AutoRename).await.unwrap();
    assert_eq!(renamed.key, "kb/team/TestFile (1).xlsx");
    assert!(renamed.renamed);
    let failed = run(ConflictStrategy::FailIfExists).await.unwrap_err();
    assert!(
        matches!(failed, WorkflowError::AlreadyExists { .. }),
        "{failed}"
    );
    assert_eq!(
        oss.get_object("kb/team/TestFile.xlsx").await.unwrap().size,
        512
    );
    let replaced = run(ConflictStrategy::Overwrite).await.unwrap();
    assert_eq!(replaced.key, "kb/team/TestFile.xlsx");
    assert_eq!(
        &Storage::download(&oss, "kb/team/TestFile.xlsx")
            .await
            .unwrap()[..],
        &[9u8; 100][..]
    );
}

#[tokio::test]
async fn content_type_added_by_mistake_is_refused_by_the_server() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "a.txt", b"hello");
    let ticket = oss
        .issue_upload("", 5, Duration::from_secs(60))
        .await
        .unwrap();
    let mut headers = ticket.headers.clone();
    headers.insert("Content-Type".into(), "text/plain".into());
    let err = put_with_signed_headers(&ticket.resource_urls[0], &headers, &src, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("403") && text.contains("SignatureDoesNotMatch"),
        "{text}"
    );
    // And the same happens with a raw HTTP client that adds one.
    let raw = reqwest::Client::new()
        .put(&ticket.resource_urls[0])
        .headers(
            ticket
                .headers
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                .collect(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 403);
    let commit = oss
        .commit(
            &ticket.upload_key,
            "a.txt",
            None,
            ConflictStrategy::AutoRename,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(commit, WorkflowError::NotUploaded { .. }),
        "{commit}"
    );
}

#[tokio::test]
async fn size_mismatch_expired_and_forged_keys_fail_and_leave_nothing() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "a.bin", &[1u8; 10]);

    // Announced 11, uploaded 10.
    let t = oss
        .issue_upload("in", 11, Duration::from_secs(60))
        .await
        .unwrap();
    put_with_signed_headers(&t.resource_urls[0], &t.headers, &src, None)
        .await
        .unwrap();
    let err = oss
        .commit(&t.upload_key, "a.bin", None, ConflictStrategy::Overwrite)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WorkflowError::SizeMismatch {
                expected: 11,
                announced: 11,
                actual: 10
            }
        ),
        "{err}"
    );
    // expected_size at commit is checked too.
    let t2 = oss
        .issue_upload("in", 10, Duration::from_secs(60))
        .await
        .unwrap();
    put_with_signed_headers(&t2.resource_urls[0], &t2.headers, &src, None)
        .await
        .unwrap();
    let err = oss
        .commit(
            &t2.upload_key,
            "a.bin",
            Some(9),
            ConflictStrategy::Overwrite,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("size mismatch"), "{err}");

    // Expired ticket (1 s validity).
    let t3 = oss
        .issue_upload("in", 10, Duration::from_secs(1))
        .await
        .unwrap();
    put_with_signed_headers(&t3.resource_urls[0], &t3.headers, &src, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let err = oss
        .commit(&t3.upload_key, "a.bin", None, ConflictStrategy::Overwrite)
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::TicketExpired { .. }), "{err}");

    // Forged: payload edited (another folder), or a key issued by other credentials.
    let t4 = oss
        .issue_upload("in", 10, Duration::from_secs(60))
        .await
        .unwrap();
    put_with_signed_headers(&t4.resource_urls[0], &t4.headers, &src, None)
        .await
        .unwrap();
    let mut parts: Vec<String> = t4.upload_key.split('.').map(str::to_owned).collect();
    // Flip one character of the payload (a different folder, size or staging key).
    let mut payload: Vec<char> = parts[1].chars().collect();
    payload[5] = if payload[5] == 'A' { 'B' } else { 'A' };
    parts[1] = payload.into_iter().collect();
    let forged = parts.join(".");
    let err = oss
        .commit(&forged, "a.bin", None, ConflictStrategy::Overwrite)
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::InvalidTicket { .. }), "{err}");
    let mut other_config = peer.config(BUCKET);
    other_config.access_key_id = Some(STS_AK.into());
    other_config.access_key_secret = Some(STS_SK.into());
    other_config.security_token = Some(STS_TOKEN.into());
    let other = peer.storage_from(&other_config);
    let err = other
        .commit(&t4.upload_key, "a.bin", None, ConflictStrategy::Overwrite)
        .await
        .unwrap_err();
    assert!(matches!(err, WorkflowError::InvalidTicket { .. }), "{err}");
    for bad in ["", "v1.x", "v2.a.b", "v1.!!.??"] {
        assert!(matches!(
            oss.commit(bad, "a.bin", None, ConflictStrategy::Overwrite)
                .await,
            Err(WorkflowError::InvalidTicket { .. })
        ));
    }
    // Hostile commit names.
    for name in ["../x", "a/b", "x.", "a*b", "tab\there", ".."] {
        assert!(
            oss.commit(&t4.upload_key, name, None, ConflictStrategy::Overwrite)
                .await
                .is_err(),
            "{name:?}"
        );
    }
    // The genuine one still commits.
    let ok = oss
        .commit(&t4.upload_key, "a.bin", None, ConflictStrategy::Overwrite)
        .await
        .unwrap();
    assert_eq!(ok.key, "in/a.bin");

    // Nothing else was committed; mismatched and expired uploads were cleaned away.
    let all: Vec<String> = oss.list("").map_ok(|o| o.key).try_collect().await.unwrap();
    assert_eq!(all, vec!["in/a.bin".to_owned()], "{all:?}");
}

#[tokio::test]
async fn header_signed_upload_with_sts_credentials_and_with_v1() {
    let peer = start().await;
    let dir = tempfile::tempdir().unwrap();
    let src = file(dir.path(), "r.csv", b"a,b\n");
    let mut sts = peer.config(BUCKET);
    sts.access_key_id = Some(STS_AK.into());
    sts.access_key_secret = Some(STS_SK.into());
    sts.security_token = Some(STS_TOKEN.into());
    let mut v1 = peer.config(BUCKET);
    v1.signature_version = jitstore_storages::SignatureVersionConfig::V1;
    for (label, config, auth_prefix) in [("sts", sts, "OSS4-HMAC-SHA256 "), ("v1", v1, "OSS ")] {
        let oss = peer.storage_from(&config);
        let t = oss
            .issue_upload(label, 4, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            t.headers["Authorization"].starts_with(auth_prefix),
            "{label}"
        );
        if label == "sts" {
            assert_eq!(t.headers["x-oss-security-token"], STS_TOKEN);
        }
        put_with_signed_headers(&t.resource_urls[0], &t.headers, &src, None)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let done = oss
            .commit(
                &t.upload_key,
                "r.csv",
                Some(4),
                ConflictStrategy::FailIfExists,
            )
            .await
            .unwrap();
        assert_eq!(done.key, format!("{label}/r.csv"));
        assert_eq!(done.content_type, "text/csv");
    }
}
