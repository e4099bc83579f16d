//! `jitstore ls [ELEMENT] [PREFIX]`: objects under a prefix, in key order (`--json`: an array
//! of the objects `stat --json` prints; collected first, so a listing that fails half-way
//! prints no partial document).

use futures::TryStreamExt;

use super::{output, print_json, AppArg, CliResult};

/// Arguments of `ls`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// The storage element (omitted or `@default`: the app's default storage).
    element: Option<String>,
    /// Only keys starting with this prefix.
    #[arg(default_value = "")]
    prefix: String,
}

pub(crate) async fn run(args: Args) -> CliResult {
    let store = super::target::storage(&args.app, args.element.as_deref())?;
    let mut objects = store.list(&args.prefix);
    if output::json() {
        let mut all = Vec::new();
        while let Some(object) = objects.try_next().await? {
            all.push(super::stat::info_json(&object));
        }
        return print_json(&all);
    }
    while let Some(object) = objects.try_next().await? {
        let modified = object
            .last_modified
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| "-".to_owned());
        println!("{:>12}  {modified}  {}", object.size, object.key);
    }
    Ok(())
}
