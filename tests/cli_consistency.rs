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
            let run = if verb == "get-url" {
                Run::new(&args) // reads no app
            } else {
                Run::in_app(app, &args)
            };
            let o = run.umask(umask).output().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dash_means_stdin_or_stdout_in_every_verb_that_takes_a_file() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let payload = b"through the pipes".to_vec();

    // put - (stdin) on OssType, then the object back through every download verb's `-`.
    let o = Run::in_app(app, &["put", "MyOss", "-", "pipe/a.txt"])
        .stdin(&payload)
        .output()
        .await;
    assert!(o.status.success(), "{}", out(&o));
    let url = first_line(
        &Run::in_app(app, &["sign", "MyOss", "pipe/a.txt"])
            .output()
            .await,
    );
    let bucket_url = format!("{}/{BUCKET}/pipe/a.txt", s.server.endpoint());
    for run in [
        Run::in_app(app, &["get", "MyOss", "pipe/a.txt", "-"]),
        Run::new(&["get-url", &url, "-"]),
        Run::in_app(app, &["fetch-url", "MyOss", &bucket_url, "-"]),
        Run::in_app(app, &["sync-down", "MyOss", "pipe/a.txt", "-"]),
    ] {
        let what = run.args.join(" ");
        let o = run.cwd(work.path()).output().await;
        assert!(o.status.success(), "{what}: {}", out(&o));
        assert_eq!(o.stdout, payload, "{what}: {}", out(&o));
    }
    // No file named `-` was created anywhere.
    assert!(!work.path().join("-").exists());

    // Uploads from stdin: put-url, upload (named by --source-name), sync-up to a key.
    let put_url = first_line(
        &Run::in_app(app, &["sign", "MyOss", "pipe/b.txt", "--method", "PUT"])
            .output()
            .await,
    );
    let o = Run::new(&["put-url", &put_url, "--file", "-"])
        .stdin(b"bbb")
        .output()
        .await;
    assert!(o.status.success(), "{}", out(&o));
    let o = Run::in_app(
        app,
        &[
            "upload",
            "MyOss",
            "-",
            "--directory",
            "pipe",
            "--source-name",
            "c.txt",
            "--json",
        ],
    )
    .stdin(b"cccc")
    .output()
    .await;
    assert_eq!(json(&o)["object_key"], "pipe/c.txt");
    let o = Run::in_app(app, &["sync-up", "MyOss", "-", "pipe/d.txt"])
        .stdin(b"ddddd")
        .output()
        .await;
    assert!(o.status.success(), "{}", out(&o));
    let o = Run::in_app(app, &["--json", "ls", "MyOss", "pipe/"])
        .output()
        .await;
    let listed: Vec<(String, u64)> = json(&o)
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            (
                v["key"].as_str().unwrap().to_owned(),
                v["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("pipe/a.txt".to_owned(), payload.len() as u64),
            ("pipe/b.txt".to_owned(), 3),
            ("pipe/c.txt".to_owned(), 4),
            ("pipe/d.txt".to_owned(), 5),
        ]
    );
    // `put-url --ticket -`: the ticket of `issue-upload --json` piped in.
    let ticket = Run::in_app(
        app,
        &["issue-upload", "MyOss", "kb", "--size", "4", "--json"],
    )
    .output()
    .await;
    assert!(ticket.status.success(), "{}", out(&ticket));
    let four = write(work.path(), "four.bin", b"4444");
    let o = Run::new(&["put-url", "--ticket", "-", "--file", four.to_str().unwrap()])
        .stdin(&ticket.stdout)
        .output()
        .await;
    assert!(o.status.success(), "{}", out(&o));
    // `upload -` without a name is refused with a message saying how to name it.
    let o = Run::in_app(app, &["upload", "MyOss", "-", "--directory", "pipe"])
        .stdin(b"x")
        .output()
        .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--source-name"), "{}", out(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_on_every_storage_verb_and_errors_as_a_json_object() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let source = write(work.path(), "j.csv", b"a,b\n");
    for element in ["Files", "MyOss"] {
        let put = json(
            &Run::in_app(
                app,
                &[
                    "put",
                    element,
                    source.to_str().unwrap(),
                    "j/1.csv",
                    "--json",
                ],
            )
            .output()
            .await,
        );
        assert_eq!(put["key"], "j/1.csv");
        assert_eq!(put["size"], 4);
        assert_eq!(put["element"], format!("storages.{element}"));
        assert!(put["etag"].is_string() && put["url"].is_string(), "{put}");

        let stat = json(
            &Run::in_app(app, &["stat", element, "j/1.csv", "--json"])
                .output()
                .await,
        );
        assert_eq!(stat["size"], 4);
        assert_eq!(stat["content_type"], "text/csv");

        let ls = json(
            &Run::in_app(app, &["ls", element, "j/", "--json"])
                .output()
                .await,
        );
        assert_eq!(ls[0]["key"], "j/1.csv", "{ls}");

        let target = work.path().join(format!("{element}.csv"));
        let get = json(
            &Run::in_app(
                app,
                &[
                    "get",
                    element,
                    "j/1.csv",
                    target.to_str().unwrap(),
                    "--json",
                ],
            )
            .output()
            .await,
        );
        assert_eq!(get["size"], 4);
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n");

        let rm = json(
            &Run::in_app(app, &["rm", element, "j/1.csv", "--json"])
                .output()
                .await,
        );
        assert_eq!(rm["deleted"], "j/1.csv");

        // An error: one JSON object on stderr naming the element and the key; stdout empty.
        let missing = Run::in_app(app, &["stat", element, "j/1.csv", "--json"])
            .output()
            .await;
        assert!(!missing.status.success());
        assert!(missing.stdout.is_empty(), "{}", out(&missing));
        let error: serde_json::Value = serde_json::from_slice(&missing.stderr)
            .unwrap_or_else(|e| panic!("{e}: {}", out(&missing)));
        assert_eq!(error["error"]["kind"], "not_found", "{error}");
        assert_eq!(error["error"]["element"], format!("storages.{element}"));
        assert_eq!(error["error"]["key"], "j/1.csv");
        assert!(error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("j/1.csv"));
    }
    // A usage error with --json is a JSON object too.
    let usage = Run::in_app(app, &["stat", "--json"]).output().await;
    assert_eq!(usage.status.code(), Some(2));
    let error: serde_json::Value =
        serde_json::from_slice(&usage.stderr).unwrap_or_else(|e| panic!("{e}: {}", out(&usage)));
    assert_eq!(error["error"]["kind"], "usage");
    // Verbs with no JSON form say so rather than ignore --json.
    let o = Run::new(&["quickstart", "--json"]).output().await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let error: serde_json::Value = serde_json::from_slice(&o.stderr).expect("a JSON error");
    assert_eq!(error["error"]["kind"], "usage");
    // `sign --json` too.
    let signed = json(
        &Run::in_app(app, &["sign", "MyOss", "k", "--json"])
            .output()
            .await,
    );
    assert!(
        signed["url"].as_str().unwrap().contains("x-oss-signature"),
        "{signed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_on_verbs_that_read_one_and_the_default_storage_from_the_cli() {
    let s = setup().await;
    let app = s.app.path();
    // --app on a verb that reads no app is refused, naming the verb.
    let o = Run::in_app(app, &["get-url", "http://127.0.0.1:1/x", "out"])
        .output()
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        stderr(&o).contains("get-url does not read an app"),
        "{}",
        out(&o)
    );
    let help = stdout(&Run::new(&["serve", "--help"]).output().await);
    assert!(!help.contains("--app"), "{help}");
    let help = stdout(&Run::new(&["put", "--help"]).output().await);
    assert!(help.contains("--app"), "{help}");

    // The app (with no storages.Default) names MyOss as its default storage.
    write(
        app,
        "app.json",
        br#"{"settings": {"defaultElement": {"defaultStorage": "storages.MyOss"}}}"#,
    );
    let work = tempfile::tempdir().unwrap();
    let source = write(work.path(), "d.txt", b"default!");
    let o = Run::in_app(app, &["put", source.to_str().unwrap(), "d/1.txt", "--json"])
        .output()
        .await;
    assert_eq!(json(&o)["element"], "storages.MyOss");
    let o = Run::in_app(app, &["get", "@default", "d/1.txt", "-"])
        .output()
        .await;
    assert_eq!(o.stdout, b"default!", "{}", out(&o));
    let o = Run::in_app(app, &["stat", "d/1.txt", "--json"])
        .output()
        .await;
    assert_eq!(json(&o)["size"], 8);
    let o = Run::in_app(app, &["ls", "--json"]).output().await;
    assert_eq!(json(&o)[0]["key"], "d/1.txt");
    // `--app` after the verb works the same as before it.
    let o = Run::new(&[
        "stat",
        "--app",
        app.to_str().unwrap(),
        "@default",
        "d/1.txt",
    ])
    .output()
    .await;
    assert!(o.status.success(), "{}", out(&o));

    // Without app.json, the app has no storages.Default, yet the embedded DiskType default
    // (appData/storages/Default) is there.
    std::fs::remove_file(app.join("app.json")).unwrap();
    let o = Run::in_app(app, &["put", "-", "e/1.txt"])
        .stdin(b"embedded")
        .output()
        .await;
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        std::fs::read(app.join("appData/storages/Default/e/1.txt")).unwrap(),
        b"embedded"
    );
    let o = Run::in_app(app, &["get", "Default", "e/1.txt", "-"])
        .output()
        .await;
    assert_eq!(o.stdout, b"embedded", "{}", out(&o));

    // A nested element may be named without the `storages.` prefix.
    write(
        app,
        "storages/Team/Reports/e.json",
        br#"{"title": "Reports", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
    );
    write(app, "storages/Team/Reports/Reports.json", b"{}");
    let o = Run::in_app(app, &["put", "Team.Reports", "-", "r.txt", "--json"])
        .stdin(b"nested")
        .output()
        .await;
    assert_eq!(json(&o)["element"], "storages.Team.Reports");
}

