//! Shared set-up of the CLI consistency tests: the test kit's local OSS server on 127.0.0.1
//! (`jitstore_testkit::Peer`), an app with an OssType element (`storages.MyOss`) pointing at
//! it and a DiskType element (`storages.Files`), and a runner for the built binary.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use jitstore_testkit::keys::{AK, BUCKET, OTHER_BUCKET, SK, STS_AK, STS_SK, STS_TOKEN};

/// A running server, its data directory and the app pointing at it.
pub type Setup = jitstore_testkit::Peer;

/// Starts the server ([`BUCKET`] and [`OTHER_BUCKET`], long-term and STS credentials) and
/// writes the app.
pub async fn setup() -> Setup {
    let setup = Setup::builder()
        .bucket(BUCKET)
        .bucket(OTHER_BUCKET)
        .start()
        .await;
    let config = setup.oss_element_config(BUCKET, serde_json::json!({"checkpointDir": ""}));
    setup.app.oss_element("MyOss", &config);
    setup.app.disk_element("Files", "{}");
    setup
}

/// Writes `content` to `dir/name` (creating folders) and returns the path.
pub fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    jitstore_testkit::write_file(dir, name, content)
}

/// The binary under test: this build's, or `JITSTORE_TEST_BINARY` when set (to show that a
/// test fails on an older build).
pub fn binary() -> PathBuf {
    std::env::var_os("JITSTORE_TEST_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_jitstore")))
}

/// How to run the binary.
#[derive(Default, Clone)]
pub struct Run {
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// Bytes fed to stdin (stdin is empty otherwise).
    pub stdin: Vec<u8>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// The umask of the child (unix).
    pub umask: Option<u32>,
    /// Working directory.
    pub cwd: Option<PathBuf>,
}

impl Run {
    /// `jitstore ARGS...`.
    pub fn new(args: &[&str]) -> Run {
        Run {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            ..Run::default()
        }
    }

    /// `jitstore --app APP ARGS...`.
    pub fn in_app(app: &Path, args: &[&str]) -> Run {
        let mut all = vec!["--app".to_owned(), app.display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        Run {
            args: all,
            ..Run::default()
        }
    }

    /// Feeds `bytes` on stdin.
    pub fn stdin(mut self, bytes: &[u8]) -> Run {
        self.stdin = bytes.to_vec();
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Run {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the child's umask.
    pub fn umask(mut self, mask: u32) -> Run {
        self.umask = Some(mask);
        self
    }

    /// Runs in `dir`.
    pub fn cwd(mut self, dir: &Path) -> Run {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// Runs the binary to completion (blocking).
    pub fn output_blocking(self) -> Output {
        let program = binary();
        self.run_blocking(program.as_os_str(), &[])
    }

    /// Runs `program PREFIX... ARGS...` instead of the binary (e.g. under `script`).
    pub async fn output_with(self, program: &str, prefix: &[&str]) -> Output {
        let program = program.to_owned();
        let prefix: Vec<String> = prefix.iter().map(|p| (*p).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
            self.run_blocking(program.as_ref(), &prefix)
        })
        .await
        .expect("joins")
    }

    // `pre_exec` (to set the child's umask) is the one unsafe call.
    #[allow(unsafe_code)]
    fn run_blocking(self, program: &std::ffi::OsStr, prefix: &[&str]) -> Output {
        let mut command = Command::new(program);
        command
            .args(prefix)
            .args(&self.args)
            .env_remove("RUST_LOG")
            .env_remove("JITSTORE_APP")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
            .env_remove("OSS_ENDPOINT")
            .env_remove("OSS_REGION")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        #[cfg(unix)]
        if let Some(mask) = self.umask {
            use std::os::unix::process::CommandExt;
            // SAFETY: umask is async-signal-safe and touches only the child's own state.
            unsafe {
                command.pre_exec(move || {
                    libc::umask(mask as libc::mode_t);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = self.stdin.clone();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("finishes");
        let _ = feeder.join();
        output
    }

    /// Runs the binary off the runtime's workers (the in-process server keeps serving).
    pub async fn output(self) -> Output {
        tokio::task::spawn_blocking(move || self.output_blocking())
            .await
            .expect("joins")
    }
}

/// Stdout and stderr, for assertion messages.
pub fn out(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout parsed as JSON, after checking the exit status.
pub fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", out(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

/// The first line of stdout (a URL printed by `sign`).
pub fn first_line(o: &Output) -> String {
    assert!(o.status.success(), "{}", out(o));
    stdout(o).lines().next().unwrap_or_default().to_owned()
}

/// The permission bits of `path`.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}
