//! `jitstore put ELEMENT LOCAL_PATH KEY`

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{element_name, open_app, CliResult};

/// Arguments of `put`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storage element (e.g. storages.Default, or just Default).
    element: String,
    /// The local file to upload, or `-` for stdin.
    local_path: PathBuf,
    /// The object key.
    key: String,
    /// Content type (default: application/octet-stream, or inferred by the Type).
    #[arg(long)]
    content_type: Option<String>,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let store = open_app(app)?.storage(&element_name(&args.element))?;
    let content_type = args.content_type.as_deref();
    let result = if args.local_path.as_os_str() == "-" {
        let mut data = Vec::new();
        std::io::stdin().read_to_end(&mut data)?;
        store.upload_by_file(&args.key, data, content_type).await?
    } else {
        store
            .upload_path(&args.key, &args.local_path, content_type)
            .await?
    };
    println!("uploaded {} ({} bytes)", result.key, result.size);
    println!("url:  {}", result.url);
    println!("etag: {}", result.etag);
    Ok(())
}
