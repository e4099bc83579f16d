//! The `jitstore` command-line tool: inspect an app's elements and use its storages.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
