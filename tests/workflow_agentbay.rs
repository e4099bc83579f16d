//! AgentBay parity end to end: env_init from STS credentials (registered in an App), file and
//! directory upload/download with nested folders and unicode names, hostile keys on directory
//! download, and anonymous transfers through presigned URLs.

mod workflow_support;

use std::time::Duration;

use bytes::Bytes;
use jitstore_storages::workflows::{
    download_anonymous, upload_anonymous, BatchStatus, EnvInit, FileStatus, OssWorkflows,
};
use jitstore_storages::{OssStorage, SignUrlRequest, Storage};
use workflow_support::*;

fn sts(peer: &Peer) -> EnvInit {
    EnvInit {
        access_key_id: STS_AK.into(),
        access_key_secret: STS_SK.into(),
        security_token: STS_TOKEN.into(),
        endpoint: Some(peer.server.endpoint()),
        region: Some(peer.server.region().into()),
        bucket: BUCKET.into(),
    }
}

#[tokio::test]
async fn env_init_builds_a_working_storage_and_registers_it_in_an_app() {
    let peer = start().await;
    let oss = OssStorage::env_init(&sts(&peer)).unwrap();
    let shown = format!("{:?}", sts(&peer));
    assert!(
        !shown.contains(STS_SK) && !shown.contains(STS_TOKEN),
        "{shown}"
    );
    let app_dir = tempfile::tempdir().unwrap();
    let app = jitstore_element::App::open(app_dir.path()).unwrap();
    let handle = oss.register_in(&app, "storages.SessionOss").unwrap();
    handle
        .upload_by_file("sts/hello.txt", b"hi".to_vec(), None)
        .await
        .unwrap();
    let loaded = app.get_element("storages.SessionOss").unwrap();
    let again = jitstore_storages::StorageHandle::from_loaded(&loaded).unwrap();
    assert_eq!(again.type_name(), "storages.OssType");
    assert_eq!(&again.download("sts/hello.txt").await.unwrap()[..], b"hi");

    let mut no_token = sts(&peer);
    no_token.security_token.clear();
    assert!(OssStorage::env_init(&no_token).is_err());
    let mut wrong = sts(&peer);
    wrong.security_token = "forged".into();
    let bad = OssStorage::env_init(&wrong).unwrap();
    assert!(bad
        .upload_by_file("x", Bytes::from_static(b"x"), None)
        .await
        .is_err());
}

#[tokio::test]
async fn directory_round_trip_with_nested_folders_and_unicode_names() {
    let peer = start().await;
    let oss = OssStorage::env_init(&sts(&peer)).unwrap();
    let src = tempfile::tempdir().unwrap();
    let tree: &[(&str, &[u8])] = &[
        ("a.txt", b"top"),
        ("docs/readme.md", b"# readme"),
        ("docs/深层/目录/文件 1.txt", b"unicode deep"),
        ("docs/emoji 😀/x+y#z.bin", &[0, 1, 2, 255]),
        ("empty.dat", b""),
    ];
    for (name, content) in tree {
        file(src.path(), name, content);
    }
    let up = oss.upload_local("backup/run1", src.path()).await.unwrap();
    assert_eq!(up.status, BatchStatus::Completed, "{up:?}");
    assert_eq!(up.success_count, 5);
    let keys: Vec<&str> = up.files.iter().map(|f| f.key.as_str()).collect();
    assert!(
        keys.contains(&"backup/run1/docs/深层/目录/文件 1.txt"),
        "{keys:?}"
    );
    for f in &up.files {
        assert!(
            f.etag.is_some() && f.crc64.is_some() && f.size.is_some(),
            "{f:?}"
        );
    }
    let dest = tempfile::tempdir().unwrap();
    let down = oss
        .download_local("backup/run1/", dest.path())
        .await
        .unwrap();
    assert_eq!(down.status, BatchStatus::Completed, "{down:?}");
    assert_eq!(down.success_count, 5);
    for (name, content) in tree {
        assert_eq!(
            std::fs::read(dest.path().join(name)).unwrap(),
            *content,
            "{name}"
        );
    }
    // Without the trailing slash it is still a prefix when no such object exists.
    let dest2 = tempfile::tempdir().unwrap();
    let down = oss
        .download_local("backup/run1", dest2.path())
        .await
        .unwrap();
    assert_eq!(down.success_count, 5);
    // A single file: key, and into an existing directory under its own name.
    let one = oss
        .upload_local("single/", &src.path().join("a.txt"))
        .await
        .unwrap();
    assert_eq!(one.files[0].key, "single/a.txt");
    let got = oss
        .download_local("single/a.txt", dest2.path())
        .await
        .unwrap();
    assert_eq!(
        got.files[0].path.as_deref(),
        Some(dest2.path().join("a.txt").as_path())
    );
    assert_eq!(got.bytes, 3);
    // A path ending in a separator names a folder, created if missing.
    let folder = format!("{}/new/", dest2.path().display());
    let got = oss
        .download_local("single/a.txt", folder.as_ref())
        .await
        .unwrap();
    assert_eq!(got.status, BatchStatus::Completed, "{got:?}");
    assert_eq!(
        std::fs::read(dest2.path().join("new/a.txt")).unwrap(),
        b"top"
    );
}

