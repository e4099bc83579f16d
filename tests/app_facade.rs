//! The `jitstore::App` facade and the blocking facade, on fixture app folders copied to
//! temporary directories.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jitstore::element::{
    inventory, register_type, BoxError, BuildContext, ElementObject, FrameworkElement,
};
use jitstore::{App, Error};

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let relative = entry.strip_prefix(from).expect("under");
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&entry, &target).expect("copy");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The fixture apps (`basic`, `child`) copied to a temp dir, so storages write there.
fn fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps"),
        dir.path(),
    );
    dir
}

fn open(dir: &Path) -> App {
    App::builder(dir)
        .env::<String, String>([])
        .open()
        .expect("app opens")
}

fn names(elements: Vec<&jitstore::element::Element>) -> Vec<String> {
    elements.iter().map(|e| e.full_name().to_owned()).collect()
}

#[tokio::test]
async fn get_element_returns_a_working_storage() {
    let apps = fixtures();
    let app = open(&apps.path().join("basic"));
    let store = app.get_element("storages.Archive").expect("storage");
    assert_eq!(store.type_name(), "storages.DiskType");
    let result = store
        .upload_by_file("docs/a.txt", b"hi".to_vec(), Some("text/plain"))
        .await
        .expect("upload");
    assert_eq!(result.size, 2);
    let on_disk = app.root().join("appData/archive/docs/a.txt");
    assert_eq!(std::fs::read(on_disk).expect("file"), b"hi");
    assert_eq!(
        &app.storage("storages.Archive")
            .expect("same")
            .download("docs/a.txt")
            .await
            .expect("download")[..],
        b"hi"
    );
}

#[test]
fn lists_storages_by_type_and_reads_defines_without_building() {
    let apps = fixtures();
    let app = open(&apps.path().join("basic"));
    assert_eq!(
        names(app.storages()),
        ["storages.Archive", "storages.Default", "storages.MyOss"]
    );
    assert_eq!(
        names(app.instances_of("storages.OssType")),
        ["storages.MyOss"]
    );
    assert_eq!(
        names(app.instances_of("storages.DiskType")),
        ["storages.Archive", "storages.Default"]
    );
    let define = app.define("storages.MyOss").expect("declared");
    assert_eq!(define.title, "My OSS");
    assert_eq!(define.variables.len(), 2);
    assert!(!app.registry().is_loaded("storages.MyOss"));
    let chain: Vec<&str> = app
        .registry()
        .chain("storages.MyOss")
        .expect("resolves")
        .iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(
        chain,
        ["storages.MyOss", "storages.OssType", "storages.Meta"]
    );
}

#[tokio::test]
async fn the_default_storage_comes_from_app_json_or_falls_back_to_storages_default() {
    let apps = fixtures();
    let basic = open(&apps.path().join("basic"));
    assert_eq!(basic.default_storage_name(), "storages.Default");
    let child = open(&apps.path().join("child"));
    assert_eq!(child.default_storage_name(), "storages.Scratch");
    let scratch = child.default_storage().expect("default storage");
    assert_eq!(scratch.element(), "storages.Scratch");
    scratch
        .upload_by_file("x", b"1".to_vec(), None)
        .await
        .expect("upload");
    assert!(child.root().join("appData/storages/Scratch/x").is_file());

    // No app.json: JitAI's fallback name.
    let bare = tempfile::tempdir().expect("temp");
    copy_dir(
        &apps.path().join("basic/storages/Default"),
        &bare.path().join("storages/Default"),
    );
    let app = open(bare.path());
    assert_eq!(app.default_storage_name(), "storages.Default");
    assert_eq!(
        app.default_storage().expect("fallback").element(),
        "storages.Default"
    );
}

#[tokio::test]
async fn a_child_app_overrides_and_inherits_storages() {
    let apps = fixtures();
    let child = open(&apps.path().join("child"));
    let archive = child.get_element("storages.Archive").expect("override");
    archive
        .upload_by_file("k", b"child".to_vec(), None)
        .await
        .expect("upload");
    assert!(child.root().join("appData/child-archive/k").is_file());
    assert_eq!(
        child.define("storages.Archive").expect("define").title,
        "Archive (child override)"
    );
    // Inherited from basic; its relative directory is resolved against the opened (child) app.
    let default = child.get_element("storages.Default").expect("inherited");
    default
        .upload_by_file("k", b"basic".to_vec(), None)
        .await
        .expect("upload");
    assert!(child.root().join("appData/storages/Default/k").is_file());
}

