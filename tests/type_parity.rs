//! The behaviour DiskType and OssType share, pinned by one suite run against both: DiskType
//! on a temporary folder, OssType over real HTTP to the in-process local OSS server.

mod oss_type_support;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use jitstore_element::App;
use jitstore_storages::{StorageHandle, UploadOptions};
use oss_type_support::{start, OssTypePeer, Peer};

/// The peer (kept alive) and one handle per Type: `storages.Files` (DiskType) and
/// `storages.Oss` (OssType), from one app.
async fn both_types() -> (Peer, Vec<StorageHandle>) {
    let peer = start().await;
    peer.write_element("Oss", &peer.config(serde_json::json!({})));
    let disk = peer.app.path().join("storages/Files");
    std::fs::create_dir_all(&disk).expect("mkdir");
    std::fs::write(
        disk.join("e.json"),
        r#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    )
    .expect("e.json");
    std::fs::write(disk.join("Files.json"), "{}").expect("config");
    let app = App::open(peer.app.path()).expect("app opens");
    let handles = ["storages.Files", "storages.Oss"]
        .iter()
        .map(|name| {
            let loaded = app.get_element(name).expect("builds");
            StorageHandle::from_loaded(&loaded).expect("a storage")
        })
        .collect();
    (peer, handles)
}

fn metadata(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// An ETag as OssType reports it: not empty, unquoted, upper-case hex digits and dashes.
fn assert_etag_form(etag: &str, who: &str) {
    assert!(!etag.is_empty(), "{who}: empty ETag");
    assert!(
        etag.chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c) || c == '-'),
        "{who}: ETag {etag:?} is not in OssType's form"
    );
}

#[tokio::test]
async fn get_object_returns_what_upload_with_stored() {
    let (_peer, stores) = both_types().await;
    for store in &stores {
        let who = store.type_name();
        let mut options = UploadOptions::content_type("application/x-parity");
        options.user_metadata = metadata(&[("Owner", "ana"), ("stage", "draft")]);
        let uploaded = store
            .upload_with("docs/p.txt", b"parity body".to_vec(), &options)
            .await
            .unwrap_or_else(|e| panic!("{who}: upload_with: {e}"));
        assert_eq!(uploaded.size, 11, "{who}");
        assert_eq!(
            uploaded.content_type.as_deref(),
            Some("application/x-parity"),
            "{who}"
        );
        assert_etag_form(&uploaded.etag, who);

        let info = store
            .get_object("docs/p.txt")
            .await
            .unwrap_or_else(|e| panic!("{who}: get_object: {e}"));
        assert_eq!(info.key, "docs/p.txt", "{who}");
        assert_eq!(info.size, 11, "{who}");
        assert_eq!(
            info.content_type.as_deref(),
            Some("application/x-parity"),
            "{who}"
        );
        assert_eq!(
            info.user_metadata,
            metadata(&[("owner", "ana"), ("stage", "draft")]),
            "{who}: user metadata, names lower-case"
        );
        assert_eq!(info.etag.as_deref(), Some(uploaded.etag.as_str()), "{who}");
        assert!(info.last_modified.is_some(), "{who}");
    }
}

#[tokio::test]
async fn content_type_defaults_agree() {
    let (_peer, stores) = both_types().await;
    let local = tempfile::tempdir().expect("temp");
    let source = local.path().join("source");
    std::fs::write(&source, b"{}").expect("source");
    for store in &stores {
        let who = store.type_name();
        store
            .upload_by_file("bytes.json", b"{}".to_vec(), None)
            .await
            .unwrap_or_else(|e| panic!("{who}: upload: {e}"));
        let info = store.get_object("bytes.json").await.expect("stat");
        assert_eq!(
            info.content_type.as_deref(),
            Some("application/octet-stream"),
            "{who}: bytes without a content type"
        );
        store
            .upload_path("file.json", &source, None)
            .await
            .unwrap_or_else(|e| panic!("{who}: upload_path: {e}"));
        let info = store.get_object("file.json").await.expect("stat");
        assert_eq!(
            info.content_type.as_deref(),
            Some("application/json"),
            "{who}: a file is guessed from the key's extension"
        );
    }
}

