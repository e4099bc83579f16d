//! The workflow verbs of the `jitstore` binary against an in-process local OSS server: sign
//! (reproducible with --at, --explain, V1), upload/upload-many with Dify modes and --json,
//! sync-up/sync-down, fetch-url refusing foreign hosts, put-url/get-url through presigned
//! URLs, and issue-upload / put-url --ticket / commit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jitstore_oss_server::{AccessKey, RunningServer, Server, ServerConfig};
use serde_json::Value;

const AK: &str = "cli-wf-ak";
const SK: &str = "cli-wf-secret-9!";
const BUCKET: &str = "cli-bucket";

struct Setup {
    server: RunningServer,
    _data: tempfile::TempDir,
    app: tempfile::TempDir,
}

async fn setup() -> Setup {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(
        ServerConfig::new(data.path())
            .bucket(BUCKET)
            .credential(AccessKey::new(AK, SK)),
    )
    .await
    .unwrap();
    let app = tempfile::tempdir().unwrap();
    for (name, extra) in [("MyOss", ""), ("OldOss", r#", "signatureVersion": "v1""#)] {
        let dir = app.path().join("storages").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("e.json"),
            r#"{"title": "OSS", "type": "storages.OssType", "backendBundleEntry": "."}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{name}.json")),
            format!(
                r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}", "endPoint": "{}", "bucketName": "{BUCKET}", "region": "{}", "checkpointDir": ""{extra}}}"#,
                server.endpoint(),
                server.region()
            ),
        )
        .unwrap();
    }
    Setup {
        server,
        _data: data,
        app,
    }
}