/// Writes `storages/Parts` (OssType with 128 KiB parts above 256 KiB: multipart uploads and
/// ranged downloads) into the app.
fn parts_element(s: &Setup) {
    write(
        s.app.path(),
        "storages/Parts/e.json",
        br#"{"title": "OSS in parts", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        s.app.path(),
        "storages/Parts/Parts.json",
        format!(
            r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}", "endPoint": "{}", "bucketName": "{BUCKET}", "region": "{}", "checkpointDir": "", "partSize": 131072, "multipartThreshold": 262144}}"#,
            s.server.endpoint(),
            s.server.region()
        )
        .as_bytes(),
    );
}

/// Runs the binary with a pseudo-terminal for stdin, stdout and stderr (`script`), returning
/// everything the terminal showed.
#[cfg(target_os = "linux")]
async fn in_terminal(args: &[String]) -> (bool, String) {
    let mut line = shell_quote(&binary().display().to_string());
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let o = Run::new(&[])
        .output_with("script", &["-q", "-e", "-c", &line, "/dev/null"])
        .await;
    (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_get_show_a_byte_progress_bar_on_a_terminal_only() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let s = setup().await;
    parts_element(&s);
    let app = s.app.path().display().to_string();
    let work = tempfile::tempdir().unwrap();
    let big = write(work.path(), "big.bin", &vec![7u8; 3 * 1024 * 1024]);
    let back = work.path().join("back.bin").display().to_string();
    let big = big.display().to_string();
    let put: Vec<String> = ["--app", &app, "put", "Parts", &big, "big.bin"]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let get: Vec<String> = ["--app", &app, "get", "Parts", "big.bin", &back]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    for (verb, args) in [("put", &put), ("get", &get)] {
        let (ok, screen) = in_terminal(args).await;
        assert!(ok, "{verb}: {screen}");
        // The bar: label, bytes of the whole object (parts combined), rate and ETA.
        assert!(screen.contains(&format!("{verb} [")), "{verb}: {screen:?}");
        assert!(screen.contains("/3.00 MiB "), "{verb}: {screen:?}");
        assert!(
            screen.contains("/s") && screen.contains("ETA"),
            "{verb}: {screen:?}"
        );
        // --quiet: no bar even on a terminal.
        let mut quiet = args.clone();
        quiet.push("--quiet".into());
        let (ok, screen) = in_terminal(&quiet).await;
        assert!(ok, "{verb} --quiet: {screen}");
        assert!(!screen.contains("ETA"), "{verb} --quiet: {screen:?}");
        // Stderr not a terminal: no bar.
        let plain: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = Run::new(&plain).output().await;
        assert!(o.status.success(), "{}", out(&o));
        assert!(!stderr(&o).contains("ETA"), "{verb}: {}", out(&o));
    }
    assert_eq!(std::fs::read(&back).unwrap().len(), 3 * 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_shows_the_clients_retry_warning() {
    let s = setup().await;
    // An element on a closed port: every attempt fails to connect and is retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    write(
        s.app.path(),
        "storages/Gone/e.json",
        br#"{"title": "Gone", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        s.app.path(),
        "storages/Gone/Gone.json",
        format!(
            r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}", "endPoint": "http://127.0.0.1:{port}", "bucketName": "{BUCKET}", "region": "cn-hangzhou", "checkpointDir": "", "retries": 1}}"#
        )
        .as_bytes(),
    );
    let o = Run::in_app(s.app.path(), &["-v", "stat", "Gone", "k"])
        .output()
        .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("retrying"), "{}", out(&o));
    // RUST_LOG works the same, for any verb.
    let o = Run::in_app(s.app.path(), &["stat", "Gone", "k"])
        .env("RUST_LOG", "jitstore_oss=debug")
        .output()
        .await;
    assert!(stderr(&o).contains("OSS request failed"), "{}", out(&o));
    // --quiet: only the error itself.
    let o = Run::in_app(s.app.path(), &["-q", "stat", "Gone", "k"])
        .output()
        .await;
    assert!(!stderr(&o).contains("retrying"), "{}", out(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_say_what_was_wrong_once_and_how_to_fix_it() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();

    // issue-upload --expires 0: the accepted range, lower bound included.
    let o = Run::in_app(
        app,
        &[
            "issue-upload",
            "MyOss",
            "kb",
            "--size",
            "512",
            "--expires",
            "0",
        ],
    )
    .output()
    .await;
    assert!(!o.status.success());
    let text = stderr(&o);
    assert!(text.contains("at least 1 s"), "{}", out(&o));

    // commit --size 513 after a 512-byte upload: what was announced, what arrived.
    let ticket = json(
        &Run::in_app(
            app,
            &["issue-upload", "MyOss", "kb", "--size", "512", "--json"],
        )
        .output()
        .await,
    );
    let ticket_file = write(work.path(), "ticket.json", ticket.to_string().as_bytes());
    let file = write(work.path(), "f.bin", &[1u8; 512]);
    let o = Run::new(&[
        "put-url",
        "--ticket",
        ticket_file.to_str().unwrap(),
        "--file",
        file.to_str().unwrap(),
    ])
    .output()
    .await;
    assert!(o.status.success(), "{}", out(&o));
    let key = ticket["upload_key"].as_str().unwrap();
    let o = Run::in_app(app, &["commit", "MyOss", key, "f.bin", "--size", "513"])
        .output()
        .await;
    assert!(!o.status.success());
    let text = stderr(&o);
    assert!(text.contains("--size 513"), "{}", out(&o));
    assert!(text.contains("512 bytes arrived"), "{}", out(&o));

    // A bad region is named once, not "invalid region: invalid region".
    write(
        app,
        "storages/BadRegion/e.json",
        br#"{"title": "x", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        app,
        "storages/BadRegion/BadRegion.json",
        format!(
            r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}", "endPoint": "{}", "bucketName": "{BUCKET}", "region": "Cn Hangzhou!", "checkpointDir": ""}}"#,
            s.server.endpoint()
        )
        .as_bytes(),
    );
    let o = Run::in_app(app, &["stat", "BadRegion", "k"]).output().await;
    assert!(!o.status.success());
    let text = stderr(&o).to_lowercase();
    assert_eq!(text.matches("invalid region").count(), 1, "{}", out(&o));
    assert!(text.contains("cn hangzhou!"), "{}", out(&o));
    let local = write(work.path(), "r.txt", b"r");
    for region in ["Bad!", ""] {
        let o = Run::new(&[
            "sync-up",
            local.to_str().unwrap(),
            "k",
            "--access-key-id",
            STS_AK,
            "--access-key-secret",
            STS_SK,
            "--security-token",
            STS_TOKEN,
            "--endpoint",
            &s.server.endpoint(),
            "--region",
            region,
            "--bucket",
            BUCKET,
        ])
        .output()
        .await;
        assert!(!o.status.success());
        let text = stderr(&o).to_lowercase();
        assert_eq!(text.matches("invalid region").count(), 1, "{}", out(&o));
    }

    // put-url --ticket given the text output of issue-upload: use --json.
    let o = Run::in_app(app, &["issue-upload", "MyOss", "kb", "--size", "3"])
        .output()
        .await;
    let text_ticket = write(work.path(), "ticket.txt", &o.stdout);
    let small = write(work.path(), "s.bin", b"abc");
    let o = Run::new(&[
        "put-url",
        "--ticket",
        text_ticket.to_str().unwrap(),
        "--file",
        small.to_str().unwrap(),
    ])
    .output()
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("issue-upload --json"), "{}", out(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agentbay_env_init_from_flags_and_environment_with_the_bucket_per_call() {
    let s = setup().await;
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    write(&tree, "a.txt", b"aa");
    write(&tree, "sub/b.txt", b"bbb");
    let endpoint = s.server.endpoint();
    // Credentials from flags, bucket BUCKET.
    let o = Run::new(&[
        "sync-up",
        tree.to_str().unwrap(),
        "agent/",
        "--access-key-id",
        STS_AK,
        "--access-key-secret",
        STS_SK,
        "--security-token",
        STS_TOKEN,
        "--endpoint",
        &endpoint,
        "--region",
        s.server.region(),
        "--bucket",
        BUCKET,
        "--json",
    ])
    .output()
    .await;
    assert_eq!(json(&o)["success_count"], 2);
    // Credentials from the environment, the other bucket in this call.
    let env = |run: Run| {
        run.env("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_AK)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_SK)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN)
            .env("OSS_ENDPOINT", &endpoint)
            .env("OSS_REGION", s.server.region())
    };
    let o = env(Run::new(&[
        "sync-up",
        tree.to_str().unwrap(),
        "other/",
        "--bucket",
        OTHER_BUCKET,
        "--json",
    ]))
    .output()
    .await;
    assert_eq!(json(&o)["success_count"], 2);
    let back = work.path().join("back");
    let o = env(Run::new(&[
        "sync-down",
        "other/",
        back.to_str().unwrap(),
        "--bucket",
        OTHER_BUCKET,
    ]))
    .output()
    .await;
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(std::fs::read(back.join("sub/b.txt")).unwrap(), b"bbb");
    // The objects really are in the other bucket: BUCKET has nothing under `other/`.
    let o = env(Run::new(&[
        "sync-down",
        "other/",
        back.to_str().unwrap(),
        "--bucket",
        BUCKET,
    ]))
    .output()
    .await;
    assert!(!o.status.success(), "{}", out(&o));
    // A missing token is named; the secret never appears in any message.
    let o = Run::new(&[
        "sync-up",
        tree.to_str().unwrap(),
        "x/",
        "--access-key-id",
        STS_AK,
        "--access-key-secret",
        STS_SK,
        "--endpoint",
        &endpoint,
        "--bucket",
        BUCKET,
    ])
    .output()
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--security-token"), "{}", out(&o));
    assert!(!out(&o).contains(STS_SK), "{}", out(&o));
    // `--help` documents the flags and their variables.
    let help = stdout(&Run::new(&["sync-up", "--help"]).output().await);
    for needle in [
        "env_init",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "--bucket",
        "OSS_REGION",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

#[test]
fn help_names_the_operations_of_the_seed_products() {
    let help = stdout(&Run::new(&["--help"]).output_blocking());
    for needle in [
        "AgentBay upload",
        "AgentBay download",
        "AgentBay upload_anonymous",
        "AgentBay download_anonymous",
        "env_init",
        "Dify OSS plugin upload_file",
        "Dify OSS plugin multi_upload_files",
        "Dify OSS plugin get_file_by_url",
        "DingTalk step 1: get file upload information",
        "DingTalk step 2: upload the file to OSS",
        "DingTalk step 3: commit the file",
    ] {
        assert!(
            help.contains(needle),
            "`jitstore --help` lacks {needle:?}:\n{help}"
        );
    }
    // Each verb's own help says it too.
    for (verb, needle) in [
        ("fetch-url", "get_file_by_url"),
        ("upload-many", "multi_upload_files"),
        ("issue-upload", "DingTalk step 1"),
        ("commit", "DingTalk step 3"),
        ("put-url", "DingTalk step 2"),
        ("sync-down", "AgentBay download"),
    ] {
        let help = stdout(&Run::new(&[verb, "--help"]).output_blocking());
        assert!(
            help.contains(needle),
            "`{verb} --help` lacks {needle:?}:\n{help}"
        );
    }
}

#[cfg(unix)]
#[test]
fn quickstart_keep_leaves_an_app_that_works_afterwards() {
    let o = Run::new(&["quickstart", "--keep"]).output_blocking();
    assert!(o.status.success(), "{}", out(&o));
    let text = stdout(&o);
    let line = |label: &str| -> String {
        text.lines()
            .find_map(|l| l.trim_start().strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
            .trim()
            .to_owned()
    };
    let kept = std::path::PathBuf::from(
        text.lines()
            .find_map(|l| l.strip_prefix("quickstart finished; app and data kept at "))
            .unwrap_or_else(|| panic!("no kept folder in:\n{text}"))
            .trim(),
    );
    struct Cleanup(std::path::PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(kept.clone());
    assert!(line("secret:").contains("QUICKSTART_OSS_SECRET"), "{text}");
    // The secret itself is not printed: it is in the env file, readable by its owner only.
    let env_file = kept.join("quickstart.env");
    assert_eq!(mode(&env_file), 0o600);
    let env_text = std::fs::read_to_string(&env_file).unwrap();
    let secret = env_text
        .lines()
        .find_map(|l| l.strip_prefix("export QUICKSTART_OSS_SECRET='"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("secret in the env file")
        .to_owned();
    assert!(!text.contains(&secret), "{text}");

    // Run the printed server command as printed (with this build as `jitstore`).
    let bin_dir = binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let server_command = line("server:");
    let mut server = std::process::Command::new("sh")
        .arg("-c")
        .arg(server_command.replace("&& jitstore", "&& exec jitstore"))
        .env("PATH", &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("server starts");
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let used = |command: String| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("PATH", &path)
            .env_remove("QUICKSTART_OSS_SECRET")
            .output()
            .expect("runs")
    };
    let then = line("then:");
    let put = used(then.replace(" ls MyOss", " put MyOss - after/keep.txt < /dev/null"));
    let ls = used(then.clone());
    let _ = server.kill();
    let _ = server.wait();
    assert!(first.contains("listening on"), "{first}");
    assert!(put.status.success(), "{}", out(&put));
    assert!(ls.status.success(), "{}", out(&ls));
    assert!(stdout(&ls).contains("after/keep.txt"), "{}", out(&ls));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_url_accepts_internal_and_accelerate_endpoints_and_names_element_and_key() {
    let s = setup().await;
    let app = s.app.path();
    // An element on Alibaba Cloud (resolving a URL needs no network).
    write(
        app,
        "storages/Cloud/e.json",
        br#"{"title": "Cloud", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    );
    write(
        app,
        "storages/Cloud/Cloud.json",
        br#"{"accessKeyId": "ak", "accessKeySecret": "sk", "endPoint": "oss-cn-hangzhou.aliyuncs.com", "bucketName": "my-bucket", "checkpointDir": ""}"#,
    );
    for (url, key) in [
        (
            "https://my-bucket.oss-cn-hangzhou-internal.aliyuncs.com/a/b.txt",
            "a/b.txt",
        ),
        (
            "http://my-bucket.oss-cn-hangzhou-internal.aliyuncs.com/a/b.txt",
            "a/b.txt",
        ),
        (
            "https://oss-cn-hangzhou-internal.aliyuncs.com/my-bucket/c.txt",
            "c.txt",
        ),
        (
            "https://my-bucket.oss-accelerate.aliyuncs.com/d%20e.txt",
            "d e.txt",
        ),
        (
            "https://my-bucket.oss-accelerate-overseas.aliyuncs.com/f.txt",
            "f.txt",
        ),
    ] {
        let o = Run::in_app(
            app,
            &["fetch-url", "Cloud", url, "--resolve-only", "--json"],
        )
        .output()
        .await;
        assert_eq!(json(&o)["key"], key, "{url}");
    }
    for url in [
        "https://other.oss-cn-hangzhou-internal.aliyuncs.com/x",
        "https://my-bucket.oss-cn-beijing-internal.aliyuncs.com/x",
        "https://my-bucket.oss-accelerate.aliyuncs.com.evil.com/x",
    ] {
        let o = Run::in_app(app, &["fetch-url", "Cloud", url, "--resolve-only"])
            .output()
            .await;
        assert!(!o.status.success(), "{url}: {}", out(&o));
        assert!(stderr(&o).contains("refused"), "{url}: {}", out(&o));
        assert!(stderr(&o).contains("storages.Cloud"), "{url}: {}", out(&o));
    }
    // A failed fetch names the element and the key.
    let work = tempfile::tempdir().unwrap();
    let url = format!("{}/{BUCKET}/missing/none.txt", s.server.endpoint());
    let o = Run::in_app(
        app,
        &["fetch-url", "MyOss", &url, work.path().to_str().unwrap()],
    )
    .output()
    .await;
    assert!(!o.status.success());
    let text = stderr(&o);
    assert!(text.contains("storages.MyOss"), "{}", out(&o));
    assert!(text.contains("missing/none.txt"), "{}", out(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elements_json_lists_every_element_as_an_array() {
    let s = setup().await;
    let o = Run::in_app(s.app.path(), &["elements", "--json"])
        .output()
        .await;
    let rows = json(&o);
    let files = rows
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["full_name"] == "storages.Files")
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(files["kind"], "instance");
    assert_eq!(files["ok"], true);
    assert_eq!(
        files["chain"],
        "storages.Files -> storages.DiskType -> storages.Meta"
    );
}
