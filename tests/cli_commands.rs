//! The `jitstore` binary: every verb, its exit code and its messages.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn jitstore(app: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app)
        .args(args)
        .env_remove("OSS_AK")
        .env_remove("OSS_SK")
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

/// An app with `storages.Files` on DiskType.
fn disk_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    write(
        &dir.path().join("storages/Files/e.json"),
        r#"{"title": "Files", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    );
    write(&dir.path().join("storages/Files/Files.json"), "{}");
    dir
}

#[test]
fn quickstart_runs_every_step_and_exits_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("quickstart")
        .output()
        .expect("runs");
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    // Every step `[k/N]` from 1 to N is printed, in order.
    let steps: Vec<(usize, usize)> = stdout
        .lines()
        .filter_map(|line| {
            let inner = line.strip_prefix('[')?.split(']').next()?;
            let (k, n) = inner.split_once('/')?;
            Some((k.parse().ok()?, n.parse().ok()?))
        })
        .collect();
    let total = steps.first().map(|s| s.1).unwrap_or(0);
    assert!(total >= 3, "{stdout}");
    assert_eq!(
        steps,
        (1..=total).map(|k| (k, total)).collect::<Vec<_>>(),
        "{stdout}"
    );
    assert!(stdout.contains("content verified"), "{stdout}");
    assert!(
        stdout.contains("storages.Default -> storages.DiskType -> storages.Meta"),
        "{stdout}"
    );
}

#[test]
fn put_stat_ls_get_rm_round_trip() {
    let app = disk_app();
    let local = tempfile::tempdir().expect("temp");
    let source = local.path().join("report.csv");
    std::fs::write(&source, "a,b\n1,2\n").expect("source");

    let output = jitstore(
        app.path(),
        &[
            "put",
            "storages.Files",
            source.to_str().expect("utf8"),
            "reports/2024 q1.csv",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("uploaded reports/2024 q1.csv (8 bytes)"),
        "{stdout}"
    );
    assert!(stdout.contains("url:  file://"), "{stdout}");

    let output = jitstore(app.path(), &["stat", "Files", "reports/2024 q1.csv"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("size:          8"), "{stdout}");
    assert!(stdout.contains("content-type:  text/csv"), "{stdout}");

    let output = jitstore(app.path(), &["ls", "storages.Files", "reports/"]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    assert!(
        stdout.trim_end().ends_with("reports/2024 q1.csv"),
        "{stdout}"
    );
    assert!(stdout.trim_start().starts_with('8'), "{stdout}");

    let target = local.path().join("copy.csv");
    let output = jitstore(
        app.path(),
        &[
            "get",
            "storages.Files",
            "reports/2024 q1.csv",
            target.to_str().expect("utf8"),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(&target).expect("copy"),
        "a,b\n1,2\n"
    );

    let output = jitstore(
        app.path(),
        &["get", "storages.Files", "reports/2024 q1.csv", "-"],
    );
    assert!(output.status.success());
    assert_eq!(output.stdout, b"a,b\n1,2\n");

    let output = jitstore(app.path(), &["rm", "storages.Files", "reports/2024 q1.csv"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("deleted reports/2024 q1.csv"));
    let output = jitstore(app.path(), &["ls", "storages.Files"]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
}

#[test]
fn put_reads_stdin_and_app_defaults_to_the_current_folder() {
    let app = disk_app();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .current_dir(app.path())
        .args([
            "put",
            "storages.Files",
            "-",
            "from-stdin.txt",
            "--content-type",
            "text/plain",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"piped bytes")
        .expect("write");
    let output = child.wait_with_output().expect("waits");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stored = app.path().join("appData/storages/Files/from-stdin.txt");
    assert_eq!(std::fs::read(stored).expect("stored"), b"piped bytes");
}

#[test]
fn failures_exit_non_zero_with_the_error_on_stderr() {
    let app = disk_app();
    let output = jitstore(app.path(), &["get", "storages.Files", "missing.txt", "-"]);
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr).trim_end(),
        "error: storages.Files (storages.DiskType): download `missing.txt`: object not found"
    );
    assert!(output.stdout.is_empty());

    let output = jitstore(app.path(), &["put", "storages.Files", "-", "../escape.txt"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("upload_path `../escape.txt`: invalid key"),
        "{stderr}"
    );
    assert!(!app.path().join("appData/storages/escape.txt").exists());

    let output = jitstore(app.path(), &["stat", "storages.Nope", "k"]);
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr).trim_end(),
        "error: element storages.Nope not found"
    );

    let output = jitstore(app.path(), &["rm", "storages.Files", "a/../../b"]);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("`..` segment"));

    let missing_app = app.path().join("no-such-app");
    let output = jitstore(&missing_app, &["ls", "storages.Files"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("no-such-app"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn elements_lists_chains_and_validates() {
    let app = disk_app();
    let output = jitstore(app.path(), &["elements"]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("storages.Files"), "{stdout}");
    assert!(
        stdout.contains("instance  ok     storages.Files -> storages.DiskType -> storages.Meta"),
        "{stdout}"
    );
    assert!(stdout.contains("storages.OssType"), "{stdout}");
}

#[test]
fn elements_exits_non_zero_when_a_config_does_not_validate() {
    let app = disk_app();
    write(
        &app.path().join("storages/Broken/e.json"),
        r#"{"title": "Broken", "type": "storages.DiskType"}"#,
    );
    write(
        &app.path().join("storages/Broken/Broken.json"),
        "{\"directory\": 7}",
    );
    let output = jitstore(app.path(), &["elements"]);
    assert!(!output.status.success());
    let stdout = text(&output.stdout);
    assert!(stdout.contains("storages.Broken"), "{stdout}");
    assert!(
        stdout.contains("ERROR  element storages.Broken (type storages.DiskType)"),
        "{stdout}"
    );
    assert!(stdout.contains("field `directory`"), "{stdout}");
    assert!(
        stdout.contains("instance  ok     storages.Files"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("failed to validate"));
}

#[test]
fn elements_masks_secrets_in_configs() {
    let app = disk_app();
    write(
        &app.path().join("storages/MyOss/e.json"),
        r#"{"title": "My OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/MyOss/MyOss.json"),
        r#"{"accessKeyId": "{{OSS_AK}}", "accessKeySecret": "literal-secret-value", "endPoint": "oss-cn-hangzhou.aliyuncs.com", "bucketName": "demo"}"#,
    );
    let output = jitstore(app.path(), &["elements", "--config"]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("literal-secret-value"), "{stdout}");
    assert!(stdout.contains(r#""accessKeySecret":"***""#), "{stdout}");
    assert!(stdout.contains("{{OSS_AK}}"), "{stdout}");
    assert!(stdout.contains("storages.MyOss"), "{stdout}");
    assert!(!text(&output.stderr).contains("literal-secret-value"));
}
