//! The `jitstore` CLI on the S3-family storage Types, through the built binary and without a
//! network: the fixture app `tests/fixtures/apps/s3_family` (one element of each of the five
//! Types) validates with `jitstore elements`, `sign --at` produces a SigV4 presigned URL, and
//! every OSS-only verb fails with the "not supported by this storage Type" error. The round trips
//! against a real S3 server (moto) are in `tests/interop_s3`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The five S3-family Types and the fixture element holding each.
const FAMILY: [(&str, &str); 5] = [
    ("storages.AwsS3Type", "storages.MyAwsS3"),
    ("storages.CloudflareR2Type", "storages.MyR2"),
    ("storages.MinioType", "storages.MyMinio"),
    ("storages.EosType", "storages.MyEos"),
    ("storages.QiniuType", "storages.MyQiniu"),
];

const AK: &str = "fixture-access-key";
const SK: &str = "fixture-secret-key-do-not-print";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps/s3_family")
}

fn jitstore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(fixture())
        .args(args)
        .env("S3_AK", AK)
        .env("S3_SK", SK)
        .env_remove("RUST_LOG")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .output()
        .expect("the jitstore binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The listing line of `name` (the first line starting with it).
fn line_of<'a>(stdout: &'a str, name: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
}

#[test]
fn the_fixture_app_holds_one_element_of_each_s3_family_type() {
    for (type_name, element) in FAMILY {
        let folder = element.trim_start_matches("storages.");
        let e_json = fixture().join("storages").join(folder).join("e.json");
        let declared: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&e_json).expect("e.json"))
                .expect("e.json is JSON");
        assert_eq!(declared["type"], type_name, "{}", e_json.display());
    }
}

#[test]
fn elements_validates_one_element_of_each_s3_family_type() {
    let output = jitstore(&["elements"]);
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for (type_name, element) in FAMILY {
        let line = line_of(&stdout, element)
            .unwrap_or_else(|| panic!("no line for {element} ({type_name}) in:\n{stdout}"));
        assert!(line.contains(type_name), "{line}");
        assert!(line.contains("instance  ok"), "{line}");
    }
    assert!(
        !stdout.contains(SK) && !stderr.contains(SK),
        "secret printed"
    );
}

#[test]
fn elements_names_the_field_of_a_broken_s3_config() {
    let app = tempfile::tempdir().expect("temp");
    let folder = app.path().join("storages/Broken");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join("e.json"),
        r#"{"title": "b", "type": "storages.AwsS3Type", "backendBundleEntry": "."}"#,
    )
    .expect("write");
    std::fs::write(
        folder.join("Broken.json"),
        r#"{"accessKeyId": "a", "accessKeySecret": "b", "endPoint": "s3.amazonaws.com", "bucketName": "demo-bucket"}"#,
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app.path())
        .arg("elements")
        .output()
        .expect("runs");
    let stdout = text(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    let line = line_of(&stdout, "storages.Broken").expect("a line for storages.Broken");
    assert!(line.contains("ERROR") && line.contains("region"), "{line}");
}

#[test]
fn sign_at_a_fixed_time_gives_a_sigv4_url_for_every_s3_family_type() {
    for (type_name, element) in FAMILY {
        let output = jitstore(&[
            "sign",
            element,
            "dir/a b+c.txt",
            "--at",
            "2026-11-30T12:00:00Z",
            "--expires",
            "600",
        ]);
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert!(output.status.success(), "{type_name}: {stdout}\n{stderr}");
        let url = stdout.lines().next().unwrap_or_default();
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Date=20261130T120000Z",
            "X-Amz-Expires=600",
            "X-Amz-Signature=",
            "dir/a%20b%2Bc.txt",
        ] {
            assert!(url.contains(part), "{type_name}: {part} missing in {url}");
        }
        assert!(
            url.contains(&format!("X-Amz-Credential={AK}%2F20261130%2F")),
            "{type_name}: {url}"
        );
        // Same inputs, same URL: the time is fixed, nothing else varies.
        let again = jitstore(&[
            "sign",
            element,
            "dir/a b+c.txt",
            "--at",
            "2026-11-30T12:00:00Z",
            "--expires",
            "600",
        ]);
        assert_eq!(text(&again.stdout).lines().next(), Some(url), "{type_name}");
        assert!(
            !stdout.contains(SK) && !stderr.contains(SK),
            "secret printed"
        );
    }
}

