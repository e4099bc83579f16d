//! DiskType keeps the content type and user metadata given at upload in a sidecar bound to
//! that version of the data: returned by `get_object`, kept by `copy`, removed with the
//! object, never listed, and ignored once the data changes behind DiskType's back.

mod disk_support;

use disk_support::{files_under, TestApp};
use futures::TryStreamExt;
use jitstore_storages::UploadOptions;

fn options(content_type: &str, metadata: &[(&str, &str)]) -> UploadOptions {
    let mut options = UploadOptions::content_type(content_type);
    for (k, v) in metadata {
        options
            .user_metadata
            .insert((*k).to_owned(), (*v).to_owned());
    }
    options
}

#[tokio::test]
async fn metadata_round_trips_and_the_sidecar_is_invisible() {
    let app = TestApp::new("{}");
    let store = app.store();
    let result = store
        .upload_with(
            "docs/report.txt",
            b"numbers".to_vec(),
            &options(
                "application/x-report",
                &[("Owner", "ana"), ("stage", "draft")],
            ),
        )
        .await
        .expect("upload");
    assert_eq!(result.content_type.as_deref(), Some("application/x-report"));

    let info = store.get_object("docs/report.txt").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("application/x-report"));
    // Names are lower-cased, as OSS returns them.
    assert_eq!(
        info.user_metadata.iter().collect::<Vec<_>>(),
        [
            (&"owner".to_owned(), &"ana".to_owned()),
            (&"stage".to_owned(), &"draft".to_owned())
        ]
    );
    assert_eq!(info.etag.as_deref(), Some(result.etag.as_str()));

    let dir = app.storage_dir();
    let on_disk = files_under(&dir);
    assert_eq!(on_disk.len(), 2, "object and sidecar: {on_disk:?}");
    assert!(on_disk
        .iter()
        .any(|f| f.starts_with("docs/.jitstore-meta-")));
    let listed: Vec<_> = store.list("").try_collect().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, "docs/report.txt");
    assert_eq!(
        listed[0].content_type.as_deref(),
        Some("application/x-report")
    );

    store.delete("docs/report.txt").await.expect("delete");
    assert!(
        files_under(&dir).is_empty(),
        "sidecar removed with the object"
    );
    assert!(!dir.join("docs").exists(), "emptied folder pruned");
}

#[tokio::test]
async fn overwriting_replaces_the_metadata() {
    let app = TestApp::new("{}");
    let store = app.store();
    store
        .upload_with(
            "a.bin",
            b"one".to_vec(),
            &options("text/x-one", &[("k", "1")]),
        )
        .await
        .expect("upload");
    store
        .upload_by_file("a.bin", b"two".to_vec(), None)
        .await
        .expect("overwrite");
    let info = store.get_object("a.bin").await.expect("stat");
    assert_eq!(
        info.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(info.user_metadata.is_empty(), "{:?}", info.user_metadata);
    // Nothing left to record (octet-stream is what a reader infers for `.bin`).
    assert_eq!(files_under(&app.storage_dir()), ["a.bin"]);
}

#[tokio::test]
async fn data_changed_behind_disk_type_loses_its_stale_metadata() {
    // The same state a crash between committing data and sidecar can leave: a sidecar that
    // describes another version of the data. It must not be applied to this one.
    let app = TestApp::new("{}");
    let store = app.store();
    store
        .upload_with(
            "page.html",
            b"<p>1</p>".to_vec(),
            &options("text/x-old", &[("v", "1")]),
        )
        .await
        .expect("upload");
    std::fs::write(app.storage_dir().join("page.html"), b"<p>changed</p>").expect("by hand");
    let info = store.get_object("page.html").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("text/html"));
    assert!(info.user_metadata.is_empty());
}

#[tokio::test]
async fn copy_keeps_content_type_and_metadata() {
    let store = TestApp::new("{}").store();
    store
        .upload_with(
            "src.txt",
            b"body".to_vec(),
            &options("text/x-src", &[("k", "v")]),
        )
        .await
        .expect("upload");
    store.copy("src.txt", "dst/copy.json").await.expect("copy");
    let info = store.get_object("dst/copy.json").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("text/x-src"));
    assert_eq!(info.user_metadata.get("k").map(String::as_str), Some("v"));
    // A source without a sidecar keeps the type guessed from *its* key.
    let local = tempfile::tempdir().expect("temp");
    let source = local.path().join("source");
    std::fs::write(&source, b"t").expect("source");
    store
        .upload_path("plain.txt", &source, None)
        .await
        .expect("upload_path");
    store.copy("plain.txt", "plain.bin").await.expect("copy");
    let info = store.get_object("plain.bin").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
}

#[tokio::test]
async fn metadata_that_oss_could_not_carry_is_refused_naming_it() {
    let store = TestApp::new("{}").store();
    for (name, value, expected) in [
        ("bad name", "v", "\"bad name\" is not a valid header name"),
        ("", "v", "\"\" is not a valid header name"),
        ("ok", "line\nbreak", "the value of user metadata \"ok\""),
    ] {
        let error = store
            .upload_with("x", b"x".to_vec(), &options("text/plain", &[(name, value)]))
            .await
            .expect_err(name);
        assert!(
            error.kind() == jitstore_storages::ErrorKind::InvalidArgument,
            "{error}"
        );
        assert!(error.to_string().contains(expected), "{error}");
    }
    assert!(!store.exists("x").await.expect("exists"));
}
