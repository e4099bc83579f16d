//! `upload`/`upload-many` (the Dify plugin's key-layout uploads) on an element that is not an
//! OssType (here DiskType; the S3 family goes the same way, checked against moto in
//! `tests/interop_s3`): the keys follow the directory and filename modes, the bytes land under
//! them, the result carries the Type's own URL, colliding keys and a signed URL the Type cannot
//! make are refused before anything is written.

use std::path::{Path, PathBuf};
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
fn disk_app(root: &Path) -> PathBuf {
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

fn json_of(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn upload_lays_out_the_key_by_the_modes_and_stores_the_bytes() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = root.path().join("Q3 Report.PDF");
    write(&file, &big);
    let file = file.to_string_lossy().into_owned();
    let common = ["--at", "2025-09-22T14:30:15.123Z", "--time-zone", "+08:00"];

    let mut args = vec![
        "--json",
        "upload",
        "Files",
        &file,
        "--directory",
        "reports/2025",
    ];
    args.extend(["--directory-mode", "yyyy_mm_dd_hierarchy"]);
    args.extend(["--filename-mode", "filename_timestamp"]);
    args.extend(common);
    let result = json_of(&jitstore(&app, &args));
    let key = "reports/2025/2025/09/22/Q3 Report_20250922223015123.pdf";
    assert_eq!(result["object_key"], key, "{result}");
    assert_eq!(result["size"], 300_000, "{result}");
    assert_eq!(result["source_filename"], "Q3 Report.PDF", "{result}");
    assert_eq!(result["content_type"], "application/pdf", "{result}");
    assert_eq!(result["url_signed"], false, "{result}");
    let url = result["url"].as_str().expect("url");
    assert!(url.starts_with("file://"), "{url}");
    assert!(url.ends_with("Q3%20Report_20250922223015123.pdf"), "{url}");
    assert!(
        !result["etag"].as_str().expect("etag").is_empty(),
        "{result}"
    );
    assert_eq!(
        std::fs::read(root.path().join("data").join(key)).expect("stored"),
        big
    );

    // A given name keeps the original extension; the combined date folder.
    let mut args = vec!["--json", "upload", "Files", &file, "--directory", "inbox"];
    args.extend([
        "--directory-mode",
        "yyyy_mm_dd_combined",
        "--filename",
        "final",
    ]);
    args.extend(common);
    let result = json_of(&jitstore(&app, &args));
    assert_eq!(result["object_key"], "inbox/20250922/final.pdf", "{result}");
    let got = jitstore(&app, &["get", "Files", "inbox/20250922/final.pdf", "-"]);
    assert_eq!(got.stdout, big);
}

#[test]
fn upload_refuses_bad_input_and_a_signed_url_before_writing() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let file = root.path().join("a.txt");
    write(&file, b"hello");
    let file = file.to_string_lossy().into_owned();

    let out = jitstore(&app, &["upload", "Files", &file, "--directory", "../up"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("invalid directory"),
        "{}",
        text(&out.stderr)
    );

    let out = jitstore(
        &app,
        &[
            "upload",
            "Files",
            &file,
            "--directory",
            "d",
            "--signed",
            "60",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cannot presign URLs"), "{stderr}");
    assert!(stderr.contains("storages.DiskType"), "{stderr}");
    assert!(!root.path().join("data/d/a.txt").exists());
}

#[test]
fn upload_many_uploads_each_file_and_refuses_colliding_keys() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let a = root.path().join("in/a.txt");
    let b = root.path().join("in/b.json");
    let clash1 = root.path().join("x/same.txt");
    let clash2 = root.path().join("y/same.txt");
    write(&a, b"alpha");
    write(&b, b"{\"b\": 1}");
    write(&clash1, b"one");
    write(&clash2, b"two");
    let paths: Vec<String> = [&a, &b]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["--json", "upload-many", "Files"];
    args.extend(paths.iter().map(String::as_str));
    args.extend([
        "--directory",
        "batch",
        "--directory-mode",
        "yyyy_mm_dd_combined",
    ]);
    args.extend(["--at", "2025-09-22T23:59:59Z"]);
    let report = json_of(&jitstore(&app, &args));
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["success_count"], 2, "{report}");
    assert_eq!(
        report["files"][0]["result"]["object_key"],
        "batch/20250922/a.txt"
    );
    assert_eq!(
        report["files"][1]["result"]["object_key"],
        "batch/20250922/b.json"
    );
    assert_eq!(
        report["files"][1]["result"]["content_type"],
        "application/json"
    );
    let data = root.path().join("data/batch/20250922");
    assert_eq!(std::fs::read(data.join("a.txt")).expect("a"), b"alpha");
    assert_eq!(
        std::fs::read(data.join("b.json")).expect("b"),
        b"{\"b\": 1}"
    );

    let paths: Vec<String> = [&a, &clash1, &clash2]
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["--json", "upload-many", "Files"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--directory", "two"]);
    let out = jitstore(&app, &args);
    assert!(
        !out.status.success(),
        "a batch with failures exits non-zero"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["success_count"], 1, "{report}");
    assert_eq!(report["error_count"], 2, "{report}");
    let error = report["files"][1]["error"].as_str().expect("error");
    assert!(
        error.contains("\"two/same.txt\" is also the key of"),
        "{error}"
    );
    assert!(root.path().join("data/two/a.txt").exists());
    assert!(!root.path().join("data/two/same.txt").exists());
}

#[test]
fn a_failed_write_names_the_element_type_and_key() {
    let root = tempfile::tempdir().expect("temp");
    let app = disk_app(root.path());
    let file = root.path().join("a.txt");
    write(&file, b"hello");
    // A plain file where the upload needs a folder: the DiskType write fails.
    write(&root.path().join("data/blocked"), b"not a folder");
    let out = jitstore(
        &app,
        &[
            "--json",
            "upload",
            "Files",
            &file.to_string_lossy(),
            "--directory",
            "blocked/sub",
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let report: serde_json::Value = serde_json::from_str(&stderr).expect("json error");
    let report = &report["error"];
    assert_eq!(report["element"], "storages.Files", "{report}");
    assert_eq!(report["type"], "storages.DiskType", "{report}");
    assert_eq!(report["key"], "blocked/sub/a.txt", "{report}");
}
