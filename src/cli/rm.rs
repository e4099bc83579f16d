//! `jitstore rm [ELEMENT] KEY` (`--json`: `{"element", "deleted"}`).

use super::target::split_element;
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `rm`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] KEY: the storage element (omitted or `@default`: the app's default storage)
    /// and the object key.
    #[arg(num_args = 1..=2, required = true, value_name = "ARGS")]
    words: Vec<String>,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let (element, rest) = split_element(&args.words, 1);
    let [key] = rest else {
        return Err("rm takes [ELEMENT] KEY".into());
    };
    let store = super::target::storage(&args.app, element)?;
    store.delete(key).await?;
    if output::json() {
        return print_json(&serde_json::json!({"element": store.element(), "deleted": key}));
    }
    println!("deleted {key}");
    Ok(())
}
