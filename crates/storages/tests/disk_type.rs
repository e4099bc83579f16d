//! storages.DiskType through the registry and a StorageHandle: every method, its config, and
//! the keys it must refuse.

use futures::TryStreamExt;
use jitstore_element::App;
use jitstore_storages::{Capability, DEFAULT_SIGN_EXPIRES};

mod disk_support;

use disk_support::{files_under, TestApp};

#[tokio::test]
async fn upload_download_stat_delete_round_trip() {
    let app = TestApp::new("{}");
    let store = app.store();
    assert_eq!(store.element(), "storages.Files");
    assert_eq!(store.type_name(), "storages.DiskType");

    let result = store
        .upload_by_file("docs/a.txt", b"hello".to_vec(), Some("text/x-custom"))
        .await
        .expect("upload");
    let stored = app.root().join("appData/storages/Files/docs/a.txt");
    assert_eq!(std::fs::read(&stored).expect("on disk"), b"hello");
    assert_eq!(result.key, "docs/a.txt");
    assert_eq!(result.size, 5);
    assert_eq!(result.content_type.as_deref(), Some("text/x-custom"));
    assert_eq!(
        result.url,
        url::Url::from_file_path(&stored).expect("url").to_string()
    );
    assert!(result.url.starts_with("file:///"));

    let info = store.get_object("docs/a.txt").await.expect("stat");
    assert_eq!(info.size, 5);
    assert_eq!(info.etag.as_deref(), Some(result.etag.as_str()));
    // The content type given at upload is kept (not re-guessed from the extension).
    assert_eq!(info.content_type.as_deref(), Some("text/x-custom"));
    assert!(info.last_modified.is_some());

    assert_eq!(
        &store.download("docs/a.txt").await.expect("download")[..],
        b"hello"
    );
    assert!(store.exists("docs/a.txt").await.expect("exists"));
    store.delete("docs/a.txt").await.expect("delete");
    assert!(!store.exists("docs/a.txt").await.expect("exists"));
    assert!(!stored.exists());
    // Emptied folders are pruned; deleting again is not an error (as on OSS).
    assert!(!app.root().join("appData/storages/Files/docs").exists());
    store.delete("docs/a.txt").await.expect("idempotent delete");
}

#[tokio::test]
async fn content_type_defaults_are_those_of_oss_type() {
    let app = TestApp::new("{}");
    let store = app.store();
    // Bytes without a content type are application/octet-stream, as on OSS.
    let json = store
        .upload_by_file("a.json", b"{}".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(
        json.content_type.as_deref(),
        Some("application/octet-stream")
    );
    let info = store.get_object("a.json").await.expect("stat");
    assert_eq!(
        info.content_type.as_deref(),
        Some("application/octet-stream")
    );
    // A local file without one is guessed from the key's extension, as OssType does.
    let source = app.dir.path().join("source.bin");
    std::fs::write(&source, b"{}").expect("source");
    let uploaded = store
        .upload_path("b.json", &source, None)
        .await
        .expect("upload_path");
    assert_eq!(uploaded.content_type.as_deref(), Some("application/json"));
    let info = store.get_object("b.json").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("application/json"));
    // A file put in the directory by hand is guessed from its extension.
    std::fs::write(app.root().join("appData/storages/Files/c.html"), b"<p>").expect("by hand");
    let info = store.get_object("c.html").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("text/html"));
}