/// Runs the binary off the runtime's worker (the server keeps serving meanwhile); `--app`
/// only for the verbs that read an app (`put-url` and `get-url` refuse it).
async fn jitstore(app: &Path, args: &[&str]) -> Output {
    let app = app.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let reads_app = !matches!(
        args.first().map(String::as_str),
        Some("put-url" | "get-url")
    );
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jitstore"));
        if reads_app {
            command.arg("--app").arg(&app);
        }
        command.args(&args).output().expect("runs")
    })
    .await
    .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", out(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_is_reproducible_with_at_explains_itself_and_follows_the_signature_version() {
    let s = setup().await;
    let app = s.app.path();
    let args = [
        "sign",
        "MyOss",
        "docs/a b+c.txt",
        "--expires",
        "600",
        "--at",
        "2025-09-22T10:00:00Z",
    ];
    let first = jitstore(app, &args).await;
    let second = jitstore(app, &args).await;
    assert!(first.status.success(), "{}", out(&first));
    let url = String::from_utf8_lossy(&first.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        url,
        String::from_utf8_lossy(&second.stdout)
            .lines()
            .next()
            .unwrap()
    );
    assert!(
        url.starts_with(&format!(
            "{}/{BUCKET}/docs/a%20b%2Bc.txt?",
            s.server.endpoint()
        )),
        "{url}"
    );
    assert!(
        url.contains("x-oss-date=20250922T100000Z") && url.contains("x-oss-expires=600"),
        "{url}"
    );
    assert!(
        url.contains("x-oss-signature-version=OSS4-HMAC-SHA256"),
        "{url}"
    );

    let explained = jitstore(app, &[&args[..], &["--explain"]].concat()).await;
    let text = String::from_utf8_lossy(&explained.stdout).into_owned();
    assert_eq!(
        text.lines().next().unwrap(),
        url,
        "explain keeps the URL on the first line"
    );
    assert!(
        text.contains("--- canonical request ---\nGET\n/cli-bucket/docs/a%20b%2Bc.txt\n"),
        "{text}"
    );
    assert!(text.contains("--- string to sign ---\nOSS4-HMAC-SHA256\n20250922T100000Z\n20250922/cn-hangzhou/oss/aliyun_v4_request\n"), "{text}");
    assert!(!text.contains(SK));

    // Signed now, the URL works for a PUT with the signed content type, then a GET.
    let put = jitstore(
        app,
        &[
            "sign",
            "MyOss",
            "up.txt",
            "--method",
            "PUT",
            "--content-type",
            "text/plain",
            "--header",
            "x-oss-meta-owner:cli",
        ],
    )
    .await;
    let put_url = String::from_utf8_lossy(&put.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let answer = reqwest::Client::new()
        .put(&put_url)
        .header("content-type", "text/plain")
        .header("x-oss-meta-owner", "cli")
        .body("signed put")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let get = jitstore(app, &["sign", "MyOss", "up.txt"]).await;
    let get_url = String::from_utf8_lossy(&get.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        reqwest::get(&get_url).await.unwrap().text().await.unwrap(),
        "signed put"
    );

    // signatureVersion v1 gives a V1 URL that works too.
    let v1 = jitstore(app, &["sign", "OldOss", "up.txt", "--explain"]).await;
    let v1_text = String::from_utf8_lossy(&v1.stdout).into_owned();
    let v1_url = v1_text.lines().next().unwrap();
    assert!(
        v1_url.contains("OSSAccessKeyId=") && v1_url.contains("Signature="),
        "{v1_url}"
    );
    assert!(v1_text.contains("signature version: v1"));
    assert_eq!(
        reqwest::get(v1_url).await.unwrap().text().await.unwrap(),
        "signed put"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_modes_batches_sync_fetch_and_anonymous_verbs() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let report = write(work.path(), "Report.PDF", b"%PDF data");

    let up = json(
        &jitstore(
            app,
            &[
                "upload",
                "MyOss",
                report.to_str().unwrap(),
                "--directory",
                "docs",
                "--directory-mode",
                "yyyy_mm_dd_combined",
                "--filename-mode",
                "filename_timestamp",
                "--time-zone",
                "+08:00",
                "--at",
                "2025-09-22T20:00:00.250Z",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(
        up["object_key"],
        "docs/20250923/Report_20250923040000250.pdf"
    );
    assert_eq!(up["content_type"], "application/pdf");
    assert_eq!(up["size"], 9);
    assert!(up["crc64"].is_u64() && up["etag"].is_string());

    let bad = jitstore(
        app,
        &[
            "upload",
            "MyOss",
            report.to_str().unwrap(),
            "--directory",
            "/abs",
        ],
    )
    .await;
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("directory"),
        "{}",
        out(&bad)
    );

    // upload-many: one missing file -> per-file outcome, not "completed", non-zero exit.
    let b = write(work.path(), "b.txt", b"bb");
    let many = jitstore(
        app,
        &[
            "upload-many",
            "MyOss",
            report.to_str().unwrap(),
            "/nonexistent/x.txt",
            b.to_str().unwrap(),
            "--directory",
            "batch",
            "--json",
        ],
    )
    .await;
    assert!(!many.status.success());
    let v: Value = serde_json::from_slice(&many.stdout).unwrap();
    assert_eq!(v["status"], "partially_failed");
    assert_eq!(v["success_count"], 2);
    assert!(v["files"][1]["error"].as_str().unwrap().contains("x.txt"));

    // sync-up / sync-down with nested unicode names.
    let tree = work.path().join("tree");
    write(&tree, "a/b/文件.txt", b"deep");
    write(&tree, "top.txt", b"top");
    let upd = json(
        &jitstore(
            app,
            &[
                "sync-up",
                "MyOss",
                tree.to_str().unwrap(),
                "mirror",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(upd["status"], "completed");
    assert_eq!(upd["success_count"], 2);
    let restored = work.path().join("restored");
    let down = json(
        &jitstore(
            app,
            &[
                "sync-down",
                "MyOss",
                "mirror/",
                restored.to_str().unwrap(),
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(down["success_count"], 2);
    assert_eq!(
        std::fs::read(restored.join("a/b/文件.txt")).unwrap(),
        b"deep"
    );

    // fetch-url: the bucket's URL works, a foreign host is refused.
    let url = format!("{}/{BUCKET}/mirror/top.txt", s.server.endpoint());
    let fetched = json(
        &jitstore(
            app,
            &[
                "fetch-url",
                "MyOss",
                &url,
                work.path().to_str().unwrap(),
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(fetched["size"], 3);
    assert_eq!(std::fs::read(work.path().join("top.txt")).unwrap(), b"top");
    let refused = jitstore(
        app,
        &[
            "fetch-url",
            "MyOss",
            "http://169.254.169.254/latest/meta-data",
            work.path().to_str().unwrap(),
        ],
    )
    .await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused"),
        "{}",
        out(&refused)
    );

    // put-url / get-url through presigned URLs from `sign`.
    let put = jitstore(app, &["sign", "MyOss", "anon.bin", "--method", "PUT"]).await;
    let put_url = String::from_utf8_lossy(&put.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let payload = write(work.path(), "anon.bin", &[5u8; 70_000]);
    let sent = json(
        &jitstore(
            app,
            &[
                "put-url",
                &put_url,
                "--file",
                payload.to_str().unwrap(),
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(sent["files"][0]["size"], 70_000);
    let get = jitstore(app, &["sign", "MyOss", "anon.bin"]).await;
    let get_url = String::from_utf8_lossy(&get.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let copy = work.path().join("copy.bin");
    let got = json(
        &jitstore(
            app,
            &["get-url", &get_url, copy.to_str().unwrap(), "--json"],
        )
        .await,
    );
    assert_eq!(got["status"], "completed");
    assert_eq!(std::fs::read(&copy).unwrap(), vec![5u8; 70_000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_upload_put_with_ticket_and_commit() {
    let s = setup().await;
    let app = s.app.path();
    let work = tempfile::tempdir().unwrap();
    let file = write(work.path(), "Data.xlsx", &[1u8; 300]);
    let ticket = jitstore(
        app,
        &[
            "issue-upload",
            "MyOss",
            "kb/team",
            "--size",
            "300",
            "--expires",
            "120",
            "--json",
        ],
    )
    .await;
    let t = json(&ticket);
    assert_eq!(t["expiration_seconds"], 120);
    assert!(t["headers"]["Authorization"]
        .as_str()
        .unwrap()
        .starts_with("OSS4-HMAC-SHA256"));
    let ticket_path = work.path().join("ticket.json");
    std::fs::write(&ticket_path, &ticket.stdout).unwrap();
    let put = jitstore(
        app,
        &[
            "put-url",
            "--ticket",
            ticket_path.to_str().unwrap(),
            "--file",
            file.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_eq!(json(&put)["size"], 300);
    let key = t["upload_key"].as_str().unwrap();
    let done = json(
        &jitstore(
            app,
            &[
                "commit",
                "MyOss",
                key,
                "Data.xlsx",
                "--size",
                "300",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(done["key"], "kb/team/Data.xlsx");
    assert_eq!(done["size"], 300);
    // A second commit of the same key fails: the staged upload was consumed.
    let again = jitstore(app, &["commit", "MyOss", key, "Other.xlsx"]).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("nothing was uploaded"),
        "{}",
        out(&again)
    );
    // A Content-Type added to the signed headers is refused by the server.
    let t2 = json(
        &jitstore(
            app,
            &["issue-upload", "MyOss", "kb", "--size", "300", "--json"],
        )
        .await,
    );
    let mut args: Vec<String> = vec![
        "put-url".into(),
        t2["resource_urls"][0].as_str().unwrap().into(),
        "--file".into(),
        file.to_str().unwrap().into(),
    ];
    for (k, v) in t2["headers"].as_object().unwrap() {
        args.push("--header".into());
        args.push(format!("{k}:{}", v.as_str().unwrap()));
    }
    args.push("--header".into());
    args.push("Content-Type:application/octet-stream".into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = jitstore(app, &refs).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("SignatureDoesNotMatch"),
        "{}",
        out(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_at_reproduces_the_official_v4_presign_vector() {
    // oss-protocol.md §3.4 P4-doc: the documented V4 presigned GET with AdditionalHeaders=host.
    let app = tempfile::tempdir().unwrap();
    let dir = app.path().join("storages/DocOss");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("e.json"),
        r#"{"title": "Doc example", "type": "storages.OssType", "backendBundleEntry": "."}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("DocOss.json"),
        r#"{"accessKeyId": "testid", "accessKeySecret": "yourAccessKeySecret", "endPoint": "oss-cn-hangzhou.aliyuncs.com", "bucketName": "examplebucket", "checkpointDir": ""}"#,
    )
    .unwrap();
    let output = jitstore(
        app.path(),
        &[
            "sign",
            "DocOss",
            "exampleobject",
            "--expires",
            "86400",
            "--at",
            "2024-12-03T03:23:07Z",
            "--header",
            "host:examplebucket.oss-cn-hangzhou.aliyuncs.com",
            "--explain",
        ],
    )
    .await;
    let text = out(&output);
    assert!(output.status.success(), "{text}");
    let url = text.lines().next().unwrap();
    assert!(
        url.starts_with("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampleobject?"),
        "{url}"
    );
    assert!(
        url.ends_with(
            "x-oss-signature=a9ad2ce702a93c7c36ace35dd4e1b80cb76a999c890d7dfe78ff342a23dac8e0"
        ),
        "{url}"
    );
    assert!(text.contains(
        "--- canonical request ---\nGET\n/examplebucket/exampleobject\nx-oss-additional-headers=host&x-oss-credential=testid%2F20241203%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20241203T032307Z&x-oss-expires=86400&x-oss-signature-version=OSS4-HMAC-SHA256\nhost:examplebucket.oss-cn-hangzhou.aliyuncs.com\n\nhost\nUNSIGNED-PAYLOAD\n"
    ), "{text}");
}

/// `sign --explain` explains the code that signs: its URL is the client's presign entry's URL
/// at the same instant, the server accepts it, and the string-to-sign it prints is the one the
/// server's verifier recomputes from the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_explain_prints_the_client_presign_url_and_the_verifiers_string_to_sign() {
    use std::time::Duration;

    use chrono::{DateTime, SubsecRound, Utc};
    use jitstore_oss::client::{PresignOptions, SigningTime};
    use jitstore_oss::credentials::Credentials;
    use jitstore_oss::sign::{verify, ReceivedRequest, Verified, VerifyPolicy};

    let s = setup().await;
    let app = s.app.path();
    let key = "docs/a b+c.txt";
    let oss = jitstore::App::open(app)
        .unwrap()
        .get_element("storages.MyOss")
        .unwrap();
    let storage = jitstore::storages::OssStorage::from_handle(&oss).unwrap();
    oss.upload_by_file(key, b"explained".to_vec(), Some("text/plain"))
        .await
        .unwrap();

    let at: DateTime<Utc> = Utc::now().trunc_subsecs(0);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let explained = json(
        &jitstore(
            app,
            &[
                "sign",
                "MyOss",
                key,
                "--expires",
                "600",
                "--content-type",
                "text/plain",
                "--header",
                "x-oss-meta-who:cli",
                "--at",
                &at_text,
                "--explain",
                "--json",
            ],
        )
        .await,
    );
    let url = explained["url"].as_str().unwrap().to_owned();
    let string_to_sign = explained["string_to_sign"].as_str().unwrap().to_owned();
    assert!(
        string_to_sign.starts_with("OSS4-HMAC-SHA256\n"),
        "{string_to_sign}"
    );

    // The same request through the client's presign entry at the same instant.
    let mut options = PresignOptions {
        expires: Duration::from_secs(600),
        at: SigningTime::At(at),
        ..PresignOptions::default()
    };
    options
        .query
        .push(("response-content-type".into(), "text/plain".into()));
    options.sign_header(
        reqwest::header::HeaderName::from_static("x-oss-meta-who"),
        reqwest::header::HeaderValue::from_static("cli"),
    );
    let presigned = storage.client().presign(key, options).await.unwrap();
    assert_eq!(url, presigned.url.as_str());
    assert_eq!(string_to_sign, presigned.string_to_sign);
    assert_eq!(
        explained["canonical_request"].as_str().unwrap(),
        presigned.canonical_request
    );

    // The server's verifier accepts the URL, and recomputes the explained string-to-sign.
    let parsed = reqwest::Url::parse(&url).unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-oss-meta-who", "cli".parse().unwrap());
    let received = ReceivedRequest {
        method: "GET",
        bucket: Some(BUCKET),
        key: Some(key),
        raw_query: parsed.query().unwrap(),
        headers: &headers,
    };
    let policy = VerifyPolicy::new(s.server.region(), at + chrono::Duration::seconds(1));
    let good = |id: &str| (id == AK).then(|| Credentials::new(AK, SK));
    assert!(matches!(
        verify(&received, &policy, &good),
        Ok(Verified::Authenticated {
            presigned: true,
            ..
        })
    ));
    let wrong = |id: &str| (id == AK).then(|| Credentials::new(AK, "not-the-secret"));
    let mismatch = verify(&received, &policy, &wrong).unwrap_err();
    assert_eq!(
        mismatch
            .mismatch()
            .expect("a signature mismatch")
            .string_to_sign,
        string_to_sign
    );

    // And the running server serves it.
    let answer = reqwest::Client::new()
        .get(&url)
        .header("x-oss-meta-who", "cli")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "explained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_v1_binds_x_oss_headers_and_refuses_headers_v1_cannot_sign() {
    let s = setup().await;
    let app = s.app.path();
    let put = jitstore(
        app,
        &[
            "sign",
            "OldOss",
            "v1-meta.txt",
            "--method",
            "PUT",
            "--header",
            "X-Oss-Meta-Owner:cli",
        ],
    )
    .await;
    assert!(put.status.success(), "{}", out(&put));
    let text = String::from_utf8_lossy(&put.stdout).into_owned();
    assert!(text.contains("header: x-oss-meta-owner: cli"), "{text}");
    let url = text.lines().next().unwrap().to_owned();
    let http = reqwest::Client::new();
    let without = http.put(&url).body("x").send().await.unwrap();
    assert_eq!(without.status(), 403, "the URL binds the x-oss- header");
    let with = http
        .put(&url)
        .header("x-oss-meta-owner", "cli")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200, "{}", with.text().await.unwrap());

    for explain in [false, true] {
        let mut args = vec![
            "sign",
            "OldOss",
            "v1-meta.txt",
            "--header",
            "range:bytes=0-1",
        ];
        if explain {
            args.push("--explain");
        }
        let refused = jitstore(app, &args).await;
        assert!(!refused.status.success(), "{}", out(&refused));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("V1") && stderr.contains("range"),
            "explain {explain}: {stderr}"
        );
    }
}
