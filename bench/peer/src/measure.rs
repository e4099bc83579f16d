//! Runs one client process and measures its wall time and peak resident set (from `wait4`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What one client run cost.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Wall time from spawn to exit, seconds.
    pub secs: f64,
    /// Peak resident set of the client process, KiB (`ru_maxrss`).
    pub peak_rss_kib: u64,
}

/// Runs `cmd` with stdout and stderr going to `log`, waits with `wait4` and returns the cost;
/// an error (with the log's tail) when the process fails.
pub fn run(cmd: &mut Command, log: &Path) -> Result<Measured, String> {
    let out = std::fs::File::create(log).map_err(|e| format!("creating {log:?}: {e}"))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("duplicating {log:?}: {e}"))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("starting {:?}: {e}", cmd.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| format!("pid: {e}"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; wait4 fills it for the child we spawned (and have not
    // waited for through `Child`, which is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = loop {
        // SAFETY: valid pointers to locals; `pid` is our own child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let secs = started.elapsed().as_secs_f64();
    drop(child);
    if waited != pid {
        return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !ok {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: String = text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(format!(
            "{:?} failed (wait status {status}):\n{tail}",
            cmd.get_program()
        ));
    }
    Ok(Measured {
        secs,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}