#[tokio::test]
async fn the_directory_is_relative_to_the_app_or_absolute() {
    let app = TestApp::new(r#"{"directory": "data/files"}"#);
    app.store()
        .upload_by_file("k", b"1".to_vec(), None)
        .await
        .expect("upload");
    assert!(app.root().join("data/files/k").is_file());

    let elsewhere = tempfile::tempdir().expect("temp");
    let config = serde_json::json!({"directory": elsewhere.path()}).to_string();
    let app = TestApp::new(&config);
    app.store()
        .upload_by_file("k", b"2".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(
        std::fs::read(elsewhere.path().join("k")).expect("file"),
        b"2"
    );
}

#[tokio::test]
async fn listing_is_recursive_sorted_and_filtered_by_prefix() {
    let store = TestApp::new("{}").store();
    for key in [
        "b.txt",
        "a/2.txt",
        "a/1.txt",
        "a.txt",
        "ab/3.txt",
        "中文/名字.txt",
    ] {
        store
            .upload_by_file(key, key.as_bytes().to_vec(), None)
            .await
            .expect("upload");
    }
    let keys = |prefix: &'static str| {
        let store = store.clone();
        async move {
            store
                .list(prefix)
                .map_ok(|o| o.key)
                .try_collect::<Vec<_>>()
                .await
                .expect("list")
        }
    };
    assert_eq!(
        keys("").await,
        [
            "a.txt",
            "a/1.txt",
            "a/2.txt",
            "ab/3.txt",
            "b.txt",
            "中文/名字.txt"
        ]
    );
    assert_eq!(keys("a/").await, ["a/1.txt", "a/2.txt"]);
    assert_eq!(keys("a").await, ["a.txt", "a/1.txt", "a/2.txt", "ab/3.txt"]);
    assert!(keys("nothing/").await.is_empty());
    let listed: Vec<_> = store.list("a/1").try_collect().await.expect("list");
    assert_eq!(listed[0].size, 7);
}

#[tokio::test]
async fn hostile_keys_are_refused_and_nothing_is_written() {
    let app = TestApp::new("{}");
    let store = app.store();
    for (key, reason) in [
        ("../escape.txt", "`..` segment"),
        ("a/../../escape.txt", "`..` segment"),
        ("/etc/passwd", "absolute path"),
        ("a\\..\\b", "backslash"),
        ("nul\0byte", "NUL"),
        ("", "empty"),
    ] {
        let error = store
            .upload_by_file(key, b"x".to_vec(), None)
            .await
            .expect_err(key);
        let text = error.to_string();
        assert!(
            text.starts_with("storages.Files (storages.DiskType): upload_by_file `"),
            "{text}"
        );
        assert!(text.contains(reason), "{key}: {text}");
        assert!(store.download(key).await.is_err());
        assert!(store.delete(key).await.is_err());
    }
    let escaped = app.root().join("escape.txt");
    assert!(!escaped.exists());
    assert!(files_under(&app.root())
        .iter()
        .all(|f| f.starts_with("storages/")));
    let error = store
        .list("../")
        .try_collect::<Vec<_>>()
        .await
        .expect_err("prefix");
    assert!(error.to_string().contains("list `../`"), "{error}");
}

#[tokio::test]
async fn a_missing_object_is_not_found_naming_element_type_and_key() {
    let store = TestApp::new("{}").store();
    let error = store
        .download("missing/key.txt")
        .await
        .expect_err("missing");
    assert!(error.is_not_found());
    assert_eq!(
        error.to_string(),
        "storages.Files (storages.DiskType): download `missing/key.txt`: object not found"
    );
    let error = store
        .get_object("missing/key.txt")
        .await
        .expect_err("missing");
    assert!(error.is_not_found());
}

#[tokio::test]
async fn streaming_upload_and_download_to_a_path() {
    let app = TestApp::new("{}");
    let store = app.store();
    let local = tempfile::tempdir().expect("temp");
    let source = local.path().join("big.bin");
    let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &data).expect("source");
    let result = store
        .upload_path("big/big.bin", &source, None)
        .await
        .expect("upload_path");
    assert_eq!(result.size, data.len() as u64);

    let target = local.path().join("out/copy.bin");
    let written = store
        .download_to("big/big.bin", &target)
        .await
        .expect("download_to");
    assert_eq!(written, data.len() as u64);
    assert_eq!(std::fs::read(&target).expect("target"), data);

    // A failed download leaves nothing at the target path.
    let absent = local.path().join("absent.bin");
    assert!(store.download_to("nope", &absent).await.is_err());
    assert!(!absent.exists());
    // A failed upload (missing source) leaves no object and no temp file.
    let error = store
        .upload_path("x", &local.path().join("missing.bin"), None)
        .await
        .expect_err("missing source");
    assert!(error.to_string().contains("missing.bin"), "{error}");
    assert!(!store.exists("x").await.expect("exists"));
    assert_eq!(
        files_under(&app.root().join("appData/storages/Files")),
        ["big/big.bin"]
    );
}

