//! A closed stdout (`jitstore elements | head -1`) ends the CLI quietly instead of panicking.

#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn closed_stdout_does_not_panic() {
    let app = tempfile::tempdir().expect("temp dir");
    // Enough elements that the listing outgrows the pipe buffer once the reader is gone.
    for i in 0..400 {
        let dir = app.path().join(format!("storages/Element{i:04}"));
        std::fs::create_dir_all(&dir).expect("create element folder");
        std::fs::write(
            dir.join("e.json"),
            r#"{"title": "t", "type": "storages.DiskType", "backendBundleEntry": "."}"#,
        )
        .expect("write e.json");
        std::fs::write(dir.join(format!("Element{i:04}.json")), "{}").expect("write config");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .arg("--app")
        .arg(app.path())
        .arg("elements")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jitstore");
    drop(child.stdout.take()); // the reader goes away before anything is read
    let output = child.wait_with_output().expect("wait for jitstore");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "the CLI panicked: {stderr}");
    assert_ne!(output.status.code(), Some(101), "exit code of a panic");
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGPIPE),
        "ended by SIGPIPE like other tools"
    );
}

#[test]
fn serve_outlives_a_closed_stdout() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jitstore"))
        .args(["serve", "--data"])
        .arg(data.path())
        .args(["--addr", "127.0.0.1:0", "--bucket", "bench"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start jitstore serve");
    drop(child.stdout.take()); // its address lines go to a pipe nobody reads
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let still_running = child.try_wait().expect("poll the server").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        still_running,
        "the server died when its stdout reader went away"
    );
}
