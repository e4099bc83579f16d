//! A real S3 server for the tests: moto's `moto_server` on 127.0.0.1, on a free port, killed
//! when the [`Moto`] is dropped.
//!
//! The executable comes from `JITSTORE_MOTO_SERVER` (what `scripts/test.sh` exports), else
//! `<workspace>/.venv/bin/moto_server`. When neither exists the tests are skipped with a
//! message, except under `CI`, where they fail naming the install command.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The install command named by the skip and failure messages.
pub const INSTALL: &str = "python3 -m venv .venv && .venv/bin/pip install 'moto[server]' boto3 (or run bash scripts/test.sh)";

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: SocketAddr,
}

fn executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("JITSTORE_MOTO_SERVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = workspace.join(".venv/bin/moto_server");
    path.is_file().then_some(path)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("the bound address").port()
}

impl Moto {
    /// Starts moto, or returns `None` (after printing why) when it is not installed; panics
    /// under `CI` when it is not installed or does not come up.
    pub fn start() -> Option<Moto> {
        let Some(exe) = executable() else {
            if std::env::var_os("CI").is_some() {
                panic!("moto_server not found (JITSTORE_MOTO_SERVER or .venv/bin/moto_server): install it with {INSTALL}");
            }
            eprintln!("skipped: moto not installed (run bash scripts/test.sh)");
            return None;
        };
        for _attempt in 0..3 {
            let port = free_port();
            let child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
            let mut moto = Moto {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            };
            if moto.wait_until_listening(Duration::from_secs(30)) {
                return Some(moto);
            }
        }
        panic!("moto_server at {} did not come up", exe.display());
    }

    fn wait_until_listening(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(_status)) = self.child.try_wait() {
                return false; // exited (e.g. the port was taken meanwhile)
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// `127.0.0.1:<port>`, as an `endPoint`.
    pub fn end_point(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
