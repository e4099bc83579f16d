//! The `jitstore` command-line tool: inspect an app's elements and use its storages.

mod cli;

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    cli::main()
}

/// Lets a closed output pipe end the process quietly, as it does for other Unix tools
/// (`jitstore ls X | head`), instead of a panic in `println!` on `EPIPE`.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: runs first in `main`, before any other thread exists; `SIG_DFL` is a valid
    // disposition for SIGPIPE and nothing in this process relies on ignoring it.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