inventory::submit! { FrameworkElement::new("notes.Meta", r#"{"title": "Notes", "type": ""}"#, module_path!()) }
inventory::submit! { FrameworkElement::new("notes.TextType", r#"{"title": "Text", "type": "notes.Meta"}"#, module_path!()) }

fn build_note(ctx: &BuildContext<'_>) -> Result<ElementObject, BoxError> {
    Ok(Arc::new(ctx.full_name().to_owned()))
}
register_type!("notes.TextType", build_note);

#[test]
fn a_non_storage_element_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::create_dir_all(dir.path().join("notes/Todo")).expect("mkdir");
    std::fs::write(
        dir.path().join("notes/Todo/e.json"),
        r#"{"title": "t", "type": "notes.TextType"}"#,
    )
    .expect("e.json");
    std::fs::write(dir.path().join("notes/Todo/Todo.json"), "{}").expect("config");
    let app = open(dir.path());
    let error = app.get_element("notes.Todo").expect_err("not a storage");
    assert!(matches!(error, Error::NotAStorage { .. }));
    assert_eq!(
        error.to_string(),
        "element notes.Todo (type notes.TextType) is not a storage"
    );
    let note: String = app
        .registry()
        .get_element_as("notes.Todo")
        .expect("registry access");
    assert_eq!(note, "notes.Todo");
}

#[test]
fn element_errors_pass_through_with_their_names() {
    let apps = fixtures();
    let app = open(&apps.path().join("basic"));
    let error = app.get_element("storages.Nope").expect_err("missing");
    assert!(error.is_not_found());
    assert_eq!(error.to_string(), "element storages.Nope not found");
    let text = app
        .get_element("storages.MyOss")
        .expect_err("OSS_AK unset")
        .to_string();
    assert!(text.contains("storages.MyOss"), "{text}");
}

#[test]
fn handles_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<App>();
    assert_send_sync::<jitstore::StorageHandle>();
    let apps = fixtures();
    let app = open(&apps.path().join("basic"));
    let handles: Vec<_> = std::thread::scope(|scope| {
        (0..8)
            .map(|_| scope.spawn(|| app.get_element("storages.Default").expect("builds")))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(handles
        .iter()
        .all(|h| Arc::ptr_eq(h.storage(), handles[0].storage())));
}

#[test]
fn the_blocking_facade_works_without_a_runtime() {
    let apps = fixtures();
    let app = jitstore::blocking::App::from_app(open(&apps.path().join("basic"))).expect("runtime");
    let store = app.default_storage().expect("default");
    store
        .upload_by_file("b/one.txt", b"one".to_vec(), None)
        .expect("upload");
    store
        .upload_by_file("b/two.txt", b"two".to_vec(), None)
        .expect("upload");
    let keys: Vec<String> = store
        .list("b/")
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["b/one.txt", "b/two.txt"]);
    assert_eq!(&store.download("b/two.txt").expect("download")[..], b"two");
    assert_eq!(store.get_object("b/one.txt").expect("stat").size, 3);
    store.delete("b/one.txt").expect("delete");
    assert!(!store.exists("b/one.txt").expect("exists"));
    let error = store.download("b/one.txt").expect_err("gone");
    assert!(error.is_not_found());
    assert_eq!(error.storage_kind(), Some(jitstore::ErrorKind::NotFound));
    assert!(!error.is_temporary());
    store
        .upload_by_file("b/deep/three.txt", b"three".to_vec(), None)
        .expect("upload");
    assert_eq!(
        &store
            .read_range("b/deep/three.txt", jitstore::ByteRange::Last(3))
            .expect("ranged read")[..],
        b"ree"
    );
    let level = store.list_with_delimiter("b/").expect("one level");
    let objects: Vec<&str> = level.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        (objects, level.common_prefixes),
        (vec!["b/two.txt"], vec!["b/deep/".to_owned()])
    );
    assert_eq!(store.stat("b/two.txt").expect("stat").size, 3);
    let beyond = store
        .read_range("b/two.txt", jitstore::ByteRange::From(3))
        .expect_err("nothing there");
    assert_eq!(
        beyond.storage_kind(),
        Some(jitstore::ErrorKind::RangeNotSatisfiable)
    );
}

#[tokio::test]
async fn the_blocking_facade_refuses_to_run_inside_a_runtime() {
    let apps = fixtures();
    let error = jitstore::blocking::App::from_app(open(&apps.path().join("basic")))
        .expect_err("inside a runtime");
    assert!(
        error.to_string().contains("inside an async runtime"),
        "{error}"
    );
}

#[tokio::test]
async fn the_repository_example_folders_resolve() {
    // README's app-folder example lives in the repository's storages/ folder.
    let dir = tempfile::tempdir().expect("temp");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("storages"),
        &dir.path().join("storages"),
    );
    let app = App::builder(dir.path())
        .env([("OSS_AK", "ak"), ("OSS_SK", "sk")])
        .open()
        .expect("opens");
    let chain = |name: &str| -> Vec<String> {
        app.registry()
            .chain(name)
            .expect("resolves")
            .iter()
            .map(|e| e.full_name().to_owned())
            .collect()
    };
    assert_eq!(
        chain("storages.Reports"),
        [
            "storages.Reports",
            "storages.CompanyOss",
            "storages.OssType",
            "storages.Meta"
        ]
    );
    assert_eq!(
        chain("storages.MyOss"),
        ["storages.MyOss", "storages.OssType", "storages.Meta"]
    );
    assert_eq!(
        names(app.instances_of("storages.OssType")),
        ["storages.MyOss", "storages.Reports"]
    );
    let store = app.get_element("storages.Default").expect("disk default");
    store
        .upload_by_file("a.txt", b"x".to_vec(), None)
        .await
        .expect("upload");
    assert!(dir.path().join("appData/storages/Default/a.txt").is_file());
}