#[test]
fn sign_explain_prints_the_canonical_request_without_the_secret() {
    let output = jitstore(&[
        "sign",
        "MyMinio",
        "k.txt",
        "--at",
        "2026-11-30T12:00:00Z",
        "--explain",
    ]);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("AWS4-HMAC-SHA256\n20261130T120000Z"),
        "{stdout}"
    );
    assert!(!stdout.contains(SK), "secret printed");
}

#[test]
fn sign_explain_masks_the_session_token_in_the_canonical_request() {
    const TOKEN: &str = "FIXTURE-SESSION-TOKEN-do-not-print";
    let app = tempfile::tempdir().expect("temp");
    let folder = app.path().join("storages/StsMinio");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join("e.json"),
        r#"{"title": "m", "type": "storages.MinioType", "backendBundleEntry": "."}"#,
    )
    .expect("write");
    std::fs::write(
        folder.join("StsMinio.json"),
        format!(
            r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}", "securityToken": "{TOKEN}", "endPoint": "127.0.0.1:9000", "bucketName": "jitstore-demo"}}"#
        ),
    )
    .expect("write");
    for json in [false, true] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jitstore"));
        command.arg("--app").arg(app.path());
        if json {
            command.arg("--json");
        }
        let output = command
            .args([
                "sign",
                "storages.StsMinio",
                "k.txt",
                "--at",
                "2026-11-30T12:00:00Z",
                "--explain",
            ])
            .env_remove("RUST_LOG")
            .output()
            .expect("runs");
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            text(&output.stderr)
        );
        // The URL carries the token (that is what it is for); the explanation does not.
        let (url, explanation) = if json {
            let value: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
            let url = value["url"].as_str().unwrap_or_default().to_owned();
            let canonical = value["canonical_request"].as_str().unwrap_or_default();
            (url, canonical.to_owned())
        } else {
            let url = stdout.lines().next().unwrap_or_default().to_owned();
            (url, stdout.lines().skip(1).collect::<Vec<_>>().join("\n"))
        };
        assert!(
            url.contains(&format!("X-Amz-Security-Token={TOKEN}")),
            "{url}"
        );
        assert!(
            explanation.contains("X-Amz-Security-Token=******"),
            "json {json}: {explanation}"
        );
        assert!(!explanation.contains(TOKEN), "json {json}: token printed");
        assert!(!stdout.contains(SK), "secret printed");
    }
}

/// Verbs that need an OSS-only feature (DingTalk tickets, the OSS URL forms) fail on every
/// S3-family element with the unsupported error, before any network call.
#[test]
fn oss_only_verbs_fail_with_the_unsupported_error() {
    for (type_name, element) in FAMILY {
        let cases: [Vec<&str>; 3] = [
            vec!["fetch-url", element, "http://127.0.0.1:1/x", "-"],
            vec!["issue-upload", element, "folder", "--size", "1"],
            vec!["commit", element, "ticket", "x.txt"],
        ];
        for args in cases {
            let output = jitstore(&args);
            let stderr = text(&output.stderr);
            assert!(!output.status.success(), "{type_name} {args:?} succeeded");
            assert!(
                stderr.contains("not supported by this storage Type"),
                "{type_name} {args:?}: {stderr}"
            );
            assert!(stderr.contains(type_name), "{type_name} {args:?}: {stderr}");
        }
    }
}
