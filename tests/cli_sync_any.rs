//! `sync-up`/`sync-down` and `get -` on an element that is not an OssType (here DiskType; the
//! S3 family goes the same way, checked against moto in `tests/interop_s3`): a directory goes
//! up and comes back byte for byte, symbolic links are refused by name, `--bucket` is refused,
//! and an object streams to stdout.

use std::path::Path;
use std::process::{Command, Output};

fn jitstore(app: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .output()
        .expect("the jitstore binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

/// An app whose `storages.Files` is a DiskType over `data/`.
fn disk_app(root: &Path) -> std::path::PathBuf {
    let app = root.join("app");
    write(
        &app.join("storages/Files/e.json"),
        br#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    );
    let config = serde_json::json!({"directory": root.join("data")});
    write(
        &app.join("storages/Files/Files.json"),
        config.to_string().as_bytes(),
    );
    app
}

#[test]
fn a_directory_goes_up_and_comes_back_byte_for_byte() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let src = root.path().join("src");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    write(&src.join("a.txt"), b"hello");
    write(&src.join("sub/deeper/ü b+c.bin"), &big);
    let up = jitstore(
        &app,
        &["--json", "sync-up", "Files", &src.to_string_lossy(), "up/"],
    );
    assert!(
        up.status.success(),
        "{}{}",
        text(&up.stdout),
        text(&up.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&up.stdout).expect("json");
    assert_eq!(report["success_count"], 2, "{report}");
    assert_eq!(report["bytes"], 300_005, "{report}");

    let out = root.path().join("out");
    let down = jitstore(&app, &["sync-down", "Files", "up/", &out.to_string_lossy()]);
    assert!(
        down.status.success(),
        "{}{}",
        text(&down.stdout),
        text(&down.stderr)
    );
    assert_eq!(std::fs::read(out.join("a.txt")).expect("a.txt"), b"hello");
    assert_eq!(
        std::fs::read(out.join("sub/deeper/ü b+c.bin")).expect("big"),
        big
    );

    let one = jitstore(
        &app,
        &["sync-down", "Files", "up/sub/deeper/ü b+c.bin", "-"],
    );
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert_eq!(one.stdout, big);
    let got = jitstore(&app, &["get", "Files", "up/a.txt", "-"]);
    assert_eq!(got.stdout, b"hello");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_refused_by_name_and_the_rest_uploaded() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let src = root.path().join("src");
    write(&src.join("real.txt"), b"real");
    std::os::unix::fs::symlink(src.join("real.txt"), src.join("link.txt")).expect("symlink");
    let up = jitstore(&app, &["sync-up", "Files", &src.to_string_lossy(), "p/"]);
    let stdout = text(&up.stdout);
    assert!(!up.status.success(), "{stdout}");
    assert!(
        stdout.contains("refused p/link.txt: symbolic links are not followed"),
        "{stdout}"
    );
    assert!(stdout.contains("ok      p/real.txt"), "{stdout}");
}

#[test]
fn bucket_is_refused_for_an_element_of_another_type() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    write(&root.path().join("f.txt"), b"x");
    let f = root.path().join("f.txt");
    let up = jitstore(
        &app,
        &[
            "sync-up",
            "Files",
            &f.to_string_lossy(),
            "k",
            "--bucket",
            "b",
        ],
    );
    assert!(!up.status.success());
    assert!(
        text(&up.stderr).contains("--bucket"),
        "{}",
        text(&up.stderr)
    );
    assert!(!root.path().join("data/k").exists());
}
