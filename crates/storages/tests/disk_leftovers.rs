//! What a killed upload leaves in DiskType's directory (temporary files, orphaned metadata
//! sidecars) is never listed nor addressable, and is swept away when the storage is opened
//! once older than the grace period (an hour); fresh ones (an upload running elsewhere) stay.

mod disk_support;

use std::time::{Duration, SystemTime};

use disk_support::{files_under, TestApp};
use futures::TryStreamExt;

/// Plants `name` with content `x`, last modified `age` ago.
fn plant(path: &std::path::Path, age: Duration) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, b"x").expect("plant");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(SystemTime::now() - age).expect("age");
}

const ORPHAN_SIDECAR: &str =
    ".jitstore-meta-0000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test]
async fn opening_sweeps_old_leftovers_and_keeps_fresh_ones_unlisted() {
    let app = TestApp::new("{}");
    let dir = app.storage_dir();
    let two_hours = Duration::from_secs(2 * 60 * 60);
    plant(&dir.join("kept.txt"), two_hours);
    plant(&dir.join(".jitstore-tmp-killed1"), two_hours);
    plant(&dir.join("deep/er/.jitstore-tmp-killed2"), two_hours);
    plant(&dir.join(format!("deep/{ORPHAN_SIDECAR}")), two_hours);
    plant(&dir.join(".jitstore-tmp-running"), Duration::from_secs(5));

    let store = app.store();

    assert_eq!(
        files_under(&dir),
        [".jitstore-tmp-running", "kept.txt"],
        "old leftovers are swept, the object and the fresh temp file stay"
    );
    let listed: Vec<String> = store
        .list("")
        .map_ok(|o| o.key)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(listed, ["kept.txt"], "a temp file is never listed");
    let listed: Vec<String> = store
        .list(".jitstore-")
        .map_ok(|o| o.key)
        .try_collect()
        .await
        .unwrap_or_default();
    assert!(listed.is_empty(), "{listed:?}");
    for key in [".jitstore-tmp-running", "deep/.jitstore-meta-x"] {
        let error = store.download(key).await.expect_err(key);
        assert!(error.to_string().contains("reserved"), "{error}");
    }
}

#[tokio::test]
async fn a_sidecar_whose_object_exists_is_not_swept() {
    let app = TestApp::new("{}");
    let store = app.store();
    let mut options = jitstore_storages::UploadOptions::content_type("text/x-kept");
    options
        .user_metadata
        .insert("owner".to_owned(), "ana".to_owned());
    store
        .upload_with("a/b.bin", b"data".to_vec(), &options)
        .await
        .expect("upload");
    // Age the sidecar, then reopen: it belongs to a live object and stays.
    let dir = app.storage_dir();
    let sidecars: Vec<String> = files_under(&dir)
        .into_iter()
        .filter(|f| f.starts_with("a/.jitstore-meta-"))
        .collect();
    assert_eq!(sidecars.len(), 1, "{sidecars:?}");
    for file in sidecars {
        let file = std::fs::File::options()
            .write(true)
            .open(dir.join(file))
            .expect("open");
        file.set_modified(SystemTime::now() - Duration::from_secs(3 * 60 * 60))
            .expect("age");
    }
    let store = app.store();
    let info = store.get_object("a/b.bin").await.expect("stat");
    assert_eq!(info.content_type.as_deref(), Some("text/x-kept"));
    assert_eq!(
        info.user_metadata.get("owner").map(String::as_str),
        Some("ana")
    );
}
