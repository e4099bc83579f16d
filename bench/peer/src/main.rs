//! The peer benchmark: jitstore (library and CLI), OpenDAL's OSS service, curl on presigned
//! URLs and the official Python SDK oss2, side by side against one local `jitstore serve` and
//! one file, in alternating rounds; prints medians, ratios and peak RSS as a Markdown table.
//!
//! `peer-bench run [flags]` orchestrates; `peer-bench worker ...` is one client run (each
//! timed row is its own process, so its peak RSS is its own). See `BENCHMARKS.md` for the
//! one command that builds and runs everything (`scripts/bench_peer.sh`).

mod measure;
mod orchestrate;
mod report;
mod workers;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => orchestrate::run(&args[1..]),
        Some("worker") => workers::run(&args[1..]),
        _ => Err(format!(
            "usage: peer-bench run [--size-mib N] [--rounds N] [--part-mib N] [--concurrency N] \
             [--jitstore PATH] [--python PATH] [--work DIR] [--out FILE] [--only SUBSTRING]\n\
             {}",
            orchestrate::FLAGS_HELP
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peer-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
