//! `jitstore get ELEMENT KEY LOCAL_PATH`

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{element_name, open_app, CliResult};

/// Arguments of `get`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storage element.
    element: String,
    /// The object key.
    key: String,
    /// Where to write it, or `-` for stdout.
    local_path: PathBuf,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let store = open_app(app)?.storage(&element_name(&args.element))?;
    if args.local_path.as_os_str() == "-" {
        let data = store.download(&args.key).await?;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&data)?;
        stdout.flush()?;
    } else {
        let written = store.download_to(&args.key, &args.local_path).await?;
        eprintln!(
            "downloaded {} ({written} bytes) to {}",
            args.key,
            args.local_path.display()
        );
    }
    Ok(())
}
