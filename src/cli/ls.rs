//! `jitstore ls ELEMENT [PREFIX]`

use std::path::Path;

use futures::TryStreamExt;

use super::{element_name, open_app, CliResult};

/// Arguments of `ls`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storage element.
    element: String,
    /// Only keys starting with this prefix.
    #[arg(default_value = "")]
    prefix: String,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let store = open_app(app)?.storage(&element_name(&args.element))?;
    let mut objects = store.list(&args.prefix);
    while let Some(object) = objects.try_next().await? {
        let modified = object
            .last_modified
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| "-".to_owned());
        println!("{:>12}  {modified}  {}", object.size, object.key);
    }
    Ok(())
}
