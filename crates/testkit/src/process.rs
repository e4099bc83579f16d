//! The local OSS server binary as a child process, for tests that kill the server mid-request
//! (crash safety) and restart it on the same data.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `jitstore-oss-server` child process; killed and reaped when dropped.
pub struct ServerProcess {
    /// The child, for a test to kill (SIGKILL) at the moment it chooses.
    pub child: Child,
    /// `http://127.0.0.1:PORT`, read from the server's first line of output.
    pub endpoint: String,
}

impl ServerProcess {
    /// Runs `binary` (in the server crate's tests, `env!("CARGO_BIN_EXE_jitstore-oss-server")`)
    /// on `data` with one open bucket `bucket` on 127.0.0.1 port 0, and waits for it to listen.
    pub fn spawn(binary: &Path, data: &Path, bucket: &str) -> ServerProcess {
        let mut child = Command::new(binary)
            .arg("--data")
            .arg(data)
            .args(["--addr", "127.0.0.1:0", "--bucket", bucket])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let Some(stdout) = child.stdout.take() else {
            panic!("the server's stdout is not piped");
        };
        let mut lines = BufReader::new(stdout).lines();
        let first = match lines.next() {
            Some(Ok(line)) => line,
            other => panic!("the server printed no address line: {other:?}"),
        };
        let Some(address) = first.split("listening on ").nth(1) else {
            panic!("the server's first line names no address: {first:?}");
        };
        let endpoint = address.trim().to_owned();
        // Keep draining stdout so the server never blocks writing to it.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, endpoint }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
