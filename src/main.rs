//! The `jitstore` command-line tool: inspect an app's elements and use its storages.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main(restore_default_sigpipe)
}

/// Lets a closed output pipe end the process quietly, as it does for other Unix tools
/// (`jitstore ls X | head`), instead of a panic in `println!` on `EPIPE`. Not for `serve`:
/// a long-running server handles its write errors and must outlive its log reader.
#[cfg(unix)]
#[allow(unsafe_code)]
fn restore_default_sigpipe() {
    // SAFETY: called by `cli::main` after parsing and before the async runtime starts, so no
    // other thread exists; `SIG_DFL` is a valid disposition for SIGPIPE, and the verbs it is
    // called for write to sockets only through calls that pass MSG_NOSIGNAL.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