#[tokio::test]
async fn concurrent_writes_to_one_key_never_mix() {
    let app = TestApp::new("{}");
    let store = app.store();
    let size = 512 * 1024;
    let writers: Vec<_> = (0..8u8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .upload_by_file("same.bin", vec![n; size], None)
                    .await
                    .expect("upload")
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("task");
    }
    let content = store.download("same.bin").await.expect("download");
    assert_eq!(content.len(), size);
    assert!(content.iter().all(|b| *b == content[0]), "mixed content");
    assert_eq!(
        files_under(&app.root().join("appData/storages/Files")),
        ["same.bin"]
    );
}

#[tokio::test]
async fn copy_and_overwrite() {
    let store = TestApp::new("{}").store();
    store
        .upload_by_file("a", b"one".to_vec(), None)
        .await
        .expect("upload");
    store.copy("a", "b/c").await.expect("copy");
    store
        .upload_by_file("a", b"two".to_vec(), None)
        .await
        .expect("overwrite");
    assert_eq!(&store.download("a").await.expect("a")[..], b"two");
    assert_eq!(&store.download("b/c").await.expect("c")[..], b"one");
}

#[tokio::test]
async fn a_key_under_an_existing_object_is_a_clear_conflict() {
    let store = TestApp::new("{}").store();
    store
        .upload_by_file("a", b"file".to_vec(), None)
        .await
        .expect("upload");
    let error = store
        .upload_by_file("a/b", b"x".to_vec(), None)
        .await
        .expect_err("conflict");
    assert!(
        error
            .to_string()
            .contains("is an object, so it cannot also be a folder"),
        "{error}"
    );
}

#[tokio::test]
async fn unsupported_operations_say_so_and_capabilities_tell_first() {
    let store = TestApp::new("{}").store();
    let capabilities = store.capabilities();
    assert!(capabilities.contains(Capability::Write));
    assert!(capabilities.contains(Capability::List));
    assert!(!capabilities.contains(Capability::SignUrl));
    let error = store
        .get_sign_url("a.txt", Some("text/plain"), None)
        .await
        .expect_err("unsupported");
    assert!(error.is_unsupported());
    assert_eq!(
        error.to_string(),
        "storages.Files (storages.DiskType): get_sign_url `a.txt`: get_sign_url is not supported by this storage Type"
    );
    assert_eq!(DEFAULT_SIGN_EXPIRES.as_secs(), 300);
    let error = store
        .append("a.txt", 0, b"x".to_vec())
        .await
        .expect_err("append");
    assert!(error.is_unsupported());
}

#[test]
fn an_unknown_config_field_names_the_file_and_field() {
    let app = TestApp::new("{\n  \"directory\": \"d\",\n  \"dir\": \"typo\"\n}");
    let error = App::open(app.dir.path())
        .expect("opens")
        .get_element("storages.Files")
        .expect_err("unknown field");
    let text = error.to_string();
    assert!(
        text.contains("element storages.Files (type storages.DiskType)"),
        "{text}"
    );
    assert!(text.contains("storages/Files/Files.json:3:"), "{text}");
    assert!(text.contains("field `dir`"), "{text}");
}

#[test]
fn a_directory_of_the_wrong_type_names_the_field() {
    let app = TestApp::new(r#"{"directory": 5}"#);
    let text = App::open(app.dir.path())
        .expect("opens")
        .get_element("storages.Files")
        .expect_err("wrong type")
        .to_string();
    assert!(text.contains("field `directory`"), "{text}");
    assert!(
        text.contains("invalid type: integer `5`, expected a string"),
        "{text}"
    );
}

#[test]
fn oss_type_is_declared_by_the_framework_layer() {
    let dir = tempfile::tempdir().expect("temp");
    let app = App::open(dir.path()).expect("opens");
    let chain: Vec<&str> = app
        .chain("storages.OssType")
        .expect("declared")
        .iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(chain, ["storages.OssType", "storages.Meta"]);
    assert!(app.element("storages.DiskType").is_ok());
}