#[tokio::test]
async fn overwrite_replaces_content_etag_and_metadata() {
    let (_peer, stores) = both_types().await;
    for store in &stores {
        let who = store.type_name();
        let mut options = UploadOptions::content_type("text/x-first");
        options.user_metadata = metadata(&[("k", "1")]);
        let first = store
            .upload_with("o.bin", b"first".to_vec(), &options)
            .await
            .expect("first");
        let second = store
            .upload_by_file("o.bin", b"second!".to_vec(), Some("text/x-second"))
            .await
            .expect("second");
        assert_ne!(first.etag, second.etag, "{who}: the ETag names the version");
        let info = store.get_object("o.bin").await.expect("stat");
        assert_eq!(info.size, 7, "{who}");
        assert_eq!(info.content_type.as_deref(), Some("text/x-second"), "{who}");
        assert!(
            info.user_metadata.is_empty(),
            "{who}: {:?}",
            info.user_metadata
        );
        assert_eq!(info.etag.as_deref(), Some(second.etag.as_str()), "{who}");
        assert_eq!(&store.download("o.bin").await.expect("get")[..], b"second!");
    }
}

#[tokio::test]
async fn listing_agrees_on_keys_sizes_and_etags() {
    let (_peer, stores) = both_types().await;
    let keys = [
        "b.txt",
        "a/2.txt",
        "a/1.txt",
        "a.txt",
        "ab/3.txt",
        "中文/名字.txt",
    ];
    let mut listings = Vec::new();
    for store in &stores {
        let who = store.type_name();
        let mut options = UploadOptions::content_type("text/x-listed");
        options.user_metadata = metadata(&[("hidden", "sidecar")]);
        for key in keys {
            store
                .upload_with(key, key.as_bytes().to_vec(), &options)
                .await
                .unwrap_or_else(|e| panic!("{who}: upload {key}: {e}"));
        }
        let listed: Vec<_> = store.list("").try_collect().await.expect("list");
        for entry in &listed {
            let info = store.get_object(&entry.key).await.expect("stat");
            assert_eq!(entry.etag, info.etag, "{who}: {}", entry.key);
            assert_eq!(entry.size, info.size, "{who}: {}", entry.key);
        }
        let prefixed: Vec<String> = store
            .list("a")
            .map_ok(|o| o.key)
            .try_collect()
            .await
            .expect("list a");
        listings.push((
            listed
                .into_iter()
                .map(|o| (o.key, o.size))
                .collect::<Vec<_>>(),
            prefixed,
        ));
    }
    let expected: Vec<(String, u64)> = [
        "a.txt",
        "a/1.txt",
        "a/2.txt",
        "ab/3.txt",
        "b.txt",
        "中文/名字.txt",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), k.len() as u64))
    .collect();
    for (listed, prefixed) in &listings {
        assert_eq!(listed, &expected, "no sidecar or temp file is listed");
        assert_eq!(prefixed, &["a.txt", "a/1.txt", "a/2.txt", "ab/3.txt"]);
    }
}

#[tokio::test]
async fn copy_keeps_content_type_and_metadata() {
    let (_peer, stores) = both_types().await;
    for store in &stores {
        let who = store.type_name();
        let mut options = UploadOptions::content_type("text/x-source");
        options.user_metadata = metadata(&[("origin", "src")]);
        store
            .upload_with("src.txt", b"body".to_vec(), &options)
            .await
            .expect("upload");
        store
            .copy("src.txt", "dst/copy.bin")
            .await
            .unwrap_or_else(|e| panic!("{who}: copy: {e}"));
        let info = store.get_object("dst/copy.bin").await.expect("stat");
        assert_eq!(info.content_type.as_deref(), Some("text/x-source"), "{who}");
        assert_eq!(info.user_metadata, metadata(&[("origin", "src")]), "{who}");
        assert_eq!(
            &store.download("dst/copy.bin").await.expect("get")[..],
            b"body"
        );
    }
}

#[tokio::test]
async fn missing_objects_and_deletes_agree() {
    let (_peer, stores) = both_types().await;
    for store in &stores {
        let who = store.type_name();
        assert!(
            store
                .get_object("none")
                .await
                .expect_err(who)
                .is_not_found(),
            "{who}"
        );
        assert!(
            store.download("none").await.expect_err(who).is_not_found(),
            "{who}"
        );
        assert!(!store.exists("none").await.expect("exists"), "{who}");
        store
            .delete("none")
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        let mut options = UploadOptions::content_type("text/plain");
        options.user_metadata = metadata(&[("k", "v")]);
        store
            .upload_with("gone/x.txt", b"x".to_vec(), &options)
            .await
            .expect("upload");
        store.delete("gone/x.txt").await.expect("delete");
        assert!(!store.exists("gone/x.txt").await.expect("exists"), "{who}");
        let left: Vec<_> = store.list("").try_collect().await.expect("list");
        assert!(left.is_empty(), "{who}: {left:?}");
    }
}
