//! In-binary custom Types, through the worked example `examples/custom_types.rs` (compiled into
//! this test, so its `register_type!` registrations are live here): a new wrapping Type used by
//! instance folders, and a host override of `storages.OssType` chosen over the built-in one.

#[path = "../examples/custom_types.rs"]
mod custom_types;

use std::path::Path;

use futures::TryStreamExt;
use jitstore::{Capability, StorageHandle};
use jitstore_element::ElementOrigin;

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, text).expect("writes");
}

fn open_offline(root: &Path) -> jitstore::App {
    jitstore::App::builder(root)
        .env([
            ("JITSTORE_OFFLINE", "1"),
            ("OSS_AK", "ak"),
            ("OSS_SK", "sk"),
        ])
        .open()
        .expect("app opens")
}

async fn keys(store: &StorageHandle, prefix: &str) -> Vec<String> {
    store
        .list(prefix)
        .map_ok(|info| info.key)
        .try_collect()
        .await
        .expect("lists")
}

#[tokio::test]
async fn the_worked_example_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::run(dir.path()).await.expect("example runs");
    assert_eq!(
        std::fs::read(dir.path().join("appData/uploads/tenant-a/report.txt")).expect("stored"),
        b"quarterly"
    );
    assert_eq!(
        std::fs::read(dir.path().join("appData/offline-oss/demo/hello.txt")).expect("stored"),
        b"offline"
    );
}

#[tokio::test]
async fn a_wrapping_type_prefixes_keys_audits_writes_and_builds_on_its_parent() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::write_demo_app(dir.path()).expect("app");
    let app = open_offline(dir.path());

    let uploads = app.get_element("storages.Uploads").expect("builds");
    assert_eq!(uploads.type_name(), custom_types::AUDITED_TYPE);
    let result = uploads
        .upload_by_file("docs/a.txt", b"a".to_vec(), None)
        .await
        .expect("upload");
    assert_eq!(result.key, "docs/a.txt");
    assert!(
        result.url.starts_with("file://") && result.url.ends_with("/tenant-a/docs/a.txt"),
        "the parent DiskType built the object: {}",
        result.url
    );
    uploads
        .upload_by_file("docs/b.txt", b"b".to_vec(), None)
        .await
        .expect("upload");
    assert!(dir
        .path()
        .join("appData/uploads/tenant-a/docs/a.txt")
        .is_file());
    assert_eq!(keys(&uploads, "docs/").await, ["docs/a.txt", "docs/b.txt"]);
    assert_eq!(
        uploads.get_object("docs/a.txt").await.expect("stat").key,
        "docs/a.txt"
    );
    uploads.delete("docs/a.txt").await.expect("delete");
    assert!(!uploads.exists("docs/a.txt").await.expect("exists"));
    let audit = std::fs::read_to_string(dir.path().join("appData/audit.log")).expect("audit");
    assert_eq!(
        audit.lines().collect::<Vec<_>>(),
        [
            "storages.Uploads put tenant-a/docs/a.txt",
            "storages.Uploads put tenant-a/docs/b.txt",
            "storages.Uploads delete tenant-a/docs/a.txt",
        ]
    );
    // The parent's own rules still apply under the wrapper.
    let escape = uploads
        .upload_by_file("../../outside", b"x".to_vec(), None)
        .await
        .expect_err("DiskType refuses keys leaving its folder");
    assert!(escape.to_string().contains("storages.Uploads"), "{escape}");
}

#[tokio::test]
async fn a_new_type_serves_every_instance_folder_of_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::write_demo_app(dir.path()).expect("app");
    write(
        dir.path(),
        "storages/Archive/e.json",
        r#"{"title": "Archive", "type": "storages.AuditedType"}"#,
    );
    write(
        dir.path(),
        "storages/Archive/Archive.json",
        r#"{"directory": "appData/archive", "keyPrefix": "archive/"}"#,
    );
    let app = open_offline(dir.path());
    let names: Vec<&str> = app
        .instances_of(custom_types::AUDITED_TYPE)
        .into_iter()
        .map(|e| e.full_name())
        .collect();
    assert_eq!(names, ["storages.Archive", "storages.Uploads"]);
    let archive = app.get_element("storages.Archive").expect("builds");
    archive
        .upload_by_file("x", b"x".to_vec(), None)
        .await
        .expect("upload");
    // Instance config overrides the Type's defaults (keyPrefix), and inherits the rest.
    assert!(dir.path().join("appData/archive/archive/x").is_file());
    let audit = std::fs::read_to_string(dir.path().join("appData/audit.log")).expect("audit");
    assert_eq!(audit, "storages.Archive put archive/x\n");
}

