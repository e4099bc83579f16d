//! The `jitstore` binary on a DiskType storage holding a symbolic link to a folder outside
//! it: `get`, `put`, `rm` and `ls` never reach through the link.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

fn jitstore(app: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app)
        .args(args)
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_cli_never_reaches_through_a_link_out_of_the_storage_directory() {
    let app = tempfile::tempdir().expect("app");
    let element = app.path().join("storages/Files");
    std::fs::create_dir_all(&element).expect("mkdir");
    std::fs::write(
        element.join("e.json"),
        r#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    )
    .expect("e.json");
    std::fs::write(element.join("Files.json"), "{}").expect("config");
    let storage = app.path().join("appData/storages/Files");
    std::fs::create_dir_all(&storage).expect("storage");
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("secret.txt"), "outside secret").expect("secret");
    std::os::unix::fs::symlink(outside.path(), storage.join("link")).expect("link");

    let output = jitstore(app.path(), &["get", "Files", "link/secret.txt", "-"]);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("is a symbolic link"), "{stderr}");
    assert!(!stderr.contains("outside secret"), "{stderr}");

    let local = tempfile::tempdir().expect("local");
    let source = local.path().join("planted.txt");
    std::fs::write(&source, "planted").expect("source");
    let output = jitstore(
        app.path(),
        &[
            "put",
            "Files",
            source.to_str().expect("utf8"),
            "link/planted.txt",
        ],
    );
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(!outside.path().join("planted.txt").exists());

    let output = jitstore(app.path(), &["rm", "Files", "link/secret.txt"]);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(outside.path().join("secret.txt").exists());

    let output = jitstore(app.path(), &["ls", "Files"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}
