//! `jitstore stat ELEMENT KEY`

use std::path::Path;

use super::{element_name, open_app, CliResult};

/// Arguments of `stat`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The storage element.
    element: String,
    /// The object key.
    key: String,
}

pub(crate) async fn run(app: &Path, args: Args) -> CliResult {
    let store = open_app(app)?.storage(&element_name(&args.element))?;
    let info = store.get_object(&args.key).await?;
    println!("key:           {}", info.key);
    println!("size:          {}", info.size);
    if let Some(etag) = &info.etag {
        println!("etag:          {etag}");
    }
    if let Some(content_type) = &info.content_type {
        println!("content-type:  {content_type}");
    }
    if let Some(modified) = &info.last_modified {
        println!("last-modified: {}", modified.to_rfc3339());
    }
    if let Some(crc64) = info.crc64 {
        println!("crc64:         {crc64}");
    }
    if let Some(class) = &info.storage_class {
        println!("storage-class: {class}");
    }
    for (name, value) in &info.user_metadata {
        println!("meta-{name}: {value}");
    }
    Ok(())
}
