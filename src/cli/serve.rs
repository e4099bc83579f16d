//! `jitstore serve --data DIR --addr 127.0.0.1:PORT [...]`: the local OSS-compatible server
//! (see `jitstore_oss_server::cli`).

use jitstore_oss_server::cli::{run_serve, ServeArgs};

use super::CliResult;

pub(crate) async fn run(args: ServeArgs) -> CliResult {
    run_serve(args).await?;
    Ok(())
}
