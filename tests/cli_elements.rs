//! `jitstore elements` and the registry diagnostics a CLI user meets, through the built binary.

use std::path::Path;
use std::process::{Command, Output};

fn jitstore_with(app: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app)
        .args(args)
        .env_remove("OSS_AK")
        .env_remove("OSS_SK")
        .env_remove("RUST_LOG")
        .envs(vars.iter().copied())
        .output()
        .expect("runs")
}

fn jitstore(app: &Path, args: &[&str]) -> Output {
    jitstore_with(app, args, &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

/// The listing line of `name` (the first line starting with it).
fn line_of<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{stdout}"))
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
fn elements_reports_every_broken_element_and_lists_the_rest() {
    let app = disk_app();
    write(&app.path().join("storages/Bad/e.json"), "{ not json");
    write(
        &app.path().join("storages/Worse/e.json"),
        r#"{"title": "w", "type": 5}"#,
    );
    let output = jitstore(app.path(), &["elements"]);
    let stdout = text(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        line_of(&stdout, "storages.Files").contains("instance  ok"),
        "{stdout}"
    );
    let bad = line_of(&stdout, "storages.Bad");
    assert!(bad.contains("ERROR"), "{stdout}");
    assert!(bad.contains("malformed JSON"), "{stdout}");
    let worse = line_of(&stdout, "storages.Worse");
    assert!(worse.contains("ERROR"), "{stdout}");
    assert!(worse.contains("field `type`"), "{stdout}");
    assert!(
        text(&output.stderr).contains("2 of"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_type_with_config_defaults_and_no_instance_is_listed_as_a_type() {
    let app = disk_app();
    write(
        &app.path().join("storages/CompanyOss/e.json"),
        r#"{"title": "Company OSS", "type": "storages.OssType", "elementKind": "Type", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/CompanyOss/CompanyOss.json"),
        r#"{"endPoint": "oss-cn-shanghai.aliyuncs.com", "bucketName": "company-files"}"#,
    );
    let output = jitstore(app.path(), &["elements"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        line_of(&stdout, "storages.CompanyOss")
            .contains("type      ok     storages.CompanyOss -> storages.OssType -> storages.Meta"),
        "{stdout}"
    );
}

#[test]
fn an_instance_whose_type_is_a_meta_fails_validation() {
    let app = disk_app();
    write(
        &app.path().join("storages/Direct/e.json"),
        r#"{"title": "Direct", "type": "storages.Meta", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/Direct/Direct.json"),
        r#"{"directory": "x"}"#,
    );
    let output = jitstore(app.path(), &["elements"]);
    let stdout = text(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    let direct = line_of(&stdout, "storages.Direct");
    assert!(direct.contains("instance  ERROR"), "{stdout}");
    assert!(direct.contains("is a Meta"), "{stdout}");
}

/// `storages/CompanyOss` (a Type with defaults) and `storages/Reports` (its instance), as in
/// this repository's example folders.
fn company_app(reports_config: &str) -> tempfile::TempDir {
    let app = disk_app();
    write(
        &app.path().join("storages/CompanyOss/e.json"),
        r#"{"title": "Company OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/CompanyOss/CompanyOss.json"),
        r#"{"endPoint": "oss-cn-shanghai.aliyuncs.com", "bucketName": "company-files"}"#,
    );
    write(
        &app.path().join("storages/Reports/e.json"),
        r#"{"title": "Reports", "type": "storages.CompanyOss", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/Reports/Reports.json"),
        reports_config,
    );
    app
}

#[test]
fn elements_config_shows_the_effective_config_with_type_defaults_and_masked_secrets() {
    let app =
        company_app(r#"{"accessKeyId": "{{OSS_AK}}", "accessKeySecret": "literal-secret-value"}"#);
    let output = jitstore(app.path(), &["elements", "--config"]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("literal-secret-value"), "{stdout}");
    assert!(!text(&output.stderr).contains("literal-secret-value"));
    let config = stdout
        .lines()
        .skip_while(|line| !line.starts_with("storages.Reports"))
        .nth(1)
        .unwrap_or_default();
    assert!(config.contains("config"), "{stdout}");
    assert!(
        config.contains(r#""bucketName":"company-files""#),
        "{stdout}"
    );
    assert!(
        config.contains(r#""endPoint":"oss-cn-shanghai.aliyuncs.com""#),
        "{stdout}"
    );
    assert!(config.contains(r#""accessKeySecret":"***""#), "{stdout}");
    assert!(config.contains("{{OSS_AK}}"), "{stdout}");
}

#[test]
fn errors_name_the_declared_chain() {
    let app = company_app(r#"{"accessKeyId": "{{OSS_AK}}", "accessKeySecret": "{{OSS_SK}}"}"#);
    let output = jitstore(app.path(), &["elements"]);
    let stdout = text(&output.stdout);
    assert!(
        line_of(&stdout, "storages.Reports").contains(
            "element storages.Reports (type storages.CompanyOss -> storages.OssType): variable OSS_AK is not set"
        ),
        "{stdout}"
    );
    assert!(
        line_of(&stdout, "storages.CompanyOss").contains("type      ok"),
        "{stdout}"
    );
}

#[test]
fn a_missing_required_field_is_named_by_itself() {
    let app = disk_app();
    write(
        &app.path().join("storages/MyOss/e.json"),
        r#"{"title": "My OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/MyOss/MyOss.json"),
        r#"{"accessKeyId": "ak", "accessKeySecret": "sk", "bucketName": "demo"}"#,
    );
    let output = jitstore(app.path(), &["elements"]);
    let stdout = text(&output.stdout);
    let line = line_of(&stdout, "storages.MyOss");
    assert!(
        line.contains("field `endPoint` missing field `endPoint`"),
        "{stdout}"
    );
    assert!(!line.contains("bucketName.endPoint"), "{stdout}");
}

#[test]
fn an_unknown_app_json_key_is_reported() {
    let base = disk_app();
    let app = tempfile::tempdir().expect("temp");
    write(
        &app.path().join("app.json"),
        &format!(r#"{{"extend": [{:?}]}}"#, base.path().display().to_string()),
    );
    let output = jitstore(app.path(), &["elements"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown key `extend`"), "{stderr}");
    assert!(stderr.contains("did you mean `extends`"), "{stderr}");
}

#[test]
fn a_placeholder_with_inner_spaces_is_filled() {
    let app = disk_app();
    let files_dir = tempfile::tempdir().expect("temp");
    write(
        &app.path().join("storages/Files/Files.json"),
        r#"{"directory": "{{ FILES_DIR }}"}"#,
    );
    let local = app.path().join("hello.txt");
    std::fs::write(&local, "hello").expect("local");
    let dir = files_dir.path().display().to_string();
    let output = jitstore_with(
        app.path(),
        &["put", "Files", &local.display().to_string(), "hello.txt"],
        &[("FILES_DIR", &dir)],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        std::fs::read_to_string(files_dir.path().join("hello.txt")).expect("stored there"),
        "hello"
    );
}

#[test]
fn an_extends_chain_of_ten_thousand_apps_is_listed_without_aborting() {
    let root = tempfile::tempdir().expect("temp");
    let count = 10_000;
    for index in 0..count {
        let dir = root.path().join(format!("a{index}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        if index + 1 < count {
            std::fs::write(
                dir.join("app.json"),
                format!(r#"{{"extends": ["../a{}"]}}"#, index + 1),
            )
            .expect("app.json");
        }
    }
    let deep = root.path().join(format!("a{}", count - 1));
    write(
        &deep.join("storages/Deep/e.json"),
        r#"{"title": "Deep", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    );
    write(&deep.join("storages/Deep/Deep.json"), "{}");
    let output = jitstore(&root.path().join("a0"), &["elements"]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.code().is_some(),
        "killed by a signal: {output:?}"
    );
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        line_of(&stdout, "storages.Deep").contains("instance  ok"),
        "{stdout}"
    );
}

#[test]
fn storage_errors_name_the_declared_chain() {
    let app = tempfile::tempdir().expect("temp");
    write(
        &app.path().join("storages/TeamDisk/e.json"),
        r#"{"title": "Team disk", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    );
    write(
        &app.path().join("storages/TeamDisk/TeamDisk.json"),
        r#"{"directory": "appData/team"}"#,
    );
    write(
        &app.path().join("storages/Notes/e.json"),
        r#"{"title": "Notes", "type": "storages.TeamDisk", "backendBundleEntry": "."}"#,
    );
    write(&app.path().join("storages/Notes/Notes.json"), "{}");
    let output = jitstore(app.path(), &["get", "Notes", "missing.txt", "-"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "storages.Notes (storages.TeamDisk -> storages.DiskType): download `missing.txt`"
        ),
        "{stderr}"
    );
}

#[test]
fn using_a_type_as_a_storage_says_it_is_a_type() {
    let app = disk_app();
    let output = jitstore(app.path(), &["ls", "storages.DiskType"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("storages.DiskType is a Type"), "{stderr}");
    assert!(!stderr.contains("is a Meta"), "{stderr}");
}
