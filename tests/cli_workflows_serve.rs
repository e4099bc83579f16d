//! `jitstore serve --data DIR --addr 127.0.0.1:0 --bucket NAME ...` prints the address it
//! listens on and serves OSS requests there.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The endpoint from `serve`'s first stdout line (`jitstore OSS server listening on URL`).
fn read_endpoint(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a line");
    first
        .trim()
        .strip_prefix("jitstore OSS server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned()
}

/// Reads `serve`'s stderr until a line satisfies `hit` (true) or the stream ends (false);
/// returns the lines seen.
fn stderr_until(child: &mut Child, hit: impl Fn(&str) -> bool) -> (bool, Vec<String>) {
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        let found = hit(&line);
        seen.push(line);
        if found {
            return (true, seen);
        }
    }
    (false, seen)
}

#[test]
fn serve_prints_its_address_and_answers_signed_requests() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .args(["serve", "--data"])
        .arg(data.path())
        .args([
            "--addr",
            "127.0.0.1:0",
            "--bucket",
            "served",
            "--public-read",
            "open",
            "--access-key-id",
            "serve-ak",
            "--access-key-secret",
            "serve-sk",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let endpoint = read_endpoint(&mut child);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(async {
        use jitstore_oss::client::{Body, Client, GetObjectOptions, PutObjectOptions};
        let client = Client::builder()
            .endpoint(endpoint.clone())
            .bucket("served")
            .region("cn-hangzhou")
            .credentials(jitstore_oss::credentials::StaticProvider::from_keys(
                "serve-ak", "serve-sk",
            ))
            .build()?;
        client
            .put_object("k.txt", Body::from("served!"), PutObjectOptions::default())
            .await?;
        let got = client
            .get_object("k.txt", GetObjectOptions::default())
            .await?;
        let bytes = got.body.bytes().await?;
        let anonymous = reqwest::get(format!("{endpoint}/served/k.txt"))
            .await
            .map(|r| r.status());
        Ok::<_, jitstore_oss::error::OssError>((bytes, anonymous))
    });
    let _ = child.kill();
    let _ = child.wait();
    let (bytes, anonymous) = outcome.expect("requests succeed");
    assert_eq!(&bytes[..], b"served!");
    assert_eq!(anonymous.expect("answered").as_u16(), 403);
}

/// `-v` installs the tracing subscriber for `serve`: its start is logged on stderr (and the
/// address line still comes first on stdout).
#[test]
fn serve_logs_with_verbose() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .args(["serve", "-v", "--data"])
        .arg(data.path())
        .args(["--addr", "127.0.0.1:0", "--bucket", "logged"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let (found, seen) = stderr_until(&mut child, |line| {
        line.contains("OSS-compatible server listening")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(found, "no server log line with -v: {seen:?}");
}

/// With `-v`, `serve` logs one access line per request (method, path, status, request id) and
/// never the query, which may carry a presigned signature.
#[test]
fn serve_logs_each_request_with_verbose_without_its_query() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .args(["serve", "-v", "--data"])
        .arg(data.path())
        .args(["--addr", "127.0.0.1:0", "--bucket", "logged"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let endpoint = read_endpoint(&mut child);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime
        .block_on(reqwest::get(format!(
            "{endpoint}/logged/missing-object.txt?response-content-type=secret-query-text"
        )))
        .map(|r| r.status().as_u16());
    let (found, seen) = stderr_until(&mut child, |line| {
        line.contains("/logged/missing-object.txt") && line.contains("404")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status.expect("answered"), 404);
    assert!(found, "no access log line for the request: {seen:?}");
    assert!(
        seen.iter().all(|l| !l.contains("secret-query-text")),
        "the query was logged: {seen:?}"
    );
}
