//! `jitstore rm ELEMENT KEY`

use std::path::Path;

use super::{element_name, open_app, CliResult};

/// Arguments of `rm`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storage element.
    element: String,
    /// The object key.
    key: String,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let store = open_app(app)?.storage(&element_name(&args.element))?;
    store.delete(&args.key).await?;
    println!("deleted {}", args.key);
    Ok(())
}
