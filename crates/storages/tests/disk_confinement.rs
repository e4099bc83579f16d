//! DiskType stays inside its directory: symbolic links beneath it — to the outside or to
//! the inside — are never followed, replaced or removed by `get`, `put`, `delete`, `stat`,
//! and never listed (the policy README's DiskType section states).
#![cfg(unix)]

mod disk_support;

use std::os::unix::fs::symlink;
use std::path::PathBuf;

use disk_support::{files_under, TestApp};
use futures::TryStreamExt;
use jitstore_storages::StorageHandle;

const SECRET: &[u8] = b"outside secret";

/// An app whose storage directory holds `link -> <outside dir>` and `passwd -> <outside
/// file>`; returns the app, the outside dir (holding `secret.txt`) and the store.
fn app_with_links() -> (TestApp, tempfile::TempDir, StorageHandle) {
    let app = TestApp::new("{}");
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("secret.txt"), SECRET).expect("secret");
    let dir = app.storage_dir();
    symlink(outside.path(), dir.join("link")).expect("dir link");
    symlink(outside.path().join("secret.txt"), dir.join("passwd")).expect("file link");
    let store = app.store();
    (app, outside, store)
}

fn outside_files(outside: &tempfile::TempDir) -> Vec<String> {
    files_under(outside.path())
}

async fn keys(store: &StorageHandle, prefix: &str) -> Result<Vec<String>, String> {
    store
        .list(prefix)
        .map_ok(|o| o.key)
        .try_collect()
        .await
        .map_err(|e| e.to_string())
}

fn assert_link_error(error: &jitstore_storages::Error, link: &str) {
    let text = error.to_string();
    assert!(!error.is_not_found(), "{text}");
    assert!(text.contains("is a symbolic link"), "{text}");
    assert!(text.contains(link), "{text}");
    assert!(!text.contains("outside secret"), "{text}");
}

#[tokio::test]
async fn get_through_a_link_to_an_outside_folder_is_refused() {
    let (_app, _outside, store) = app_with_links();
    let error = store
        .download("link/secret.txt")
        .await
        .expect_err("must not read outside");
    assert_link_error(&error, "link");
    let error = store
        .get_object("link/secret.txt")
        .await
        .expect_err("no stat outside");
    assert_link_error(&error, "link");
    assert!(store.exists("link/secret.txt").await.is_err());
    let target = tempfile::tempdir().expect("target");
    let error = store
        .download_to("link/secret.txt", &target.path().join("copy"))
        .await
        .expect_err("no download_to outside");
    assert_link_error(&error, "link");
    assert!(!target.path().join("copy").exists());
}

#[tokio::test]
async fn put_through_a_link_to_an_outside_folder_writes_nothing_outside() {
    let (_app, outside, store) = app_with_links();
    let error = store
        .upload_by_file("link/planted.txt", b"x".to_vec(), None)
        .await
        .expect_err("must not write outside");
    assert_link_error(&error, "link");
    let error = store
        .upload_by_file("link/secret.txt", b"overwritten".to_vec(), None)
        .await
        .expect_err("must not overwrite outside");
    assert_link_error(&error, "link");
    let error = store
        .upload_by_file("link/deeper/planted.txt", b"x".to_vec(), None)
        .await
        .expect_err("must not create folders outside");
    assert_link_error(&error, "link");
    assert_eq!(outside_files(&outside), ["secret.txt"]);
    assert_eq!(
        std::fs::read(outside.path().join("secret.txt")).expect("secret"),
        SECRET
    );
    assert!(!outside.path().join("deeper").exists());
}

#[tokio::test]
async fn delete_through_a_link_to_an_outside_folder_removes_nothing() {
    let (app, outside, store) = app_with_links();
    let error = store
        .delete("link/secret.txt")
        .await
        .expect_err("must not delete outside");
    assert_link_error(&error, "link");
    assert_eq!(outside_files(&outside), ["secret.txt"]);
    // The link itself is left alone too.
    assert!(std::fs::symlink_metadata(app.storage_dir().join("link"))
        .expect("link")
        .file_type()
        .is_symlink());
}

#[tokio::test]
async fn a_key_that_is_a_link_to_an_outside_file_is_refused_everywhere() {
    let (app, outside, store) = app_with_links();
    assert_link_error(&store.download("passwd").await.expect_err("get"), "passwd");
    assert_link_error(
        &store.get_object("passwd").await.expect_err("stat"),
        "passwd",
    );
    assert_link_error(
        &store
            .upload_by_file("passwd", b"replaced".to_vec(), None)
            .await
            .expect_err("put"),
        "passwd",
    );
    assert_link_error(&store.delete("passwd").await.expect_err("rm"), "passwd");
    assert_link_error(
        &store.copy("passwd", "copied").await.expect_err("copy"),
        "passwd",
    );
    assert!(!store.exists("copied").await.expect("exists"));
    assert_eq!(
        std::fs::read(outside.path().join("secret.txt")).expect("secret"),
        SECRET
    );
    let link = app.storage_dir().join("passwd");
    assert!(std::fs::symlink_metadata(&link)
        .expect("still there")
        .file_type()
        .is_symlink());
}

#[tokio::test]
async fn links_are_never_listed_nor_entered() {
    let (_app, _outside, store) = app_with_links();
    store
        .upload_by_file("real/a.txt", b"a".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(keys(&store, "").await.expect("list"), ["real/a.txt"]);
    assert_eq!(keys(&store, "l").await.expect("list"), Vec::<String>::new());
    assert_eq!(
        keys(&store, "pa").await.expect("list"),
        Vec::<String>::new()
    );
    // Listing *through* the link agrees with `get`: refused, naming the link.
    let error = keys(&store, "link/")
        .await
        .expect_err("list through a link");
    assert!(error.contains("is a symbolic link"), "{error}");
}

#[tokio::test]
async fn links_that_stay_inside_are_refused_too() {
    let app = TestApp::new("{}");
    let store = app.store();
    store
        .upload_by_file("docs/real.txt", b"real".to_vec(), None)
        .await
        .expect("upload");
    let dir = app.storage_dir();
    symlink("real.txt", dir.join("docs/alias.txt")).expect("file link");
    symlink("docs", dir.join("alias-dir")).expect("folder link");

    assert_link_error(
        &store.download("docs/alias.txt").await.expect_err("alias"),
        "alias.txt",
    );
    assert_link_error(
        &store
            .download("alias-dir/real.txt")
            .await
            .expect_err("through the folder link"),
        "alias-dir",
    );
    assert_link_error(
        &store
            .upload_by_file("alias-dir/new.txt", b"n".to_vec(), None)
            .await
            .expect_err("put through the folder link"),
        "alias-dir",
    );
    assert_eq!(keys(&store, "").await.expect("list"), ["docs/real.txt"]);
    assert_eq!(
        &store.download("docs/real.txt").await.expect("real")[..],
        b"real"
    );
}

#[tokio::test]
async fn a_link_as_the_storage_directory_itself_is_followed() {
    // The configured directory is the user's choice (e.g. /tmp on macOS is a link): only
    // links *beneath* it are refused.
    let real = tempfile::tempdir().expect("real");
    let links = tempfile::tempdir().expect("links");
    let linked: PathBuf = links.path().join("storage");
    symlink(real.path(), &linked).expect("link");
    let config = serde_json::json!({ "directory": linked }).to_string();
    let store = TestApp::new(&config).store();
    store
        .upload_by_file("k.txt", b"v".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(
        std::fs::read(real.path().join("k.txt")).expect("file"),
        b"v"
    );
    assert_eq!(keys(&store, "").await.expect("list"), ["k.txt"]);
}