#[tokio::test]
async fn hostile_keys_on_directory_download_are_refused_and_never_written() {
    let peer = start().await;
    let oss = peer.storage();
    for key in [
        "drop/ok.txt",
        "drop/../escape.txt",
        "drop/a/../../escape2.txt",
        "drop/dir\\..\\win.txt",
        "drop//abs.txt",
        "drop/./dot.txt",
        "drop/nul\u{0}.txt",
    ] {
        oss.upload_by_file(key, Bytes::from_static(b"payload"), None)
            .await
            .unwrap_or_else(|e| panic!("{key:?}: {e}"));
    }
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("target");
    let report = oss.download_local("drop/", &target).await.unwrap();
    assert_eq!(report.status, BatchStatus::PartiallyFailed);
    assert_eq!(report.success_count, 1);
    assert_eq!(report.error_count, 6);
    for f in &report.files {
        if f.key == "drop/ok.txt" {
            assert_eq!(f.status, FileStatus::Success);
        } else {
            assert_eq!(f.status, FileStatus::Refused, "{f:?}");
            assert!(f.path.is_none() && f.error.is_some());
        }
    }
    // Nothing outside the target, nothing but ok.txt inside it.
    let outside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("target")]);
    fn files(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut inside = Vec::new();
    files(&target, &target, &mut inside);
    assert_eq!(inside, vec![std::path::PathBuf::from("ok.txt")]);
}

