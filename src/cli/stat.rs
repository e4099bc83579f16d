//! `jitstore stat [ELEMENT] KEY`: an object's metadata (`--json`: one object with `key`,
//! `size`, `etag`, `content_type`, `last_modified`, `crc64`, `storage_class`,
//! `user_metadata`).

use super::target::split_element;
use super::{output, print_json, AppArg, CliResult};

/// Arguments of `stat`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    app: AppArg,
    /// [ELEMENT] KEY: the storage element (omitted or `@default`: the app's default storage)
    /// and the object key.
    #[arg(num_args = 1..=2, required = true, value_name = "ARGS")]
    words: Vec<String>,
}

/// An object's metadata as the JSON the CLI prints (`stat`, `ls`).
pub(crate) fn info_json(info: &jitstore::ObjectInfo) -> serde_json::Value {
    serde_json::json!({
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "content_type": info.content_type,
        "last_modified": info.last_modified.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "crc64": info.crc64,
        "storage_class": info.storage_class,
        "user_metadata": info.user_metadata,
    })
}

pub(crate) async fn run(args: Args) -> CliResult {
    let (element, rest) = split_element(&args.words, 1);
    let [key] = rest else {
        return Err("stat takes [ELEMENT] KEY".into());
    };
    let store = super::target::storage(&args.app, element)?;
    let info = store.get_object(key).await?;
    if output::json() {
        return print_json(&info_json(&info));
    }
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
