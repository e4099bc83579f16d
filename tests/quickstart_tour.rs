//! `jitstore quickstart` runs the full tour (local OSS server in-process, DiskType and OssType,
//! the seed workflows) and exits zero with every step reported.

use std::process::Command;

#[test]
fn quickstart_runs_the_full_tour_and_exits_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("quickstart")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for n in 1..=13 {
        assert!(
            stdout.contains(&format!("[{n}/13]")),
            "step {n} missing:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    for expected in [
        "start the local OSS server: http://127.0.0.1:",
        "storages.Default -> storages.DiskType -> storages.Meta",
        "storages.MyOss -> storages.OssType -> storages.Meta: upload_by_file quickstart/hello.txt: 21 bytes",
        "get_sign_url + plain HTTP GET: plain GET of",
        "-> 200 OK, 21 bytes, content verified",
        "get_object: 21 bytes, content type text/plain",
        "download: 21 bytes, content verified",
        "Dify upload_file (yyyy_mm_dd_hierarchy + filename_timestamp): reports/",
        "directory upload: 3 files, 18 bytes under backup/",
        "directory download: 3 files, 18 bytes, identical to the originals",
        "and no Content-Type -> 512 bytes staged",
        "DingTalk commit (AUTO_RENAME): kb/TestFile.xlsx (512 bytes",
        "delete: quickstart/hello.txt and 5 other objects deleted; bucket empty",
        "all 13 steps passed",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
    // The Dify key has the date hierarchy and a 17-digit timestamp.
    let line = stdout
        .lines()
        .find(|l| l.contains("Dify upload_file"))
        .expect("dify line");
    let key = line
        .split(": ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .expect("key");
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 5, "{key}");
    assert_eq!(parts[1].len(), 4);
    let stamp = parts[4]
        .trim_start_matches("Monthly Report_")
        .trim_end_matches(".pdf");
    assert_eq!(stamp.len(), 17, "{key}");
    assert!(stamp.chars().all(|c| c.is_ascii_digit()), "{key}");
}