#[test]
fn wrapper_config_errors_name_the_element_the_type_and_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::write_demo_app(dir.path()).expect("app");
    write(
        dir.path(),
        "storages/Uploads/Uploads.json",
        r#"{"directory": "appData/uploads", "keyPrefix": "../up/"}"#,
    );
    write(
        dir.path(),
        "storages/Bare/e.json",
        r#"{"title": "Bare", "type": "storages.AuditedType"}"#,
    );
    write(
        dir.path(),
        "storages/Bare/Bare.json",
        r#"{"directory": "appData/bare", "keyPrefix": "b/", "auditLog": "a.log", "compress": true}"#,
    );
    let app = open_offline(dir.path());
    let text = app
        .get_element("storages.Uploads")
        .expect_err("bad prefix")
        .to_string();
    assert!(text.contains("storages.Uploads"), "{text}");
    assert!(text.contains(custom_types::AUDITED_TYPE), "{text}");
    assert!(text.contains("keyPrefix"), "{text}");
    assert!(text.contains("Uploads.json"), "{text}");
    // Fields the wrapper does not take go to the parent, whose typed config rejects them.
    let text = app
        .get_element("storages.Bare")
        .expect_err("unknown field")
        .to_string();
    assert!(text.contains("storages.Bare"), "{text}");
    assert!(text.contains("compress"), "{text}");
}

#[tokio::test]
async fn a_host_override_of_oss_type_wins_over_the_built_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::write_demo_app(dir.path()).expect("app");
    let app = open_offline(dir.path());
    let oss = app.get_element("storages.MyOss").expect("builds");
    assert_eq!(oss.type_name(), "storages.OssType");
    oss.upload_by_file("k", b"v".to_vec(), None)
        .await
        .expect("the override writes locally, no network");
    assert!(dir.path().join("appData/offline-oss/demo/k").is_file());
    assert!(!oss.capabilities().contains(Capability::SignUrl));

    // Online, the override builds the built-in OssType it replaced.
    let online = jitstore::App::builder(dir.path())
        .env([("OSS_AK", "ak"), ("OSS_SK", "sk")])
        .open()
        .expect("opens");
    let oss = online.get_element("storages.MyOss").expect("builds");
    assert!(
        oss.capabilities().contains(Capability::SignUrl),
        "the built-in OssType presigns"
    );
    let url = oss
        .get_sign_url("k", None, None)
        .await
        .expect("presigning needs no network");
    assert!(url.contains("demo.oss-cn-hangzhou.aliyuncs.com/k"), "{url}");
}

#[tokio::test]
async fn an_app_folder_override_of_oss_type_wins_over_the_framework_declaration() {
    let dir = tempfile::tempdir().expect("tempdir");
    custom_types::write_demo_app(dir.path()).expect("app");
    write(
        dir.path(),
        "storages/OssType/e.json",
        r#"{"title": "Company OSS", "type": "storages.Meta", "backendBundleEntry": "."}"#,
    );
    write(
        dir.path(),
        "storages/OssType/OssType.json",
        r#"{"endPoint": "oss-cn-shanghai.aliyuncs.com", "bucketName": "company"}"#,
    );
    write(
        dir.path(),
        "storages/MyOss/MyOss.json",
        r#"{"accessKeyId": "{{OSS_AK}}", "accessKeySecret": "{{OSS_SK}}"}"#,
    );
    let app = open_offline(dir.path());
    let declared = app.registry().element("storages.OssType").expect("visible");
    assert_eq!(declared.title(), "Company OSS");
    assert!(matches!(declared.origin(), ElementOrigin::Folder { .. }));
    let oss = app.get_element("storages.MyOss").expect("builds");
    oss.upload_by_file("k", b"v".to_vec(), None)
        .await
        .expect("upload");
    // The instance inherited the app-level OssType's bucket.
    assert!(dir.path().join("appData/offline-oss/company/k").is_file());
}
