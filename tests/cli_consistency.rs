//! The CLI a newcomer meets is consistent (issue 14): downloads get normal file modes,
//! batch uploads never overwrite silently, `-` is stdin/stdout everywhere, `--json` on every
//! verb (errors included), progress and logging on every verb, the default storage, helpful
//! messages. Every test runs the built binary against an in-process local OSS server.

mod cli_support;

use cli_support::*;

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_download_gets_the_mode_a_normal_file_gets_under_the_umask() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let source = write(work.path(), "m.txt", b"mode check");
    let put = Run::in_app(app, &["put", "MyOss", source.to_str().unwrap(), "m.txt"])
        .output()
        .await;
    assert!(put.status.success(), "{}", out(&put));
    let url = first_line(&Run::in_app(app, &["sign", "MyOss", "m.txt"]).output().await);
    let public_url = format!("{}/{BUCKET}/m.txt", s.server.endpoint());

    for (umask, expected) in [(0o022, 0o644), (0o027, 0o640)] {
        let dir = tempfile::tempdir().unwrap();
        let d = |name: &str| dir.path().join(name).display().to_string();
        let runs: [(&str, Vec<String>); 4] = [
            (
                "get",
                vec!["get".into(), "MyOss".into(), "m.txt".into(), d("get")],
            ),
            ("get-url", vec!["get-url".into(), url.clone(), d("get-url")]),
            (
                "fetch-url",
                vec![
                    "fetch-url".into(),
                    "MyOss".into(),
                    public_url.clone(),
                    d("fetch-url"),
                ],
            ),
            (
                "sync-down",
                vec![
                    "sync-down".into(),
                    "MyOss".into(),
                    "m.txt".into(),
                    d("sync-down"),
                ],
            ),
        ];
        for (verb, args) in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = Run::in_app(app, &args).umask(umask).output().await;
            assert!(o.status.success(), "{verb}: {}", out(&o));
            let got = mode(&dir.path().join(verb));
            assert_eq!(
                got, expected,
                "{verb} under umask {umask:o} made mode {got:o}, expected {expected:o}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_many_refuses_inputs_that_map_to_one_key_before_uploading() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let first = write(work.path(), "a/b.png", b"first picture");
    let second = write(work.path(), "c/b.png", b"second picture, longer");
    let other = write(work.path(), "c/other.png", b"unrelated");
    let o = Run::in_app(
        app,
        &[
            "upload-many",
            "MyOss",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
            other.to_str().unwrap(),
            "--directory",
            "pics",
            "--json",
        ],
    )
    .output()
    .await;
    assert!(!o.status.success(), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    assert_eq!(v["status"], "partially_failed", "{v}");
    assert_eq!(v["success_count"], 1, "{v}");
    for (index, other_path) in [(0, &second), (1, &first)] {
        let file = &v["files"][index];
        assert!(file["result"].is_null(), "{file}");
        let error = file["error"].as_str().unwrap_or_default();
        assert!(error.contains("\"pics/b.png\""), "{error}");
        assert!(error.contains(other_path.to_str().unwrap()), "{error}");
    }
    assert_eq!(v["files"][2]["result"]["object_key"], "pics/other.png");
    // Neither colliding file was written.
    let ls = Run::in_app(app, &["ls", "MyOss", "pics/"]).output().await;
    assert!(ls.status.success(), "{}", out(&ls));
    assert!(!stdout(&ls).contains("pics/b.png"), "{}", out(&ls));

    // The text report says it per file too.
    let o = Run::in_app(
        app,
        &[
            "upload-many",
            "MyOss",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
            "--directory",
            "pics",
        ],
    )
    .output()
    .await;
    assert!(!o.status.success());
    let text = stdout(&o);
    assert_eq!(text.matches("error ").count(), 2, "{}", out(&o));
    assert!(!text.contains("ok "), "{}", out(&o));
}