#[tokio::test]
async fn anonymous_transfers_through_presigned_urls() {
    let peer = start().await;
    let oss = peer.storage();
    let dir = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let src = file(dir.path(), "big.bin", &content);
    let put = oss
        .sign_url(&{
            let mut r = SignUrlRequest::new("PUT", "anon/big.bin");
            r.expires = Duration::from_secs(60);
            r
        })
        .await
        .unwrap();
    let up = upload_anonymous(&put.url, &src, None).await.unwrap();
    assert_eq!(up.status, BatchStatus::Completed, "{up:?}");
    assert_eq!(
        up.files[0].crc64,
        Some(jitstore_oss::crc64::checksum(&content))
    );
    assert!(
        !up.files[0].key.contains("x-oss-signature"),
        "the signature leaked into the report"
    );
    let get = oss
        .get_sign_url("anon/big.bin", None, Duration::from_secs(60))
        .await
        .unwrap();
    let dest = dir.path().join("out/copy.bin");
    let down = download_anonymous(&get, &dest, None).await.unwrap();
    assert_eq!(down.status, BatchStatus::Completed, "{down:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), content);

    // A failed anonymous GET leaves nothing behind (atomic).
    let missing = oss
        .get_sign_url("anon/none", None, Duration::from_secs(60))
        .await
        .unwrap();
    let gone = dir.path().join("out/none.bin");
    let failed = download_anonymous(&missing, &gone, None).await.unwrap();
    assert_eq!(failed.status, BatchStatus::Failed);
    assert!(failed.files[0].error.as_ref().unwrap().contains("404"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("copy.bin")]);
    // Without credentials a private object cannot be had.
    let plain = format!("{}/{BUCKET}/anon/big.bin", peer.server.endpoint());
    let denied = download_anonymous(&plain, &dir.path().join("d.bin"), None)
        .await
        .unwrap();
    assert!(denied.files[0].error.as_ref().unwrap().contains("403"));
}

#[tokio::test]
async fn anonymous_directory_upload_to_an_open_server_maps_relative_paths_to_keys() {
    // A server with no credentials accepts unsigned requests (like a public-read-write bucket).
    let data = tempfile::tempdir().unwrap();
    let server = jitstore_oss_server::Server::start(
        jitstore_oss_server::ServerConfig::new(data.path()).bucket("open"),
    )
    .await
    .unwrap();
    let src = tempfile::tempdir().unwrap();
    file(src.path(), "a.txt", b"a");
    file(src.path(), "sub dir/数据 #1.txt", b"deep");
    let base = format!("{}/open/drop", server.endpoint());
    let up = upload_anonymous(&base, src.path(), None).await.unwrap();
    assert_eq!(up.status, BatchStatus::Completed, "{up:?}");
    assert_eq!(up.success_count, 2);
    let got = reqwest::get(format!(
        "{}/open/drop/sub%20dir/%E6%95%B0%E6%8D%AE%20%231.txt",
        server.endpoint()
    ))
    .await
    .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.unwrap(), "deep");
    // A presigned (query-carrying) URL cannot take a directory.
    let err = upload_anonymous(&format!("{base}?Signature=x"), src.path(), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_folder_download_lists_a_public_bucket_and_refuses_hostile_keys() {
    let peer = start().await;
    let public = peer.storage_from(&peer.config(PUBLIC_BUCKET));
    for (key, body) in [
        ("pub/a.txt", &b"alpha"[..]),
        ("pub/sub dir/数据 #1.txt", &b"deep"[..]),
        ("pub/../evil.txt", &b"escape"[..]),
        ("other/b.txt", &b"not under the prefix"[..]),
    ] {
        public
            .upload_by_file(key, Bytes::from_static(body), Some("text/plain"))
            .await
            .unwrap();
    }
    let dest = tempfile::tempdir().unwrap();
    let target = dest.path().join("copy");
    let url = format!("{}/{}/pub/", peer.server.endpoint(), PUBLIC_BUCKET);
    let report = download_anonymous(&url, &target, None).await.unwrap();
    assert_eq!(report.success_count, 2, "{report:?}");
    assert_eq!(report.status, BatchStatus::PartiallyFailed, "{report:?}");
    let refused: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Refused)
        .collect();
    assert_eq!(refused.len(), 1, "{report:?}");
    assert_eq!(refused[0].key, "pub/../evil.txt");
    assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"alpha");
    assert_eq!(
        std::fs::read(target.join("sub dir").join("数据 #1.txt")).unwrap(),
        b"deep"
    );
    assert!(
        !dest.path().join("evil.txt").exists(),
        "a hostile key escaped"
    );
    assert!(
        !target.join("b.txt").exists(),
        "an object outside the prefix came down"
    );

    // A private bucket cannot be listed anonymously: a clear error, nothing written.
    peer.storage()
        .upload_by_file("x.txt", Bytes::from_static(b"x"), Some("text/plain"))
        .await
        .unwrap();
    let private = format!("{}/{}/", peer.server.endpoint(), BUCKET);
    let nowhere = dest.path().join("private");
    let err = download_anonymous(&private, &nowhere, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    assert!(!nowhere.exists());
}
